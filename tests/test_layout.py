"""The layout is the pipeline: imports run one way (front ends -> engine/digest -> knowledge),
there are no cycles, and the engine, digest and charts never import discord or argparse."""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("bot", "knowledge")
# Lower layers first; a module may import only its own layer or a lower one.
LAYERS = (
    ("knowledge",),
    ("bot.errors", "bot.config"),
    ("bot.engine", "bot.check"),
    ("bot.digest", "bot.charts"),
    ("bot.cli", "bot.discord"),
)
NO_FRONT_END_IMPORTS = ("bot.engine", "bot.check", "bot.digest", "bot.charts", "knowledge")
FRONT_END_LIBRARIES = ("discord", "argparse")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True)


def _ours(graph) -> list[str]:
    return sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)


def _layer(module: str) -> int:
    for i, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return i
    return len(LAYERS)  # the bot package itself


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    mods = _ours(graph)
    edges = {m: sorted(x for x in graph.find_modules_directly_imported_by(m) if x in mods)
             for m in mods}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in mods:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on_stack.add(v)
            if i < len(edges[v]):
                work.append((v, i + 1))
                w = edges[v][i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            for w in edges[v]:
                if w in on_stack:
                    low[v] = min(low[v], low[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycles(graph):
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    g = grimp.ImportGraph()
    for a, b in (("bot.a", "bot.b"), ("bot.b", "bot.c"), ("bot.c", "bot.a"), ("bot.c", "bot.d")):
        g.add_import(importer=a, imported=b)
    assert _cycles(g) == [["bot.a", "bot.b", "bot.c"]]


@pytest.mark.parametrize("package", NO_FRONT_END_IMPORTS)
def test_pure_stages_never_import_front_end_libraries(graph, package):
    offenders = []
    for m in _ours(graph):
        if m == package or m.startswith(package + "."):
            for x in graph.find_modules_directly_imported_by(m):
                if x.split(".")[0] in FRONT_END_LIBRARIES:
                    offenders.append(f"{m} imports {x}")
    assert offenders == []


def test_imports_run_one_way(graph):
    upward = []
    for m in _ours(graph):
        for x in graph.find_modules_directly_imported_by(m):
            if x.split(".")[0] in PACKAGES and _layer(x) > _layer(m):
                upward.append(f"{m} imports {x}")
    assert upward == []


def test_every_module_has_a_layer(graph):
    assert [m for m in _ours(graph) if _layer(m) == len(LAYERS) and m != "bot"] == []
