"""The digest as plain text (the command line) and as one Discord embed dict (within every
embed limit). Pure: no discord import; the Discord cog sends the dict."""

from __future__ import annotations

import calendar
from typing import Any

from bot.digest.compose import Digest, plural
from bot.engine.answer import Source
from bot.engine.sources import long_date

# -- rendering ------------------------------------------------------------------------------
EMBED_TITLE, EMBED_DESCRIPTION, EMBED_FIELDS, EMBED_FIELD_NAME = 256, 4096, 25, 256
EMBED_FIELD_VALUE, EMBED_FOOTER, EMBED_TOTAL = 1024, 2048, 6000
EMBED_COLOUR = 0xB22222


def years_ago(n: int) -> str:
    return plural(n, "year") + " ago"


def _article_line(sources: tuple[Source, ...]) -> list[str]:
    """Each distinct article quote once."""
    quotes = dict.fromkeys(s.quote for s in sources if s.kind == "article" and s.quote)
    return [f"“{q}”" for q in quotes]


def render_text(d: Digest) -> str:
    """The digest as plain text (the command line's rendering)."""

    def src(sources: tuple[Source, ...], indent: str = "  ") -> list[str]:
        out = [f"{indent}source: {u}" for s in sources for u in s.urls]
        return out + [f"{indent}article: {q}" for q in _article_line(sources)]

    lines = [d.title, "", "Standing figures"]
    for m in d.metrics:
        lines += [f"- {m.text}", *src(m.sources)]
    if d.freshness:
        lines.append(f"  {d.freshness}")
    lines += ["", "Visit rates", f"  {d.rates.text}", *src(d.rates.sources)]
    lines += ["", "On this day"]
    if not d.on_this_day:
        lines.append(f"  Nothing on record for {calendar.month_name[d.day.month]} {d.day.day}.")
    for a in d.on_this_day:
        lines += [f"- {long_date(a.date)} ({years_ago(a.years_ago)}): {a.text}", *src((a.source,))]
    lines += ["", "Knowledge base", *(f"  {x}" for x in d.changes.text.splitlines())]
    if d.fact is not None:
        f = d.fact
        lines += ["", f"Fact of the day ({f.number} of {f.total})", f"  {f.text}",
                  *src((f.source,))]
    return "\n".join([*lines, "", d.footer])


def _url(u: str) -> str:
    # Parentheses would end a Markdown link early.
    return u.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _links(sources: tuple[Source, ...], per_source: int = 2) -> str:
    urls = [u for s in sources for u in s.urls[:per_source]]
    return " ".join(f"[source {i}]({_url(u)})" if len(urls) > 1 else f"[source]({_url(u)})"
                    for i, u in enumerate(urls, 1))


def fit(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, preferring a line break, ending with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    nl = cut.rfind("\n")
    if nl >= limit // 2:
        cut = cut[:nl]
    elif (lb := cut.rfind("[")) > cut.rfind(")"):
        cut = cut[:lb]  # never leave half a Markdown link
    return cut.rstrip() + "…"


def _with_links(text: str, sources: tuple[Source, ...]) -> str:
    links = _links(sources)
    return f"{text} {links}" if links else text


def embed_size(e: dict) -> int:
    """Characters Discord counts toward an embed's 6,000 total."""
    n = len(e.get("title", "")) + len(e.get("description", ""))
    n += len(e.get("footer", {}).get("text", "")) + len(e.get("author", {}).get("name", ""))
    return n + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))


def render_embed(d: Digest) -> dict[str, Any]:
    """The digest as one Discord embed dict, within every Discord embed limit."""
    description = "\n".join(f"• {_with_links(m.text, m.sources)}" for m in d.metrics)
    if d.freshness:
        description += f"\n{d.freshness}"
    rates = "\n".join([_with_links(d.rates.text, d.rates.sources),
                       *(f"> {q}" for q in _article_line(d.rates.sources))])
    if d.on_this_day:
        otd = "\n".join(f"• **{a.date[:4]}** ({years_ago(a.years_ago)}): "
                        f"{_with_links(a.text, (a.source,))}" for a in d.on_this_day)
    else:
        otd = f"Nothing on record for {calendar.month_name[d.day.month]} {d.day.day}."
    fields = [("Visit rates", rates), ("On this day", otd), ("Knowledge base", d.changes.text)]
    if d.fact is not None:
        f = d.fact
        body = _with_links(f.text, (f.source,))
        body += "".join(f"\n> {q}" for q in _article_line((f.source,)))
        fields.append((f"Fact of the day ({f.number} of {f.total})", body))
    embed: dict[str, Any] = {
        "title": fit(d.title, EMBED_TITLE),
        "description": fit(description, EMBED_DESCRIPTION),
        "color": EMBED_COLOUR,
        "fields": [{"name": fit(n, EMBED_FIELD_NAME), "value": fit(v or "—", EMBED_FIELD_VALUE),
                    "inline": False} for n, v in fields[:EMBED_FIELDS]],
        "footer": {"text": fit(d.footer, EMBED_FOOTER)},
    }
    return _shrink_to_total(embed)


def _shrink_to_total(embed: dict[str, Any]) -> dict[str, Any]:
    """Trim the longest parts until the whole embed fits Discord's 6,000 characters."""
    while (excess := embed_size(embed) - EMBED_TOTAL) > 0:
        slots = [(len(f["value"]), i) for i, f in enumerate(embed["fields"])]
        slots.append((len(embed["description"]), -1))
        length, i = max(slots)
        target = max(length - excess, 1)
        if i < 0:
            embed["description"] = fit(embed["description"], target)
        else:
            embed["fields"][i]["value"] = fit(embed["fields"][i]["value"], target) or "…"
    return embed
