"""Answer -> Discord embed dicts, paginated, escaped and inside Discord's limits.

Pure functions on plain data: no discord import, no network, so the tests are plain strings.
Everything that comes from the engine or from a user is treated as plain text and escaped;
the only markup in a reply is the markup added here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.check.report import LABEL, SEVERITY, Report
from bot.engine.answer import Answer, Source

# Discord's documented limits (https://discord.com/developers/docs/resources/message).
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
CHOICE_MAX = 100
CHOICES_MAX = 25

# A page of a long answer: readable in chat, and with room left for title, fields and footer.
PAGE_CHARS = 1800
QUOTE_CHARS = 300
SOURCES_SHOWN = 5

COLOUR_FOUND = 0x2E7D6B
COLOUR_NOT_FOUND = 0x8A8F98
COLOUR_ERROR = 0xB04A3B

ELLIPSIS = "…"
ZWSP = "\u200b"

_URL = re.compile(r"https?://[^\s<>]+")
_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")
_LINE_START = re.compile(r"(?m)^([ \t]*)([#>\-+])")
_NUMBERED = re.compile(r"(?m)^([ \t]*\d+)\.(?=\s)")
# Inside <@…> any id is mention syntax (<@&1> too); bare, only snowflake-length ones.
_MENTION = re.compile(r"@(everyone|here|(?<=<@)[!&]?\d+|[!&]?\d{15,21})")


@dataclass(frozen=True)
class Reply:
    """What to send: one embed dict per page, whether only the asker sees it, and
    questions to offer as buttons (only on single-page not-found replies)."""

    pages: tuple[dict, ...]
    ephemeral: bool = False
    suggestions: tuple[str, ...] = ()
    content: str | None = None


# -- escaping ------------------------------------------------------------------------------
def escape_mentions(text: str) -> str:
    """Break @everyone, @here and <@id>/<@&id> so they can never ping, even if sent raw."""
    return _MENTION.sub("@" + ZWSP + r"\1", text)


def _escape_plain(text: str) -> str:
    text = _MARKDOWN.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    return _NUMBERED.sub(r"\1\\.", text)


def escape_text(text: str) -> str:
    """Plain text -> text Discord shows literally: markdown escaped (URLs left intact so
    they stay clickable), mentions defused."""
    out: list[str] = []
    last = 0
    for m in _URL.finditer(text):
        out.append(_escape_plain(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_escape_plain(text[last:]))
    return escape_mentions("".join(out))


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, ending in an ellipsis when cut; never a dangling
    escape backslash."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)].rstrip()
    if _odd_trailing_backslashes(cut):
        cut = cut[:-1]
    return cut + ELLIPSIS


def _odd_trailing_backslashes(text: str) -> bool:
    return (len(text) - len(text.rstrip("\\"))) % 2 == 1


def plain_message(text: str) -> str:
    """A short message body from plain text: escaped and within the 2,000-character limit."""
    return clip(escape_text(text), CONTENT_MAX)


# -- pagination ----------------------------------------------------------------------------
def paginate(text: str, limit: int = PAGE_CHARS) -> list[str]:
    """Split text into pages of at most `limit` characters, at line breaks where possible,
    then at spaces, and only as a last resort inside a word."""
    if limit < 2:
        raise ValueError("page limit must be at least 2")
    pages: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else current + "\n" + line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pages.append(current)
        current = ""
        while len(line) > limit:
            head, line = _split_long(line, limit)
            pages.append(head)
        current = line
    if current or not pages:
        pages.append(current)
    return pages


def _split_long(line: str, limit: int) -> tuple[str, str]:
    cut = line.rfind(" ", 0, limit + 1)
    if cut <= 0:
        cut = limit
        if _odd_trailing_backslashes(line[:cut]):
            cut -= 1  # keep "\*" together so the next page does not start with a bare "*"
        return line[:cut], line[cut:]
    return line[:cut], line[cut + 1 :]


# -- embeds --------------------------------------------------------------------------------
def embed_length(embed: dict) -> int:
    """The characters Discord counts toward an embed's 6,000 total."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        total += len(f.get("name", "")) + len(f.get("value", ""))
    return total


