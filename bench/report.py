"""results.json -> the verdict on each target and a Markdown report (the tables in
BENCHMARKS.md come from here)."""

from __future__ import annotations

import math

ONE_MILLION = 1_000_000
FLAT_MB = 5.0  # RSS growth from the first 1,000 answers to the last that still counts as flat


def ms(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x < 1:
        return f"{x:.3f}"
    return f"{x:.2f}" if x < 100 else f"{x:,.0f}"


def times(x: float) -> str:
    return "–" if x is None or math.isnan(x) or math.isinf(x) else f"{x:.1f}×"


def _largest(results: dict) -> dict | None:
    sizes = results.get("scale", {}).get("sizes", {})
    return sizes.get(str(ONE_MILLION))


def _row(name, target, value, ok, note=""):
    return {"name": name, "target": target, "value": value, "ok": ok, "note": note}


def targets(results: dict) -> list[dict]:
    """Each target of issue 7 with what was measured and whether it was met (None: not
    measured in this run)."""
    sh = results["shipped"]
    overall = sh["by_intent"]["overall"]
    rows = [
        _row("engine p99, shipped knowledge base", "≤ 2 ms", f"{ms(overall['p99_ms'])} ms",
             overall["p99_ms"] <= 2),
        _row("engine median ÷ raw-SQL median", "≤ 20×", times(sh["engine_to_sql"]),
             sh["engine_to_sql"] <= 20),
    ]
    if "api_to_engine" in sh:
        rows.append(_row("bot.engine.ask() median ÷ Engine.ask median", "≤ 1.5×",
                         times(sh["api_to_engine"]), sh["api_to_engine"] <= 1.5,
                         f"{ms(sh['api_overall']['median_ms'])} vs "
                         f"{ms(overall['median_ms'])} ms"))
    if "composed_to_simple" in sh:
        rows.append(_row("composed questions median ÷ simple questions median", "≤ 2×",
                         times(sh["composed_to_simple"]), sh["composed_to_simple"] <= 2,
                         f"{ms(sh['composed']['overall']['median_ms'])} vs "
                         f"{ms(overall['median_ms'])} ms"))
    if "datasette_to_engine" in sh:
        rows.append(_row("Datasette round trip ÷ engine (medians)", "≥ 5×",
                         times(sh["datasette_to_engine"]), sh["datasette_to_engine"] >= 5))
    else:
        rows.append(_row("Datasette round trip ÷ engine (medians)", "≥ 5×", "–", None,
                         sh["datasette"].get("skipped", "")))
    chk = sh.get("check")
    if chk:
        med = chk["timing"]["median_ms"]
        rows.append(_row(f"fact-check a {chk['words']:,}-word draft, warm median", "≤ 50 ms",
                         f"{ms(med)} ms", med <= 50,
                         f"p99 {ms(chk['timing']['p99_ms'])} ms; {chk['claims']} claims"))
    big = _largest(results)
    if big:
        p99 = big["by_intent"]["overall"]["p99_ms"]
        rows.append(_row("engine p99 at 1M visits", "≤ 5 ms", f"{ms(p99)} ms", p99 <= 5))
        rows.append(_row("build with 1M visits", "≤ 30 s", f"{big['build_s']:.1f} s",
                         big["build_s"] <= 30))
    else:
        sizes = ", ".join(results.get("scale", {}).get("sizes", {})) or "none"
        for name, target in (("engine p99 at 1M visits", "≤ 5 ms"),
                             ("build with 1M visits", "≤ 30 s")):
            rows.append(_row(name, target, "–", None, f"not measured: sizes run were {sizes}"))
    bot = results.get("bot", {})
    mem = bot.get("memory")
    if mem:
        peak = max(s["rss_kb"] for s in mem["rss"]) / 1024
        rows.append(_row("bot RSS, highest sample", "≤ 120 MB", f"{peak:.1f} MB", peak <= 120))
        warm = mem["rss"][1] if len(mem["rss"]) > 1 else mem["rss"][0]
        grew = (mem["rss"][-1]["rss_kb"] - warm["rss_kb"]) / 1024
        rows.append(_row(f"bot RSS growth, {warm['answers']:,} → {mem['rss'][-1]['answers']:,} "
                         "answers", f"flat (≤ {FLAT_MB:g} MB)", f"{grew:+.1f} MB",
                         grew <= FLAT_MB))
    else:
        why = bot.get("skipped", "not measured")
        rows.append(_row("bot RSS, highest sample", "≤ 120 MB", "–", None, why))
        rows.append(_row("bot RSS growth over 10,000 answers", "flat", "–", None, why))
    return rows


# -- Markdown ----------------------------------------------------------------------------------
def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _verdict(ok) -> str:
    return "met" if ok else ("not measured" if ok is None else "**missed**")


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmark report", "",
             f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, {m['os']}; "
             f"Python {m['python']}, SQLite {m['sqlite']}.  ",
             f"Command: `{results['command']}`; {results['questions']} questions; "
             f"run took {results.get('elapsed_s', 0):.0f} s.", "", "## Targets", ""]
    lines += _table(["target", "goal", "measured", "verdict", "note"],
                    [[t["name"], t["target"], t["value"], _verdict(t["ok"]), t["note"]]
                     for t in results["targets"]])
    lines += _shipped(results["shipped"])
    lines += _check(results["shipped"].get("check"))
    lines += _cold(results.get("cold_start", {}))
    lines += _bot(results.get("bot", {}))
    lines += _scale(results.get("scale", {}))
    return "\n".join(lines)


