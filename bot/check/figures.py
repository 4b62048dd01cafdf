"""Figures in a sentence: counts, rates a year, percentages, money, tonnes, barrels, days and
multiples ("double", "three times"), each with its value, the words it was written in and how
it is hedged ("about", "within", "more than").

Numbers written as words ("eleven days", "five hundred million", "seventh") are read by
text2num (a Rust library with Python bindings: no dependencies, and ~1 µs a word, where
quantulum3 takes ~2 ms a sentence); digits are read here. What a number counts comes from
the few units the knowledge base uses (UNITS below): a registry, not a grammar of units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SCALE = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
          "b": 1e9, "trillion": 1e12}
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE_RX = r"(?:\s*(?P<scale>thousand|million|billion|trillion|mn|bn|m|b)\b)?"
_BETWEEN = r"(?:(?P<between>between|from)\s+)?"
_RANGE_TAIL = r"(?:\s*(?:-|–|to|(?(between)and|(?!)))\s*(?P<num2>\d+(?:\.\d+)?))?"

# kind -> the words after (or, for money, before) a number that say what it counts.
UNITS: tuple[tuple[str, str], ...] = (
    ("percent", r"\s*(?:%|per\s?cent|percentage points?)"),
    ("tonnes", r"\s*(?:metric\s+)?(?:tons?|tonnes?|t)\b"),
    ("barrels", r"\s*(?:barrels?|bbl)\b"),
    ("money", r"\s*(?:us\s+)?(?:dollars?|usd|us\$)\b"),
    ("rate", r"\s*(?:(?:high[- ]level\s+|official\s+|annual\s+)?(?:visits?|exchanges?|trips?)\s+)?"
             r"(?:(?:a|per|each|every)\s+year|annually|per\s+annum|yearly)\b"),
    ("days", r"\s*(?:days?)\b"),
    ("weeks", r"\s*(?:weeks?)\b"),
    ("months", r"\s*(?:months?)\b"),
    ("years", r"\s*(?:years?)\b"),
)
_MONEY_BEFORE = r"(?:us\s?\$|\$|usd\s*|us\s+dollars?\s*)"
_MULTIPLE = re.compile(r"\b(?:(?P<word>double|doubled|twice|triple|tripled|quadruple|half)"
                       r"|(?P<n>\d+(?:\.\d+)?)\s*(?:times|-fold|fold)\b)", re.I)
_HEDGES = {
    "about": "about", "around": "about", "roughly": "about", "approximately": "about",
    "some": "about", "nearly": "about", "almost": "about", "close to": "about", "~": "about",
    "an estimated": "about", "estimated": "about", "just over": "about", "just under": "about",
    "within": "at_most", "up to": "at_most", "no more than": "at_most", "less than": "below",
    "fewer than": "below", "under": "below", "below": "below", "only": "exact",
    "more than": "above", "over": "above", "above": "above", "at least": "at_least",
    "exceeding": "above",
}
_HEDGE_RX = re.compile(r"(?:^|\W)(" + "|".join(re.escape(h) for h in
                                               sorted(_HEDGES, key=len, reverse=True))
                       + r")\s*(?:an?\s+average\s+of\s+|the\s+)?$", re.I)
_SCALE_WORD = re.compile(r"\b(thousand|million|billion|trillion)\b", re.I)
_NOT_NOUNS = frozenset("times fold to and or of per percent a an the in on at by for from with "
                       "than is was were are be been has had have who which that".split())
_MULT_WORDS = {"double": 2, "doubled": 2, "twice": 2, "triple": 3, "tripled": 3,
               "quadruple": 4, "half": 0.5}


@dataclass(frozen=True)
class Figure:
    """One figure: `value` (and `high` for a range such as '80 to 85 percent') of `kind`."""

    kind: str  # percent, tonnes, barrels, money, rate, days, weeks, months, years, multiple, count
    value: float
    surface: str  # as written in the original text
    start: int  # offsets in the original sentence
    end: int
    high: float | None = None
    hedge: str | None = None  # about, at_most, below, above, at_least, exact
    decimals: int = 0  # digits after the point, as written
    scale: float = 1.0  # 1e6 when written with "million" (so rounded by its writer)
    noun: str = ""  # for counts: the word after the number ("visits", "tests")

    @property
    def scaled(self) -> bool:
        return self.scale != 1

    @property
    def tolerance(self) -> float:
        """Half a unit of the last digit written (2.7 billion covers 2.65 to 2.75 billion),
        but never more than 5 % of the figure: '1 million' is not 500,000."""
        return min(0.5 * 10 ** -self.decimals * self.scale, 0.05 * abs(self.value))


class _Tok:
    """A word for text2num's find_numbers, with its offsets in the sentence."""

    __slots__ = ("end", "start", "word")

    def __init__(self, word: str, start: int, end: int) -> None:
        self.word, self.start, self.end = word, start, end

    def text(self) -> str:
        return self.word

    def text_lowercase(self) -> str:
        return self.word.lower()

    def nt_separated(self, previous) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return False


_TOKEN = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|\d[\d,]*(?:\.\d+)?|[^\sA-Za-z\d]")
_HAS_WORD_NUMBER = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|dozen|first|second|third|fourth|fifth|"
    r"sixth|seventh|eighth|ninth|tenth|[a-z]+teenth|[a-z]+ieth)\b", re.I)


