"""Settings: every bad value named at once; the token never shown."""

from __future__ import annotations

from datetime import time

import pytest

from bot.config import load_settings
from bot.errors import ConfigError

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345678"


def test_defaults():
    s = load_settings({})
    assert s.discord_token is None and s.digest_time == time(8, 0)


def test_all_problems_named_at_once_and_token_hidden():
    env = {"DISCORD_TOKEN": "not-a-token-secret", "DIGEST_TIME": "25:00",
           "DIGEST_TZ": "Mars/Olympus", "SHARD_COUNT": "0", "DISCORD_GUILD_IDS": "12,abc",
           "DISCORD_API_BASE": "https://discord.com/api/v10/", "LOG_LEVEL": "LOUD"}
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    msg = str(err.value)
    for key in env:
        assert key in msg
    assert "not-a-token-secret" not in msg
    assert "08:30" in msg and "Asia/Seoul" in msg


def test_token_required_for_the_bot():
    with pytest.raises(ConfigError, match="DISCORD_TOKEN: missing"):
        load_settings({}, need_token=True)


def test_valid_settings_and_repr_hides_token():
    s = load_settings({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_IDS": "1, 2", "SHARD_COUNT": "4",
                       "SHARD_IDS": "0,1", "DIGEST_TZ": "Asia/Seoul", "DIGEST_TIME": "07:45"})
    assert s.guild_ids == (1, 2) and s.shard_ids == (0, 1) and s.digest_time == time(7, 45)
    assert TOKEN not in repr(s) and TOKEN not in str(s)


def test_shard_ids_need_a_count():
    with pytest.raises(ConfigError, match="SHARD_IDS"):
        load_settings({"SHARD_IDS": "0"})
