"""The benchmark harness on a tiny size, so `make bench` cannot rot (CI never runs the full
bench). Every part runs: engine, raw SQL, Datasette (when installed), cold start, the bot
against the Discord stand-in, and scale with 200 synthetic visits."""

from __future__ import annotations

import json
import sqlite3

import pytest

from bench import run
from bench.queries import SQL, example_questions
from bench.stats import growth_exponent, percentile
from bench.synth import make_data_dir
from knowledge.build import build
from knowledge.store import KnowledgeStore


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_out")
    code = run.main(["--sizes", "200,400", "--rounds", "2", "--datasette-rounds", "1",
                     "--scale-rounds", "1", "--lookup-rounds", "3", "--cold-runs", "1",
                     "--bot-starts", "1", "--answers", "20", "--check-rounds", "2",
                     "--out", str(out)])
    assert code == 0
    assert (out / "report.md").read_text().startswith("# Benchmark report")
    return json.loads((out / "results.json").read_text())


def test_every_part_reports(results):
    sh = results["shipped"]
    assert sh["by_intent"]["overall"]["n"] == 2 * len(example_questions())
    assert {"era_rate", "test_gap", "search", "plan:visits:list"} <= set(sh["by_intent"])
    assert sh["engine_to_sql"] > 0
    assert set(results["cold_start"]) >= {"dandong ask --json"}
    assert set(results["scale"]["sizes"]) == {"200", "400"}
    assert "visit by id" in results["scale"]["growth"]["lookups"]
    assert [t["name"] for t in results["targets"]][:2] == [
        "engine p99, shipped knowledge base", "engine median ÷ raw-SQL median"]


def test_fact_check_is_measured(results):
    chk = results["shipped"]["check"]
    assert chk["words"] == 2000 and chk["claims"] > 10 and chk["timing"]["n"] == 2
    assert chk["heldout"]["total"] >= 25
    assert any(t["name"].startswith("fact-check a 2,000-word draft") for t in results["targets"])


def test_datasette_serves_the_same_rows(results):
    ds = results["shipped"]["datasette"]
    if "skipped" in ds:
        pytest.skip(ds["skipped"])
    assert ds["row_count_mismatches"] == []
    assert ds["overall"]["n"] == len(example_questions())


def test_bot_starts_and_answers(results):
    bot = results["bot"]
    if "skipped" in bot:
        pytest.skip(bot["skipped"])
    assert bot["identify_s"]["n"] == 1
    mem = bot["memory"]
    assert mem["answers"] == 20 and mem["failures"] == 0
    assert mem["rss"][0]["rss_kb"] > 0


def test_every_question_has_hand_written_sql_that_runs(kb_path):
    conn = sqlite3.connect(kb_path)
    for q in example_questions():
        sql, params = SQL[q]
        conn.execute(sql, params).fetchall()


def test_synthetic_data_is_labelled_and_kept_apart(tmp_path):
    data = make_data_dir(tmp_path, 50)
    build(tmp_path / "kb.db", data)
    [info] = KnowledgeStore(tmp_path / "kb.db").imports()
    assert info.synthetic == 1 and info.row_count == 50 and "SYNTHETIC" in info.label
    assert data.parent == tmp_path


@pytest.mark.parametrize("sizes, times, slope", [
    ([10, 100, 1000], [1.0, 10.0, 100.0], 1.0),
    ([10, 100, 1000], [2.0, 2.0, 2.0], 0.0),
])
def test_growth_exponent(sizes, times, slope):
    assert growth_exponent(sizes, times) == pytest.approx(slope)


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 99) == 99 and percentile(values, 50) == 50
