"""Drawing with matplotlib (Agg, no pyplot): rows from bot.charts.data -> PNG bytes.

Only bot.charts.render_chart imports this module, inside the function, so matplotlib stays
off the `dandong ask` path. Every figure is 800 px wide with text sized to stay legible at
Discord's ~400 px preview, and states its source and as-of date in a footer.
"""

from __future__ import annotations

import io
import textwrap
from datetime import date

import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.charts import data as d
from bot.engine.sources import long_date

WIDTH_IN, DPI = 5.0, 160
TOP_IN = 0.78  # title and subtitle
# Okabe–Ito: safe for the common colour-vision deficiencies; hatching and markers double
# every colour, so colour is never the only cue.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7"
DARK_ORANGE, GREY, GRID = "#8A5D00", "#555555", "#DDDDDD"
RC = {
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": 10,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": GREY,
    "xtick.color": "#222222", "ytick.color": "#222222", "hatch.linewidth": 1.2,
}
ARTICLE_STYLE = {"color": BLUE, "edgecolor": BLUE}
LIST_STYLE = {"color": "white", "edgecolor": ORANGE, "hatch": "////", "linewidth": 1.2}
RECORD_STYLE = {"color": ORANGE, "edgecolor": DARK_ORANGE, "hatch": "////", "linewidth": 1.2}
PARTIAL_STYLE = {"color": "white", "edgecolor": ORANGE, "hatch": "....", "linewidth": 1.2}
LIST_GAP_STYLE = {"color": "white", "edgecolor": GREEN, "hatch": "xxx", "linewidth": 1.2}


def _patch(style: dict, label: str) -> Patch:
    return Patch(facecolor=style["color"], edgecolor=style["edgecolor"],
                 hatch=style.get("hatch"), label=label)


def _canvas(axes_in: float, title: str, subtitle: str, footer: str, *, left: float,
            below: float) -> tuple[Figure, tuple[float, float, float, float]]:
    """A figure with title, subtitle and footer, and the rectangle for axes `axes_in` inches
    tall with `below` inches under them for tick labels and a legend."""
    lines = textwrap.wrap(footer, 80, break_on_hyphens=False)
    foot_in = 0.08 + 0.16 * len(lines)
    height_in = TOP_IN + axes_in + below + foot_in
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    fig.text(0.03, 1 - 0.1 / height_in, title, ha="left", va="top", size=13, weight="bold")
    fig.text(0.03, 1 - 0.43 / height_in, subtitle, ha="left", va="top", size=9.5, color=GREY)
    fig.text(0.03, 0.06 / height_in, "\n".join(lines), ha="left", va="bottom", size=8,
             color=GREY, linespacing=1.25)
    bottom = foot_in + below
    return fig, (left, bottom / height_in, 0.96 - left, axes_in / height_in)


def _nothing(title: str, subtitle: str, footer: str, what: str) -> Figure:
    """The chart's frame with 'Nothing in this range' where the plot would be."""
    fig, rect = _canvas(1.3, title, subtitle, footer, left=0.03, below=0.1)
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"Nothing in this range\n{what}", ha="center", va="center", size=12,
            color=GREY, style="italic", linespacing=1.6)
    return fig


def png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # No Software chunk and no timestamps: identical input gives byte-identical files.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _range_text(start: date | None, end: date | None) -> str:
    return f"{start.isoformat() if start else '…'} to {end.isoformat() if end else '…'}"


def _grid(ax, axis: str) -> None:
    getattr(ax, f"{axis}axis").grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


# -- eras ------------------------------------------------------------------------------------
def eras(rows: list[d.EraRow], as_of: str, start: date | None, end: date | None) -> Figure:
    lists = sorted({(r.computed.label, r.computed.synthetic) for r in rows if r.computed})
    footer = (f"Source: {d.ARTICLE}, as of {long_date(as_of)}; the article weights "
              "summits. Periods without a figure are marked, not zero.")
    for label, synthetic in lists:
        footer += (f" Computed: unweighted count from imported list '{label}'"
                   f"{' (SYNTHETIC test data)' if synthetic else ''}.")
    title = "Visits per year, by leader period"
    subtitle = (f"Leader periods overlapping {_range_text(start, end)}" if start or end
                else "High-level China–North Korea visits, average a year")
    if not rows:
        return _nothing(title, subtitle, footer, "no leader period overlaps it")
    countries = list(dict.fromkeys(r.country for r in rows))
    axes_in = (0.36 if lists else 0.27) * len(rows) + 0.22 * len(countries) + 0.15
    fig, rect = _canvas(axes_in, title, subtitle, footer, left=0.37, below=0.5)
    ax = fig.add_axes(rect)
    ticks, labels, bold, y = [], [], set(), 0.0
    for country in countries:
        bold.add(len(ticks))
        ticks.append(y)
        labels.append("North Korea" if country == "DPRK" else country)
        y += 0.8
        for r in (r for r in rows if r.country == country):
            ticks.append(y)
            labels.append(f"{r.leader} {r.years}")
            _era_bars(ax, y, r, two=bool(lists))
            y += 1
        y += 0.2
    ax.set_yticks(ticks, labels, size=9)
    for i in bold:
        ax.get_yticklabels()[i].set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(y - 0.6, -0.6)
    top = max([r.article or 0 for r in rows] + [r.computed.rate for r in rows if r.computed])
    ax.set_xlim(0, max(top * (2.1 if lists else 1.45), 1))  # room for the value labels
    ax.set_xlabel("visits a year", size=9)
    _grid(ax, "x")
    handles = [_patch(ARTICLE_STYLE, f"Article, {long_date(as_of)}")]
    if lists:
        handles.append(_patch(LIST_STYLE, "Imported list, unweighted"))
    ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    return fig


