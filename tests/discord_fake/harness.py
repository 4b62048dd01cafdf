"""Pytest fixtures and helpers: the stand-in on a free port, settings pointing at it, a real
bot run against it, and a check that no log line of the test carries the token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.discord.client import Catalog, Tuning, create_bot

from . import payloads as p
from .answers import SOURCES, ScriptedEngine, lookup_source
from .server import FakeDiscord, Record

FAST = Tuning(guild_ready_timeout=0.05, page_timeout=30.0, drain_timeout=5.0)
TEST_CATALOG = Catalog(source_ids=tuple(SOURCES))


class LogLines(logging.Handler):
    """Every log record of a test, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


def assert_no_token(text: str) -> None:
    """Neither the token nor its secret part appears in `text`."""
    assert p.TOKEN not in text
    assert p.TOKEN_SECRET_PART not in text


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """All logging at DEBUG during the test; afterwards, no line may contain the token."""
    handler = LogLines()
    root = logging.getLogger()
    names = ("discord", "dandong", "aiohttp", "tests.discord_fake")
    saved = {n: logging.getLogger(n).level for n in names}
    root.addHandler(handler)
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)
    assert handler.lines, "nothing was logged: the token check would prove nothing"
    assert_no_token(handler.text())


@pytest.fixture
def fake_discord(log_lines: LogLines) -> Iterator[FakeDiscord]:
    """The stand-in Discord, serving on 127.0.0.1 on a free port."""
    fake = FakeDiscord()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def env_for(fake: FakeDiscord, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment settings pointing the bot at the stand-in."""
    env = {
        "DISCORD_TOKEN": p.TOKEN,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GUILD_IDS": str(p.GUILD_ID),
        "DANDONG_STATE_DB": str(tmp_path / "state.db"),
        "LOG_LEVEL": "DEBUG",
    }
    env.update(extra)
    return env


@pytest.fixture
def settings(fake_discord: FakeDiscord, tmp_path: Path) -> Settings:
    """Settings for a bot talking to the stand-in."""
    return load_settings(env_for(fake_discord, tmp_path))


@pytest.fixture
def scripted() -> ScriptedEngine:
    """The scripted answering function."""
    return ScriptedEngine()


Scenario = Callable[[Any], Awaitable[Any]]


def run_bot(settings: Settings, scenario: Scenario, *, timeout: float = 30.0, **seams: Any) -> Any:
    """Start the real bot against the stand-in, wait until it is ready, run `scenario(bot)`
    in the bot's event loop, then close the bot."""
    seams.setdefault("tuning", FAST)
    seams.setdefault("catalog", TEST_CATALOG)
    seams.setdefault("source_lookup", lookup_source)
    seams.setdefault("answer", ScriptedEngine())

    async def main() -> Any:
        bot = create_bot(settings, **seams)
        async with bot:
            runner = asyncio.create_task(bot.start(p.TOKEN))
            ready = asyncio.create_task(bot.wait_until_ready())
            done, _ = await asyncio.wait({runner, ready}, timeout=10,
                                         return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                runner.result()
                raise AssertionError("the bot stopped before it was ready")
            if not done:
                raise AssertionError("the bot did not become ready within 10 s")
            try:
                return await asyncio.wait_for(scenario(bot), timeout)
            finally:
                await bot.close()
                await asyncio.wait({runner}, timeout=10)

    return asyncio.run(main())


def sent_messages(fake: FakeDiscord) -> list[dict]:
    """Every message payload the bot sent or edited: interaction replies and updates,
    follow-ups and webhook edits, channel messages and their edits."""
    out = []
    for rec in fake.http():
        body = rec.body if isinstance(rec.body, dict) else None
        if body is None:
            continue
        if rec.path.endswith("/callback"):
            if body.get("type") in (4, 7):
                out.append(body.get("data") or {})
        elif rec.path.startswith(("/webhooks/", "/channels/")) and rec.method in ("POST", "PATCH"):
            out.append(body)
    return out


def assert_never_pings(fake: FakeDiscord) -> None:
    """allowed_mentions is 'none' on every message the bot sent: nothing can ping."""
    payloads = sent_messages(fake)
    assert payloads, "the bot sent nothing"
    for body in payloads:
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions["parse"] == [], body
        assert not mentions.get("users") and not mentions.get("roles"), body
        assert mentions.get("replied_user", False) is False, body


def flags(callback: Record) -> int:
    """The message flags of an interaction callback (64 = ephemeral)."""
    return (callback.body.get("data") or {}).get("flags") or 0


def buttons(components: list[dict]) -> list[dict]:
    """The buttons inside a message's action rows."""
    return [c for row in components for c in row.get("components", []) if c.get("type") == 2]
