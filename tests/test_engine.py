"""Answers: the figure first, sources behind it, nothing invented, bad input handled."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.conftest import TODAY


def ask(engine, q, today=TODAY):
    return engine.ask(q, today=today)


@pytest.mark.parametrize("question,first_words,source_ids", [
    ("visits in Hu era", "6.6 high-level visits a year", {"rate_hu"}),
    ("Xi era", "1.25 high-level visits a year", {"rate_xi"}),
    ("KJU period", "1.8 high-level visits a year", {"rate_kim_jong_un"}),
    ("days after 2013 test", "99 days", {"test_3", "post_test_3"}),
    ("days after first test", "Within 11 days, per the article; 9 days on the public record",
     {"test1_envoy_within_11_days", "post_test_1"}),
    ("days after the fifth test", "None as of March 2017, per the article",
     {"test5_no_visit_since", "post_test_5"}),
    ("average days between a test and a visit", "120 days on average",
     {"tests_2_to_5_average_120_days"}),
    ("coal cap", "One million metric tons for December 2016", {"unscr_2321_coal_cap"}),
    ("coal ban", "Announced on February 18, 2017", {"coal_ban_announced", "china_coal_ban_2017"}),
    ("Kim Jong Il trips to China", "Eight", {"kji_eight_trips", "kji_trip_8"}),
    ("Kim Xi summits", "6 Kim Jong Un–Xi Jinping summits", {"kim_xi_summit_6"}),
])
def test_figure_first_with_sources(engine, question, first_words, source_ids):
    a = ask(engine, question)
    assert a.found
    assert a.answer.startswith(first_words)
    assert source_ids <= {s.id for s in a.sources}
    for s in a.sources:
        assert s.quote or s.url, s


def test_days_since_last_test_uses_injected_today(engine):
    a = ask(engine, "days since the last nuclear test")
    assert a.answer.startswith("3,373 days since the last nuclear test on record")
    assert a.values["days"] == 3373 and a.as_of == "2026-11-28"
    assert ask(engine, "days since the last test", date(2017, 9, 4)).values["days"] == 1


def test_year_with_two_tests_answers_both(engine):
    a = ask(engine, "days after 2016 test")
    assert "fourth nuclear test" in a.answer and "fifth nuclear test" in a.answer
    assert set(a.values) == {"test_4", "test_5"}


def test_article_and_record_differ_both_cited(engine):
    a = ask(engine, "Ri Kil Song")
    assert "the March 1 visit" in a.answer and "February 28, 2017" in a.answer
    kinds = {s.kind for s in a.sources}
    assert kinds == {"article", "public_record"}


@pytest.mark.parametrize("question,reason", [
    ("visits in Deng era", "The article gives no visit-rate figure for the Deng Xiaoping era"),
    ("visits in Mao era", "no visit-rate figure for the Mao Zedong era"),
    ("days after 2020 test", "No nuclear test on record in 2020"),
    ("days after the ninth test", "There is no ninth nuclear test on record"),
    ("visits in 1850", "1850 is outside the years"),
    ("visits on February 30, 2016", "is not a real date"),
    ("weather in Pyongyang today", "Nothing in the knowledge base matches"),
])
def test_unknowns_are_said_plainly(engine, question, reason):
    a = ask(engine, question)
    assert not a.found
    assert reason in a.answer
    assert 1 <= len(a.suggestions) <= 3


def test_unknown_era_lists_known_rates_and_invents_nothing(engine):
    a = ask(engine, "visits in Deng era")
    for rate in ("6.6", "4.8", "1.8", "1.25"):
        assert rate in a.answer
    assert "Deng Xiaoping 0" not in a.answer and "estimate" not in a.answer


def test_most_visits_is_not_claimed(engine):
    a = ask(engine, "which era had the most visits")
    assert a.answer.startswith("The article does not say which era had the most visits")


HOSTILE = [
    "", "   ", "x" * 10_000, "🙂🙂🙂", "\u200b\u200b", "\u202e6002 ni stisiv",
    "'; DROP TABLE facts; --", "\" OR 1=1 --", "coal* NEAR(ban)", "%s%s%n {0} {__class__}",
    "@everyone visits in Hu era", "<@123> <@&456> <#789>", "**bold** [link](http://x.y)",
    "February 30", "visits in 99999", "visits in 0001", "북한 방문", "中国 朝鲜 访问",
    "\x00\x01\x02", "NEAR AND OR NOT", "\"\"\"\"", "-- /* */",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_safe(engine, kb_path, text):
    before = hashlib.sha256(kb_path.read_bytes()).hexdigest()
    a = ask(engine, text)
    d = a.to_dict()
    assert set(d) >= {"question", "intent", "found", "answer", "values", "sources",
                      "suggestions", "as_of"}
    assert isinstance(d["found"], bool) and d["answer"]
    assert len(d["question"]) <= 500
    assert "@everyone" not in a.answer
    assert hashlib.sha256(kb_path.read_bytes()).hexdigest() == before


def test_store_is_read_only(store):
    import sqlite3

    with pytest.raises(sqlite3.OperationalError):
        store._connect().execute("DELETE FROM facts")


def test_answer_to_dict_is_json_contract(engine):
    import json

    d = json.loads(json.dumps(ask(engine, "coal ban").to_dict()))
    assert d["intent"] == "topic:coal_ban" and d["found"] is True
    assert all(set(s) == {"id", "kind", "quote", "url"} for s in d["sources"])
    assert d["as_of"] == "2017-03"


def test_tenure_and_travel_answers(engine):
    a = engine.ask("when did kim jong il die", today=TODAY)
    assert a.answer.startswith("Kim Jong Il led North Korea from July 8, 1994 to December 17, 2011")
    a = engine.ask("Xi Jinping visit to Pyongyang", today=TODAY)
    assert "June 20, 2019 to June 21, 2019: Xi Jinping to North Korea (Pyongyang)" in a.answer
    a = engine.ask("how many visits in 2018", today=TODAY)
    assert a.answer.startswith("9 high-level visits on record in 2018:")
    assert a.understood == "visits · 2018 · count" and a.values["count"] == 9


def test_module_level_ask_contract(kb_path):
    from bot.engine import ask

    d = ask("visits in Hu era", today=TODAY, db_path=kb_path).to_dict()
    assert d["found"] is True and d["values"] == {"hu": 6.6}
