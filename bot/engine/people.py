"""Names as people type them -> one person: aliases in any script from people.csv, the era
leaders and the visitors on record, with a typo-tolerant fallback for long Latin names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from bot.engine.normalize import fold

# Scripts written without spaces between words: an alias there is found anywhere in the
# text (Korean particles attach to names: 김정은의), not only between word boundaries.
_UNSPACED = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3400-\u4dbf\u4e00-\u9fff]")
_MARKS = re.compile(r"[\u0300-\u036f]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
# Particles that attach to a Korean name: 왕이는, 왕이의, 왕이와 ...
_PARTICLES = ("은", "는", "이", "가", "의", "을", "를", "과", "와", "에게", "도", "께서")


def _whole_hangul(raw: str, m: re.Match) -> bool:
    before = raw[m.start() - 1] if m.start() else " "
    rest = raw[m.end():]
    after_ok = not rest or not _HANGUL.match(rest) or rest.startswith(_PARTICLES) and (
        len(rest) == 1 or not _HANGUL.match(rest[1:2]) or rest.startswith("에게"))
    return not _HANGUL.match(before) and after_ok


def plain(text: str) -> str:
    """Folded, with tone marks and breves gone: 'Xí Jìnpíng', 'Kim Chŏng-il' -> ascii-ish."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return fold(unicodedata.normalize("NFKC", _MARKS.sub("", decomposed)))


@dataclass(frozen=True)
class Person:
    name: str
    country: str | None = None       # "China" | "DPRK"
    era_id: str | None = None        # the leader's era, when the person led a country
    visitor_names: frozenset[str] = field(default_factory=frozenset)
    person_id: str | None = None
    tenure: tuple[str, str | None] | None = None  # (start, end or None) while leading

    def tenure_span(self, today: date) -> tuple[date, date] | None:
        """The leader's tenure as days, to today while in office; None for everyone else."""
        if self.tenure is None:
            return None
        start, end = self.tenure
        return date.fromisoformat(start), date.fromisoformat(end) if end else today


@dataclass(frozen=True)
class Mention:
    person: Person
    start: int                       # character span, in the folded question, or in the
    end: int                         # question as typed when `unspaced` (Hangul, characters)
    text: str
    unspaced: bool = False