def _era_bars(ax, y: float, r: d.EraRow, *, two: bool) -> None:
    if r.article is None and r.computed is None:
        ax.text(0.1, y, "no figure", va="center", size=8.5, color=GREY, style="italic")
        return
    h = 0.4 if two else 0.62
    slots = [(y - 0.21 if two else y, r.article, ARTICLE_STYLE, "")]
    if r.computed:
        slots.append((y + 0.21, r.computed.rate, LIST_STYLE,
                      f" ({r.computed.visits} in {r.computed.start[:4]}–{r.computed.end[2:4]})"))
    for yy, value, style, extra in slots:
        if value is not None:
            ax.barh(yy, value, height=h, **style)
            ax.text(value, yy, f" {d.num(value)}{extra}", va="center", size=8.5)


# -- gaps ------------------------------------------------------------------------------------
def gaps(rows: list[d.GapRow], averages, as_of: str, record_as_of: str,
         start: date | None, end: date | None) -> Figure:
    lists = sorted({(r.listed.label, r.listed.synthetic) for r in rows if r.listed})
    footer = (f"Sources: {d.ARTICLE}, as of {long_date(as_of)}; public record (first "
              f"high-level visit date minus test date), latest entry {record_as_of}. Partial: "
              "the visit is verified; that it was the first is a judgement.")
    for label, synthetic in lists:
        footer += (f" Imported list '{label}'{' (SYNTHETIC test data)' if synthetic else ''}:"
                   " days to its first visit after the test.")
    title = "Days from nuclear test to next visit"
    subtitle = (f"Tests from {_range_text(start, end)}" if start or end
                else "First high-level China–North Korea visit after each test")
    if not rows:
        return _nothing(title, subtitle, footer, "no nuclear test falls in it")
    slots = 3 if lists else 2
    fig, rect = _canvas(len(rows) * (0.4 if slots == 2 else 0.5) + 0.15, title, subtitle,
                        footer, left=0.2, below=1.05)
    ax = fig.add_axes(rect)
    top = max([r.record_days or 0 for r in rows] + [r.article_days or 0 for r in rows]
              + [r.listed.days or 0 for r in rows if r.listed] + [50])
    for i, r in enumerate(rows):
        _gap_bars(ax, i, r, top, slots)
    handles = [_patch(ARTICLE_STYLE, f"Article ({long_date(as_of)})"),
               _patch(RECORD_STYLE, "Public record"), _patch(PARTIAL_STYLE, "Record, partial")]
    if lists:
        synthetic = " (synthetic)" if any(s for _, s in lists) else ""
        handles.append(_patch(LIST_GAP_STYLE, f"Imported list{synthetic}"))
    for a, b, days in averages:
        ys = [i for i, r in enumerate(rows) if a <= r.n <= b]
        ax.plot([days, days], [ys[0] - 0.45, ys[-1] + 0.45], color=BLUE, linestyle="--",
                linewidth=1.4, zorder=1)
        handles.append(Line2D([], [], color=BLUE, linestyle="--", linewidth=1.4,
                              label=f"Article: average {days} days, tests {a}–{b}"))
    ax.set_yticks(range(len(rows)), [f"Test {r.n}\n{r.test_date[:7]}" for r in rows], size=9)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(rows) - 0.5, -0.6)
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel("days after the test", size=9)
    _grid(ax, "x")
    below_axes = -0.5 / (rect[3] * fig.get_figheight())  # 0.5 in under the axes
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.4, below_axes), ncols=2,
              fontsize=8, frameon=False, columnspacing=1.2, handlelength=1.6)
    return fig


