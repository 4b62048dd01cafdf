"""What each data file holds, and the checks a row must pass before it is built."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.errors import DataError

KINDS = ("article", "public_record", "imported")
CONFIDENCE = ("verified", "partial", "unverified")
DIRECTIONS = ("CN->KP", "KP->CN")
ID_RE = re.compile(r"^[a-z0-9_]+$")


def parse_day(text: str) -> date:
    """ISO date 'YYYY-MM-DD' -> date; ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def check_day_or_month(text: str) -> str:
    """'YYYY-MM-DD' or 'YYYY-MM' (the article often dates to the month)."""
    if re.fullmatch(r"\d{4}-\d{2}", text):
        if not 1 <= int(text[5:]) <= 12:
            raise ValueError(f"{text!r} has no such month")
        return text
    parse_day(text)
    return text


def check_match(text: str) -> str:
    """Question phrases: groups joined by ' + ' (all must appear), alternatives by '|'."""
    groups = [g.strip() for g in text.split("+")]
    for g in groups:
        alts = [a.strip() for a in g.split("|")]
        if not g or any(not a for a in alts):
            raise ValueError(f"{text!r}: an empty phrase (write groups as 'a|b + c|d')")
        if any(a != a.lower() for a in alts):
            raise ValueError(f"{text!r}: phrases are matched in lower case; write them so")
    return text


def _int(text: str) -> int:
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def _bool(text: str) -> int:
    if text not in ("0", "1"):
        raise ValueError(f"{text!r} must be 0 or 1")
    return int(text)


def _num(text: str) -> float | int | str:
    """Numbers stay numbers; ranges such as '80-85' stay as written."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    if re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", text):
        return text
    raise ValueError(f"{text!r} is not a number or a range like 80-85")


def _enum(*allowed: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"{text!r} must be one of {', '.join(allowed)}")
        return text

    return check


def _ident(text: str) -> str:
    if not ID_RE.match(text):
        raise ValueError(f"{text!r} must be lower-case letters, digits and _")
    return text


def _text(text: str) -> str:
    return text


@dataclass(frozen=True)
class Column:
    name: str
    convert: Callable[[str], object] = _text
    required: bool = False


@dataclass(frozen=True)
class FileSpec:
    """One data file: its table, key and columns."""

    file: str
    table: str
    pk: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def C(name: str, convert: Callable[[str], object] = _text, required: bool = False) -> Column:
    return Column(name, convert, required)


SPECS: tuple[FileSpec, ...] = (
    FileSpec("eras.csv", "eras", "id", (
        C("id", _ident, True), C("country", _enum("China", "DPRK"), True),
        C("leader", required=True),
        C("start_date", parse_day, True), C("end_date", parse_day), C("aliases", required=True),
        C("basis"), C("source_url", required=True), C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("tests.csv", "tests", "n", (
        C("n", _int, True), C("date", parse_day, True), C("description", required=True),
        C("source_url", required=True), C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("visits.csv", "visits", "id", (
        C("id", _ident, True), C("start_date", parse_day, True), C("end_date", parse_day),
        C("visitor", required=True), C("visitor_title"), C("direction", _enum(*DIRECTIONS), True),
        C("place"), C("summit", _bool, True), C("high_level", _bool, True), C("after_test", _int),
        C("days_after_test", _int), C("note"), C("source_kind", _enum(*KINDS), True),
        C("source_url"), C("source_name"), C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("sanctions.csv", "sanctions", "id", (
        C("id", _ident, True), C("date", parse_day, True), C("effective_date", parse_day),
        C("end_date", parse_day), C("event", required=True), C("figure"),
        C("source_url", required=True), C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("facts.csv", "facts", "id", (
        C("id", _ident, True), C("topic", _ident, True), C("text", required=True), C("quote"),
        C("value", _num), C("unit"), C("era_id"), C("test_n", _int),
        C("event_date", check_day_or_month), C("source_kind", _enum(*KINDS), True),
        C("source_url"), C("as_of", check_day_or_month), C("confidence", _enum(*CONFIDENCE), True),
        C("keywords"), C("match", check_match),
    )),
    # Topics: what a topic answer draws on and how its first line is worded (knowledge/
    # templates.py); topic_rules: the phrases that make a question about a topic.
    FileSpec("topics.csv", "topics", "id", (
        C("id", _ident, True), C("facts"), C("records"), C("lead"), C("lead_covers", _int),
    )),
    FileSpec("topic_rules.csv", "topic_rules", "", (
        C("topic", _ident, True), C("match", check_match, True), C("weight", _int),
    )),
)

IMPORT_SPEC = FileSpec("imports.csv", "imports", "id", (
    C("id", _ident, True), C("label", required=True), C("covers_from", parse_day, True),
    C("covers_to", parse_day, True), C("file", required=True), C("synthetic", _bool, True),
    C("source_name", required=True), C("source_url"),
))


def read_rows(path: Path, spec: FileSpec, errors: list[str]) -> list[dict]:
    """Rows of one file converted to typed dicts; problems appended as 'file:line: field: why'."""
    rows: list[dict] = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [n for n in spec.names if n not in (reader.fieldnames or [])]
        if missing:
            errors.append(f"{path}:1: header: missing column(s) {', '.join(missing)}")
            return rows
        for row in reader:
            line = reader.line_num
            typed: dict = {"_line": line}
            for col in spec.columns:
                raw = (row.get(col.name) or "").strip()
                if not raw:
                    if col.required:
                        errors.append(f"{path}:{line}: {col.name}: is empty")
                    typed[col.name] = None
                    continue
                try:
                    value = col.convert(raw)
                except ValueError as exc:
                    errors.append(f"{path}:{line}: {col.name}: {exc}")
                    value = None
                typed[col.name] = value.isoformat() if isinstance(value, date) else value
            rows.append(typed)
    return rows


def check_unique(path: Path, rows: Iterable[dict], key: str, errors: list[str],
                 seen: dict[object, str] | None = None) -> None:
    """Each key once (across files when `seen` is shared)."""
    seen = {} if seen is None else seen
    for row in rows:
        k = row.get(key)
        if k is None:
            continue
        where = f"{path}:{row['_line']}"
        if k in seen:
            errors.append(f"{where}: {key}: duplicate id {k!r} (first at {seen[k]})")
        else:
            seen[k] = where


def raise_if(errors: list[str]) -> None:
    if errors:
        shown = errors[:50]
        more = f"\n  … and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise DataError("Data files rejected; the knowledge base was not changed:\n  "
                        + "\n  ".join(shown) + more)
