"""Issue 8, the Discord half: the hostile catalogue through the stand-in (as /ask, /source and
mentions, answered by the real engine), an unwritable state database, repeated gateway drops,
429/500/403/404 on sends, and digest settings refused without Manage Server or in a DM.
Every test here also runs under the harness's log scan: no log line may carry the token."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.digest.state import StateStore
from bot.discord.client import GENERIC_FAILURE, KnowledgeSeams
from tests.discord_fake import harness
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import (
    FAST,
    assert_never_pings,
    env_for,
    run_bot,
    sent_messages,
)

# fixtures from the harness
fake_discord = harness.fake_discord
log_lines = harness.log_lines
scripted = harness.scripted

HOSTILE = [json.loads(line) for line in
           (Path(__file__).parent / "data" / "hostile_inputs.jsonl").read_text(
               encoding="utf-8").splitlines()]
MENTION = f"<@{p.APP_ID}> "
# A mention message of exactly Discord's 2,000-character limit, and the same text as /ask.
FULL_MESSAGE = (MENTION + "visits in Hu era " * 200)[:2000]
CHANNEL_POST = rf"/channels/{p.CHANNEL_ID}/messages"
GUILD_COMMANDS = rf"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands"
MANAGE_GUILD = 1 << 5
TODAY = date(2026, 11, 28)
# Anything that would ping if Discord honoured it: @everyone, @here, <@id>, <@!id>, <@&id>.
PING = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


@pytest.fixture
def settings(fake_discord, tmp_path):
    """Settings for the stand-in, with the per-user cooldown out of the way."""
    return load_settings(env_for(fake_discord, tmp_path, DANDONG_COOLDOWN_RATE="10000",
                                 DANDONG_COOLDOWN_SECONDS="1"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def texts(obj: Any) -> list[str]:
    """Every string inside a message payload."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in texts(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in texts(v)]
    return []


def assert_nothing_can_ping(fake) -> int:
    """allowed_mentions parse [] on every payload, and no mention syntax left in any text."""
    assert_never_pings(fake)
    payloads = sent_messages(fake)
    for body in payloads:
        for s in texts({k: body.get(k) for k in ("content", "embeds", "components")}):
            assert not PING.search(s), s[:300]
    return len(payloads)


def state_rows(path: Path) -> dict[str, int]:
    """Rows per table of the state database, read-only."""
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def mention_replies(fake, message: dict) -> list:
    return [r for r in fake.http("POST", CHANNEL_POST)
            if str((r.body.get("message_reference") or {}).get("message_id")) == message["id"]]


async def wait_mention_reply(fake, message: dict, timeout: float = 10.0):
    return await fake.wait_http(
        "POST", CHANNEL_POST, timeout, where=lambda r: r.status == 200 and str(
            (r.body.get("message_reference") or {}).get("message_id")) == message["id"])


def callbacks(fake, sent: dict) -> list:
    return fake.http("POST", rf"/interactions/{sent['id']}/{re.escape(sent['token'])}/callback")


async def interaction_reply(fake, sent: dict, timeout: float = 10.0) -> dict:
    """The message an interaction got: the callback's, or the follow-up after a defer."""
    callback = await fake.reply_to(sent, timeout)
    if callback.body["type"] != 5:
        return callback.body.get("data") or {}
    hook = await fake.wait_http("POST", rf"/webhooks/{p.APP_ID}/{re.escape(sent['token'])}",
                                timeout)
    return hook.body


