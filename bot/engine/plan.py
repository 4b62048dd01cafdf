"""Composed questions -> a Plan over the structured tables -> parameterized SQL -> Answer.

A plan is a subject (visits, summits, tests, sanctions, events, trade), filters (people,
direction, place, era, dates, level, kind), one operation (list, count, first, last, longest,
shortest, most, fewest, duration, since, compare, between) and a projection (who, where, when,
how long). Filters are rows of one registry, in the shape of datasette's filters.py: each
knows its SQL template, with named parameters only. The plan says itself back to the user
("Understood: visits · Kim Jong Il → China · during Hu Jintao's tenure · count").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.engine.answer import Answer
from bot.engine.coverage import extent, stale_warning
from bot.engine.dates import Period
from bot.engine.parse import TEST_WORDS, Query, _has
from bot.engine.people import _UNSPACED, Mention, People, Person
from bot.engine.sources import cite, days_between, long_date, ordinal, trade_line, usd, visit_line
from knowledge.store import Visit

MAX_LISTED = 25

# -- registries ------------------------------------------------------------------------------
# Operations, most specific phrase first: "most recent" is `last`, not `most`.
OPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("since", ("days since", "how long since", "how long ago", "time since", "how long has it",
               "years since", "months since", "since the last", "since last")),
    ("between", ("days between", "time between", "how long between", "gap between")),
    ("duration", ("how long did", "how long was", "how many days did", "how long were",
                  "length of", "duration of", "how long is", "lasted", "how many days was")),
    ("last", ("most recent", "last", "latest", "recent", "recently", "previous", "final")),
    ("first", ("first", "earliest")),
    ("longest", ("longest", "the long")),
    ("shortest", ("shortest", "briefest")),
    ("count", ("how many", "number of", "count", "how often", "total number", "tally")),
    ("fewest", ("fewest", "least", "lowest", "smallest", "minimum")),
    ("most", ("most", "highest", "largest", "biggest", "peak", "busiest", "maximum")),
    ("compare", ("compare", "compared", "versus", "comparison")),
)
SUBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("summits", ("summit", "summits", "meet", "met", "meeting", "meetings", "talks with",
                 "held talks", "summitry", "meets")),
    ("trade", ("trade", "bilateral trade", "trade volume", "customs figures")),
    ("sanctions", ("sanction", "sanctions", "resolution", "resolutions", "unscr", "veto",
                   "vetoed", "vetoes", "un security council")),
    ("events", ("anniversary", "anniversaries", "treaty", "friendship year", "events")),
    ("visits", ("visit", "visits", "visited", "visiting", "visitor", "visitors", "trip",
                "trips", "travel", "travelled", "traveled", "went", "came", "go", "come",
                "delegation", "delegations", "been to", "envoy", "envoys", "exchange",
                "exchanges")),
)
PROJECTIONS = (("who", ("who", "which leader", "which official", "whom")),
               ("where", ("where", "which city", "what city")),
               ("how_long", ("how long", "how many days")),
               ("when", ("when", "what date", "which date", "what year", "which year")))
TO_CHINA = ("to china", "visit china", "visited china", "visits china", "in china",
            "to beijing", "in beijing", "visit beijing", "visited beijing", "china trip",
            "china trips", "trips to china", "trip to china", "into china")
TO_NORTH = ("to north korea", "to pyongyang", "in pyongyang", "visit pyongyang",
            "visited pyongyang", "visit north korea", "visited north korea", "in north korea",
            "north korea trip", "pyongyang trip")
# Korean and Chinese are written without spaces between these words: matched as substrings of
# the question as typed.
CJK_SUBJECTS = (("summits", ("정상회담", "首脑会谈", "首腦會談", "峰会", "峰會", "会谈", "會談",
                             "会晤", "會晤", "회담")),
                ("visits", ("방중", "방북", "방문", "访华", "訪華", "访朝", "訪朝", "访问", "訪問",
                            "访中", "訪中")))
CJK_TO_CHINA = ("방중", "访华", "訪華", "访中", "訪中", "중국 방문", "베이징 방문", "访问中国",
                "訪問中國")
CJK_TO_NORTH = ("방북", "访朝", "訪朝", "평양 방문", "북한 방문", "访问朝鲜", "訪問朝鮮",
                "访问平壤", "訪問平壤")
CJK_OPS = (("last", ("마지막", "최근", "最近", "最后", "最後")),
           ("first", ("처음", "첫 ", "首次", "第一次")),
           ("count", ("몇 번", "몇번", "몇 차례", "多少次", "几次", "幾次")))
CHINESE = ("chinese", "china s", "beijing s")
KOREAN = ("north korean", "dprk", "pyongyang s")
LEADER_WORDS = ("leader", "leaders", "head of state", "top leader", "leader level",
                "leader-level", "premier", "president")
ERA_BEFORE = ("during", "under", "in", "era of", "tenure of", "rule of", "time of", "reign of",
              "presidency of")
ERA_AFTER = ("era", "tenure", "period", "years", "time", "rule", "administration",
             "presidency", "reign", "leadership")
SANCTION_KINDS = {"veto": ("veto", "vetoed", "vetoes"),
                  "resolution": ("resolution", "resolutions", "unscr")}
EVENT_WORDS = {"anniversary": ("anniversary", "anniversaries"), "treaty": ("treaty",)}
GROUP_WORDS = {"year": ("which year", "what year", "in a year", "per year", "one year",
                        "any year", "year had"),
               "visitor": ("who", "which leader", "which visitor", "which official", "whom")}


def vocabulary() -> set[str]:
    """Every word of the planner's phrases: the typo fixer must not 'correct' them."""
    tables = (*(w for _, w in OPS), *(w for _, w in SUBJECTS), *(w for _, w in PROJECTIONS),
              TO_CHINA, TO_NORTH, CHINESE, KOREAN, LEADER_WORDS, ERA_BEFORE, ERA_AFTER)
    return {word for phrases in tables for phrase in phrases for word in phrase.split()}


