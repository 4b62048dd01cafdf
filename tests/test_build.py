"""The builder: sourced rows only, bad files rejected with file:line, atomic and deterministic."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from bot.errors import DataError
from knowledge.build import ARTICLE_PATH, DATA_DIR, build, ensure_built, is_stale
from knowledge.store import KnowledgeStore

ARTICLE = ARTICLE_PATH.read_text(encoding="utf-8")


def rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_article_is_the_shared_seed():
    # The shipped copy must stay the article itself, byte for byte.
    digest = hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert digest == "875478bb5b0837ee8583987f5aa1fc492b3f2419d8da5e0d7604c51f8c36d678"


@pytest.mark.parametrize("row", rows("facts.csv"), ids=lambda r: r["id"])
def test_every_article_quote_is_verbatim(row):
    assert row["source_kind"] == "article"
    assert row["quote"] and row["quote"] in ARTICLE


@pytest.mark.parametrize("name", ["eras.csv", "tests.csv", "sanctions.csv", "visits.csv",
                                  "facts.csv"])
def test_every_row_has_a_source(name):
    for row in rows(name):
        has = row.get("quote") or row.get("source_url") or row.get("source_name")
        assert has, f"{name} row {row.get('id') or row.get('n')} has no source"
        if row.get("source_url"):
            assert all(u.strip().startswith(("http://", "https://"))
                       for u in row["source_url"].split(" ; "))


def test_row_counts(kb_path):
    """Every data row is built, none twice; facts add the article's rows beside facts.csv."""
    counts = KnowledgeStore(kb_path).row_counts()
    for table in ("eras", "tests", "visits", "sanctions", "events", "trade", "people"):
        assert counts[table] == len(rows(f"{table}.csv")), table
    assert counts["facts"] == len(rows("facts.csv")) > 50
    assert counts["imports"] == counts["imported_visits"] == 0
    assert counts["visits"] >= 100 and counts["tests"] == 6


def test_database_is_typed_indexed_and_searchable(kb_path):
    conn = sqlite3.connect(kb_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    indexes = {r[1] for r in conn.execute("SELECT * FROM sqlite_master WHERE type='index'")}
    assert "idx_visits_start_date" in indexes and "idx_facts_topic" in indexes
    fks = conn.execute("PRAGMA foreign_key_list(facts)").fetchall()
    assert {fk[2] for fk in fks} == {"eras", "tests"}
    assert conn.execute("SELECT count(*) FROM search_index_fts").fetchone()[0] > 90


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    lines = [ln for ln in conn.iterdump() if "'built_at'" not in ln]
    conn.close()
    return lines


def test_build_is_deterministic(tmp_path):
    build(tmp_path / "a.db")
    build(tmp_path / "b.db")
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")


BAD_EDITS = [
    # (file, row index, field, new value, expected message part)
    ("tests.csv", 0, "date", "2006-13-09", "tests.csv:2: date"),
    ("tests.csv", 1, "date", "2009-02-30", "not a real date"),
    ("facts.csv", 0, "quote", "Since 1953 there have been 162 officially documented",
     "facts.csv:2: quote: not found verbatim in the article"),
    ("facts.csv", 3, "quote", "", "facts.csv:5: quote: an article fact needs a verbatim quote"),
    ("facts.csv", 6, "era_id", "deng_xiao", "facts.csv:8: era_id: unknown era 'deng_xiao'"),
    ("facts.csv", 2, "id", "visits_total_since_1953", "duplicate id 'visits_total_since_1953'"),
    ("visits.csv", 0, "source_url", "", "visits.csv:2: source_url: a public-record row needs"),
    ("visits.csv", 0, "direction", "north", "visits.csv:2: direction"),
    ("visits.csv", 9, "after_test", "9", "visits.csv:11: test: unknown nuclear test 9"),
    ("eras.csv", 0, "start_date", "", "eras.csv:2: start_date: is empty"),
    ("sanctions.csv", 0, "confidence", "sure", "sanctions.csv:2: confidence"),
]


@pytest.mark.parametrize("file,index,field,value,message", BAD_EDITS)
def test_bad_data_is_rejected_and_old_database_kept(data_copy, tmp_path, file, index, field,
                                                    value, message):
    db = tmp_path / "kb.db"
    build(db, data_copy)
    before = db.read_bytes()
    path = data_copy / file
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, data = reader.fieldnames, list(reader)
    data[index][field] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows(data)
    with pytest.raises(DataError) as err:
        build(db, data_copy)
    assert message in str(err.value)
    assert db.read_bytes() == before
    assert not list(tmp_path.glob(".kb.db.*"))  # no temporary file left behind


def test_missing_column_is_named(data_copy, tmp_path):
    text = (data_copy / "tests.csv").read_text().replace("source_url,", "src,", 1)
    (data_copy / "tests.csv").write_text(text)
    with pytest.raises(DataError, match=r"tests.csv:1: header: missing column\(s\) source_url"):
        build(tmp_path / "kb.db", data_copy)


def test_open_reader_sees_a_rebuilt_file(data_copy, tmp_path):
    db = tmp_path / "kb.db"
    build(db, data_copy)
    store = KnowledgeStore(db)
    assert store.fact("interests_do_not_overlap") is not None
    text = (data_copy / "facts.csv").read_text(encoding="utf-8")
    kept = [ln for ln in text.splitlines() if not ln.startswith("interests_do_not_overlap,")]
    (data_copy / "facts.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    build(db, data_copy)
    assert store.fact("interests_do_not_overlap") is None
    assert store.row_counts()["facts"] == 58


def test_ensure_built_builds_when_missing_or_stale(data_copy, tmp_path):
    db = tmp_path / "kb.db"
    assert is_stale(db, data_copy)
    assert ensure_built(db, data_copy) is True
    assert ensure_built(db, data_copy) is False
    (data_copy / "tests.csv").touch()
    import os

    st = db.stat()
    os.utime(data_copy / "tests.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert is_stale(db, data_copy)
    assert ensure_built(db, data_copy) is True


def test_metadata_records_hashes_counts_and_as_of(kb_path):
    meta = KnowledgeStore(kb_path).metadata()
    assert meta["article_as_of"] == "2017-03"
    hashes = json.loads(meta["source_hashes"])
    assert set(hashes) >= {"facts.csv", "visits.csv", "article.txt"}


def test_datasette_metadata_describes_every_table(kb_path):
    meta = json.loads((DATA_DIR.parent / "metadata.json").read_text())
    tables = meta["databases"]["knowledge"]["tables"]
    conn = sqlite3.connect(kb_path)
    real = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%fts%' "
        "AND name NOT LIKE 'sqlite_%'")}
    assert real <= set(tables), real - set(tables)
    assert all(t.get("description") for t in tables.values())
