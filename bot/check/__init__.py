"""Fact-checking: text -> sentences -> claims -> a verdict per claim, against the knowledge base.

`check(text, today)` is the entry point over the configured knowledge base; `Checker(store)`
does the same over a store the caller opened. Pure: no discord, no argparse, no clock read
below this module (today is passed in).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from pathlib import Path

from bot.check.claims import find_claims
from bot.check.report import ClaimResult, Report, make_report
from bot.check.verdict import Judge
from bot.engine import Engine
from bot.engine.normalize import clean
from knowledge.store import KnowledgeStore

__all__ = ["MAX_TEXT", "Checker", "ClaimResult", "Report", "check"]

MAX_TEXT = 40_000  # about 6,000 words: a long draft, not a book


class Checker:
    """Checks texts against one knowledge store; reuses the engine's parser and its eras,
    tests, topics and people."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self.engine = Engine(store)
        self._people: tuple[object, list[str]] | None = None

    def people(self) -> list[str]:
        """Names a claim can be about: visitors on record and the people table (with aliases),
        longest first so 'Kim Jong Un' is not read as a shorter name."""
        key = self.store.metadata().get("built_at")
        if self._people is None or self._people[0] != key:
            names = {v.visitor for v in self.store.visits_between(date(1900, 1, 1),
                                                                  date(2100, 1, 1))}
            names |= {p.name for p in self.store.people()}
            self._people = (key, sorted(names, key=len, reverse=True))
        return self._people[1]

    def check(self, text: str, today: date | None = None) -> Report:
        """The verdict on every claim in `text`; never raises for any text."""
        today = today or datetime.now(UTC).date()
        text = clean_text(text)
        judge = Judge(self.store, today)
        results: list[ClaimResult] = []
        seen: set[tuple] = set()
        for claim in find_claims(text, self.engine.parser, self.people(), today,
                                 planner=self.engine.planner):
            result = judge.judge(claim)
            if result is None:
                continue
            key = (result.start, result.claim, result.stated)
            if key not in seen:
                seen.add(key)
                results.append(result)
        return make_report(text, results)


def clean_text(text: str) -> str:
    """The text as checked: invisible and control characters gone, paragraphs kept, capped."""
    paragraphs = [clean(p, limit=MAX_TEXT) for p in (text or "").replace("\r\n", "\n")
                  .split("\n")]
    out = "\n".join(paragraphs).strip()
    return out[:MAX_TEXT]


_checkers: dict[Path, Checker] = {}


@functools.cache
def _configured() -> tuple[Path, Path | None]:
    from bot.config import load_settings

    settings = load_settings()
    return settings.db_path, settings.data_dir


def check(text: str, today: date | None = None, *, db_path: Path | None = None) -> Report:
    """Check `text` against the configured knowledge base (built first if missing)."""
    path, data_dir = (Path(db_path), None) if db_path else _configured()
    checker = _checkers.get(path)
    if checker is None:
        from knowledge.store import open_store

        checker = _checkers.setdefault(path, Checker(open_store(path, data_dir)))
    return checker.check(text, today)
