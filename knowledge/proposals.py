"""Team proposals as data-file rows: a visit, a fact or an event as a team member types it in
(a Draft), turned into a row of visits.csv, facts.csv or events.csv and checked by exactly the
columns of those files (knowledge.schema.check_row), plus what a proposal needs on top: a link
to its source and an end date that is not before the start. Pure: no database here."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from knowledge.errors import DataError
from knowledge.schema import DIRECTIONS, SPECS, Column, check_row

KINDS = ("visit", "fact", "event")
TABLES = {"visit": "visits", "fact": "facts", "event": "events"}
TEAM_TOPIC = "team"  # the topic of team facts; found by search, not by a topic rule
TEAM_EVENT_KIND = "other"
# A reviewer approved the row against its source; that is what "verified" means in the files.
TEAM_CONFIDENCE = "verified"
QUOTE = Column("quote")

# The form field each column is filled from, so a message names what the person typed.
FIELD_NAMES = {
    "visit": {"start_date": "date", "end_date": "end date", "visitor": "who",
              "visitor_title": "who (the title after the comma)", "note": "what",
              "source_url": "source URL",
              "direction": "direction (CN->KP: China to North Korea, KP->CN: the reverse)"},
    "fact": {"event_date": "date", "text": "what", "keywords": "who", "quote": "quote",
             "source_url": "source URL"},
    "event": {"date": "date", "end_date": "end date", "event": "what", "note": "who",
              "source_url": "source URL"},
}
_RANGE = re.compile(r"\s+(?:to|until|through)\s+|\s*(?:–|—|/|\.\.)\s*|\s+-\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    """A proposed row as typed in; stored as the proposal's JSON payload."""

    kind: str
    date: str = ""
    end_date: str = ""
    who: str = ""
    what: str = ""
    url: str = ""
    quote: str = ""
    direction: str = ""  # visits only: CN->KP or KP->CN
    summit: bool = False  # visits only
    high_level: bool = True  # visits only

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Draft:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: Mapping) -> Draft:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def split_dates(text: str) -> tuple[str, str]:
    """'2026-11-20' -> ('2026-11-20', ''); '2026-11-20 to 2026-11-22' (or –, /, ..) -> both."""
    parts = [p.strip() for p in _RANGE.split(text.strip(), maxsplit=1)]
    return (parts[0], parts[1]) if len(parts) == 2 else (text.strip(), "")


def split_who(text: str) -> tuple[str, str]:
    """'Wang Yi, Foreign Minister' -> ('Wang Yi', 'Foreign Minister')."""
    name, _, title = text.partition(",")
    return " ".join(name.split()), " ".join(title.split())


def row_id(kind: str, proposal_id: int) -> str:
    """The id a team row is built and cited under: team_visit_12."""
    return f"team_{kind}_{proposal_id}"


def row_text(draft: Draft, rid: str) -> dict[str, str]:
    """The draft as a row of its data file, every column as text (what an export writes)."""
    return {k: v.strip() for k, v in _row_text(draft, rid).items()}


def _row_text(draft: Draft, rid: str) -> dict[str, str]:
    flag = {True: "1", False: "0"}
    if draft.kind == "visit":
        visitor, title = split_who(draft.who)
        return {"id": rid, "start_date": draft.date, "end_date": draft.end_date,
                "visitor": visitor, "visitor_title": title, "direction": draft.direction,
                "place": "", "summit": flag[bool(draft.summit)],
                "leader_level": "1" if draft.summit else "",
                "high_level": flag[bool(draft.high_level)], "after_test": "",
                "days_after_test": "", "note": draft.what, "source_kind": "public_record",
                "source_url": draft.url, "source_name": "", "confidence": TEAM_CONFIDENCE}
    if draft.kind == "fact":
        return {"id": rid, "topic": TEAM_TOPIC, "text": draft.what, "quote": draft.quote,
                "value": "", "unit": "", "era_id": "", "test_n": "", "event_date": draft.date,
                "source_kind": "public_record", "source_url": draft.url, "as_of": "",
                "confidence": TEAM_CONFIDENCE, "keywords": draft.who, "match": ""}
    if draft.kind == "event":
        return {"id": rid, "date": draft.date, "effective_date": "", "end_date": draft.end_date,
                "kind": TEAM_EVENT_KIND, "event": draft.what, "figure": "", "value": "",
                "unit": "", "note": draft.who, "source_url": draft.url,
                "confidence": TEAM_CONFIDENCE}
    raise DataError(f"kind: {draft.kind!r} must be one of {', '.join(KINDS)}")


def spec_for(kind: str):
    """The data-file spec a kind of proposal becomes a row of."""
    return next(s for s in SPECS if s.table == TABLES[kind])


def validate(draft: Draft, rid: str) -> dict:
    """The typed row, checked by the columns of its data file; DataError naming every problem
    by the field the person filled in."""
    if draft.kind not in KINDS:
        raise DataError(f"The proposal was not saved: kind: {draft.kind!r} must be one of "
                        f"{', '.join(KINDS)}")
    raw = row_text(draft, rid)
    names = FIELD_NAMES[draft.kind]
    problems: list[str] = []
    typed: dict = {}
    for col in spec_for(draft.kind).columns:
        errors: list[str] = []
        typed.update(check_row(raw, (col,), "-", errors))
        problems += [f"{names.get(col.name, col.name)}: {e.split(': ', 2)[2]}" for e in errors]
    if draft.kind == "visit" and not draft.direction.strip():
        problems = [p for p in problems if not p.startswith("direction")]
        problems.append(f"direction: say who travelled: {' or '.join(DIRECTIONS)}")
    if not draft.url.strip():
        problems = [p for p in problems if not p.startswith("source URL")]
        problems.append("source URL: is empty; a team row needs a link to its source "
                        "(http:// or https://)")
    if draft.kind != "fact":
        errors = []
        check_row({"quote": draft.quote}, (QUOTE,), "-", errors)
        problems += [f"quote: {e.split(': ', 2)[2]}" for e in errors]
    start, end = typed.get("start_date") or typed.get("date"), typed.get("end_date")
    if start and end and end < start:
        problems.append(f"end date: {end} is before the start, {start}")
    if problems:
        raise DataError("The proposal was not saved:\n  " + "\n  ".join(problems))
    return typed


def _fold(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def key_of(kind: str, row: Mapping) -> tuple[str, str, str]:
    """What makes two rows the same: kind, date and visitor (visits) or text (facts, events)."""
    if kind == "visit":
        return ("visit", str(row.get("start_date") or ""), _fold(row.get("visitor")))
    if kind == "fact":
        return ("fact", str(row.get("event_date") or ""), _fold(row.get("text")))
    return ("event", str(row.get("date") or ""), _fold(row.get("event")))


def describe(draft: Draft) -> str:
    """One line for listings: 'visit 2026-11-20: Wang Yi (CN->KP) — talks …'."""
    when = draft.date + (f" to {draft.end_date}" if draft.end_date else "")
    head = f"{draft.kind} {when}".strip()
    who = f"{draft.who} ({draft.direction})" if draft.kind == "visit" else draft.who
    what = " — ".join(x for x in (who, draft.what) if x)
    text = f"{head}: {what}"
    return text if len(text) <= 200 else text[:199].rstrip() + "…"
