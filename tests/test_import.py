"""Importing a complete visit list (synthetic, clearly labelled) and computing rates from it."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from bot.engine import Engine
from bot.errors import DataError, UsageError
from knowledge.importer import import_visits, parse_mapping
from knowledge.store import KnowledgeStore

# SYNTHETIC test data: invented visits, not a real record.
SYNTHETIC = [
    ("Date", "Who", "Dir", "Summit"),
    ("2003-01-10", "Synthetic visitor A", "CN->KP", "yes"),
    ("2004-04-19", "Synthetic visitor B", "KP->CN", "yes"),
    ("2005-10-28", "Synthetic visitor C", "China to North Korea", "no"),
    ("2008-06-17", "Synthetic visitor D", "KP->CN", "no"),
    ("2010-05-03", "Synthetic visitor E", "KP->CN", "yes"),
    ("2012-07-30", "Synthetic visitor F", "CN->KP", "no"),
]
MAP = ["Date=start_date", "Who=visitor", "Dir=direction", "Summit=summit"]


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture
def imported(tmp_path, data_copy):
    src = write(tmp_path / "synthetic_visits.csv", SYNTHETIC)
    db = tmp_path / "kb.db"
    result = import_visits(src, data_dir=data_copy, db_path=db, mapping=parse_mapping(MAP),
                           label="Synthetic test list", source="generated for tests",
                           covers_from=date(2002, 11, 15), covers_to=date(2012, 11, 15),
                           synthetic=True)
    return db, data_copy, result


def test_import_registers_coverage_and_rows(imported):
    db, data_dir, result = imported
    assert result["rows"] == 6
    store = KnowledgeStore(db)
    [info] = store.imports()
    assert (info.covers_from, info.covers_to, info.synthetic, info.row_count) == (
        "2002-11-15", "2012-11-15", 1, 6)
    assert (data_dir / "imports" / "synthetic_test_list.csv").exists()


def test_counts_inside_coverage_and_none_outside(imported):
    store = KnowledgeStore(imported[0])
    c = store.count_visits(date(2002, 11, 15), date(2012, 11, 15))
    assert (c.visits, c.summits) == (6, 3)
    assert store.count_visits(date(2000, 1, 1), date(2012, 11, 15)) is None


def test_era_answer_shows_counted_rates_and_says_which(imported):
    engine = Engine(KnowledgeStore(imported[0]), summit_weight=2)
    a = engine.ask("visits in Hu era", today=date(2026, 11, 28))
    assert a.answer.startswith("6.6 high-level visits a year")  # the article's figure first
    assert "Counted from the imported list 'Synthetic test list'" in a.answer
    assert "6 high-level visits, 3 of them summits, over 10.0 years" in a.answer
    assert "0.60 a year unweighted, 0.90 weighted (summits counted 2×)" in a.answer
    assert any(s.kind == "imported" for s in a.sources)


def test_era_without_article_figure_answers_from_import(tmp_path, data_copy):
    src = write(tmp_path / "v.csv", SYNTHETIC)
    db = tmp_path / "kb.db"
    import_visits(src, data_dir=data_copy, db_path=db, mapping=parse_mapping(MAP),
                  label="Synthetic Jiang list", covers_from=date(1989, 6, 24),
                  covers_to=date(2012, 12, 31), synthetic=True)
    a = Engine(KnowledgeStore(db)).ask("visits in Jiang era", today=date(2026, 11, 28))
    assert a.found and "The article gives no visit-rate figure for the Jiang Zemin era" in a.answer
    assert "Counted from the imported list 'Synthetic Jiang list'" in a.answer


@pytest.mark.parametrize("rows,message", [
    ([("Date", "Who"), ("2003-01-10", "X")], "no column for direction"),
    ([*SYNTHETIC[:2], ("2003-02-30", "X", "CN->KP", "no")], "start_date: '2003-02-30' is not"),
    ([*SYNTHETIC[:2], ("2003-02-01", "X", "sideways", "no")], "direction: 'sideways'"),
    ([*SYNTHETIC[:2], ("2003-02-01", "X", "CN->KP", "maybe")], "summit: 'maybe'"),
    ([SYNTHETIC[0]], "no rows to import"),
])
def test_bad_import_changes_nothing(tmp_path, data_copy, rows, message):
    from knowledge.build import build

    db = tmp_path / "kb.db"
    build(db, data_copy)
    before = db.read_bytes()
    src = write(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError, match=message):
        import_visits(src, data_dir=data_copy, db_path=db, mapping=parse_mapping(MAP))
    assert db.read_bytes() == before
    assert not (data_copy / "imports.csv").exists()


def test_rows_outside_declared_coverage_are_rejected(tmp_path, data_copy):
    src = write(tmp_path / "v.csv", SYNTHETIC)
    with pytest.raises(DataError, match="outside the import's period"):
        import_visits(src, data_dir=data_copy, db_path=tmp_path / "kb.db",
                      mapping=parse_mapping(MAP), covers_from=date(2004, 1, 1))


def test_bad_mapping_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown field 'when'"):
        parse_mapping(["Date=when"])
