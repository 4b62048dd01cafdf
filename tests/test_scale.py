"""Counting visits from the per-day running totals gives exactly what counting the rows gives,
for any period, including its edges and a knowledge base built before the totals existed."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta

import pytest

from bench.synth import import_id, make_data_dir
from knowledge.build import build
from knowledge.store import KnowledgeStore

N = 3000
ROW_COUNT = ("SELECT count(*), coalesce(sum(summit), 0) FROM visits "
             "WHERE import_id = ? AND high_level = 1 AND start_date BETWEEN ? AND ?")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    path = folder / "knowledge.db"
    build(path, make_data_dir(folder, N))
    return path


def _periods(n: int, seed: int = 3):
    rng = random.Random(seed)
    first = date(1953, 1, 1)
    yield first, date(2026, 12, 31)  # the whole coverage
    yield date(2010, 5, 5), date(2010, 5, 5)  # one day
    yield date(2010, 5, 6), date(2010, 5, 5)  # empty: start after end
    for _ in range(n):
        a = first + timedelta(days=rng.randrange(27000))
        yield a, a + timedelta(days=rng.randrange(4000))


def test_counts_match_counting_the_rows(kb):
    store = KnowledgeStore(kb)
    conn = sqlite3.connect(kb)
    for start, end in _periods(300):
        if end > date(2026, 12, 31):
            assert store.count_visits(start, end) is None  # outside the coverage
            continue
        got = store.count_visits(start, end)
        want = conn.execute(ROW_COUNT, (import_id(N), start.isoformat(),
                                        end.isoformat())).fetchone()
        assert (got.visits, got.summits) == want, (start, end)


def test_a_knowledge_base_without_day_totals_still_counts(kb, tmp_path):
    old = tmp_path / "old.db"
    old.write_bytes(kb.read_bytes())
    with sqlite3.connect(old) as conn:
        conn.execute("DROP TABLE import_day_counts")
    new, legacy = KnowledgeStore(kb), KnowledgeStore(old)
    for start, end in _periods(20, seed=5):
        if end <= date(2026, 12, 31):
            assert legacy.count_visits(start, end) == new.count_visits(start, end)


def test_day_totals_run_per_list(kb):
    conn = sqlite3.connect(kb)
    rows = conn.execute("SELECT visits, summits, visits_to_date, summits_to_date "
                        "FROM import_day_counts ORDER BY day").fetchall()
    running = [0, 0]
    for visits, summits, v_total, s_total in rows:
        running = [running[0] + visits, running[1] + summits]
        assert [v_total, s_total] == running
