"""Claim + knowledge store -> a verdict with the figure on record and its sources.

supported: a row states the same figure, date or person for the same subject and period;
contradicted: a row states something else (the answer gives it); discrepancy: the article and
the public record differ (both given); unknown: nothing bears on it, or the record is not
complete where the claim would need it to be. When in doubt: unknown.
"""

from __future__ import annotations

from datetime import date

from bot.check.claims import Claim
from bot.check.figures import Figure, figures_in
from bot.check.report import ClaimResult
from bot.engine.coverage import extent
from bot.engine.dates import DateMention
from bot.engine.normalize import fold
from bot.engine.parse import _has
from bot.engine.plan import leader_split, record_extent, visits_on_record
from bot.engine.sources import (
    ARTICLE_AS_OF,
    cite,
    days_between,
    fmt_number,
    long_date,
    ordinal,
    visit_span,
)
from knowledge.store import Fact, KnowledgeStore

ARTICLE = "the article (Foreign Affairs, March 2017)"
RECORD = "the public record"


class Judge:
    """Judges claims against one knowledge store, for one 'today'."""

    def __init__(self, store: KnowledgeStore, today: date) -> None:
        self.store = store
        self.today = today

    def judge(self, claim: Claim) -> ClaimResult:
        return JUDGES[claim.kind](self, claim)

    # -- helpers ---------------------------------------------------------------------------
    def result(self, claim: Claim, verdict: str, answer: str, *, expected=None, stated=None,
               sources=(), as_of=None, what: str = "") -> ClaimResult:
        uniq = {s.id: s for s in sources}
        return ClaimResult(span=claim.clause.text, start=claim.clause.start,
                           end=claim.clause.end, claim=what or claim.kind, verdict=verdict,
                           answer=answer, expected=expected, stated=stated,
                           sources=tuple(uniq.values()), as_of=as_of)

    def row(self, ref: str):
        kind, _, ident = ref.partition(":")
        ident = ident.split(".")[0]
        return {"fact": self.store.fact, "sanction": self.store.sanction,
                "event": self.store.event}[kind](ident)

    def field(self, ref: str) -> tuple[object, str | None]:
        """(row, value of the named field) for 'kind:id.field'."""
        if not ref:
            return None, None
        row = self.row(ref)
        name = ref.rsplit(".", 1)[1]
        return row, (getattr(row, name) if row is not None else None)

    def coverage(self, table: str, day: str) -> tuple[bool, str | None]:
        """Whether the record of `table` is complete on `day` and was checked that far, and
        the date it was checked through (bot.engine.coverage)."""
        d = date.fromisoformat(day)
        ext = extent(self.store, table, "all", d, d)
        return ext.complete and day <= (ext.checked_through or ""), ext.checked_through

    # -- figures ---------------------------------------------------------------------------
    def era_rate(self, claim: Claim) -> ClaimResult:
        fig = claim.figure
        eras = ["xi", "kim_jong_un"] if claim.subject == "current" else [claim.subject]
        rates = self.store.era_rates()
        facts = [rates[e] for e in eras if e in rates]
        names = " or ".join(self.store.era(e).leader for e in eras)
        what = f"average high-level visits a year in the {names} period"
        if not facts:
            return self.result(claim, "unknown", f"No figure: the knowledge base gives no visit "
                               f"rate for the {names} period, so {fig.surface!r} cannot be "
                               f"checked.", stated=fig.surface, what=what)
        sources = [cite(f) for f in facts]
        for f in facts:
            if compare(fig, float(f.value)) == "bound_true":
                return self._bound(claim, f"{fmt_number(f.value)} visits a year", fig, what,
                                   sources, ARTICLE, ARTICLE_AS_OF)
            if compare(fig, float(f.value)) == "same":
                leader = self.store.era(f.era_id).leader
                return self.result(claim, "supported", f"{fmt_number(f.value)} visits a year in "
                                   f"the {leader} period, as stated, per {ARTICLE}.",
                                   expected=f"{f.value} visits a year", stated=fig.surface,
                                   sources=sources, as_of=ARTICLE_AS_OF, what=what)
        right = "; ".join(f"{fmt_number(f.value)} visits a year in the "
                          f"{self.store.era(f.era_id).leader} period" for f in facts)
        return self.result(claim, "contradicted", f"{right}, not {fig.surface}, per {ARTICLE}.",
                           expected=right, stated=fig.surface, sources=sources,
                           as_of=ARTICLE_AS_OF, what=what)

    def figure(self, claim: Claim) -> ClaimResult:
        rule = claim.extra["rule"]
        fig = claim.figure
        row = self.row(rule.ref)
        if row is None:
            return self.result(claim, "unknown", f"Nothing on record for {rule.label}.",
                               stated=fig.surface, what=rule.label)
        basis = ARTICLE if isinstance(row, Fact) and row.source_kind == "article" else RECORD
        as_of = row.as_of if isinstance(row, Fact) else None
        sources = [cite(row)]
        stated_value, stated = fig, fig.surface
        if fig.kind == "multiple" and not rule.base:  # "seven times": a count of times
            fig = stated_value = Figure("count", fig.value, fig.surface, fig.start, fig.end,
                                        hedge=fig.hedge, noun="times")
        if fig.kind == "multiple":
            base = self.row(rule.base)
            if base is None or base.value is None:
                return self.result(claim, "unknown", f"No figure to multiply for {rule.label}.",
                                   stated=stated, what=rule.label)
            stated_value = Figure("multiple", fig.value * float(base.value), fig.surface,
                                  fig.start, fig.end, hedge=fig.hedge)
            sources.append(cite(base))
            stated = f"{fig.surface} ({fmt_number(fig.value)} × {_amount(base.value, base.unit)})"
        expected = self._expected(row, rule, fig)
        if not expected:
            return self.result(claim, "unknown", f"The knowledge base gives no "
                               f"{_KIND_WORDS.get(fig.kind, 'figure')} for {rule.label}.",
                               stated=stated, sources=sources, what=rule.label)
        for lo, hi, text in expected:
            if compare(stated_value, lo, hi) == "bound_true":
                return self._bound(claim, text, fig, rule.label, sources, basis, as_of)
            if compare(stated_value, lo, hi) == "same":
                return self.result(claim, "supported", f"{text}: {rule.label}, as stated, per "
                                   f"{basis}.", expected=text, stated=stated, sources=sources,
                                   as_of=as_of, what=rule.label)
        text = expected[0][2]
        return self.result(claim, "contradicted", f"{text}, not {stated}: {rule.label}, per "
                           f"{basis}.", expected=text, stated=stated, sources=sources,
                           as_of=as_of, what=rule.label)

    def _expected(self, row, rule, fig: Figure) -> list[tuple[float, float | None, str]]:
        """(low, high, as written) for each figure the row gives of the claim's kind."""
        kind = "tonnes" if fig.kind == "multiple" else fig.kind
        if rule.field == "value":
            if row.value is None:
                return []
            lo, _, hi = str(row.value).partition("-")
            text = _amount(row.value, row.unit)
            return [(float(lo), float(hi) if hi else None, text)]
        text = row.figure or ""
        parts = [p for p in text.split(";") if not rule.aspect or rule.aspect in p.lower()]
        out = []
        for part in parts:
            for f in figures_in(part, kind):
                if kind == "count" and _singular(f.noun) != _singular(fig.noun):
                    continue
                out.append((f.value, f.high, f.surface))
        return out

    def _bound(self, claim, right: str, fig: Figure, what: str, sources, basis,
               as_of) -> ClaimResult:
        """'More than 4', 'within 30 days': true of the figure on record, but no source
        states it; said, and left unknown."""
        return self.result(claim, "unknown", f"{right} per {basis}: consistent with "
                           f"{fig.surface!r}, but no source gives that figure ({what}).",
                           expected=right, stated=fig.surface, sources=sources, as_of=as_of,
                           what=what)

    def trade(self, claim: Claim) -> ClaimResult:
        year = int(claim.subject)
        part = claim.extra["part"]
        fig = claim.figure
        words = {"total_usd": "China–North Korea trade", "china_exports_usd":
                 "China's exports to North Korea", "china_imports_usd":
                 "China's imports from North Korea"}[part]
        what = f"{words} in {year}"
        row = self.store.trade_year(year)
        value = getattr(row, part) if row else None
        if value is None:
            cover = self.store.coverage("trade")
            through = f" (the record covers {cover[0].covers_from[:4]}–{cover[0].covers_to[:4]})" \
                if cover else ""
            return self.result(claim, "unknown", f"No figure on record for {what}{through}.",
                               stated=fig.surface, what=what)
        expected = _usd(value)
        how = compare(fig, float(value))
        if how == "bound_true":
            return self._bound(claim, expected, fig, what, [cite(row)], RECORD, None)
        verdict = "supported" if how == "same" else "contradicted"
        lead = f"{expected}, as stated" if verdict == "supported" else \
            f"{expected}, not {fig.surface}"
        return self.result(claim, verdict, f"{lead}: {what}, per Chinese customs as the press "
                           f"reported it ({RECORD}).", expected=expected, stated=fig.surface,
                           sources=[cite(row)], what=what)

    # -- nuclear tests ---------------------------------------------------------------------
    def test_gap(self, claim: Claim) -> ClaimResult:
        n, fig = self._test_number(claim), claim.figure
        if n is None:
            return self._no_such_test(claim)
        test = self.store.test(n)
        what = f"days from the {ordinal(n)} nuclear test ({long_date(test.date)}) to the first " \
               f"high-level visit after it"
        days = fig.value * {"weeks": 7, "months": 30.44}.get(fig.kind, 1)
        fig_days = Figure("days", days, fig.surface, fig.start, fig.end, hedge=fig.hedge,
                          decimals=fig.decimals if fig.kind == "days" else -1)
        article = next((f for f in self.store.facts_for_test(n) if f.topic == "test_gap"), None)
        visit = self.store.post_test_visit(n)
        sources = [cite(test)] + ([cite(article)] if article else [])
        if visit is None:
            return self.result(claim, "unknown", f"No high-level visit after the {ordinal(n)} "
                               f"test is on record, so {fig.surface!r} cannot be checked.",
                               stated=fig.surface, sources=sources, what=what)
        sources.append(cite(visit))
        rec = visit.days_after_test or days_between(test.date, visit.start_date)
        record = (f"{rec} days on {RECORD}: {visit.visitor} arrived on "
                  f"{long_date(visit.start_date)}")
        partial = " (the record rates it partial: the visit is verified, that it was the first " \
                  "qualifying one is a judgement)" if visit.confidence == "partial" else ""
        said = article.value if article and article.value not in (None, "0") else None
        on_record = compare(fig_days, rec)
        if on_record == "same":
            extra = f"; the article says within {said} days" if said else ""
            return self.result(claim, "supported", f"{record}{partial}, as stated{extra}.",
                               expected=f"{rec} days", stated=fig.surface, sources=sources,
                               what=what)
        if said and compare(fig_days, float(said), exact=True) == "same":
            return self.result(claim, "discrepancy", f"{record}{partial}; the article says "
                               f"within {said} days ({article.quote!r}).",
                               expected=f"{rec} days (record); within {said} days (article)",
                               stated=fig.surface, sources=sources, as_of=ARTICLE_AS_OF,
                               what=what)
        if on_record == "bound_true":
            return self.result(claim, "unknown", f"{record}{partial}: within what is stated, but "
                               f"no source gives {fig.surface}.", expected=f"{rec} days",
                               stated=fig.surface, sources=sources, what=what)
        return self.result(claim, "contradicted", f"{record}{partial}, not {fig.surface}.",
                           expected=f"{rec} days", stated=fig.surface, sources=sources,
                           what=what)

    def test_visitor(self, claim: Claim) -> ClaimResult:
        n = self._test_number(claim)
        if n is None:
            return self._no_such_test(claim)
        person = claim.extra["person"]
        what = f"the first high-level visitor after the {ordinal(n)} nuclear test"
        visit = self.store.post_test_visit(n)
        if visit is None:
            return self.result(claim, "unknown", f"No high-level visit after the {ordinal(n)} "
                               f"test is on record.", stated=person, what=what)
        sources = [cite(self.store.test(n)), cite(visit)]
        head = f"{visit.visitor} ({long_date(visit.start_date)}, " \
               f"{visit.days_after_test} days after the test)"
        if fold(person) == fold(visit.visitor):
            return self.result(claim, "supported", f"{head}, as stated, per {RECORD}.",
                               expected=visit.visitor, stated=person, sources=sources, what=what)
        return self.result(claim, "contradicted", f"{head}, not {person}: {what}, per {RECORD}.",
                           expected=visit.visitor, stated=person, sources=sources, what=what)

    def test_date(self, claim: Claim) -> ClaimResult:
        n = self._test_number(claim)
        if n is None:
            return self._no_such_test(claim)
        test = self.store.test(n)
        what = f"the date of the {ordinal(n)} nuclear test"
        return self._date_result(claim, what, claim.when, test.date, [cite(test)], RECORD)

    def test_count(self, claim: Claim) -> ClaimResult:
        fig = claim.figure
        tests = self.store.tests()
        n = len(tests)
        what = "North Korea's nuclear tests"
        cover, checked = self.coverage("tests", self.today.isoformat())
        checked = checked or tests[-1].date
        sources = [cite(t) for t in tests[-1:]]
        if fig.value == n:
            return self.result(claim, "supported", f"{n} nuclear tests on record "
                               f"({tests[0].date[:4]}–{tests[-1].date[:4]}), checked through "
                               f"{long_date(checked)}, as stated.", expected=f"{n} tests",
                               stated=fig.surface, sources=sources, as_of=checked, what=what)
        if fig.value < n or cover:
            return self.result(claim, "contradicted", f"{n} nuclear tests on record, not "
                               f"{fig.surface} (the record of tests is complete through "
                               f"{long_date(checked)}).", expected=f"{n} tests",
                               stated=fig.surface, sources=sources, as_of=checked, what=what)
        return self.result(claim, "unknown", f"{n} nuclear tests on record through "
                           f"{long_date(checked)}, the last date the record was checked; it "
                           f"cannot say whether there have been more since.",
                           expected=f"{n} tests", stated=fig.surface, sources=sources,
                           as_of=checked, what=what)

    def test_exists(self, claim: Claim) -> ClaimResult:
        if self._test_number(claim) is not None:
            return None  # an existing test: other claims check it
        return self._no_such_test(claim)

    def _test_number(self, claim: Claim) -> int | None:
        n = int(claim.subject)
        tests = self.store.tests()
        if n == -1:
            return tests[-1].n
        if n > 0:
            return n if any(t.n == n for t in tests) else None
        year, month = divmod(-n, 100)
        hits = [t.n for t in tests if int(t.date[:4]) == year
                and (not month or int(t.date[5:7]) == month)]
        return hits[0] if hits else None

    def _no_such_test(self, claim: Claim) -> ClaimResult:
        n = int(claim.subject)
        tests = self.store.tests()
        listing = ", ".join(f"{t.n}: {t.date}" for t in tests)
        if n > 0:
            what = f"a {ordinal(n)} nuclear test"
            day = claim.when.period.start.isoformat() if claim.when else self.today.isoformat()
        else:
            year, month = divmod(-n, 100)
            when = long_date(f"{year}-{month:02d}") if month else str(year)
            what = f"a nuclear test in {when}"
            day = f"{year}-{month or 1:02d}-01"
        cover, checked = self.coverage("tests", day)
        checked = checked or tests[-1].date
        sources = [cite(t) for t in tests]
        if cover:
            return self.result(claim, "contradicted", f"No such test: the record holds "
                               f"{len(tests)} nuclear tests ({listing}) and is complete through "
                               f"{long_date(checked)}.", expected=f"{len(tests)} tests",
                               stated=what, sources=sources, as_of=checked, what=what)
        return self.result(claim, "unknown", f"Not on record: the record holds {len(tests)} "
                           f"nuclear tests ({listing}), checked only through "
                           f"{long_date(checked)}, so it cannot say.", stated=what,
                           sources=sources, as_of=checked, what=what)

    # -- the article's absences --------------------------------------------------------------
    def no_summit(self, claim: Claim) -> ClaimResult:
        facts = [f for f in (self.store.fact("no_summits_six_years"),
                             self.store.fact("no_xi_kim_summit")) if f]
        summits = self.store.visits_with_prefix("kim_xi_summit_")
        what = "summits between Xi Jinping and Kim Jong Un"
        sources = [cite(f) for f in facts] + [cite(v) for v in summits]
        if not summits:
            return self.result(claim, "supported", f"None as of March 2017, per {ARTICLE}.",
                               sources=sources, as_of=ARTICLE_AS_OF, what=what)
        first = summits[0]
        if claim.when and claim.when.period.end.isoformat() < first.start_date:
            return self.result(claim, "supported", f"None as of {long_date(ARTICLE_AS_OF)}, per "
                               f"{ARTICLE}; the first came on {long_date(first.start_date)}.",
                               expected="none before March 2018", sources=sources,
                               as_of=ARTICLE_AS_OF, what=what)
        years = sorted({v.start_date[:4] for v in summits})
        return self.result(claim, "discrepancy", f"{len(summits)} summits on {RECORD} "
                           f"({years[0]}–{years[-1]}, the first on "
                           f"{long_date(first.start_date)}); the article said there had been "
                           f"none (true as of March 2017: \"{facts[0].quote}\").",
                           expected=f"{len(summits)} summits, {years[0]}–{years[-1]} (record); "
                           f"none as of March 2017 (article)", stated="no summit",
                           sources=sources, as_of=ARTICLE_AS_OF, what=what)

    def no_visit_since_test(self, claim: Claim) -> ClaimResult:
        n = int(claim.subject)
        fact = self.store.fact("test5_no_visit_since")
        visit = self.store.post_test_visit(n)
        what = f"high-level visits since the {ordinal(n)} nuclear test"
        sources = [cite(x) for x in (fact, visit) if x]
        if visit is None:
            return self.result(claim, "supported", f"None, per {ARTICLE}.", sources=sources,
                               as_of=ARTICLE_AS_OF, what=what)
        days = visit.days_after_test
        return self.result(claim, "discrepancy", f"{visit.visitor} visited on "
                           f"{long_date(visit.start_date)}, {days} days after the test, on "
                           f"{RECORD}; the article said there had been no visit (true as of "
                           f"March 2017).", expected=f"first visit {visit.start_date} ({days} "
                           f"days, record); none as of March 2017 (article)",
                           stated="no visit since", sources=sources, as_of=ARTICLE_AS_OF,
                           what=what)

    # -- dates -----------------------------------------------------------------------------
    def date(self, claim: Claim) -> ClaimResult:
        rule = claim.extra["rule"]
        refs = next(d for d in rule.dates if not d[0] or _any_in(claim, d[0]))
        _, record_ref, article_ref = refs
        rec_row, rec = self.field(record_ref)
        art_row, art = self.field(article_ref)
        rec, art = _iso(rec), _iso(art)
        sources = [cite(r) for r in (rec_row, art_row) if r is not None]
        if rec and art and rec != art:
            return self._two_dates(claim, rule.label, rec, art, sources)
        basis = RECORD if rec else ARTICLE
        return self._date_result(claim, rule.label, claim.when, rec or art, sources, basis)

    def resolution_date(self, claim: Claim) -> ClaimResult:
        number = claim.subject
        row = self.store.sanction(f"unscr_{number}")
        what = f"the adoption of UN Security Council Resolution {number}"
        if row is None:
            return self.result(claim, "unknown", f"Resolution {number} is not in the knowledge "
                               f"base (its list of resolutions is selective).",
                               stated=claim.when.period.label, what=what)
        return self._date_result(claim, what, claim.when, row.date, [cite(row)], RECORD)

    def _date_result(self, claim, what, mention: DateMention, iso: str | None, sources,
                     basis) -> ClaimResult:
        stated = mention.period.label
        if not iso:
            return self.result(claim, "unknown", f"No date on record for {what}.",
                               stated=stated, sources=sources, what=what)
        right = long_date(iso) if len(iso) >= 7 else iso
        if mention.matches(iso):
            return self.result(claim, "supported", f"{right}: {what}, as stated, per {basis}.",
                               expected=iso, stated=stated, sources=sources, what=what)
        return self.result(claim, "contradicted", f"{right}, not {stated}: {what}, per {basis}.",
                           expected=iso, stated=stated, sources=sources, what=what)

    def _two_dates(self, claim, what, record: str, article: str, sources) -> ClaimResult:
        stated = claim.when.period.label
        both = f"{long_date(record)} on {RECORD}; the article gives {long_date(article)}"
        expected = f"{record} (record); {article} (article)"
        if claim.when.matches(record):
            return self.result(claim, "supported", f"{both}: {what}, as stated.",
                               expected=expected, stated=stated, sources=sources, what=what)
        if claim.when.matches(article):
            return self.result(claim, "discrepancy", f"{both}: {what}.", expected=expected,
                               stated=stated, sources=sources, as_of=ARTICLE_AS_OF, what=what)
        return self.result(claim, "contradicted", f"{both}, not {stated}: {what}.",
                           expected=expected, stated=stated, sources=sources, what=what)

    # -- people and periods --------------------------------------------------------------------
    def visit_date(self, claim: Claim) -> ClaimResult:
        person = claim.subject
        visits = self.store.visits_by_visitor(person)
        what = f"when {person} visited"
        stated = claim.when.period.label
        if not visits:
            return self.result(claim, "unknown", f"No visit by {person} is on record.",
                               stated=stated, what=what)
        visits = [v for v in visits if v.start_date <= self.today.isoformat()]
        hits = [v for v in visits if _visit_matches(claim.when, v)]
        ordinal_claim = self._ordinal_visit(claim, person, visits, stated, what)
        if ordinal_claim is not None:
            return ordinal_claim
        article = self._article_date(person)
        if article and claim.when.matches(article[1]) and not claim.when.matches(
                visits[0].start_date):
            v = next((x for x in visits if x.start_date[:7] == article[1][:7]), visits[0])
            return self.result(claim, "discrepancy", f"{long_date(v.start_date)} on {RECORD} "
                               f"(arrival; in {v.place} to {long_date(v.end_date or v.start_date)}"
                               f"); the article gives {long_date(article[1])} "
                               f"(\"{article[0].quote}\").",
                               expected=f"{v.start_date} (record); {article[1]} (article)",
                               stated=stated, sources=[cite(v), cite(article[0])],
                               as_of=ARTICLE_AS_OF, what=what)
        if hits:
            v = hits[0]
            sources = [cite(v)] + ([cite(article[0])] if article else [])
            if article and not claim.when.matches(article[1]) and article[1] != v.start_date:
                return self.result(claim, "supported", f"{_visit_span(v)} on {RECORD}, as "
                                   f"stated; the article gives {long_date(article[1])}.",
                                   expected=v.start_date, stated=stated, sources=sources,
                                   what=what)
            return self.result(claim, "supported", f"{_visit_span(v)}: {what}, as stated, per "
                               f"{RECORD}.", expected=v.start_date, stated=stated,
                               sources=sources, what=what)
        listing = "; ".join(_visit_span(v) for v in visits[:8])
        ext = self._visit_extent(person, claim.when.period.start, claim.when.period.end)
        if ext.complete:
            return self.result(claim, "contradicted", f"No visit by {person} in {stated} is on "
                               f"{RECORD} (on record: {listing}). {ext.text}",
                               expected=listing, stated=stated,
                               sources=[cite(v) for v in visits[:8]], what=what)
        return self.result(claim, "unknown", f"No visit by {person} in {stated} is on record "
                           f"(on record: {listing}); the visit list is selective, so it cannot "
                           f"say.", expected=listing, stated=stated,
                           sources=[cite(v) for v in visits[:8]], what=what)

    def _visit_extent(self, person: str, start: date | None, end: date | None):
        """A leader's own trips are leader-level: that list is the one to be complete."""
        era = next((e for e in self.store.eras() if e.leader == person), None)
        if era is not None and start is None:
            start = date.fromisoformat(era.start_date)  # as leader: from the tenure's start
        return extent(self.store, "visits", "leader_level" if era else "high_level",
                      start, end)

    def _ordinal_visit(self, claim: Claim, person: str, visits, stated: str, what: str):
        """'last visited China in January 2019': the last (or first) visit on record must be
        the one stated; a later one on record contradicts it."""
        text = fold(claim.clause.text)
        if _has(text, ["last", "latest", "most recent", "most recently", "lately"]):
            pick, word = visits[-1], "most recent"
        elif _has(text, ["first", "earliest", "first ever"]):
            pick, word = visits[0], "first"
        else:
            return None
        what = f"{person}'s {word} visit"
        ext = self._visit_extent(person, None, self.today)
        if _visit_matches(claim.when, pick):
            if ext.complete:
                return self.result(claim, "supported", f"{_visit_span(pick)}: {what} on "
                                   f"{RECORD}, as stated. {ext.text}", expected=pick.start_date,
                                   stated=stated, sources=[cite(pick)], what=what)
            return self.result(claim, "unknown", f"{_visit_span(pick)} is the {word} visit by "
                               f"{person} on {RECORD}, but the list is selective. {ext.text}",
                               expected=pick.start_date, stated=stated, sources=[cite(pick)],
                               what=what)
        return self.result(claim, "contradicted", f"{_visit_span(pick)}, not {stated}: {what} "
                           f"on {RECORD}. {ext.text}", expected=pick.start_date, stated=stated,
                           sources=[cite(pick)], what=what)

    def _article_date(self, person: str) -> tuple[Fact, str] | None:
        """The article's own date for a visit by this person, where it gives one."""
        key = fold(person)
        for f in self.store.facts_by_topic("people"):
            if f.event_date and len(f.event_date) == 10 and key in fold(f.text):
                return f, f.event_date
        return None

    def office(self, claim: Claim) -> ClaimResult:
        person, office = claim.subject, claim.extra["office"]
        visits = self.store.visits_by_visitor(person)
        titles = [v.visitor_title for v in visits if v.visitor_title]
        what = f"{person}'s office"
        if not titles:
            return self.result(claim, "unknown", f"No office on record for {person}.",
                               stated=office, what=what)
        # The visit the claim is about: one dated as the claim is, else one whose title names
        # the office, else the first.
        pick = next((v for v in visits if claim.when and _visit_matches(claim.when, v)), None)
        pick = pick or next((v for v in visits if _names_office(v.visitor_title, office)), None)
        pick = pick or next(v for v in visits if v.visitor_title)
        title = pick.visitor_title.split(";")[0].strip()
        folded = fold(pick.visitor_title)
        sources = [cite(pick)]
        when = f" (at the {long_date(pick.start_date)} visit)"
        has = f" {office} " in f" {folded} "
        vice_only = has and f"vice {office}" in folded and not office.startswith("vice")
        if has and not vice_only:
            return self.result(claim, "supported", f"{title}{when}: {what}, as stated, per "
                               f"{RECORD}.", expected=title, stated=office, sources=sources,
                               what=what)
        if vice_only or (office.startswith("vice ") and f" {office[5:]} " in f" {folded} "):
            return self.result(claim, "contradicted", f"{title}{when}, not {office}: {what}, "
                               f"per {RECORD}.", expected=title, stated=office,
                               sources=sources, what=what)
        return self.result(claim, "unknown", f"The record gives {person}'s title as "
                           f"{title}{when}; it does not say whether he was {office}.",
                           expected=title, stated=office, sources=sources, what=what)

    def tenure(self, claim: Claim) -> ClaimResult:
        era = self.store.era(claim.subject)
        end = claim.extra["end"]
        m = claim.when
        what = f"when {era.leader}'s period {'ended' if end else 'began'}"
        iso = era.end_date if end else era.start_date
        if m.precision == "range":
            y = m.period.end.year if end else m.period.start.year
            m = DateMention(type(m.period)(date(y, 1, 1), date(y, 12, 31), str(y)), "year")
        if end and not iso:
            return self.result(claim, "contradicted", f"{era.leader} is in office on "
                               f"{RECORD}; his period has not ended.", expected="in office",
                               stated=m.period.label, sources=[cite(era)], what=what)
        if m.matches(iso):
            return self.result(claim, "supported", f"{long_date(iso)}: {what}, as stated, per "
                               f"{RECORD}.", expected=iso, stated=m.period.label,
                               sources=[cite(era)], what=what)
        if not end and _date_in(m, era.basis):
            return self.result(claim, "supported", f"{m.period.label} matches another "
                               f"convention on record ({era.basis}); this knowledge base dates "
                               f"the {era.leader} period from {long_date(iso)}.",
                               expected=iso, stated=m.period.label, sources=[cite(era)],
                               what=what)
        return self.result(claim, "contradicted", f"{long_date(iso)}, not {m.period.label}: "
                           f"{what}, per {RECORD} (convention: {era.basis}).", expected=iso,
                           stated=m.period.label, sources=[cite(era)], what=what)

    def record_count(self, claim: Claim) -> ClaimResult:
        """A count of visits or summits against the rows the plan selects: supported only
        when the list is complete for that span; 'at least' beats a selective list."""
        plan, fig = claim.extra["plan"], claim.figure
        rows = visits_on_record(self.store, plan, self.today)
        n, stated = len(rows), fig.value
        ext = record_extent(self.store, plan, self.today)
        what = plan.understood().rsplit(" · ", 1)[0]
        noun = "summit" if plan.subject == "summits" else "high-level visit"
        listed = "; ".join(f"{long_date(v.start_date)} {v.visitor}" for v in rows[:8])
        listed += " …" if n > 8 else ""
        sources = [cite(v) for v in rows[:10]]
        found = f"{n} {noun}{'' if n == 1 else 's'} on {RECORD} ({listed})" if n else \
            f"no {noun} on {RECORD}"
        split = leader_split(plan, rows)
        if split:
            found += " — " + " ".join(split).rstrip(".")
        if n == stated and ext.complete:
            return self.result(claim, "supported", f"{found}, as stated. {ext.text}",
                               expected=str(n), stated=fig.surface, sources=sources, what=what)
        if n > stated or (ext.complete and n != stated):
            at_least = "" if ext.complete else "at least "
            return self.result(claim, "contradicted", f"{at_least}{found}, not {fig.surface}. "
                               f"{ext.text}", expected=f"{at_least}{n}", stated=fig.surface,
                               sources=sources, what=what)
        return self.result(claim, "unknown", f"{found}; the list is not complete for that span, "
                           f"so it cannot say whether there were {fig.surface}. {ext.text}",
                           expected=str(n), stated=fig.surface, sources=sources, what=what)

    def unmatched(self, claim: Claim) -> ClaimResult:
        fig = claim.figure
        return self.result(claim, "unknown", f"Not checked: nothing in the knowledge base bears "
                           f"on {fig.surface!r} here.", stated=fig.surface,
                           what=f"{_KIND_WORDS.get(fig.kind, 'figure')} {fig.surface!r}")


