"""The curation database: team proposals and their append-only audit log, in a writable SQLite
file of their own (DANDONG_CURATION_DB), never in the read-only knowledge base.

Every action is one `BEGIN IMMEDIATE` transaction that re-reads the proposal, checks it is in
the state the action needs, changes it and appends its audit row. So a retried or duplicated
approve finds the proposal approved and is refused, never applied twice; a process killed
before COMMIT leaves nothing behind; and a proposal retried with the same nonce is recorded
once. The build reads approved rows from here (knowledge.overlay).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from knowledge import proposals
from knowledge.errors import DataError, UsageError
from knowledge.proposals import Draft

DEFAULT_NAME = "curation.db"
STATUSES = ("pending", "approved", "rejected", "exported")
IN_KB = ("approved", "exported")  # the statuses whose rows the build merges
REASON_MAX = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('visit', 'fact', 'event')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected', 'exported')),
    payload TEXT NOT NULL,
    proposer TEXT NOT NULL,
    proposer_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reviewer TEXT,
    reviewer_name TEXT,
    reviewed_at TEXT,
    reason TEXT,
    nonce TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('propose', 'approve', 'reject', 'export')),
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    before TEXT,
    after TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS proposals_kept BEFORE DELETE ON proposals
BEGIN SELECT RAISE(ABORT, 'proposals are never deleted; reject them instead'); END;
"""
_COLUMNS = ("id", "kind", "status", "payload", "proposer", "proposer_name", "created_at",
            "reviewer", "reviewer_name", "reviewed_at", "reason", "nonce")


def default_path(db_path: Path) -> Path:
    """Where the curation database lives unless DANDONG_CURATION_DB says: next to the KB."""
    return Path(db_path).with_name(DEFAULT_NAME)


def pause_point(step: str) -> None:
    """Test hook: block for good at `step` when DANDONG_TEST_PAUSE_AT names it, so a crash test
    can kill the process exactly there. Steps: propose:before-commit, propose:committed,
    approve:before-commit, approve:committed, reject:before-commit, export:written."""
    if os.environ.get("DANDONG_TEST_PAUSE_AT") != step:
        return
    print(f"paused at {step}", file=sys.stderr, flush=True)
    while True:
        time.sleep(60)


@dataclass(frozen=True)
class Actor:
    """Who acts: a stable key ('discord:1234', 'cli:alice') and the name to show."""

    key: str
    name: str


@dataclass(frozen=True)
class Proposal:
    id: int
    kind: str
    status: str
    draft: Draft
    proposer: str
    proposer_name: str
    created_at: str
    reviewer: str | None
    reviewer_name: str | None
    reviewed_at: str | None
    reason: str | None
    nonce: str | None

    @property
    def row_id(self) -> str:
        return proposals.row_id(self.kind, self.id)

    def as_record(self) -> dict:
        """The proposal as the audit log keeps it (before/after)."""
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "payload": json.loads(self.draft.to_json()), "proposer": self.proposer,
                "proposer_name": self.proposer_name, "created_at": self.created_at,
                "reviewer": self.reviewer, "reviewer_name": self.reviewer_name,
                "reviewed_at": self.reviewed_at, "reason": self.reason}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    actor_name: str
    action: str
    proposal_id: int
    before: dict | None
    after: dict | None

    def text(self) -> str:
        """'2026-12-01 10:00 UTC  carol approved #3 (pending -> approved)'."""
        was = (self.before or {}).get("status")
        now = (self.after or {}).get("status")
        change = f"{was} -> {now}" if was else now
        line = (f"{self.at[:16].replace('T', ' ')} UTC  {self.actor_name} "
                f"{PAST[self.action]} #{self.proposal_id} ({change})")
        if self.action == "reject" and self.after and self.after.get("reason"):
            line += f": {self.after['reason']}"
        if self.action == "propose" and self.after:
            line += f": {proposals.describe(Draft.from_dict(self.after['payload']))}"
        return line


PAST = {"propose": "proposed", "approve": "approved", "reject": "rejected", "export": "exported"}


def _proposal(row: sqlite3.Row | tuple) -> Proposal:
    r = dict(zip(_COLUMNS, row, strict=True))
    return Proposal(r["id"], r["kind"], r["status"], Draft.from_json(r["payload"]),
                    r["proposer"], r["proposer_name"], r["created_at"], r["reviewer"],
                    r["reviewer_name"], r["reviewed_at"], r["reason"], r["nonce"])