# -- the hostile catalogue through Discord -------------------------------------------------------
def test_hostile_catalogue_through_discord_gets_safe_replies_and_stores_nothing(
        fake_discord, tmp_path, kb_path, log_lines, record_property):
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path),
                                     DANDONG_COOLDOWN_RATE="10000",
                                     DANDONG_COOLDOWN_SECONDS="1"))
    knowledge = KnowledgeSeams(settings)
    kb_before, kb_dir_before = sha(kb_path), sorted(kb_path.parent.iterdir())
    questions = [*HOSTILE, FULL_MESSAGE[len(MENTION):]]

    async def scenario(bot):
        rows_after_start = state_rows(settings.state_db_path)
        sent_slash, sent_source, posted = [], [], []
        for text in questions:
            sent = await fake_discord.slash("ask", question=text)
            await interaction_reply(fake_discord, sent)
            sent_slash.append(sent)
            sent = await fake_discord.slash("source", id=text)
            await interaction_reply(fake_discord, sent)
            sent_source.append(sent)
            message = await fake_discord.post(MENTION + text)
            await wait_mention_reply(fake_discord, message)
            posted.append(message)
        return rows_after_start, sent_slash, sent_source, posted

    rows_after_start, sent_slash, sent_source, posted = run_bot(
        settings, scenario, timeout=120, answer=knowledge.ask,
        source_lookup=knowledge.lookup_source, catalog=knowledge.catalog(),
        today=lambda: TODAY)

    # each input got exactly one reply on each channel: nothing lost, nothing doubled
    for sent in sent_slash + sent_source:
        assert [r.status for r in callbacks(fake_discord, sent)] == [200], sent["data"]
    for message in posted:
        assert [r.status for r in mention_replies(fake_discord, message)] == [200]
    assert len(posted[-1]["content"]) == 2000
    # no input reached an error boundary: every reply is an answer, not an apology
    assert not [line for line in log_lines.lines if line.startswith(("ERROR", "CRITICAL"))]
    assert GENERIC_FAILURE not in json.dumps(sent_messages(fake_discord), ensure_ascii=False)
    # nothing pings
    n_payloads = assert_nothing_can_ping(fake_discord)
    assert n_payloads >= 3 * len(questions)
    # nothing stored: the knowledge base is byte for byte the same and no file appeared beside
    # it; the state database holds only the command-sync row written at start-up
    assert sha(kb_path) == kb_before and sorted(kb_path.parent.iterdir()) == kb_dir_before
    assert rows_after_start == state_rows(settings.state_db_path)
    assert {t: n for t, n in state_rows(settings.state_db_path).items() if n} == {
        "command_sync": 1}
    assert {f.name for f in tmp_path.iterdir()} <= {"state.db", "state.db-wal", "state.db-shm"}
    for channel, n in (("slash_ask", len(sent_slash)), ("slash_source", len(sent_source)),
                       ("mention", len(posted))):
        record_property(f"hostile_discord_{channel}", n)


# -- the state database cannot be written -----------------------------------------------------
def _unwritable_state(kind: str, tmp_path: Path) -> Path:
    if kind == "parent-is-a-file":  # fails for root too, unlike a chmod 0o555 folder
        (tmp_path / "file").write_text("a regular file where a folder should be")
        return tmp_path / "file" / "state.db"
    if kind == "read-only-filesystem":  # procfs refuses new files, whoever asks
        return Path("/proc/dandong-state.db")
    bad = tmp_path / "state.db"  # "not-a-database": someone else's file at that path
    bad.write_bytes(b"not SQLite at all\n" * 512)
    return bad


@pytest.mark.parametrize("kind", ["parent-is-a-file", "read-only-filesystem",
                                  "not-a-database"])
def test_unwritable_state_disables_the_digest_and_answers_keep_working(
        fake_discord, tmp_path, scripted, log_lines, kind, record_property):
    state_path = _unwritable_state(kind, tmp_path)
    before = sha(state_path) if state_path.is_file() else None
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_STATE_DB=str(state_path),
                                     DIGEST_CHANNEL_ID=str(p.CHANNEL_ID), DIGEST_TIME="00:00",
                                     DIGEST_TZ="UTC"))
    admin = str(int(p.EVERYONE_PERMISSIONS) | MANAGE_GUILD)

    async def scenario(bot):
        ask = await interaction_reply(fake_discord,
                                      await fake_discord.slash("ask", question="coal ban"))
        message = await fake_discord.post(MENTION + "visits in Hu era")
        mention = (await wait_mention_reply(fake_discord, message)).body
        status = await interaction_reply(fake_discord, await fake_discord.interact(
            _digest(fake_discord, "status", [])))
        set_ = await interaction_reply(fake_discord, await fake_discord.interact(
            _digest(fake_discord, "set", _set_options("08:30", "Asia/Seoul"), permissions=admin)))
        return ask, mention, status, set_, bot.digest.ticker.is_running()

    ask, mention, status, set_, ticking = run_bot(settings, scenario, answer=scripted)
    assert ask["embeds"][0]["title"] == "coal ban"
    assert mention["embeds"][0]["title"] == "visits in Hu era"
    assert "the daily digest is disabled" in status["content"]
    assert set_["content"].startswith("Cannot save the schedule.")
    assert not ticking
    log = log_lines.text()
    assert "WARNING dandong.digest: daily digest disabled" in log
    assert "cannot record command syncs" in log  # and the commands were synced regardless
    assert len(fake_discord.http("PUT", GUILD_COMMANDS)) == 1
    assert [r.body.get("embeds") for r in fake_discord.http("POST", CHANNEL_POST)
            if not r.body.get("message_reference")] == []  # no digest was posted
    if before is not None:
        assert sha(state_path) == before  # a file that is not ours is left as it was
    record_property("fault", f"state database unwritable: {kind}")