def _gap_bars(ax, i: int, r: d.GapRow, top: float, slots: int) -> None:
    h = 0.84 / slots
    ys = [i - 0.42 + h * (k + 0.5) for k in range(slots)]
    pad = top * 0.015
    note = {"size": 8.5 if slots == 2 else 8, "va": "center", "zorder": 4,
            "bbox": {"facecolor": "white", "edgecolor": "none", "pad": 0.5}}  # masks the line
    if r.article_text:
        ax.barh(ys[0], r.article_days or 0, h * 0.92, zorder=2, **ARTICLE_STYLE)
        ax.text((r.article_days or 0) + pad, ys[0], r.article_text, color=BLUE, **note,
                style="normal" if r.article_days else "italic")
    if r.record_days is None:
        ax.text(pad, ys[1], "no figure on record", color=GREY, style="italic", **note)
    else:
        style = PARTIAL_STYLE if r.record_partial else RECORD_STYLE
        ax.barh(ys[1], r.record_days, h * 0.92, zorder=2, **style)
        ax.text(r.record_days + pad, ys[1], d.day_count(r.record_days)
                + (" (partial)" if r.record_partial else ""), **note)
    if slots == 3 and (g := r.listed):
        ax.barh(ys[2], g.days or 0, h * 0.92, zorder=2, **LIST_GAP_STYLE)
        ax.text((g.days or 0) + pad, ys[2], f"{d.day_count(g.days)} (list)" if g.days is not None
                else f"none in list through {g.through[:7]}", color="#006B4F", **note)


# -- timeline --------------------------------------------------------------------------------
LANE_STYLE = {  # lane -> marker, colour, size
    d.LANES[0]: ("X", VERMILLION, 70), d.LANES[1]: ("D", GREEN, 40),
    d.LANES[2]: ("o", BLUE, 36), d.LANES[3]: ("s", PURPLE, 40),
}


def _list_lanes(lists: list[str]) -> dict[str, str]:
    """Lane name -> its short label: 'Imported list' (numbered when several)."""
    out = {}
    for i, name in enumerate(lists, 1):
        short = f"Imported list {i}" if len(lists) > 1 else "Imported list"
        out[d.IMPORTED + name] = short + ("\n(synthetic)" if name.endswith("(synthetic)") else "")
    return out


def timeline(lo: date, hi: date, events: list[d.Event], record_as_of: str,
             lists: list[str]) -> Figure:
    lanes = d.lanes_of(events)
    footer = (f"Source: public record in the knowledge base, latest entry {record_as_of}. "
              "Visits: high-level only. Dotted lines mark the tests.")
    short = _list_lanes(lists)
    for name in lists:
        footer += f" {short[d.IMPORTED + name].splitlines()[0]}: {name}."
    if any("(synthetic)" in name for name in lists):
        footer += " Synthetic lists are TEST DATA, not a record."
    title = "Tests, visits, summits and sanctions"
    subtitle = f"China–North Korea, {_range_text(lo, hi)}"
    if not events:
        return _nothing(title, subtitle, footer, "no test, visit or sanction on record")
    fig, rect = _canvas(0.42 * len(lanes) + 0.2, title, subtitle, footer, left=0.27,
                        below=0.45)
    ax = fig.add_axes(rect)
    for y, lane in enumerate(lanes):
        _lane(ax, y, lane, [e for e in events if e.lane == lane])
    pad = max((hi - lo).days * 0.03, 5)
    ax.set_xlim(mdates.date2num(lo) - pad, mdates.date2num(hi) + pad)
    ax.set_ylim(len(lanes) - 0.5, -0.75)
    ax.set_yticks(range(len(lanes)), [short.get(ln, ln) for ln in lanes], size=8.5)
    ax.tick_params(axis="y", length=0)
    loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.tick_params(axis="x", labelsize=8.5)
    ax.spines["left"].set_visible(False)
    _grid(ax, "x")
    return fig


def _lane(ax, y: int, lane: str, shown: list[d.Event]) -> None:
    marker, color, size = LANE_STYLE.get(lane, ("|", ORANGE, 60))
    for e in shown:
        if e.until:  # a measure in force over a period, e.g. the 2017 coal ban
            ax.plot([e.day, e.until], [y, y], color=color, linewidth=4, alpha=0.6,
                    solid_capstyle="butt")
    ax.scatter([e.day for e in shown], [y] * len(shown), marker=marker, s=size, color=color,
               edgecolors="white" if marker != "|" else None,
               linewidths=0.6 if marker != "|" else 1.5, zorder=3)
    if lane == d.LANES[0]:
        for e in shown:
            ax.axvline(e.day, color=VERMILLION, linewidth=0.7, linestyle=":", zorder=1)
            ax.annotate(e.label, (e.day, y), xytext=(0, 6), textcoords="offset points",
                        ha="center", va="bottom", size=8, color=VERMILLION, weight="bold")