@dataclass(frozen=True)
class Filter:
    """One registry row: how a filter is written in SQL (named parameters only)."""

    key: str
    sql: str


FILTERS: dict[str, Filter] = {f.key: f for f in (
    Filter("high_level", "high_level = 1"),
    Filter("summit", "summit = 1"),
    Filter("leader", "leader_level = 1"),
    Filter("direction", "direction = :direction"),
    Filter("visitor", "visitor IN ({names})"),
    Filter("tenure", "start_date BETWEEN :{p}_from AND :{p}_to"),
    Filter("place", "place LIKE :place ESCAPE '\\'"),
    Filter("from", "start_date >= :from"),
    Filter("to", "start_date <= :to"),
)}
ARROWS = {"KP->CN": "→ China", "CN->KP": "→ North Korea"}


@dataclass(frozen=True)
class Plan:
    subject: str
    op: str = "list"
    people: tuple[Person, ...] = ()          # visitors, or participants in a summit
    eras: tuple[Person, ...] = ()            # "during X's tenure"
    direction: str | None = None
    place: str | None = None
    leader: bool = False
    period: Period | None = None
    periods: tuple[Period, ...] = ()         # compare
    tests: tuple[int, ...] = ()              # between two tests / tests subject
    kind: str | None = None
    projection: str | None = None
    group: str | None = None                 # most/fewest: by visitor or by year

    def understood(self) -> str:
        parts = [self.subject]
        who = " and ".join(p.name for p in self.people)
        if self.direction and self.subject == "visits":
            who = f"{who} {ARROWS[self.direction]}".strip()
        if who:
            parts.append(who)
        if self.leader:
            parts.append("leader-level")
        if self.place:
            parts.append(f"in {self.place}")
        parts += [f"during {e.name}'s tenure" for e in self.eras]
        if self.kind:
            parts.append(self.kind)
        if self.periods:
            parts.append(" vs ".join(p.label for p in self.periods))
        elif self.period:
            parts.append(self.period.label)
        if self.tests:
            parts.append(" and ".join(f"test {n}" if n > 0 else f"the {-n // 100} test"
                                      for n in self.tests))
        op = self.op if not self.group else f"{self.op} by {self.group}"
        parts.append(op)
        if self.projection and self.projection not in op:
            parts.append(self.projection.replace("_", " "))
        return " · ".join(parts)

    def where(self, today: date) -> tuple[list[str], dict]:
        """SQL conditions from the filter registry and their named parameters, over the
        visits on record up to today."""
        conds, params = [FILTERS["high_level"].sql, "start_date <= :_today"], {
            "_today": today.isoformat()}
        if self.subject == "summits":
            conds.append(FILTERS["summit"].sql)
        if self.leader:
            conds.append(FILTERS["leader"].sql)
        if self.direction:
            conds.append(FILTERS["direction"].sql)
            params["direction"] = self.direction
        either = []  # visits by any of the people named ('Kim Jong Un and Li Qiang visits')
        for i, p in enumerate(self.people):
            names = sorted(p.visitor_names) or [p.name]
            slots = [f":v{i}_{j}" for j in range(len(names))]
            params.update({s[1:]: n for s, n in zip(slots, names, strict=True)})
            visitor = FILTERS["visitor"].sql.format(names=", ".join(slots))
            if self.subject == "summits" and p.era_id:
                # A summit is the two leaders meeting: the host took part too.
                conds.append(f"({visitor} OR {FILTERS['tenure'].sql.format(p=f'e{i}')})")
                params.update(_tenure(p, f"e{i}", today))
            elif self.subject == "summits":
                conds.append(visitor)
            else:
                either.append(visitor)
        if either:
            conds.append(" OR ".join(either) if len(either) == 1 else
                         "(" + " OR ".join(either) + ")")
        for i, e in enumerate(self.eras):
            conds.append(FILTERS["tenure"].sql.format(p=f"t{i}"))
            params.update(_tenure(e, f"t{i}", today))
        if self.place:
            conds.append(FILTERS["place"].sql)
            params["place"] = "%" + re.sub(r"([%_\\])", r"\\\1", self.place) + "%"
        if self.period:
            conds += [FILTERS["from"].sql, FILTERS["to"].sql]
            params.update({"from": self.period.start.isoformat(),
                           "to": self.period.end.isoformat()})
        return conds, params


