"""Composed questions: each operation x subject that makes sense, names in three scripts,
typos, squashed and shouted forms. Expectations are rows of the shipped data, not prose."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine.plan import FILTERS, Plan

TODAY = date(2026, 12, 2)

# question, understood (exact), first answer line contains, row ids the sources must include
CASES = [
    # -- summits -------------------------------------------------------------------------
    ("how many times did Hu Jintao meet Kim Jong Il",
     "summits · Hu Jintao and Kim Jong Il · count", "6 summits on record", {"hu_jintao_2005_10"}),
    ("how many times did Xi Jinping meet Kim Jong Un",
     "summits · Xi Jinping and Kim Jong Un · count", "6 summits", {"kim_xi_summit_6"}),
    ("last Kim-Xi summit", "summits · Xi Jinping · last", "most recent summit",
     {"kim_xi_summit_6"}),
    ("first Kim-Xi summit", "summits · Xi Jinping · first", "first summit", {"kim_xi_summit_1"}),
    ("how many Kim-Xi summits", "summits · Xi Jinping · count", "6 summits", set()),
    ("last summit during Hu Jintao's tenure", "summits · during Hu Jintao's tenure · last",
     "most recent summit", {"kji_trip_7"}),
    ("days since the last summit", "summits · since", "456 days since", {"kim_xi_summit_6"}),
    # -- visits: last / first ------------------------------------------------------------
    ("when did Kim Jong Un last visit China", "visits · Kim Jong Un → China · last · when",
     "most recent", {"kim_xi_summit_6"}),
    ("when did Kim Jong Un first visit China", "visits · Kim Jong Un → China · first · when",
     "first high-level visit", {"kim_xi_summit_1"}),
    ("most recent high-level visit", "visits · last", "most recent", {"wang_yi_2026_04"}),
    ("last visit", "visits · last", "most recent", {"wang_yi_2026_04"}),
    ("who was the last Chinese leader to visit Pyongyang",
     "visits · → North Korea · leader-level · last · who", "leader-level", {"li_qiang_2025_10"}),
    ("first Chinese premier to visit Pyongyang", "visits · → North Korea · leader-level · first",
     "first leader-level", {"zhou_enlai_1958"}),
    ("days since the last visit to Pyongyang", "visits · → North Korea · since", "237 days",
     {"wang_yi_2026_04"}),
    # -- visits: list / count ------------------------------------------------------------
    ("visits in 2010", "visits · 2010 · list", "9 high-level visits on record in 2010",
     {"kji_trip_5", "dai_bingguo_2010_12"}),
    ("how many visits in 2010", "visits · 2010 · count", "9 high-level visits", set()),
    ("Hu Jintao visit to Pyongyang", "visits · Hu Jintao → North Korea · list",
     "1 high-level visit", {"hu_jintao_2005_10"}),
    ("Li Qiang visit to Pyongyang", "visits · Li Qiang → North Korea · list", "1 high-level",
     {"li_qiang_2025_10"}),
    ("Wang Yi visits", "visits · Wang Yi · list", "3 high-level visits", {"wang_yi_2018"}),
    ("Kim Jong Il visits to China during Hu's tenure",
     "visits · Kim Jong Il → China · during Hu Jintao's tenure · list", "6 high-level visits",
     {"kji_trip_3", "kji_trip_7"}),
    ("how many Kim Jong Il visits to China during Hu Jintao's tenure",
     "visits · Kim Jong Il → China · during Hu Jintao's tenure · count", "6 high-level", set()),
    ("how many times did Kim Il Sung visit China", "visits · Kim Il Sung → China · count",
     "15 high-level visits", {"kim_il_sung_1953"}),
    ("Kim Il Sung visits to China in the 1980s",
     "visits · Kim Il Sung → China · the 1980s · list", "5 high-level visits",
     {"kim_il_sung_1982"}),
    ("how many leader-level visits since 2000", "visits · leader-level · since 2000 · count",
     "18 leader-level visits", set()),
    ("visits before 1960", "visits · before 1960 · list", "5 high-level visits",
     {"kim_il_sung_1953"}),
    ("Chinese visits to North Korea in 2018", "visits · → North Korea · 2018 · list",
     "3 high-level visits", {"wang_yi_2018", "li_zhanshu_2018"}),
    ("who visited Pyongyang in 2023", "visits · → North Korea · 2023 · list · who",
     "2 high-level visits", {"li_hongzhong_2023_07", "liu_guozhong_2023_09"}),
    ("visits to Dalian", "visits · in Dalian · list", "high-level visits on record in Dalian",
     {"kim_xi_summit_2"}),
    ("how many visits in Hu era", "visits · during Hu Jintao's tenure · count",
     "high-level visits on record during Hu Jintao's tenure", set()),
    # -- visits: longest / shortest / duration / most / fewest / compare -----------------
    ("longest visit by Kim Jong Il", "visits · Kim Jong Il · longest", "12 days",
     {"kim_jong_il_1983"}),
    ("shortest visit by Kim Jong Il", "visits · Kim Jong Il · shortest", "3 days",
     {"kim_jong_il_1987"}),
    ("longest Kim Jong Un trip", "visits · Kim Jong Un · longest", "4 days, a tie between 2",
     {"kim_xi_summit_1", "kim_xi_summit_4"}),
    ("how long was Kim Jong Il's 2006 trip", "visits · Kim Jong Il · 2006 · duration · how long",
     "9 days", {"kji_trip_4"}),
    ("which year had the most visits", "visits · most by year · when", "2010, 2018 (9)", set()),
    ("which year had the fewest visits since 2000",
     "visits · since 2000 · fewest by year · when", "Fewest", set()),
    ("who visited China most often", "visits · → China · most by visitor · who",
     "Kim Il Sung (15)", set()),
    ("who visited North Korea most often", "visits · → North Korea · most by visitor · who",
     "Wang Jiarui (5)", set()),
    ("compare visits in 2010 and 2018", "visits · 2010 vs 2018 · compare",
     "2010: 9 high-level visits", set()),
    # -- tests ------------------------------------------------------------------------------
    ("which test had the longest wait for a visit", "tests · longest by gap · how long",
     "fifth nuclear test", {"test_5", "post_test_5"}),
    ("which test had the shortest wait for a visit", "tests · shortest by gap · how long",
     "9 days", {"test_1", "post_test_1"}),
    ("visits between the 2009 test and the 2013 test",
     "tests · the 2009 test and the 2013 test · between", "1,359 days", {"test_2", "test_3"}),
    ("how many days between the first and second tests", "tests · test 1 and test 2 · between",
     "959 days between the first test", {"test_1", "test_2"}),
    ("how many nuclear tests under Kim Jong Un", "tests · during Kim Jong Un's tenure · count",
     "4 nuclear tests", {"test_3", "test_6"}),
    ("how many nuclear tests during Kim Jong Il's rule",
     "tests · during Kim Jong Il's tenure · count", "2 nuclear tests", {"test_1", "test_2"}),
    # -- trade, sanctions, events ---------------------------------------------------------
    ("trade in 2019", "trade · 2019 · list", "US$2.79 billion", {"trade_2019"}),
    ("highest trade year", "trade · most", "highest", {"trade_2013"}),
    ("lowest trade year", "trade · fewest", "lowest", {"trade_2021"}),
    ("compare trade 2019 and 2023", "trade · 2019 vs 2023 · compare", "2019", {"trade_2023"}),
    ("last UN resolution", "sanctions · resolution · last", "most recent resolution",
     {"veto_2022_05_26"}),
    ("how many resolutions in 2017", "sanctions · resolution · 2017 · count", "resolutions on",
     {"unscr_2371"}),
    ("vetoes", "sanctions · veto · list", "2 vetoes", {"veto_2022_05_26"}),
    ("last anniversary", "events · anniversary · last", "most recent anniversary", set()),
    # -- names in Hangul and Chinese characters ---------------------------------------------
    ("김정은 방중", "visits · Kim Jong Un → China · list", "5 high-level visits",
     {"kim_xi_summit_6"}),
    ("김정은의 마지막 방중", "visits · Kim Jong Un → China · last", "most recent",
     {"kim_xi_summit_6"}),
    ("김정은", "visits · Kim Jong Un · list", "5 high-level visits", {"kim_xi_summit_1"}),
    ("최선희 방중", "visits · Choe Son Hui → China · list", "1 high-level visit",
     {"choe_son_hui_2025_09"}),
    ("왕이 평양 방문", "visits · Wang Yi → North Korea · list", "3 high-level visits",
     {"wang_yi_2019"}),
    ("金正恩访华几次", "visits · Kim Jong Un → China · count", "5 high-level visits", set()),
    ("習近平訪朝", "visits · Xi Jinping → North Korea · list", "2 high-level visits",
     {"kim_xi_summit_5"}),
    ("习近平 visits to Pyongyang", "visits · Xi Jinping → North Korea · list",
     "2 high-level visits", {"xi_jinping_2008_06"}),
    # -- other romanisations ------------------------------------------------------------
    ("Kim Chong-il trips to China", "visits · Kim Jong Il → China · list", "10 high-level",
     {"kji_trip_1"}),
    ("Kim Chŏng-il visits to China", "visits · Kim Jong Il → China · list", "10 high-level",
     set()),
    ("Teng Hsiao-p'ing visits to Pyongyang", "visits · Deng Xiaoping → North Korea · list",
     "2 high-level visits", {"deng_xiaoping_1978"}),
    # -- typos (up to two edits), squashed and shouted ---------------------------------
    ("how many times did Hu Jintoa meet Kim Jong Il",
     "summits · Hu Jintao and Kim Jong Il · count", "6 summits", set()),
    ("Xi Jinpign visit to Pyongyang", "visits · Xi Jinping → North Korea · list",
     "2 high-level visits", set()),
    ("which test had the longset wait for a vsit", "tests · longest by gap · how long",
     "fifth nuclear test", set()),
    ("KIM JONG UN LAST VISIT TO CHINA", "visits · Kim Jong Un → China · last", "most recent",
     {"kim_xi_summit_6"}),
    ("kimjongun last visit china", "visits · Kim Jong Un → China · last", "most recent", set()),
    ("hujintao visit to pyongyang", "visits · Hu Jintao → North Korea · list", "1 high-level",
     {"hu_jintao_2005_10"}),
    ("HOW MANY VISITS IN 2010", "visits · 2010 · count", "9 high-level visits", set()),
]


@pytest.mark.parametrize(("question", "understood", "says", "ids"), CASES,
                         ids=[c[0] for c in CASES])
def test_composed_question(engine, question, understood, says, ids):
    a = engine.ask(question, today=TODAY)
    assert a.found, a.answer
    assert a.understood == understood
    assert says in a.answer.splitlines()[0]
    got = {s.id for s in a.sources}
    assert ids <= got, got
    assert a.sources and all(s.url or s.quote for s in a.sources)


def test_enough_composed_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize("question", [
    "visits in 2010", "when did Kim Jong Un last visit China", "last Kim-Xi summit",
    "most recent high-level visit"])
def test_record_answers_say_how_complete_and_how_fresh(engine, question):
    text = engine.ask(question, today=TODAY).answer
    assert "checked through April 10, 2026" in text
    assert "complete" in text or "selective" in text
    assert "236 days before December 2, 2026" in text  # older than 90 days: said so


def test_the_2018_2025_summits_and_the_articles_statement_are_both_dated(engine):
    text = engine.ask("Kim-Xi summits", today=TODAY).answer
    assert "6 Kim Jong Un–Xi Jinping summits on record, in 2018–2025" in text
    assert "The article (March 2017) noted there had been no such summit" in text
    assert "checked through April 10, 2026; the list of summits is complete for 2000–2026" in text


def test_a_person_is_named_with_their_role(engine):
    text = engine.ask("Choe Son Hui", today=TODAY).answer
    assert text.startswith("Choe Son Hui (") and "Foreign Minister" in text.splitlines()[0]


def test_an_era_without_a_rate_says_what_the_record_holds_and_computes_none(engine):
    a = engine.ask("visits in Deng era", today=TODAY)
    assert not a.found
    assert "high-level visits in the Deng Xiaoping era" in a.answer
    assert "selective, not complete, so no rate is computed" in a.answer


@pytest.mark.parametrize("question", [
    "'; DROP TABLE visits; --", "the", "visits by Donald Trump", "; -- visits", "table"])
def test_meaningless_matches_are_not_found_and_suggest_what_is_held(engine, question):
    a = engine.ask(question, today=TODAY)
    assert not a.found
    assert a.suggestions


def test_suggestions_come_from_the_knowledge_base(engine):
    a = engine.ask("visits by Choe Ryong Hea yesterday at noon in Paris", today=TODAY)
    pool = engine.suggestions_pool()
    assert "visits by Choe Ryong Hae" in pool and "visits in 2025" in pool
    assert set(a.suggestions) <= set(pool)


def test_filters_are_parameterized_never_pasted():
    """A place or name from the question reaches SQLite as a parameter, not as SQL text."""
    plan = Plan("visits", place="Dalian'; DROP TABLE visits; --")
    conds, params = plan.where(TODAY)
    assert "DROP" not in " ".join(conds) and "DROP" in params["place"]
    assert all(f.sql.count("'") in (0, 2) for f in FILTERS.values())


def test_a_hostile_place_changes_nothing(engine, kb_path):
    before = engine.store.row_counts()
    engine.ask("visits in Dalian'; DROP TABLE visits; --", today=TODAY)
    assert engine.store.row_counts() == before


def test_existing_intents_keep_their_answers(engine):
    """The planner leaves the article's rate answers and the test-gap answers alone."""
    assert engine.ask("visits in Hu era", today=TODAY).intent == "era_rate"
    assert engine.ask("days after 2009 test", today=TODAY).intent == "test_gap"
    assert engine.ask("Kim Jong Il trips to China", today=TODAY).intent == "topic:kji_trips"
    assert engine.ask("compare Hu and Xi", today=TODAY).intent == "era_compare"
