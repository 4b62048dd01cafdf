"""Date expressions in questions -> periods. A fast path for the common forms; dateparser
(English only, imported lazily) for relative phrases the fast path does not know."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MIN_YEAR = 1945
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class Period:
    """An inclusive span of days, with how it was written."""

    start: date
    end: date
    label: str

    @property
    def is_day(self) -> bool:
        return self.start == self.end


class DateProblem(ValueError):
    """A date the user wrote that cannot be used; the message says why."""


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _year_ok(y: int, today: date) -> None:
    if not MIN_YEAR <= y <= today.year + 1:
        raise DateProblem(f"{y} is outside the years the knowledge base can cover "
                          f"({MIN_YEAR} to {today.year + 1})")


def _day(y: int, m: int, d: int, text: str, today: date) -> date:
    _year_ok(y, today)
    try:
        return date(y, m, d)
    except ValueError:
        raise DateProblem(f"{text!r} is not a real date") from None


_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MDY = re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?: (\d{{4}}))?\b")
_DMY = re.compile(rf"\b(\d{{1,2}}) ({_MONTH})\.?(?: (\d{{4}}))?\b")
_MY = re.compile(rf"\b({_MONTH})\.? (\d{{4}})\b")
_RANGE = re.compile(r"\b(?:between|from) (\d{4}) (?:and|to|-) (\d{4})\b|\b(\d{4}) ?- ?(\d{4})\b")
_YEAR = re.compile(r"(?<![\d.$-])(\d{4})(?![\d%-])")
_OPEN = re.compile(r"\b(since|after|from|before|until|till|prior to) (\d{4})\b(?! ?(?:and|to|-))")
_DECADE = re.compile(r"\b(?:the )?(1[89]\d|20\d)0 ?s\b")
# Resolution numbers and money are numbers, not years: "UNSCR 2321", "$500".
_NOT_DATES = re.compile(
    r"\b(?:unscr|unsc|resolution|resolutions|res|scr|no)\s*\d+\b|\$\s?\d[\d,.]*")
_RELATIVE = re.compile(r"\b(ago|yesterday|last (?:year|month|week)|this (?:year|month)|"
                       r"next (?:year|month))\b")


def find_period(folded: str, today: date) -> Period | None:
    """The first date expression in folded text as a period; DateProblem when it is impossible.

    "May 2009" is the month, "2016" the year, "2016-09-09" the day; a day without a year
    ("March 1") is not a period on its own.
    """
    folded = _NOT_DATES.sub(" ", folded)
    if m := _ISO.search(folded):
        d = _day(int(m[1]), int(m[2]), int(m[3]), m[0], today)
        return Period(d, d, d.isoformat())
    for rx, order in ((_MDY, "md"), (_DMY, "dm")):
        if (m := rx.search(folded)) and m[3]:
            mon, day = (m[1], m[2]) if order == "md" else (m[2], m[1])
            d = _day(int(m[3]), MONTHS[mon], int(day), m[0], today)
            return Period(d, d, d.isoformat())
        if m and not m[3] and int(m[2] if order == "md" else m[1]) > 31:
            continue
    if m := _MY.search(folded):
        y, mo = int(m[2]), MONTHS[m[1]]
        _year_ok(y, today)
        return Period(date(y, mo, 1), _month_end(y, mo), f"{calendar.month_name[mo]} {y}")
    for rx in (_MDY, _DMY):
        if (m := rx.search(folded)) and not m[3]:
            mon, day = (m[1], m[2]) if rx is _MDY else (m[2], m[1])
            if not 1 <= int(day) <= calendar.monthrange(2000, MONTHS[mon])[1]:
                raise DateProblem(f"{m[0]!r} is not a real date")
    if m := _RANGE.search(folded):
        a, b = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
        _year_ok(a, today)
        _year_ok(b, today)
        if a > b:
            raise DateProblem(f"the range {a} to {b} runs backwards")
        return Period(date(a, 1, 1), date(b, 12, 31), f"{a} to {b}")
    if m := _OPEN.search(folded):
        word, y = m[1], int(m[2])
        _year_ok(y, today)
        if word in ("since", "from", "after"):
            start = date(y + 1, 1, 1) if word == "after" else date(y, 1, 1)
            return Period(start, max(start, today), f"{word} {y}")
        end = date(y, 12, 31) if word in ("until", "till") else date(y - 1, 12, 31)
        return Period(date(MIN_YEAR, 1, 1), end, f"{word} {y}")
    if m := _DECADE.search(folded):
        y = int(m[1]) * 10
        _year_ok(y, today)
        return Period(date(y, 1, 1), date(y + 9, 12, 31), f"the {y}s")
    if m := _YEAR.search(folded):
        y = int(m[1])
        if 1000 <= y <= 2999:
            _year_ok(y, today)
            return Period(date(y, 1, 1), date(y, 12, 31), str(y))
    if _RELATIVE.search(folded):
        return _relative(folded, today)
    return None


def _relative(folded: str, today: date) -> Period | None:
    simple = {
        "last year": Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31),
                            str(today.year - 1)),
        "this year": Period(date(today.year, 1, 1), date(today.year, 12, 31), str(today.year)),
        "yesterday": Period(today - timedelta(days=1), today - timedelta(days=1), "yesterday"),
    }
    for phrase, period in simple.items():
        if phrase in folded:
            return period
    return parse_with_dateparser(folded, today)


def parse_with_dateparser(text: str, today: date) -> Period | None:
    """Fallback for phrases such as '3 years ago': dateparser, English only, read as a period."""
    m = re.search(r"\b(\d+|a|an|one|two|three|four|five|ten) (day|week|month|year)s? ago\b", text)
    if not m:
        return None
    from datetime import datetime, time

    from dateparser.date import DateDataParser

    parser = DateDataParser(languages=["en"], settings={
        "PREFER_DAY_OF_MONTH": "first", "PREFER_MONTH_OF_YEAR": "first",
        "RELATIVE_BASE": datetime.combine(today, time(12)), "RETURN_TIME_AS_PERIOD": False,
    })
    data = parser.get_date_data(m[0])
    if data is None or data.date_obj is None:
        return None
    d = data.date_obj.date()
    _year_ok(d.year, today)
    unit = m[2]
    if unit == "year":
        return Period(date(d.year, 1, 1), date(d.year, 12, 31), m[0])
    if unit == "month":
        return Period(date(d.year, d.month, 1), _month_end(d.year, d.month), m[0])
    return Period(d, d, m[0])


@dataclass(frozen=True)
class DateMention:
    """A date expression as written: a day, a month, a year, a span of years, or a day of a
    month with no year ('March 1', kept as precision 'monthday' on the year 2000)."""

    period: Period
    precision: str  # day, month, year, range, monthday

    def matches(self, iso: str) -> bool:
        """Whether a row's date (YYYY, YYYY-MM or YYYY-MM-DD) agrees at the precision written."""
        if self.precision == "monthday":
            return len(iso) == 10 and iso[5:] == self.period.start.isoformat()[5:]
        start, end = self.period.start.isoformat(), self.period.end.isoformat()
        if len(iso) < 10:  # the row knows only the month or year: compare at that precision
            return start[:len(iso)] <= iso <= end[:len(iso)]
        return start <= iso <= end


