"""Charts: each kind for the shipped knowledge base, empty ranges, a synthetic imported list,
deterministic bytes, bad ranges, and matplotlib kept off the import path."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.charts import KINDS, parse_day, parse_range, render_chart, time_warm_render
from bot.cli import main
from bot.errors import UsageError
from knowledge.build import DATA_DIR, build
from knowledge.store import KnowledgeStore

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# A SYNTHETIC complete list for 2013–2016: test data only, not a record of real visits.
# Eight high-level visits in four years (2 a year) and one below the threshold.
SYNTHETIC_DAYS = ("2013-03-01", "2013-09-01", "2014-03-01", "2014-09-01", "2015-03-01",
                  "2015-09-01", "2016-02-05", "2016-06-01")


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeStore:
    path = tmp_path_factory.mktemp("charts") / "knowledge.db"
    build(path)
    return KnowledgeStore(path)


@pytest.fixture(scope="module")
def kb_synthetic(tmp_path_factory) -> KnowledgeStore:
    """The shipped data plus one synthetic imported list covering 2013-01-01..2016-12-31."""
    root = tmp_path_factory.mktemp("charts_synthetic")
    data = root / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "imports").mkdir()
    (data / "imports.csv").write_text(
        "id,label,covers_from,covers_to,file,synthetic,source_name,source_url\n"
        "synthetic_2013_2016,Synthetic 2013-16,2013-01-01,2016-12-31,synthetic.csv,1,"
        "Dandong test fixture (SYNTHETIC),\n", encoding="utf-8")
    rows = ["id,start_date,end_date,visitor,visitor_title,direction,place,summit,high_level"]
    rows += [f"syn_{i},{day},,Synthetic visitor {i},Minister,CN->KP,Pyongyang,0,1"
             for i, day in enumerate(SYNTHETIC_DAYS, 1)]
    rows.append("syn_low,2014-06-01,,Synthetic vice minister,Vice Minister,KP->CN,Beijing,0,0")
    (data / "imports" / "synthetic.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    build(root / "knowledge.db", data)
    return KnowledgeStore(root / "knowledge.db")


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    return struct.unpack(">II", png[16:24])


# -- each kind, shipped knowledge base -------------------------------------------------------
SHIPPED = [
    ("eras", ["Article (as of March 2017): Hu Jintao 6.6, Xi Jinping 1.25, "
              "Kim Jong Il 4.8, Kim Jong Un 1.8.",
              "No figure: Mao Zedong, Hua Guofeng, Deng Xiaoping, Jiang Zemin, Kim Il Sung."]),
    ("gaps", ["Test 1 (2006-10-09): article: within 11 days; record: 9 days, Tang Jiaxuan.",
              "Test 2 (2009-05-25): record: 114 days (partial), Dai Bingguo.",
              "Test 5 (2016-09-09): article: none as of March 2017; record: 434 days (partial)",
              "Test 6 (2017-09-03): record: 75 days (partial), Song Tao.",
              "Article: an average of 120 days over tests 2 to 5."]),
    ("timeline", ["Nuclear tests (6): test 1 2006-10-09", "Summits ({summits}):",
                  "Sanctions, accords ({sanctions}): 1994-10-21"]),
]


@pytest.mark.parametrize(("kind", "says"), SHIPPED)
def test_each_kind_renders_with_alt_text_that_states_the_numbers(kb, kind, says):
    chart = render_chart(kb, kind)
    width, height = png_size(chart.png)
    assert width == 800 and 300 < height < 1100
    assert len(chart.png) < 1_000_000
    summits = sum(v.summit for v in kb.visits_between(date(1945, 1, 1), date(2100, 1, 1)))
    for text in says:
        assert text.format(summits=summits, sanctions=len(kb.sanctions())) in chart.alt_text
    assert len(chart.alt_text) <= 1000  # Discord's attachment description limit is 1024
    assert chart.filename == f"dandong-{kind}.png"


def test_eras_without_a_figure_are_not_zero(kb):
    alt = render_chart(kb, "eras").alt_text
    assert "Mao Zedong 0" not in alt and "Deng Xiaoping 0" not in alt


@pytest.mark.parametrize("kind", KINDS)
def test_identical_input_gives_identical_bytes(kb, kind):
    assert render_chart(kb, kind).png == render_chart(kb, kind).png


def test_bytes_are_identical_across_processes(kb):
    """A fresh interpreter (fresh font cache state, fresh rcParams) draws the same bytes."""
    code = ("import hashlib, sys; from bot.charts import render_chart; "
            "from knowledge.store import KnowledgeStore; s = KnowledgeStore(sys.argv[1]); "
            "print(' '.join(hashlib.sha256(render_chart(s, k).png).hexdigest() "
            "for k in ('eras', 'gaps', 'timeline')))")
    out = subprocess.run([sys.executable, "-c", code, str(kb.path)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60).stdout.split()
    assert out == [hashlib.sha256(render_chart(kb, k).png).hexdigest() for k in KINDS]


# -- ranges ----------------------------------------------------------------------------------
EMPTY = [("eras", "1900", "1901"), ("gaps", "1990-01-01", "2005-12-31"),
         ("timeline", "1965-01-01", "1968-12-31")]  # the Cultural Revolution freeze: none found


@pytest.mark.parametrize(("kind", "start", "end"), EMPTY)
def test_an_empty_range_draws_nothing_in_this_range(kb, kind, start, end):
    chart = render_chart(kb, kind, start, end)
    assert png_size(chart.png)[0] == 800
    assert chart.alt_text.endswith("nothing in this range.")


def test_a_range_narrows_the_timeline_and_gaps(kb):
    alt = render_chart(kb, "timeline", "2016", "2017").alt_text
    assert alt.startswith("Timeline 2016-01-01 to 2017-12-31:")
    assert "Nuclear tests (3): test 4 2016-01-06, test 5 2016-09-09, test 6 2017-09-03." in alt
    assert "Summits" not in alt
    gaps = render_chart(kb, "gaps", date(2013, 1, 1), date(2016, 12, 31)).alt_text
    assert "Test 3" in gaps and "Test 5" in gaps and "Test 1" not in gaps and "Test 6" not in gaps


BAD_RANGES = [
    ("2019-01-01", "2018-01-01", "'from' 2019-01-01 is after 'to' 2018-01-01"),
    ("2017-02-30", None, "'2017-02-30' is not a real date: February 2017 has 28 days"),
    ("2016-02-30", None, "February 2016 has 29 days"),
    (None, "2017-13", "'2017-13' is not a real date: there is no month 13"),
    ("yesterday", None, "'yesterday' is not a date; use YYYY-MM-DD, YYYY-MM or YYYY"),
    ("2017/03/01", None, "is not a date"),
    ("0000", None, "is not a date"),
]


@pytest.mark.parametrize(("start", "end", "message"), BAD_RANGES)
def test_bad_ranges_give_a_clear_message(kb, start, end, message):
    with pytest.raises(UsageError) as err:
        render_chart(kb, "timeline", start, end)
    assert message in str(err.value) and "\n" not in str(err.value)


DAYS = [("2017", False, date(2017, 1, 1)), ("2017", True, date(2017, 12, 31)),
        ("2016-02", True, date(2016, 2, 29)), ("2016-2", False, date(2016, 2, 1)),
        (" 2006-10-09 ", True, date(2006, 10, 9))]


@pytest.mark.parametrize(("text", "end", "expected"), DAYS)
def test_parse_day(text, end, expected):
    assert parse_day(text, end=end) == expected


def test_blank_range_ends_mean_open():
    assert parse_range(" ", None) == (None, None)


def test_unknown_kind_is_a_usage_error(kb):
    with pytest.raises(UsageError, match="choose one of eras, gaps, timeline"):
        render_chart(kb, "pie")


# -- a synthetic imported list ---------------------------------------------------------------
def test_eras_adds_rates_computed_from_an_imported_list(kb_synthetic):
    alt = render_chart(kb_synthetic, "eras").alt_text
    assert ("Computed from Synthetic 2013-16 (synthetic), unweighted: "
            "Xi Jinping 2 (8 visits 2013-01-01 to 2016-12-31), "
            "Kim Jong Un 2 (8 visits 2013-01-01 to 2016-12-31).") in alt
    assert "Hu Jintao 6.6" in alt  # the article's figure stays beside the computed one


def test_gaps_adds_days_from_an_imported_list(kb_synthetic):
    alt = render_chart(kb_synthetic, "gaps").alt_text
    assert "Test 3 (2013-02-12): record: 99 days, Choe Ryong Hae; Synthetic 2013-16 " \
           "(synthetic): 17 days." in alt
    assert "Test 4 (2016-01-06): record: 146 days, Ri Su Yong; Synthetic 2013-16 " \
           "(synthetic): 30 days." in alt
    assert "(synthetic): none through 2016-12-31." in alt
    assert "Test 1 (2006-10-09): article: within 11 days; record: 9 days, Tang Jiaxuan." in alt


def test_timeline_shows_the_imported_list_in_its_own_lane(kb_synthetic):
    chart = render_chart(kb_synthetic, "timeline", "2013", "2016")
    assert "Synthetic 2013-16 (synthetic) (8): 2013-03-01" in chart.alt_text
    assert len(chart.png) < 1_000_000


# -- command line ----------------------------------------------------------------------------
def test_cli_writes_the_png_and_prints_the_alt_text(kb, tmp_path, capsys):
    out = tmp_path / "gaps.png"
    assert main(["--db", str(kb.path), "chart", "gaps", "--out", str(out)]) == 0
    assert out.read_bytes() == render_chart(kb, "gaps").png
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out} (") and "434 days (partial)" in printed


@pytest.mark.parametrize(("extra", "message"), [
    (["--from", "2017-02-30"], "dandong chart: '2017-02-30' is not a real date"),
    (["--from", "2019", "--to", "2018"], "dandong chart: 'from' 2019-01-01 is after 'to'"),
    (["--out", "chart.jpg"], "dandong chart: --out must name a .png file"),
])
def test_cli_bad_arguments_exit_2_with_one_line(kb, tmp_path, capsys, extra, message):
    args = ["--db", str(kb.path), "chart", "timeline", "--out", str(tmp_path / "t.png")]
    assert main(args + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "t.png").exists()


def test_cli_unwritable_out_exits_1(kb, tmp_path, capsys):
    out = tmp_path / "missing" / "eras.png"
    assert main(["--db", str(kb.path), "chart", "eras", "--out", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err


# -- cost ------------------------------------------------------------------------------------
def test_import_does_not_load_matplotlib():
    code = "import sys, bot.charts; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


def test_time_warm_render_reports_seconds(kb):
    assert 0 < time_warm_render(kb, "timeline", repeat=1) < 30  # measured in the bench


# -- /chart ----------------------------------------------------------------------------------
def test_chart_command_options_and_alt_text_attachment(kb):
    import discord
    from discord import app_commands

    from bot.discord.chart_cog import build_chart_command, chart_file

    command = build_chart_command(lambda: kb)
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    tree.add_command(command)
    payload = command.to_dict(tree)
    assert payload["name"] == "chart" and len(payload["description"]) <= 100
    assert [(o["name"], o["required"]) for o in payload["options"]] == [
        ("kind", True), ("from", False), ("to", False)]
    assert [c["value"] for c in payload["options"][0]["choices"]] == list(KINDS)
    chart = render_chart(kb, "eras")
    file = chart_file(chart)
    assert file.filename == "dandong-eras.png" and file.description == chart.alt_text
    assert file.fp.read() == chart.png