JUDGES = {
    "era_rate": Judge.era_rate, "figure": Judge.figure, "trade": Judge.trade,
    "test_gap": Judge.test_gap, "test_visitor": Judge.test_visitor,
    "test_date": Judge.test_date, "test_count": Judge.test_count,
    "test_exists": Judge.test_exists, "no_summit": Judge.no_summit,
    "no_visit_since_test": Judge.no_visit_since_test, "date": Judge.date,
    "resolution_date": Judge.resolution_date, "visit_date": Judge.visit_date,
    "office": Judge.office, "tenure": Judge.tenure, "unmatched": Judge.unmatched,
    "record_count": Judge.record_count,
}

_KIND_WORDS = {"percent": "percentage", "money": "sum of money", "tonnes": "tonnage",
               "barrels": "volume", "rate": "rate a year", "days": "number of days",
               "weeks": "number of weeks", "months": "number of months", "multiple": "multiple",
               "count": "count"}


# -- comparing -----------------------------------------------------------------------------
def compare(fig: Figure, lo: float, hi: float | None = None, *, exact: bool = False) -> str:
    """'same' when the stated figure says what the row says (to the precision written, or
    within the row's range); 'bound_true' when a bound ('within 11 days') holds without
    being the row's figure; else 'differs'."""
    hi = lo if hi is None else hi
    v = fig.value
    if fig.high is not None:
        return "same" if (v, fig.high) == (lo, hi) else "differs"
    if fig.hedge == "above":
        return "bound_true" if lo > v else "differs"
    if fig.hedge == "below":
        return "bound_true" if hi < v else "differs"
    tol = fig.tolerance if (fig.scaled or fig.hedge == "about") and not exact else 1e-9
    if fig.decimals < 0:  # converted from weeks or months: only approximately days
        tol = 3.5
    if lo - tol <= v <= hi + tol:
        return "same"
    if fig.hedge == "at_most" and hi <= v:
        return "bound_true"
    if fig.hedge == "at_least" and lo >= v:
        return "bound_true"
    return "differs"


