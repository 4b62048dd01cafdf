"""What each chart shows, gathered from the knowledge store, and its alt text. No matplotlib."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.engine.sources import days_between, long_date
from knowledge.store import VisitCount

ARTICLE = "Foreign Affairs article (CSIS Beyond Parallel data)"
MIN_COMPUTED_DAYS = 365  # a per-year rate from less than a year of a list is noise
LANES = ("Nuclear tests", "Summits", "Other visits", "Sanctions, accords")
IMPORTED = "Imported: "  # prefix of a timeline lane holding one imported list
# An article average over a span of tests: fact id -> (first test, last test).
GAP_AVERAGES = {"tests_2_to_5_average_120_days": (2, 5)}
ALT_MAX = 1000  # Discord caps attachment descriptions at 1024 characters


@dataclass(frozen=True)
class Computed:
    """High-level visits counted from an imported complete list over [start, end]."""

    label: str
    synthetic: bool
    start: str
    end: str
    count: VisitCount

    @property
    def visits(self) -> int:
        return self.count.visits

    @property
    def rate(self) -> float:
        """Unweighted visits a year, the same arithmetic as the answers."""
        return self.count.per_year()


@dataclass(frozen=True)
class EraRow:
    leader: str
    country: str
    years: str
    article: float | None
    computed: Computed | None


@dataclass(frozen=True)
class ListGap:
    """Days to the first visit in an imported list; days None: none through `through`."""

    label: str
    synthetic: bool
    days: int | None
    through: str


@dataclass(frozen=True)
class GapRow:
    n: int
    test_date: str
    article_days: int | None  # a number the article states ("within 11 days")
    article_text: str | None  # its wording: "within 11 days", "none as of March 2017"
    record_days: int | None
    record_partial: bool
    record_visitor: str | None
    listed: ListGap | None


@dataclass(frozen=True)
class Event:
    lane: str
    day: date
    until: date | None = None
    label: str = ""


def _overlaps(lo: str, hi: str | None, start: date | None, end: date | None) -> bool:
    return (end is None or lo <= end.isoformat()) and (
        start is None or hi is None or hi >= start.isoformat())


def list_name(imp) -> str:
    return f"{imp.label} (synthetic)" if imp.synthetic else imp.label


# -- eras ------------------------------------------------------------------------------------
def _computed(store, lo: str, hi: str | None) -> Computed | None:
    """The longest stretch of [lo, hi] an imported list covers, counted; None if under a year."""
    best = None
    for imp in store.imports():
        s, e = max(lo, imp.covers_from), min(hi or imp.covers_to, imp.covers_to)
        days = (date.fromisoformat(e) - date.fromisoformat(s)).days + 1 if s <= e else 0
        if days >= MIN_COMPUTED_DAYS and (best is None or days > best[0]):
            best = (days, imp, s, e)
    if best is None:
        return None
    _, imp, s, e = best
    count = store.count_visits(date.fromisoformat(s), date.fromisoformat(e))
    return Computed(imp.label, bool(imp.synthetic), s, e, count)


def era_rows(store, start: date | None = None, end: date | None = None) -> list[EraRow]:
    """Leader periods overlapping the range, China first, each with its figures or none."""
    rates = store.era_rates()
    rows = []
    for era in sorted(store.eras(), key=lambda e: (e.country != "China", e.start_date)):
        if not _overlaps(era.start_date, era.end_date, start, end):
            continue
        rate = rates.get(era.id)
        years = f"{era.start_date[:4]}–{era.end_date[:4] if era.end_date else ''}"
        rows.append(EraRow(era.leader, era.country, years,
                           float(rate.value) if rate and rate.value else None,
                           _computed(store, era.start_date, era.end_date)))
    return rows


# -- gaps ------------------------------------------------------------------------------------
def _article_gap(store, n: int) -> tuple[int | None, str | None]:
    """The article's figure for test n, in its own wording; (None, None) when it gives none."""
    days, text = None, None
    for f in store.facts_for_test(n):
        if f.topic != "test_gap" or f.source_kind != "article":
            continue
        if f.unit == "days" and f.value:
            days = int(f.value)
            text = ("within " if "within" in (f.quote or "") else "") + day_count(days)
        elif f.value == "0":  # "no visit since the fifth test", true as of its date
            text = f"none as of {long_date(f.as_of)}"
    return days, text


def _list_gap(store, test_date: str) -> ListGap | None:
    """Days to the first visit after the test in an imported list that covers the test date."""
    imp = next((i for i in store.imports() if i.covers_from <= test_date <= i.covers_to), None)
    if imp is None:
        return None
    day = date.fromisoformat(test_date)
    visits = store.visits_between(day + timedelta(days=1), date.fromisoformat(imp.covers_to),
                                  high_level_only=True, curated_only=False, limit=1_000_000)
    first = next((v for v in visits if v.import_id == imp.id), None)
    days = (date.fromisoformat(first.start_date) - day).days if first else None
    return ListGap(imp.label, bool(imp.synthetic), days, imp.covers_to)


def gap_rows(store, start: date | None = None, end: date | None = None) -> list[GapRow]:
    """One row per nuclear test in the range: the article's wording and the record's days."""
    rows = []
    for t in store.tests():
        if not _overlaps(t.date, t.date, start, end):
            continue
        days, text = _article_gap(store, t.n)
        # The same rule as the engine: the test's recorded first visit, else the first
        # high-level visit on record after the test (test 6: Song Tao, 75 days, partial).
        v = store.post_test_visit(t.n) or store.first_visit_after(date.fromisoformat(t.date))
        record_days = days_between(t.date, v.start_date) if v else None
        rows.append(GapRow(t.n, t.date, days, text, record_days,
                           bool(v and v.confidence != "verified"), v.visitor if v else None,
                           _list_gap(store, t.date)))
    return rows


