"""Mentions and DMs end to end, without the privileged message-content intent."""

from __future__ import annotations

import asyncio

from bot.config import load_settings
from bot.discord.client import GENERIC_FAILURE
from tests.discord_fake import harness
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import assert_never_pings, buttons, env_for, run_bot

# fixtures from the harness
fake_discord = harness.fake_discord
log_lines = harness.log_lines
scripted = harness.scripted
settings = harness.settings

CHANNEL_POST = rf"/channels/{p.CHANNEL_ID}/messages"
DM_POST = rf"/channels/{p.DM_CHANNEL_ID}/messages"
MESSAGE_CONTENT_INTENT = 1 << 15
GUILD_MESSAGES_INTENT = 1 << 9
DM_MESSAGES_INTENT = 1 << 12


def test_mention_is_answered_as_a_reply(fake_discord, settings, scripted):
    async def scenario(bot):
        asked = await fake_discord.post(f"<@{p.APP_ID}> visits in Hu era")
        return asked, await fake_discord.wait_http("POST", CHANNEL_POST)

    asked, reply = run_bot(settings, scenario, answer=scripted)
    assert [q for q, _ in scripted.asked] == ["visits in Hu era"]
    assert reply.body["embeds"][0]["title"] == "visits in Hu era"
    assert str(reply.body["message_reference"]["message_id"]) == asked["id"]
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert_never_pings(fake_discord)


def test_dm_is_answered_without_a_mention(fake_discord, settings, scripted):
    async def scenario(bot):
        await fake_discord.post("coal ban", dm=True)
        return await fake_discord.wait_http("POST", DM_POST)

    reply = run_bot(settings, scenario, answer=scripted)
    assert reply.body["embeds"][0]["title"] == "coal ban"
    assert_never_pings(fake_discord)


def test_no_message_content_intent_and_other_messages_ignored(fake_discord, settings, scripted):
    async def scenario(bot):
        await fake_discord.post("", mention_bot=False)  # what Discord sends without the intent
        await fake_discord.post(f"<@{p.APP_ID}> coal ban", who=p.user(77, "otherbot", bot=True))
        await fake_discord.post(f"<@{p.APP_ID}> coal ban")  # a marker: answered last
        return await fake_discord.wait_http("POST", CHANNEL_POST)

    run_bot(settings, scenario, answer=scripted)
    identify = fake_discord.ops(2)[0].body
    assert identify["intents"] & MESSAGE_CONTENT_INTENT == 0
    assert identify["intents"] & GUILD_MESSAGES_INTENT
    assert identify["intents"] & DM_MESSAGES_INTENT
    assert len(fake_discord.http("POST", CHANNEL_POST)) == 1
    assert [q for q, _ in scripted.asked] == ["coal ban"]


def test_bare_mention_gets_help(fake_discord, settings, scripted):
    async def scenario(bot):
        await fake_discord.post(f"<@{p.APP_ID}>")
        return await fake_discord.wait_http("POST", CHANNEL_POST)

    reply = run_bot(settings, scenario, answer=scripted)
    assert reply.body["embeds"][0]["title"].startswith("Dandong:")
    assert scripted.asked == []


def test_not_found_mention_offers_suggestion_buttons(fake_discord, settings, scripted):
    async def scenario(bot):
        await fake_discord.post(f"<@{p.APP_ID}> @everyone tea **exports**")
        reply = await fake_discord.wait_http("POST", CHANNEL_POST)
        message_id = list(fake_discord.messages)[-1]
        pressed = await fake_discord.reply_to(
            await fake_discord.press(message_id, "dandong:ask:coal ban"))
        return reply, pressed

    reply, pressed = run_bot(settings, scenario, answer=scripted)
    embed = reply.body["embeds"][0]
    assert embed["title"] == "@\u200beveryone tea \\*\\*exports\\*\\*"
    assert [b["custom_id"] for b in buttons(reply.body["components"])] == [
        "dandong:ask:visits in Hu era", "dandong:ask:coal ban", "dandong:ask:days after 2009 test"]
    assert pressed.body["data"]["embeds"][0]["title"] == "coal ban"
    assert_never_pings(fake_discord)


def test_message_errors_and_cooldown_reply_once(fake_discord, tmp_path, scripted, log_lines):
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_COOLDOWN_RATE="2",
                                     DANDONG_COOLDOWN_SECONDS="60"))

    async def scenario(bot):
        await fake_discord.post("boom", dm=True)
        await fake_discord.wait_http("POST", DM_POST)
        for _ in range(3):  # 1 allowed, then 2 refused: only the first refusal is said
            await fake_discord.post("coal ban", dm=True)
        await fake_discord.post(f"<@{p.APP_ID}> coal ban", who=p.OTHER)  # another user
        await fake_discord.wait_http("POST", CHANNEL_POST)
        await asyncio.sleep(0.1)  # let any (wrong) extra reply to the DMs arrive
        return fake_discord.http("POST", DM_POST)

    replies = [r.body for r in run_bot(settings, scenario, answer=scripted)]
    assert replies[0]["content"] == GENERIC_FAILURE
    answers = [r for r in replies if r.get("embeds")]
    refusals = [r for r in replies[1:] if not r.get("embeds")]
    assert [a["embeds"][0]["title"] for a in answers] == ["coal ban"]
    assert len(refusals) == 1
    assert refusals[0]["content"].startswith("You're asking quickly — please wait")
    assert "RuntimeError: engine bug" in log_lines.text()
    assert_never_pings(fake_discord)
