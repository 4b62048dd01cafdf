"""Question text -> Query. Registries, not branches: a new phrasing is a new row."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.engine.dates import DateProblem, Period, find_period
from bot.engine.normalize import clean, fold
from knowledge.store import TopicRule

# -- registries ------------------------------------------------------------------------------
ORDINALS = {
    "first": 1, "1 st": 1, "one": 1, "second": 2, "2 nd": 2, "two": 2, "third": 3, "3 rd": 3,
    "three": 3, "fourth": 4, "4 th": 4, "four": 4, "fifth": 5, "5 th": 5, "five": 5,
    "sixth": 6, "6 th": 6, "six": 6, "seventh": 7, "7 th": 7, "eighth": 8, "8 th": 8,
    "ninth": 9, "9 th": 9, "tenth": 10, "10 th": 10, "last": -1, "latest": -1, "most recent": -1,
    "previous": -1, "final": -1,
}
TEST_WORDS = r"(?:nuclear |nuke |atomic )?(?:test|tests|detonation|explosion|blast)"

ABBREVIATIONS = {
    "kju": "kim jong un", "kji": "kim jong il", "kis": "kim il sung", "nk": "north korea",
    "dprk": "north korea", "prc": "china", "unsc": "un security council", "us": "united states",
    "usa": "united states", "vs": "versus", "v": "versus", "doj": "justice department",
    "jongun": "kim jong un", "jongil": "kim jong il", "kimjongun": "kim jong un",
    "kimjongil": "kim jong il", "6": "6", "six party": "six party", "sixparty": "six party",
    "liquified": "liquefied", "yrs": "years", "yr": "year", "nuke": "nuclear", "nukes": "nuclear",
}

# Words a typo can be corrected to (edit distance 1, words of four letters or more).
VOCABULARY = (
    "test tests nuclear days visits visit visited visitor after since between average era "
    "eras period periods summit summits sanctions sanction coal ban imports import trade "
    "share exemption humanitarian livelihood envoy compare versus fewest lowest highest most "
    "total trips trip china korea north leader leaders when date dates frequency often rate "
    "weighted unweighted ranking rank which what many much justice department freeze freezes "
    "liquefied petroleum recommendations definition level high first second third fourth "
    "fifth sixth january february march april june july august september october november "
    "december talks party special normal since gap gaps list record longest shortest "
    "earliest latest recent summit meet meeting times count leader leaders premier president "
    "duration minister foreign delegation pyongyang beijing"
).split()

# Tokens that never trigger typo correction (common English and question words).
_STOP = set(
    "a an the of in on at to for from by with and or is are was were be been do does did "
    "how what when which who whom whose why where there their this that these those it its "
    "me my we our you your he she his her they them i about any all some many much more "
    "most than then also under over per into as not no yes can could would should will "
    "has have had since after before between during up down out off".split()
)
GENERIC_WORDS = _STOP | set(
    "china chinese north korea korean dprk prc beijing pyongyang today now please tell "
    "know show give find info information question questions say says said latest news "
    "current currently thing things".split()
)


ERA_WORDS = ("era|period|years|rule|reign|tenure|time|under|during|administration|leadership|"
             "visits|visit|often|rate|frequency|frequent|exchanges|how many|average|annual|"
             "per year|a year").split("|")
COMPARE_WORDS = ("versus|compare|compared|comparison|vs|against|difference|differ|and").split("|")
RANK_WORDS = ("fewest|lowest|least|most|highest|rank|ranking|ranked|busiest|quietest|worst|"
              "best|record low|lowest ever|minimum|maximum|fewer|more").split("|")
CURRENT_WORDS = ("current period|current era|now|today|present|current leaders|"
                 "current").split("|")
GAP_WORDS = ("days after|day after|days between|gap|gaps|lag|how long after|how soon|how quickly|"
             "first visit after|visit after|visited after|visits after|envoy|envoys|who visited|"
             "who came|who went|response|reaction|days until|days to|time to|time between|"
             "after the|following|followed|afterwards|lapsed|elapsed").split("|")
SINCE_WORDS = ("days since|since the|how long since|how long ago|time since|years since|"
               "months since|ago|since last|since the last").split("|")
WHEN_WORDS = "when|what date|date|which day|day of|dated|happen|happened|held|conducted".split("|")
LIST_WORDS = "list|all|tests|which|how many|every|timeline|history|in".split("|")
TENURE_WORDS = ("die|died|death|dead|came to power|come to power|took power|take power|became|"
                "become|rule|ruled|reign|tenure|in office|succeed|succeeded|succession|"
                "start|started|begin|began|end|ended|leader from|how long did|"
                "in power|power").split("|")
TRAVEL_WORDS = ("visit to|visits to|trip|trips|travel|travelled|traveled|went to|go to|"
                "visited|visit pyongyang|visit china|visit beijing|in pyongyang|"
                "to pyongyang|to beijing|to china").split("|")
VISIT_WORDS = "visit|visits|visited|trip|trips|exchanges|exchange|delegation|envoy".split("|")


# -- the query -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """What a question asks, as far as the registries recognise it."""

    text: str
    folded: str
    intent: str
    eras: tuple[str, ...] = ()
    tests: tuple[int, ...] = ()
    test_year: int | None = None
    period: Period | None = None
    topic: str | None = None
    person: str | None = None
    problem: str | None = None
    words: tuple[str, ...] = field(default=(), repr=False)


def _has(folded: str, phrases: Iterable[str]) -> bool:
    """Any phrase as whole words of the folded text (a phrase starting with punctuation, such
    as '%', anywhere in it)."""
    return _phrase_re(tuple(phrases)).search(folded) is not None


@functools.lru_cache(maxsize=1024)
def _phrase_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted(set(phrases), key=len, reverse=True)
    words = [re.escape(p) for p in alts if p[:1].isalnum()]
    other = [re.escape(p) for p in alts if p and not p[:1].isalnum()]
    parts = [r"(?<!\S)(?:" + "|".join(words) + r")(?!\S)"] if words else []
    parts += other
    return re.compile("|".join(parts) or r"(?!x)x")


def _correct(tokens: list[str], known: set[str]) -> list[str]:
    """Fix typos in words we do not know: one edit ('tset', 'deys'), two in words of eight
    letters or more ('longset', 'sanctoins' are one; 'anniversray' two)."""
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extractOne

    out = []
    for tok in tokens:
        if len(tok) >= 4 and tok.isalpha() and tok not in known:
            best = extractOne(tok, VOCABULARY, scorer=OSA.distance,
                              score_cutoff=2 if len(tok) >= 8 else 1)
            out.append(best[0] if best else tok)
        else:
            out.append(tok)
    return out


class Parser:
    """Parses questions against the eras, people and topics one knowledge base knows."""

    def __init__(self, era_aliases: Mapping[str, str], people: Iterable[str] = (),
                 extra_words: Iterable[str] = (), leaders: Mapping[str, str] | None = None,
                 visitors: Iterable[str] = (), rules: Iterable[TopicRule] = ()):
        self.leaders = dict(leaders or {})
        self.visitors = set(visitors)
        self.aliases = {fold(a): e for a, e in era_aliases.items()}
        # Longest alias first, so "kim jong il" wins over any shorter alias inside it.
        self._alias_re = re.compile(r"\b(" + "|".join(
            re.escape(a) for a in sorted(self.aliases, key=len, reverse=True)) + r")\b")
        self.people = {fold(p): p for p in people}
        # Topic rules come from the knowledge base (topic_rules.csv and facts with `match`),
        # folded like the questions they are matched against.
        self.rules = tuple(TopicRule(r.topic, tuple(tuple(fold(a) or a for a in g)
                                                    for g in r.groups), r.weight)
                           for r in rules)
        self.known = set(VOCABULARY) | _STOP | GENERIC_WORDS | set(extra_words)
        for phrase in [*self.aliases, *self.people, *ABBREVIATIONS.values()]:
            self.known.update(phrase.split())
        for rule in self.rules:
            for group in rule.groups:
                for alt in group:
                    self.known.update(alt.split())

    def normalize(self, text: str, *, correct: bool = True) -> str:
        """Folded text with abbreviations spelled out and, unless `correct` is False (a long
        draft, where typos are rare and speed counts), one-letter typos fixed."""
        tokens = fold(clean(text)).split()
        tokens = [ABBREVIATIONS.get(t, t) for t in tokens]
        if not correct:
            return " ".join(" ".join(tokens).split())
        return " ".join(_correct(" ".join(tokens).split(), self.known))

    def parse(self, question: str, today: date) -> Query:
        """Recognise intent and slots; never raises for any input."""
        text = clean(question)
        folded = self.normalize(text)
        base = dict(text=text, folded=folded, words=tuple(folded.split()))
        if not folded:
            return Query(intent="empty", **base)
        eras = self._eras(folded)
        tests, test_year, problem = self._tests(folded, today)
        period = None
        try:
            period = find_period(self._without_test_refs(folded), today)
        except DateProblem as exc:
            problem = problem or str(exc)
        topic = self._topic(folded)
        person = next((p for f, p in self.people.items() if _has(folded, [f])), None)
        if person is None and eras:
            leader = self.leaders.get(eras[0])
            person = leader if leader in self.visitors else None
        slots = dict(eras=eras, tests=tests, test_year=test_year, period=period, topic=topic,
                     person=person, problem=problem, **base)
        return Query(intent=self._intent(**slots), **slots)

    # -- slot finders --------------------------------------------------------------------------
    def _eras(self, folded: str) -> tuple[str, ...]:
        found: list[str] = []
        for m in self._alias_re.finditer(folded):
            era = self.aliases[m[1]]
            if era not in found:
                found.append(era)
        if _has(folded, CURRENT_WORDS) and _has(folded, ERA_WORDS) and not found:
            found = ["xi", "kim_jong_un"]
        return tuple(found)

    _TEST_REF = re.compile(
        rf"\b(?:(?P<ord>{'|'.join(sorted(ORDINALS, key=len, reverse=True))}) {TEST_WORDS}"
        rf"|{TEST_WORDS} (?:no |number |#)?(?P<num>[1-9])\b"
        rf"|(?:(?P<mon>[a-z]+) )?(?P<year>\d{{4}}) {TEST_WORDS}"
        rf"|{TEST_WORDS} (?:of |in )(?:(?P<mon2>[a-z]+) )?(?P<year2>\d{{4}}))")

    _ORD = "|".join(sorted((o for o in ORDINALS if ORDINALS[o] > 0), key=len, reverse=True))
    _TEST_PAIR = re.compile(rf"\b(?P<a>{_ORD}) (?:and|to|&) (?:the )?(?:{_ORD}) {TEST_WORDS}")

    def _tests(self, folded: str, today: date):
        """Nuclear tests named in the text: ordinal, number, year or month and year."""
        if not re.search(rf"\b{TEST_WORDS}\b", folded):
            return (), None, None
        from bot.engine.dates import MONTHS

        tests: list[int] = []
        year = None
        for m in self._TEST_PAIR.finditer(folded):  # 'the first and second tests'
            tests.append(ORDINALS[m["a"]])
        for m in self._TEST_REF.finditer(folded):
            if m["ord"]:
                tests.append(ORDINALS[m["ord"]])
            elif m["num"]:
                tests.append(int(m["num"]))
            else:
                y = int(m["year"] or m["year2"])
                mon = m["mon"] or m["mon2"]
                year = y
                tests.append(-(y * 100 + MONTHS.get(mon or "", 0)))  # resolved by the engine
        return tuple(dict.fromkeys(tests)), year, None

    def _without_test_refs(self, folded: str) -> str:
        return self._TEST_REF.sub(" ", folded)

    def _topic(self, folded: str) -> str | None:
        best, best_score = None, 0
        for rule in self.rules:
            if all(_has(folded, group) for group in rule.groups):
                score = len(rule.groups) * 10 + rule.weight
                if score > best_score:
                    best, best_score = rule.topic, score
        return best

    # -- intent --------------------------------------------------------------------------------
    def _intent(self, *, folded: str, eras, tests, test_year, period, topic, person, problem,
                **_) -> str:
        mentions_test = bool(re.search(rf"\b{TEST_WORDS}\b", folded))
        if mentions_test and not topic:
            if _has(folded, ["average", "mean", "typical", "usually"]) and _has(
                    folded, GAP_WORDS + ["days", "long", "visit"]):
                return "test_gap_average"
            if _has(folded, SINCE_WORDS) and not _has(folded, ["visit", "visits", "visited",
                                                                "envoy", "who"]):
                return "days_since_test"
            if tests and _has(folded, GAP_WORDS + VISIT_WORDS + ["days", "who"]):
                return "test_gap"
            if tests and len(tests) == 1 and tests[0] > 0 or (
                    tests and _has(folded, WHEN_WORDS) and not _has(folded, ["tests"])):
                return "test_date"
            if tests and test_year:
                return "test_list"
            if _has(folded, ["last", "latest", "recent"]):
                return "test_date"
            return "test_list"
        if topic == "visits_total" and not eras and (
                period is None or period.start.year == 1953):
            return "visits_total"
        if eras and _has(folded, TENURE_WORDS) and not _has(folded, VISIT_WORDS):
            return "era_tenure"
        if person and _has(folded, TRAVEL_WORDS) and topic not in ("kji_trips", "summits"):
            return "person"
        if eras and topic not in ("kji_trips", "summits"):
            if _has(folded, RANK_WORDS) and not len(eras) > 1:
                return "era_rank"
            if len(eras) > 1:
                return "era_compare"
            if _has(folded, ERA_WORDS) or len(folded.split()) <= 3:
                return "era_rate"
        if not eras and not topic and _has(folded, RANK_WORDS) and _has(
                folded, ["era", "eras", "period", "periods", "leader", "leaders", "visits",
                         "exchanges", "frequency"]):
            return "era_rank"
        if topic == "visits_total" and period:
            return "visits_in_period"
        if topic:
            return "topic"
        if person:
            return "person"
        if problem:
            return "bad_date"
        if period and _has(folded, VISIT_WORDS):
            return "visits_in_period"
        if period and _has(folded, ["happened", "happen", "events", "event", "what happened",
                                    "anniversary", "on record", "timeline", "news"]):
            return "events_in_period"
        return "search"
