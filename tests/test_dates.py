"""Date expressions: the fast path, partial dates as periods, impossible dates refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine.dates import DateProblem, find_period

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize("text,start,end", [
    ("2009", date(2009, 1, 1), date(2009, 12, 31)),  # the year, not 2009-11-28
    ("may 2009", date(2009, 5, 1), date(2009, 5, 31)),  # the month, not the 28th
    ("february 2016", date(2016, 2, 1), date(2016, 2, 29)),
    ("2016-09-09", date(2016, 9, 9), date(2016, 9, 9)),
    ("march 25 2018", date(2018, 3, 25), date(2018, 3, 25)),
    ("25 march 2018", date(2018, 3, 25), date(2018, 3, 25)),
    ("between 2000 and 2011", date(2000, 1, 1), date(2011, 12, 31)),
    ("last year", date(2025, 1, 1), date(2025, 12, 31)),
    ("3 years ago", date(2023, 1, 1), date(2023, 12, 31)),
    ("2010 year", date(2010, 1, 1), date(2010, 12, 31)),  # not year 16
])
def test_periods(text, start, end):
    p = find_period(text, TODAY)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["coal ban", "unscr 2321", "resolution 2270", "us$500 million",
                                  "80-85% share", "a to the", "march 1", "hu era"])
def test_no_period(text):
    assert find_period(text, TODAY) is None


@pytest.mark.parametrize("text,message", [
    ("february 30 2016", "not a real date"),
    ("february 30", "not a real date"),
    ("2016-02-30", "not a real date"),
    ("1850", "outside the years"),
    ("2500", "outside the years"),
    ("2028", "outside the years"),
    ("between 2011 and 2000", "runs backwards"),
])
def test_impossible_dates(text, message):
    with pytest.raises(DateProblem, match=message):
        find_period(text, TODAY)


def test_fast_path_does_not_import_dateparser():
    import subprocess
    import sys

    code = ("import sys; from datetime import date; from bot.engine.dates import find_period;"
            "find_period('visits in may 2009', date(2026, 11, 28));"
            "print('dateparser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