def _check(chk: dict | None) -> list[str]:
    if not chk:
        return []
    t, h = chk["timing"], chk["heldout"]
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(chk["verdicts"].items()))
    lines = ["## Fact-check: a 2,000-word draft", ""]
    lines += _table(["words", "claims found", "rounds", "median ms", "p99 ms", "min ms"],
                    [[f"{chk['words']:,}", chk["claims"], t["n"], ms(t["median_ms"]),
                      ms(t["p99_ms"]), ms(t["min_ms"])]])
    lines += [f"Verdicts in the draft: {verdicts}. Held-out claims "
              f"(`python -m bench.check_accuracy`): {h['right']}/{h['total']} right "
              f"({h['accuracy']:.0%}), false 'supported': {h['false_supported']}.", ""]
    return lines


def _shipped(sh: dict) -> list[str]:
    lines = [f"## 1. Engine latency, shipped knowledge base ({sh['rounds']} rounds, warm)", ""]
    lines += _table(["intent", "questions", "median ms", "p99 ms"],
                    [[i, s["questions"], ms(s["median_ms"]), ms(s["p99_ms"])]
                     for i, s in sh["by_intent"].items() if i != "overall"]
                    + [["**overall**", sh["by_intent"]["overall"]["questions"],
                        ms(sh["by_intent"]["overall"]["median_ms"]),
                        ms(sh["by_intent"]["overall"]["p99_ms"])]])
    ds = sh["datasette"]
    lines += ["## 2. The same facts: engine, hand-written SQL (sqlite3), Datasette JSON API", ""]
    if "skipped" in ds:
        lines += [f"Datasette {ds['skipped']}.", ""]
    header = ["question", "intent", "engine ms", "SQL ms", "engine ÷ SQL"]
    if "overall" in ds:
        header += ["Datasette ms", "Datasette ÷ engine"]
    rows = []
    for q, r in sh["questions"].items():
        e, s = r["engine"]["median_ms"], r["sql"]["median_ms"]
        row = [q, r["intent"], ms(e), ms(s), times(e / s)]
        if "datasette" in r:
            row += [ms(r["datasette"]["median_ms"]), times(r["datasette"]["median_ms"] / e)]
        rows.append(row)
    e, s = sh["by_intent"]["overall"]["median_ms"], sh["sql_overall"]["median_ms"]
    total = ["**all (medians)**", "", ms(e), ms(s), times(e / s)]
    if "overall" in ds:
        total += [ms(ds["overall"]["median_ms"]), times(ds["overall"]["median_ms"] / e)]
    lines += _table(header, rows + [total])
    if "overall" in ds:
        lines += [f"Datasette started in {ds['start_s']:.2f} s; its table API "
                  f"(`/knowledge/facts.json?id=rate_hu&_shape=array`) took "
                  f"{ms(ds['table_api_rate_hu']['median_ms'])} ms (median). Row counts that "
                  f"differ from sqlite3's: {ds['row_count_mismatches'] or 'none'}.", ""]
    return lines


