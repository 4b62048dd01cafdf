"""Parsing: tables of everyday phrasing -> intent and slots."""

from __future__ import annotations

import pytest

from tests.conftest import TODAY

CASES = [
    # (question, intent, eras, tests, topic)
    ("visits in Hu era", "era_rate", ("hu",), (), None),
    ("Hu Jintao period", "era_rate", ("hu",), (), None),
    ("how often under Xi", "era_rate", ("xi",), (), None),
    ("KJU period", "era_rate", ("kim_jong_un",), (), None),
    ("Kim Jong-un's visits", "era_rate", ("kim_jong_un",), (), None),
    ("kim jong un period", "era_rate", ("kim_jong_un",), (), None),
    ("visits under KJI", "era_rate", ("kim_jong_il",), (), None),
    ("Hu vs Xi", "era_compare", ("hu", "xi"), (), None),
    ("compare Hu and Xi", "era_compare", ("hu", "xi"), (), None),
    ("visits in the current period", "era_compare", ("xi", "kim_jong_un"), (), None),
    ("which era had the fewest visits", "era_rank", (), (), None),
    ("lowest frequency of exchanges ever", "era_rank", (), (), None),
    ("total high-level visits since 1953", "visits_total", (), (), "visits_total"),
    ("how many visits altogether", "visits_total", (), (), "visits_total"),
    ("days after 2009 test", "test_gap", (), (-200900,), None),
    ("gap after the third test", "test_gap", (), (3,), None),
    ("days after 2nd test", "test_gap", (), (2,), None),
    ("days after the second nuclear test", "test_gap", (), (2,), None),
    ("who visited after the January 2016 test", "test_gap", (), (-201601,), None),
    ("envoy after test 1", "test_gap", (), (1,), None),
    ("deys after the 2013 tset", "test_gap", (), (-201300,), None),
    ("average days between a test and a visit", "test_gap_average", (), (), None),
    ("when was the fifth nuclear test", "test_date", (), (5,), None),
    ("2006 test date", "test_date", (), (-200600,), None),
    ("nuclear tests", "test_list", (), (), None),
    ("tests in 2016", "test_list", (), (-201600,), None),
    ("days since the last nuclear test", "days_since_test", (), (-1,), None),
    ("how long since the 2009 test", "days_since_test", (), (-200900,), None),
    ("coal ban", "topic", (), (), "coal_ban"),
    ("UNSCR 2321 cap", "topic", (), (), "coal_cap"),
    ("how much coal did China import in December 2016", "topic", (), (),
     "coal_imports_december"),
    ("LPG", "topic", (), (), "lpg"),
    ("liquified petroleum gas", "topic", (), (), "lpg"),
    ("trade share", "topic", (), (), "trade_share"),
    ("Ri Kil Song", "topic", (), (), "ri_kil_song"),
    ("Kim Jong Il trips to China", "topic", ("kim_jong_il",), (), "kji_trips"),
    ("Kim–Xi summits", "topic", ("xi",), (), "summits"),
    ("what counts as a high-level visit", "topic", (), (), "definition"),
    ("DOJ case", "topic", (), (), "doj"),
    ("NK six-party talks", "topic", (), (), "six_party"),
    ("Tang Jiaxuan", "person", (), (), None),
    ("visits in May 2010", "visits_in_period", (), (), None),
    ("what happened in 2017", "events_in_period", (), (), None),
    ("visits in 1850", "bad_date", (), (), None),
    ("visits on February 30, 2016", "bad_date", (), (), None),
    ("", "empty", (), (), None),
    ("weather in Pyongyang today", "search", (), (), None),
]


@pytest.mark.parametrize("question,intent,eras,tests,topic", CASES)
def test_parse(engine, question, intent, eras, tests, topic):
    q = engine.parser.parse(question, TODAY)
    assert (q.intent, q.eras, q.tests, q.topic) == (intent, eras, tests, topic)


@pytest.mark.parametrize("question,label", [
    ("visits in May 2009", "May 2009"),
    ("visits in 2016", "2016"),
    ("visits between 2000 and 2011", "2000 to 2011"),
    ("events on 2016-09-09", "2016-09-09"),
    ("visits on March 25, 2018", "2018-03-25"),
])
def test_period_slots(engine, question, label):
    assert engine.parser.parse(question, TODAY).period.label == label


@pytest.mark.parametrize("raw,folded", [
    ("Kim Jong-un's visits?", "kim jong un visits"),
    ("KJU", "kim jong un"),
    ("DPRK", "north korea"),
    ("days after 2nd tset", "days after 2 nd test"),
    ("visits in \u202e6002", "visits in 6002"),
    ("vi\u200bsits in Hu era", "visits in hu era"),
    ("\uff56\uff49\uff53\uff49\uff54\uff53", "visits"),  # full-width letters (NFKC)
])
def test_normalize(engine, raw, folded):
    assert engine.parser.normalize(raw) == folded


def test_question_is_capped(engine):
    q = engine.parser.parse("coal ban " + "x" * 10_000, TODAY)
    assert len(q.text) <= 500


@pytest.mark.parametrize("question,intent,person", [
    ("Xi Jinping visit to Pyongyang", "person", "Xi Jinping"),
    ("Kim Jong Un trips to China", "person", "Kim Jong Un"),
    ("Choe Ryong Hae", "person", "Choe Ryong Hae"),
    ("when did kim jong il die", "era_tenure", "Kim Jong Il"),
    ("when did Xi come to power", "era_tenure", "Xi Jinping"),
    ("how many visits in 2018", "visits_in_period", None),
])
def test_people_and_tenures(engine, question, intent, person):
    q = engine.parser.parse(question, TODAY)
    assert q.intent == intent
    if intent == "person":
        assert q.person == person