def gap_averages(store, rows: list[GapRow]) -> list[tuple[int, int, int]]:
    """(first test, last test, days) for each article average whose tests are all shown."""
    shown = {r.n for r in rows}
    out = []
    for fact_id, (a, b) in GAP_AVERAGES.items():
        fact = store.fact(fact_id)
        if fact and fact.value and a in shown and b in shown:
            out.append((a, b, int(fact.value)))
    return out


# -- timeline --------------------------------------------------------------------------------
def timeline_events(store, start: date | None = None, end: date | None = None
                    ) -> tuple[date, date, list[Event]]:
    """Tests, high-level visits, summits and sanctions in the range (default: all on record)."""
    lo, hi = start or date.min, end or date.max
    names = {i.id: IMPORTED + list_name(i) for i in store.imports()}
    events = [Event(LANES[0], date.fromisoformat(t.date), label=str(t.n))
              for t in store.tests_between(lo, hi)]
    for v in store.visits_between(lo, hi, high_level_only=True, curated_only=False,
                                  limit=1_000_000):
        lane = names[v.import_id] if v.import_id else LANES[1] if v.summit else LANES[2]
        events.append(Event(lane, date.fromisoformat(v.start_date), label=v.visitor))
    for s in store.sanctions():
        first = date.fromisoformat(s.effective_date or s.date)
        until = date.fromisoformat(s.end_date) if s.end_date else None
        if lo <= date.fromisoformat(s.date) <= hi or (until and first <= hi and until >= lo):
            events.append(Event(LANES[3], date.fromisoformat(s.date), until, s.id))
    events.sort(key=lambda e: (e.day, e.lane, e.label))
    if not events:
        return start or end or date(2000, 1, 1), end or start or date(2000, 1, 1), []
    return start or events[0].day, end or max(e.until or e.day for e in events), events


def lanes_of(events: list[Event]) -> list[str]:
    """The lanes that have events: the fixed ones in order, then imported lists by name."""
    present = {e.lane for e in events}
    return [ln for ln in LANES if ln in present] + sorted(present - set(LANES))


def record_through(store) -> str:
    """The latest dated entry in the curated public record, for 'as of' lines."""
    days = [t.date for t in store.tests()] + [s.date for s in store.sanctions()]
    days += [v.start_date for v in store.visits_between(date.min, date.max)]
    return max(days) if days else "no entries"


# -- alt text --------------------------------------------------------------------------------
def _fit(text: str) -> str:
    return text if len(text) <= ALT_MAX else text[:ALT_MAX - 1].rstrip() + "…"


def day_count(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def num(x: float) -> str:
    """6.6 -> '6.6', 1.25 -> '1.25', 5.6667 -> '5.67', 2.0 -> '2'."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def alt_eras(rows: list[EraRow], as_of: str) -> str:
    if not rows:
        return "Visits per year by leader period: nothing in this range."
    parts = ["Average high-level China–North Korea visits per year by leader period."]
    art = [f"{r.leader} {num(r.article)}" for r in rows if r.article is not None]
    if art:
        parts.append(f"Article (as of {long_date(as_of)}): {', '.join(art)}.")
    for label in dict.fromkeys(r.computed.label for r in rows if r.computed):
        done = [r for r in rows if r.computed and r.computed.label == label]
        tag = " (synthetic)" if done[0].computed.synthetic else ""
        parts.append(f"Computed from {label}{tag}, unweighted: " + ", ".join(
            f"{r.leader} {num(r.computed.rate)} ({r.computed.visits} visits "
            f"{r.computed.start} to {r.computed.end})" for r in done) + ".")
    none = [r.leader for r in rows if r.article is None and r.computed is None]
    if none:
        parts.append(f"No figure: {', '.join(none)}.")
    return _fit(" ".join(parts))


def _gap_words(r: GapRow) -> str:
    said = [f"article: {r.article_text}"] if r.article_text else []
    if r.record_days is not None:
        partial = " (partial)" if r.record_partial else ""
        said.append(f"record: {day_count(r.record_days)}{partial}, {r.record_visitor}")
    else:
        said.append("no figure on record")
    if g := r.listed:
        tag = " (synthetic)" if g.synthetic else ""
        said.append(f"{g.label}{tag}: " + (day_count(g.days) if g.days is not None
                                            else f"none through {g.through}"))
    return f"Test {r.n} ({r.test_date}): {'; '.join(said)}."


def alt_gaps(rows: list[GapRow], averages: list[tuple[int, int, int]]) -> str:
    if not rows:
        return "Days from nuclear test to next high-level visit: nothing in this range."
    parts = ["Days from each North Korean nuclear test to the next high-level visit."]
    parts += [_gap_words(r) for r in rows]
    parts += [f"Article: an average of {d} days over tests {a} to {b}." for a, b, d in averages]
    return _fit(" ".join(parts))


def alt_timeline(lo: date, hi: date, events: list[Event]) -> str:
    head = f"Timeline {lo.isoformat()} to {hi.isoformat()}:"
    if not events:
        return f"{head} nothing in this range."
    parts = [head]
    for lane in lanes_of(events):
        shown = [e for e in events if e.lane == lane]
        items = [(f"test {e.label} " if lane == LANES[0] else "") + e.day.isoformat()
                 for e in shown[:12]]
        more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
        parts.append(f"{lane.removeprefix(IMPORTED)} ({len(shown)}): "
                     f"{', '.join(items)}{more}.")
    return _fit(" ".join(parts))
