"""Knowledge rows -> Source citations, and the small wording helpers answers share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from bot.engine.answer import Provenance, Source
from knowledge.store import Era, Fact, KnowledgeStore, NuclearTest, Sanction, Trade, Visit

ARTICLE_BASIS = "the article (Foreign Affairs, March 2017)"
DATA_BASIS = "the article (Foreign Affairs, March 2017), citing CSIS Beyond Parallel data"
ARTICLE_AS_OF = "2017-03"


def cite(row) -> Source:
    """The citation for any knowledge row."""
    if isinstance(row, Fact):
        return Source(row.id, row.source_kind, row.quote or "", row.source_url or "")
    if isinstance(row, Visit):
        url = row.source_url or ""
        quote = "" if url else (row.source_name or "")
        return Source(row.id, row.source_kind, quote, url)
    if isinstance(row, NuclearTest):
        return Source(f"test_{row.n}", "public_record", "", row.source_url)
    if isinstance(row, Sanction):
        return Source(row.id, "public_record", "", row.source_url)
    if isinstance(row, Trade):
        return Source(row.id, "public_record", "", row.source_url)
    if isinstance(row, Era):
        return Source(f"era_{row.id}", "public_record", "", row.source_url)
    raise TypeError(f"cannot cite {type(row).__name__}")


def with_provenance(store: KnowledgeStore, sources: Iterable[Source]) -> list[Source]:
    """The sources, each team-added one marked with who proposed and approved it."""
    team = store.team_rows()
    out = []
    for s in sources:
        row = team.get(s.id)
        if row is not None and s.provenance is None:
            # The quote the proposer gave from the source, for rows whose table has none.
            s = replace(s, quote=s.quote or row.quote or "",
                        provenance=Provenance(row.proposal_id, row.proposer, row.approved_by,
                                              row.approved_at[:10], row.source_url))
        out.append(s)
    return out


def usd(amount: int) -> str:
    """2_531_000_000 -> 'US$2.53 billion'; smaller sums in millions."""
    if amount >= 1_000_000_000:
        return f"US${amount / 1e9:.2f} billion"
    return f"US${amount / 1e6:.1f} million"


def trade_line(row: Trade) -> str:
    parts = [f"China–DPRK trade in {row.year}: {usd(row.total_usd)}"]
    if row.china_exports_usd is not None and row.china_imports_usd is not None:
        parts.append(f"(China's exports {usd(row.china_exports_usd)}, imports "
                     f"{usd(row.china_imports_usd)})")
    return " ".join(parts) + ", per Chinese customs"


def long_date(iso: str) -> str:
    """'2016-09-09' -> 'September 9, 2016'; 'YYYY-MM' -> 'March 2017'."""
    if len(iso) == 7:
        d = date.fromisoformat(iso + "-01")
        return f"{d:%B} {d.year}"
    d = date.fromisoformat(iso)
    return f"{d:%B} {d.day}, {d.year}"


def days_between(start: str, end: str) -> int:
    """Exclusive day count, as the reference tables use: a visit the day after counts as 1."""
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def ordinal(n: int) -> str:
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
    return words[n - 1] if 1 <= n <= len(words) else f"{n}th"


def fmt_number(value: str | float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def visit_date(v: Visit) -> str:
    """The start date as precisely as it is known: 'May 5, 1978', 'May 1984' or '1959'."""
    if v.date_precision == "year":
        return f"{v.start_date[:4]} (month not known)"
    if v.date_precision == "month":
        return f"{long_date(v.start_date[:7])} (day not known)"
    return long_date(v.start_date)


def visit_span(v: Visit) -> str:
    """When a visit was, as precisely as known: 'May 3, 2010 to May 7, 2010' or 'April 1970
    (day not known)'."""
    span = visit_date(v)
    if v.exact and v.end_date and v.end_date != v.start_date:
        span += f" to {long_date(v.end_date)}"
    return span


def visit_line(v: Visit) -> str:
    """One visit as a readable line."""
    arrow = "to China" if v.direction == "KP->CN" else "to North Korea"
    where = f" ({v.place})" if v.place else ""
    return f"{visit_span(v)}: {v.visitor} {arrow}{where}"
