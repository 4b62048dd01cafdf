"""Sentences -> the checkable claims in them: figures tied to a subject (an era's visit rate,
the days from a test to a visit, a resolution's cap), dates tied to an event, people and their
offices, nuclear tests, leaders' periods. Finding only: verdict.py judges them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.check import rules
from bot.check.figures import Figure, find_figures
from bot.check.sentences import Sentence, split_clauses, split_sentences
from bot.engine.dates import DateMention, find_periods
from bot.engine.parse import TENURE_WORDS, Parser, _has


@dataclass(frozen=True)
class Claim:
    """One thing a clause asserts, and what it is about."""

    kind: str
    clause: Sentence
    subject: str = ""  # an era id, a test number, a rule id, a person's name
    figure: Figure | None = None
    when: DateMention | None = None
    extra: dict = field(default_factory=dict, compare=False)


@dataclass
class Context:
    """A clause, its sentence, and what the parser recognises in them."""

    sentence: Sentence
    clause: Sentence
    s_fold: str
    c_fold: str
    p_fold: str  # the sentence before and this one: what "it" and "that amount" refer to
    figures: list[Figure]
    dates: list[DateMention]
    eras: tuple[str, ...]
    tests: tuple[int, ...]
    people: list[str]
    today: date
    used: set[int] = field(default_factory=set)  # figures (by start) already claimed
    planner: object = None  # bot.engine.plan.Planner: counts of visits and summits on record

    def take(self, fig: Figure | None) -> Figure | None:
        if fig is not None:
            self.used.add(fig.start)
        return fig

    def free(self, *kinds: str) -> list[Figure]:
        return [f for f in self.figures if f.start not in self.used and f.kind in kinds]


VISIT_WORDS = ("visit|visits|visited|arrived|arrive|trip|trips|travelled|traveled|met|meeting|"
               "summit|summits|toured|in beijing|in pyongyang|to china|to beijing|to pyongyang|"
               "dispatched|sent").split("|")
RATE_WORDS = ("a year|per year|each year|annually|annual|per annum|yearly").split("|")
GAP_WORDS = ("after|later|following|since|of|within|before").split("|")
END_WORDS = ("died|death|dies|stepped down|until|ended|left office|succeeded by|"
             "end").split("|")
NO_SUMMIT = ("no summit|no summits|not held a summit|never held a summit|never held|not held|"
             "never had a summit|never met|have not met|has not met|"
             "had not met|not met|no meeting|not been a summit|not had a summit|"
             "has been no summit|have been no summits").split("|")
NO_VISIT = ("no visit|no visits|no high level visit|no high level visits|not visited|"
            "has been no visit|have been no visits|no envoy").split("|")
OFFICES = ("vice foreign minister|foreign minister|state councilor|state councillor|vice marshal|"
           "special envoy|vice premier|premier|vice president|president|general secretary|"
           "minister of external economic relations|director|vice chairman|chairman|"
           "politburo member").split("|")
_RESOLUTION = re.compile(r"\b(?:unscr|unsc resolution|resolution|res|scr)\s*(\d{3,4})\b")


def find_claims(text: str, parser: Parser, people: list[str], today: date,
                planner=None) -> list[Claim]:
    """Every claim in `text`, sentence by sentence and clause by clause."""
    folded_people, people_rx = _people_index(parser, tuple(people))
    out: list[Claim] = []
    before = ""
    for sentence in split_sentences(text):
        s_fold = parser.normalize(sentence.text, correct=False)
        p_fold, before = f"{before} {s_fold}".strip(), s_fold
        for clause in split_clauses(sentence):
            c_fold = parser.normalize(clause.text, correct=False) if clause != sentence \
                else s_fold
            named = people_rx.findall(c_fold) if people_rx else []
            ctx = Context(
                sentence=sentence, clause=clause, s_fold=s_fold, c_fold=c_fold, p_fold=p_fold,
                figures=find_figures(clause.text),
                dates=find_periods(parser._without_test_refs(c_fold), today),
                eras=parser._eras(c_fold) or parser._eras(s_fold),
                tests=parser._tests(c_fold, today)[0] or parser._tests(s_fold, today)[0],
                people=[p for f, p in folded_people if f in named],
                today=today, planner=planner)
            for finder in FINDERS:
                out += finder(ctx, parser)
    return out


@functools.lru_cache(maxsize=8)
def _people_index(parser: Parser, people: tuple[str, ...]):
    """The names folded as the parser folds questions, and one pattern finding any of them:
    built once per parser and list of names (a knowledge base), not once per text."""
    folded = [(parser.normalize(p), p) for p in people]
    return folded, _any_phrase([f for f, _ in folded if f])


def _any_phrase(phrases: list[str]) -> re.Pattern | None:
    """One pattern finding any of these folded phrases as whole words, longest first."""
    if not phrases:
        return None
    alts = "|".join(re.escape(x) for x in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)")


# -- finders -------------------------------------------------------------------------------
def era_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """Visit rates per leader's period, and when a leader's period began or ended."""
    out = []
    rates = ctx.free("rate")
    if not rates and ctx.clause != ctx.sentence and _has(ctx.s_fold, RATE_WORDS):
        rates = [f for f in ctx.free("number") if f.decimals][:1]  # "while under Xi, 1.25"
    if rates and ctx.eras:
        listed = sorted(rates + ctx.free("number"), key=lambda f: f.start)
        if len(listed) == len(ctx.eras) > 1 and _has(ctx.c_fold, ["respectively"]):
            pairs = list(zip(ctx.eras, listed, strict=True))
        elif len(ctx.eras) == 2 and set(ctx.eras) == {"xi", "kim_jong_un"}:
            pairs = [("current", r) for r in rates]
        else:
            pairs = [(ctx.eras[0], r) for r in rates[:1]]
        for era, rate in pairs:
            out.append(Claim("era_rate", ctx.clause, era, ctx.take(rate)))
    people_not_leaders = [p for p in ctx.people if not _is_leader(parser, p)]
    if ctx.eras and ctx.dates and _has(ctx.c_fold, TENURE_WORDS + ["led", "since", "from"]) \
            and not people_not_leaders and not _has(ctx.c_fold, VISIT_WORDS):
        era = ctx.eras[0]
        for mention in ctx.dates[:2]:
            end = _has(ctx.c_fold, END_WORDS) and (mention is ctx.dates[-1] and (
                len(ctx.dates) > 1 or not _has(ctx.c_fold, ["came to power", "took power",
                                                            "became", "from", "since"])))
            if mention.precision == "range":
                out.append(Claim("tenure", ctx.clause, era, when=mention, extra={"end": False}))
                out.append(Claim("tenure", ctx.clause, era, when=mention, extra={"end": True}))
            else:
                out.append(Claim("tenure", ctx.clause, era, when=mention, extra={"end": end}))
    return out


def _is_leader(parser: Parser, person: str) -> bool:
    return person in parser.leaders.values()


def test_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """Nuclear tests: when each was, how many there are, the days to the next visit and who
    came; and tests the record does not hold."""
    out = []
    counts = [f for f in ctx.free("count") if f.noun in ("tests", "test")]
    for fig in counts:
        out.append(Claim("test_count", ctx.clause, figure=ctx.take(fig)))
    if not ctx.tests:
        return out
    n = ctx.tests[0]
    if n != -1:  # a test the record may not hold ("a seventh test"); judged on its coverage
        out.append(Claim("test_exists", ctx.clause, str(n),
                         when=ctx.dates[0] if ctx.dates else None))
    averaged = _has(ctx.c_fold, ["average", "averaged", "on average", "mean"])
    gaps = [] if averaged else ctx.free("days", "weeks", "months")
    if gaps and _has(ctx.c_fold, GAP_WORDS):
        out.append(Claim("test_gap", ctx.clause, str(n), ctx.take(gaps[0])))
    visitors = [p for p in ctx.people if not _is_leader(parser, p)]
    if visitors and _has(ctx.c_fold, ["after", "following", "since"]):
        out.append(Claim("test_visitor", ctx.clause, str(n), extra={"person": visitors[0]}))
    if n > 0 and not visitors and not gaps:
        for mention in _dates_next_to_tests(ctx, parser):
            out.append(Claim("test_date", ctx.clause, str(n), when=mention))
    return out


def _dates_next_to_tests(ctx: Context, parser: Parser) -> list[DateMention]:
    """Dates written right after a test ('the fourth test, on January 6, 2016'), so a visit's
    date in the same clause is not taken for the test's."""
    found = []
    for m in parser._TEST_REF.finditer(ctx.c_fold):
        if not m["ord"] and not m["num"]:
            continue
        tail = ctx.c_fold[m.end():m.end() + 48]
        tail = re.sub(r"^\s*(?:\w+\s+){0,4}?(?=(?:on|in|of)\b)", "", tail)
        hits = find_periods(tail, ctx.today)
        if hits and re.match(r"\s*(?:was|took place|happened|conducted|carried out|"
                             r"came|occurred)?\s*(?:on|in|of)?\s*(?:\w+ )?\d", tail):
            found.append(hits[0])
    if not found and ctx.dates and not _has(ctx.c_fold, VISIT_WORDS):
        found = ctx.dates[:1]
    return found