def _amount(value, unit: str | None) -> str:
    try:
        number = float(str(value).split("-")[0])
    except ValueError:
        return f"{value} {unit or ''}".strip()
    unit = unit or ""
    if "-" in str(value):
        return f"{value} {unit}".strip()
    if unit == "US dollars":
        return _usd(number)
    if number >= 1e6 and number % 1e5 == 0:
        return f"{number / 1e6:g} million {unit}".strip()
    return f"{fmt_number(int(number) if number.is_integer() else number)} {unit}".strip()


def _usd(amount: float) -> str:
    if amount >= 1e9:
        return f"US${amount / 1e9:.2f} billion"
    return f"US${amount / 1e6:,.0f} million" if amount >= 1e6 else f"US${amount:,.0f}"


def _singular(noun: str) -> str:
    return noun[:-1] if noun.endswith("s") else noun


def _iso(value) -> str | None:
    if value in (None, ""):
        return None
    return str(value)


def _any_in(claim: Claim, verbs: str) -> bool:
    return _has(fold(claim.clause.text), [fold(v) for v in verbs.split("|")])


def _visit_matches(m: DateMention, v) -> bool:
    if m.matches(v.start_date):
        return True
    if v.end_date and m.precision in ("day", "monthday"):
        s = m.period.start.isoformat()
        if m.precision == "monthday":
            s = v.start_date[:4] + s[4:]
        return v.start_date <= s <= v.end_date
    return False


def _names_office(title: str | None, office: str) -> bool:
    folded = f" {fold(title or '')} "
    return f" {office} " in folded and f"vice {office}" not in folded


def _visit_span(v) -> str:
    return visit_span(v) + (f" ({v.place})" if v.place else "")


def _date_in(m: DateMention, text: str) -> bool:
    """Whether a date matching `m` is written (as YYYY-MM-DD) in `text`."""
    import re

    return any(m.matches(d) for d in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text or ""))
