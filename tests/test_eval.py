"""Every example question through `dandong ask --json`, with the shared checker's rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests import eval_check

CASES = [json.loads(line) for line in
         (Path(__file__).parent / "data" / "questions.jsonl").read_text().splitlines()
         if line.strip()]


@pytest.fixture(scope="module")
def dandong_cmd() -> list[str]:
    return [sys.executable, "-m", "bot.cli"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_eval_case(case, dandong_cmd, cli_env, monkeypatch):
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    ok, why, _ = eval_check.run_case(case, dandong_cmd, "2026-11-28", timeout=30)
    assert ok, why