def _tenure(p: Person, key: str, today: date) -> dict:
    start, end = p.tenure_span(today) or (date.min, today)
    return {f"{key}_from": start.isoformat(), f"{key}_to": end.isoformat()}


# -- planning --------------------------------------------------------------------------------
# Intents whose answers the planner leaves alone unless the question is composed.
KEEP = {"test_gap", "test_gap_average", "days_since_test", "bad_date", "empty", "visits_total"}


class Planner:
    def __init__(self, store, people: People, known: set[str]):
        self.store = store
        self.people = people
        self.known = known
        places: set[str] = set()
        for v in store.visits_where([], {}, limit=10_000):
            for part in re.split(r"[;,()]", v.place or ""):
                word = part.strip().split(" ")[0].strip()
                if len(word) >= 4 and word[0].isupper() and word not in ("Beijing", "Pyongyang"):
                    places.add(word)
        generic = {"North", "South", "Northeast", "Inner", "Central", "Eastern", "Western",
                   "China", "Korea", "Other", "Various", "Provinces"}
        self.places = {p.lower(): p for p in places - generic}

    def plan(self, q: Query, op: str | None = None) -> Plan | None:
        """The plan for a question, or None to leave it to the other intents; `op` forces an
        operation (the fact-checker counts what a claim describes)."""
        forced = op
        f = q.folded
        intent = "search" if forced else q.intent  # a forced operation skips the intent gates
        if intent == "test_gap" and len(q.tests) == 2 and _has(f, ("between",)):
            return Plan("tests", "between", tests=tuple(q.tests))
        if not f or intent in KEEP:
            return None
        op = forced or next((name for name, words in OPS if _has(f, words)), None)
        subject = next((name for name, words in SUBJECTS if _has(f, words)), None)
        raw = q.text
        cjk = bool(_UNSPACED.search(raw))
        if cjk:
            op = op or next((n for n, words in CJK_OPS if any(w in raw for w in words)), None)
            subject = subject or next((n for n, words in CJK_SUBJECTS
                                       if any(w in raw for w in words)), None)
        mentions_test = bool(re.search(rf"\b{TEST_WORDS}\b", f))
        if mentions_test and subject in (None, "visits") and intent in (
                "test_list", "test_date", "era_rate", "era_compare"):
            return self._tests_plan(q, op)
        mentions = self.people.find(raw, f, unknown=[w for w in q.words
                                                     if w not in self.known])
        if subject is None:
            # A name on its own ('김정은', 'Kim Chong-il'): that person's visits on record.
            if intent != "search" or not mentions:
                return None
            subject = "visits"
        if subject == "trade" and (_has(f, ("share", "percent", "%", "lpg", "coal"))
                                   or not (q.period or op)):
            return None
        people, eras = self._split(f, mentions)
        direction = self._direction(f)
        if cjk and direction is None:
            direction = ("CN->KP" if any(w in raw for w in CJK_TO_NORTH) else
                         "KP->CN" if any(w in raw for w in CJK_TO_CHINA) else None)
        place = next((p for k, p in self.places.items() if _has(f, [k])), None)
        leader = subject in ("visits",) and _has(f, LEADER_WORDS)
        period = q.period
        if not eras and q.eras and not people and not mentions:
            eras = tuple(p for p in (self.people.by_era(e) for e in q.eras) if p)
        composed = bool(op or people or direction or place or leader or mentions)
        grouped = op in ("most", "fewest") and _group(f) is not None
        if intent in ("era_rate", "era_compare", "era_rank") and not (
                op in ("count", "first", "last", "longest", "shortest", "duration", "since")
                or people or direction or place or grouped):
            return None
        if intent == "era_tenure" and not op:
            return None
        if intent == "topic" and subject != "trade" and not (
                (op and op != "compare") or eras or place
                or (people and subject in ("visits", "summits")
                    and q.topic not in ("kji_trips", "summits"))):
            return None

        if subject in ("trade", "sanctions", "events") and (op or q.period
                                                             or self._kind(f, subject)):
            composed = True
        if intent == "visits_in_period" or composed or intent == "person":
            periods = self._two_periods(f, q) if op == "compare" else ()
            if op == "compare" and len(periods) < 2:
                return None
            plan = Plan(subject=subject, op=op or "list", people=people, eras=eras,
                        direction=direction, place=place, leader=leader, period=period,
                        periods=periods, projection=_projection(f),
                        group=_group(f) if op in ("most", "fewest") else None,
                        kind=self._kind(f, subject))
            if subject in ("sanctions", "events", "trade"):
                return replace(plan, people=(), eras=(), direction=None, place=None)
            return plan
        return None

    def _tests_plan(self, q: Query, op: str | None) -> Plan | None:
        if op in ("longest", "shortest"):
            return Plan("tests", op, projection="how_long", group="gap")
        eras = tuple(p for p in (self.people.by_era(e) for e in q.eras) if p)
        if op == "between" or (_has(q.folded, ("between",)) and len(q.tests) == 2):
            return Plan("tests", "between", tests=tuple(q.tests)) if len(q.tests) == 2 else None
        if eras:
            return Plan("tests", op if op in ("count", "first", "last") else "list", eras=eras,
                        period=q.period)
        return None

    def _split(self, f: str, mentions: list[Mention]) -> tuple[tuple[Person, ...], tuple]:
        people, eras = [], []
        for m in mentions:
            before = f[:m.start].rstrip().rsplit(" ", 2) if not m.unspaced else []
            after = f[m.end:].lstrip().split(" ", 1)[0] if not m.unspaced else ""
            era_context = m.person.era_id and (
                after in ERA_AFTER or (before and before[-1] in ERA_BEFORE)
                or " ".join(before[-2:]) in ERA_BEFORE)
            (eras if era_context else people).append(m.person)
        return tuple(dict.fromkeys(people)), tuple(dict.fromkeys(eras))

    def _direction(self, f: str) -> str | None:
        if _has(f, TO_NORTH):
            return "CN->KP"
        if _has(f, TO_CHINA):
            return "KP->CN"
        if _has(f, KOREAN):
            return "KP->CN"
        if _has(f, CHINESE):
            return "CN->KP"
        return None

    def _kind(self, f: str, subject: str) -> str | None:
        table = SANCTION_KINDS if subject == "sanctions" else EVENT_WORDS
        return next((k for k, words in table.items() if _has(f, words)), None)

    def _two_periods(self, f: str, q: Query) -> tuple[Period, ...]:
        years = [int(y) for y in re.findall(r"\b(1[5-9]\d\d|20\d\d)\b", f)]
        if len(years) == 2:
            return tuple(Period(date(y, 1, 1), date(y, 12, 31), str(y)) for y in years)
        if len(q.eras) == 2:
            out = []
            for e in q.eras:
                era = self.store.era(e)
                end = date.fromisoformat(era.end_date) if era.end_date else None
                out.append(Period(date.fromisoformat(era.start_date), end or date.max,
                                  f"{era.leader}'s tenure"))
            return tuple(out)
        return ()


