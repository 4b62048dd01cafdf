"""Warm latency: the engine answering each question, the hand-written SQL through sqlite3, and
single indexed store lookups. Every function returns raw samples (ns) keyed by name."""

from __future__ import annotations

import random
import sqlite3
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from bench.queries import Lookup
from bench.stats import summary
from bot.engine import Engine
from knowledge.store import KnowledgeStore

TODAY = date(2026, 11, 28)
WARMUP = 3


def engine_samples(engine: Engine, questions: list[str], rounds: int,
                   today: date = TODAY) -> dict[str, dict]:
    """question -> {intent, found, samples}; questions interleaved round by round."""
    out = {}
    for q in questions:
        for _ in range(WARMUP):
            answer = engine.ask(q, today)
        out[q] = {"intent": answer.intent, "found": answer.found, "samples": []}
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for q in questions:
            t0 = clock()
            engine.ask(q, today)
            out[q]["samples"].append(clock() - t0)
    return out


def api_samples(db_path: Path, questions: list[str], rounds: int,
                today: date = TODAY) -> dict[str, list[int]]:
    """question -> samples (ns) through the public `bot.engine.ask(question, today)`, with the
    knowledge base named the way users name it (DANDONG_DB), settings read on first use."""
    import os

    import bot.engine

    saved = os.environ.get("DANDONG_DB")
    os.environ["DANDONG_DB"] = str(db_path)
    bot.engine._configured.cache_clear()
    bot.engine._engines.clear()
    try:
        for q in questions:
            for _ in range(WARMUP):
                bot.engine.ask(q, today)
        out: dict[str, list[int]] = {q: [] for q in questions}
        clock = time.perf_counter_ns
        for _ in range(rounds):
            for q in questions:
                t0 = clock()
                bot.engine.ask(q, today)
                out[q].append(clock() - t0)
        return out
    finally:
        for engine in bot.engine._engines.values():
            engine.store.close()
        bot.engine._engines.clear()
        bot.engine._configured.cache_clear()
        if saved is None:
            os.environ.pop("DANDONG_DB", None)
        else:
            os.environ["DANDONG_DB"] = saved


def sql_samples(db_path: Path, lookups: list[Lookup], rounds: int) -> dict[str, dict]:
    """question -> {rows, samples}: the hand-written SQL on a read-only sqlite3 connection."""
    conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
    out = {}
    try:
        for lk in lookups:
            for _ in range(WARMUP):
                rows = conn.execute(lk.sql, lk.params).fetchall()
            out[lk.question] = {"rows": len(rows), "samples": []}
        clock = time.perf_counter_ns
        for _ in range(rounds):
            for lk in lookups:
                t0 = clock()
                conn.execute(lk.sql, lk.params).fetchall()
                out[lk.question]["samples"].append(clock() - t0)
    finally:
        conn.close()
    return out


def by_intent(per_question: dict[str, dict]) -> dict[str, dict]:
    """Samples pooled per intent, summarised; plus 'overall'."""
    pools: dict[str, list[int]] = defaultdict(list)
    for rec in per_question.values():
        pools[rec["intent"]] += rec["samples"]
        pools["overall"] += rec["samples"]
    return {intent: {**summary(s), "questions": sum(
        1 for r in per_question.values() if r["intent"] == intent or intent == "overall")}
        for intent, s in sorted(pools.items())}


# -- single indexed lookups, for the scale benchmark -------------------------------------------
HU_ERA = (date(2002, 11, 15), date(2012, 11, 15))
RAW_COUNT = ("SELECT count(*), coalesce(sum(summit), 0) FROM visits "
             "WHERE import_id = ? AND high_level = 1 AND start_date BETWEEN ? AND ?")


def lookup_samples(store: KnowledgeStore, import_id: str, n_visits: int, rounds: int,
                   seed: int = 11, budget_s: float = 3.0) -> dict[str, list[int]]:
    """Store calls that should cost O(log n): by id, by date, counts; and, for contrast, the
    count an analyst would write, which scans every visit in the range."""
    rng = random.Random(seed)
    days = [date(1953, 1, 1) + timedelta(days=rng.randrange(27000)) for _ in range(rounds)]
    ids = [f"{import_id}_{rng.randrange(1, n_visits + 1)}" for _ in range(rounds)]
    conn = store._connect()  # the store's own connection: same page cache as the engine
    s, e = HU_ERA
    calls = {
        "visit by id": lambda i: store.visit(ids[i]),
        "first visit after a day": lambda i: store.first_visit_after(days[i]),
        "last summit before a day": lambda i: store.last_visit_before(days[i], summit_only=True),
        "curated visits in a month": lambda i: store.visits_between(
            days[i].replace(day=1), days[i].replace(day=28)),
        "count visits in the Hu era": lambda i: store.count_visits(s, e),
        "count by scanning (raw SQL)": lambda i: conn.execute(
            RAW_COUNT, (import_id, s.isoformat(), e.isoformat())).fetchall(),
    }
    out: dict[str, list[int]] = {}
    clock = time.perf_counter_ns
    for name, call in calls.items():
        for i in range(WARMUP):
            call(i)
        samples: list[int] = []
        deadline = clock() + int(budget_s * 1e9)  # slow (linear) calls stop early
        for i in range(rounds):
            t0 = clock()
            call(i)
            samples.append(clock() - t0)
            if t0 > deadline and len(samples) >= 5:
                break
        out[name] = samples
    return out


def summarise_questions(per_question: dict[str, dict]) -> dict[str, dict]:
    """Drop raw samples, keep summaries (for results.json)."""
    return {q: {k: v for k, v in rec.items() if k != "samples"} | summary(rec["samples"])
            for q, rec in per_question.items()}