def field(name: str, value: str, *, inline: bool = False) -> dict:
    """An embed field with name and value clipped to their limits (empty values shown as –)."""
    return {
        "name": clip(name.strip() or "–", FIELD_NAME_MAX),
        "value": clip(value.strip() or "–", FIELD_VALUE_MAX),
        "inline": inline,
    }


def fit_embed(embed: dict) -> dict:
    """The embed trimmed until every Discord limit holds: parts clipped, surplus fields
    dropped from the end, then the description shortened."""
    e = dict(embed)
    if "title" in e:
        e["title"] = clip(e["title"], TITLE_MAX)
    if "description" in e:
        e["description"] = clip(e["description"], DESCRIPTION_MAX)
    if "footer" in e:
        e["footer"] = {"text": clip(e["footer"]["text"], FOOTER_MAX)}
    if "author" in e:
        e["author"] = {"name": clip(e["author"]["name"], AUTHOR_MAX)}
    fields = [field(f["name"], f["value"], inline=f.get("inline", False))
              for f in e.get("fields", [])][:FIELDS_MAX]
    e["fields"] = fields
    while embed_length(e) > EMBED_TOTAL_MAX and e["fields"]:
        e["fields"] = e["fields"][:-1]
    excess = embed_length(e) - EMBED_TOTAL_MAX
    if excess > 0:
        e["description"] = clip(e.get("description", ""), len(e.get("description", "")) - excess)
    if not e["fields"]:
        del e["fields"]
    return e