def absence_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """The article's statements that something had not happened (as of March 2017)."""
    out = []
    if _has(ctx.c_fold, NO_SUMMIT) and (_has(ctx.c_fold, ["summit", "summits", "met"])):
        out.append(Claim("no_summit", ctx.clause, "xi_kim",
                         figure=ctx.take(next(iter(ctx.free("years")), None))))
    if _has(ctx.c_fold, NO_VISIT) and 5 in ctx.tests:
        out.append(Claim("no_visit_since_test", ctx.clause, "5"))
    return out


def person_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """When a person visited, and the office a person held."""
    out = []
    for person in ctx.people:
        office = next((o for o in OFFICES if _has(ctx.c_fold, [o])), None)
        if office and not _is_leader(parser, person):
            out.append(Claim("office", ctx.clause, person, extra={"office": office}))
        if ctx.dates and _has(ctx.c_fold, VISIT_WORDS) and not (
                _is_leader(parser, person) and _has(ctx.c_fold, TENURE_WORDS)):
            for mention in ctx.dates[:1]:
                out.append(Claim("visit_date", ctx.clause, person, when=mention))
        break  # the first person named is the subject
    return out


def rule_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """Figures and dates checked against the rows the registries name."""
    out = []
    for rule in rules.candidates(rules.FIGURE_RULES, ctx.c_fold):
        if not rule.applies(ctx.c_fold, ctx.p_fold):
            continue
        figs = [f for f in ctx.free(*rule.kinds) if not rule.nouns or f.kind != "count"
                or f.noun in rule.nouns]
        if figs:
            out.append(Claim("figure", ctx.clause, rule.id, ctx.take(figs[0]),
                             extra={"rule": rule}))
    dated = False
    for rule in rules.candidates(rules.DATE_RULES, ctx.c_fold) if ctx.dates else ():
        if not dated and rule.applies(ctx.c_fold, ctx.s_fold):
            out.append(Claim("date", ctx.clause, rule.id, when=ctx.dates[0],
                             extra={"rule": rule}))
            dated = True
    m = _RESOLUTION.search(ctx.c_fold)
    if m and not dated and ctx.dates and _has(ctx.c_fold, rules.RESOLUTION_VERBS):
        out.append(Claim("resolution_date", ctx.clause, m[1], when=ctx.dates[0]))
    return out


