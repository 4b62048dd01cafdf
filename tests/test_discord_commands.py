"""Slash commands end to end: the real discord.py client against the stand-in Discord."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from datetime import date

import pytest

from bot.config import load_settings
from bot.discord.client import GENERIC_FAILURE
from tests.discord_fake import harness
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import FAST, assert_never_pings, buttons, env_for, flags, run_bot

# fixtures from the harness
fake_discord = harness.fake_discord
log_lines = harness.log_lines
scripted = harness.scripted
settings = harness.settings

TODAY = date(2017, 3, 10)
EPHEMERAL = 64


def today() -> date:
    return TODAY


def test_ask_replies_with_an_embed_and_pings_no_one(fake_discord, settings, scripted):
    async def scenario(bot):
        sent = await fake_discord.slash("ask", question="visits in Hu era")
        return await fake_discord.reply_to(sent)

    reply = run_bot(settings, scenario, answer=scripted, today=today)
    assert reply.body["type"] == 4  # answered at once, no defer needed
    assert flags(reply) & EPHEMERAL == 0
    (embed,) = reply.body["data"]["embeds"]
    assert embed["title"] == "visits in Hu era"
    assert embed["description"].startswith("Under Hu Jintao (2003–2012) there were 5")
    assert embed["fields"][0]["name"] == "Article · fa2017-hu-visits"
    assert embed["footer"]["text"] == "As of 2017-03-01 · Dandong"
    assert embed["author"]["name"].startswith("Understood as: visits in the Hu Jintao era")
    assert scripted.asked == [("visits in Hu era", TODAY)]
    assert_never_pings(fake_discord)


@pytest.mark.parametrize(
    ("command", "options", "asked", "title"),
    [
        ("visits", {"era": "Hu Jintao"}, "visits in Hu Jintao era", "visits in Hu Jintao era"),
        ("test", {"number": 2}, "days after the second nuclear test",
         "days after the second nuclear test"),
        ("sanctions", {"topic": "coal ban"}, "coal ban", "coal ban"),
    ],
)
def test_typed_shortcuts_become_engine_questions(fake_discord, settings, scripted, command,
                                                 options, asked, title):
    async def scenario(bot):
        return await fake_discord.reply_to(await fake_discord.slash(command, **options))

    reply = run_bot(settings, scenario, answer=scripted, today=today)
    assert scripted.asked == [(asked, TODAY)]
    (embed,) = reply.body["data"]["embeds"]
    assert embed["title"] == title
    if command == "test":  # the test's date is shown beside the answer
        assert embed["fields"][0] == {"name": "Nuclear test 2", "value": "2009-05-25",
                                      "inline": False}
    assert_never_pings(fake_discord)


def test_source_shows_the_quote_or_link(fake_discord, settings, scripted):
    async def scenario(bot):
        found = await fake_discord.reply_to(await fake_discord.slash("source", id="pr-test-2009"))
        missing = await fake_discord.reply_to(await fake_discord.slash("source", id="pr-test-209"))
        return found, missing

    found, missing = run_bot(settings, scenario, answer=scripted)
    (embed,) = found.body["data"]["embeds"]
    assert embed["title"] == "Public record · pr-test-2009"
    assert embed["description"] == ("https://www.un.org/press/en/2009/sc9679.doc.htm\n"
                                    "https://www.ctbto.org/press-release")
    assert flags(missing) & EPHEMERAL
    assert "Did you mean: pr-test-2009?" in missing.body["data"]["embeds"][0]["description"]
    assert scripted.asked == []  # /source reads the knowledge base, not the engine
    assert_never_pings(fake_discord)


def test_help_lists_every_command_with_an_example(fake_discord, settings):
    async def scenario(bot):
        return await fake_discord.reply_to(await fake_discord.slash("help"))

    reply = run_bot(settings, scenario)
    assert flags(reply) & EPHEMERAL
    (embed,) = reply.body["data"]["embeds"]
    names = [f["name"] for f in embed["fields"]]
    assert names[:7] == ["/ask", "/visits", "/test", "/sanctions", "/source", "/help", "/check"]
    assert names[-2:] == ["Fact-check a message", "Or mention me"]
    assert set(names[7:-2]) <= {"/chart", "/digest", "/kb"}  # installed beside ours
    assert all("Example: `/" in f["value"] for f in embed["fields"][:-2])
    assert_never_pings(fake_discord)


def test_synced_tree_has_choices_and_autocomplete(fake_discord, settings):
    async def scenario(bot):
        return await fake_discord.wait_http(
            "PUT", rf"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands")

    put = run_bot(settings, scenario)
    tree = {c["name"]: c for c in put.body}
    assert list(tree)[:7] == ["ask", "visits", "test", "sanctions", "source", "help", "check"]
    assert all(c["description"] for c in put.body if c.get("type", 1) == 1)
    menu = tree["Fact-check with Dandong"]
    assert menu["type"] == 3 and "description" not in menu  # a message context menu
    era = tree["visits"]["options"][0]
    assert [c["value"] for c in era["choices"]] == [
        "Hu Jintao", "Xi Jinping", "Kim Jong Il", "Kim Jong Un", "Jiang Zemin", "Mao Zedong",
        "Deng Xiaoping", "Kim Il Sung", "Hua Guofeng"]
    number = tree["test"]["options"][0]
    assert number["choices"][1] == {"name": "Test 2 · 2009-05-25", "value": 2}
    assert len(number["choices"]) == 6
    for name in ("ask", "sanctions", "source"):
        assert tree[name]["options"][0]["autocomplete"] is True
    assert tree["source"]["options"][0]["name"] == "id"


@pytest.mark.parametrize(
    ("command", "option", "typed", "expected"),
    [
        ("sanctions", "topic", "coal", ["coal ban", "UNSCR 2321 coal cap"]),
        ("source", "id", "pr-", ["pr-test-2009", "pr-coal-ban-2017"]),
        ("ask", "question", "hu", ["visits in Hu era"]),
    ],
)
def test_autocomplete_is_served_from_memory(fake_discord, settings, scripted, command, option,
                                            typed, expected):
    async def scenario(bot):
        sent = await fake_discord.autocomplete(command, option, **{option: typed})
        return await fake_discord.reply_to(sent)

    reply = run_bot(settings, scenario, answer=scripted)
    assert reply.body["type"] == 8  # autocomplete result, never deferred
    assert [c["value"] for c in reply.body["data"]["choices"]] == expected
    assert scripted.asked == []
    assert len(fake_discord.http("POST", r"/interactions/.*")) == 1


def test_not_found_is_ephemeral_with_buttons_that_ask(fake_discord, settings, scripted):
    async def scenario(bot):
        first = await fake_discord.reply_to(
            await fake_discord.slash("ask", question="tea exports"))
        message_id = list(fake_discord.messages)[-1]
        custom_id = buttons(fake_discord.messages[message_id]["components"])[0]["custom_id"]
        pressed = await fake_discord.reply_to(await fake_discord.press(message_id, custom_id))
        return first, pressed

    first, pressed = run_bot(settings, scenario, answer=scripted)
    assert flags(first) & EPHEMERAL
    data = first.body["data"]
    assert data["embeds"][0]["description"].startswith("I have no answer for “tea exports”.")
    assert [(b["label"], b["custom_id"]) for b in buttons(data["components"])] == [
        ("visits in Hu era", "dandong:ask:visits in Hu era"),
        ("coal ban", "dandong:ask:coal ban"),
        ("days after 2009 test", "dandong:ask:days after 2009 test"),
    ]
    # pressing a suggestion asks it, and the found answer is public
    assert [q for q, _ in scripted.asked] == ["tea exports", "visits in Hu era"]
    assert pressed.body["type"] == 4 and not flags(pressed) & EPHEMERAL
    assert pressed.body["data"]["embeds"][0]["title"] == "visits in Hu era"
    assert_never_pings(fake_discord)


def test_pages_turn_only_for_the_asker(fake_discord, settings, scripted):
    async def scenario(bot):
        first = await fake_discord.reply_to(await fake_discord.slash("ask", question="long list"))
        message_id = list(fake_discord.messages)[-1]
        prev_id, next_id = (b["custom_id"] for b in
                            buttons(fake_discord.messages[message_id]["components"]))
        refused = await fake_discord.reply_to(
            await fake_discord.press(message_id, next_id, who=p.OTHER))
        turned = await fake_discord.reply_to(await fake_discord.press(message_id, next_id))
        back = await fake_discord.reply_to(await fake_discord.press(message_id, prev_id))
        return first, refused, turned, back

    first, refused, turned, back = run_bot(settings, scenario, answer=scripted)
    page1 = first.body["data"]["embeds"][0]
    n = int(re.search(r"Page 1 of (\d+)", page1["footer"]["text"])[1])
    assert n > 1 and page1["footer"]["text"].startswith("As of 2017-03-01 · Page 1 of")
    prev, nxt = buttons(first.body["data"]["components"])
    assert prev["disabled"] is True and nxt.get("disabled") is not True

    assert refused.body["type"] == 4 and flags(refused) & EPHEMERAL
    assert refused.body["data"]["content"].startswith("Only the person who asked")

    assert turned.body["type"] == 7  # the message itself is updated
    assert turned.body["data"]["embeds"][0]["footer"]["text"] == \
        f"As of 2017-03-01 · Page 2 of {n} · Dandong"
    assert buttons(turned.body["data"]["components"])[0].get("disabled") is not True
    assert back.body["data"]["embeds"][0]["footer"]["text"].startswith(
        "As of 2017-03-01 · Page 1 of")
    assert_never_pings(fake_discord)


def test_page_buttons_go_away_after_the_timeout(fake_discord, settings, scripted):
    async def scenario(bot):
        sent = await fake_discord.slash("ask", question="long list")
        await fake_discord.reply_to(sent)
        return await fake_discord.wait_http(
            "PATCH", rf"/webhooks/{p.APP_ID}/{sent['token']}/messages/[^/]+")

    edit = run_bot(settings, scenario, answer=scripted,
                   tuning=replace(FAST, page_timeout=0.2))
    assert edit.body["components"] == []
    assert_never_pings(fake_discord)


def test_user_text_is_escaped(fake_discord, settings, scripted):
    async def scenario(bot):
        sent = await fake_discord.slash("ask", question="@everyone **read** [this](https://x.example)")
        return await fake_discord.reply_to(sent)

    reply = run_bot(settings, scenario, answer=scripted)
    embed = reply.body["data"]["embeds"][0]
    assert embed["title"] == "@\u200beveryone \\*\\*read\\*\\* \\[this\\](https://x.example)"
    assert "@everyone" not in str(reply.body)
    assert_never_pings(fake_discord)


def test_cooldown_says_how_long_to_wait(fake_discord, tmp_path, scripted):
    settings = load_settings(env_for(fake_discord, tmp_path, DANDONG_COOLDOWN_RATE="2",
                                     DANDONG_COOLDOWN_SECONDS="60"))

    async def scenario(bot):
        replies = []
        for _ in range(3):
            replies.append(await fake_discord.reply_to(
                await fake_discord.slash("ask", question="coal ban")))
        other = await fake_discord.reply_to(
            await fake_discord.slash("ask", question="coal ban", who=p.OTHER))
        return replies, other

    replies, other = run_bot(settings, scenario, answer=scripted)
    assert [bool(flags(r) & EPHEMERAL) for r in replies] == [False, False, True]
    text = replies[2].body["data"]["content"]
    assert text.startswith("You're asking quickly — please wait ")
    assert int(text.split("wait ")[1].split(" ")[0]) in range(55, 61)
    assert not flags(other) & EPHEMERAL  # the cooldown is per user
    assert len(scripted.asked) == 3
    assert_never_pings(fake_discord)


def test_error_boundary_logs_and_keeps_running(fake_discord, settings, scripted, log_lines):
    async def scenario(bot):
        bug = await fake_discord.reply_to(await fake_discord.slash("ask", question="boom"))
        known = await fake_discord.reply_to(await fake_discord.slash("ask", question="kb down"))
        after = await fake_discord.reply_to(await fake_discord.slash("ask", question="coal ban"))
        return bug, known, after

    bug, known, after = run_bot(settings, scenario, answer=scripted)
    assert flags(bug) & EPHEMERAL and bug.body["data"]["content"] == GENERIC_FAILURE
    assert "secret internal detail" not in str(bug.body)
    log = log_lines.text()
    assert "failed answering /ask" in log
    assert "Traceback" in log and "RuntimeError: engine bug: secret internal detail" in log
    # our own errors carry a message meant for the user
    assert flags(known) & EPHEMERAL
    assert known.body["data"]["content"] == \
        "The knowledge base is missing; run \\`dandong build\\`."
    assert after.body["data"]["embeds"][0]["title"] == "coal ban"
    assert_never_pings(fake_discord)


def test_slow_answer_is_deferred_then_followed_up(fake_discord, settings, scripted):
    async def scenario(bot):
        sent = await fake_discord.slash("ask", question="slow one")
        deferred = await fake_discord.reply_to(sent)
        scripted.release.set()
        followup = await fake_discord.wait_http("POST", rf"/webhooks/{p.APP_ID}/{sent['token']}")
        return deferred, followup

    deferred, followup = run_bot(settings, scenario, answer=scripted,
                                 tuning=replace(FAST, defer_after=0.05))
    assert deferred.body["type"] == 5  # "Dandong is thinking…"
    assert followup.body["embeds"][0]["description"] == "A slow but complete answer."
    assert_never_pings(fake_discord)


def test_slow_not_found_turns_private_after_the_public_defer(fake_discord, settings, scripted):
    async def scenario(bot):
        sent = await fake_discord.slash("ask", question="slow unknown thing")
        deferred = await fake_discord.reply_to(sent)
        scripted.release.set()
        hook = rf"/webhooks/{p.APP_ID}/{sent['token']}"
        followup = await fake_discord.wait_http("POST", hook)
        return deferred, followup, fake_discord.http("DELETE", hook + "/messages/@original")

    deferred, followup, deleted = run_bot(settings, scenario, answer=scripted,
                                          tuning=replace(FAST, defer_after=0.05))
    assert deferred.body["type"] == 5
    assert len(deleted) == 1 and deleted[0].at < followup.at  # "thinking…" removed first
    assert followup.body["flags"] & EPHEMERAL
    assert buttons(followup.body["components"])[0]["custom_id"] == "dandong:ask:visits in Hu era"
    assert_never_pings(fake_discord)


def test_slash_command_in_a_dm(fake_discord, settings, scripted):
    async def scenario(bot):
        return await fake_discord.reply_to(
            await fake_discord.slash("ask", question="coal ban", guild=False))

    reply = run_bot(settings, scenario, answer=scripted)
    assert reply.body["data"]["embeds"][0]["title"] == "coal ban"
    assert_never_pings(fake_discord)


def test_rate_limited_callback_is_retried(fake_discord, settings, scripted):
    fake_discord.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 429,
                           {"message": "You are being rate limited.", "retry_after": 0.05,
                            "global": False},
                           headers={"Via": "1.1 google", "X-RateLimit-Scope": "user"})

    async def scenario(bot):
        sent = await fake_discord.slash("ask", question="coal ban")
        return sent, await fake_discord.reply_to(sent)

    sent, reply = run_bot(settings, scenario, answer=scripted)
    attempts = fake_discord.http("POST", rf"/interactions/{sent['id']}/.*/callback")
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.04
    assert reply.body["data"]["embeds"][0]["title"] == "coal ban"


def test_malformed_interactions_are_logged_not_fatal(fake_discord, settings, scripted,
                                                     log_lines):
    async def scenario(bot):
        broken = p.interaction(2, p.command_data("ask", {"question": "x"}, command_id="1"))
        del broken["attachment_size_limit"]
        await fake_discord.interact(broken)
        await fake_discord.interact(p.interaction(2, None))  # no data at all
        gone = await fake_discord.reply_to(await fake_discord.slash("retired"))
        ok = await fake_discord.reply_to(await fake_discord.slash("ask", question="coal ban"))
        return gone, ok

    gone, ok = run_bot(settings, scenario, answer=scripted)
    log = log_lines.text()
    assert "ignored a malformed INTERACTION_CREATE event from the gateway" in log
    assert "KeyError: 'attachment_size_limit'" in log
    assert flags(gone) & EPHEMERAL
    assert gone.body["data"]["content"] == "That command is no longer available; try /ask."
    assert ok.body["data"]["embeds"][0]["title"] == "coal ban"
    assert scripted.asked == [("coal ban", scripted.asked[0][1])]


def test_startup_log_line_gives_guilds_and_latency(fake_discord, settings, log_lines):
    async def scenario(bot):
        await asyncio.sleep(0)

    run_bot(settings, scenario)
    ready = [line for line in log_lines.lines if "Dandong is ready" in line]
    assert len(ready) == 1
    assert "in 1 guild(s); gateway latency " in ready[0] and ready[0].endswith(" ms")
    assert logging.getLogger("discord").level == logging.DEBUG  # still the fixture's level