def _projection(f: str) -> str | None:
    return next((name for name, words in PROJECTIONS if _has(f, words)), None)


def _group(f: str) -> str | None:
    return next((name for name, words in GROUP_WORDS.items() if _has(f, words)), None)


# -- running ---------------------------------------------------------------------------------
def run(engine, plan: Plan, q: Query, today: date) -> Answer:
    runner = {"tests": _run_tests, "trade": _run_trade, "sanctions": _run_events,
              "events": _run_events}.get(plan.subject, _run_visits)
    answer = runner(engine, plan, q, today)
    return replace(answer, understood=plan.understood(), intent=f"plan:{plan.subject}:{plan.op}")


def _noun(plan: Plan, n: int = 2) -> str:
    base = "summit" if plan.subject == "summits" else (
        "leader-level visit" if plan.leader else "high-level visit")
    return base if n == 1 else base + "s"


def _filters_text(plan: Plan) -> str:
    bits = []
    if plan.people:
        joint = " and " if plan.subject == "summits" else " or "
        names = joint.join(p.name for p in plan.people)
        bits.append(f"with {names}" if plan.subject == "summits" else f"by {names}")
    if plan.direction:
        bits.append("to China" if plan.direction == "KP->CN" else "to North Korea")
    if plan.place:
        bits.append(f"in {plan.place}")
    bits += [f"during {e.name}'s tenure" for e in plan.eras]
    if plan.period:
        bits.append(f"in {plan.period.label}" if not plan.period.label.startswith(
            ("since", "between", "from", "before", "after")) else plan.period.label)
    return " ".join(bits)


