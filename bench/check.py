"""Fact-check latency: a 2,000-word draft checked warm, as `make bench` measures it.

The draft is the article's own text (knowledge/sources/article.txt: prose with the figures
the checker looks for) followed by the claims of tests/test_check.py and the held-out set,
repeated until it is 2,000 words long; so it is dense with claims, as a draft for fact-checking is.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from bench.queries import ROOT
from bench.stats import summary

WORDS = 2000
TODAY = date(2026, 11, 28)


def draft(words: int = WORDS) -> str:
    """A draft of exactly `words` words (cut at a word)."""
    import json

    article = (ROOT / "knowledge" / "sources" / "article.txt").read_text(encoding="utf-8")
    held = [json.loads(line)["text"] for line in
            (ROOT / "tests" / "data" / "check_heldout.jsonl").read_text().splitlines() if line]
    pool = (article + "\n\n" + " ".join(held)).split()
    out: list[str] = []
    while len(out) < words:
        out += pool[: words - len(out)]
    return " ".join(out)


def check_samples(kb: Path, rounds: int, words: int = WORDS) -> dict:
    """{words, claims, verdicts, samples (ns)} for checking the draft `rounds` times, warm."""
    from bot.check import Checker
    from knowledge.store import KnowledgeStore

    checker = Checker(KnowledgeStore(kb))
    text = draft(words)
    for _ in range(3):
        report = checker.check(text, TODAY)
    samples = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        t0 = clock()
        checker.check(text, TODAY)
        samples.append(clock() - t0)
    checker.store.close()
    verdicts: dict[str, int] = {}
    for c in report.claims:
        verdicts[c.verdict] = verdicts.get(c.verdict, 0) + 1
    return {"words": len(text.split()), "claims": len(report.claims), "verdicts": verdicts,
            "samples": samples}


def check_part(kb: Path, rounds: int) -> dict:
    """The summary make bench records: timing, claims found, and the held-out accuracy."""
    from bench.check_accuracy import load, score
    from bot.check import Checker
    from knowledge.store import KnowledgeStore

    res = check_samples(kb, rounds)
    out = {k: v for k, v in res.items() if k != "samples"}
    out["timing"] = summary(res["samples"])
    checker = Checker(KnowledgeStore(kb))
    acc = score(checker, load())
    checker.store.close()
    out["heldout"] = {k: acc[k] for k in ("right", "total", "accuracy", "false_supported")}
    return out
