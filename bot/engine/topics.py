"""Answers for named topics (sanctions, trade, people, events) and for people on record.

Each topic is a row: the facts and records it draws on and how its first line is worded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.engine.answer import Answer
from bot.engine.parse import Query
from bot.engine.sources import ARTICLE_AS_OF, ARTICLE_BASIS, cite, long_date, visit_line

# topic -> (article fact ids, public-record ids (sanctions/visits), optional lead builder)
TOPIC_ROWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "coal_cap": (("coal_cap_one_million_dec_2016", "coal_imported_double_dec_2016",
                  "coal_2017_cap_dollar_value", "coal_ban_beyond_2321"),
                 ("unscr_2321", "unscr_2321_coal_cap")),
    "coal_imports_december": (("coal_imported_double_dec_2016", "coal_cap_one_million_dec_2016"),
                              ("unscr_2321_coal_cap",)),
    "coal_ban": (("coal_ban_announced", "coal_ban_duration", "coal_ban_beyond_2321",
                  "coal_ban_kim_jong_nam"), ("china_coal_ban_2017",)),
    "lpg": (("lpg_4000_tons",), ()),
    "trade_share": (("trade_share_80_85", "recommendation_2_trade_share"), ()),
    "freezes": (("freezes_paid_500_million",), ("agreed_framework_1994",
                                                "six_party_joint_statement_2005")),
    "exemption": (("livelihood_exemption", "humanitarian_exemption"), ()),
    "ri_kil_song": (("ri_kil_song_not_high_level",), ("ri_kil_song_2017",)),
    "kji_trips": (("kji_eight_trips", "kji_factory_tours", "top_down_reform"),
                  tuple(f"kji_trip_{n}" for n in range(1, 9))),
    "summits": (("no_xi_kim_summit", "no_summits_six_years"),
                tuple(f"kim_xi_summit_{n}" for n in range(1, 6))),
    "definition": (("high_level_definition", "dataset_sources", "summit_weighting",
                    "beyond_parallel"), ()),
    "doj": (("doj_four_chinese_nationals", "extradite_cases"), ("doj_dhid_2016",)),
    "wang_hongguang": (("wang_hongguang_global_times",), ()),
    "kim_jong_nam": (("coal_ban_kim_jong_nam", "kim_jong_nam_critic", "kim_jong_nam_2012_attempt",
                      "kim_jong_nam_standing_order", "kim_jong_nam_china_protection"), ()),
    "six_party": (("six_party_breakdown_2008",), ("six_party_joint_statement_2005",)),
    "special_to_normal": (("special_to_normal", "no_summits_six_years"), ()),
    "recommendations": (("recommendation_1_assume_failure", "recommendation_2_trade_share",
                         "recommendation_3_china_pays", "recommendation_4_counter_proliferation",
                         "recommendation_5_punish_individuals"), ()),
    "ruggiero": (("recommendation_5_punish_individuals", "doj_four_chinese_nationals",
                  "extradite_cases"), ()),
    "wang_yi": (("wang_yi_collision_course",), ()),
    "unscr_2270": ((), ("unscr_2270",)),
    "agreed_framework": (("freezes_paid_500_million",), ("agreed_framework_1994",)),
    "photos": (("photo_dandong_2010", "photo_tumen_2016"), ()),
    "free_rider": (("china_free_rider",), ()),
    "constitution": (("kju_never_give_up_weapons",), ()),
    "peace_treaty": (("china_freeze_for_peace_treaty",), ()),
    "kim_jong_un_treatment": (("top_down_reform", "kju_no_similar_treatment"), ()),
    "crisis_contact": (("reduced_crisis_contact", "test1_envoy_within_11_days"), ()),
    "visits_total": (("visits_total_since_1953",), ()),
}


def _lead_coal_ban(engine, facts, records) -> str:
    ban = engine.store.sanction("china_coal_ban_2017")
    return (f"Announced on {long_date(ban.date)} by China's Commerce Ministry; the article says "
            f"it \"went into effect immediately\" and ran to the end of the year. Public record: "
            f"it took effect on {long_date(ban.effective_date)} and ran to "
            f"{long_date(ban.end_date)}.")


def _lead_coal_cap(engine, facts, records) -> str:
    cap = engine.store.sanction("unscr_2321_coal_cap")
    return (f"One million metric tons for December 2016, per the article: \"{facts[0].quote}\" "
            f"Public record (UNSCR 2321, all UN members combined): {cap.figure}.")


def _lead_ri_kil_song(engine, facts, records) -> str:
    v = engine.store.visit("ri_kil_song_2017")
    return (f"The article calls it \"the March 1 visit\" (2017) by North Korean Vice Foreign "
            f"Minister Ri Kil Song to China and says it does not qualify as high-level. Public "
            f"record: he arrived in {v.place} on {long_date(v.start_date)} and stayed to "
            f"{long_date(v.end_date)} ({v.source_name}).")


def _lead_kji_trips(engine, facts, records) -> str:
    same = "the same" if str(len(records)) == facts[0].value else "these"
    return (f"Eight: {facts[0].text[:-1]}, per the article; the public record lists {same} "
            f"{len(records)}:\n" + "\n".join(f"• {visit_line(v)}" for v in records))


def _lead_summits(engine, facts, records) -> str:
    return (f"{len(records)} Kim Jong Un–Xi Jinping summits on record, all in 2018–2019:\n"
            + "\n".join(f"• {visit_line(v)}" for v in records)
            + "\nThe article (March 2017) noted there had been no such summit since Kim came "
              "to power at the end of 2011.")


def _lead_doj(engine, facts, records) -> str:
    doj = engine.store.sanction("doj_dhid_2016")
    return (f"On September 26, 2016, the US Justice Department announced that four Chinese "
            f"nationals were wanted for conspiring to evade US sanctions, per the article. "
            f"Public record: {doj.event}.")


def _lead_recommendations(engine, facts, records) -> str:
    return "The article makes five recommendations:\n" + "\n".join(
        f"{i}. {f.text.split(': ', 1)[-1]}" for i, f in enumerate(facts, 1))


# topic -> (lead builder, how many of the topic's facts the lead already states)
LEADS: dict[str, tuple[Callable, int]] = {
    "coal_ban": (_lead_coal_ban, 2), "coal_cap": (_lead_coal_cap, 1),
    "ri_kil_song": (_lead_ri_kil_song, 1), "kji_trips": (_lead_kji_trips, 1),
    "summits": (_lead_summits, 2), "doj": (_lead_doj, 1),
    "recommendations": (_lead_recommendations, 5),
}


def _record(engine, ref: str):
    return engine.store.sanction(ref) or engine.store.visit(ref)


def answer_topic(engine, q: Query, today: date) -> Answer:
    fact_ids, record_ids = TOPIC_ROWS[q.topic]
    facts = [f for f in (engine.store.fact(i) for i in fact_ids) if f]
    records = [r for r in (_record(engine, i) for i in record_ids) if r]
    if not facts and not records:
        return engine.not_found(q, "The knowledge base holds nothing on that yet.")
    if q.topic in LEADS:
        lead, consumed = LEADS[q.topic]
        lines = [lead(engine, facts, records)]
        rest = facts[consumed:]
    else:
        lines = [f.text for f in facts[:1]]
        rest = facts[1:]
        lines += [_record_line(r) for r in records if not hasattr(r, "visitor")]
    lines += [f.text for f in rest[:3]]
    if facts:
        lines.append(f"Basis: {ARTICLE_BASIS}" + (" and the public record" if records else "")
                     + f"; as of {long_date(ARTICLE_AS_OF)}.")
    else:
        lines.append("Basis: public record.")
    values = {f.id: f.value for f in facts if f.value}
    sources = [cite(f) for f in facts] + [cite(r) for r in records]
    return engine.reply(q, "\n".join(lines), sources, values=values,
                        as_of=ARTICLE_AS_OF if facts else None, intent=f"topic:{q.topic}")


def _record_line(r) -> str:
    line = f"Public record: {long_date(r.date)}: {r.event}"
    if r.figure:
        line += f" ({r.figure})"
    return line + "."


def answer_person(engine, q: Query, today: date) -> Answer:
    visits = engine.store.visits_by_visitor(q.person)
    if not visits:
        return engine.search(q, today)
    lines = [f"{q.person} on record:"]
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