COUNT_NOUNS = frozenset("visits visit trips trip summits summit meetings meeting times".split())


def count_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """'Hu Jintao met Kim Jong Il six times', 'five Kim-Xi summits', '9 visits in 2010': a
    count of visits or summits, checked by counting the rows the query planner selects."""
    if ctx.planner is None or not _has(ctx.c_fold, VISIT_WORDS):
        return []
    figs = [f for f in ctx.free("count", "multiple") if f.noun in COUNT_NOUNS
            or re.match(r"\s*(?:high|leader)[- ]level\s+(?:visits|trips|summits|exchanges)\b",
                        ctx.clause.text[f.end:].lower())
            or (f.kind == "multiple" and f.surface.lower().endswith("times")
                and not re.search(r"\btimes\s+(?:the|as|more|higher|larger|bigger)\b",
                                  ctx.clause.text[f.start:].lower()))]
    if not figs:
        return []
    # Planned as a count, whatever the clause would ask: the rows it selects are counted.
    plan = ctx.planner.plan(parser.parse(ctx.clause.text, ctx.today), op="count")
    if plan is None or plan.subject not in ("visits", "summits") or not (
            plan.people or plan.period or plan.eras or plan.direction):
        return []
    return [Claim("record_count", ctx.clause, plan.subject, ctx.take(figs[0]),
                  extra={"plan": plan})]


def trade_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """A year's China–DPRK trade, total or one direction, in US dollars."""
    money = ctx.free("money")
    if not money or not _has(ctx.c_fold, ["trade", "exports", "imports", "exported", "imported"]):
        return []
    years = [d for d in ctx.dates if d.precision == "year"]
    if not years or _has(ctx.c_fold, ["coal", "lpg", "cap", "2321", "2371", "share"]):
        return []
    c = ctx.c_fold
    if _has(c, ["china exports", "chinese exports", "exports to north korea", "china exported",
                "north korea imports", "imports from china", "north korea imported"]):
        part = "china_exports_usd"
    elif _has(c, ["china imports", "chinese imports", "imports from north korea",
                  "china imported", "north korea exports", "exports to china",
                  "north korea exported"]):
        part = "china_imports_usd"
    elif _has(c, ["trade"]) and not _has(c, ["exports", "imports", "exported", "imported"]):
        part = "total_usd"
    else:
        return []
    return [Claim("trade", ctx.clause, str(years[0].period.start.year), ctx.take(money[0]),
                  extra={"part": part})]


DOMAIN_NOUNS = frozenset("visits visit trips trip summits summit tests test meetings envoys "
                         "delegations resolutions sanctions nationals individuals people "
                         "exchanges recommendations entities vessels officials".split())


def leftover_claims(ctx: Context, parser: Parser) -> list[Claim]:
    """Figures no finder could tie to anything the knowledge base holds: said plainly."""
    out = []
    for fig in ctx.free("percent", "money", "tonnes", "barrels", "rate", "days", "weeks",
                        "months", "multiple", "count"):
        if fig.kind == "count" and fig.noun not in DOMAIN_NOUNS:
            continue
        out.append(Claim("unmatched", ctx.clause, figure=ctx.take(fig)))
    return out


FINDERS: tuple[Callable[[Context, Parser], list[Claim]], ...] = (
    absence_claims, test_claims, era_claims, rule_claims, count_claims, trade_claims,
    person_claims,
    leftover_claims,
)
