"""The fallback: ranked full-text search, answering only when the match is real."""

from __future__ import annotations

from datetime import date

from bot.engine.answer import Answer
from bot.engine.parse import GENERIC_WORDS, Query
from bot.engine.sources import cite

MAX_HITS = 3
# Words that appear all over this knowledge base: a match on them alone means nothing.
DOMAIN_WORDS = set(
    "visit visits visited trip trips test tests nuclear high level year years average "
    "leader leaders relations relationship table data list record records".split())


def content_words(q: Query) -> list[str]:
    return [w for w in q.words if w not in GENERIC_WORDS and (len(w) > 2 or w.isdigit())]


def search_answer(engine, q: Query, today: date) -> Answer:
    """Facts whose text holds every content word of the question; else not found."""
    words = content_words(q)
    if not words:
        return engine.not_found(q, "I couldn't find anything about that in the knowledge base.",
                                intent="search")
    hits = engine.store.search(" ".join(words), limit=20)
    rows = []
    for hit in hits:
        row = engine.store.lookup(hit.doc_id)
        body = _body(row).lower()
        matched = [w for w in words if w in body]
        need = len(words) if len(words) <= 3 else round(len(words) * 0.75)
        if row is not None and len(matched) >= need and set(matched) - DOMAIN_WORDS:
            rows.append(row)
        if len(rows) == MAX_HITS:
            break
    if not rows:
        return engine.not_found(
            q, f"Nothing in the knowledge base matches \u201c{' '.join(words)[:80]}\u201d.",
            intent="search")
    lines = [f"{len(rows)} matching entr{'y' if len(rows) == 1 else 'ies'} in the knowledge base:"]
    lines += [f"• {_title(r)}" for r in rows]
    return engine.reply(q, "\n".join(lines), [cite(r) for r in rows], intent="search",
                        as_of="2017-03" if any(getattr(r, "quote", None) for r in rows) else None)


def _body(row) -> str:
    if row is None:
        return ""
    return " ".join(str(v) for v in vars(row).values() if isinstance(v, str | int))


def _title(row) -> str:
    from bot.engine.sources import long_date, trade_line, visit_line

    if hasattr(row, "text"):
        return row.text
    if hasattr(row, "visitor"):
        return visit_line(row)
    if hasattr(row, "event"):
        return f"{long_date(row.date)}: {row.event}"
    if hasattr(row, "total_usd"):
        return trade_line(row)
    if hasattr(row, "description"):
        return f"Nuclear test {row.n}, {long_date(row.date)}: {row.description}"
    return f"{row.leader} ({row.country}), {row.start_date} to {row.end_date or 'present'}"
