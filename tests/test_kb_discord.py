"""/kb end to end: the real discord.py client and the real engine against the stand-in Discord
on 127.0.0.1, with a real curation database and knowledge base in tmp_path. A member proposes
through the form, a reviewer approves, and the question is answered with the team's mark;
self-approval, non-reviewers, bad dates and bad URLs are refused privately."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.config import load_settings
from knowledge.curation import CurationStore
from tests.discord_fake import payloads as p
from tests.discord_fake.harness import (  # noqa: F401
    assert_never_pings,
    env_for,
    fake_discord,
    log_lines,
    run_bot,
)

MANAGE_GUILD = 1 << 5
EPHEMERAL = 64
URL = "https://example.org/news/2026/11/20/visit"
VISIT_FORM = {"Date(s), YYYY-MM-DD": "2026-11-20 to 2026-11-22",
              "Who travelled (Name, title)": "Li Testperson, Vice Premier",
              "What the visit was for": "Talks on border trade in Pyongyang",
              "Source URL (http or https)": URL,
              "Quote from the source (optional)": "Li Testperson arrived in Pyongyang"}


@pytest.fixture
def kb_settings(fake_discord, tmp_path, kb_path):  # noqa: F811
    shutil.copy(kb_path, tmp_path / "kb.db")  # a private copy: approvals rebuild it
    return load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(tmp_path / "kb.db"),
                                 DANDONG_CURATION_DB=str(tmp_path / "team" / "curation.db"),
                                 DANDONG_REVIEWER_ROLE_IDS=str(p.REVIEWER_ROLE_ID)))


async def reply(fake, sent: dict) -> dict:
    """What the member sees: the direct reply, or the follow-up after a private defer."""
    callback = await fake.reply_to(sent, timeout=15)
    body = callback.body
    if body["type"] == 5:
        assert body["data"]["flags"] & EPHEMERAL  # even "thinking…" is private
        follow = await fake.wait_http("POST", rf"/webhooks/{p.APP_ID}/{re.escape(sent['token'])}",
                                      timeout=60)
        return follow.body
    return body["data"] if body["type"] == 4 else body


async def open_form(fake, who=p.ASKER, **options) -> dict:
    """/kb propose …: the modal the bot opens (its callback data)."""
    callback = await fake.reply_to(await fake.slash_sub("kb", "propose", who=who, **options))
    assert callback.body["type"] == 9, callback.body
    return callback.body["data"]


def test_propose_approve_answer_through_discord(fake_discord, kb_settings):  # noqa: F811
    fake = fake_discord

    async def scenario(bot):
        out = {}
        form = await open_form(fake, kind="visit", direction="CN->KP")
        out["form"] = form
        out["proposed"] = await reply(fake, await fake.submit_modal(form, VISIT_FORM))
        out["resubmitted"] = await reply(fake, await fake.submit_modal(
            await open_form(fake, kind="visit", direction="CN->KP"), VISIT_FORM))
        out["pending"] = await reply(fake, await fake.slash_sub("kb", "pending", who=p.OTHER))
        out["before"] = await reply(fake, await fake.slash("ask", question="Li Testperson"))
        admin = int(p.EVERYONE_PERMISSIONS) | MANAGE_GUILD
        out["self"] = await reply(fake, await fake.slash_sub("kb", "approve", permissions=admin,
                                                             id=1))
        out["not_reviewer"] = await reply(fake, await fake.slash_sub("kb", "approve",
                                                                     who=p.OTHER, id=1))
        out["approved"] = await reply(fake, await fake.slash_sub("kb", "approve",
                                                                 who=p.REVIEWER, id=1))
        out["again"] = await reply(fake, await fake.slash_sub("kb", "approve",
                                                              who=p.REVIEWER, id=1))
        out["answer"] = await reply(fake, await fake.slash("ask", question="Li Testperson"))
        out["history"] = await reply(fake, await fake.slash_sub("kb", "history", id=1))
        return out

    r = run_bot(kb_settings, scenario, answer=None, source_lookup=None, timeout=120)
    titles = [c["components"][0]["label"] for c in r["form"]["components"]]
    assert titles == list(VISIT_FORM)  # five inputs: dates, who, what, source URL, quote
    assert all(m["flags"] & EPHEMERAL for k, m in r.items() if k not in ("form", "answer"))

    assert r["proposed"]["content"].startswith("Proposal #1 is recorded and waits for review")
    assert "already has this visit" in r["resubmitted"]["content"]
    assert "#1 visit 2026-11-20 to 2026-11-22: Li Testperson" in r["pending"]["content"]
    assert "proposed by researcher" in r["pending"]["content"]
    assert r["before"]["embeds"][0]["color"] != 0x2E7D6B  # pending: not an answer yet
    assert "You proposed #1; another reviewer has to approve it." in r["self"]["content"]
    assert r["not_reviewer"]["content"].startswith("Only reviewers can approve proposals")
    assert r["approved"]["content"].startswith("Approved #1 as team\\_visit\\_1")
    assert "answers include it now" in r["approved"]["content"]
    assert "already approved by reviewer" in r["again"]["content"]

    (embed,) = r["answer"]["embeds"]
    assert not r["answer"].get("flags", 0) & EPHEMERAL  # a found answer is public
    assert embed["description"].startswith("Li Testperson on record:")
    (team,) = [f for f in embed["fields"] if f["name"].startswith("Added by the team")]
    assert team["name"] == "Added by the team · team\\_visit\\_1"
    assert re.fullmatch(rf"Added by the team on \d{{4}}-\d\d-\d\d \(approved by reviewer\), "
                        rf"source {re.escape(URL)}\n“Li Testperson arrived in Pyongyang”",
                        team["value"]), team["value"]
    lines = r["history"]["content"].splitlines()
    assert [ln.split("  ", 1)[1].split(" #")[0] for ln in lines] == [
        "researcher proposed", "reviewer approved"]

    store = CurationStore(kb_settings.curation_db)
    (proposal,) = store._select()
    assert (proposal.status, proposal.proposer, proposal.reviewer) == (
        "approved", f"discord:{p.ASKER_ID}", f"discord:{p.REVIEWER_ID}")
    assert [e.action for e in store.history()] == ["propose", "approve"]
    store.close()
    assert_never_pings(fake_discord)


@pytest.mark.parametrize(("form", "options", "expected"), [
    ({"Date(s), YYYY-MM-DD": "2026-02-30"}, {"kind": "visit", "direction": "CN->KP"},
     ["date: '2026-02-30' is not a real date"]),
    ({"Source URL (http or https)": "ftp://example.org/x"}, {"kind": "visit",
                                                            "direction": "KP->CN"},
     ["source URL: 'ftp://example.org/x' is not an http(s) URL"]),
    ({"Date(s), YYYY-MM-DD": "Nov 20", "Source URL (http or https)": "example.org"},
     {"kind": "visit", "direction": "CN->KP"},
     ["date: 'Nov 20' is not a date in the form YYYY-MM-DD", "is not an http(s) URL"]),
    ({"Date(s), YYYY-MM-DD": "2026-11-22 to 2026-11-20"}, {"kind": "visit",
                                                          "direction": "CN->KP"},
     ["end date: 2026-11-20 is before the start, 2026-11-22"]),
])
def test_bad_dates_and_urls_are_refused_privately(fake_discord, kb_settings, form, options,  # noqa: F811
                                                  expected):
    async def scenario(bot):
        modal = await open_form(fake_discord, **options)
        return await reply(fake_discord, await fake_discord.submit_modal(
            modal, {**VISIT_FORM, **form}))

    refused = run_bot(kb_settings, scenario, timeout=60)
    assert refused["flags"] & EPHEMERAL
    text = refused["content"]
    assert text.startswith("The proposal was not saved:")
    for message in expected:
        assert message in text
    assert CurationStore(kb_settings.curation_db).pending() == []
    assert_never_pings(fake_discord)


def test_what_is_refused_before_the_form_opens(fake_discord, kb_settings):  # noqa: F811
    async def scenario(bot):
        out = {}
        out["no_direction"] = await reply(fake_discord, await fake_discord.slash_sub(
            "kb", "propose", kind="visit"))
        out["dm"] = await reply(fake_discord, await fake_discord.slash_sub(
            "kb", "pending", guild=False))
        out["reject_other"] = await reply(fake_discord, await fake_discord.slash_sub(
            "kb", "reject", who=p.OTHER, id=1, reason="no"))
        return out

    r = run_bot(kb_settings, scenario, timeout=60)
    assert all(m["flags"] & EPHEMERAL for m in r.values())
    assert r["no_direction"]["content"].startswith("A visit needs its direction")
    assert "curated in a server" in r["dm"]["content"]
    assert "There is no proposal #1" in r["reject_other"]["content"]
    assert_never_pings(fake_discord)


def test_the_proposer_may_withdraw_but_only_reviewers_reject_others(fake_discord,  # noqa: F811
                                                                   kb_settings):
    fact_form = {"Date(s), YYYY-MM-DD": "2026-11-15",
                 "Who or where it names (optional)": "Sinuiju; Dandong",
                 "The fact, in a sentence or two": "The New Yalu River Bridge opened to lorries.",
                 "Source URL (http or https)": "https://example.org/bridge"}

    async def scenario(bot):
        out = {}
        for _ in range(2):
            await reply(fake_discord, await fake_discord.submit_modal(
                await open_form(fake_discord, kind="fact"),
                {**fact_form, "The fact, in a sentence or two":
                 fact_form["The fact, in a sentence or two"] + f" ({_})"}))
        out["other"] = await reply(fake_discord, await fake_discord.slash_sub(
            "kb", "reject", who=p.OTHER, id=1, reason="I do not like it"))
        out["withdrawn"] = await reply(fake_discord, await fake_discord.slash_sub(
            "kb", "reject", id=1, reason="Wrong date, will propose again"))
        out["reviewer"] = await reply(fake_discord, await fake_discord.slash_sub(
            "kb", "reject", who=p.REVIEWER, id=2, reason="Duplicate of #1"))
        return out

    r = run_bot(kb_settings, scenario, timeout=60)
    assert r["other"]["content"].startswith("Only reviewers can reject proposals")
    assert r["withdrawn"]["content"] == "Rejected #1: Wrong date, will propose again"
    assert r["reviewer"]["content"] == "Rejected #2: Duplicate of #1"
    assert_never_pings(fake_discord)