def _digest(fake, sub: str, options: list[dict], *, guild: bool = True,
            permissions: str | None = None) -> dict:
    data = {"id": fake.command_id("digest"), "name": "digest", "type": 1,
            "options": [{"type": 1, "name": sub, "options": options}]}
    if any(o["type"] == 7 for o in options):
        channel = {**p.text_channel(with_guild=True), "permissions": p.EVERYONE_PERMISSIONS}
        data["resolved"] = {"channels": {str(p.CHANNEL_ID): channel}}
    payload = p.interaction(2, data, guild=guild)
    if permissions is not None and guild:
        payload["member"]["permissions"] = permissions
    return payload


def _set_options(time: str, tz: str) -> list[dict]:
    return [{"type": 7, "name": "channel", "value": str(p.CHANNEL_ID)},
            {"type": 3, "name": "time", "value": time},
            {"type": 3, "name": "timezone", "value": tz}]


# -- the gateway dropped again and again ----------------------------------------------------------
def _count(fake, kind: str, path: str | None = None) -> int:
    return len(fake.find(lambda r: r.kind == kind and (path is None or r.path == path)))


def test_gateway_dropped_repeatedly_resumes_each_time_without_duplicate_replies(
        fake_discord, settings, scripted, record_property):
    codes = [4000, 1001, 1000, 4008, 4000]

    async def scenario(bot):
        sent, posted = [], []
        # a question in flight across the first drop: answered once, after the resume
        slow = await fake_discord.slash("ask", question="slow one")
        sent.append(slow)
        await fake_discord.reply_to(slow)  # deferred: "thinking…"
        for n, code in enumerate(codes, 1):
            await fake_discord.close_gateway(code=code)
            await fake_discord.wait_for(
                lambda r, n=n: r.kind == "dispatch"
                and _count(fake_discord, "dispatch", "RESUMED") >= n, timeout=10)
            scripted.release.set()
            s = await fake_discord.slash("ask", question="coal ban")
            await interaction_reply(fake_discord, s)
            sent.append(s)
            m = await fake_discord.post(MENTION + "visits in Hu era")
            await wait_mention_reply(fake_discord, m)
            posted.append(m)
        await fake_discord.wait_http("POST", rf"/webhooks/{p.APP_ID}/{slow['token']}")
        await asyncio.sleep(0.2)  # room for any (wrong) second reply to arrive
        return sent, posted

    sent, posted = run_bot(settings, scenario, answer=scripted,
                           tuning=replace(FAST, defer_after=0.05))
    assert _count(fake_discord, "ws-connect") == 1 + len(codes)
    assert len(fake_discord.ops(2)) == 1 and len(fake_discord.ops(6)) == len(codes)  # resumed
    for s in sent:
        assert [r.status for r in callbacks(fake_discord, s)] == [200]
    assert len(fake_discord.http("POST", rf"/webhooks/{p.APP_ID}/{sent[0]['token']}")) == 1
    for m in posted:
        assert len(mention_replies(fake_discord, m)) == 1
    assert len(scripted.asked) == len(sent) + len(posted)  # each question answered once
    assert_nothing_can_ping(fake_discord)
    record_property("fault", f"gateway closed {len(codes)} times in a row (codes {codes})")


