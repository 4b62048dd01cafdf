"""Answers for named topics (sanctions, trade, people, events) and for people on record.

Each topic is a row of knowledge/data/topics.csv: the facts and records it draws on and a
template for its first line; this module only fills it in.
"""

from __future__ import annotations

from datetime import date

from bot.engine.answer import Answer
from bot.engine.coverage import extent
from bot.engine.parse import Query
from bot.engine.sources import ARTICLE_AS_OF, ARTICLE_BASIS, cite, long_date, visit_line
from knowledge import templates


def _nodot(text: str) -> str:
    return text[:-1] if text.endswith(".") else text


FILTERS = {"long": lambda iso: long_date(iso) if iso else "", "nodot": _nodot}


def _lead(engine, topic, facts, records) -> str:
    """The topic's lead template (topics.csv), filled from the rows it names."""

    def value(kind: str, ref: str, field: str):
        row = (engine.store.fact(ref) if kind == "fact" else
               engine.store.sanction(ref) if kind == "sanction" else
               engine.store.visit(ref) if kind == "visit" else engine.store.lookup(ref))
        return getattr(row, field)

    def aggregate(kind: str, name: str) -> str:
        if kind == "facts":
            return (str(len(facts)) if name == "count" else
                    "\n".join(f"{i}. {f.text.split(': ', 1)[-1]}" for i, f in enumerate(facts, 1)))
        if name == "count":
            return str(len(records))
        if name == "years":
            years = sorted({_row_date(r)[:4] for r in records})
            return years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
        return "\n".join(f"• {visit_line(r)}" if hasattr(r, "visitor") else f"• {_record_line(r)}"
                         for r in records)

    return templates.fill(topic.lead, value, aggregate, FILTERS)


def _row_date(r) -> str:
    return r.start_date if hasattr(r, "start_date") else r.date


def _record(engine, ref: str):
    return engine.store.sanction(ref) or engine.store.visit(ref)


def answer_topic(engine, q: Query, today: date) -> Answer:
    topic = engine.store.topic(q.topic)
    facts = [f for f in (engine.store.fact(i) for i in topic.facts) if f] if topic else []
    records = [r for r in (_record(engine, i) for i in topic.records) if r] if topic else []
    if not facts and not records:
        return engine.not_found(q, "The knowledge base holds nothing on that yet.")
    if topic.lead:
        lines = [_lead(engine, topic, facts, records)]
        rest = facts[topic.lead_covers:]
    else:
        lines = [f.text for f in facts[:1]]
        rest = facts[1:]
        lines += [_record_line(r) for r in records if not hasattr(r, "visitor")]
    lines += [f.text for f in rest[:3]]
    from_article = any(f.source_kind == "article" for f in facts)
    others = records or any(f.source_kind != "article" for f in facts)
    if from_article:
        lines.append(f"Basis: {ARTICLE_BASIS} (as of {long_date(ARTICLE_AS_OF)})"
                     + (" and the public record" if others else "") + ".")
    else:
        lines.append("Basis: public record.")
    visits = [r for r in records if hasattr(r, "visitor")]
    if visits:  # the record's rows are dated by how far the record was checked, not 2017
        subset = "summit" if all(v.summit for v in visits) else "leader_level" if all(
            v.leader_level for v in visits) else "high_level"
        lines.append(extent(engine.store, "visits", subset,
                            date.fromisoformat(visits[0].start_date), today).text)
    values = {f.id: f.value for f in facts if f.value}
    sources = [cite(f) for f in facts] + [cite(r) for r in records]
    as_of = ARTICLE_AS_OF if from_article else max((f.as_of for f in facts if f.as_of),
                                                   default=None)
    return engine.reply(q, "\n".join(lines), sources, values=values, as_of=as_of,
                        intent=f"topic:{q.topic}")


def _record_line(r) -> str:
    line = f"Public record: {long_date(r.date)}: {r.event}"
    if r.figure:
        line += f" ({r.figure})"
    return line + "."


def answer_person(engine, q: Query, today: date) -> Answer:
    visits = engine.store.visits_by_visitor(q.person)
    if not visits:
        return engine.search(q, today)
    person = next((p for p in engine.store.people() if p.name == q.person), None)
    role = f" ({person.role})" if person and person.role else ""
    lines = [f"{q.person}{role} on record:"]
    for v in visits:
        extra = ""
        if v.after_test:
            extra = f" — first high-level visit after nuclear test {v.after_test}, " \
                    f"{v.days_after_test} days later"
        elif not v.high_level:
            extra = " — below the high-level threshold"
        lines.append(f"• {visit_line(v)} ({v.visitor_title}){extra}.")
        if v.note and not v.after_test:
            lines.append(f"  {v.note}")
    lines.append("Basis: public record.")
    return engine.reply(q, "\n".join(lines), [cite(v) for v in visits],
                        values={"visits": len(visits)})
