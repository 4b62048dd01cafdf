"""When to post a daily digest: pure arithmetic over (now, schedule, last posted date).

The clock is an argument. A local time that a DST change skips (02:30 on a spring-forward
night) fires at the same offset as before the change, i.e. one hour later on the wall clock;
a local time that occurs twice (fall-back night) fires at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    """A daily local time of day in an IANA timezone."""

    at: time
    tz: ZoneInfo

    def describe(self) -> str:
        return f"{self.at:%H:%M} {self.tz.key}"


@dataclass(frozen=True)
class Decision:
    """Whether to post now, for which local date, and when the next post falls due (UTC)."""

    post: bool
    day: date | None
    next_run: datetime


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def local_date(now: datetime, tz: ZoneInfo) -> date:
    """The calendar date at `now` in `tz`."""
    _require_aware(now)
    return now.astimezone(tz).date()


def due_at(day: date, schedule: Schedule) -> datetime:
    """The instant (UTC) the digest for local date `day` falls due."""
    # fold=0: a skipped wall time maps forward, a repeated one to its first occurrence.
    local = datetime.combine(day, schedule.at, tzinfo=schedule.tz).replace(fold=0)
    return local.astimezone(UTC)


def decide(now: datetime, schedule: Schedule, last_posted: date | None) -> Decision:
    """Post today's digest once its time has passed; never a second time, never older days."""
    today = local_date(now, schedule.tz)
    due = due_at(today, schedule)
    tomorrow = due_at(today + timedelta(days=1), schedule)
    done = last_posted is not None and last_posted >= today
    if done:
        return Decision(False, None, tomorrow)
    if now >= due:
        return Decision(True, today, tomorrow)
    return Decision(False, None, due)
