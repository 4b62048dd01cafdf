"""`python -m bench.run` (`make bench`): every measurement of issue 7 in one run, written to
bench/out/results.json and bench/out/report.md and printed.

1. engine latency, warm, per intent and overall, on the shipped knowledge base;
2. the same facts by hand-written SQL through sqlite3 (the floor) and through Datasette;
3. cold start of `dandong ask`, and the bot's start to READY against the Discord stand-in;
4. scale: synthetic visit lists (10k, 100k, 1M): build time, file size, latency per intent,
   and how indexed lookups grow with size;
5. the bot's RSS after READY and while answering 10,000 questions;
6. fact-checking a 2,000-word draft (warm), and the verdict accuracy on the held-out claims.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import latency, report
from bench.machine import machine
from bench.queries import ROOT, example_questions, lookups
from bench.stats import growth_exponent, ratio, summary

DEFAULT_OUT = ROOT / "bench" / "out"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="synthetic visit-list sizes, comma-separated (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=300,
                    help="rounds over every question, engine and raw SQL (default: %(default)s)")
    ap.add_argument("--datasette-rounds", type=int, default=30, help="default: %(default)s")
    ap.add_argument("--scale-rounds", type=int, default=40,
                    help="rounds over every question at each size (default: %(default)s)")
    ap.add_argument("--lookup-rounds", type=int, default=300, help="default: %(default)s")
    ap.add_argument("--cold-runs", type=int, default=7, help="default: %(default)s")
    ap.add_argument("--bot-starts", type=int, default=3, help="default: %(default)s")
    ap.add_argument("--answers", type=int, default=10_000,
                    help="questions the bot answers for the memory check (default: %(default)s)")
    ap.add_argument("--check-rounds", type=int, default=50,
                    help="checks of the 2,000-word draft, warm (default: %(default)s)")
    ap.add_argument("--no-datasette", action="store_true", help="skip the Datasette comparison")
    ap.add_argument("--no-bot", action="store_true", help="skip the Discord bot measurements")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: bench/out")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    return ap.parse_args(argv)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


# -- 1 and 2: the shipped knowledge base -----------------------------------------------------
def shipped(work: Path, args: argparse.Namespace, questions: list[str]) -> tuple[dict, Path]:
    from bot.engine import Engine
    from knowledge.build import build
    from knowledge.store import KnowledgeStore

    kb = work / "shipped" / "knowledge.db"  # named so Datasette calls the database 'knowledge'
    _, build_s = timed(build, kb)
    log(f"shipped knowledge base built in {build_s:.2f} s; engine latency, {args.rounds} rounds")
    engine = Engine(KnowledgeStore(kb))
    eng = latency.engine_samples(engine, questions, args.rounds)
    log("composed questions (the query planner)")
    from bench.queries import COMPOSED_QUESTIONS

    comp = latency.engine_samples(engine, list(COMPOSED_QUESTIONS), args.rounds)
    log("bot.engine.ask(), the public entry point")
    api = latency.api_samples(kb, questions, args.rounds)
    log("raw SQL floor")
    lks = lookups(questions)
    sql = latency.sql_samples(kb, lks, args.rounds)
    for q, rec in sql.items():
        eng[q]["sql"] = rec
    out = {"build_s": build_s, "file_bytes": kb.stat().st_size, "rounds": args.rounds,
           "by_intent": latency.by_intent(eng),
           "sql_overall": summary(s for rec in sql.values() for s in rec["samples"])}
    out["datasette"] = datasette_part(kb, lks, eng, args)
    from bench.check import check_part

    log(f"fact-check: a 2,000-word draft, {args.check_rounds} rounds; held-out accuracy")
    out["check"] = check_part(kb, args.check_rounds)
    out["questions"] = {
        q: {"intent": rec["intent"], "found": rec["found"], "engine": summary(rec["samples"]),
            "sql": summary(rec["sql"]["samples"]), "sql_rows": rec["sql"]["rows"],
            **({"datasette": summary(rec["datasette"]["samples"]),
                "datasette_rows": rec["datasette"]["rows"]} if "datasette" in rec else {})}
        for q, rec in eng.items()}
    overall = out["by_intent"]["overall"]
    out["api_overall"] = summary(s for samples in api.values() for s in samples)
    out["api_to_engine"] = ratio(out["api_overall"]["median_ms"], overall["median_ms"])
    out["composed"] = {"overall": summary(s for rec in comp.values() for s in rec["samples"]),
                       "questions": latency.summarise_questions(comp)}
    out["composed_to_simple"] = ratio(out["composed"]["overall"]["median_ms"],
                                      overall["median_ms"])
    out["engine_to_sql"] = ratio(overall["median_ms"], out["sql_overall"]["median_ms"])
    if "overall" in out["datasette"]:
        out["datasette_to_engine"] = ratio(out["datasette"]["overall"]["median_ms"],
                                           overall["median_ms"])
    engine.store.close()
    return out, kb


def datasette_part(kb: Path, lks, eng: dict, args: argparse.Namespace) -> dict:
    from bench.datasette import Datasette, available, datasette_samples, table_api_samples

    why = None if not args.no_datasette else "not measured: --no-datasette"
    why = why or available()
    if why:
        return {"skipped": why if why.startswith("not measured") else f"not measured: {why}"}
    log(f"Datasette JSON API, {args.datasette_rounds} rounds")
    with Datasette(kb) as ds:
        rows = datasette_samples(ds, lks, args.datasette_rounds)
        table = table_api_samples(ds, args.datasette_rounds * 4)
        started = ds.started_s
    for q, rec in rows.items():
        eng[q]["datasette"] = rec
    mismatched = [q for q, rec in rows.items() if rec["rows"] != eng[q]["sql"]["rows"]]
    return {"overall": summary(s for rec in rows.values() for s in rec["samples"]),
            "table_api_rate_hu": summary(table), "start_s": started,
            "row_count_mismatches": mismatched, "rounds": args.datasette_rounds}


# -- 3: cold start -----------------------------------------------------------------------------
def cold_start(kb: Path, work: Path, args: argparse.Namespace) -> dict:
    from bench.process import cold_ask_samples

    log(f"cold start, {args.cold_runs} runs")
    home = work / "cold_home"
    home.mkdir(exist_ok=True)
    samples = cold_ask_samples(kb, home, args.cold_runs)
    return {name: summary(s) for name, s in samples.items()}


# -- 4: scale ----------------------------------------------------------------------------------
def scale(work: Path, args: argparse.Namespace, questions: list[str]) -> dict:
    from bench.synth import import_id, make_data_dir
    from bot.engine import Engine
    from knowledge.build import build
    from knowledge.store import KnowledgeStore

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    out: dict = {"sizes": {}}
    for n in sizes:
        folder = work / f"scale_{n}"
        folder.mkdir()
        data, gen_s = timed(make_data_dir, folder, n)
        kb = folder / "knowledge.db"
        gc.collect()
        _, build_s = timed(build, kb, data)
        gc.collect()
        log(f"{n:,} visits: generated in {gen_s:.1f} s, built in {build_s:.1f} s, "
            f"{kb.stat().st_size / 1e6:.0f} MB; latency")
        first_engine = Engine(KnowledgeStore(kb))
        _, first_s = timed(first_engine.ask, "visits in Hu era", latency.TODAY)
        first_engine.store.close()
        engine = Engine(KnowledgeStore(kb))
        eng = latency.engine_samples(engine, questions, args.scale_rounds)
        looks = latency.lookup_samples(engine.store, import_id(n), n, args.lookup_rounds)
        out["sizes"][str(n)] = {
            "visits": n, "generate_s": gen_s, "build_s": build_s,
            "file_bytes": kb.stat().st_size, "first_answer_s": first_s,
            "by_intent": latency.by_intent(eng),
            "lookups": {name: summary(s) for name, s in looks.items()}}
        engine.store.close()
        shutil.rmtree(folder)
    out["growth"] = growth(out["sizes"])
    return out


def growth(per_size: dict) -> dict:
    """For each lookup and intent: the latency ratio largest/smallest size, set against the
    ratio a logarithmic cost would give (ln N1/ln N0) and a linear one (N1/N0)."""
    sizes = sorted(per_size.values(), key=lambda s: s["visits"])
    if len(sizes) < 2:
        return {}
    lo, hi = sizes[0], sizes[-1]
    ns = [s["visits"] for s in sizes]
    out = {"from": lo["visits"], "to": hi["visits"],
           "log_ratio": math.log(hi["visits"]) / math.log(lo["visits"]),
           "linear_ratio": hi["visits"] / lo["visits"], "lookups": {}, "intents": {}}
    for kind, key in (("lookups", "lookups"), ("intents", "by_intent")):
        for name in hi[key]:
            times = [s[key][name]["median_ms"] for s in sizes if name in s[key]]
            if len(times) != len(sizes):
                continue
            out[kind][name] = {"median_ms": times, "ratio": ratio(times[-1], times[0]),
                               "exponent": growth_exponent(ns, times)}
    return out


# -- 5: the bot ------------------------------------------------------------------------------
def discord_part(kb: Path, work: Path, args: argparse.Namespace, questions: list[str]) -> dict:
    from bench.discord_bot import bot_bench

    if args.no_bot:
        return {"skipped": "not measured: --no-bot"}
    log(f"Discord bot: {args.bot_starts} starts, then {args.answers:,} answers")
    res = bot_bench(kb, work, questions, starts=args.bot_starts, answers=args.answers)
    if "skipped" in res:
        return res
    starts = res["starts"]
    out = {"starts": starts,
           "identify_s": summary(int(s["identify_s"] * 1e9) for s in starts),
           "on_ready_s": summary(int(s["on_ready_s"] * 1e9) for s in starts)}
    mem = res["memory"]
    if mem:
        out["memory"] = {k: v for k, v in mem.items() if k != "round_trip_samples"}
        out["memory"]["round_trip"] = summary(mem["round_trip_samples"])
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dandong-bench-"))
    questions = example_questions()
    started = time.perf_counter()
    results: dict = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "command": " ".join(["python -m bench.run", *(argv or sys.argv[1:])]),
                     "machine": machine(), "questions": len(questions)}
    try:
        results["shipped"], kb = shipped(work, args, questions)
        results["cold_start"] = cold_start(kb, work, args)
        results["bot"] = discord_part(kb, work, args, questions)
        results["scale"] = scale(work, args, questions)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"work folder kept: {work}")
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = report.targets(results)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n",
                                           encoding="utf-8")
    text = report.markdown(results)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    print(text)
    log(f"done in {results['elapsed_s']:.0f} s; wrote {args.out / 'results.json'} and report.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
