"""Every public-record row carries its sources, real dates and a reason when it is partial."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from knowledge.build import DATA_DIR
from knowledge.schema import URL_RE

TODAY = date(2026, 12, 3)


def rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def urls(row: dict) -> list[str]:
    return [u.strip() for u in (row.get("source_url") or "").split(" ; ") if u.strip()]


VISITS = [r for r in rows("visits.csv") if r["source_kind"] == "public_record"]
DATED = [(name, r) for name in ("sanctions.csv", "events.csv") for r in rows(name)]


@pytest.mark.parametrize("row", VISITS, ids=lambda r: r["id"])
def test_each_visit_has_sources_and_real_dates(row):
    assert urls(row) and all(URL_RE.match(u) for u in urls(row))
    start = date.fromisoformat(row["start_date"])
    assert date(1953, 7, 27) <= start <= TODAY
    if row["end_date"]:
        end = date.fromisoformat(row["end_date"])
        assert start <= end and (end - start).days < 60
    assert row["confidence"] in ("verified", "partial")
    if row["confidence"] == "partial":
        assert len(row["note"]) > 20, "a partial row says which judgement it rests on"
    if row["summit"] == "1":
        assert row["leader_level"] == "1" and row["high_level"] == "1"


def test_visit_coverage_holds_every_kim_jong_un_trip_and_summit_through_2025():
    kju = {r["start_date"] for r in VISITS if r["visitor"] == "Kim Jong Un"}
    assert {"2018-03-25", "2018-05-07", "2018-06-19", "2019-01-07", "2025-09-02"} <= kju
    summits = [r for r in VISITS if r["summit"] == "1" and r["start_date"] >= "2018"]
    assert len(summits) == 6
    per_decade = {d: sum(r["start_date"][:3] == d for r in VISITS) for d in
                  ("195", "196", "197", "198", "199", "200", "201", "202")}
    assert all(per_decade.values()), per_decade


@pytest.mark.parametrize(("name", "row"), DATED, ids=lambda x: x["id"] if isinstance(x, dict)
                         else x)
def test_each_event_has_sources_and_a_real_date(name, row):
    assert urls(row) and all(URL_RE.match(u) for u in urls(row))
    assert date(1953, 1, 1) <= date.fromisoformat(row["date"]) <= TODAY


def test_trade_rows_are_sourced_one_per_year():
    trade = rows("trade.csv")
    years = [int(r["year"]) for r in trade]
    assert years == sorted(set(years)) and all(urls(r) for r in trade)


def test_people_aliases_name_one_person_each():
    seen: dict[str, str] = {}
    for r in rows("people.csv"):
        assert urls(r), r["id"]
        for alias in [r["name"], *r["aliases"].split(";")]:
            key = alias.strip().lower()
            assert key and seen.setdefault(key, r["id"]) == r["id"], alias


def test_coverage_states_how_far_each_public_table_was_checked():
    cov = rows("coverage.csv")
    assert {r["tbl"] for r in cov} >= {"visits", "tests", "sanctions", "events", "trade"}
    for r in cov:
        assert r["covers_from"] <= r["covers_to"] and r["checked_through"] <= TODAY.isoformat()
