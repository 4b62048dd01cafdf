"""Which knowledge rows a sentence's figures and dates are checked against: registries, not
branches. A rule applies when every group of its `match` ("a|b + c|d", the grammar of
topic_rules.csv) is in the sentence and the first group is in the clause being checked, and
none of its `unless` groups is; adding a checkable statement is adding a row here.

Refs name rows as `fact:ID`, `sanction:ID` or `event:ID`, and for dates `kind:ID.field`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.engine.normalize import fold


@lru_cache(maxsize=512)
def groups(spec: str) -> tuple[tuple[str, ...], ...]:
    """'a|b + c' -> (('a', 'b'), ('c',)), folded like the text they are matched against."""
    return tuple(tuple(fold(a) or a.strip() for a in g.split("|")) for g in spec.split("+")
                 if g.strip())


@lru_cache(maxsize=512)
def _patterns(spec: str) -> tuple[re.Pattern, ...]:
    """One pattern per group: any of its phrases as whole words (as parse._has matches)."""
    return tuple(re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in g) + r")(?!\w)")
                 for g in groups(spec))


def _in(text: str, pattern: re.Pattern) -> bool:
    return pattern.search(text) is not None


@dataclass(frozen=True)
class Rule:
    """The shared part: when a rule applies to a clause of a sentence."""

    id: str
    match: str
    label: str
    unless: str = ""

    def applies(self, clause: str, context: str) -> bool:
        """clause and its context (the sentence, and the one before it) folded: the first
        group must be in the clause itself, the others in the context, `unless` nowhere in
        the clause."""
        gs = _patterns(self.match)
        if not gs or not _in(clause, gs[0]):
            return False
        if not all(_in(context, g) for g in gs[1:]):
            return False
        return not any(_in(clause, g) for g in _patterns(self.unless))


@dataclass(frozen=True)
class FigureRule(Rule):
    """A figure of one of `kinds` is checked against the row `ref`: its `value`, or every
    figure written in its `figure` text (only the part, between semicolons, naming `aspect`)."""

    kinds: tuple[str, ...] = ()
    ref: str = ""
    field: str = "value"
    aspect: str = ""
    base: str = ""  # for multiples ("double the cap"): the row whose value is multiplied
    nouns: tuple[str, ...] = ()  # counts: the things counted


@dataclass(frozen=True)
class DateRule(Rule):
    """A date is checked against the first of `dates` whose verbs are in the clause: a
    public-record field and, where the article dates it too, the article's field."""

    dates: tuple[tuple[str, str, str], ...] = ()  # (verbs or "", record ref, article ref)


