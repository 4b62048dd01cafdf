"""Digest composition for pinned dates, and its text and embed renderings."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest.compose import (
    Anniversary,
    Changes,
    Digest,
    FactOfDay,
    Metric,
    RateSnapshot,
    Rotation,
    Snapshot,
    compose,
    is_anniversary,
    snapshot_of,
)
from bot.digest.render import (
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBED_TOTAL,
    embed_size,
    fit,
    render_embed,
    render_text,
)
from bot.engine.answer import Source
from knowledge.build import DATA_DIR, build
from knowledge.store import KnowledgeStore


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("kb") / "kb.db"
    build(path)
    return KnowledgeStore(path)


@pytest.fixture(scope="module")
def leap_store(tmp_path_factory):
    """The shipped data plus one event on a February 29 and one on a February 28."""
    root = tmp_path_factory.mktemp("leap")
    data = root / "data"
    shutil.copytree(DATA_DIR, data)
    with open(data / "sanctions.csv", "a", encoding="utf-8") as fh:
        fh.write("leap_day_event,2016-02-29,,,other,Leap-day fixture event,,,,,"
                 "https://example.org/leap,verified\n")
        fh.write("feb_28_event,2015-02-28,,,other,February 28 fixture event,,,,,"
                 "https://example.org/feb28,verified\n")
    build(root / "kb.db", data)
    return KnowledgeStore(root / "kb.db")


def metric(d: Digest, key: str) -> Metric:
    return next(m for m in d.metrics if m.key == key)


@pytest.mark.parametrize("day, key, days, since", [
    ("2026-11-28", "days_since_test", 3373, "2017-09-03"),
    ("2017-09-03", "days_since_test", 0, "2017-09-03"),
    ("2017-09-02", "days_since_test", 358, "2016-09-09"),
    ("2006-10-08", "days_since_test", None, None),
    ("2026-11-28", "days_since_visit", 233, "2026-04-09"),  # Wang Yi in Pyongyang
    ("2018-01-01", "days_since_visit", 45, "2017-11-17"),
    ("2026-11-28", "days_since_kim_xi_summit", 452, "2025-09-02"),  # Kim in Beijing
    ("2018-03-26", "days_since_kim_xi_summit", 1, "2018-03-25"),
    ("2018-01-01", "days_since_kim_xi_summit", None, None),  # KJI summits are not Kim–Xi
])
def test_standing_metrics(store, day, key, days, since):
    m = metric(compose(store, date.fromisoformat(day)), key)
    assert (m.days, m.since) == (days, since)
    assert "on record" in m.text
    if days is not None:
        assert f"{days} day" in m.text
        assert m.sources and all(s.urls for s in m.sources)


def test_the_pinned_test_count(store):
    d = compose(store, date(2026, 11, 28))
    text = render_text(d)
    assert "3373 days since the last nuclear test on record (test 6, September 3, 2017)" in text
    assert d.to_dict()["metrics"][0]["since"] == "2017-09-03"


def test_rate_snapshot_states_the_article_figures(store):
    rates = compose(store, date(2026, 11, 28)).rates
    assert "Hu Jintao 6.6 vs Xi Jinping 1.25" in rates.text
    assert "Kim Jong Il 4.8 vs Kim Jong Un 1.8" in rates.text
    assert "as of March 2017" in rates.text and "CSIS Beyond Parallel" in rates.text
    article = (DATA_DIR.parent / "sources" / "article.txt").read_text(encoding="utf-8")
    assert rates.sources and all(s.kind == "article" and s.quote in article
                                 for s in rates.sources)


@pytest.mark.parametrize("day, refs, years", [
    ("2026-10-09", ["test_1", "zhou_yongkang_2010_10", "liu_yunshan_2015", "li_qiang_2025_10"],
     [20, 16, 11, 1]),
    ("2026-09-03", ["jiang_zemin_2001_09", "test_6"], [25, 9]),
    ("2027-03-25", ["kim_xi_summit_1"], [9]),
    ("2026-11-28", [], []),
    ("2006-10-09", [], []),  # the day itself is news, not an anniversary
])
def test_on_this_day(store, day, refs, years):
    found = compose(store, date.fromisoformat(day)).on_this_day
    assert [a.ref for a in found] == refs
    assert [a.years_ago for a in found] == years
    assert all(a.source.urls for a in found)


def test_anniversary_text(store):
    text = render_text(compose(store, date(2026, 10, 9)))
    assert "October 9, 2006 (20 years ago): Nuclear test 1" in text
    assert "Nothing on record" not in text
    assert "Nothing on record for November 28." in render_text(compose(store, date(2026, 11, 28)))


@pytest.mark.parametrize("day, refs", [
    # not a leap year: the Feb 29 event is recalled on the 28th (oldest first)
    ("2027-02-28", ["feb_28_event", "leap_day_event", "ri_kil_song_2017"]),
    ("2028-02-28", ["feb_28_event", "ri_kil_song_2017"]),  # leap year: waits for the 29th
    ("2028-02-29", ["leap_day_event"]),
    ("2027-03-01", []),
])
def test_leap_day_events(leap_store, day, refs):
    assert [a.ref for a in compose(leap_store, date.fromisoformat(day)).on_this_day] == refs


@pytest.mark.parametrize("event, day, expected", [
    ("2016-02-29", "2017-02-28", True),
    ("2016-02-29", "2020-02-28", False),
    ("2016-02-29", "2020-02-29", True),
    ("2016-02-29", "2017-03-01", False),
    ("2017-02", "2018-02-01", False),  # month-only dates have no anniversary
    ("2020-05-05", "2019-05-05", False),
])
def test_is_anniversary(event, day, expected):
    assert is_anniversary(event, date.fromisoformat(day)) is expected


def test_changes_since_previous_digest(store):
    first = compose(store, date(2026, 11, 28)).changes
    assert first.first and "First digest" in first.text
    same = compose(store, date(2026, 11, 28), previous=snapshot_of(store)).changes
    assert not same.first and "No changes" in same.text
    old = dict(store.row_hashes())
    old["rate_hu"] = "0" * 16          # edited since
    del old["test_6"]                   # added since
    old["gone_row"] = "1" * 16          # removed since
    changed = compose(store, date(2026, 11, 28), previous=Snapshot("then", old)).changes
    assert (changed.added, changed.edited, changed.removed) == (
        ("test_6",), ("rate_hu",), ("gone_row",))
    assert "Added: nuclear test 6 (September 3, 2017)" in changed.text
    assert "Edited: During the Hu Jintao period" in changed.text


def test_fact_rotation_shows_every_fact_once_per_cycle(store):
    total = len(store.facts())
    rotation, seen = Rotation(), []
    for _ in range(total):
        f = compose(store, date(2026, 11, 28), rotation=rotation).fact
        assert f.cycle == 0 and f.number == len(seen) + 1 and f.total == total
        seen.append(f.fact_id)
        rotation = Rotation(0, rotation.shown | {f.fact_id})
    assert sorted(seen) == sorted(f.id for f in store.facts())
    nxt = compose(store, date(2026, 11, 28), rotation=rotation).fact
    assert (nxt.cycle, nxt.number) == (1, 1)


def test_rotation_ignores_facts_no_longer_in_the_knowledge_base(store):
    ids = frozenset(f.id for f in store.facts())
    f = compose(store, date(2026, 1, 1), rotation=Rotation(3, ids | {"deleted"})).fact
    assert (f.cycle, f.number) == (4, 1)


def test_compose_is_pure(store):
    a = compose(store, date(2026, 10, 9))
    assert a == compose(store, date(2026, 10, 9))


def test_embed_has_source_links_and_footer_marker(store):
    e = render_embed(compose(store, date(2026, 10, 9)))
    assert e["title"] == "Daily digest: October 9, 2026"
    assert "](https://missilethreat.csis.org/" in e["description"]
    otd = next(f for f in e["fields"] if f["name"] == "On this day")
    assert "**2006** (20 years ago)" in otd["value"] and "](https://" in otd["value"]
    assert e["footer"]["text"].startswith("Dandong digest · 2026-10-09")
    check_limits(e)


def check_limits(e: dict) -> None:
    assert len(e["title"]) <= EMBED_TITLE
    assert len(e["description"]) <= EMBED_DESCRIPTION
    assert len(e["fields"]) <= EMBED_FIELDS
    for f in e["fields"]:
        assert 0 < len(f["value"]) <= EMBED_FIELD_VALUE and len(f["name"]) <= EMBED_FIELD_NAME
    assert embed_size(e) <= EMBED_TOTAL


@pytest.mark.parametrize("text, limit, expected", [
    ("short", 10, "short"),
    ("line one\nline two is long", 12, "line one…"),
    ("see [source](https://example.org/x)", 20, "see…"),
])
def test_fit(text, limit, expected):
    assert fit(text, limit) == expected


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                min_size=1, max_size=3000)
src = st.builds(Source, id=st.just("x"), kind=st.just("public_record"),
                url=st.lists(st.just("https://example.org/a(b)"), max_size=3).map(" ; ".join))


@settings(max_examples=40, deadline=None)
@given(texts, st.lists(texts, min_size=3, max_size=3), st.lists(texts, max_size=40), texts, src)
def test_embed_fits_discord_limits_whatever_the_content(title, metric_texts, otd, other, source):
    d = Digest(
        day=date(2026, 11, 28),
        metrics=tuple(Metric(f"m{i}", 1, "2020-01-01", t, (source,) * 5)
                      for i, t in enumerate(metric_texts)),
        rates=RateSnapshot(other, "2017-03", (), (source,)),
        on_this_day=tuple(Anniversary("test", "t", "2000-01-01", 26, t, source) for t in otd),
        changes=Changes(False, "b", "a", text=other * 3),
        fact=FactOfDay("f", 0, 1, 2, title, None, source),
        built_at=title[:300],
    )
    check_limits(render_embed(d))
