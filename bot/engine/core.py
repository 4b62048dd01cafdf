"""The Engine: Query + knowledge store -> Answer, one handler per intent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from bot.engine.answer import Answer, Source
from bot.engine.coverage import extent
from bot.engine.parse import Parser, Query
from bot.engine.people import People
from bot.engine.plan import Plan, Planner, record_extent, run, vocabulary
from bot.engine.sources import (
    ARTICLE_AS_OF,
    cite,
    days_between,
    fmt_number,
    long_date,
    ordinal,
    with_provenance,
)
from bot.engine.sources import visit_line as _visit_line
from knowledge.store import Era, KnowledgeStore

log = logging.getLogger(__name__)

EXAMPLES = (
    "visits in Hu era", "Kim Jong Un era visits", "compare Hu and Xi",
    "which era had the fewest visits", "total high-level visits since 1953",
    "days after 2009 test", "who visited after the January 2016 test",
    "average days between a test and a visit", "when was the fifth nuclear test",
    "nuclear tests", "days since the last nuclear test", "coal ban", "coal cap under UNSCR 2321",
    "LPG imports from North Korea", "share of North Korea's trade with China",
    "how much did the US pay for nuclear freezes", "humanitarian exemption", "Ri Kil Song",
    "Kim Jong Il trips to China", "Kim-Xi summits", "what counts as a high-level visit",
    "Justice Department charges against Chinese nationals", "Wang Hongguang", "Kim Jong Nam",
    "when did the six party talks break down", "special to normal", "visits in 2010",
    "policy recommendations",
)


class Engine:
    """Answers questions from one knowledge store."""

    def __init__(self, store: KnowledgeStore, *, summit_weight: float = 2.0):
        self.store = store
        self.summit_weight = summit_weight
        self._parser: Parser | None = None
        self._planner = None
        self._parser_key: object = None

    @property
    def parser(self) -> Parser:
        """Rebuilt when the store reopens a swapped knowledge base."""
        meta = self.store.metadata()
        key = meta.get("built_at"), meta.get("source_hashes")
        if self._parser is None or key != self._parser_key:
            people = {v.visitor for v in self.store.visits_between(date(1945, 1, 1),
                                                                   date(2100, 1, 1))}
            eras = {e.leader for e in self.store.eras()}
            names = People(self.store.people(), self.store.eras(), people,
                           self.store.era_aliases())
            self._parser = Parser(self.store.era_aliases(), sorted(people - eras),
                                  leaders={e.id: e.leader for e in self.store.eras()},
                                  visitors=people, rules=self.store.topic_rules(),
                                  extra_words=names.words() | vocabulary())
            self._planner = Planner(self.store, names, self._parser.known)
            self._parser_key = key
        return self._parser

    @property
    def planner(self):
        self.parser  # noqa: B018 - rebuilds both when the knowledge base was swapped
        return self._planner

    def ask(self, question: str, today: date | None = None) -> Answer:
        """Answer one question; never raises for any text (knowledge-base faults do raise)."""
        today = today or datetime.now(UTC).date()
        query = self.parser.parse(question, today)
        plan = self.planner.plan(query)
        if plan is not None:
            return run(self, plan, query, today)
        handler: Callable[[Query, date], Answer] = HANDLERS.get(query.intent, Engine.search)
        return handler(self, query, today)

    # -- building blocks ---------------------------------------------------------------------
    def reply(self, q: Query, text: str, sources=(), *, values=None, as_of=None,
              found=True, intent=None, understood="") -> Answer:
        uniq: dict[str, Source] = {}
        for s in sources:
            uniq.setdefault(s.id, s)
        return Answer(question=q.text, intent=intent or q.intent, found=found, answer=text,
                      values=values or {}, sources=tuple(with_provenance(self.store,
                                                                         uniq.values())),
                      suggestions=() if found else self.suggest(q), as_of=as_of,
                      understood=understood)

    def not_found(self, q: Query, reason: str, sources=(), intent=None) -> Answer:
        return self.reply(q, reason, sources, found=False, intent=intent)

    def suggest(self, q: Query, n: int = 3) -> tuple[str, ...]:
        """Up to n example questions close to what was asked."""
        from rapidfuzz import fuzz, process

        picks = process.extract(q.folded or "", self.suggestions_pool(),
                                scorer=fuzz.token_set_ratio, limit=n)
        chosen = [p[0] for p in picks if p[1] >= 40]
        for default in ("visits in Hu era", "days after 2009 test", "coal ban"):
            if len(chosen) >= n:
                break
            if default not in chosen:
                chosen.append(default)
        return tuple(chosen[:n])

    def suggestions_pool(self) -> tuple[str, ...]:
        """Questions this knowledge base can answer: the examples, plus one per person with
        visits on record, per year with visits, and per topic."""
        meta = self.store.metadata().get("built_at")
        if getattr(self, "_pool_key", None) != meta:
            visits = self.store.visits_between(date(1945, 1, 1), date(2100, 1, 1))
            people = dict.fromkeys(v.visitor.split(" (")[0] for v in visits)
            years = dict.fromkeys(v.start_date[:4] for v in visits)
            topics = dict.fromkeys(r.groups[0][0] for r in self.store.topic_rules())
            self._pool = tuple(dict.fromkeys([
                *EXAMPLES, *(f"visits by {p}" for p in people),
                *(f"visits in {y}" for y in years), *topics]))
            self._pool_key = meta
        return self._pool

    def resolve_tests(self, q: Query) -> tuple[list[int], str | None]:
        """Test numbers from ordinals, numbers and years; a reason when none match."""
        tests = self.store.tests()
        out: list[int] = []
        for ref in q.tests:
            if ref == -1:
                out.append(tests[-1].n)
            elif ref > 0:
                if not any(t.n == ref for t in tests):
                    return [], (f"There is no {ordinal(ref)} nuclear test on record; "
                                f"the record has {len(tests)}.")
                out.append(ref)
            else:
                year, month = divmod(-ref, 100)
                hits = [t.n for t in tests if int(t.date[:4]) == year
                        and (not month or int(t.date[5:7]) == month)]
                if not hits:
                    when = f"{long_date(f'{year}-{month:02d}')}" if month else str(year)
                    listing = ", ".join(f"{long_date(t.date)}" for t in tests)
                    return [], (f"No nuclear test on record in {when}. "
                                f"The tests on record: {listing}.")
                out += hits
        return list(dict.fromkeys(out)), None

    # -- eras ----------------------------------------------------------------------------------
    def era_rate(self, q: Query, today: date) -> Answer:
        rates = self.store.era_rates()
        lines, sources, values, missing = [], [], {}, []
        for era_id in q.eras:
            era = self.store.era(era_id)
            fact = rates.get(era_id)
            counted = self._counted_rate(era, today)
            if fact:
                lines.append(f"{fmt_number(fact.value)} high-level visits a year on average in "
                             f"the {era.leader} period ({_country(era)}), per the article.")
                sources.append(cite(fact))
                values[era_id] = float(fact.value)
            elif counted:
                lines.append(f"The article gives no visit-rate figure for the {era.leader} era.")
            else:
                missing.append(era)
            if counted:
                lines.append(counted[0])
                sources.append(counted[1])
                values[f"{era_id}_counted"] = counted[2]
        if missing and not lines:
            return self._era_unknown(q, missing, today)
        for era in missing:
            lines.append(f"The article gives no visit-rate figure for the {era.leader} era.")
        from_article = any(s.kind == "article" for s in sources)
        if from_article:
            lines.append(f"Basis: {_basis()}; as of {long_date(ARTICLE_AS_OF)}.")
        if q.intent == "era_compare":
            lines.insert(0, "Average annual high-level visits by period:")
        return self.reply(q, "\n".join(lines), sources, values=values,
                          as_of=ARTICLE_AS_OF if from_article else None)

    def _era_unknown(self, q: Query, missing: list[Era], today: date) -> Answer:
        rates = self.store.era_rates()
        known = "; ".join(f"{self.store.era(e).leader} {fmt_number(f.value)}"
                          for e, f in sorted(rates.items(), key=lambda kv: -float(kv[1].value)))
        names = " or ".join(f"{e.leader} era ({e.start_date[:4]}–"
                            f"{(e.end_date or 'present')[:4]})" for e in missing)
        text = (f"The article gives no visit-rate figure for the {names}, and no complete visit "
                f"list covering it has been imported. Rates it does give (visits a year): "
                f"{known}.")
        sources = [cite(f) for f in rates.values()]
        for e in missing:  # what the record does hold for the era, and how completely
            plan = Plan("visits", eras=(self.planner.people.by_era(e.id),))
            n, first, last = self.store.visit_summary(*plan.where(today))
            if n:
                ext = record_extent(self.store, plan, today)
                text += (f" The public record here holds {n} high-level visits in the "
                         f"{e.leader} era ({first[:4]}–{last[:4]}); "
                         f"{ext.text[0].lower()}{ext.text[1:].rstrip('.')}, so no rate is "
                         f"computed from it.")
        if any(e.id == "mao" for e in missing):
            rank = self.store.fact("rank_second_lowest_unweighted")
            if rank:
                text += f" On the Mao era it says only that the current period has {rank.quote}."
                sources.insert(0, cite(rank))
        return self.not_found(q, text, sources)

    def _counted_rate(self, era: Era, today: date) -> tuple[str, Source, dict] | None:
        """Rate computed from an imported list that covers the whole era, when there is one."""
        start = date.fromisoformat(era.start_date)
        end = date.fromisoformat(era.end_date) if era.end_date else today
        count = self.store.count_visits(start, end)
        if count is None:
            return None
        years = count.years
        unweighted = count.per_year()
        weighted = count.per_year(self.summit_weight)
        text = (f"Counted from the imported list '{count.label}' ({count.start} to {count.end}): "
                f"{count.visits} high-level visits, {count.summits} of them summits, over "
                f"{years:.1f} years — {unweighted:.2f} a year unweighted, {weighted:.2f} weighted "
                f"(summits counted {fmt_number(self.summit_weight)}×).")
        src = Source(f"import_{count.import_id}", "imported", "", "")
        return text, src, {"visits": count.visits, "summits": count.summits,
                           "years": round(years, 2), "unweighted": round(unweighted, 3),
                           "weighted": round(weighted, 3), "summit_weight": self.summit_weight}

    def era_rank(self, q: Query, today: date) -> Answer:
        low = self.store.fact("rank_lowest_weighted")
        second = self.store.fact("rank_second_lowest_unweighted")
        rates = sorted(self.store.era_rates().items(), key=lambda kv: float(kv[1].value))
        listed = "; ".join(f"{self.store.era(e).leader} {fmt_number(f.value)}" for e, f in rates)
        asks_most = any(w in q.words for w in ("most", "highest", "busiest", "best", "maximum"))
        if asks_most:
            top_era, top = rates[-1]
            head = (f"The article does not say which era had the most visits. Of the four rates "
                    f"it gives, the highest is the {self.store.era(top_era).leader} period's "
                    f"{fmt_number(top.value)} a year.")
        else:
            head = ("The current period (Xi Jinping and Kim Jong Un) has the lowest weighted "
                    "frequency of visits in the history of the relationship, and the "
                    "second-lowest unweighted frequency, ahead of only the Mao Zedong era.")
        text = (f"{head}\nRates the article gives (visits a year): {listed}.\n"
                f"Basis: {_basis()}; as of {long_date(ARTICLE_AS_OF)}.")
        sources = [cite(low), cite(second), *(cite(f) for _, f in rates)]
        return self.reply(q, text, sources, as_of=ARTICLE_AS_OF,
                          values={e: float(f.value) for e, f in rates})

    def era_tenure(self, q: Query, today: date) -> Answer:
        eras = [self.store.era(e) for e in q.eras]
        lines = []
        for e in eras:
            until = (f"to {long_date(e.end_date)}" if e.end_date
                     else "and is in office on the record")
            lines.append(f"{e.leader} led {_country(e)} from {long_date(e.start_date)} {until} "
                         f"(public record). Convention: {e.basis}.")
        return self.reply(q, "\n".join(lines), [cite(e) for e in eras],
                          values={e.id: [e.start_date, e.end_date] for e in eras})

    def visits_total(self, q: Query, today: date) -> Answer:
        fact = self.store.fact("visits_total_since_1953")
        span = self.store.fact("visits_dataset_63_years")
        text = (f"{fact.value} officially documented high-level visits between China and North "
                f"Korea since 1953, per the article citing CSIS Beyond Parallel, as of "
                f"{long_date(ARTICLE_AS_OF)} (the data set covers the {span.value} years from "
                f"the end of the Korean War).")
        n, first, last = self.store.visit_summary(*Plan("visits").where(today))
        if n:
            text += (f"\nThe public record here holds {n} high-level visits, from "
                     f"{long_date(first)} to {long_date(last)}. "
                     + extent(self.store, "visits", "high_level").text)
        return self.reply(q, text, [cite(fact), cite(span)], as_of=ARTICLE_AS_OF,
                          values={"visits": int(fact.value), "on_record": n})

    # -- tests ---------------------------------------------------------------------------------
    def test_gap(self, q: Query, today: date) -> Answer:
        numbers, reason = self.resolve_tests(q)
        if reason:
            return self.not_found(q, reason)
        blocks, sources, values, as_of = [], [], {}, None
        for n in numbers:
            block, srcs, vals, block_as_of = self._gap_for(n, today)
            blocks.append(block)
            sources += srcs
            values[f"test_{n}"] = vals
            as_of = as_of or block_as_of
        if len(numbers) > 1:
            blocks.insert(0, f"{len(numbers)} nuclear tests match; each in turn.")
        return self.reply(q, "\n\n".join(blocks), sources, values=values, as_of=as_of)

    def _gap_for(self, n: int, today: date):
        """Figure first: the article's statement where it has one, then the record's visit."""
        test = self.store.test(n)
        name = f"the {ordinal(n)} nuclear test ({long_date(test.date)})"
        sources, vals = [cite(test)], {"test_date": test.date}
        article = next((f for f in self.store.facts_for_test(n) if f.topic == "test_gap"), None)
        visit = self.store.post_test_visit(n) or self.store.first_visit_after(
            date.fromisoformat(test.date))
        record, days = "", None
        if visit:
            days = days_between(test.date, visit.start_date)
            record = (f"{visit.visitor} ({_short_title(visit.visitor_title)}) arrived in "
                      f"{visit.place} on {long_date(visit.start_date)}, {days} days after "
                      f"{name}: the first high-level visit on record after it.")
            if visit.confidence == "partial":
                record += (" The record rates this 'partial': the visit is verified, but that "
                           "it was the first qualifying one is a judgement.")
            sources.append(cite(visit))
            vals.update(record_days=days, visitor=visit.visitor, visit_date=visit.start_date)
        as_of = None
        if article and article.value not in (None, "0"):
            vals["article_days"] = int(article.value)
            head = f"Within {article.value} days, per the article"
            head += f"; {days} days on the public record." if visit else "."
            lines = [head, f"Article: {article.text}"]
            if record:
                lines.append(f"Public record: {record}")
        elif article:
            as_of = article.as_of
            lines = [f"None as of {long_date(article.as_of)}, per the article: there had been no "
                     f"high-level visit by either side since {name}."]
            if record:
                lines.append(f"Public record since then: {days} days — {record}")
        elif visit:
            lines = [f"{days} days: {record}"]
        else:
            lines = [f"No high-level visit after {name} is on record as of "
                     f"{long_date(today.isoformat())}."]
        if article:
            sources.insert(1, cite(article))
        if n == 5 and visit:
            lines.append(self._test5_alternatives(test.date))
        return "\n".join(lines), sources, vals, as_of

    def _test5_alternatives(self, test_date: str) -> str:
        kyj = self.store.visit("kim_yong_jae_2017")
        summit = self.store.visit("kim_xi_summit_1")
        parts = []
        if kyj:
            parts.append(f"if the cabinet-level {kyj.visitor}'s attendance at the Belt and Road "
                         f"Forum ({long_date(kyj.start_date)}) counts, "
                         f"{days_between(test_date, kyj.start_date)} days")
        if summit:
            parts.append(f"under a leader-or-Politburo rule, Kim Jong Un's Beijing trip "
                         f"({long_date(summit.start_date)}), "
                         f"{days_between(test_date, summit.start_date)} days")
        return "Other readings of the record: " + "; ".join(parts) + "." if parts else ""

    def test_gap_average(self, q: Query, today: date) -> Answer:
        fact = self.store.fact("tests_2_to_5_average_120_days")
        record = [(n, self.store.post_test_visit(n)) for n in (2, 3, 4)]
        rec = ", ".join(f"test {n}: {v.days_after_test} days ({v.visitor})" for n, v in record if v)
        text = (f"{fact.value} days on average, per the article: {fact.text}\n"
                f"Public record, first high-level visit after each test: {rec}.\n"
                f"Basis: {_basis()}; as of {long_date(ARTICLE_AS_OF)}.")
        sources = [cite(fact), *(cite(v) for _, v in record if v)]
        return self.reply(q, text, sources, as_of=ARTICLE_AS_OF,
                          values={"article_average_days": int(fact.value),
                                  **{f"test_{n}": v.days_after_test for n, v in record if v}})

    def test_date(self, q: Query, today: date) -> Answer:
        numbers, reason = self.resolve_tests(q)
        if reason:
            return self.not_found(q, reason)
        if not numbers:
            return self.test_list(q, today)
        tests = [self.store.test(n) for n in numbers]
        lines = [f"The {ordinal(t.n)} nuclear test was on {long_date(t.date)}: {t.description}."
                 for t in tests]
        lines.append("Basis: public record.")
        return self.reply(q, "\n".join(lines), [cite(t) for t in tests],
                          values={f"test_{t.n}": t.date for t in tests})

    def test_list(self, q: Query, today: date) -> Answer:
        tests = self.store.tests()
        if q.period or q.test_year:
            start, end = (q.period.start, q.period.end) if q.period else (
                date(q.test_year, 1, 1), date(q.test_year, 12, 31))
            tests = self.store.tests_between(start, end)
            if not tests:
                return self.not_found(q, f"No nuclear test on record between "
                                         f"{long_date(start.isoformat())} and "
                                         f"{long_date(end.isoformat())}.")
        lines = [f"{len(tests)} nuclear test{'s' if len(tests) != 1 else ''} on record:"]
        lines += [f"{t.n}. {long_date(t.date)}: {t.description}" for t in tests]
        lines.append("Basis: public record.")
        return self.reply(q, "\n".join(lines), [cite(t) for t in tests],
                          values={f"test_{t.n}": t.date for t in tests})

    def days_since_test(self, q: Query, today: date) -> Answer:
        numbers, reason = self.resolve_tests(q)
        if reason:
            return self.not_found(q, reason)
        named = [n for n, ref in zip(numbers, q.tests, strict=False) if ref != -1]
        test = self.store.test(named[0]) if named else self.store.last_test_before(today)
        if test is None or test.date > today.isoformat():
            return self.not_found(
                q, f"No nuclear test on record before {long_date(today.isoformat())}.")
        days = days_between(test.date, today.isoformat())
        which = "the last nuclear test on record, the" if not named else "the"
        text = (f"{days:,} days since {which} {ordinal(test.n)} nuclear test "
                f"({long_date(test.date)}), "
                f"as of {long_date(today.isoformat())}.\nBasis: public record; the knowledge "
                f"base lists {len(self.store.tests())} tests.")
        return self.reply(q, text, [cite(test)], as_of=today.isoformat(),
                          values={"days": days, "test": test.n, "test_date": test.date})

    # -- periods, people, search ---------------------------------------------------------------
    def events_in_period(self, q: Query, today: date) -> Answer:
        p = q.period
        s, e = p.start.isoformat(), p.end.isoformat()
        rows = [(t.date, f"Nuclear test {t.n}: {t.description}", t) for t in self.store.tests()
                if s <= t.date <= e]
        rows += [(v.start_date, _visit_line(v).split(": ", 1)[1], v)
                 for v in self.store.visits_between(p.start, p.end)]
        rows += [(x.date, x.event, x) for x in self.store.sanctions() if s <= x.date <= e]
        if not rows:
            return self.not_found(q, f"Nothing on record in {p.label} in this knowledge base.")
        rows.sort(key=lambda r: r[0])
        lines = [f"{len(rows)} event{'s' if len(rows) != 1 else ''} on record in {p.label}:"]
        lines += [f"• {long_date(d)}: {text}" for d, text, _ in rows[:25]]
        return self.reply(q, "\n".join(lines), [cite(r) for _, _, r in rows[:25]],
                          values={"events": len(rows)})

    def search(self, q: Query, today: date) -> Answer:
        from bot.engine.search import search_answer

        return search_answer(self, q, today)

    def topic(self, q: Query, today: date) -> Answer:
        from bot.engine.topics import answer_topic

        return answer_topic(self, q, today)

    def person(self, q: Query, today: date) -> Answer:
        from bot.engine.topics import answer_person

        return answer_person(self, q, today)

    def bad_date(self, q: Query, today: date) -> Answer:
        return self.not_found(q, f"I can't use that date: {q.problem}.")

    def empty(self, q: Query, today: date) -> Answer:
        return self.not_found(q, "Ask a question, for example: visits in Hu era.")


def _country(era: Era) -> str:
    return "China" if era.country == "China" else "North Korea"


def _basis() -> str:
    from bot.engine.sources import DATA_BASIS

    return DATA_BASIS


def _short_title(title: str | None) -> str:
    return (title or "").split(";")[0].strip()


HANDLERS: dict[str, Callable] = {
    "era_rate": Engine.era_rate, "era_compare": Engine.era_rate, "era_rank": Engine.era_rank,
    "visits_total": Engine.visits_total, "era_tenure": Engine.era_tenure,
    "test_gap": Engine.test_gap,
    "test_gap_average": Engine.test_gap_average, "test_date": Engine.test_date,
    "test_list": Engine.test_list, "days_since_test": Engine.days_since_test,
    "events_in_period": Engine.events_in_period,
    "topic": Engine.topic,
    "person": Engine.person, "bad_date": Engine.bad_date, "empty": Engine.empty,
    "search": Engine.search,
}
