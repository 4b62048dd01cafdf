"""`dandong digest`: print for a date (text or JSON), usage errors, preview reads state only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.cli.digest import digest_cli
from bot.config import Settings
from bot.digest.state import StateStore
from bot.errors import ConfigError, UsageError
from knowledge.build import build


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    path = tmp_path_factory.mktemp("kb") / "kb.db"
    build(path)
    return path


def run(argv, settings):
    return digest_cli(build_parser().parse_args(["digest", *argv]), settings)


def test_text_for_a_date(kb, tmp_path, capsys):
    settings = Settings(db_path=kb, state_db_path=tmp_path / "state.db")
    assert run(["--date", "2026-10-09"], settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("Daily digest: October 9, 2026")
    assert "October 9, 2006 (20 years ago): Nuclear test 1" in out
    assert not (tmp_path / "state.db").exists()  # a preview never creates state


def test_json_for_a_date(kb, tmp_path, capsys):
    settings = Settings(db_path=kb, state_db_path=tmp_path / "state.db")
    assert run(["--date", "2026-11-28", "--json"], settings) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["day"] == "2026-11-28"
    assert d["metrics"][0] == {**d["metrics"][0], "days": 3373, "since": "2017-09-03"}
    assert d["fact"]["number"] == 1


def test_preview_follows_the_channel_rotation(kb, tmp_path, capsys):
    state = StateStore(tmp_path / "state.db")
    settings = Settings(db_path=kb, state_db_path=tmp_path / "state.db", digest_channel_id=7)
    run(["--date", "2026-11-28", "--json"], settings)
    first = json.loads(capsys.readouterr().out)["fact"]["fact_id"]
    now = datetime(2026, 11, 28, tzinfo=UTC)
    state.claim(7, date(2026, 11, 28), "n", fact=(0, first), snapshot=None, now=now)
    state.finish(7, date(2026, 11, 28), "1", now)
    state.close()
    run(["--date", "2026-11-29", "--json"], settings)
    nxt = json.loads(capsys.readouterr().out)["fact"]
    assert nxt["fact_id"] != first and nxt["number"] == 2


@pytest.mark.parametrize("argv", [["digest", "--date", "2026-02-30"],
                                  ["digest", "--date", "tomorrow"]])
def test_impossible_date_exits_2(argv, capsys):
    assert main(argv) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_post_takes_no_date(kb, tmp_path):
    with pytest.raises(UsageError, match="--post"):
        run(["--post", "--date", "2026-11-28"], Settings(db_path=kb))


def test_post_needs_a_channel(kb, tmp_path):
    settings = Settings(db_path=kb, state_db_path=tmp_path / "s.db", discord_token="x")
    with pytest.raises(ConfigError, match="DIGEST_CHANNEL_ID"):
        run(["--post"], settings)


def test_post_refuses_without_writable_state(kb, capsys):
    settings = Settings(db_path=kb, state_db_path=Path("/proc/dandong/state.db"),
                        discord_token="x", digest_channel_id=7)
    assert run(["--post"], settings) == 1
    assert "could be posted twice" in capsys.readouterr().err
