"""The fact-checker on the real knowledge base: a table of claims of every kind (true, false,
half-true, article against record, out of scope) and paragraphs holding several.

Pinned to rows that stay: eras.csv rates and tenures, tests.csv, the article's statements in
facts.csv, sanctions.csv, trade.csv and the visits kji_trip_*, post_test_*, kim_xi_summit_*
and ri_kil_song_2017 — never to how many visits are on record."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.check import Checker
from bot.check.figures import find_figures
from bot.check.report import SEVERITY
from bot.check.sentences import split_clauses, split_sentences

TODAY = date(2026, 11, 28)
S, C, D, U = "supported", "contradicted", "discrepancy", "unknown"


@pytest.fixture(scope="module")
def checker(store) -> Checker:
    return Checker(store)


# (text, verdict of its one claim, words the answer must contain)
CLAIMS = [
    # era visit rates (eras.csv + the article's rates)
    ("Kim Jong Un has averaged 2.5 visits per year.", C,
     "1.8 visits a year in the Kim Jong Un period, not 2.5"),
    ("North Korea under Kim Jong Un has averaged only 1.8 visits per year.", S, "1.8"),
    ("China under Xi has averaged 1.25 high-level visits a year.", S, "1.25"),
    ("Under Hu Jintao there were 4.8 visits a year on average.", C,
     "6.6 visits a year in the Hu Jintao period, not"),
    ("The Kim Jong Il period averaged about 5 visits a year.", S, "4.8"),
    ("Hu averaged more than 4.8 visits a year.", U, "no source gives that figure"),
    ("The Jiang Zemin era saw 3.2 visits a year.", U, "gives no visit rate"),
    # nuclear tests: dates, counts, tests the record does not hold
    ("The fourth nuclear test was on January 6, 2016.", S, "January 6, 2016"),
    ("North Korea's fifth nuclear test took place in October 2016.", C,
     "September 9, 2016, not October 2016"),
    ("The first nuclear test came in 2006.", S, "October 9, 2006"),
    ("North Korea has conducted six nuclear tests.", S, "6 nuclear tests on record"),
    ("North Korea has conducted four nuclear tests.", C, "6 nuclear tests on record, not"),
    ("North Korea conducted its seventh nuclear test in 2023.", C, "complete through"),
    ("North Korea conducted a seventh nuclear test in May 2026.", U, "cannot say"),
    ("The March 2016 nuclear test shocked Beijing.", C, "No such test"),
    # test -> first visit: days and visitors (post_test_* rows, the article's figures)
    ("China sent an envoy within 11 days of the first nuclear test.", D,
     "9 days on the public record"),
    ("A Chinese envoy arrived 9 days after the first nuclear test.", S, "9 days"),
    ("The first envoy came 114 days after the second nuclear test.", S, "114 days"),
    ("The first high-level visit came 100 days after the fourth nuclear test.", C,
     "146 days on the public record"),
    ("China dispatched an envoy within 30 days of the first test.", U, "no source gives"),
    ("Between the second and fifth tests an average of 120 days lapsed between a test and a "
     "visit by any envoy.", S, "120 days"),
    ("Choe Ryong Hae visited after the third nuclear test.", S, "Choe Ryong Hae"),
    ("Dai Bingguo visited after the first nuclear test.", C, "Tang Jiaxuan"),
    # the article's absences against the later record
    ("There have been no summits in almost six years.", D, "6 summits on the public record"),
    ("Since the fifth test, there has been no visit by either side.", D, "Song Tao"),
    # people: visits and offices
    ("Ri Kil Song visited China on March 1, 2017.", D, "February 28, 2017"),
    ("Ri Kil Song arrived in Beijing on February 28, 2017.", S, "February 28, 2017"),
    ("Ri Kil Song, North Korea's foreign minister, arrived in Beijing.", C,
     "Vice Foreign Minister"),
    ("Xi Jinping visited Pyongyang in June 2019.", S, "June 20, 2019"),
    ("Kim Jong Il visited China in May 2010.", S, "May 3, 2010"),
    ("Kim Jong Il made eight trips to China.", S, "8 trips"),
    ("Kim Jong Il made nine trips to China.", C, "8 of them while Kim Jong Il led"),
    # leaders' periods (eras.csv tenures)
    ("Xi Jinping came to power in 2012.", S, "November 15, 2012"),
    ("Kim Jong Il died in 2010.", C, "December 17, 2011, not 2010"),
    ("Hu Jintao led China until 2012.", S, "November 15, 2012"),
    # sanctions and their figures (sanctions.csv, the article)
    ("China imported three times the cap in December 2016.", C,
     "2 million metric tons, not three times"),
    ("Under UNSCR 2321 the December 2016 cap was one million metric tons.", S,
     "1 million metric tons"),
    ("UNSCR 2321 caps North Korea's coal exports at 7.5 million tonnes a year.", S,
     "7,500,000 t"),
    ("UNSCR 2397 cut refined petroleum supplies to 500,000 barrels a year.", S, "500,000"),
    ("UNSCR 2397 cut refined petroleum supplies to 1 million barrels a year.", C, "not 1 million"),
    ("UNSCR 2321 was adopted on November 30, 2016.", S, "November 30, 2016"),
    ("Resolution 2270 was adopted in April 2016.", C, "March 2, 2016, not April 2016"),
    ("China announced its coal ban on February 18, 2017.", S, "February 18, 2017"),
    ("China's coal ban took effect on February 18, 2017.", D, "February 19, 2017"),
    ("China agreed to import 40,000 metric tons of LPG.", C, "4,000 metric tons, not"),
    ("The US paid North Korea about $500 million for nuclear freezes.", S, "US$500 million"),
    ("Between 80 and 85 percent of North Korea's external trade is with China.", S, "80-85"),
    ("The Justice Department charged five Chinese nationals.", C, "4 people"),
    # trade by year (trade.csv, complete 2000-2025)
    ("China–North Korea trade was $2.73 billion in 2025.", S, "US$2.73 billion"),
    ("China–North Korea trade reached $5 billion in 2018.", C, "US$2.43 billion, not"),
    ("China–North Korea trade was $3 billion in 2026.", U, "No figure on record"),
    # out of scope: said plainly, never guessed
    ("China's GDP grew 6.9 percent in 2017.", U, "nothing in the knowledge base bears"),
    ("Seoul spent $40 billion on defence.", U, "Not checked"),
]


@pytest.mark.parametrize(("text", "verdict", "words"), CLAIMS, ids=[c[0][:50] for c in CLAIMS])
def test_one_claim(checker, text, verdict, words):
    report = checker.check(text, TODAY)
    assert [c.verdict for c in report.claims] == [verdict], report.answer
    assert report.verdict == verdict
    assert words in report.claims[0].answer, report.claims[0].answer


def test_table_covers_every_verdict_and_forty_claims():
    verdicts = [v for _, v, _ in CLAIMS]
    assert len(CLAIMS) >= 40 and {S, C, D, U} <= set(verdicts)


PARAGRAPH = (
    "North Korea under Kim Jong Un has averaged only 1.8 visits per year, while China under "
    "Xi has averaged 2.5. After the first nuclear test, China dispatched an envoy within 11 "
    "days. China imported double the cap in December 2016. Kim Jong Il made eight trips to "
    "China. South Korea's GDP grew 3 percent."
)


def test_a_paragraph_with_several_claims(checker):
    report = checker.check(PARAGRAPH, TODAY)
    got = [(c.verdict, c.claim.split(" (")[0]) for c in report.claims]
    assert got == [
        (S, "average high-level visits a year in the Kim Jong Un period"),
        (C, "average high-level visits a year in the Xi Jinping period"),
        (D, "days from the first nuclear test"),
        (S, "China's imports of North Korean coal in December 2016"),
        (S, "Kim Jong Il's trips to China"),
        (U, "percentage '3 percent'"),
    ]
    assert report.verdict == C  # the worst claim
    first, *rest = report.answer.split("\n")
    assert first.startswith("Contradicted: 6 claims checked (1 contradicted, 1 discrepancy, "
                            "1 unknown, 3 supported)")
    assert rest[0].startswith("Contradicted: 1.25 visits a year in the Xi Jinping period, not "
                              "2.5")  # the right figure first
    for c in report.claims:  # each span is the text it was found in
        assert PARAGRAPH[c.start:c.end] == c.span


def test_worst_verdict_order():
    assert sorted(SEVERITY, key=SEVERITY.get, reverse=True) == [C, D, U, S]


def test_json_shape(checker):
    d = checker.check("Kim Jong Un has averaged 2.5 visits per year.", TODAY).to_dict()
    assert set(d) == {"text", "verdict", "answer", "claims", "as_of"}
    (claim,) = d["claims"]
    assert {"span", "claim", "verdict", "expected", "stated", "sources"} <= set(claim)
    assert claim["stated"] == "2.5 visits per year"
    assert claim["expected"] == "1.8 visits a year in the Kim Jong Un period"
    assert claim["sources"][0] == {
        "id": "rate_kim_jong_un", "kind": "article",
        "quote": "North Korea under Kim Jong Un has averaged only 1.8 visits per year", "url": ""}
    assert d["as_of"] == "2017-03"


def test_no_claims_is_unknown_and_says_so(checker):
    report = checker.check("Relations between the two countries are complicated.", TODAY)
    assert report.verdict == U and report.claims == ()
    assert report.answer.startswith("No checkable claim found")


def test_coverage_decides_a_test_the_record_does_not_hold(checker):
    # Undated: the record of tests is complete through its checked-through date (2025-11-05).
    before = checker.check("North Korea has conducted a seventh nuclear test.", date(2025, 11, 1))
    after = checker.check("North Korea has conducted a seventh nuclear test.", TODAY)
    assert (before.verdict, after.verdict) == (C, U)


# -- the parts -----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("Lt. Gen. Wang Hongguang wrote in the U.S. press. It grew 2.5 times.",
     ["Lt. Gen. Wang Hongguang wrote in the U.S. press.", "It grew 2.5 times."]),
    ("One line\nAnother line. A third!", ["One line", "Another line.", "A third!"]),
    ("In Dec. 2016 it rose. @everyone look.", ["In Dec. 2016 it rose.", "@everyone look."]),
])
def test_sentences(text, expected):
    assert [s.text for s in split_sentences(text)] == expected


def test_clauses_keep_respectively_whole():
    [s] = split_sentences("Kim Jong Il and Hu Jintao averaged 4.8 and 6.6, respectively.")
    assert len(split_clauses(s)) == 1
    [s] = split_sentences("Kim Jong Un took power in 2012 and Kim Jong Il died in 2011.")
    assert [c.text for c in split_clauses(s)] == ["Kim Jong Un took power in 2012",
                                                  "Kim Jong Il died in 2011."]


@pytest.mark.parametrize(("text", "kind", "value", "surface", "hedge"), [
    ("within eleven days of the test", "days", 11, "within eleven days", "at_most"),
    ("about $500 million for freezes", "money", 500e6, "about $500 million", "about"),
    ("one million metric tons", "tonnes", 1e6, "one million metric tons", None),
    ("averaged 2.5 visits per year", "rate", 2.5, "2.5 visits per year", None),
    ("between 80 and 85 percent", "percent", 80, "between 80 and 85 percent", None),
    ("imported three times the cap", "multiple", 3, "three times", None),
    ("Trade reached US$2.73 billion", "money", 2.73e9, "US$2.73 billion", None),
    ("Kim Jong Un visited", None, None, None, None),  # 'Un' is not a number
])
def test_figures(text, kind, value, surface, hedge):
    figs = [f for f in find_figures(text) if f.kind != "number"]
    if kind is None:
        assert figs == []
        return
    [f] = figs
    assert (f.kind, f.value, f.surface, f.hedge) == (kind, pytest.approx(value), surface, hedge)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_never_raises(checker, text):
    report = checker.check(text, TODAY)
    assert report.verdict in SEVERITY


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    "Kim Jong Un", "Xi", "the seventh", "nuclear test", "within", "11 days", "after", "$500",
    "million", "percent", "March 1", "2017", "coal", "cap", "double", "UNSCR 2321", "Ri Kil Song",
    "visited", "no summit", "trade", "in 2018", ".", ",", "and", "but", "respectively", "4.8",
    "visits a year", "died", "came to power", "foreign minister", "three times", "tests"]),
    max_size=25))
def test_never_raises_on_domain_words(checker, words):
    report = checker.check(" ".join(words), TODAY)
    assert report.verdict in SEVERITY
    assert all(c.verdict in SEVERITY for c in report.claims)


# -- the command line ------------------------------------------------------------------------
def _dandong(cli_env, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin,
                          capture_output=True, text=True, env=cli_env, timeout=60)


def test_cli_json_and_stdin(cli_env):
    r = _dandong(cli_env, "check", "--json", "--today", "2026-11-28", "-",
                 stdin="Kim Jong Un has averaged 2.5 visits per year.\n\nXi Jinping came to "
                       "power in 2012.\n")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["verdict"] == C and [c["verdict"] for c in d["claims"]] == [C, S]


def test_cli_text(cli_env):
    r = _dandong(cli_env, "check", "China sent an envoy within 11 days of the first test.")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Article and record differ: 1 claim checked")
    assert "⚠️ Article and record differ: “China sent an envoy" in r.stdout
    assert "[post_test_1] public record:" in r.stdout


@pytest.mark.parametrize("args", [["check"], ["check", "   "], ["check", "--today", "2017-02-30",
                                                                  "x"], ["check", "a", "-"]])
def test_cli_usage_errors(cli_env, args):
    r = _dandong(cli_env, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1


# -- claims about the 1953-2026 record: last/first, counts through the planner, coverage ------
RECORD_CLAIMS = [
    ("Kim Jong Un last visited China in January 2019.", "contradicted",
     "September 2, 2025 to September 4, 2025 (Beijing), not January 2019"),
    ("Kim Jong Un last visited China in September 2025.", "supported", "most recent visit"),
    ("Kim Jong Un first visited China in March 2018.", "supported", "first visit"),
    ("There have been five Kim-Xi summits.", "contradicted", "6 summits on the public record"),
    ("There have been six Kim-Xi summits.", "supported", "complete for 2000–2026"),
    ("Hu Jintao met Kim Jong Il six times.", "supported", "6 summits"),
    ("Hu Jintao met Kim Jong Il four times.", "contradicted", "not four times"),
    ("Kim Jong Un has visited China five times.", "supported", "5 high-level visits"),
    ("Kim Jong Un has visited China four times.", "contradicted", "not four times"),
    ("Kim Jong Il visited China ten times.", "unknown", "2 before"),  # 2 as heir: selective
    ("There were 3 high-level visits in 2010.", "contradicted", "at least 9"),
    ("There were 30 high-level visits in 2010.", "unknown", "not complete for that span"),
    ("Kim Jong Un visited China in 2022.", "contradicted", "complete for 2000–2026"),
    ("Wang Yi visited Pyongyang in April 2026.", "supported", "April 9, 2026"),
    ("Wang Yi last visited Pyongyang in April 2026.", "unknown", "selective"),
]


@pytest.mark.parametrize(("text", "verdict", "words"), RECORD_CLAIMS,
                         ids=[c[0] for c in RECORD_CLAIMS])
def test_record_claim(checker, text, verdict, words):
    report = checker.check(text, date(2026, 12, 2))
    assert report.verdict == verdict, report.answer
    assert words in report.claims[0].answer
    if verdict != "unknown":
        assert report.claims[0].sources


def test_a_last_visit_is_never_supported_by_an_earlier_row(checker):
    """The record's latest row decides 'last': an earlier matching visit is not support."""
    for month in ("March 2018", "May 2018", "June 2018", "January 2019"):
        report = checker.check(f"Kim Jong Un last visited China in {month}.", date(2026, 12, 2))
        assert report.verdict == "contradicted"
