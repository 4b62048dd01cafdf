"""The benchmark's questions and, for each, the SQL a person who knows the schema would write by
hand to fetch the same facts. That SQL, run through sqlite3, is the floor; run through
Datasette's JSON API it is what a team would otherwise open."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT / "tests" / "data" / "questions.jsonl"
TODAY = "2026-11-28"

# Example questions from the README and bot.engine.EXAMPLES whose intents the shared example
# file does not cover (days since, visits in a period, summits, definition, recommendations).
EXTRA_QUESTIONS = ("days since the last nuclear test", "visits in 2010", "Kim-Xi summits",
                   "what counts as a high-level visit", "policy recommendations",
                   "what happened in 2017")


@dataclass(frozen=True)
class Lookup:
    """One question and its hand-written SQL (named parameters)."""

    question: str
    sql: str
    params: dict[str, object] = field(default_factory=dict)


def _rows(facts=(), sanctions=(), visits=()) -> str:
    """Rows by id from several tables, as one result with common columns."""
    parts = []
    if facts:
        parts.append("SELECT id, text, value, coalesce(quote, source_url) AS source FROM facts "
                     f"WHERE id IN ({', '.join(repr(i) for i in facts)})")
    if sanctions:
        parts.append("SELECT id, event, figure, source_url FROM sanctions "
                     f"WHERE id IN ({', '.join(repr(i) for i in sanctions)})")
    if visits:
        parts.append("SELECT id, visitor, start_date, coalesce(source_url, source_name) "
                     f"FROM visits WHERE id IN ({', '.join(repr(i) for i in visits)})")
    return " UNION ALL ".join(parts)


ERA_RATE = ("SELECT e.leader, f.value, f.quote FROM era_aliases a JOIN eras e ON e.id = a.era_id "
            "LEFT JOIN facts f ON f.era_id = a.era_id AND f.topic = 'era_rate' "
            "WHERE a.alias IN (:a, :b)")
TEST_GAP = ("SELECT t.n, t.date, v.visitor, v.place, v.start_date, "
            "CAST(julianday(v.start_date) - julianday(t.date) AS INTEGER) AS days, f.value, f.text "
            "FROM tests t LEFT JOIN visits v ON v.after_test = t.n "
            "LEFT JOIN facts f ON f.test_n = t.n AND f.topic = 'test_gap' "
            "WHERE t.date BETWEEN :start AND :end")
TEST_N = "SELECT n, date, description, source_url FROM tests WHERE n = :n"
TESTS_IN = "SELECT n, date, description, source_url FROM tests WHERE date BETWEEN :start AND :end"
VISITS_IN = ("SELECT id, start_date, end_date, visitor, direction, place, high_level FROM visits "
             "WHERE start_date BETWEEN :start AND :end AND import_id IS NULL "
             "ORDER BY start_date LIMIT 25")
SEARCH = ("SELECT s.doc_id, s.kind, s.title FROM search_index_fts f "
          "JOIN search_index s ON s.rowid = f.rowid WHERE search_index_fts MATCH :q "
          "ORDER BY f.rank LIMIT 20")


def _era(a: str, b: str | None = None) -> tuple[str, dict]:
    return ERA_RATE, {"a": a, "b": b or a}


def _year(y: int, month: int | None = None) -> dict:
    if month:
        return {"start": f"{y}-{month:02d}-01", "end": f"{y}-{month:02d}-31"}
    return {"start": f"{y}-01-01", "end": f"{y}-12-31"}


SQL: dict[str, tuple[str, dict]] = {
    "visits in Hu era": _era("hu"),
    "visits in Xi era": _era("xi"),
    "Kim Jong Un era visits": _era("kim jong un"),
    "visits in Kim Jong Il era": _era("kim jong il"),
    "total high-level visits since 1953": (
        "SELECT id, value, quote FROM facts WHERE topic = 'visits'", {}),
    "compare Hu and Xi": _era("hu", "xi"),
    "which era had the fewest visits": (
        "SELECT id, era_id, value, quote FROM facts WHERE topic = 'era_rate' "
        "OR id IN ('rank_lowest_weighted', 'rank_second_lowest_unweighted') "
        "ORDER BY CAST(value AS REAL)", {}),
    "days after 2009 test": (TEST_GAP, _year(2009)),
    "days after 2013 test": (TEST_GAP, _year(2013)),
    "days after first test": (TEST_GAP.replace("t.date BETWEEN :start AND :end", "t.n = :n"),
                              {"n": 1}),
    "average days between a test and a visit": (
        "SELECT id, value FROM facts WHERE id = 'tests_2_to_5_average_120_days' "
        "UNION ALL SELECT id, days_after_test FROM visits WHERE after_test IN (2, 3, 4)", {}),
    "who visited after the January 2016 test": (TEST_GAP, _year(2016, 1)),
    "when was the fifth nuclear test": (TEST_N, {"n": 5}),
    "2006 test date": (TESTS_IN, _year(2006)),
    "nuclear tests": ("SELECT n, date, description, source_url FROM tests ORDER BY n", {}),
    "coal cap under UNSCR 2321": (_rows(
        facts=("coal_cap_one_million_dec_2016", "coal_imported_double_dec_2016",
               "coal_2017_cap_dollar_value", "coal_ban_beyond_2321"),
        sanctions=("unscr_2321", "unscr_2321_coal_cap")), {}),
    "how much coal did China import in December 2016": (_rows(
        facts=("coal_imported_double_dec_2016", "coal_cap_one_million_dec_2016"),
        sanctions=("unscr_2321_coal_cap",)), {}),
    "coal ban": (_rows(facts=("coal_ban_announced", "coal_ban_duration", "coal_ban_beyond_2321",
                              "coal_ban_kim_jong_nam"), sanctions=("china_coal_ban_2017",)), {}),
    "LPG imports from North Korea": ("SELECT id, text, value, quote FROM facts "
                                     "WHERE topic = 'lpg'", {}),
    "share of North Korea's trade with China": (_rows(
        facts=("trade_share_80_85", "recommendation_2_trade_share")), {}),
    "how much did the US pay for nuclear freezes": (_rows(
        facts=("freezes_paid_500_million",),
        sanctions=("agreed_framework_1994", "six_party_joint_statement_2005")), {}),
    "humanitarian exemption": ("SELECT id, text, quote FROM facts WHERE topic = 'exemption'", {}),
    "Ri Kil Song": (_rows(facts=("ri_kil_song_not_high_level",), visits=("ri_kil_song_2017",)),
                    {}),
    "Kim Jong Il trips to China": (
        "SELECT id, text, value, quote FROM facts WHERE id IN ('kji_eight_trips', "
        "'kji_factory_tours', 'top_down_reform') UNION ALL SELECT id, visitor, start_date, "
        "place FROM visits WHERE id >= 'kji_trip_' AND id < 'kji_trip`'", {}),
    "Justice Department charges against Chinese nationals": (_rows(
        facts=("doj_four_chinese_nationals", "extradite_cases"), sanctions=("doj_dhid_2016",)),
        {}),
    "Wang Hongguang": (_rows(facts=("wang_hongguang_global_times",)), {}),
    "Kim Jong Nam": ("SELECT id, text, value, quote FROM facts WHERE topic = 'people' "
                     "AND id LIKE '%kim_jong_nam%'", {}),
    "when did the six party talks break down": (_rows(
        facts=("six_party_breakdown_2008",), sanctions=("six_party_joint_statement_2005",)), {}),
    "special to normal": (_rows(facts=("special_to_normal", "no_summits_six_years")), {}),
    "envoy after the 2006 test": (TEST_GAP, _year(2006)),
    "visits in Deng era": _era("deng"),
    "weather in Pyongyang today": (SEARCH, {"q": '"weather"'}),
    "visits in 1850": (VISITS_IN, _year(1850)),
    "days after 2020 test": (TEST_GAP, _year(2020)),
    "days since the last nuclear test": (
        "SELECT n, date, CAST(julianday(:today) - julianday(date) AS INTEGER) AS days "
        "FROM tests WHERE date <= :today ORDER BY date DESC LIMIT 1", {"today": TODAY}),
    "visits in 2010": (VISITS_IN, _year(2010)),
    "Kim-Xi summits": (
        "SELECT id, text, value, quote FROM facts WHERE topic = 'summits' UNION ALL "
        "SELECT id, visitor, start_date, place FROM visits "
        "WHERE id >= 'kim_xi_summit_' AND id < 'kim_xi_summit`'", {}),
    "what counts as a high-level visit": (
        "SELECT id, text, quote FROM facts WHERE topic = 'definition'", {}),
    "policy recommendations": (
        "SELECT id, text, quote FROM facts WHERE id LIKE 'recommendation_%' ORDER BY id", {}),
    "what happened in 2017": (
        "SELECT date, description FROM tests WHERE date BETWEEN :start AND :end UNION ALL "
        "SELECT start_date, visitor FROM visits WHERE start_date BETWEEN :start AND :end "
        "AND import_id IS NULL UNION ALL SELECT date, event FROM sanctions "
        "WHERE date BETWEEN :start AND :end ORDER BY 1 LIMIT 25", _year(2017)),
}


# Composed questions (issue 14): the planner's operations, subjects and scripts. Timed against
# the simple questions above; the target is a median within 2x.
COMPOSED_QUESTIONS = (
    "how many times did Hu Jintao meet Kim Jong Il",
    "who was the last Chinese leader to visit Pyongyang",
    "which test had the longest wait for a visit",
    "when did Kim Jong Un last visit China",
    "Kim Jong Il visits to China during Hu's tenure",
    "longest visit by Kim Jong Il",
    "which year had the most visits",
    "compare visits in 2010 and 2018",
    "visits between the 2009 test and the 2013 test",
    "how many nuclear tests under Kim Jong Un",
    "compare trade 2019 and 2023",
    "last UN resolution",
    "김정은의 마지막 방중",
    "習近平訪朝",
    "Xi Jinpign visit to Pyongyang",
    "KIM JONG UN LAST VISIT TO CHINA",
)


def example_questions(path: Path = QUESTIONS_FILE) -> list[str]:
    """The shared example questions, then the extra ones, each once."""
    with open(path, encoding="utf-8") as fh:
        shared = [json.loads(line)["q"] for line in fh if line.strip()]
    return list(dict.fromkeys([*shared, *EXTRA_QUESTIONS]))


def lookups(questions: list[str]) -> list[Lookup]:
    """The hand-written SQL for each question; KeyError names a question without one."""
    missing = [q for q in questions if q not in SQL]
    if missing:
        raise KeyError(f"no hand-written SQL for: {missing}")
    return [Lookup(q, *SQL[q]) for q in questions]
