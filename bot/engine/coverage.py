"""How complete the record is for what was asked, and how far it was checked (coverage.csv)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.engine.sources import long_date
from knowledge.schema import COVERAGE_SUBSETS
from knowledge.store import Coverage, KnowledgeStore

STALE_AFTER_DAYS = 90


@dataclass(frozen=True)
class Extent:
    """What the record can claim about one table, subset and period."""

    complete: bool
    checked_through: str | None
    text: str

    def stale(self, today: date) -> int | None:
        """Days the record is older than today, when more than STALE_AFTER_DAYS."""
        if not self.checked_through:
            return None
        days = (today - date.fromisoformat(self.checked_through)).days
        return days if days > STALE_AFTER_DAYS else None


def _rank(subset: str | None) -> int:
    return COVERAGE_SUBSETS.index(subset or "all")


def _applies(row: Coverage, subset: str) -> bool:
    """A row speaks for its own subset and every smaller one (summits are leader-level)."""
    return _rank(subset) <= _rank(row.subset)


def _years(rows: list[Coverage]) -> str:
    return ", ".join(dict.fromkeys(f"{r.covers_from[:4]}–{r.covers_to[:4]}" for r in rows))


NOUNS = {"summit": "summits", "leader_level": "leader-level visits",
         "high_level": "high-level visits", "all": "rows"}


def extent(store: KnowledgeStore, table: str, subset: str = "all",
           start: date | None = None, end: date | None = None) -> Extent:
    """Complete when one complete coverage row spans the whole period asked about."""
    rows = [r for r in store.coverage(table) if _applies(r, subset)]
    if not rows:
        return Extent(False, None, "The knowledge base does not say how complete this list is.")
    checked = max(r.checked_through for r in rows)
    # No start: from where the table's coverage begins. The end is capped at the check.
    lo = start.isoformat() if start else min(r.covers_from for r in rows)
    hi = min((end or date.max).isoformat(), checked)
    complete_rows = [r for r in rows if r.status == "complete"]
    spans = [r for r in complete_rows if r.covers_from <= lo and r.covers_to >= hi]
    noun = f"the list of {NOUNS.get(subset, 'rows')}" if table == "visits" else "the list"
    head = f"On record, checked through {long_date(checked)}"
    if spans:
        return Extent(True, checked, f"{head}; {noun} is complete for "
                                     f"{_years(spans[:1])}.")
    if complete_rows:
        return Extent(False, checked, f"{head}; {noun} is complete only for "
                                      f"{_years(complete_rows)} and selective before.")
    # Selective for what was asked; say which narrower lists are complete for the period.
    narrower = [r for r in store.coverage(table) if r.status == "complete"
                and _rank(r.subset) < _rank(subset) and r.covers_from <= lo
                and r.covers_to >= hi]
    also = ""
    if narrower:
        kinds = " and ".join(NOUNS[r.subset or "all"] for r in narrower)
        also = f" (complete for {kinds}, {_years(narrower[:1])})"
    return Extent(False, checked, f"{head}; {noun} is selective, not complete{also}.")


def stale_warning(ext: Extent, today: date) -> str:
    days = ext.stale(today)
    if days is None:
        return ""
    return (f"The record was last checked on {long_date(ext.checked_through)}, {days} days "
            f"before {long_date(today.isoformat())}: anything since may be missing.")
