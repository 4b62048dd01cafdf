"""The writable state database (SQLite, WAL): digest schedules, posts, rotation, snapshots.

It lives apart from the read-only knowledge base. Other features keep their own tables in the
same file (the Discord client's `command_sync`), so tables are only ever created if missing.
When the file cannot be opened for writing (read-only filesystem, bad path) the store says so
once, `available` is False, and the digest is disabled; nothing crashes.

Posting protocol (see bot/digest_post.py): `claim` writes an 'intent' row before a post is
sent, `finish` turns it into 'posted' together with the rotation and snapshot updates in one
transaction, `release` drops an intent when the post certainly failed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import parse_timezone
from bot.digest.compose import Rotation, Snapshot
from bot.digest.schedule import Schedule
from bot.errors import DandongError

log = logging.getLogger("dandong.state")

SCHEMA = """
CREATE TABLE IF NOT EXISTS digest_schedules (
    channel_id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    at TEXT NOT NULL,
    tz TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);
CREATE TABLE IF NOT EXISTS digest_posts (
    channel_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('intent', 'posted', 'unconfirmed')),
    nonce TEXT NOT NULL,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL,
    message_id TEXT,
    confirmed_at TEXT,
    fact_id TEXT,
    fact_cycle INTEGER,
    snapshot TEXT,
    PRIMARY KEY (channel_id, day)
);
CREATE TABLE IF NOT EXISTS digest_rotation (
    channel_id INTEGER PRIMARY KEY,
    cycle INTEGER NOT NULL,
    shown TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_snapshots (
    channel_id INTEGER PRIMARY KEY,
    built_at TEXT NOT NULL,
    hashes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_failures (
    channel_id INTEGER PRIMARY KEY,
    day TEXT,
    at TEXT NOT NULL,
    message TEXT NOT NULL
);
"""


class StateError(DandongError):
    """The state database could not be read or written."""


@dataclass(frozen=True)
class ChannelSchedule:
    channel_id: int
    guild_id: int | None
    at: time
    tz: ZoneInfo
    enabled: bool
    updated_at: str

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.at, self.tz)


@dataclass(frozen=True)
class PostRecord:
    channel_id: int
    day: date
    status: str
    nonce: str
    owner: str
    created_at: datetime
    message_id: str | None


@dataclass(frozen=True)
class Failure:
    channel_id: int
    day: date | None
    at: datetime
    message: str


def process_owner() -> str:
    """Who holds an intent: host and process id, so a restart can tell a dead holder."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _iso(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return now.isoformat(timespec="seconds")


class StateStore:
    """Digest state over one SQLite file; `available` is False when it cannot be written."""

    def __init__(self, path: Path | str, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self.problem: str | None = None
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = self._open()
        except (sqlite3.Error, OSError) as exc:
            self.problem = (f"The state database {self.path} cannot be "
                            f"{'read' if readonly else 'written'} ({exc}); "
                            "the daily digest is disabled.")
            if not readonly:
                log.warning("%s", self.problem)

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("SELECT 1 FROM digest_posts LIMIT 1")
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10,
                               isolation_level=None)
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"journal mode {mode}, not WAL")
            # FULL: a committed intent or post survives power loss, not only a killed process.
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    @property
    def available(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self._conn is None:
            raise StateError(self.problem or "the state database is closed")
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StateError(f"state database {self.path}: {exc}") from exc
                raise

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self._conn is None:
            return []
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StateError(f"state database {self.path}: {exc}") from exc

    # -- schedules -------------------------------------------------------------------------
    @staticmethod
    def _schedule(r: tuple) -> ChannelSchedule:
        hh, mm = r[2].split(":")
        return ChannelSchedule(r[0], r[1], time(int(hh), int(mm)), parse_timezone(r[3]),
                               bool(r[4]), r[5])

    def schedules(self, *, guild_id: int | None = None,
                  enabled_only: bool = True) -> list[ChannelSchedule]:
        sql = "SELECT channel_id, guild_id, at, tz, enabled, updated_at FROM digest_schedules"
        where, params = [], []
        if enabled_only:
            where.append("enabled = 1")
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        return [self._schedule(r) for r in self._rows(sql + " ORDER BY channel_id",
                                                       tuple(params))]

    def schedule(self, channel_id: int) -> ChannelSchedule | None:
        rows = self._rows("SELECT channel_id, guild_id, at, tz, enabled, updated_at "
                          "FROM digest_schedules WHERE channel_id = ?", (channel_id,))
        return self._schedule(rows[0]) if rows else None

    def set_schedule(self, channel_id: int, guild_id: int | None, schedule: Schedule,
                     now: datetime, by: int | None = None) -> None:
        """Enable the digest in a channel at a local time; clears its last failure."""
        with self._tx() as c:
            c.execute(
                "INSERT INTO digest_schedules (channel_id, guild_id, at, tz, enabled, updated_at,"
                " updated_by) VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT(channel_id) DO UPDATE SET"
                " guild_id = excluded.guild_id, at = excluded.at, tz = excluded.tz, enabled = 1,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (channel_id, guild_id, f"{schedule.at:%H:%M}", schedule.tz.key, _iso(now), by))
            c.execute("DELETE FROM digest_failures WHERE channel_id = ?", (channel_id,))

    def seed_default(self, channel_id: int, schedule: Schedule, now: datetime) -> bool:
        """Add the .env default channel unless it already has a row (even a disabled one)."""
        with self._tx() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO digest_schedules (channel_id, guild_id, at, tz, enabled,"
                " updated_at) VALUES (?, NULL, ?, ?, 1, ?)",
                (channel_id, f"{schedule.at:%H:%M}", schedule.tz.key, _iso(now)))
            return cur.rowcount > 0

    def set_guild(self, channel_id: int, guild_id: int) -> None:
        """Fill in the guild of a channel seeded from .env, once it is known."""
        with self._tx() as c:
            c.execute("UPDATE digest_schedules SET guild_id = ? WHERE channel_id = ? "
                      "AND guild_id IS NULL", (guild_id, channel_id))

    def disable(self, *, channel_id: int | None = None, guild_id: int | None = None,
                now: datetime) -> int:
        """Turn the digest off for one channel or every channel of a guild; rows changed."""
        if (channel_id is None) == (guild_id is None):
            raise ValueError("give exactly one of channel_id, guild_id")
        sql = "UPDATE digest_schedules SET enabled = 0, updated_at = ? WHERE enabled = 1 AND "
        sql += "channel_id = ?" if channel_id is not None else "guild_id = ?"
        with self._tx() as c:
            cur = c.execute(sql, (_iso(now), channel_id if channel_id is not None else guild_id))
            return cur.rowcount

    # -- posts -----------------------------------------------------------------------------
    def post_record(self, channel_id: int, day: date) -> PostRecord | None:
        rows = self._rows("SELECT channel_id, day, status, nonce, owner, created_at, message_id "
                          "FROM digest_posts WHERE channel_id = ? AND day = ?",
                          (channel_id, day.isoformat()))
        if not rows:
            return None
        r = rows[0]
        return PostRecord(r[0], date.fromisoformat(r[1]), r[2], r[3], r[4],
                          datetime.fromisoformat(r[5]), r[6])

    def last_posted(self, channel_id: int) -> date | None:
        """The latest day whose digest was posted here (or may have been: 'unconfirmed')."""
        rows = self._rows("SELECT max(day) FROM digest_posts WHERE channel_id = ? "
                          "AND status IN ('posted', 'unconfirmed')", (channel_id,))
        return date.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def claim(self, channel_id: int, day: date, nonce: str, *, fact: tuple[int, str] | None,
              snapshot: Snapshot | None, now: datetime,
              replaces: PostRecord | None = None) -> bool:
        """Record the intent to post; False when another claim holds the day already.

        `replaces` takes over a stale intent, but only if it is still exactly that intent
        (so two processes reconciling the same leftover cannot both post).
        """
        cycle, fact_id = fact if fact else (None, None)
        snap = json.dumps({"built_at": snapshot.built_at, "hashes": dict(snapshot.hashes)}
                          ) if snapshot else None
        values = (nonce, process_owner(), _iso(now), fact_id, cycle, snap)
        with self._tx() as c:
            if replaces is None:
                cur = c.execute(
                    "INSERT OR IGNORE INTO digest_posts (channel_id, day, status, nonce, owner,"
                    " created_at, fact_id, fact_cycle, snapshot)"
                    " VALUES (?, ?, 'intent', ?, ?, ?, ?, ?, ?)",
                    (channel_id, day.isoformat(), *values))
            else:
                cur = c.execute(
                    "UPDATE digest_posts SET nonce = ?, owner = ?, created_at = ?, fact_id = ?,"
                    " fact_cycle = ?, snapshot = ? WHERE channel_id = ? AND day = ?"
                    " AND status = 'intent' AND owner = ? AND created_at = ?",
                    (*values, channel_id, day.isoformat(), replaces.owner,
                     _iso(replaces.created_at)))
            return cur.rowcount == 1

    def finish(self, channel_id: int, day: date, message_id: str | None, now: datetime,
               *, status: str = "posted") -> None:
        """Mark the intent posted and apply its rotation and snapshot, in one transaction."""
        with self._tx() as c:
            row = c.execute("SELECT fact_id, fact_cycle, snapshot FROM digest_posts WHERE "
                            "channel_id = ? AND day = ? AND status = 'intent'",
                            (channel_id, day.isoformat())).fetchone()
            if row is None:
                return
            c.execute("UPDATE digest_posts SET status = ?, message_id = ?, confirmed_at = ? "
                      "WHERE channel_id = ? AND day = ?",
                      (status, message_id, _iso(now), channel_id, day.isoformat()))
            fact_id, cycle, snap = row
            if fact_id is not None:
                self._advance_rotation(c, channel_id, cycle, fact_id)
            if snap is not None:
                s = json.loads(snap)
                c.execute("INSERT OR REPLACE INTO digest_snapshots (channel_id, built_at, hashes)"
                          " VALUES (?, ?, ?)", (channel_id, s["built_at"],
                                                json.dumps(s["hashes"], sort_keys=True)))
            if status == "posted":
                c.execute("DELETE FROM digest_failures WHERE channel_id = ?", (channel_id,))

    def release(self, channel_id: int, day: date, owner: str | None = None) -> None:
        """Drop an intent whose post certainly did not happen."""
        with self._tx() as c:
            c.execute("DELETE FROM digest_posts WHERE channel_id = ? AND day = ? "
                      "AND status = 'intent' AND owner = ?",
                      (channel_id, day.isoformat(), owner or process_owner()))

    # -- rotation and snapshot -------------------------------------------------------------
    @staticmethod
    def _advance_rotation(c: sqlite3.Connection, channel_id: int, cycle: int,
                          fact_id: str) -> None:
        row = c.execute("SELECT cycle, shown FROM digest_rotation WHERE channel_id = ?",
                        (channel_id,)).fetchone()
        shown = set(json.loads(row[1])) if row and row[0] == cycle else set()
        shown.add(fact_id)
        c.execute("INSERT OR REPLACE INTO digest_rotation (channel_id, cycle, shown) "
                  "VALUES (?, ?, ?)", (channel_id, cycle, json.dumps(sorted(shown))))

    def rotation(self, channel_id: int) -> Rotation:
        rows = self._rows("SELECT cycle, shown FROM digest_rotation WHERE channel_id = ?",
                          (channel_id,))
        if not rows:
            return Rotation()
        return Rotation(rows[0][0], frozenset(json.loads(rows[0][1])))

    def snapshot(self, channel_id: int) -> Snapshot | None:
        rows = self._rows("SELECT built_at, hashes FROM digest_snapshots WHERE channel_id = ?",
                          (channel_id,))
        if not rows:
            return None
        # When the digest that took this snapshot went out: team approvals after it are new.
        posted = self._rows("SELECT coalesce(confirmed_at, created_at) FROM digest_posts "
                            "WHERE channel_id = ? AND status IN ('posted', 'unconfirmed') "
                            "ORDER BY day DESC LIMIT 1", (channel_id,))
        return Snapshot(rows[0][0], json.loads(rows[0][1]),
                        posted_at=posted[0][0] if posted else None)

    # -- failures --------------------------------------------------------------------------
    def record_failure(self, channel_id: int, day: date | None, message: str,
                       now: datetime) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO digest_failures (channel_id, day, at, message) "
                      "VALUES (?, ?, ?, ?)",
                      (channel_id, day.isoformat() if day else None, _iso(now), message))

    def last_failure(self, channel_id: int) -> Failure | None:
        rows = self._rows("SELECT day, at, message FROM digest_failures WHERE channel_id = ?",
                          (channel_id,))
        if not rows:
            return None
        day, at, message = rows[0]
        return Failure(channel_id, date.fromisoformat(day) if day else None,
                       datetime.fromisoformat(at), message)
