"""Digest scheduling against a controlled clock: local times, DST, restarts, downtime."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.digest.schedule import Schedule, decide, due_at, local_date

NY = ZoneInfo("America/New_York")
SEOUL = ZoneInfo("Asia/Seoul")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("day, at, tz, expected_utc", [
    ("2026-03-07", "08:00", NY, "2026-03-07 13:00"),  # EST
    ("2026-03-08", "08:00", NY, "2026-03-08 12:00"),  # EDT from this morning
    ("2026-10-31", "08:00", NY, "2026-10-31 12:00"),
    ("2026-11-01", "08:00", NY, "2026-11-01 13:00"),  # back to EST
    ("2026-03-08", "02:30", NY, "2026-03-08 07:30"),  # skipped hour: fires at 03:30 EDT
    ("2026-11-01", "01:30", NY, "2026-11-01 05:30"),  # repeated hour: the first 01:30
    ("2026-11-28", "08:30", SEOUL, "2026-11-27 23:30"),
])
def test_due_at_local_time(day, at, tz, expected_utc):
    hh, mm = map(int, at.split(":"))
    assert due_at(date.fromisoformat(day), Schedule(time(hh, mm), tz)) == utc(expected_utc)


EIGHT_NY = Schedule(time(8, 0), NY)


@pytest.mark.parametrize("now, last_posted, post, day, next_run", [
    # before the time: wait until today's time
    ("2026-03-08 11:59", "2026-03-07", False, None, "2026-03-08 12:00"),
    # at the time (EDT after the change): post today's
    ("2026-03-08 12:00", "2026-03-07", True, "2026-03-08", "2026-03-09 12:00"),
    # restart later the same day: no second post
    ("2026-03-08 18:00", "2026-03-08", False, None, "2026-03-09 12:00"),
    # down for three days, back after today's time: one catch-up, for today only
    ("2026-03-11 20:00", "2026-03-08", True, "2026-03-11", "2026-03-12 12:00"),
    # down for days, back before today's time: yesterday is not backfilled
    ("2026-03-11 05:00", "2026-03-08", False, None, "2026-03-11 12:00"),
    # never posted before
    ("2026-11-01 13:00", None, True, "2026-11-01", "2026-11-02 13:00"),
    # local date differs from the UTC date (NY evening is the next UTC day)
    ("2026-11-02 03:00", "2026-11-01", False, None, "2026-11-02 13:00"),
    # a later date on record (timezone moved west after posting): nothing more today
    ("2026-11-02 14:00", "2026-11-03", False, None, "2026-11-03 13:00"),
])
def test_decide(now, last_posted, post, day, next_run):
    d = decide(utc(now), EIGHT_NY, date.fromisoformat(last_posted) if last_posted else None)
    assert (d.post, d.day, d.next_run) == (
        post, date.fromisoformat(day) if day else None, utc(next_run))


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(datetime(2026, 1, 1, 8, 0), EIGHT_NY, None)  # noqa: DTZ001


def run_clock(schedule: Schedule, start: datetime, hours: int, step: timedelta,
              down: tuple[datetime, datetime] | None = None) -> list[tuple[date, datetime]]:
    """Tick a fake clock; return (day, instant) of each post. `down` = bot offline."""
    posts: list[tuple[date, datetime]] = []
    last: date | None = None
    now = start
    while now < start + timedelta(hours=hours):
        if not (down and down[0] <= now < down[1]):
            d = decide(now, schedule, last)
            if d.post:
                posts.append((d.day, now))
                last = d.day  # what the state database records
        now += step
    return posts


def test_clock_posts_once_a_day_at_local_time_across_dst():
    start = utc("2026-03-06 05:00")  # midnight in New York
    posts = run_clock(EIGHT_NY, start, 24 * 4, timedelta(minutes=1))
    assert posts == [
        (date(2026, 3, 6), utc("2026-03-06 13:00")),
        (date(2026, 3, 7), utc("2026-03-07 13:00")),
        (date(2026, 3, 8), utc("2026-03-08 12:00")),  # 08:00 EDT
        (date(2026, 3, 9), utc("2026-03-09 12:00")),
    ]
    assert {p[1].astimezone(NY).time() for p in posts} == {time(8, 0)}


def test_clock_catches_up_once_after_downtime_without_backfill():
    down = (utc("2026-11-02 00:00"), utc("2026-11-04 15:30"))
    posts = run_clock(EIGHT_NY, utc("2026-11-01 04:00"), 24 * 5, timedelta(minutes=5), down)
    assert [p[0] for p in posts] == [date(2026, 11, 1), date(2026, 11, 4), date(2026, 11, 5)]
    assert posts[1][1] == utc("2026-11-04 15:30")  # the first tick after coming back


def test_local_date():
    assert local_date(utc("2026-11-27 23:30"), SEOUL) == date(2026, 11, 28)


zones = st.sampled_from(["UTC", "America/New_York", "Asia/Seoul", "Australia/Lord_Howe",
                         "Europe/London", "Pacific/Chatham"])


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),  # noqa: DTZ001
       st.times(), zones, st.integers(-3, 3), st.booleans())
def test_never_posts_a_day_twice_and_next_run_is_ahead(naive, at, zone, offset, posted):
    now = naive.replace(tzinfo=UTC)
    sched = Schedule(at.replace(microsecond=0, second=0), ZoneInfo(zone))
    today = local_date(now, sched.tz)
    last = today + timedelta(days=offset) if posted else None
    d = decide(now, sched, last)
    assert d.next_run > now
    if d.post:
        assert d.day == today and (last is None or last < today)
        assert now >= due_at(today, sched)
