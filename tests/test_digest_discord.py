"""The digest through the real client and the stand-in Discord on 127.0.0.1: a scheduled
post lands in the channel with no mentions allowed, once per day across restarts, and
/digest settings are refused without Manage Server or in DMs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.config import load_settings
from bot.digest.post import digest_marker
from bot.digest.state import StateStore
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import env_for, fake_discord, log_lines, run_bot  # noqa: F401

MANAGE_GUILD = 1 << 5
POSTS = rf"/channels/{p.CHANNEL_ID}/messages"


@pytest.fixture
def digest_settings(fake_discord, tmp_path, kb_path):  # noqa: F811
    return load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path),
                                 DIGEST_CHANNEL_ID=str(p.CHANNEL_ID), DIGEST_TIME="00:00",
                                 DIGEST_TZ="UTC"))


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_scheduled_digest_is_posted_once_with_no_mentions(fake_discord, digest_settings):  # noqa: F811
    async def first_run(bot):
        rec = await fake_discord.wait_http("POST", POSTS, timeout=15)
        for _ in range(200):  # until the loop has recorded the post it made
            if bot.digest.state.last_posted(p.CHANNEL_ID):
                return rec
            await asyncio.sleep(0.02)
        raise AssertionError("the post was never recorded")

    rec = run_bot(digest_settings, first_run)
    assert rec.status == 200
    assert rec.body["allowed_mentions"] == {"parse": []}
    assert rec.body["enforce_nonce"] is True and rec.body["nonce"]
    (embed,) = rec.body["embeds"]
    assert embed["footer"]["text"].startswith(digest_marker(datetime.now(UTC).date()))
    assert "since the last nuclear test on record" in embed["description"]

    async def restart(bot):
        return await bot.digest.run_due()

    assert run_bot(digest_settings, restart) == []  # already posted today: nothing to do
    assert len(fake_discord.http("POST", POSTS)) == 1
    state = StateStore(digest_settings.state_db_path, readonly=True)
    rec_ = state.post_record(p.CHANNEL_ID, datetime.now(UTC).date())
    assert rec_.status == "posted" and rec_.message_id in fake_discord.messages
    state.close()


def digest_command(fake, sub: str, options: list[dict], *, who=p.ASKER, guild=True,
                   permissions: int | None = None) -> dict:
    data = {"id": fake.command_id("digest"), "name": "digest", "type": 1,
            "options": [{"type": 1, "name": sub, "options": options}]}
    if any(o["type"] == 7 for o in options):
        channel = {**p.text_channel(with_guild=True), "permissions": p.EVERYONE_PERMISSIONS}
        data["resolved"] = {"channels": {str(p.CHANNEL_ID): channel}}
    payload = p.interaction(2, data, who=who, guild=guild)
    if permissions is not None:
        payload["member"]["permissions"] = str(permissions)
    return payload


def set_options(time: str, tz: str) -> list[dict]:
    return [{"type": 7, "name": "channel", "value": str(p.CHANNEL_ID)},
            {"type": 3, "name": "time", "value": time},
            {"type": 3, "name": "timezone", "value": tz}]


def test_digest_settings_need_manage_server(fake_discord, tmp_path, kb_path):  # noqa: F811
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(kb_path)))
    everyone = int(p.EVERYONE_PERMISSIONS)

    async def scenario(bot):
        replies = {}
        for name, payload in [
            ("refused", digest_command(fake_discord, "set", set_options("08:30", "Asia/Seoul"))),
            ("dm", digest_command(fake_discord, "status", [], guild=False)),
            ("bad", digest_command(fake_discord, "set", set_options("8h", "Seoul"),
                                   permissions=everyone | MANAGE_GUILD)),
            ("ok", digest_command(fake_discord, "set", set_options("08:30", "Asia/Seoul"),
                                  permissions=everyone | MANAGE_GUILD)),
            ("status", digest_command(fake_discord, "status", [])),
            ("preview", digest_command(fake_discord, "preview",
                                       [{"type": 3, "name": "date", "value": "2026-10-09"}])),
            ("off_refused", digest_command(fake_discord, "off", [])),
        ]:
            sent = await fake_discord.interact(payload)
            replies[name] = (await fake_discord.reply_to(sent, timeout=10)).body["data"]
        return replies

    r = run_bot(settings, scenario)
    assert all(d["flags"] & 64 for d in r.values())  # every /digest reply is ephemeral
    assert "needs the Manage Server permission" in r["refused"]["content"]
    assert "needs the Manage Server permission" in r["off_refused"]["content"]
    assert "belong to a server" in r["dm"]["content"]
    assert '"08:30"' in r["bad"]["content"] and "Asia/Seoul" in r["bad"]["content"]
    assert f"<#{p.CHANNEL_ID}> at 08:30 Asia/Seoul" in r["ok"]["content"]
    assert f"<#{p.CHANNEL_ID}> at 08:30 Asia/Seoul; last posted never" in r["status"]["content"]
    (embed,) = r["preview"]["embeds"]
    assert embed["title"] == "Daily digest: October 9, 2026"
    assert any("20 years ago" in f["value"] for f in embed["fields"])
    state = StateStore(settings.state_db_path, readonly=True)
    (sched,) = state.schedules()
    assert (sched.channel_id, sched.guild_id, sched.tz.key) == (
        p.CHANNEL_ID, p.GUILD_ID, "Asia/Seoul")
    state.close()
    assert today()  # the clock is real here; the pinned-clock tests are in test_schedule.py


def test_failed_post_is_kept_and_shown_by_status_and_the_loop_goes_on(fake_discord,  # noqa: F811
                                                                        digest_settings):
    fake_discord.fail_next("POST", POSTS, 403, {"message": "Missing Permissions", "code": 50013})

    async def scenario(bot):
        await fake_discord.wait_http("POST", POSTS, timeout=15)
        for _ in range(200):
            if bot.digest.state.last_failure(p.CHANNEL_ID):
                break
            await asyncio.sleep(0.02)
        sent = await fake_discord.interact(digest_command(fake_discord, "status", []))
        reply = (await fake_discord.reply_to(sent, timeout=10)).body["data"]
        return reply, bot.digest.ticker.is_running()

    reply, running = run_bot(digest_settings, scenario)
    assert running
    assert "last posted never" in reply["content"]
    assert "⚠" in reply["content"] and "lacks permission" in reply["content"]