def _subset(plan: Plan) -> str:
    """The narrowest list the question is about: a leader's own trips are leader-level."""
    if plan.subject == "summits":
        return "summit"
    if plan.leader or (plan.people and all(p.era_id for p in plan.people)):
        return "leader_level"
    return "high_level"


def record_extent(store, plan: Plan, today: date, start: date | None = None,
                  end: date | None = None):
    """How complete the record is for the rows this plan selects (bot.engine.coverage)."""
    if plan.period:
        start, end = start or plan.period.start, end or plan.period.end
    spans = [e.tenure_span(today) for e in plan.eras]
    # A summit with a leader falls inside the leader's tenure; a leader's own trips as leader
    # are what the leader-level list covers.
    if plan.subject == "summits" or _subset(plan) == "leader_level":
        spans += [p.tenure_span(today) for p in plan.people]
    for span in filter(None, spans):
        start, end = max(start or date.min, span[0]), min(end or date.max, span[1])
    return extent(store, "visits", _subset(plan), start, end)


def visits_on_record(store, plan: Plan, today: date) -> list[Visit]:
    """Every visit the plan's filters select, up to today (its list or count operation)."""
    conds, params = plan.where(today)
    return store.visits_where(conds, params, limit=10_000)


def _record_note(engine, plan: Plan, today: date, start: date | None = None,
                 end: date | None = None) -> str:
    ext = record_extent(engine.store, plan, today, start, end)
    warn = stale_warning(ext, today)
    return ext.text + (f" {warn}" if warn else "")


def _span_days(v: Visit) -> int | None:
    """Calendar days of a visit, counting the arrival and departure days (10-18 Jan is 9)."""
    if not v.end_date or not v.exact:
        return None
    return days_between(v.start_date, v.end_date) + 1


def _line(v: Visit) -> str:
    title = (v.visitor_title or "").split(";")[0].strip()
    return visit_line(v) + (f" — {title}" if title else "")


def _run_visits(engine, plan: Plan, q: Query, today: date) -> Answer:
    conds, params = plan.where(today)
    store = engine.store
    end_cap = today.isoformat()
    op = plan.op
    what = " ".join(x for x in (_noun(plan, 1 if op in ("first", "last", "since", "longest",
                                                       "shortest") else 2),
                                _filters_text(plan)) if x)
    if op in ("last", "since", "first"):
        order = "start_date DESC, id DESC" if op != "first" else "start_date, id"
        rows = store.visits_where(conds, params, order=order, limit=1)
        if not rows:
            return engine.not_found(q, f"No {what} on record. " + _record_note(engine, plan, today))
        v = rows[0]
        days = days_between(v.start_date, end_cap)
        which = "first" if op == "first" else "most recent"
        if op == "since":
            head = (f"{days:,} days since the most recent {_noun(plan, 1)} on record "
                    f"{_filters_text(plan)}".rstrip() + f", as of {long_date(end_cap)}:")
        else:
            head = f"The {which} {what} on record:"
        lines = [head, f"• {_line(v)}."]
        if v.note:
            lines.append(f"  {v.note}")
        if op == "last":
            lines.append(f"That was {days:,} days before {long_date(end_cap)} (days counted "
                         f"from the arrival date).")
        lines.append(_record_note(engine, plan, today))
        return engine.reply(q, "\n".join(lines), [cite(v)], as_of=end_cap,
                            values={"id": v.id, "visitor": v.visitor, "date": v.start_date,
                                    "days": days})
    if op in ("most", "fewest"):
        return _grouped(engine, plan, q, today, conds, params)
    if op == "compare":
        return _compare(engine, plan, q, today)
    rows = visits_on_record(store, plan, today)
    if op in ("longest", "shortest", "duration"):
        return _durations(engine, plan, q, today, rows, what)
    if not rows:
        return engine.not_found(q, f"No {what} on record. " + _record_note(engine, plan, today))
    n = len(rows)
    head = f"{n} {_noun(plan, n)} on record {_filters_text(plan)}".rstrip() + ":"
    lines = [head] + [f"• {_line(v)}" for v in rows[:MAX_LISTED]]
    if n > MAX_LISTED:
        lines.append(f"… and {n - MAX_LISTED} more.")
    lines += leader_split(plan, rows)
    lines.append(_record_note(engine, plan, today))
    lines += _article_context(engine, plan)
    return engine.reply(q, "\n".join(lines), [cite(v) for v in rows[:MAX_LISTED]],
                        values={"count": n, "ids": [v.id for v in rows]})