def test_refused_reconnects_back_off_then_resume(fake_discord, settings, scripted, log_lines,
                                                  record_property):
    async def scenario(bot):
        await interaction_reply(fake_discord, await fake_discord.slash("ask", question="coal ban"))
        fake_discord.refuse_connects = 2
        await fake_discord.close_gateway(code=4000)
        await fake_discord.wait_for(lambda r: r.kind == "dispatch" and r.path == "RESUMED",
                                    timeout=15)
        return await interaction_reply(fake_discord,
                                       await fake_discord.slash("ask", question="coal ban"))

    reply = run_bot(settings, scenario, answer=scripted)
    assert reply["embeds"][0]["title"] == "coal ban"
    refused = fake_discord.find(lambda r: r.kind == "ws-refused")
    (resumed,) = [r for r in fake_discord.find(lambda r: r.kind == "ws-connect")][1:]
    assert len(refused) == 2
    delays = [float(d) for d in re.findall(r"Attempting a reconnect in ([\d.]+)s",
                                           log_lines.text())]
    # discord.py's exponential backoff: up to 2 s, then up to 4 s (jittered), then resumed
    assert len(delays) == 2 and delays[0] <= 2 and delays[1] <= 4
    assert refused[1].at - refused[0].at >= delays[0] - 0.05
    assert resumed.at - refused[1].at >= delays[1] - 0.05
    assert len(fake_discord.ops(2)) == 1 and len(fake_discord.ops(6)) == 1
    record_property("fault", "gateway refused 2 reconnects (503) after a drop")


# -- 429, 500, 403 and 404 when sending ------------------------------------------------------
RATE_LIMITED = ({"message": "You are being rate limited.", "retry_after": 0.05,
                 "global": False}, {"Via": "1.1 google", "X-RateLimit-Scope": "user"})
SERVER_ERROR = ({"message": "500: Internal Server Error", "code": 0}, {})
CALLBACK = r"/interactions/\d+/[^/]+/callback"
SEND_FAULTS = {
    "callback 429": "/ask reply (interaction callback) answered 429: retried",
    "callback 500": "/ask reply (interaction callback) answered 500: retried",
    "callback 404": "/ask reply and its error report answered 404 (interaction expired): logged",
    "message 429": "mention reply (message create) answered 429: retried",
    "message 500": "mention reply (message create) answered 500: retried",
    "message 403": "mention reply (message create) answered 403: the asker is told",
}


def test_send_faults_are_retried_or_reported_and_the_bot_keeps_answering(
        fake_discord, settings, scripted, log_lines, record_property):
    async def via_slash(status, body, headers, times=1):
        fake_discord.fail_next("POST", CALLBACK, status, body, headers, times)
        sent = await fake_discord.slash("ask", question="coal ban")
        await fake_discord.wait_for(lambda r: len(callbacks(fake_discord, sent)) == times + (
            status in (429, 500)), timeout=10)
        return [r.status for r in callbacks(fake_discord, sent)]

    async def via_mention(status, body, headers):
        fake_discord.fail_next("POST", CHANNEL_POST, status, body, headers)
        message = await fake_discord.post(MENTION + "coal ban")
        await wait_mention_reply(fake_discord, message)
        return [(r.status, (r.body.get("embeds") or [{}])[0].get("title") or r.body["content"])
                for r in mention_replies(fake_discord, message)]

    async def scenario(bot):
        out = {
            "callback 429": await via_slash(429, *RATE_LIMITED),
            "callback 500": await via_slash(500, *SERVER_ERROR),
            # an expired interaction stays expired: the error report is refused too
            "callback 404": await via_slash(404, {"message": "Unknown interaction",
                                                  "code": 10062}, {}, times=2),
            "message 429": await via_mention(429, *RATE_LIMITED),
            "message 500": await via_mention(500, *SERVER_ERROR),
            "message 403": await via_mention(403, {"message": "Missing Permissions",
                                                   "code": 50013}, {}),
        }
        out["after"] = await interaction_reply(
            fake_discord, await fake_discord.slash("ask", question="visits in Hu era"))
        return out, bot.is_closed()

    out, closed = run_bot(settings, scenario, answer=scripted)
    assert not closed
    assert out["callback 429"] == [429, 200] and out["callback 500"] == [500, 200]
    assert out["callback 404"] == [404, 404]
    assert out["message 429"] == [(429, "coal ban"), (200, "coal ban")]
    assert out["message 500"] == [(500, "coal ban"), (200, "coal ban")]
    assert out["message 403"] == [(403, "coal ban"), (200, GENERIC_FAILURE)]  # told the asker
    assert out["after"]["embeds"][0]["title"] == "visits in Hu era"
    log = log_lines.text()
    assert "could not tell the user about the failure" in log and "NotFound: 404" in log
    assert "Forbidden: 403" in log
    assert "Traceback" in log  # so the token scan of this session covered error paths too
    assert set(SEND_FAULTS) < set(out)
    # one answer per question: 7 asked, 7 answered, whatever the retries
    assert len(scripted.asked) == 7
    assert_nothing_can_ping(fake_discord)
    for what in SEND_FAULTS.values():
        record_property("fault", what)