FIGURE_RULES: tuple[FigureRule, ...] = (
    FigureRule("coal_imports_dec_2016", "import|imported|imports|bought|buy|purchased|took in "
               "+ coal|cap + december|dec", "China's imports of North Korean coal in December "
               "2016", unless="to cap|capped|caps|capping|to limit|limited",
               kinds=("tonnes", "multiple"), ref="fact:coal_imported_double_dec_2016",
               base="fact:coal_cap_one_million_dec_2016"),
    FigureRule("coal_cap_dec_2016", "cap|capped|limit|limited|ceiling|quota + december|dec",
               "the UNSCR 2321 cap on China's North Korean coal imports for December 2016",
               kinds=("tonnes",), ref="fact:coal_cap_one_million_dec_2016"),
    FigureRule("coal_cap_annual", "cap|capped|caps|limit|limited|ceiling|quota + coal + 2321",
               "the UNSCR 2321 annual cap on North Korean coal exports",
               unless="december|dec", kinds=("tonnes", "money"), ref="sanction:unscr_2321_coal_cap",
               field="figure", aspect="per year"),
    FigureRule("unscr_2321_cut", "2321 + cut|cuts|reduce|reduced|revenue|earnings|loss",
               "what UNSCR 2321's coal cap cuts from North Korea's coal exports",
               unless="cap of|capped at", kinds=("money", "percent"), ref="sanction:unscr_2321",
               field="figure"),
    FigureRule("unscr_2371_cut", "2371 + cut|cuts|reduce|revenue|earnings|loss|cost",
               "what UNSCR 2371 was estimated to cut from North Korea's export earnings a year",
               kinds=("money",), ref="sanction:unscr_2371"),
    FigureRule("unscr_2375_refined", "refined|petroleum products + 2375",
               "UNSCR 2375's cap on refined petroleum supplied to North Korea",
               kinds=("barrels",), ref="sanction:unscr_2375", field="figure", aspect="refined"),
    FigureRule("unscr_2397_refined", "refined|petroleum products + 2397",
               "UNSCR 2397's cap on refined petroleum supplied to North Korea",
               kinds=("barrels",), ref="sanction:unscr_2397", field="figure", aspect="refined"),
    FigureRule("unscr_2397_crude", "crude + 2397", "UNSCR 2397's limit on crude oil",
               kinds=("barrels", "tonnes"), ref="sanction:unscr_2397", field="figure",
               aspect="crude"),
    FigureRule("unscr_2270_designations", "individuals|entities|vessels + 2270",
               "designations under UNSCR 2270", kinds=("count",), ref="sanction:unscr_2270",
               field="figure", nouns=("individuals", "entities", "vessels")),
    FigureRule("lpg_imports", "lpg|liquefied petroleum|liquified petroleum|petroleum gas",
               "the LPG China agreed to import from North Korea", kinds=("tonnes",),
               ref="fact:lpg_4000_tons"),
    FigureRule("trade_share", "trade + share|with china|external|of north korea|of pyongyang|"
               "of its|percent", "China's share of North Korea's external trade",
               unless="fell|rose|grew|drop|dropped|declined|increased|decreased|jumped|surged|"
               "plunged|compared|year on year|from the previous",
               kinds=("percent",), ref="fact:trade_share_80_85"),
    FigureRule("freezes_paid", "paid|pay|payment|payments|spent|gave|given + freeze|freezes|"
               "1994|2005|agreements|denuclearization|agreed framework",
               "what the US paid North Korea under the 1994 and 2005 agreements",
               kinds=("money",), ref="fact:freezes_paid_500_million"),
    FigureRule("visits_since_1953", "visits|exchanges|visit + 1953|korean war",
               "officially documented high-level China–North Korea visits since 1953",
               kinds=("count",), ref="fact:visits_total_since_1953",
               nouns=("visits", "exchanges", "visit")),
    # The article's eight are 2000-2011, as leader: without that span or that figure, a count
    # of his trips is counted on the record instead (two more, as heir, in 1983 and 1987).
    FigureRule("kji_trips", "kim jong il + trips|trip|visits|visited|travelled|traveled|times "
               "+ 2000|2011|eight|8|as leader|while in power|in power",
               "Kim Jong Il's trips to China (2000–2011)",
               unless="kim jong un|hu jintao|jiang zemin|met|meet|meeting|meetings|summit|"
                      "summits",
               kinds=("count", "multiple"), ref="fact:kji_eight_trips",
               nouns=("trips", "visits", "times", "trip")),
    FigureRule("doj_nationals", "chinese nationals|chinese citizens|nationals|individuals|"
               "executives|people + justice department|doj|charged|indicted|wanted|"
               "prosecutors|2016", "Chinese nationals named in the US Justice Department's "
               "2016 case", unless="2270", kinds=("count",),
               ref="fact:doj_four_chinese_nationals",
               nouns=("chinese", "nationals", "individuals", "executives", "people")),
    FigureRule("test_gap_average", "average|averaged|on average|mean + test|tests + visit|"
               "visits|envoy|envoys", "the average days from a nuclear test (2–5) to a "
               "high-level visit", kinds=("days",), ref="fact:tests_2_to_5_average_120_days"),
)