def leader_split(plan: Plan, rows: list[Visit]) -> list[str]:
    """'Kim Jong Il trips': which of them he made as leader, and which before."""
    out = []
    for p in plan.people:
        if p.tenure is None:
            continue
        s, t = p.tenure
        mine = [v for v in rows if v.visitor in p.visitor_names]
        inside = [v for v in mine if s <= v.start_date <= (t or "9999")]
        if mine and len(inside) != len(mine):
            out.append(f"{len(inside)} of them while {p.name} led "
                       f"{'China' if p.country == 'China' else 'North Korea'} "
                       f"({s[:4]}–{(t or 'present')[:4]}); {len(mine) - len(inside)} before.")
    return out


def _article_context(engine, plan: Plan) -> list[str]:
    """The article's own figure for an era, dated, beside the record's count."""
    out = []
    rates = engine.store.era_rates()
    for e in plan.eras:
        fact = rates.get(e.era_id)
        if fact and plan.subject == "visits" and not plan.people and not plan.direction:
            out.append(f"The article (March 2017) gives {fact.value} high-level visits a year "
                       f"for the {e.name} period, from the CSIS data set.")
    return out


def _durations(engine, plan: Plan, q: Query, today: date, rows: list[Visit], what: str):
    timed = [(v, _span_days(v)) for v in rows]
    known = [(v, d) for v, d in timed if d is not None]
    if not known:
        return engine.not_found(q, f"No {what} on record has both its dates." + (
            f" {len(rows)} on record lack a departure date." if rows else ""))
    convention = ("Days are calendar days counting the arrival and departure days "
                  "(10–18 January is 9 days).")
    if plan.op == "duration":
        lines = [f"{v.visitor}, {visit_line(v)}: {d} days." for v, d in known[:MAX_LISTED]]
        if len(known) > 1:
            lines.insert(0, f"{len(known)} {_noun(plan, len(known))} match; each in turn.")
    else:
        best = (max if plan.op == "longest" else min)(d for _, d in known)
        tied = [(v, d) for v, d in known if d == best]
        if len(tied) == 1:
            lines = [f"The {plan.op} {what} on record: {best} days — {_line(tied[0][0])}."]
        else:
            lines = [f"The {plan.op} {what} on record: {best} days, a tie between "
                     f"{len(tied)}:"] + [f"• {_line(v)}" for v, _ in tied]
    missing = len(timed) - len(known)
    lines.append(convention + (f" {missing} visit{'s' if missing != 1 else ''} without a "
                               f"recorded departure date {'are' if missing != 1 else 'is'} "
                               f"left out." if missing else ""))
    lines.append(_record_note(engine, plan, today))
    chosen = known[:MAX_LISTED] if plan.op == "duration" else tied
    return engine.reply(q, "\n".join(lines), [cite(v) for v, _ in chosen],
                        values={"days": {v.id: d for v, d in chosen}})


GROUP_KEYS = {"year": "substr(start_date, 1, 4)",
              # 'Hu Yaobang (with Yang Shangkun)' counts for Hu Yaobang
              "visitor": "CASE WHEN instr(visitor, ' (') > 0 "
                         "THEN substr(visitor, 1, instr(visitor, ' (') - 1) ELSE visitor END"}


