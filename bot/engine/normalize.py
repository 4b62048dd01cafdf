"""Text hygiene: cap, NFKC, strip invisible and control characters, fold for parsing."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION = 500

# Zero-width, bidi embeddings/overrides/isolates, BOM, soft hyphen and similar: they change
# what a reader sees without changing what they type (an RLO makes "6002" display as "2006").
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})


def clean(text: str, limit: int = MAX_QUESTION) -> str:
    """Safe display form of user text: capped, NFKC, invisible and control characters gone."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[:limit].rstrip()
    return text


def fold(text: str) -> str:
    """Parsing form: lower case, plain dashes/quotes, possessives and punctuation dropped."""
    text = _DASHES.sub("-", text.translate(_QUOTES)).lower()
    text = re.sub(r"(\w)'s\b", r"\1", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # kim jong-un -> kim jong un
    text = re.sub(r"(?<=\d)(st|nd|rd|th)\b", r" \1", text)  # 2nd -> 2 nd (ordinals)
    text = re.sub(r"[^\w\s%$.-]", " ", text)
    text = re.sub(r"(?<!\d)[.-]|[.-](?!\d)", " ", text)
    return _SPACES.sub(" ", text).strip()


def escape_markdown(text: str) -> str:
    """Escape Discord markdown and neutralise mentions in user text echoed back."""
    text = re.sub(r"([\\*_~`|>\[\]()#-])", r"\\\1", text)
    return text.replace("@", "@\u200b")