def find_periods(folded: str, today: date) -> list[DateMention]:
    """Every date expression in folded text, in order; impossible ones are left out."""
    folded = _NOT_DATES.sub(" ", folded)
    found: list[tuple[int, int, DateMention]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or b <= s for a, b, _ in found)

    def add(m: re.Match, mention: DateMention) -> None:
        found.append((m.start(), m.end(), mention))

    for m in _ISO.finditer(folded):
        try:
            d = _day(int(m[1]), int(m[2]), int(m[3]), m[0], today)
        except DateProblem:
            continue
        add(m, DateMention(Period(d, d, d.isoformat()), "day"))
    for rx, order in ((_MDY, "md"), (_DMY, "dm")):
        for m in rx.finditer(folded):
            if not free(m.start(), m.end()):
                continue
            mon, day = (m[1], m[2]) if order == "md" else (m[2], m[1])
            if not 1 <= int(day) <= 31:
                continue
            try:
                if m[3]:
                    d = _day(int(m[3]), MONTHS[mon], int(day), m[0], today)
                    add(m, DateMention(Period(d, d, d.isoformat()), "day"))
                else:
                    d = date(2000, MONTHS[mon], int(day))
                    add(m, DateMention(Period(d, d, f"{calendar.month_name[d.month]} "
                                                    f"{d.day}"), "monthday"))
            except (DateProblem, ValueError):
                continue
    for m in _MY.finditer(folded):
        if free(m.start(), m.end()) and MIN_YEAR <= int(m[2]) <= today.year + 1:
            y, mo = int(m[2]), MONTHS[m[1]]
            add(m, DateMention(Period(date(y, mo, 1), _month_end(y, mo),
                                      f"{calendar.month_name[mo]} {y}"), "month"))
    for m in _RANGE.finditer(folded):
        a, b = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
        if free(m.start(), m.end()) and MIN_YEAR <= a <= b <= today.year + 1:
            add(m, DateMention(Period(date(a, 1, 1), date(b, 12, 31), f"{a} to {b}"), "range"))
    for m in _YEAR.finditer(folded):
        y = int(m[1])
        if free(m.start(), m.end()) and MIN_YEAR <= y <= today.year + 1:
            add(m, DateMention(Period(date(y, 1, 1), date(y, 12, 31), str(y)), "year"))
    return [mention for _, _, mention in sorted(found, key=lambda t: t[0])]
