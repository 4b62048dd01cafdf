"""What each data file holds, and the checks a row must pass before it is built."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.errors import DataError

KINDS = ("article", "public_record", "imported")
EVENT_KINDS = ("resolution", "veto", "sanctions", "agreement", "case", "treaty", "anniversary",
               "diplomatic", "other")
COVERAGE_TABLES = ("visits", "tests", "sanctions", "events", "trade", "facts")
COVERAGE_STATUS = ("complete", "selective")
# Which rows of a table a coverage row speaks for; each is contained in the next, so a list
# complete for leader-level visits is complete for summits too.
COVERAGE_SUBSETS = ("summit", "leader_level", "high_level", "all")
URL_RE = re.compile(r"^https?://[^\s<>\"]+$")
CONFIDENCE = ("verified", "partial", "unverified")
DIRECTIONS = ("CN->KP", "KP->CN")
# How exactly a visit's start_date is known: to the day, or only to the month or year (the
# date is then the first day of that month or year).
PRECISIONS = ("day", "month", "year")
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


def check_urls(text: str) -> str:
    """One or more http(s) URLs separated by ' ; '."""
    parts = [u.strip() for u in text.split(" ; ")]
    bad = [u for u in parts if not URL_RE.match(u)]
    if bad:
        raise ValueError(f"{bad[0][:80]!r} is not an http(s) URL (separate several with ' ; ')")
    return " ; ".join(parts)


def _money(text: str) -> int:
    """Whole US dollars, digits only (no commas, no units)."""
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"{text!r} is not a whole number of US dollars (digits only)")
    return int(text)


# Longest text a field may hold unless its column says otherwise: data files and team
# proposals are held to the same limits, so nothing oversized reaches an answer or an embed.
MAX_FIELD = 1500
MAX_LENGTH = {"id": 64, "visitor": 100, "leader": 100, "name": 100, "place": 200,
              "visitor_title": 300, "event": 600, "text": 600, "figure": 800, "quote": 1000,
              "source_url": 3000, "source_name": 300, "aliases": 1500, "lead": 1500}


@dataclass(frozen=True)
class Column:
    name: str
    convert: Callable[[str], object] = _text
    required: bool = False

    @property
    def max_length(self) -> int:
        return MAX_LENGTH.get(self.name, MAX_FIELD)


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


# Sanctions (resolutions, vetoes, national measures, agreements, cases) and other events
# (treaties, anniversaries, diplomatic moves) share one shape.
EVENT_COLUMNS = (
    Column("id", _ident, True), Column("date", parse_day, True),
    Column("effective_date", parse_day), Column("end_date", parse_day),
    Column("kind", _enum(*EVENT_KINDS), True), Column("event", required=True),
    Column("figure"), Column("value", _num), Column("unit"), Column("note"),
    Column("source_url", check_urls, True), Column("confidence", _enum(*CONFIDENCE), True),
)

SPECS: tuple[FileSpec, ...] = (
    FileSpec("eras.csv", "eras", "id", (
        C("id", _ident, True), C("country", _enum("China", "DPRK"), True),
        C("leader", required=True),
        C("start_date", parse_day, True), C("end_date", parse_day), C("aliases", required=True),
        C("basis"), C("source_url", check_urls, True), C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("tests.csv", "tests", "n", (
        C("n", _int, True), C("date", parse_day, True), C("description", required=True),
        C("source_url", check_urls, True), C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("visits.csv", "visits", "id", (
        C("id", _ident, True), C("start_date", parse_day, True), C("end_date", parse_day),
        C("date_precision", _enum(*PRECISIONS)),
        C("visitor", required=True), C("visitor_title"), C("direction", _enum(*DIRECTIONS), True),
        C("place"), C("summit", _bool, True), C("leader_level", _bool),
        C("high_level", _bool, True),
        C("after_test", _int), C("days_after_test", _int), C("note"),
        C("source_kind", _enum(*KINDS), True), C("source_url", check_urls), C("source_name"),
        C("confidence", _enum(*CONFIDENCE), True),
    )),
    FileSpec("sanctions.csv", "sanctions", "id", EVENT_COLUMNS),
    FileSpec("events.csv", "events", "id", EVENT_COLUMNS),
    FileSpec("trade.csv", "trade", "year", (
        C("year", _int, True), C("total_usd", _money, True), C("china_exports_usd", _money),
        C("china_imports_usd", _money), C("source_url", check_urls, True),
        C("confidence", _enum(*CONFIDENCE), True), C("note"),
    )),
    # What each table covers, how completely, and how far the record was checked.
    FileSpec("coverage.csv", "coverage", "id", (
        C("id", _ident, True), C("tbl", _enum(*COVERAGE_TABLES), True),
        C("subset", _enum(*COVERAGE_SUBSETS)), C("scope", required=True),
        C("covers_from", parse_day, True), C("covers_to", parse_day, True),
        C("status", _enum(*COVERAGE_STATUS), True), C("checked_through", parse_day, True),
        C("note"),
    )),
    # People and the names users type for them (other romanisations, Hangul, characters).
    FileSpec("people.csv", "people", "id", (
        C("id", _ident, True), C("name", required=True), C("role"),
        C("country", _enum("China", "DPRK"), True), C("aliases"),
        C("source_url", check_urls), C("confidence", _enum(*CONFIDENCE), True), C("note"),
    )),
    FileSpec("facts.csv", "facts", "id", (
        C("id", _ident, True), C("topic", _ident, True), C("text", required=True), C("quote"),
        C("value", _num), C("unit"), C("era_id"), C("test_n", _int),
        C("event_date", check_day_or_month), C("source_kind", _enum(*KINDS), True),
        C("source_url", check_urls), C("as_of", check_day_or_month),
        C("confidence", _enum(*CONFIDENCE), True),
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
            rows.append({"_line": line, **check_row(row, spec.columns, f"{path}:{line}", errors)})
    return rows


def check_row(row: Mapping[str, str | None], columns: Iterable[Column], where: str,
              errors: list[str]) -> dict:
    """One row of text values -> typed values, by the columns' converters and length limits;
    problems appended as 'where: field: why'. The one validator for data files and proposals."""
    typed: dict = {}
    for col in columns:
        raw = (row.get(col.name) or "").strip()
        if len(raw) > col.max_length:
            errors.append(f"{where}: {col.name}: {len(raw)} characters; at most "
                          f"{col.max_length}")
            typed[col.name] = None
            continue
        if not raw:
            if col.required:
                errors.append(f"{where}: {col.name}: is empty")
            typed[col.name] = None
            continue
        try:
            value = col.convert(raw)
        except ValueError as exc:
            errors.append(f"{where}: {col.name}: {exc}")
            value = None
        typed[col.name] = value.isoformat() if isinstance(value, date) else value
    return typed


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