def _grouped(engine, plan: Plan, q: Query, today: date, conds: list[str], params: dict):
    group = plan.group or "visitor"
    counts = engine.store.count_visits_by(GROUP_KEYS[group], conds, params)
    if not counts:
        return engine.not_found(q, "Nothing on record to rank. "
                                + _record_note(engine, plan, today))
    sign = -1 if plan.op == "most" else 1
    ranked = sorted(counts.items(), key=lambda kv: (sign * kv[1], kv[0]))
    best = ranked[0][1]
    top = [k for k, c in ranked if c == best]
    label = "year" if group == "year" else "visitor"
    head = (f"{'Most' if plan.op == 'most' else 'Fewest'} {_noun(plan)} on record "
            f"{_filters_text(plan)} by {label}: {', '.join(top)} ({best}).").replace("  ", " ")
    lines = [head, "Ranking: " + "; ".join(f"{k} {c}" for k, c in ranked[:10]) + "."]
    if plan.op == "fewest" and group == "year":
        lines.append("Years with none on record are not ranked.")
    lines.append(_record_note(engine, plan, today))
    slots = {f"_k{i}": k for i, k in enumerate(top[:MAX_LISTED])}
    shown = engine.store.visits_where(
        [*conds, f"{GROUP_KEYS[group]} IN ({', '.join(':' + s for s in slots)})"],
        {**params, **slots}, limit=MAX_LISTED)
    return engine.reply(q, "\n".join(lines), [cite(v) for v in shown],
                        values={"ranking": dict(ranked)})


def _compare(engine, plan: Plan, q: Query, today: date):
    lines, sources, values = [], [], {}
    for p in plan.periods:
        sub = replace(plan, op="count", periods=(), period=Period(p.start, min(p.end, today),
                                                                  p.label))
        rows = visits_on_record(engine.store, sub, today)
        values[p.label] = len(rows)
        lines.append(f"{p.label}: {len(rows)} {_noun(plan, len(rows))} on record"
                     + (f" ({', '.join(v.visitor.split(' (')[0] for v in rows[:8])}"
                        f"{'…' if len(rows) > 8 else ''})" if rows else ""))
        sources += [cite(v) for v in rows[:10]]
    lines.append(_record_note(engine, plan, today, min(p.start for p in plan.periods),
                              max(p.end for p in plan.periods)))
    return engine.reply(q, "\n".join(lines), sources, values=values)


def _run_tests(engine, plan: Plan, q: Query, today: date) -> Answer:
    store = engine.store
    tests = store.tests()
    ext = extent(store, "tests")
    note = ext.text
    if plan.op in ("longest", "shortest"):
        gaps = []
        for t in tests:
            v = store.post_test_visit(t.n) or store.first_visit_after(date.fromisoformat(t.date))
            if v:
                gaps.append((days_between(t.date, v.start_date), t, v))
        if not gaps:
            return engine.not_found(q, "No visit after any test is on record.")
        d, t, v = (max if plan.op == "longest" else min)(gaps, key=lambda g: g[0])
        lines = [f"The {ordinal(t.n)} nuclear test ({long_date(t.date)}) had the {plan.op} wait: "
                 f"{d} days until {v.visitor} arrived ({long_date(v.start_date)}).",
                 "Wait per test: " + "; ".join(f"test {g[1].n}: {g[0]} days" for g in gaps) + ".",
                 "Days counted from the test to the visitor's arrival (the day after is 1)."]
        if v.confidence == "partial":
            lines.append("The record rates that visit 'partial': which visit came first "
                         "is a judgement (see its note).")
        return engine.reply(q, "\n".join(lines), [cite(t), cite(v)],
                            values={"test": t.n, "days": d,
                                    "gaps": {g[1].n: g[0] for g in gaps}})
    if plan.op == "between":
        numbers, reason = engine.resolve_tests(q)
        if reason or len(numbers) != 2:
            return engine.not_found(q, reason or "Name two nuclear tests, e.g. 'between the "
                                                 "2009 test and the 2013 test'.")
        a, b = (store.test(n) for n in numbers)
        if not a or not b:
            return engine.not_found(q, "One of those tests is not on record.")
        a, b = sorted((a, b), key=lambda t: t.date)
        days = days_between(a.date, b.date)
        visits = store.visits_where(["high_level = 1", "start_date > :a", "start_date < :b"],
                                    {"a": a.date, "b": b.date})
        lines = [f"{days:,} days between the {ordinal(a.n)} test ({long_date(a.date)}) and the "
                 f"{ordinal(b.n)} ({long_date(b.date)}).",
                 f"{len(visits)} high-level visit{'s' if len(visits) != 1 else ''} on record "
                 f"in between" + (":" if visits else ".")]
        lines += [f"• {_line(v)}" for v in visits[:MAX_LISTED]]
        lines.append(_record_note(engine, Plan("visits"), today, date.fromisoformat(a.date),
                                  date.fromisoformat(b.date)))
        return engine.reply(q, "\n".join(lines), [cite(a), cite(b), *(cite(v) for v in visits)],
                            values={"days": days, "visits": len(visits)})
    start, end = date(1900, 1, 1), today
    label = ""
    if plan.eras and plan.eras[0].tenure_span(today):
        start, end = plan.eras[0].tenure_span(today)
        label = f" during {plan.eras[0].name}'s tenure"
    if plan.period:
        start, end = max(start, plan.period.start), min(end, plan.period.end)
        label += f" in {plan.period.label}"
    chosen = store.tests_between(start, end)
    if plan.op in ("first", "last") and chosen:
        chosen = [chosen[0] if plan.op == "first" else chosen[-1]]
    if not chosen:
        return engine.not_found(q, f"No nuclear test on record{label}. {note}")
    n = len(chosen)
    lines = [f"{n} nuclear test{'s' if n != 1 else ''} on record{label}:"]
    lines += [f"{t.n}. {long_date(t.date)}: {t.description}" for t in chosen]
    lines.append(note)
    return engine.reply(q, "\n".join(lines), [cite(t) for t in chosen],
                        values={"count": n, "tests": [t.n for t in chosen]})


