"""Topic rules and answer templates are data: a sourced fact with its question phrases is a
direct answer without a code change, and the build refuses topic rows it cannot fill."""

from __future__ import annotations

import csv

import pytest

from bot.engine import Engine
from bot.errors import DataError
from knowledge.build import build
from knowledge.store import KnowledgeStore
from tests.conftest import TODAY


def _append(path, row: dict) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    with open(path, "a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=header, lineterminator="\n").writerow(row)


def _engine(data_dir, tmp_path) -> Engine:
    db = tmp_path / "kb.db"
    build(db, data_dir)
    return Engine(KnowledgeStore(db))


FRIENDSHIP = {
    "id": "friendship_year_opening_2024", "topic": "friendship_year",
    "text": "China and North Korea opened their Friendship Year in Pyongyang in April 2024.",
    "source_kind": "public_record", "source_url": "https://example.org/friendship-year",
    "as_of": "2024-04", "confidence": "verified", "event_date": "2024-04",
    "match": "friendship year|year of friendship",
}

PORT_PHOTO = {
    "id": "dandong_port_photo", "topic": "port_photo",
    "text": "A photo in the article shows North Korean coal being moved at the port of Dandong.",
    "quote": "A worker at the Chinese port of Dandong, near the North Korean border, pauses",
    "source_kind": "article", "as_of": "2017-03", "confidence": "verified",
    "match": "port + dandong",
}


def test_a_new_public_record_fact_is_a_direct_answer(data_copy, tmp_path):
    before = _engine(data_copy, tmp_path).ask("when was the friendship year", TODAY)
    assert before.intent != "topic:friendship_year"
    _append(data_copy / "facts.csv", FRIENDSHIP)
    answer = _engine(data_copy, tmp_path).ask("When was the Year of Friendship?", TODAY)
    assert answer.found and answer.intent == "topic:friendship_year"
    assert answer.answer.startswith(FRIENDSHIP["text"])
    assert "Basis: public record." in answer.answer
    assert [(s.id, s.url) for s in answer.sources] == [
        ("friendship_year_opening_2024", "https://example.org/friendship-year")]
    assert answer.as_of == "2024-04"


def test_a_new_article_fact_answers_with_its_quote(data_copy, tmp_path):
    _append(data_copy / "facts.csv", PORT_PHOTO)
    answer = _engine(data_copy, tmp_path).ask("the port of Dandong", TODAY)
    assert answer.intent == "topic:port_photo"
    assert answer.sources[0].kind == "article"
    assert answer.sources[0].quote == PORT_PHOTO["quote"]
    assert answer.as_of == "2017-03"


def test_a_fact_can_join_a_topic_that_has_a_template(data_copy, tmp_path):
    row = {**FRIENDSHIP, "id": "coal_ban_extra", "topic": "coal_ban", "match": "anthracite"}
    _append(data_copy / "facts.csv", row)
    answer = _engine(data_copy, tmp_path).ask("anthracite", TODAY)
    assert answer.intent == "topic:coal_ban"
    assert "coal_ban_extra" in [s.id for s in answer.sources]


@pytest.mark.parametrize("file, row, message", [
    ("topics.csv", {"id": "bad_lead", "lead": "See {fact:no_such_fact}."},
     "lead: {fact:no_such_fact}: no fact with id 'no_such_fact'"),
    ("topics.csv", {"id": "bad_field", "lead": "{sanction:unscr_2270.colour}"},
     "a sanction has no field 'colour'"),
    ("topics.csv", {"id": "bad_filter", "lead": "{sanction:unscr_2270.date|shout}"},
     "unknown filter 'shout'"),
    ("topics.csv", {"id": "bad_brace", "lead": "Figures {like this}"},
     "a brace that is not a placeholder"),
    ("topics.csv", {"id": "bad_fact", "facts": "no_such_fact"}, "facts: no fact with id"),
    ("topics.csv", {"id": "bad_record", "records": "no_such_row"},
     "records: no visit, sanction or event with id 'no_such_row'"),
    ("topic_rules.csv", {"topic": "nowhere", "match": "nowhere"},
     "topic: no topic 'nowhere' in topics.csv"),
    ("topic_rules.csv", {"topic": "lpg", "match": "LPG"}, "phrases are matched in lower case"),
    ("topic_rules.csv", {"topic": "lpg", "match": "gas + "}, "an empty phrase"),
    ("topic_rules.csv", {"topic": "lpg", "match": "lpg|liquefied petroleum|petroleum gas|"
                                                  "liquefied gas|gas"}, "the same rule twice"),
])
def test_the_build_refuses_topic_rows_it_cannot_use(data_copy, tmp_path, file, row, message):
    _append(data_copy / file, row)
    with pytest.raises(DataError) as exc:
        build(tmp_path / "kb.db", data_copy)
    assert message in str(exc.value)
    assert f"{file}:" in str(exc.value)
    assert not (tmp_path / "kb.db").exists()