def _cold(cold: dict) -> list[str]:
    if not cold:
        return []
    lines = ["## 3a. Cold start (fresh process, median of runs)", ""]
    lines += _table(["command", "runs", "median ms", "min ms"],
                    [[f"`{k}`", v["n"], ms(v["median_ms"]), ms(v["min_ms"])]
                     for k, v in cold.items()])
    return lines


def _bot(bot: dict) -> list[str]:
    lines = ["## 3b and 5. Discord bot against the loopback stand-in", ""]
    if "skipped" in bot or not bot:
        return lines + [bot.get("skipped", "not measured"), ""]
    lines += _table(["from process start to", "runs", "median s", "min s"], [
        [label, bot[key]["n"], f"{bot[key]['median_ms'] / 1000:.2f}",
         f"{bot[key]['min_ms'] / 1000:.2f}"]
        for label, key in (
            ("gateway IDENTIFY (READY is sent in reply)", "identify_s"),
            ("on_ready (discord.py first waits guild_ready_timeout, 2 s, for more guilds)",
             "on_ready_s"))])
    mem = bot.get("memory")
    if mem:
        lines += _table(["answers", "RSS MB"],
                        [[f"{s['answers']:,}" + (" (after READY)" if not s["answers"] else ""),
                          f"{s['rss_kb'] / 1024:.1f}"] for s in mem["rss"]])
        rt = mem["round_trip"]
        lines += [f"{mem['answers']:,} answers at {mem['answers_per_s']:.0f} a second "
                  f"(failures: {mem['failures']}); question → reply through the stand-in, one at "
                  f"a time: median {ms(rt['median_ms'])} ms, p99 {ms(rt['p99_ms'])} ms.", ""]
    return lines


def _scale(sc: dict) -> list[str]:
    sizes = sc.get("sizes", {})
    if not sizes:
        return []
    lines = ["## 4. Scale: synthetic visit lists", ""]
    lines += _table(["visits", "build s", "file MB", "first answer ms (open + parser)",
                     "engine median ms", "engine p99 ms"],
                    [[f"{s['visits']:,}", f"{s['build_s']:.2f}", f"{s['file_bytes'] / 1e6:.1f}",
                      ms(s["first_answer_s"] * 1000), ms(s["by_intent"]["overall"]["median_ms"]),
                      ms(s["by_intent"]["overall"]["p99_ms"])] for s in sizes.values()])
    keys = list(sizes)
    intents = [i for i in next(iter(sizes.values()))["by_intent"] if i != "overall"]
    intents.append("overall")
    lines += ["Engine latency per intent, median / p99 ms:", ""]
    lines += _table(["intent", *[f"{int(k):,}" for k in keys]],
                    [[i, *[f"{ms(sizes[k]['by_intent'][i]['median_ms'])} / "
                           f"{ms(sizes[k]['by_intent'][i]['p99_ms'])}"
                           if i in sizes[k]["by_intent"] else "–" for k in keys]]
                     for i in intents])
    g = sc.get("growth")
    if g:
        lines += [f"Growth from {g['from']:,} to {g['to']:,} visits: a logarithmic cost would "
                  f"grow {g['log_ratio']:.2f}×, a linear one {g['linear_ratio']:,.0f}×. "
                  "Exponent: slope of log(time) on log(size) over all sizes (0 ≈ constant or "
                  "logarithmic, 1 = linear).", ""]
        lines += _table(["lookup", *[f"{int(k):,} ms" for k in keys], "ratio", "exponent"],
                        [[name, *[ms(t) for t in v["median_ms"]], times(v["ratio"]),
                          f"{v['exponent']:.2f}"] for name, v in g["lookups"].items()])
    return lines
