"""Charts as PNG (eras, gaps, timeline) for `dandong chart` and `/chart`.

`import bot.charts` does not import matplotlib: drawing (bot.charts.draw) is imported inside
render_chart, so the `dandong ask` path stays fast.
"""

from __future__ import annotations

import calendar
import re
import threading
import time
from dataclasses import dataclass
from datetime import date

from bot.charts import data
from bot.errors import UsageError

KINDS = ("eras", "gaps", "timeline")
_LOCK = threading.Lock()  # rcParams are process-wide and Discord renders in worker threads


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes and alt text that states its numbers."""

    kind: str
    png: bytes
    alt_text: str

    @property
    def filename(self) -> str:
        return f"dandong-{self.kind}.png"


# -- ranges ----------------------------------------------------------------------------------
_DAY = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def parse_day(text: str, *, end: bool = False) -> date:
    """'2017', '2017-03' or '2017-03-05' -> a date (the first day, or the last when end)."""
    m = _DAY.fullmatch(text.strip())
    if not m or int(m[1]) < 1:
        raise UsageError(f"{text.strip()!r} is not a date; use YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(m[1])
    month = int(m[2]) if m[2] else (12 if end else 1)
    if not 1 <= month <= 12:
        raise UsageError(f"{text.strip()!r} is not a real date: there is no month {month}")
    last = calendar.monthrange(year, month)[1]
    day = int(m[3]) if m[3] else (last if end else 1)
    if not 1 <= day <= last:
        raise UsageError(f"{text.strip()!r} is not a real date: "
                         f"{calendar.month_name[month]} {year} has {last} days")
    return date(year, month, day)


def parse_range(start: str | date | None, end: str | date | None
                ) -> tuple[date | None, date | None]:
    """User 'from'/'to' -> dates; UsageError with a one-line reason when they are bad."""
    start, end = (x.strip() or None if isinstance(x, str) else x for x in (start, end))
    s = parse_day(start) if isinstance(start, str) else start
    e = parse_day(end, end=True) if isinstance(end, str) else end
    if s and e and s > e:
        raise UsageError(f"'from' {s.isoformat()} is after 'to' {e.isoformat()}")
    return s, e


# -- rendering -------------------------------------------------------------------------------
def _eras(store, draw, s, e) -> Chart:
    rows, as_of = data.era_rows(store, s, e), store.metadata().get("article_as_of", "")
    return Chart("eras", draw.png(draw.eras(rows, as_of, s, e)), data.alt_eras(rows, as_of))


def _gaps(store, draw, s, e) -> Chart:
    rows = data.gap_rows(store, s, e)
    averages = data.gap_averages(store, rows)
    fig = draw.gaps(rows, averages, store.metadata().get("article_as_of", ""),
                    data.record_through(store), s, e)
    return Chart("gaps", draw.png(fig), data.alt_gaps(rows, averages))


def _timeline(store, draw, s, e) -> Chart:
    lo, hi, events = data.timeline_events(store, s, e)
    lanes = {ev.lane for ev in events}
    lists = [data.list_name(i) for i in store.imports()
             if data.IMPORTED + data.list_name(i) in lanes]
    fig = draw.timeline(lo, hi, events, data.record_through(store), lists)
    return Chart("timeline", draw.png(fig), data.alt_timeline(lo, hi, events))


_KIND = {"eras": _eras, "gaps": _gaps, "timeline": _timeline}


def render_chart(store, kind: str, start: str | date | None = None,
                 end: str | date | None = None) -> Chart:
    """Render one chart for the range; UsageError for an unknown kind or a bad range."""
    if kind not in _KIND:
        raise UsageError(f"unknown chart {kind!r}; choose one of {', '.join(KINDS)}")
    s, e = parse_range(start, end)
    import matplotlib

    from bot.charts import draw

    with _LOCK, matplotlib.rc_context():
        matplotlib.rcdefaults()  # a user's matplotlibrc must not change the bytes
        matplotlib.rcParams.update(draw.RC)
        return _KIND[kind](store, draw, s, e)


# -- measuring ---------------------------------------------------------------------------
def time_warm_render(store, kind: str, repeat: int = 5) -> float:
    """Seconds for one warm render of `kind`: the median of `repeat` after one warm-up."""
    render_chart(store, kind)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        render_chart(store, kind)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