def _run_trade(engine, plan: Plan, q: Query, today: date) -> Answer:
    rows = engine.store.trade()
    if plan.period and not plan.periods:
        rows = [r for r in rows if plan.period.start.year <= r.year <= plan.period.end.year]
    if plan.periods:
        years = {p.start.year for p in plan.periods}
        rows = [r for r in rows if r.year in years]
    if not rows:
        return engine.not_found(q, "No annual trade figure on record for that period. The "
                                   "trade table covers "
                                   f"{engine.store.trade()[0].year}–"
                                   f"{engine.store.trade()[-1].year}.")
    if plan.op in ("most", "fewest", "last", "first"):
        if plan.op in ("last", "first"):
            pick = rows[-1] if plan.op == "last" else rows[0]
            head = f"The {'latest' if plan.op == 'last' else 'earliest'} year on record:"
        else:
            pick = (max if plan.op == "most" else min)(rows, key=lambda r: r.total_usd)
            head = f"The {'highest' if plan.op == 'most' else 'lowest'} year on record:"
        lines = [head, f"{trade_line(pick)}."]
        chosen = [pick]
    else:
        chosen = rows[-MAX_LISTED:]
        lines = [f"{trade_line(r)}." for r in chosen]
        if plan.op == "compare" and len(chosen) == 2:
            a, b = chosen
            change = (b.total_usd - a.total_usd) / a.total_usd * 100
            lines.append(f"Change {a.year} to {b.year}: {change:+.0f}% "
                         f"({usd(a.total_usd)} to {usd(b.total_usd)}).")
    lines.append("Basis: China's General Administration of Customs, as reported by the press.")
    return engine.reply(q, "\n".join(lines), [cite(r) for r in chosen],
                        values={str(r.year): r.total_usd for r in chosen})


def _run_events(engine, plan: Plan, q: Query, today: date) -> Answer:
    store = engine.store
    rows = store.sanctions() if plan.subject == "sanctions" else store.events()
    if plan.kind:
        rows = [r for r in rows if r.kind == plan.kind or plan.kind in r.event.lower()]
    if plan.period:
        s, e = plan.period.start.isoformat(), plan.period.end.isoformat()
        rows = [r for r in rows if s <= r.date <= e]
    rows = sorted((r for r in rows if r.date <= today.isoformat()), key=lambda r: r.date)
    noun = plan.kind or ("sanctions measure" if plan.subject == "sanctions" else "event")
    if not rows:
        return engine.not_found(q, f"No {noun} on record for that. "
                                   + extent(store, plan.subject).text)
    if plan.op in ("first", "last"):
        rows = [rows[0] if plan.op == "first" else rows[-1]]
    plural = {"veto": "vetoes", "anniversary": "anniversaries", "treaty": "treaties"}
    many = noun if len(rows) == 1 else plural.get(noun, noun + "s")
    lines = [f"{len(rows)} {many} on record:" if plan.op not in ("first", "last") else
             f"The {'first' if plan.op == 'first' else 'most recent'} {noun} on record:"]
    for r in rows[:MAX_LISTED]:
        lines.append(f"• {long_date(r.date)}: {r.event}" + (f" ({r.figure})" if r.figure else ""))
    lines.append(extent(store, plan.subject).text)
    return engine.reply(q, "\n".join(lines), [cite(r) for r in rows[:MAX_LISTED]],
                        values={"count": len(rows), "ids": [r.id for r in rows]})
