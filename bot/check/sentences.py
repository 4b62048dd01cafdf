"""Text -> sentences and clauses, each with its offsets in the text it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end in a full stop without ending a sentence ("Lt. Gen. Wang", "U.S. officials").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen lt col maj capt sgt adm gov sen rep st jr sr no nos vs etc al "
    "approx est fig jan feb mar apr jun jul aug sep sept oct nov dec inc co corp ltd dept "
    "u.s u.n u.k e.g i.e a.m p.m".split()
)
# A full stop, question or exclamation mark (with closing quotes or brackets) and a space
# before what looks like the start of a sentence; or a line break.
_END = re.compile(r"""[.!?]+["'\u201d\u2019)\]]*(?=\s+[^\sa-z])"""
                  r"|\n+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
# Where one sentence holds two claims that need not share a verdict.
_CLAUSE = re.compile(r";\s+|,?\s+(?:but|while|whereas|although|though)\s+|\s+[-–—]{1,2}\s+")
_CLAUSE_AND = re.compile(_CLAUSE.pattern + r"|,?\s+and\s+(?=(?:the\s+)?[A-Z])")


@dataclass(frozen=True)
class Sentence:
    """A piece of the text and where it is: text[start:end] == self.text."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, in order, none empty; abbreviations and decimals do not end one."""
    out: list[Sentence] = []
    begin = 0
    for m in _END.finditer(text):
        stop = m.end()
        if m.group().startswith(".") and _is_abbreviation(text[begin:m.start() + 1]):
            continue
        _add(out, text, begin, stop)
        begin = stop
    _add(out, text, begin, len(text))
    return out


def split_clauses(sentence: Sentence) -> list[Sentence]:
    """A sentence cut at semicolons, dashes, 'but'/'while'/'whereas' and an 'and' that starts
    a new subject ('…, and Kim Jong Il died …'): each part is checked on its own, with the
    whole sentence as its context. '… 4.8 and 6.6, respectively' stays whole."""
    out: list[Sentence] = []
    begin = 0
    rx = _CLAUSE if "respectively" in sentence.text.lower() else _CLAUSE_AND
    for m in rx.finditer(sentence.text):
        _add(out, sentence.text, begin, m.start(), offset=sentence.start)
        begin = m.end()
    _add(out, sentence.text, begin, len(sentence.text), offset=sentence.start)
    return out or [sentence]


def _is_abbreviation(before: str) -> bool:
    m = _WORD_BEFORE.search(before)
    if not m:
        return False
    word = m[1].lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _add(out: list[Sentence], text: str, start: int, end: int, offset: int = 0) -> None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    if piece:
        s = offset + start + lead
        out.append(Sentence(piece, s, s + len(piece)))
