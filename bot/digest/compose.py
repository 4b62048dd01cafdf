"""The daily digest: compose(store, day) -> Digest, a pure function of the knowledge base.

Every figure comes from a knowledge-base row and carries that row as its Source. Day counts
are exclusive (the date difference in days). State that changes from one digest to the next
(which facts were shown, the knowledge-base snapshot of the previous digest) is passed in.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from bot.engine.answer import Source
from bot.engine.coverage import STALE_AFTER_DAYS, extent
from bot.engine.sources import cite, days_between, long_date
from knowledge.store import Era, Fact, KnowledgeStore, NuclearTest, Sanction, TeamRow, Visit

ARTICLE_BASIS = "the article, citing CSIS Beyond Parallel"
FOOTER_MARK = "Dandong digest"
# (label, earlier era, later era): the rate comparisons the digest shows, in order.
RATE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("China", "hu", "xi"),
    ("North Korea", "kim_jong_il", "kim_jong_un"),
)
# Both leaders of a Kim–Xi summit must be in office: the later of these eras' starts.
KIM_XI_ERAS = ("xi", "kim_jong_un")
MAX_CHANGE_LINES = 8


# -- inputs carried between digests ---------------------------------------------------------
@dataclass(frozen=True)
class Rotation:
    """Fact-of-the-day progress: the cycle number and the facts shown in this cycle."""

    cycle: int = 0
    shown: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Snapshot:
    """The knowledge base as the previous digest saw it: build time and row hashes, and when
    that digest was posted (the state database fills it in; not part of the KB's identity)."""

    built_at: str
    hashes: Mapping[str, str] = field(default_factory=dict)
    posted_at: str | None = field(default=None, compare=False)


# -- the digest -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """A standing 'days since' figure with the row it counts from."""

    key: str
    days: int | None
    since: str | None
    text: str
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class EraRate:
    era_id: str
    leader: str
    value: str | None
    source: Source | None


@dataclass(frozen=True)
class RateSnapshot:
    """Average high-level visits a year by era, as the article states them."""

    text: str
    as_of: str | None
    pairs: tuple[tuple[str, EraRate, EraRate], ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Anniversary:
    kind: Literal["test", "visit", "sanction"]
    ref: str
    date: str
    years_ago: int
    text: str
    source: Source


@dataclass(frozen=True)
class Changes:
    """What differs between the previous digest's snapshot and the knowledge base now."""

    first: bool
    built_at: str
    previous_built_at: str | None
    added: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    text: str = ""
    approved: tuple[str, ...] = ()  # team rows approved since the previous digest


@dataclass(frozen=True)
class FactOfDay:
    fact_id: str
    cycle: int
    number: int  # 1-based position in this cycle
    total: int
    text: str
    as_of: str | None
    source: Source


@dataclass(frozen=True)
class Digest:
    day: date
    metrics: tuple[Metric, ...]
    rates: RateSnapshot
    on_this_day: tuple[Anniversary, ...]
    changes: Changes
    fact: FactOfDay | None
    built_at: str
    freshness: str = ""           # a warning when the record is older than STALE_AFTER_DAYS

    @property
    def title(self) -> str:
        return f"Daily digest: {long_date(self.day.isoformat())}"

    @property
    def footer(self) -> str:
        """Also the marker that finds this post again in channel history."""
        return f"{FOOTER_MARK} · {self.day.isoformat()} · knowledge base built {self.built_at}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        d["title"] = self.title
        return d


# -- small wording helpers ------------------------------------------------------------------
def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _clause(text: str, limit: int = 160) -> str:
    """The first clause of a long description, for one-line mentions."""
    head = text.split(";")[0].strip()
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def visit_phrase(v: Visit) -> str:
    """'Xi Jinping to Pyongyang, June 20–21, 2019' style, without inventing a place."""
    where = v.place or ("China" if v.direction == "KP->CN" else "North Korea")
    return f"{v.visitor} to {where}, {date_span(v.start_date, v.end_date)}"


def date_span(start: str, end: str | None) -> str:
    """'June 20–21, 2019', 'May 31 to June 2, 2016', or one long date."""
    if not end or end == start:
        return long_date(start)
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    if (a.year, a.month) == (b.year, b.month):
        return f"{calendar.month_name[a.month]} {a.day}–{b.day}, {a.year}"
    if a.year == b.year:
        first = f"{calendar.month_name[a.month]} {a.day}"
        return f"{first} to {calendar.month_name[b.month]} {b.day}, {a.year}"
    return f"{long_date(start)} to {long_date(end)}"


# -- standing metrics -----------------------------------------------------------------------
def metric_last_test(store: KnowledgeStore, day: date) -> Metric:
    test = store.last_test_before(day)
    if test is None:
        return Metric("days_since_test", None, None,
                      f"No nuclear test on record on or before {long_date(day.isoformat())}.")
    n = days_between(test.date, day.isoformat())
    return Metric("days_since_test", n, test.date,
                  f"{plural(n, 'day')} since the last nuclear test on record "
                  f"(test {test.n}, {long_date(test.date)}){_checked(store, 'tests', 'all')}.",
                  (cite(test),))


def _checked(store: KnowledgeStore, table: str, subset: str) -> str:
    """'; record checked through April 10, 2026' — how far the figure's list was checked."""
    ext = extent(store, table, subset)
    return f"; record checked through {long_date(ext.checked_through)}" \
        if ext.checked_through else ""


def freshness(store: KnowledgeStore, day: date) -> str:
    """A warning when the record behind the standing figures is more than 90 days old."""
    checked = [c.checked_through for c in store.coverage() if c.tbl in ("visits", "tests")]
    if not checked:
        return "The knowledge base does not say how far its record was checked."
    latest = min(max(c for c in checked), day.isoformat())
    age = (day - date.fromisoformat(latest)).days
    if age <= STALE_AFTER_DAYS:
        return ""
    return (f"⚠️ The record was last checked through {long_date(latest)}, {age} days before this "
            f"digest: a visit, summit or test since then would not be counted yet.")


def metric_last_visit(store: KnowledgeStore, day: date) -> Metric:
    v = store.last_visit_before(day, high_level_only=True)
    if v is None:
        return Metric("days_since_visit", None, None,
                      "No documented high-level visit on record on or before "
                      f"{long_date(day.isoformat())}.")
    n = days_between(v.start_date, day.isoformat())
    return Metric("days_since_visit", n, v.start_date,
                  f"{plural(n, 'day')} since the last documented high-level visit on record "
                  f"began ({visit_phrase(v)}){_checked(store, 'visits', 'high_level')}.",
                  (cite(v),))


def last_kim_xi_summit(store: KnowledgeStore, day: date) -> Visit | None:
    """The latest summit on record on or before `day` held while both Xi and Kim Jong Un led."""
    eras = [store.era(e) for e in KIM_XI_ERAS]
    if any(e is None for e in eras):
        return None
    start = date.fromisoformat(max(e.start_date for e in eras if e))
    if day < start:
        return None
    visits = store.visits_between(start, day, high_level_only=True, curated_only=False)
    summits = [v for v in visits if v.summit]
    return summits[-1] if summits else None


def metric_last_summit(store: KnowledgeStore, day: date) -> Metric:
    v = last_kim_xi_summit(store, day)
    if v is None:
        return Metric("days_since_kim_xi_summit", None, None,
                      f"No Kim–Xi summit on record on or before {long_date(day.isoformat())}.")
    n = days_between(v.start_date, day.isoformat())
    return Metric("days_since_kim_xi_summit", n, v.start_date,
                  f"{plural(n, 'day')} since the last Kim–Xi summit on record began "
                  f"({visit_phrase(v)}){_checked(store, 'visits', 'summit')}.", (cite(v),))


def rate_snapshot(store: KnowledgeStore) -> RateSnapshot:
    """The era rate comparisons, worded as the article states them, with its as-of date."""
    rates = store.era_rates()
    pairs, parts, sources, as_of = [], [], [], set()

    def one(era_id: str) -> EraRate:
        era, fact = store.era(era_id), rates.get(era_id)
        leader = era.leader if era else era_id
        if fact is not None:
            sources.append(cite(fact))
            if fact.as_of:
                as_of.add(fact.as_of)
        return EraRate(era_id, leader, fact.value if fact else None,
                       cite(fact) if fact else None)

    for label, a, b in RATE_PAIRS:
        ra, rb = one(a), one(b)
        pairs.append((label, ra, rb))
        shown = [f"{r.leader} {r.value}" if r.value else
                 f"{r.leader}: the article gives no figure" for r in (ra, rb)]
        parts.append(f"{label}: {shown[0]} vs {shown[1]}")
    when = ", ".join(long_date(a) for a in sorted(as_of)) or None
    if not sources:
        text = "The knowledge base holds no era visit rates."
    else:
        text = ("Average high-level visits per year, " + "; ".join(parts) + " — "
                + (f"as of {when}, " if when else "") + ARTICLE_BASIS + ".")
    return RateSnapshot(text, min(as_of) if as_of else None, tuple(pairs), tuple(sources))


# -- on this day ----------------------------------------------------------------------------
def is_anniversary(event_iso: str, day: date) -> bool:
    """Same month and day in an earlier year; February 29 counts on February 28 in other years."""
    if len(event_iso) != 10:
        return False
    event = date.fromisoformat(event_iso)
    if event.year >= day.year:
        return False
    if (event.month, event.day) == (day.month, day.day):
        return True
    return ((event.month, event.day) == (2, 29) and (day.month, day.day) == (2, 28)
            and not calendar.isleap(day.year))


def on_this_day(store: KnowledgeStore, day: date) -> tuple[Anniversary, ...]:
    """Tests, visits and sanctions whose anniversary is `day`, oldest first."""
    found: list[Anniversary] = []
    for t in store.tests():
        if is_anniversary(t.date, day):
            found.append(Anniversary("test", f"test_{t.n}", t.date, day.year - int(t.date[:4]),
                                     f"Nuclear test {t.n}: {_clause(t.description)}", cite(t)))
    first = date(1900, 1, 1)
    for v in store.visits_between(first, day, curated_only=True):
        if is_anniversary(v.start_date, day):
            kind = "summit" if v.summit else ("high-level visit" if v.high_level else "visit")
            found.append(Anniversary("visit", v.id, v.start_date,
                                     day.year - int(v.start_date[:4]),
                                     f"{kind.capitalize()}: {visit_phrase(v)}", cite(v)))
    for s in store.sanctions():
        if is_anniversary(s.date, day):
            found.append(Anniversary("sanction", s.id, s.date, day.year - int(s.date[:4]),
                                     _clause(s.event), cite(s)))
    return tuple(sorted(found, key=lambda a: (a.date, a.kind, a.ref)))


# -- what changed ---------------------------------------------------------------------------
def describe_row(store: KnowledgeStore, ref: str) -> str:
    """A short human label for any row id in row_hashes."""
    row = store.lookup(ref) or store.era(ref)
    if isinstance(row, Fact):
        return _clause(row.text, 120)
    if isinstance(row, Visit):
        return visit_phrase(row)
    if isinstance(row, NuclearTest):
        return f"nuclear test {row.n} ({long_date(row.date)})"
    if isinstance(row, Sanction):
        return _clause(row.event, 120)
    if isinstance(row, Era):
        return f"{row.leader} era"
    return ref


def approvals_since(store: KnowledgeStore, previous: Snapshot) -> list[TeamRow]:
    """Team rows approved after the previous digest was posted, and any its knowledge base
    did not hold yet (approved before the post but built after it)."""
    since = datetime.fromisoformat(previous.posted_at) if previous.posted_at else None
    return [t for t in store.team_rows().values()
            if t.row_id not in previous.hashes
            or (since is not None and datetime.fromisoformat(t.approved_at) > since)]


def approval_line(store: KnowledgeStore, t: TeamRow) -> str:
    """'Approved: Li Testperson to North Korea, November 20, 2026 (proposed by alice, approved
    by carol on 2026-12-01; source https://…)'."""
    return (f"Approved: {describe_row(store, t.row_id)} (proposed by {t.proposer}, approved by "
            f"{t.approved_by} on {t.approved_at[:10]}; source {t.source_url})")


def changes_since(store: KnowledgeStore, previous: Snapshot | None) -> Changes:
    """Rows added, edited or removed since the previous digest's snapshot, and the team's
    approvals since it was posted."""
    built_at = store.metadata().get("built_at", "unknown")
    now = store.row_hashes()
    if previous is None:
        return Changes(True, built_at, None, text=(
            f"First digest here: the knowledge base holds {plural(len(now), 'row')} "
            f"(built {built_at})."))
    old = previous.hashes
    added = tuple(sorted(k for k in now if k not in old))
    edited = tuple(sorted(k for k in now if k in old and old[k] != now[k]))
    removed = tuple(sorted(k for k in old if k not in now))
    approved = approvals_since(store, previous)
    if not (added or edited or removed or approved):
        return Changes(False, built_at, previous.built_at, text=(
            "No changes to the knowledge base since the previous digest."))
    shown = {t.row_id for t in approved}
    lines = [approval_line(store, t) for t in approved]
    lines += [f"Added: {describe_row(store, k)}" for k in added if k not in shown]
    lines += [f"Edited: {describe_row(store, k)}" for k in edited]
    lines += [f"Removed: {k}" for k in removed]
    if len(lines) > MAX_CHANGE_LINES:
        lines = lines[:MAX_CHANGE_LINES] + [f"… and {len(lines) - MAX_CHANGE_LINES} more"]
    head = (f"Since the previous digest ({plural(len(added), 'row')} added, "
            f"{len(edited)} edited, {len(removed)} removed; rebuilt {built_at}):")
    if approved:
        head = head[:-1] + f"; {plural(len(approved), 'team approval')}):"
    return Changes(False, built_at, previous.built_at, added, edited, removed,
                   "\n".join([head, *lines]), tuple(t.row_id for t in approved))


# -- fact of the day ------------------------------------------------------------------------
def _shuffle_key(cycle: int, fact_id: str) -> str:
    return hashlib.sha256(f"{cycle}:{fact_id}".encode()).hexdigest()


def fact_of_the_day(store: KnowledgeStore, rotation: Rotation) -> FactOfDay | None:
    """The next fact not yet shown this cycle (a fresh shuffled order each cycle)."""
    facts = store.facts()
    if not facts:
        return None
    ids = {f.id for f in facts}
    cycle, shown = rotation.cycle, rotation.shown & ids
    if shown >= ids:
        cycle, shown = cycle + 1, frozenset()
    fact = min((f for f in facts if f.id not in shown), key=lambda f: _shuffle_key(cycle, f.id))
    return FactOfDay(fact.id, cycle, len(shown) + 1, len(ids), fact.text, fact.as_of, cite(fact))


# -- compose --------------------------------------------------------------------------------
def compose(store: KnowledgeStore, day: date, *, rotation: Rotation | None = None,
            previous: Snapshot | None = None) -> Digest:
    """The digest for `day`: a pure function of the knowledge base and the state passed in."""
    metrics = (metric_last_test(store, day), metric_last_visit(store, day),
               metric_last_summit(store, day))
    return Digest(
        day=day,
        metrics=metrics,
        rates=rate_snapshot(store),
        on_this_day=on_this_day(store, day),
        changes=changes_since(store, previous),
        fact=fact_of_the_day(store, rotation or Rotation()),
        built_at=store.metadata().get("built_at", "unknown"),
        freshness=freshness(store, day),
    )


def snapshot_of(store: KnowledgeStore) -> Snapshot:
    """The knowledge base as this digest sees it, to store for the next one."""
    return Snapshot(store.metadata().get("built_at", "unknown"), store.row_hashes())
