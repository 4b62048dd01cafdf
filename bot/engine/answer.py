"""The Answer that the engine returns and every front end renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SourceKind = Literal["article", "public_record", "imported"]


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: an article quote or a public-record link."""

    id: str
    kind: SourceKind
    quote: str = ""
    url: str = ""

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
        d["sources"] = [asdict(s) for s in self.sources]
        d["suggestions"] = list(self.suggestions)
        return d