def _iso(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return now.isoformat(timespec="seconds")


def _dumps(record: dict | None) -> str | None:
    return None if record is None else json.dumps(record, sort_keys=True, ensure_ascii=False)


class CurationStore:
    """Proposals and the audit log over one SQLite file (created when missing)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=15, isolation_level=None)
            # A rollback journal, not WAL: the build reads this file while the bot may be
            # writing, and tiny, rare transactions gain nothing from WAL's extra files.
            self._db.execute("PRAGMA journal_mode=DELETE")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise DataError(f"The curation database at {self.path} cannot be opened for "
                            f"writing ({exc}); check DANDONG_CURATION_DB.") from None

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the write lock is taken before anything is read."""
        c = self._db
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    # -- reading ---------------------------------------------------------------------------
    def get(self, proposal_id: int) -> Proposal:
        """The proposal with this id; UsageError naming it when there is none."""
        found = self._get(self._db, proposal_id)
        if found is None:
            raise UsageError(f"There is no proposal #{proposal_id}; `kb pending` lists them.")
        return found

    @staticmethod
    def _get(c: sqlite3.Connection, proposal_id: int) -> Proposal | None:
        row = c.execute(f"SELECT {', '.join(_COLUMNS)} FROM proposals WHERE id = ?",  # noqa: S608
                        (proposal_id,)).fetchone()
        return _proposal(row) if row else None

    def _select(self, where: str = "1", params: tuple = ()) -> list[Proposal]:
        # `where` is always one of this module's literals; values are bound.
        rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM proposals "  # noqa: S608
                                f"WHERE {where} ORDER BY id", params).fetchall()
        return [_proposal(r) for r in rows]

    def pending(self) -> list[Proposal]:
        return self._select("status = 'pending'")

    def in_knowledge_base(self) -> list[Proposal]:
        """Approved proposals, exported or not: the rows the build merges."""
        return self._select("status IN ('approved', 'exported')")

    def approved_not_exported(self) -> list[Proposal]:
        return self._select("status = 'approved'")

    def history(self, proposal_id: int | None = None) -> list[AuditEntry]:
        """The audit log, oldest first; for one proposal when `proposal_id` is given."""
        sql = "SELECT id, at, actor, actor_name, action, proposal_id, before, after FROM audit"
        params: tuple = ()
        if proposal_id is not None:
            self.get(proposal_id)
            sql, params = sql + " WHERE proposal_id = ?", (proposal_id,)
        rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5],
                           json.loads(r[6]) if r[6] else None,
                           json.loads(r[7]) if r[7] else None) for r in rows]

    # -- actions ---------------------------------------------------------------------------
    def propose(self, draft: Draft, by: Actor, now: datetime, *, nonce: str | None = None,
                known: Iterable[tuple[tuple, str]] = ()) -> tuple[Proposal, bool]:
        """Record a pending proposal; (proposal, True), or (the earlier one, False) when this
        nonce was recorded before. `known`: (key, row id) of rows already in the knowledge base,
        to refuse duplicates. DataError when the draft fails validation."""
        proposals.validate(draft, proposals.row_id(draft.kind, 0))
        with self._tx() as c:
            if nonce is not None:
                row = c.execute(f"SELECT {', '.join(_COLUMNS)} FROM proposals "  # noqa: S608
                                "WHERE nonce = ?", (nonce,)).fetchone()
                if row is not None:
                    return _proposal(row), False
            self._refuse_duplicate(c, draft, known, statuses=("pending", *IN_KB))
            cur = c.execute(
                "INSERT INTO proposals (kind, status, payload, proposer, proposer_name, "
                "created_at, nonce) VALUES (?, 'pending', ?, ?, ?, ?, ?)",
                (draft.kind, draft.to_json(), by.key, by.name, _iso(now), nonce))
            created = self._get(c, cur.lastrowid)
            assert created is not None
            self._audit(c, now, by, "propose", created, None)
            pause_point("propose:before-commit")
        return created, True

    def approve(self, proposal_id: int, by: Actor, now: datetime, *,
                known: Iterable[tuple[tuple, str]] = ()) -> Proposal:
        """Approve a pending proposal made by someone else; refused (UsageError) for one that is
        not pending or is the reviewer's own, DataError for a duplicate or invalid row."""
        with self._tx() as c:
            before = self._pending(c, proposal_id, "approved")
            if before.proposer == by.key:
                raise UsageError(f"You proposed #{proposal_id}; another reviewer has to "
                                 "approve it.")
            proposals.validate(before.draft, before.row_id)
            self._refuse_duplicate(c, before.draft, known, statuses=IN_KB, besides=proposal_id)
            c.execute("UPDATE proposals SET status = 'approved', reviewer = ?, "
                      "reviewer_name = ?, reviewed_at = ?, reason = NULL WHERE id = ? "
                      "AND status = 'pending'", (by.key, by.name, _iso(now), proposal_id))
            after = self._get(c, proposal_id)
            assert after is not None
            self._audit(c, now, by, "approve", after, before)
            pause_point("approve:before-commit")
        return after

    def reject(self, proposal_id: int, by: Actor, reason: str, now: datetime) -> Proposal:
        """Reject a pending proposal with a reason (the proposer may withdraw their own)."""
        reason = " ".join(reason.split())
        if not reason:
            raise UsageError("Say why the proposal is rejected (a reason is required).")
        if len(reason) > REASON_MAX:
            raise UsageError(f"reason: {len(reason)} characters; at most {REASON_MAX}")
        with self._tx() as c:
            before = self._pending(c, proposal_id, "rejected")
            c.execute("UPDATE proposals SET status = 'rejected', reviewer = ?, "
                      "reviewer_name = ?, reviewed_at = ?, reason = ? WHERE id = ? "
                      "AND status = 'pending'", (by.key, by.name, _iso(now), reason, proposal_id))
            after = self._get(c, proposal_id)
            assert after is not None
            self._audit(c, now, by, "reject", after, before)
            pause_point("reject:before-commit")
        return after

    def mark_exported(self, proposal_ids: Iterable[int], by: Actor, now: datetime) -> int:
        """Approved -> exported once their rows are in the data files; how many changed."""
        changed = 0
        with self._tx() as c:
            for pid in proposal_ids:
                before = self._get(c, pid)
                if before is None or before.status != "approved":
                    continue  # exported by an earlier run that was cut short
                c.execute("UPDATE proposals SET status = 'exported' WHERE id = ? "
                          "AND status = 'approved'", (pid,))
                after = self._get(c, pid)
                self._audit(c, now, by, "export", after, before)
                changed += 1
        return changed

    # -- helpers ---------------------------------------------------------------------------
    def _pending(self, c: sqlite3.Connection, proposal_id: int, action: str) -> Proposal:
        p = self._get(c, proposal_id)
        if p is None:
            raise UsageError(f"There is no proposal #{proposal_id}; `kb pending` lists them.")
        if p.status != "pending":
            by = f" by {p.reviewer_name} on {p.reviewed_at[:10]}" if p.reviewed_at else ""
            raise UsageError(f"Proposal #{proposal_id} is already {p.status}{by}; only a "
                             f"pending proposal can be {action}.")
        return p

    def _refuse_duplicate(self, c: sqlite3.Connection, draft: Draft,
                          known: Iterable[tuple[tuple, str]], *, statuses: tuple[str, ...],
                          besides: int | None = None) -> None:
        typed = proposals.validate(draft, proposals.row_id(draft.kind, 0))
        key = proposals.key_of(draft.kind, typed)
        marks = ", ".join("?" * len(statuses))
        rows = c.execute(f"SELECT {', '.join(_COLUMNS)} FROM proposals "  # noqa: S608
                         f"WHERE kind = ? AND status IN ({marks})",
                         (draft.kind, *statuses)).fetchall()
        for other in map(_proposal, rows):
            if other.id == besides:
                continue
            try:
                other_typed = proposals.validate(other.draft, other.row_id)
            except DataError:
                continue  # saved under older rules; the build leaves it out and says why
            if proposals.key_of(other.kind, other_typed) == key:
                raise DataError(f"The proposal was not saved: proposal #{other.id} "
                                f"({other.status}) already has this {draft.kind} "
                                f"({_key_text(key)}).")
        for known_key, rid in known:
            if known_key == key:
                raise DataError(f"The proposal was not saved: the knowledge base already has "
                                f"this {draft.kind} as {rid} ({_key_text(key)}).")

    @staticmethod
    def _audit(c: sqlite3.Connection, now: datetime, by: Actor, action: str,
               after: Proposal | None, before: Proposal | None) -> None:
        pid = (after or before).id  # type: ignore[union-attr]
        c.execute("INSERT INTO audit (at, actor, actor_name, action, proposal_id, before, after)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (_iso(now), by.key, by.name, action, pid,
                   _dumps(before.as_record() if before else None),
                   _dumps(after.as_record() if after else None)))


