"""Answer -> plain text for the terminal."""

from __future__ import annotations

from bot.check.report import LABEL, Report
from bot.engine.answer import Answer
from bot.engine.sources import long_date

KIND_LABEL = {"article": "article", "public_record": "public record", "imported": "imported list"}


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def source_line(s) -> str:
    label = KIND_LABEL.get(s.kind, s.kind)
    if s.provenance is not None:
        quote = f" \u2014 \u201c{trim(s.quote, 200)}\u201d" if s.quote else ""
        return f"[{s.id}] {s.provenance.text()}{quote}"
    if s.quote and s.kind == "article":
        return f"[{s.id}] {label}: \u201c{trim(s.quote, 300)}\u201d"
    parts = [f"[{s.id}] {label}"]
    if s.quote:
        parts.append(trim(s.quote, 200))
    if s.url:
        parts.append(s.urls[0] + (f" (+{len(s.urls) - 1} more)" if len(s.urls) > 1 else ""))
    return ": ".join(parts[:1]) + (": " + " — ".join(parts[1:]) if parts[1:] else "")


def render_text(answer: Answer, max_sources: int = 6) -> str:
    """The answer, then its sources and as-of date, for a terminal."""
    out = [answer.answer]
    if answer.understood:
        out.append(f"Understood: {answer.understood}")
    if answer.sources:
        out.append("")
        out.append("Sources:")
        out += [f"  {source_line(s)}" for s in answer.sources[:max_sources]]
        if len(answer.sources) > max_sources:
            out.append(f"  … and {len(answer.sources) - max_sources} more")
    if answer.as_of:
        out.append(f"As of {long_date(answer.as_of)}.")
    if answer.suggestions:
        out.append("")
        out.append("Try: " + " · ".join(answer.suggestions))
    return "\n".join(out)


MARK = {"supported": "✅", "contradicted": "❌", "discrepancy": "⚠️", "unknown": "❔"}


def render_report(report: Report, max_sources: int = 8) -> str:
    """A fact-check for a terminal: the verdict, one line per claim (right figure first),
    then the sources."""
    out = [report.answer.split("\n", 1)[0], ""]
    for c in sorted(report.claims, key=lambda c: c.start):
        out.append(f"{MARK[c.verdict]} {LABEL[c.verdict]}: \u201c{trim(c.span, 120)}\u201d")
        out.append(f"   {c.answer}")
    if not report.claims:
        out = [report.answer]
    if report.sources:
        out += ["", "Sources:"]
        out += [f"  {source_line(s)}" for s in report.sources[:max_sources]]
        if len(report.sources) > max_sources:
            out.append(f"  … and {len(report.sources) - max_sources} more")
    return "\n".join(out)
