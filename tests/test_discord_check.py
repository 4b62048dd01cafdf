"""Fact-checking in Discord end to end: /check, the message context menu "Fact-check with
Dandong" (an APPLICATION_COMMAND interaction of command type 3 with `resolved.messages`) and
mentions that start with check:, answered by the real checker over the real knowledge base."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.check import Checker
from tests.discord_fake import harness
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import FAST, assert_never_pings, buttons, flags, run_bot

fake_discord = harness.fake_discord
log_lines = harness.log_lines
settings = harness.settings

EPHEMERAL = 64
MENU = "Fact-check with Dandong"
TODAY = date(2026, 11, 28)
CHANNEL_POST = rf"/channels/{p.CHANNEL_ID}/messages"


@pytest.fixture(scope="module")
def checker(store) -> Checker:
    return Checker(store)


def _seams(checker: Checker) -> dict:
    return {"check": checker.check, "today": lambda: TODAY}


def test_check_command_gives_a_verdict_per_claim(fake_discord, settings, checker):
    text = ("Kim Jong Un has averaged 2.5 visits per year. China sent an envoy within 11 days "
            "of the first nuclear test.")

    async def scenario(bot):
        return await fake_discord.reply_to(await fake_discord.slash("check", text=text))

    reply = run_bot(settings, scenario, **_seams(checker))
    assert reply.body["type"] == 4 and not flags(reply) & EPHEMERAL  # public, like /ask
    (embed,) = reply.body["data"]["embeds"]
    assert embed["title"] == "Fact-check: Contradicted"
    lines = embed["description"].split("\n\n")
    assert lines[1].startswith("❌ **Contradicted** — “Kim Jong Un has averaged 2.5 visits")
    assert "1.8 visits a year in the Kim Jong Un period, not 2.5 visits per year" in lines[1]
    assert lines[2].startswith("⚠️ **Article and record differ** — “China sent an envoy")
    assert "9 days on the public record" in lines[2]
    names = [f["name"] for f in embed["fields"]]
    assert "Article · rate\\_kim\\_jong\\_un" in names
    assert "Public record · post\\_test\\_1" in names
    assert embed["footer"]["text"] == "As of 2017-03 · Dandong fact-check"
    assert_never_pings(fake_discord)


def test_context_menu_checks_a_message_privately(fake_discord, settings, checker):
    posted = p.message(channel_id=p.CHANNEL_ID, author=p.OTHER,
                       content="@everyone China imported three times the cap in December "
                               "2016, and Ri Kil Song visited China on March 1, 2017.")

    async def scenario(bot):
        sent = await fake_discord.message_command(MENU, posted)
        return sent, await fake_discord.reply_to(sent)

    sent, reply = run_bot(settings, scenario, **_seams(checker))
    assert sent["data"]["type"] == 3 and posted["id"] in sent["data"]["resolved"]["messages"]
    assert reply.body["type"] == 4
    assert flags(reply) & EPHEMERAL  # only the person who asked sees the verdict
    (embed,) = reply.body["data"]["embeds"]
    assert embed["title"] == "Fact-check: Contradicted"
    text = embed["description"]
    assert "❌ **Contradicted**" in text and "2 million metric tons, not three times" in text
    assert "⚠️ **Article and record differ**" in text and "February 28, 2017" in text
    assert "@everyone" not in str(reply.body) and "@\u200beveryone" in text
    assert_never_pings(fake_discord)


def test_context_menu_on_a_message_without_text(fake_discord, settings, checker):
    posted = p.message(channel_id=p.CHANNEL_ID, author=p.OTHER, content="")

    async def scenario(bot):
        return await fake_discord.reply_to(await fake_discord.message_command(MENU, posted))

    reply = run_bot(settings, scenario, **_seams(checker))
    assert flags(reply) & EPHEMERAL
    assert reply.body["data"]["content"].startswith("That message has no text to check")


def test_slow_context_menu_check_defers_privately(fake_discord, settings, store):
    release = __import__("threading").Event()
    real = Checker(store)

    def slow_check(text, today):
        release.wait(10)
        return real.check(text, today)

    posted = p.message(channel_id=p.CHANNEL_ID, author=p.OTHER,
                       content="North Korea has conducted six nuclear tests.")

    async def scenario(bot):
        sent = await fake_discord.message_command(MENU, posted)
        deferred = await fake_discord.reply_to(sent)
        release.set()
        hook = rf"/webhooks/{p.APP_ID}/{sent['token']}"
        followup = await fake_discord.wait_http("POST", hook)
        return deferred, followup, fake_discord.http("DELETE", hook + "/messages/@original")

    deferred, followup, deleted = run_bot(
        settings, scenario, check=slow_check, today=lambda: TODAY,
        tuning=replace(FAST, defer_after=0.05))
    assert deferred.body["type"] == 5 and flags(deferred) & EPHEMERAL  # "thinking…", privately
    assert deleted == []  # nothing public to take back
    assert followup.body["flags"] & EPHEMERAL
    assert followup.body["embeds"][0]["title"] == "Fact-check: Supported"


def test_mention_starting_with_check(fake_discord, settings, checker):
    async def scenario(bot):
        await fake_discord.post(f"<@{p.APP_ID}> check: The fourth nuclear test was on "
                                "January 6, 2016.")
        return await fake_discord.wait_http("POST", CHANNEL_POST)

    reply = run_bot(settings, scenario, **_seams(checker))
    embed = reply.body["embeds"][0]
    assert embed["title"] == "Fact-check: Supported"
    assert "✅ **Supported**" in embed["description"]
    assert "January 6, 2016: the date of the fourth nuclear test" in embed["description"]
    assert_never_pings(fake_discord)


def test_long_draft_is_paginated(fake_discord, settings, checker):
    draft = " ".join(["Kim Jong Un has averaged 2.5 visits per year.",
                      "Xi Jinping came to power in 2012.",
                      "The fourth nuclear test was on January 6, 2016.",
                      "China agreed to import 40,000 metric tons of LPG."] * 6)

    async def scenario(bot):
        first = await fake_discord.reply_to(await fake_discord.slash("check", text=draft))
        message_id = list(fake_discord.messages)[-1]
        return first, fake_discord.messages[message_id]

    first, message = run_bot(settings, scenario, tuning=replace(FAST, page_chars=600),
                             **_seams(checker))
    embed = first.body["data"]["embeds"][0]
    assert "Page 1 of" in embed["footer"]["text"]
    assert [b["label"] for b in buttons(message["components"])] == ["◀ Previous", "Next ▶"]
    assert len(embed["description"]) <= 600
    assert_never_pings(fake_discord)
