"""The writable state database: schedules, the post claim protocol, rotation, failures."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest import Snapshot
from bot.digest.schedule import Schedule
from bot.digest.state import StateStore

NOW = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
DAY = date(2026, 11, 28)
SEOUL_0830 = Schedule(time(8, 30), ZoneInfo("Asia/Seoul"))


@pytest.fixture
def state(tmp_path):
    s = StateStore(tmp_path / "state.db")
    yield s
    s.close()


def test_wal_mode_and_other_tables_kept(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE command_sync (guild_id INTEGER, hash TEXT)")
    conn.execute("INSERT INTO command_sync VALUES (1, 'abc')")
    conn.commit()
    conn.close()
    s = StateStore(path)
    assert s.available and s.problem is None
    s.close()
    StateStore(path).close()  # opening twice is harmless
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT * FROM command_sync").fetchall() == [(1, "abc")]
    conn.close()


@pytest.mark.parametrize("where", ["/proc/dandong-state.db", "{tmp}/file/state.db"])
def test_unwritable_location_disables_the_digest_without_crashing(tmp_path, where, caplog):
    (tmp_path / "file").write_text("not a directory")
    s = StateStore(where.format(tmp=tmp_path))
    assert not s.available
    assert "cannot be written" in s.problem and "digest is disabled" in s.problem
    assert "digest is disabled" in caplog.text
    assert s.schedules() == [] and s.last_posted(1) is None  # reads answer empty


def test_readonly_view_of_a_missing_file_is_quiet(tmp_path, caplog):
    s = StateStore(tmp_path / "absent.db", readonly=True)
    assert not s.available and not (tmp_path / "absent.db").exists()
    assert caplog.text == ""


def test_schedules_set_seed_disable(state):
    state.set_schedule(10, 1, SEOUL_0830, NOW, by=99)
    assert not state.seed_default(10, Schedule(time(7, 0), ZoneInfo("UTC")), NOW)
    assert state.seed_default(20, Schedule(time(7, 0), ZoneInfo("UTC")), NOW)
    state.set_guild(20, 2)
    assert [(s.channel_id, s.guild_id, s.at, s.tz.key) for s in state.schedules()] == [
        (10, 1, time(8, 30), "Asia/Seoul"), (20, 2, time(7, 0), "UTC")]
    assert state.disable(guild_id=1, now=NOW) == 1
    assert [s.channel_id for s in state.schedules()] == [20]
    assert state.schedule(10).enabled is False
    # an 'off' channel is not re-seeded from .env at the next start
    assert not state.seed_default(10, SEOUL_0830, NOW)
    assert state.schedule(10).enabled is False
    state.set_schedule(10, 1, SEOUL_0830, NOW)
    assert state.schedule(10).enabled is True


def test_claim_is_exclusive_and_finish_records_everything(state):
    snap = Snapshot("built-1", {"a": "1", "b": "2"})
    assert state.claim(10, DAY, "n1", fact=(0, "fact_a"), snapshot=snap, now=NOW)
    assert not state.claim(10, DAY, "n1", fact=(0, "fact_b"), snapshot=snap, now=NOW)
    assert state.post_record(10, DAY).status == "intent"
    assert state.last_posted(10) is None  # an intent is not a post
    state.record_failure(10, DAY, "boom", NOW)
    state.finish(10, DAY, "555", NOW)
    rec = state.post_record(10, DAY)
    assert (rec.status, rec.message_id) == ("posted", "555")
    assert state.last_posted(10) == DAY
    assert state.rotation(10).shown == {"fact_a"}
    assert state.snapshot(10) == Snapshot("built-1", {"a": "1", "b": "2"})
    assert state.last_failure(10) is None
    state.finish(10, DAY, "666", NOW)  # no intent left: nothing changes
    assert state.post_record(10, DAY).message_id == "555"


def test_rotation_resets_when_a_new_cycle_starts(state):
    for i, (cycle, fact) in enumerate([(0, "a"), (0, "b"), (1, "a")]):
        day = DAY + timedelta(days=i)
        assert state.claim(10, day, "n", fact=(cycle, fact), snapshot=None, now=NOW)
        state.finish(10, day, str(i), NOW)
    assert (state.rotation(10).cycle, state.rotation(10).shown) == (1, {"a"})


def test_replacing_a_stale_intent_is_compare_and_swap(state):
    assert state.claim(10, DAY, "n", fact=None, snapshot=None, now=NOW)
    stale = state.post_record(10, DAY)
    later = NOW + timedelta(minutes=5)
    assert state.claim(10, DAY, "n", fact=None, snapshot=None, now=later, replaces=stale)
    # a second reconciler holding the same stale record loses
    assert not state.claim(10, DAY, "n", fact=None, snapshot=None, now=later, replaces=stale)


def test_release_only_drops_our_own_intent(state):
    assert state.claim(10, DAY, "n", fact=None, snapshot=None, now=NOW)
    state.release(10, DAY, owner="elsewhere:1")
    assert state.post_record(10, DAY) is not None
    state.release(10, DAY)
    assert state.post_record(10, DAY) is None


def test_unconfirmed_counts_as_posted(state):
    assert state.claim(10, DAY, "n", fact=(0, "a"), snapshot=None, now=NOW)
    state.finish(10, DAY, None, NOW, status="unconfirmed")
    assert state.last_posted(10) == DAY


def test_failures_are_kept_per_channel(state):
    state.record_failure(10, DAY, "Missing Permissions", NOW)
    f = state.last_failure(10)
    assert (f.day, f.at, f.message) == (DAY, NOW, "Missing Permissions")
    assert state.last_failure(11) is None
    state.set_schedule(10, 1, SEOUL_0830, NOW)  # changing the settings clears it
    assert state.last_failure(10) is None


def test_naive_timestamps_are_refused(state):
    with pytest.raises(ValueError):
        state.record_failure(10, DAY, "x", datetime(2026, 1, 1))  # noqa: DTZ001