def _key_text(key: tuple) -> str:
    kind, day, what = key
    return f"{day or 'undated'}, {what}"


# -- what the build reads ------------------------------------------------------------------
def read_approved(path: Path | None) -> list[Proposal]:
    """Approved proposals (exported or not) without creating or changing anything: [] when the
    file does not exist. DataError when it exists but cannot be read."""
    if path is None or not Path(path).exists():
        return []
    uri = Path(path).resolve().as_uri()
    try:
        # Read-write (never create): a transaction cut short by a crash leaves a hot journal
        # that only a connection allowed to write can roll back.
        try:
            conn = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=15)
        except sqlite3.OperationalError:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=15)
        try:
            has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                               "AND name = 'proposals'").fetchone()
            if not has:
                return []
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM proposals "  # noqa: S608
                                "WHERE status IN ('approved', 'exported') ORDER BY id").fetchall()
        finally:
            conn.close()
    except (sqlite3.Error, ValueError) as exc:
        raise DataError(f"The curation database at {path} cannot be read ({exc}).") from None
    return [_proposal(r) for r in rows]


def version(approved: Iterable[Proposal]) -> str:
    """A hash of what the build merges from these proposals ('' for none): a knowledge base
    built with another version is stale."""
    items = [(p.id, p.kind, p.draft.to_json(), p.proposer_name, p.reviewer_name, p.reviewed_at)
             for p in approved]
    if not items:
        return ""
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:16]


def current_version(path: Path | None) -> str | None:
    """The version of the approved rows in `path`; None when the file cannot be read."""
    try:
        return version(read_approved(path))
    except DataError:
        return None