def source_field(source: Source) -> dict:
    """One source as a field: kind and id, the quote trimmed, then its links."""
    kind = {"article": "Article", "public_record": "Public record"}.get(source.kind, "Source")
    parts = []
    if source.provenance is not None:
        kind = "Added by the team"
        parts.append(escape_text(_capital(source.provenance.text())))
    elif source.quote:
        parts.append("“" + clip(escape_text(source.quote.strip()), QUOTE_CHARS) + "”")
    if source.provenance is not None and source.quote:
        parts.append("“" + clip(escape_text(source.quote.strip()), QUOTE_CHARS) + "”")
    urls = [u for u in source.urls if len(u) <= FIELD_VALUE_MAX // 2]
    parts.extend(urls[:3] if source.provenance is None else [])
    if not parts:
        parts.append("(no quote or link recorded)")
    value = "\n".join(parts)
    while len(value) > FIELD_VALUE_MAX and len(parts) > 1:
        parts.pop()
        value = "\n".join(parts)
    return field(f"{kind} · {escape_text(source.id)}", value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def sources_fields(sources: Sequence[Source], shown: int = SOURCES_SHOWN) -> list[dict]:
    """Fields for the first `shown` sources, and a pointer to /source for the rest."""
    fields = [source_field(s) for s in sources[:shown]]
    rest = sources[shown:]
    if rest:
        ids = ", ".join(escape_text(s.id) for s in rest)
        fields.append(field(f"{len(rest)} more source(s)", f"{ids}\nSee `/source id`."))
    return fields


def _footer(answer: Answer, page: int, pages: int) -> str:
    bits = []
    if answer.as_of:
        bits.append(f"As of {answer.as_of}")
    if pages > 1:
        bits.append(f"Page {page} of {pages}")
    bits.append("Dandong")
    return " · ".join(bits)


def answer_reply(
    answer: Answer,
    *,
    page_chars: int = PAGE_CHARS,
    extra_fields: Iterable[tuple[str, str]] = (),
) -> Reply:
    """The reply to an answer: found answers are public and may run to several pages;
    not-found answers are one ephemeral page with the suggestions to offer as buttons."""
    text = escape_text(answer.answer.strip()) or "(no answer text)"
    extras = [field(escape_text(n), escape_text(v)) for n, v in extra_fields]
    if not answer.found:
        if answer.suggestions:
            tries = "\n".join(f"• {escape_text(s)}" for s in answer.suggestions)
            text = f"{text}\n\n**Try asking:**\n{tries}"
        page = _answer_embed(answer, clip(text, DESCRIPTION_MAX), extras, 1, 1)
        return Reply(pages=(page,), ephemeral=True, suggestions=answer.suggestions)
    fields = extras + sources_fields(answer.sources)
    if answer.suggestions:
        fields.append(field("You could also ask", "\n".join(
            f"• {escape_text(s)}" for s in answer.suggestions)))
    chunks = paginate(text, page_chars)
    pages = tuple(_answer_embed(answer, chunk, fields, i, len(chunks))
                  for i, chunk in enumerate(chunks, 1))
    return Reply(pages=pages)


# One mark per verdict, always followed by the verdict in words (screen readers say the
# words; the mark is for the eye).
VERDICT_MARK = {"supported": "✅", "contradicted": "❌", "discrepancy": "⚠️", "unknown": "❔"}
VERDICT_COLOUR = {"supported": COLOUR_FOUND, "contradicted": COLOUR_ERROR,
                  "discrepancy": 0xC98A1B, "unknown": COLOUR_NOT_FOUND}
SPAN_CHARS = 140


def claim_line(claim) -> str:
    """One claim: mark, verdict in words, what the text says, then the figure on record."""
    span = clip(escape_text(" ".join(claim.span.split())), SPAN_CHARS)
    return (f"{VERDICT_MARK[claim.verdict]} **{LABEL[claim.verdict]}** — “{span}”\n"
            f"{escape_text(claim.answer)}")


def check_reply(report: Report, *, ephemeral: bool = False,
                page_chars: int = PAGE_CHARS) -> Reply:
    """A fact-check: one embed per page, one line per claim (worst first), the sources as
    fields; private when `ephemeral` (the context menu: the checker sees it, not the channel)."""
    claims = sorted(report.claims, key=lambda c: (-SEVERITY[c.verdict], c.start))
    if claims:
        head = escape_text(report.answer.split("\n", 1)[0])
        text = head + "\n\n" + "\n\n".join(claim_line(c) for c in claims)
    else:
        text = escape_text(report.answer)
    chunks = paginate(text, page_chars)
    fields = sources_fields(report.sources)
    pages = []
    for i, chunk in enumerate(chunks, 1):
        bits = [f"As of {report.as_of}"] if report.as_of else []
        if len(chunks) > 1:
            bits.append(f"Page {i} of {len(chunks)}")
        bits.append("Dandong fact-check")
        pages.append(fit_embed({
            "title": clip(f"Fact-check: {LABEL[report.verdict]}", TITLE_MAX),
            "description": chunk,
            "color": VERDICT_COLOUR[report.verdict],
            "fields": fields,
            "footer": {"text": " · ".join(bits)},
        }))
    return Reply(pages=tuple(pages), ephemeral=ephemeral)


def _answer_embed(answer: Answer, text: str, fields: list[dict], page: int, pages: int) -> dict:
    embed: dict = {
        "title": clip(escape_text(answer.question.strip()) or "Your question", TITLE_MAX),
        "description": text,
        "color": COLOUR_FOUND if answer.found else COLOUR_NOT_FOUND,
        "fields": fields,
        "footer": {"text": _footer(answer, page, pages)},
    }
    if answer.understood:
        # Author names render no markdown, so the engine's echo is shown as is.
        embed["author"] = {"name": "Understood as: " + escape_mentions(answer.understood)}
    return fit_embed(embed)


def source_reply(source_id: str, source: Source | None, close: Sequence[str] = ()) -> Reply:
    """The reply to /source: the full quote and links, or an ephemeral 'no such source'."""
    if source is None:
        text = f"There is no source with the id {escape_text(source_id)!s}."
        if close:
            text += "\nDid you mean: " + ", ".join(escape_text(c) for c in close) + "?"
        return Reply(pages=(_notice(text, "Source not found"),), ephemeral=True)
    kind = {"article": "Article quote", "public_record": "Public record"}.get(
        source.kind, "Source")
    body = []
    if source.provenance is not None:
        body.append(escape_text(_capital(source.provenance.text())))
    if source.quote:
        body.append("“" + clip(escape_text(source.quote.strip()), DESCRIPTION_MAX - 500) + "”")
    body.extend(source.urls)
    embed = {
        "title": clip(f"{kind} · {escape_text(source.id)}", TITLE_MAX),
        "description": clip("\n".join(body) or "(no quote or link recorded)", DESCRIPTION_MAX),
        "color": COLOUR_FOUND,
        "footer": {"text": "Dandong · the source behind a figure"},
    }
    return Reply(pages=(fit_embed(embed),))


def help_reply(commands: Sequence[tuple[str, str, str]], examples: Sequence[str]) -> Reply:
    """What Dandong can answer: each command with an example, then example questions."""
    fields = [field(f"/{name}", f"{desc}\nExample: `{example}`")
              for name, desc, example in commands]
    fields.append(field("Fact-check a message", "Right-click (or long-press) a message → "
                        "Apps → Fact-check with Dandong: only you see the verdict."))
    fields.append(field("Or mention me", "@Dandong visits in Hu era — or send me a DM. "
                        "Start with check: to fact-check what follows."))
    asks = "\n".join(f"• {escape_text(q)}" for q in examples[:10])
    embed = {
        "title": "Dandong: China–North Korea relations, from sourced facts",
        "description": "Ask in plain words; every figure comes with its source.\n\n"
        f"**Questions I can answer:**\n{asks}",
        "color": COLOUR_FOUND,
        "fields": fields,
        "footer": {"text": "Dandong · figures keep the wording and date of their source"},
    }
    return Reply(pages=(fit_embed(embed),), ephemeral=True)


def _notice(text: str, title: str, colour: int = COLOUR_NOT_FOUND) -> dict:
    return fit_embed({"title": title, "description": text, "color": colour})


def error_reply(text: str) -> Reply:
    """A short ephemeral message for a failure; `text` must already be safe to show."""
    return Reply(pages=(), ephemeral=True, content=plain_message(text))


def cooldown_reply(retry_after: float) -> Reply:
    """The per-user cooldown message, with the wait in whole seconds (at least 1)."""
    seconds = max(1, round(retry_after + 0.49))
    unit = "second" if seconds == 1 else "seconds"
    return Reply(pages=(), ephemeral=True,
                 content=f"You're asking quickly — please wait {seconds} {unit} and try again.")


def page_turn_refusal() -> Reply:
    """What someone other than the asker sees when they press a page button."""
    return Reply(pages=(), ephemeral=True,
                 content="Only the person who asked can turn these pages; ask your own with /ask.")


def button_label(question: str) -> str:
    """A suggestion as a button label (labels render no markdown; 80 characters at most)."""
    return clip(" ".join(question.split()), BUTTON_LABEL_MAX)


def choice_name(text: str) -> str:
    """A choice shown in a slash-command menu (100 characters at most)."""
    return clip(" ".join(text.split()), CHOICE_MAX)


_CHECK_PREFIX = re.compile(r"^\s*check\s*:\s*", re.I)


def check_request(question: str) -> str | None:
    """The text to fact-check when a mention or DM starts with 'check:', else None."""
    m = _CHECK_PREFIX.match(question)
    return question[m.end():] if m else None


def strip_bot_mention(content: str, bot_id: int) -> str:
    """A message's text with mentions of the bot removed: '<@123> visits' -> 'visits'."""
    return " ".join(re.sub(rf"<@!?{bot_id}>", " ", content).split())
