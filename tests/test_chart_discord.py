"""/chart through the real discord.py client and the stand-in Discord on 127.0.0.1: the PNG
is uploaded as an attachment whose description is the alt text, nobody is mentioned, and a
bad range gets a private one-line reply before anything is drawn."""

from __future__ import annotations

import pytest

from bot.charts import render_chart
from bot.config import load_settings
from knowledge.build import build
from knowledge.store import KnowledgeStore
from tests.discord_fake.harness import env_for, fake_discord, log_lines, run_bot  # noqa: F401

EPHEMERAL = 1 << 6


@pytest.fixture(scope="module")
def chart_kb(tmp_path_factory):
    path = tmp_path_factory.mktemp("chart_discord") / "knowledge.db"
    build(path)
    return path


@pytest.fixture
def chart_settings(fake_discord, tmp_path, chart_kb):  # noqa: F811
    return load_settings(env_for(fake_discord, tmp_path, DANDONG_DB=str(chart_kb)))


def test_chart_uploads_the_png_with_alt_text(fake_discord, chart_settings, chart_kb):  # noqa: F811
    async def scenario(bot):
        sent = await fake_discord.slash("chart", kind="gaps")
        return await fake_discord.wait_http("POST", rf"/webhooks/\d+/{sent['token']}",
                                            timeout=15)

    rec = run_bot(chart_settings, scenario)
    assert rec.status == 200
    synced = [c["name"] for scope in fake_discord.commands.values() for c in scope]
    assert "chart" in synced  # the client installs /chart before its first sync
    chart = render_chart(KnowledgeStore(chart_kb), "gaps")
    (upload,) = rec.body["files"]
    assert upload["filename"] == "dandong-gaps.png" and upload["data"] == chart.png
    (attachment,) = rec.body["attachments"]
    assert attachment["filename"] == "dandong-gaps.png"
    assert attachment["description"] == chart.alt_text
    assert "434 days (partial)" in attachment["description"]
    assert rec.body["allowed_mentions"] == {"parse": []}


def test_chart_bad_range_is_refused_privately(fake_discord, chart_settings):  # noqa: F811
    async def scenario(bot):
        sent = await fake_discord.slash("chart", kind="timeline", **{"from": "2017-02-30"})
        return await fake_discord.wait_http(
            "POST", rf"/interactions/{sent['id']}/{sent['token']}/callback")

    rec = run_bot(chart_settings, scenario)
    data = rec.body["data"]
    assert data["flags"] & EPHEMERAL
    assert data["content"].startswith("'2017-02-30' is not a real date: February 2017 has 28")
    assert data["allowed_mentions"] == {"parse": []}
    assert not fake_discord.http("POST", r"/webhooks/.*")  # nothing drawn, nothing sent
