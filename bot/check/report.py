"""What a fact-check returns: one verdict per claim and the worst of them (the JSON contract of
`dandong check --json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.engine.answer import Source, source_dict

Verdict = Literal["supported", "contradicted", "discrepancy", "unknown"]
# Worst first: a paragraph is as wrong as its worst claim.
SEVERITY: dict[str, int] = {"contradicted": 3, "discrepancy": 2, "unknown": 1, "supported": 0}
LABEL = {"supported": "Supported", "contradicted": "Contradicted",
         "discrepancy": "Article and record differ", "unknown": "Unknown"}


@dataclass(frozen=True)
class ClaimResult:
    """One claim: where it is, what was checked, the verdict and the figure on record."""

    span: str  # the sentence (or clause) as written
    start: int  # offsets of `span` in the checked text
    end: int
    claim: str  # what was checked, in words
    verdict: Verdict
    answer: str  # the right figure first, then its basis
    expected: str | None = None  # what the knowledge base gives
    stated: str | None = None  # what the text says, as written
    sources: tuple[Source, ...] = ()
    as_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sources"] = [source_dict(s) for s in self.sources]
        return d


@dataclass(frozen=True)
class Report:
    """Every claim found in a text, and the worst verdict among them."""

    text: str
    verdict: Verdict
    answer: str
    claims: tuple[ClaimResult, ...] = ()
    as_of: str | None = None
    sources: tuple[Source, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: text, verdict, answer, claims, as_of."""
        return {"text": self.text, "verdict": self.verdict, "answer": self.answer,
                "claims": [c.to_dict() for c in self.claims], "as_of": self.as_of}


NO_CLAIMS = ("No checkable claim found. Dandong checks figures (visit rates, counts, days, "
             "percentages, money, tonnages), dates, people and their offices, nuclear tests and "
             "leaders' periods against its knowledge base.")


def make_report(text: str, claims: list[ClaimResult]) -> Report:
    """The report for these claims, in text order: worst verdict first in the answer."""
    claims = sorted(claims, key=lambda c: (c.start, c.end))
    if not claims:
        return Report(text=text, verdict="unknown", answer=NO_CLAIMS)
    worst = max(claims, key=lambda c: SEVERITY[c.verdict]).verdict
    counts = {v: sum(1 for c in claims if c.verdict == v) for v in SEVERITY}
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv:
                                                       -SEVERITY[kv[0]]) if n)
    lines = [f"{LABEL[worst]}: {len(claims)} claim{'s' if len(claims) != 1 else ''} checked "
             f"({summary})."]
    ordered = sorted(claims, key=lambda c: (-SEVERITY[c.verdict], c.start))
    lines += [f"{LABEL[c.verdict]}: {c.answer}" for c in ordered]
    as_of = max((c.as_of for c in claims if c.as_of), default=None)
    uniq: dict[str, Source] = {}
    for c in ordered:
        for s in c.sources:
            uniq.setdefault(s.id, s)
    return Report(text=text, verdict=worst, answer="\n".join(lines), claims=tuple(claims),
                  as_of=as_of, sources=tuple(uniq.values()))