class People:
    """Every name a knowledge base knows, in every form it records."""

    def __init__(self, people: Iterable, eras: Iterable, visitors: Iterable[str],
                 era_aliases: dict[str, str] | None = None):
        by_name: dict[str, dict] = {}

        def entry(name: str) -> dict:
            return by_name.setdefault(name, {"name": name, "country": None, "era_id": None,
                                             "visitors": set(), "id": None, "aliases": set(),
                                             "tenure": None})

        for p in people:
            e = entry(p.name)
            e.update(country=p.country, id=p.id)
            e["aliases"].update(a.strip() for a in (p.aliases or "").split(";") if a.strip())
        eras = list(eras)
        short: dict[str, str] = {}
        for era in eras:
            e = entry(era.leader)
            e.update(era_id=era.id, country=e["country"] or era.country,
                     tenure=(era.start_date, era.end_date))
        for alias, era_id in (era_aliases or {}).items():
            # Era aliases ('Xi', 'Hu', 'President Xi') name one leader each; short ones are
            # kept here although general aliases need four letters.
            leader = next((x.leader for x in eras if x.id == era_id), None)
            if leader:
                short[fold(alias)] = leader
        for v in visitors:
            base = v.split(" (")[0].strip()
            # 'Hu Yaobang (with Yang Shangkun)' is Hu Yaobang's visit.
            entry(base)["visitors"].add(v)
        self.persons: dict[str, Person] = {}
        self._latin: dict[str, str] = {}
        self._unspaced: dict[str, str] = {}
        for name, e in by_name.items():
            self.persons[name] = Person(name, e["country"], e["era_id"],
                                        frozenset(e["visitors"]), e["id"], e["tenure"])
            for alias in {name, *e["aliases"]}:
                if _UNSPACED.search(alias):
                    self._unspaced[alias] = name
                    continue
                for form in {fold(alias), plain(alias)}:
                    if len(form) < 4:
                        continue
                    self._latin.setdefault(form, name)
                    squashed = form.replace(" ", "")
                    if squashed != form and len(squashed) >= 6:
                        self._latin.setdefault(squashed, name)
        for form, name in short.items():
            self._latin.setdefault(form, name)
        self._latin_re = re.compile(r"\b(" + "|".join(
            re.escape(a) for a in sorted(self._latin, key=len, reverse=True)) + r")\b") \
            if self._latin else None
        self._unspaced_re = re.compile("|".join(
            re.escape(a) for a in sorted(self._unspaced, key=len, reverse=True))) \
            if self._unspaced else None
        self._fuzzy_pool = sorted(a for a in self._latin if " " in a and len(a) >= 8)

    def __contains__(self, name: str) -> bool:
        return name in self.persons

    def get(self, name: str) -> Person | None:
        return self.persons.get(name)

    def by_era(self, era_id: str) -> Person | None:
        return next((p for p in self.persons.values() if p.era_id == era_id), None)

    def words(self) -> set[str]:
        """Every word of every Latin alias, so the typo fixer leaves names alone."""
        return {w for a in self._latin for w in a.split()}

    def find(self, raw: str, folded: str, unknown: Iterable[str] = ()) -> list[Mention]:
        """People named in a question, in order; longest alias first, no overlaps. Words in
        `unknown` (not in any vocabulary) may be a misspelt name: windows holding one are
        compared with the long aliases."""
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []  # spans in the folded text

        if self._unspaced_re is not None and _UNSPACED.search(raw):
            for m in self._unspaced_re.finditer(raw):
                if len(m[0]) < 3 and _HANGUL.search(m[0]) and not _whole_hangul(raw, m):
                    continue  # 왕이 (Wang Yi) inside 왕이다 is not a name
                found.append(Mention(self.persons[self._unspaced[m[0]]], m.start(), m.end(),
                                     m[0], unspaced=True))
        for text in dict.fromkeys((folded, plain(folded))):
            if self._latin_re is None:
                break
            for m in self._latin_re.finditer(text):
                if not any(s < m.end() and m.start() < e for s, e in taken):
                    taken.append((m.start(), m.end()))
                    found.append(Mention(self.persons[self._latin[m[1]]], m.start(), m.end(),
                                         m[1]))
        unknown = set(unknown)
        if unknown:
            found += self._fuzzy(folded, unknown, taken)
        # Names as typed in Hangul or characters come after the Latin ones, in their order.
        return sorted(found, key=lambda m: (m.unspaced, m.start))

    def _fuzzy(self, folded: str, unknown: set[str], taken: list) -> list[Mention]:
        """Two- and three-word windows within two edits of one long alias, and only one."""
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import extract

        words = [(m.start(), m.end(), m[0]) for m in re.finditer(r"\S+", folded)]
        out: list[Mention] = []
        i = 0
        while i < len(words):
            hit = None
            for size in (3, 2):
                if i + size > len(words):
                    continue
                start, end = words[i][0], words[i + size - 1][1]
                window = folded[start:end]
                if len(window) < 8 or not unknown & {w[2] for w in words[i:i + size]} or any(
                        s < end and start < e for s, e in taken):
                    continue
                limit = 2 if len(window) >= 10 else 1
                picks = extract(window, self._fuzzy_pool, scorer=OSA.distance,
                                score_cutoff=limit, limit=3)
                names = {self._latin[p[0]] for p in picks}
                best = min((p[1] for p in picks), default=None)
                tied = {self._latin[p[0]] for p in picks if p[1] == best}
                if len(names) == 1 or (best is not None and len(tied) == 1):
                    hit = (next(iter(tied)), start, end, window, size)
                    break
            if hit:
                out.append(Mention(self.persons[hit[0]], hit[1], hit[2], hit[3]))
                i += hit[4]
            else:
                i += 1
        return out
