"""Summaries of timing samples (nanoseconds in, milliseconds out) and growth ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not values:
        return math.nan
    k = max(0, math.ceil(q / 100 * len(values)) - 1)
    return values[min(k, len(values) - 1)]


def summary(samples_ns: Iterable[int]) -> dict:
    """n, median, p99, min and mean in milliseconds."""
    ms = sorted(s / 1e6 for s in samples_ns)
    if not ms:
        return {"n": 0, "median_ms": math.nan, "p99_ms": math.nan, "min_ms": math.nan,
                "mean_ms": math.nan}
    return {"n": len(ms), "median_ms": statistics.median(ms), "p99_ms": percentile(ms, 99),
            "min_ms": ms[0], "mean_ms": statistics.fmean(ms)}


def ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


def growth_exponent(sizes: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) against log(size): ~1 linear, ~0 logarithmic."""
    pts = [(math.log(n), math.log(t)) for n, t in zip(sizes, times, strict=True) if t > 0]
    if len(pts) < 2:
        return math.nan
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else math.nan
