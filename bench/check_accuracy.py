"""Verdict accuracy on held-out claims: `python -m bench.check_accuracy`.

tests/data/check_heldout.jsonl holds one-claim texts written and labelled by hand without
tuning the checker on them (see its git history); each line is {text, verdict, why}. A text
counts as right when the report's verdict is the label. Prints each miss, then the score.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.queries import ROOT

HELDOUT = ROOT / "tests" / "data" / "check_heldout.jsonl"
TODAY = date(2026, 11, 28)


def load(path: Path = HELDOUT) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def score(checker, cases: list[dict], today: date = TODAY) -> dict:
    """{right, total, accuracy, misses: [{text, expected, got, answer}], false_supported}."""
    misses, false_supported = [], 0
    for case in cases:
        report = checker.check(case["text"], today)
        if report.verdict != case["verdict"]:
            misses.append({"text": case["text"], "expected": case["verdict"],
                           "got": report.verdict, "answer": report.answer})
            false_supported += report.verdict == "supported"
    right = len(cases) - len(misses)
    return {"right": right, "total": len(cases), "accuracy": right / len(cases) if cases else 0,
            "misses": misses, "false_supported": false_supported}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.check_accuracy", description=__doc__)
    ap.add_argument("--file", type=Path, default=HELDOUT)
    args = ap.parse_args(argv)
    from bot.check import Checker
    from knowledge.build import build
    from knowledge.store import KnowledgeStore

    with tempfile.TemporaryDirectory() as tmp:
        kb = Path(tmp) / "knowledge.db"
        build(kb)
        store = KnowledgeStore(kb)
        result = score(Checker(store), load(args.file))
        store.close()
    for m in result["misses"]:
        print(f"MISS expected {m['expected']}, got {m['got']}: {m['text']}\n     {m['answer']}")
    print(f"{result['right']}/{result['total']} verdicts right "
          f"({result['accuracy']:.0%}); false 'supported': {result['false_supported']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
