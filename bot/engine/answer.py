"""The Answer that the engine returns and every front end renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SourceKind = Literal["article", "public_record", "imported"]


@dataclass(frozen=True)
class Provenance:
    """A row the team added through a reviewed proposal: who proposed and approved it, when."""

    proposal_id: int
    proposed_by: str
    approved_by: str
    added_on: str  # YYYY-MM-DD, the day it was approved
    url: str

    def text(self) -> str:
        """'added by the team on 2026-12-01 (approved by carol), source https://…'."""
        return (f"added by the team on {self.added_on} (approved by {self.approved_by}), "
                f"source {self.url}")


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: an article quote or a public-record link; `provenance` is
    set for a row the team added."""

    id: str
    kind: SourceKind
    quote: str = ""
    url: str = ""
    provenance: Provenance | None = None

    @property
    def urls(self) -> list[str]:
        """The individual links; public-record rows may list several separated by ' ; '."""
        return [u.strip() for u in self.url.split(" ; ") if u.strip()]


@dataclass(frozen=True)
class Answer:
    """A complete reply: the text a person reads plus its structured basis."""

    question: str
    intent: str
    found: bool
    answer: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    suggestions: tuple[str, ...] = ()
    as_of: str | None = None
    understood: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `dandong ask --json`."""
        d = asdict(self)
        d["sources"] = [source_dict(s) for s in self.sources]
        d["suggestions"] = list(self.suggestions)
        return d


def source_dict(s: Source) -> dict[str, Any]:
    """{id, kind, quote, url}, plus `provenance` (with its wording) only for a team row."""
    d = asdict(s)
    if s.provenance is None:
        del d["provenance"]
    else:
        d["provenance"]["text"] = s.provenance.text()
    return d