@dataclass(frozen=True)
class Digitized:
    """A sentence with spelled-out numbers as digits, and the way back to the original."""

    text: str
    original: str
    pieces: tuple[tuple[int, int, int, int], ...]  # (new_start, new_end, old_start, old_end)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the original sentence for [start, end) in the digitized one."""
        return self._map(start, left=True), self._map(end, left=False)

    def _map(self, pos: int, *, left: bool) -> int:
        shift = 0
        for ns, ne, os_, oe in self.pieces:
            if pos < ns:
                break
            if pos < ne or (not left and pos == ne):
                return os_ if left else oe
            shift = oe - ne
        return pos + shift


def digitize(sentence: str) -> Digitized:
    """Numbers written as words become digits ('eleven days' -> '11 days'; 'seventh' ->
    '7th'); everything else is kept as written."""
    if not _HAS_WORD_NUMBER.search(sentence):
        return Digitized(sentence, sentence, ())
    return _digitize(sentence)


@lru_cache(maxsize=1)
def _find_numbers():
    from text_to_num import find_numbers

    return find_numbers


def _digitize(sentence: str) -> Digitized:
    toks = [_Tok(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]
    found = _find_numbers()(toks, "en", threshold=0)
    out, pieces, last = [], [], 0
    for occ in found:
        first, final = toks[occ.start], toks[occ.end - 1]
        if first.word[0].isdigit() and occ.end - occ.start == 1:
            continue  # already digits
        out.append(sentence[last:first.start])
        new_start = sum(len(p) for p in out)
        digits = occ.text
        if final.word.lower() in ("million", "billion", "thousand") and occ.end - occ.start == 1:
            digits = final.word  # a bare scale word ("$500 million") stays a word
        out.append(digits)
        pieces.append((new_start, new_start + len(digits), first.start, final.end))
        last = final.end
    out.append(sentence[last:])
    return Digitized("".join(out), sentence, tuple(pieces))


def _number(text: str) -> tuple[float, int]:
    plain = text.replace(",", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return float(plain), decimals


def _hedge(before: str) -> tuple[str | None, int]:
    """The hedge written just before a figure ('within', 'about') and where it starts."""
    tail = before[-40:]
    m = _HEDGE_RX.search(tail)
    if not m:
        return None, len(before)
    return _HEDGES[m[1].lower()], len(before) - len(tail) + m.start(1)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    out = [("money", re.compile(_BETWEEN + _MONEY_BEFORE + _NUM + _SCALE_RX + _RANGE_TAIL,
                                re.I))]
    for kind, unit in UNITS:
        out.append((kind, re.compile(r"(?<![\w$.])" + _BETWEEN + _NUM + _SCALE_RX
                                     + _RANGE_TAIL + unit, re.I)))
    out.append(("count", re.compile(r"(?<![\w$.,])" + _NUM + _SCALE_RX
                                    + r"\s+(?:(?:high[- ]level|nuclear|official|documented|"
                                    r"officially|chinese|north|korean|more|kim-xi|)\s*){0,3}"
                                    r"(?P<noun>[a-z]+)", re.I)))
    # Any other number ("it fell to 1.25"): read, but a claim only where context says what
    # it counts.
    out.append(("number", re.compile(r"(?<![\w$.,-])" + _NUM + _SCALE_RX + r"(?![\w%-])",
                                     re.I)))
    return tuple(out)


def find_figures(sentence: str) -> list[Figure]:
    """Every figure in `sentence`, in order; a number is read once, as its most specific kind."""
    dig = digitize(sentence)
    text = dig.text
    taken: list[tuple[int, int]] = []
    figures: list[Figure] = []
    has_digits = any(ch.isdigit() for ch in text)
    for kind, rx in _patterns() if has_digits else ():
        for m in rx.finditer(text):
            if any(m.start("num") < e and s < m.end("num") for s, e in taken):
                continue
            if kind == "count" and (_looks_like_year(m) or m["noun"].lower() in _NOT_NOUNS):
                continue
            if kind == "number" and _looks_like_year(m):
                continue
            value, decimals = _number(m["num"])
            scale = _SCALE.get((m["scale"] or "").lower(), 1)
            num2 = m.groupdict().get("num2")
            high = float(num2) * scale if num2 else None
            hedge, at = _hedge(text[:m.start()])
            start, end = dig.original_span(at, m.end())
            taken.append((m.start("num"), m.end("num")))
            if num2:
                taken.append((m.start("num2"), m.end("num2")))
            surface = sentence[start:end]
            if scale == 1 and (word := _SCALE_WORD.search(surface)):
                scale = _SCALE[word[1].lower()]  # "one million" came back from text2num as digits
                decimals = 0
            figures.append(Figure(
                kind=kind, value=value * (scale if m["scale"] else 1), high=high,
                surface=surface, start=start, end=end, hedge=hedge,
                decimals=decimals, scale=scale, noun=(m.groupdict().get("noun") or "").lower()))
    for m in _MULTIPLE.finditer(text):
        value = _MULT_WORDS[m["word"].lower()] if m["word"] else float(m["n"])
        hedge, at = _hedge(text[:m.start()])
        start, end = dig.original_span(at, m.end())
        figures.append(Figure("multiple", value, sentence[start:end], start, end, hedge=hedge))
    return sorted(figures, key=lambda f: f.start)


def _looks_like_year(m: re.Match) -> bool:
    raw = m["num"]
    return bool(re.fullmatch(r"1[89]\d\d|20\d\d", raw)) and not m["scale"]


def figures_in(text: str, kind: str) -> list[Figure]:
    """The figures of one kind in a knowledge row's text (its `figure` column)."""
    return [f for f in find_figures(text) if f.kind == kind]
