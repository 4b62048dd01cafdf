"""Issue 8, secrets: .env.example holds none, the token is never taken on the command line (it
would show in the process list) nor echoed back when pasted there, and the log scan that every
Discord test runs under does see tracebacks."""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.cli import build_parser, main
from bot.config import load_settings
from tests.discord_fake.harness import LogLines, assert_no_token
from tests.discord_fake.payloads import TOKEN, TOKEN_SECRET_PART

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
# A bot token, and the long runs of key material other secrets are made of.
SECRET_SHAPES = [re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"),
                 re.compile(r"[A-Za-z0-9+/_=-]{32,}"), re.compile(r"(?i)\b[0-9a-f]{32,}\b")]


def test_env_example_holds_no_secret():
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for shape in SECRET_SHAPES:
        assert not shape.search(text), shape.pattern
    values = dotenv_values(ENV_EXAMPLE)
    assert values["DISCORD_TOKEN"] == ""
    config_source = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    for key in values:  # every line is a setting Dandong reads ...
        assert f'"{key}"' in config_source, key
    # ... and the non-secret defaults it gives load cleanly, with no token among them
    settings = load_settings({k: v for k, v in values.items() if v})
    assert settings.discord_token is None
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored  # the filled-in copy never reaches git


def _actions(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        yield parser.prog, action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _actions(sub)


def test_no_command_has_a_token_option():
    seen = list(_actions(build_parser()))
    assert len({prog for prog, _ in seen}) >= 9  # dandong and its eight subcommands
    for prog, action in seen:
        names = [action.dest or "", *action.option_strings]
        assert not any("token" in n.lower() or "secret" in n.lower() for n in names), prog


@pytest.mark.parametrize("argv", [
    ["serve", "--token", TOKEN], ["serve", f"--token={TOKEN}"], ["sync", "--token", TOKEN],
    ["--token", TOKEN, "serve"], ["digest", "--post", "--token", TOKEN], ["serve", TOKEN],
    [TOKEN],
], ids=["serve", "serve=", "sync", "before", "digest", "positional", "alone"])
def test_a_token_on_the_command_line_is_a_usage_error_and_never_echoed(argv, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("dandong") and "<token not shown>" in err
    assert_no_token(out + err)


def test_serve_with_token_option_exits_2_as_a_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DANDONG_"))}
    env.update(HOME=str(tmp_path), DANDONG_STATE_DB=str(tmp_path / "state.db"))
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--token", TOKEN],
                          cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "unrecognized arguments: --token" in done.stderr and "DISCORD_TOKEN" in done.stderr
    assert_no_token(done.stdout + done.stderr)
    assert not (tmp_path / "state.db").exists()  # refused before anything started


def test_the_log_scan_sees_messages_arguments_and_tracebacks():
    handler = LogLines()
    log = logging.getLogger("dandong.test_secrets")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)  # the Discord tests log at DEBUG too
    log.propagate = False
    try:
        log.warning("harmless line")
        assert_no_token(handler.text())
        for leak in (lambda: log.info("token %s", TOKEN_SECRET_PART),
                     lambda: log.exception("failed", exc_info=RuntimeError(f"Bot {TOKEN}"))):
            handler.lines.clear()
            leak()
            with pytest.raises(AssertionError):
                assert_no_token(handler.text())
    finally:
        log.removeHandler(handler)
        log.propagate = True