def test_digest_post_answered_500_then_429_is_posted_once(fake_discord, tmp_path, kb_path,
                                                          record_property):
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path),
                                     DIGEST_CHANNEL_ID=str(p.CHANNEL_ID), DIGEST_TIME="00:00",
                                     DIGEST_TZ="UTC"))
    # in this order discord.py waits 1 s then 0.05 s (a 500 after a retry would wait 3 s)
    fake_discord.fail_next("POST", CHANNEL_POST, 500, *SERVER_ERROR)
    fake_discord.fail_next("POST", CHANNEL_POST, 429, *RATE_LIMITED)

    async def scenario(bot):
        await fake_discord.wait_http("POST", CHANNEL_POST, timeout=15,
                                     where=lambda r: r.status == 200)
        for _ in range(250):  # until the loop has recorded the post it made
            if bot.digest.state.last_posted(p.CHANNEL_ID):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the post was never recorded")

    run_bot(settings, scenario)
    posts = fake_discord.http("POST", CHANNEL_POST)
    assert [r.status for r in posts] == [500, 429, 200]
    assert len({r.body["nonce"] for r in posts}) == 1  # the same post, retried
    assert len(fake_discord.messages) == 1
    state = StateStore(settings.state_db_path, readonly=True)
    rec = state.post_record(p.CHANNEL_ID, datetime.now(UTC).date())
    assert (rec.status, rec.message_id) == ("posted", next(iter(fake_discord.messages)))
    state.close()
    assert_nothing_can_ping(fake_discord)
    record_property("fault", "digest post answered 500 then 429")


# -- permissions ------------------------------------------------------------------------------
def test_dms_and_members_without_manage_server_change_no_digest_setting(fake_discord, tmp_path,
                                                                       kb_path):
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path)))
    admin = str(int(p.EVERYONE_PERMISSIONS) | MANAGE_GUILD)

    async def scenario(bot):
        async def say(payload):
            return (await interaction_reply(fake_discord,
                                            await fake_discord.interact(payload)))["content"]

        ok = await say(_digest(fake_discord, "set", _set_options("08:30", "Asia/Seoul"),
                               permissions=admin))
        # (a DM cannot carry /digest set: its channel option offers only server channels)
        refused = [
            await say(_digest(fake_discord, "off", [], guild=False)),
            await say(_digest(fake_discord, "set", _set_options("09:00", "UTC"))),
            await say(_digest(fake_discord, "off", [])),
            await say(_digest(fake_discord, "off", [{"type": 7, "name": "channel",
                                                     "value": str(p.CHANNEL_ID)}])),
        ]
        return ok, refused

    ok, refused = run_bot(settings, scenario)
    assert "08:30 Asia/Seoul" in ok
    assert [("belong to a server" in r, "Manage Server" in r) for r in refused] == [
        (True, False), (False, True), (False, True), (False, True)]
    state = StateStore(settings.state_db_path, readonly=True)
    (sched,) = state.schedules(enabled_only=False)
    assert (sched.enabled, f"{sched.at:%H:%M}", sched.tz.key) == (True, "08:30", "Asia/Seoul")
    state.close()