DATE_RULES: tuple[DateRule, ...] = (
    DateRule("china_coal_ban", "coal + ban|banned|bans|suspend|suspended|suspension|halt|"
             "halted|stopped|stop", "China's 2017 ban on North Korean coal imports", dates=(
                 ("took effect|came into effect|went into effect|effective|came into force|"
                  "entered into force|in force|began|started",
                  "sanction:china_coal_ban_2017.effective_date",
                  "fact:coal_ban_announced.event_date"),
                 ("until|through|ran to|lasted|ended|expired|lifted|end",
                  "sanction:china_coal_ban_2017.end_date", ""),
                 ("", "sanction:china_coal_ban_2017.date", "fact:coal_ban_announced.event_date"),
             )),
    DateRule("agreed_framework", "agreed framework", "the US–DPRK Agreed Framework",
             dates=(("", "sanction:agreed_framework_1994.date", ""),)),
    DateRule("six_party_statement", "joint statement + six party|six-party|2005",
             "the Six-Party Talks joint statement", dates=(
                 ("", "sanction:six_party_joint_statement_2005.date", ""),)),
    DateRule("six_party_breakdown", "broke down|collapsed|breakdown|broken down|stalled|"
             "ended + six party|negotiations|talks", "the breakdown of the Six-Party Talks",
             dates=(("", "", "fact:six_party_breakdown_2008.value"),)),
    DateRule("treaty_1961", "treaty + friendship|mutual|alliance|1961|defence|defense",
             "the China–DPRK Treaty of Friendship, Cooperation and Mutual Assistance", dates=(
                 ("took effect|came into effect|in force|entered into force|effective",
                  "event:treaty_1961_signed.effective_date", ""),
                 ("", "event:treaty_1961_signed.date", ""),)),
    DateRule("doj_case", "justice department|doj|department of justice + announced|charged|"
             "unsealed|indicted|case|charges|wanted", "the US Justice Department's case "
             "against Dandong Hongxiang and four Chinese nationals", dates=(
                 ("", "sanction:doj_dhid_2016.date", "fact:doj_four_chinese_nationals.event_date"),
             )),
    DateRule("veto_2022", "veto|vetoed|vetoes + sanctions|resolution|tighten|draft|icbm",
             "China and Russia's veto of new UN sanctions on North Korea",
             unless="panel|experts|monitoring", dates=(
                 ("", "sanction:veto_2022_05_26.date", ""),)),
    DateRule("panel_veto", "veto|vetoed|vetoes|blocked + panel|experts|monitoring",
             "Russia's veto of the UN Panel of Experts' mandate", dates=(
                 ("", "sanction:poe_veto_2024_03_28.date", ""),)),
    DateRule("panel_end", "expired|lapsed|ended|disbanded|end|mandate ended + panel|experts",
             "the end of the UN Panel of Experts' mandate", unless="veto|vetoed", dates=(
                 ("", "sanction:poe_mandate_end_2024.date", ""),)),
    DateRule("wang_hongguang", "wang hongguang", "Lt. Gen. Wang Hongguang's Global Times "
             "commentary", dates=(("", "", "fact:wang_hongguang_global_times.event_date"),)),
    DateRule("special_to_normal", "special + normal", "China's claim that its relationship "
             "with North Korea changed from special to normal",
             dates=(("", "", "fact:special_to_normal.value"),)),
    DateRule("air_koryo", "air koryo", "the first Air Koryo Pyongyang–Beijing flight since "
             "2020", dates=(("", "event:air_koryo_beijing_2023.date", ""),)),
    DateRule("train_2026", "train + beijing|pyongyang|passenger", "the resumed "
             "Beijing–Pyongyang passenger train", dates=(
                 ("", "event:beijing_pyongyang_train_2026.date", ""),)),
    DateRule("friendship_year_opening", "opening ceremony|opened + friendship year",
             "the opening ceremony of the China–DPRK Friendship Year", dates=(
                 ("", "event:friendship_year_2024_opening.date", ""),)),
    DateRule("friendship_year", "friendship year", "the China–DPRK Friendship Year",
             unless="opening|opened|closing", dates=(
                 ("", "event:friendship_year_2024_declared.date", ""),)),
)

# A resolution named by number ("UNSCR 2321", "Resolution 2397") and a verb of adoption.
RESOLUTION_VERBS = ("adopted|passed|approved|voted|unanimously|agreed").split("|")


@lru_cache(maxsize=4)
def _key_index(rules: tuple[Rule, ...]) -> tuple[re.Pattern, dict[str, tuple[Rule, ...]]]:
    """One pattern over the first group of every rule, and which rules each phrase starts."""
    starts: dict[str, list[Rule]] = {}
    for rule in rules:
        for phrase in groups(rule.match)[0]:
            starts.setdefault(phrase, []).append(rule)
    alts = "|".join(re.escape(p) for p in sorted(starts, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)"), {k: tuple(v) for k, v in starts.items()}


def candidates(rules: tuple[Rule, ...], clause: str) -> list[Rule]:
    """The rules whose first group is in the clause (one search, not one per rule), in
    registry order."""
    pattern, starts = _key_index(rules)
    hit = {r.id for phrase in set(pattern.findall(clause)) for r in starts[phrase]}
    return [r for r in rules if r.id in hit]
