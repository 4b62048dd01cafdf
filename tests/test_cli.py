"""The command line: exit codes, JSON contract, console, build, and help for every command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import build_parser


def run(args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=60)


def test_ask_json_contract(cli_env):
    p = run(["ask", "--json", "--today", "2026-11-28", "days since the last nuclear test"],
            cli_env)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert {"question", "intent", "found", "answer", "values", "sources", "suggestions",
            "as_of"} <= set(d)
    assert d["values"]["days"] == 3373 and d["as_of"] == "2026-11-28"


def test_ask_text_has_figure_then_sources(cli_env):
    p = run(["ask", "visits in Hu era"], cli_env)
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0].startswith("6.6 ")
    assert "Sources:" in lines and "As of March 2017." in lines


def test_not_found_still_exits_zero(cli_env):
    p = run(["ask", "--json", "weather in Pyongyang"], cli_env)
    assert p.returncode == 0 and json.loads(p.stdout)["found"] is False


@pytest.mark.parametrize("args,message", [
    (["ask"], "the question is empty"),
    (["ask", "   "], "the question is empty"),
    (["ask", "--today", "2026-02-30", "coal ban"], "not a real date"),
    (["ask", "--today", "tomorrow", "coal ban"], "not a real date"),
    (["chart", "pie", "--out", "x.png"], "invalid choice"),
    (["nonsense-command"], ""),
])
def test_usage_errors_exit_2_with_one_line(cli_env, args, message):
    p = run(args, cli_env)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr + p.stdout


def test_missing_knowledge_base_names_build(cli_env, tmp_path):
    env = dict(cli_env, DANDONG_DB=str(tmp_path / "nowhere" / "kb.db"),
               DANDONG_DATA_DIR=str(tmp_path / "no-data"))
    p = run(["ask", "coal ban"], env)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr


def test_corrupt_knowledge_base_is_refused_with_advice(cli_env, tmp_path):
    bad = tmp_path / "kb.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    import os

    os.utime(bad, (2**31, 2**31))  # newer than the data files, so no automatic rebuild
    p = run(["ask", "coal ban"], dict(cli_env, DANDONG_DB=str(bad)))
    assert p.returncode == 1
    assert "dandong build" in p.stderr and "Traceback" not in p.stderr


def test_console_answers_lines_until_eof(cli_env):
    p = run(["console", "--today", "2026-11-28"], cli_env,
            stdin="visits in Hu era\n\nhelp\ndays since the last test\nquit\n")
    assert p.returncode == 0
    assert "6.6 high-level visits a year" in p.stdout
    assert "3,373 days since" in p.stdout
    assert "Examples:" in p.stdout


def test_console_fact_checks_a_pasted_paragraph_and_check_lines(cli_env):
    p = run(["console", "--today", "2026-12-02"], cli_env, stdin=(
        "Kim Jong Un has averaged 2.5 visits per year. Li Qiang visited Pyongyang in "
        "October 2025.\ncheck: There have been five Kim-Xi summits.\nlast Kim-Xi summit\n"))
    assert p.returncode == 0
    assert "Contradicted: 2 claims checked (1 contradicted, 1 supported)." in p.stdout
    assert "❌ Contradicted: “There have been five Kim-Xi summits.”" in p.stdout
    assert "Understood: summits · Xi Jinping · last" in p.stdout  # a question is still asked


def test_no_arguments_starts_the_console(cli_env):
    p = run([], cli_env, stdin="coal ban\n")
    assert p.returncode == 0 and "February 18, 2017" in p.stdout


def test_build_command_reports_row_counts(cli_env, tmp_path):
    p = run(["build", "--db", str(tmp_path / "kb.db")], cli_env)
    assert p.returncode == 0
    assert "facts" in p.stdout and "59" in p.stdout
    assert (tmp_path / "kb.db").exists()


@pytest.mark.parametrize("argv", [["ask", "visits in Hu era"],
                                  ["check", "Xi Jinping came to power in 2012."]])
def test_ask_path_imports_no_heavy_modules(cli_env, argv):
    code = (f"import sys; from bot.cli import main; main({argv!r});"
            "heavy = [m for m in ('discord', 'matplotlib', 'dateparser', 'aiohttp') "
            "if m in sys.modules]; print('HEAVY', heavy)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=cli_env, timeout=60)
    assert "HEAVY []" in p.stdout, p.stdout + p.stderr


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_help(name):
    sub = _subcommands()[name]
    assert sub.description and len(sub.description) > 10
    for action in sub._actions:
        if action.dest not in ("help", "db"):
            assert action.help, f"{name} {action.dest} has no help"


def test_readme_documents_every_command():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in _subcommands():
        assert f"dandong {name}" in readme, name
