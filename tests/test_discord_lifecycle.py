"""The bot's life: gateway drops and re-identifies, sharding, syncing only when the tree
changed, starting with backoff, refusing bad tokens, and a clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.discord import run
from bot.discord.commands import Catalog
from bot.errors import ConfigError
from tests.discord_fake import harness
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import TEST_CATALOG, assert_no_token, env_for, run_bot

# fixtures from the harness
fake_discord = harness.fake_discord
log_lines = harness.log_lines
scripted = harness.scripted
settings = harness.settings

ROOT = Path(__file__).resolve().parent.parent
GUILD_COMMANDS = rf"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands"
GLOBAL_COMMANDS = rf"/applications/{p.APP_ID}/commands"
OTHER_TOKEN = "MTExMTExMTExMTExMTExMTEx.AbCdEf.b3RoZXItdG9rZW4tdGhhdC1kaXNjb3JkLXJlZnVzZXM"


async def _session_open(fake, event: str, n: int) -> None:
    # The stand-in records an IDENTIFY or RESUME frame before it opens the session, so
    # dispatching right after seeing the frame can find no session; READY/RESUMED come after.
    await fake.wait_for(lambda r: r.kind == "dispatch" and r.path == event and len(
        fake.find(lambda x: x.kind == "dispatch" and x.path == event)) >= n, timeout=15)


async def ask_and_wait(fake, question="coal ban"):
    return await fake.reply_to(await fake.slash("ask", question=question))


def test_gateway_close_mid_session_resumes_and_still_answers(fake_discord, settings):
    async def scenario(bot):
        await ask_and_wait(fake_discord)
        await fake_discord.close_gateway(code=4000)
        resume = await fake_discord.wait_for(lambda r: r.kind == "ws" and r.op == 6)
        await _session_open(fake_discord, "RESUMED", 1)
        return resume, await ask_and_wait(fake_discord)

    resume, reply = run_bot(settings, scenario)
    assert resume.body["token"] == "<valid>" and resume.body["seq"] >= 2
    assert len(fake_discord.ops(2)) == 1  # resumed, not identified again
    assert len(fake_discord.find(lambda r: r.kind == "ws-connect")) == 2
    assert reply.body["data"]["embeds"][0]["title"] == "coal ban"


def test_invalid_session_identifies_again_and_still_answers(fake_discord, settings):
    # discord.py waits 5 s before a second IDENTIFY (Discord's identify rate limit).
    fake_discord.reject_resume = True

    async def scenario(bot):
        await fake_discord.close_gateway(code=4000)
        await fake_discord.wait_for(lambda r: r.kind == "ws" and r.op == 6)
        await fake_discord.wait_for(lambda r: len(fake_discord.ops(2)) == 2, timeout=15)
        await _session_open(fake_discord, "READY", 2)
        return await ask_and_wait(fake_discord)

    reply = run_bot(settings, scenario)
    # after an invalid session the client reconnects to DEFAULT_GATEWAY: ours, not Discord's
    assert len(fake_discord.find(lambda r: r.kind == "ws-connect")) == 3
    assert reply.body["data"]["embeds"][0]["title"] == "coal ban"


def test_gateway_from_api_base_heartbeats_and_compression(fake_discord, settings):
    async def scenario(bot):
        await fake_discord.wait_for(lambda r: r.kind == "ws" and r.op == 1)
        return bot.latency

    latency = run_bot(settings, scenario)
    assert fake_discord.http("GET", "/gateway/bot")
    (connect,) = fake_discord.find(lambda r: r.kind == "ws-connect")
    assert connect.query["compress"] in ("zlib-stream", "zstd-stream")  # asked; got plain text
    assert connect.query["v"] == "10"
    assert 0 <= latency < 1


def test_shards_from_settings(fake_discord, tmp_path):
    shard = (p.GUILD_ID >> 22) % 2
    settings = load_settings(env_for(fake_discord, tmp_path, SHARD_COUNT="2",
                                     SHARD_IDS=str(shard)))

    async def scenario(bot):
        return type(bot).__name__, await ask_and_wait(fake_discord)

    kind, reply = run_bot(settings, scenario)
    assert kind == "ShardedDandongBot"
    (identify,) = fake_discord.ops(2)
    assert identify.body["shard"] == [shard, 2]
    assert reply.body["data"]["embeds"][0]["title"] == "coal ban"


def _synced_scopes(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT scope FROM command_sync ORDER BY scope")]


def test_tree_is_synced_to_guilds_only_when_changed(fake_discord, settings):
    async def idle(bot):
        await asyncio.sleep(0)

    run_bot(settings, idle)
    assert len(fake_discord.http("PUT", GUILD_COMMANDS)) == 1
    run_bot(settings, idle)  # same tree: no sync
    assert len(fake_discord.http("PUT", GUILD_COMMANDS)) == 1
    changed = Catalog(eras=("Hu Jintao", "Xi Jinping"), source_ids=TEST_CATALOG.source_ids)
    run_bot(settings, idle, catalog=changed)
    puts = fake_discord.http("PUT", GUILD_COMMANDS)
    assert len(puts) == 2
    visits = next(c for c in puts[1].body if c["name"] == "visits")
    assert [c["value"] for c in visits["options"][0]["choices"]] == ["Hu Jintao", "Xi Jinping"]
    assert not fake_discord.http("PUT", GLOBAL_COMMANDS)
    assert _synced_scopes(settings.state_db_path) == [f"guild:{p.GUILD_ID}"]
    with sqlite3.connect(settings.state_db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_tree_is_synced_globally_without_guild_ids(fake_discord, tmp_path):
    settings = load_settings(env_for(fake_discord, tmp_path, DISCORD_GUILD_IDS=""))

    async def idle(bot):
        await asyncio.sleep(0)

    run_bot(settings, idle)
    run_bot(settings, idle)
    assert len(fake_discord.http("PUT", GLOBAL_COMMANDS)) == 1
    assert not fake_discord.http("PUT", GUILD_COMMANDS)
    assert _synced_scopes(settings.state_db_path) == ["global"]


def test_sync_on_demand_with_the_real_knowledge_base(fake_discord, tmp_path, kb_path,
                                                     log_lines):
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path)))
    assert run.sync(settings) == 0
    assert run.sync(settings) == 0  # unchanged: nothing sent
    assert len(fake_discord.http("PUT", GUILD_COMMANDS)) == 1
    assert "unchanged since the last sync" in log_lines.text()
    assert run.sync(settings, force=True) == 0
    puts = fake_discord.http("PUT", GUILD_COMMANDS)
    assert len(puts) == 2
    visits = next(c for c in puts[0].body if c["name"] == "visits")
    assert "Hu Jintao" in [c["value"] for c in visits["options"][0]["choices"]]
    assert not fake_discord.find(lambda r: r.kind == "ws-connect")  # REST only


def _serve_in_process(settings: Settings, **kwargs) -> int:
    return run.serve(settings, answer=harness.ScriptedEngine(), catalog=TEST_CATALOG,
                     tuning=harness.FAST, **kwargs)


def test_rejected_token_stops_at_once_without_showing_it(fake_discord, tmp_path, log_lines):
    settings = load_settings(env_for(fake_discord, tmp_path, DISCORD_TOKEN=OTHER_TOKEN))
    started = time.monotonic()
    assert _serve_in_process(settings, backoff=run.Backoff(base=5)) == 1
    assert time.monotonic() - started < 5  # no retry: a refused token stays refused
    assert len(fake_discord.http("GET", "/users/@me")) == 1
    text = log_lines.text()
    assert "Discord rejected DISCORD_TOKEN (401 Unauthorized)" in text
    assert OTHER_TOKEN not in text and OTHER_TOKEN.rsplit(".", 1)[1] not in text


def test_failed_starts_back_off(fake_discord, settings, log_lines):
    fake_discord.fail_next("GET", "/users/@me", 400, {"message": "Bad", "code": 0}, times=3)
    backoff = run.Backoff(base=0.2, rng=random.Random(7))
    assert _serve_in_process(settings, backoff=backoff, max_starts=3) == 1
    tries = [r.at for r in fake_discord.http("GET", "/users/@me")]
    assert len(tries) == 3
    first_wait, second_wait = tries[1] - tries[0], tries[2] - tries[1]
    assert first_wait >= 0.1 and second_wait >= 0.2  # base·2ⁿ, jittered by 0.5–1
    assert "starting again in" in log_lines.text()
    assert "giving up after 3 failed starts" in log_lines.text()


def test_serve_refuses_to_start_without_a_token(tmp_path):
    settings = load_settings({"DANDONG_STATE_DB": str(tmp_path / "s.db")})
    with pytest.raises(ConfigError, match="DISCORD_TOKEN: missing"):
        run.serve(settings)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN: missing"):
        run.sync(settings)


@pytest.mark.parametrize(
    ("token", "message"),
    [("", "DISCORD_TOKEN: missing"),
     ("not-a-token-s3cr3t-value", "DISCORD_TOKEN: does not look like a bot token")],
)
def test_cli_refuses_a_missing_or_malformed_token(tmp_path, token, message):
    env = _subprocess_env(tmp_path, DISCORD_TOKEN=token)
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert message in done.stderr
    assert "s3cr3t" not in done.stdout + done.stderr


def _subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DANDONG_"))}
    env.update({"PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
                "DANDONG_STATE_DB": str(tmp_path / "state.db")})
    env.update(extra)
    return env


def _wait_for_file(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():  # a file in another process: nothing to await but the file
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def test_sigterm_finishes_the_reply_in_flight_and_exits_0(fake_discord, tmp_path):
    marker = tmp_path / "answering"
    env = _subprocess_env(tmp_path, **env_for(fake_discord, tmp_path),
                          DANDONG_TEST_SLOW_MARKER=str(marker))
    proc = subprocess.Popen([sys.executable, "-m", "tests.discord_fake.serve_app"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        fake_discord.wait_session_sync(timeout=30)
        sent = asyncio.run(fake_discord.slash("ask", question="slow please"))
        _wait_for_file(marker, timeout=10)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    reply = fake_discord.find(lambda r: r.kind == "http" and r.path.startswith(
        f"/interactions/{sent['id']}/"))
    assert [r.status for r in reply] == [200]
    assert reply[0].body["data"]["embeds"][0]["description"] == "A slow but complete answer."
    assert "finishing 1 repl(ies) in flight" in err and "Dandong stopped" in err
    assert_no_token(out + err)


def test_cli_serve_answers_from_the_real_engine_then_stops_on_sigterm(fake_discord, tmp_path,
                                                                      kb_path):
    env = _subprocess_env(tmp_path, **env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path)))
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        fake_discord.wait_session_sync(timeout=60)
        sent = asyncio.run(fake_discord.slash("visits", era="Hu Jintao"))
        reply = asyncio.run(fake_discord.reply_to(sent, timeout=30))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    data = reply.body["data"]
    assert data["embeds"][0]["title"] == "visits in Hu Jintao era"
    assert data["embeds"][0].get("fields"), "a found answer cites its sources"
    assert "using the gateway at ws://127.0.0.1:" in err
    assert_no_token(out + err)
