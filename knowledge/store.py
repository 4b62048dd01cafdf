"""Read-only queries over knowledge.db, returning dataclasses."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.errors import KnowledgeBaseError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Era:
    id: str
    country: str
    leader: str
    start_date: str
    end_date: str | None
    basis: str
    source_url: str
    confidence: str


@dataclass(frozen=True)
class Fact:
    id: str
    topic: str
    text: str
    quote: str | None
    value: str | None
    unit: str | None
    era_id: str | None
    test_n: int | None
    event_date: str | None
    source_kind: str
    source_url: str | None
    as_of: str | None
    confidence: str
    keywords: str | None


@dataclass(frozen=True)
class NuclearTest:
    n: int
    date: str
    description: str
    source_url: str
    confidence: str


@dataclass(frozen=True)
class Visit:
    id: str
    start_date: str
    end_date: str | None
    visitor: str
    visitor_title: str | None
    direction: str
    place: str | None
    summit: int
    high_level: int
    leader_level: int | None
    after_test: int | None
    days_after_test: int | None
    note: str | None
    source_kind: str
    source_url: str | None
    source_name: str | None
    confidence: str
    import_id: str | None
    date_precision: str | None = "day"

    @property
    def exact(self) -> bool:
        """The start date is known to the day (not only to the month or year)."""
        return (self.date_precision or "day") == "day"


@dataclass(frozen=True)
class Sanction:
    """A resolution, veto, national measure, agreement or case (sanctions.csv)."""

    id: str
    date: str
    effective_date: str | None
    end_date: str | None
    kind: str
    event: str
    figure: str | None
    value: str | None
    unit: str | None
    note: str | None
    source_url: str
    confidence: str


@dataclass(frozen=True)
class Event(Sanction):
    """A treaty, anniversary or diplomatic event (events.csv); the same shape as a sanction."""


@dataclass(frozen=True)
class Trade:
    """China–DPRK trade in one calendar year, from Chinese customs as the press reported it."""

    year: int
    total_usd: int
    china_exports_usd: int | None
    china_imports_usd: int | None
    source_url: str
    confidence: str
    note: str | None

    @property
    def id(self) -> str:
        return f"trade_{self.year}"


@dataclass(frozen=True)
class Coverage:
    """How completely a table covers a period for one scope, and how far it was checked."""

    id: str
    tbl: str
    subset: str | None
    scope: str
    covers_from: str
    covers_to: str
    status: str
    checked_through: str
    note: str | None


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str | None
    country: str
    aliases: str | None
    source_url: str | None
    confidence: str
    note: str | None


@dataclass(frozen=True)
class ImportInfo:
    id: str
    label: str
    covers_from: str
    covers_to: str
    file: str
    synthetic: int
    source_name: str
    source_url: str | None
    row_count: int


@dataclass(frozen=True)
class Topic:
    """A topic answer: the facts and records it draws on, and its lead template."""

    id: str
    facts: tuple[str, ...]
    records: tuple[str, ...]
    lead: str | None
    lead_covers: int


@dataclass(frozen=True)
class TopicRule:
    """A question is about `topic` when every group has one of its phrases."""

    topic: str
    groups: tuple[tuple[str, ...], ...]
    weight: int


@dataclass(frozen=True)
class TeamRow:
    """Where a team-added row came from: its proposal, who proposed and approved it, when."""

    row_id: str
    proposal_id: int
    kind: str
    tbl: str
    proposer: str
    approved_by: str
    approved_at: str
    source_url: str
    quote: str | None


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    kind: str
    title: str
    rank: float


@dataclass(frozen=True)
class VisitCount:
    """Visits on record in [start, end] from one complete imported list."""

    import_id: str
    label: str
    start: str
    end: str
    visits: int
    summits: int

    @property
    def years(self) -> float:
        """The span in years (end minus start, 365.25-day years; at least one day)."""
        days = (date.fromisoformat(self.end) - date.fromisoformat(self.start)).days
        return max(days, 1) / 365.25

    def per_year(self, summit_weight: float = 1.0) -> float:
        """Visits a year; a summit counts `summit_weight` times (1 = unweighted)."""
        return (self.visits + (summit_weight - 1) * self.summits) / self.years


_FTS_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """User text -> a safe FTS5 query: each word quoted, OR-ed; '' when there are no words."""
    words = [w for w in _FTS_WORD.findall(text.lower()) if len(w) > 1 or w.isdigit()]
    return " OR ".join(f'"{w}"' for w in words[:32])


# An imported list's high-level visits and summits up to and including a day, or before it.
_TO_DATE_UPTO = ("SELECT visits_to_date, summits_to_date FROM import_day_counts "
                 "WHERE import_id = ? AND day <= ? ORDER BY day DESC LIMIT 1")
_TO_DATE_BEFORE = ("SELECT visits_to_date, summits_to_date FROM import_day_counts "
                   "WHERE import_id = ? AND day < ? ORDER BY day DESC LIMIT 1")


def _split_ids(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").split(";") if x)


@functools.cache
def _fields(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _curated(where: list[str]) -> str:
    """' WHERE' clause over curated visits (not imported lists) and these conditions."""
    return " WHERE import_id IS NULL" + "".join(f" AND ({w})" for w in where)


def _build(cls, row: sqlite3.Row):
    return cls(*map(row.__getitem__, _fields(cls)))


class KnowledgeStore:
    """A read-only view of one knowledge.db; notices when the file is swapped by a rebuild."""

    def __init__(self, db_path: Path | str):
        self.path = Path(db_path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._stamp: tuple[int, int] | None = None
        self._bad_stamp: tuple[int, int] | None = None
        self._cache: dict = {}

    # -- connection ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._conn is not None:
                return self._conn  # the file was moved away: keep serving what we have
            raise KnowledgeBaseError(
                f"No knowledge base at {self.path}. Run `dandong build` to create it.") from None
        stamp = (st.st_ino, st.st_mtime_ns)
        if self._conn is not None and stamp in (self._stamp, self._bad_stamp):
            return self._conn
        with self._lock:
            if self._conn is not None and stamp in (self._stamp, self._bad_stamp):
                return self._conn
            try:
                conn = self._open(check=self._conn is not None)
            except KnowledgeBaseError:
                if self._conn is None:
                    raise
                # A swapped-in file that fails its checks: keep answering from the last good
                # one (the open connection still reads the old file) and say so once.
                log.error("knowledge base at %s failed its checks; still serving the previous "
                          "build. Run `dandong build` to rebuild it.", self.path)
                self._bad_stamp = stamp
                return self._conn
            old, self._conn, self._stamp, self._cache = self._conn, conn, stamp, {}
            self._bad_stamp = None
            if old is not None:
                old.close()
            return conn

    def _open(self, *, check: bool) -> sqlite3.Connection:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
            conn.execute("SELECT value FROM metadata WHERE key='schema_version'").fetchone()
            if check and conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(
                f"The knowledge base at {self.path} cannot be read ({exc}). "
                "Run `dandong build` to rebuild it.") from None
        return conn

    def _rows(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        try:
            return self._connect().execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(
                f"The knowledge base at {self.path} is damaged ({exc}). "
                "Run `dandong build` to rebuild it.") from None

    def _cached(self, key: str, make):
        self._connect()
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def integrity_ok(self) -> bool:
        """PRAGMA integrity_check on the current file."""
        return self._rows("PRAGMA integrity_check")[0][0] == "ok"

    # -- metadata --------------------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        return self._cached("meta", lambda: {r["key"]: r["value"] for r in
                                             self._rows("SELECT key, value FROM metadata")})

    def row_counts(self) -> dict[str, int]:
        return json.loads(self.metadata().get("row_counts", "{}"))

    def row_hashes(self) -> dict[str, str]:
        """id -> content hash of every row, for 'what changed' between builds."""
        return {r["id"]: r["hash"] for r in self._rows("SELECT id, hash FROM row_hashes")}

    # -- eras ------------------------------------------------------------------------------
    def eras(self) -> list[Era]:
        return self._cached("eras", lambda: [_build(Era, r) for r in self._rows(
            "SELECT * FROM eras ORDER BY start_date, country")])

    def era(self, era_id: str) -> Era | None:
        return next((e for e in self.eras() if e.id == era_id), None)

    def era_aliases(self) -> dict[str, str]:
        """alias (lower case) -> era id."""
        return self._cached("aliases", lambda: {r["alias"]: r["era_id"] for r in self._rows(
            "SELECT alias, era_id FROM era_aliases")})

    def era_by_alias(self, alias: str) -> Era | None:
        era_id = self.era_aliases().get(alias.strip().lower())
        return self.era(era_id) if era_id else None

    def era_rates(self) -> dict[str, Fact]:
        """era id -> the fact that states its average annual visit rate."""
        return self._cached("rates", lambda: {f.era_id: f for f in self.facts_by_topic("era_rate")})

    # -- facts -----------------------------------------------------------------------------
    def facts(self) -> list[Fact]:
        return self._cached("facts", lambda: [_build(Fact, r) for r in self._rows(
            "SELECT * FROM facts ORDER BY rowid")])

    def fact(self, fact_id: str) -> Fact | None:
        index = self._cached("fact_index", lambda: {f.id: f for f in self.facts()})
        return index.get(fact_id)

    def facts_by_topic(self, topic: str) -> list[Fact]:
        return [f for f in self.facts() if f.topic == topic]

    def facts_for_test(self, n: int) -> list[Fact]:
        return [f for f in self.facts() if f.test_n == n]

    # -- topics ----------------------------------------------------------------------------
    def topics(self) -> dict[str, Topic]:
        def make() -> dict[str, Topic]:
            return {r["id"]: Topic(r["id"], _split_ids(r["facts"]), _split_ids(r["records"]),
                                   r["lead"] or None, r["lead_covers"] or 0)
                    for r in self._rows("SELECT * FROM topics ORDER BY rowid")}
        return self._cached("topics", make)

    def topic(self, topic_id: str) -> Topic | None:
        return self.topics().get(topic_id)

    def topic_rules(self) -> list[TopicRule]:
        return self._cached("topic_rules", lambda: [
            TopicRule(r["topic"], tuple(tuple(a.strip() for a in g.split("|"))
                                        for g in r["match"].split("+")), r["weight"])
            for r in self._rows("SELECT * FROM topic_rules ORDER BY rowid")])

    # -- tests -----------------------------------------------------------------------------
    def tests(self) -> list[NuclearTest]:
        return self._cached("tests", lambda: [_build(NuclearTest, r) for r in self._rows(
            "SELECT * FROM tests ORDER BY n")])

    def test(self, n: int) -> NuclearTest | None:
        return next((t for t in self.tests() if t.n == n), None)

    def tests_between(self, start: date, end: date) -> list[NuclearTest]:
        return [t for t in self.tests() if start.isoformat() <= t.date <= end.isoformat()]

    def last_test_before(self, day: date) -> NuclearTest | None:
        earlier = [t for t in self.tests() if t.date <= day.isoformat()]
        return earlier[-1] if earlier else None

    # -- visits ----------------------------------------------------------------------------
    def visits_between(self, start: date, end: date, *, high_level_only: bool = False,
                       curated_only: bool = True, limit: int = 500) -> list[Visit]:
        sql = "SELECT * FROM visits WHERE start_date BETWEEN ? AND ?"
        if high_level_only:
            sql += " AND high_level = 1"
        if curated_only:
            sql += " AND import_id IS NULL"
        sql += " ORDER BY start_date, id LIMIT ?"
        return [_build(Visit, r) for r in
                self._rows(sql, (start.isoformat(), end.isoformat(), limit))]

    # Visits under conditions the caller built from its own registry (bot.engine.plan): the
    # conditions and key expressions are that registry's fixed SQL, never user text, and
    # every user value is a named parameter.
    def visits_where(self, where: list[str], params: dict, *, order: str = "start_date, id",
                     limit: int = 500) -> list[Visit]:
        rows = self._rows(f"SELECT * FROM visits{_curated(where)} ORDER BY {order} "  # noqa: S608
                          "LIMIT :_limit", {**params, "_limit": limit})
        return [_build(Visit, r) for r in rows]

    def visit_summary(self, where: list[str], params: dict) -> tuple[int, str | None, str | None]:
        """(count, first start_date, last start_date) of the matching visits, in one query."""
        sql = "SELECT count(*), min(start_date), max(start_date) FROM visits"
        n, first, last = self._rows(sql + _curated(where), params)[0]
        return n, first, last

    def count_visits_by(self, key_sql: str, where: list[str], params: dict) -> dict[str, int]:
        """Visits per key (a year, a visitor); `key_sql` is one of the registry's expressions."""
        rows = self._rows(f"SELECT {key_sql} AS k, count(*) AS n "  # noqa: S608
                          f"FROM visits{_curated(where)} GROUP BY k", params)
        return {r["k"]: r["n"] for r in rows}

    def visit(self, visit_id: str) -> Visit | None:
        rows = self._rows("SELECT * FROM visits WHERE id = ?", (visit_id,))
        return _build(Visit, rows[0]) if rows else None

    def first_visit_after(self, day: date, *, high_level_only: bool = True) -> Visit | None:
        """The first visit on record starting after `day` (curated and imported lists)."""
        sql = "SELECT * FROM visits WHERE start_date > ?"
        sql += " AND high_level = 1" if high_level_only else ""
        rows = self._rows(sql + " ORDER BY start_date, id LIMIT 1", (day.isoformat(),))
        return _build(Visit, rows[0]) if rows else None

    def last_visit_before(self, day: date, *, high_level_only: bool = True,
                          summit_only: bool = False) -> Visit | None:
        sql = "SELECT * FROM visits WHERE start_date <= ?"
        sql += " AND high_level = 1" if high_level_only else ""
        sql += " AND summit = 1" if summit_only else ""
        rows = self._rows(sql + " ORDER BY start_date DESC, id DESC LIMIT 1", (day.isoformat(),))
        return _build(Visit, rows[0]) if rows else None

    def post_test_visit(self, n: int) -> Visit | None:
        rows = self._rows("SELECT * FROM visits WHERE after_test = ? ORDER BY start_date LIMIT 1",
                          (n,))
        return _build(Visit, rows[0]) if rows else None

    def visits_by_visitor(self, name: str) -> list[Visit]:
        rows = self._rows("SELECT * FROM visits WHERE visitor = ? COLLATE NOCASE "
                          "AND import_id IS NULL ORDER BY start_date", (name,))
        return [_build(Visit, r) for r in rows]

    def visits_with_prefix(self, prefix: str) -> list[Visit]:
        rows = self._rows("SELECT * FROM visits WHERE id >= ? AND id < ? ORDER BY start_date",
                          (prefix, prefix + "\uffff"))
        return [_build(Visit, r) for r in rows]

    # -- imports ---------------------------------------------------------------------------
    def imports(self) -> list[ImportInfo]:
        return self._cached("imports", lambda: [_build(ImportInfo, r) for r in self._rows(
            "SELECT * FROM imports ORDER BY covers_from, id")])

    def count_visits(self, start: date, end: date) -> VisitCount | None:
        """Count visits in [start, end] from an imported list that covers the whole range."""
        s, e = start.isoformat(), end.isoformat()
        cover = next((i for i in self.imports() if i.covers_from <= s and e <= i.covers_to), None)
        if cover is None:
            return None
        if not self._has_day_counts():  # a knowledge base built before import_day_counts
            row = self._rows(
                "SELECT count(*) AS n, coalesce(sum(summit), 0) AS s FROM visits "
                "WHERE import_id = ? AND high_level = 1 AND start_date BETWEEN ? AND ?",
                (cover.id, s, e))[0]
            return VisitCount(cover.id, cover.label, s, e, row["n"], row["s"])
        if s > e:
            return VisitCount(cover.id, cover.label, s, e, 0, 0)
        # Running totals at the end of the period minus those before it: two index lookups
        # however long the period, where counting the rows scans every visit in it.
        upto_end = self._rows(_TO_DATE_UPTO, (cover.id, e))
        before = self._rows(_TO_DATE_BEFORE, (cover.id, s))
        n, summits = ((upto_end[0][k] if upto_end else 0) - (before[0][k] if before else 0)
                      for k in (0, 1))
        return VisitCount(cover.id, cover.label, s, e, n, summits)

    def _has_day_counts(self) -> bool:
        return self._cached("day_counts", lambda: bool(self._rows(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'import_day_counts'")))

    # -- sanctions -------------------------------------------------------------------------
    def sanctions(self) -> list[Sanction]:
        return self._cached("sanctions", lambda: [_build(Sanction, r) for r in self._rows(
            "SELECT * FROM sanctions ORDER BY date")])

    def sanction(self, sanction_id: str) -> Sanction | None:
        return next((s for s in self.sanctions() if s.id == sanction_id), None)

    # -- events, trade, coverage, people ---------------------------------------------------
    def events(self) -> list[Event]:
        return self._cached("events", lambda: [_build(Event, r) for r in self._rows(
            "SELECT * FROM events ORDER BY date, id")])

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.events() if e.id == event_id), None)

    def trade(self) -> list[Trade]:
        return self._cached("trade", lambda: [_build(Trade, r) for r in self._rows(
            "SELECT * FROM trade ORDER BY year")])

    def trade_year(self, year: int) -> Trade | None:
        return next((t for t in self.trade() if t.year == year), None)

    def coverage(self, table: str | None = None) -> list[Coverage]:
        rows = self._cached("coverage", lambda: [_build(Coverage, r) for r in self._rows(
            "SELECT * FROM coverage ORDER BY tbl, covers_from, id")])
        return [c for c in rows if table is None or c.tbl == table]

    def people(self) -> list[Person]:
        return self._cached("people", lambda: [_build(Person, r) for r in self._rows(
            "SELECT * FROM people ORDER BY id")])

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people() if p.id == person_id), None)

    def person_aliases(self) -> dict[str, str]:
        """alias (lower case) -> person id."""
        return self._cached("person_aliases", lambda: {r["alias"]: r["person_id"] for r in
                                                       self._rows("SELECT * FROM people_aliases")})

    # -- team rows -------------------------------------------------------------------------
    def team_rows(self) -> dict[str, TeamRow]:
        """row id -> provenance of every row the team added through proposals."""
        def make() -> dict[str, TeamRow]:
            has = self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                             "AND name = 'team_rows'")
            if not has:  # a knowledge base built before team curation
                return {}
            return {r["row_id"]: _build(TeamRow, r) for r in self._rows(
                "SELECT * FROM team_rows ORDER BY approved_at, proposal_id")}
        return self._cached("team_rows", make)

    def team_row(self, row_id: str) -> TeamRow | None:
        return self.team_rows().get(row_id)

    # -- search ----------------------------------------------------------------------------
    def search(self, text: str, limit: int = 5) -> list[SearchHit]:
        """Ranked full-text search; empty or punctuation-only text finds nothing."""
        query = fts_query(text)
        if not query:
            return []
        rows = self._rows(
            "SELECT s.doc_id, s.kind, s.title, f.rank FROM search_index_fts f "
            "JOIN search_index s ON s.rowid = f.rowid "
            "WHERE search_index_fts MATCH ? ORDER BY f.rank LIMIT ?", (query, limit))
        return [SearchHit(r["doc_id"], r["kind"], r["title"], r["rank"]) for r in rows]

    def lookup(self, ref: str) -> Fact | Visit | NuclearTest | Sanction | Trade | Era | None:
        """Any row by its id: fact, visit, sanction, event, 'test_N', 'trade_YYYY' or 'era_ID'."""
        ref = ref.strip()
        if m := re.fullmatch(r"test_(\d+)", ref):
            return self.test(int(m[1]))
        if m := re.fullmatch(r"trade_(\d{4})", ref):
            return self.trade_year(int(m[1]))
        if ref.startswith("era_"):
            return self.era(ref[4:])
        return self.fact(ref) or self.sanction(ref) or self.event(ref) or self.visit(ref)


def open_store(db_path: Path | str, data_dir: Path | None = None, *,
               curation_db: Path | None = None, build_if_needed: bool = True) -> KnowledgeStore:
    """The composition root every front end calls: the store for `db_path`, (re)built first
    from `data_dir` (default: the shipped data) and the approved rows of `curation_db`
    (default: curation.db beside it) when the file is missing or stale."""
    if build_if_needed:
        from knowledge.build import DATA_DIR, ensure_built

        if ensure_built(Path(db_path), data_dir or DATA_DIR, curation_db):
            log.info("built %s", db_path)
    return KnowledgeStore(db_path)
