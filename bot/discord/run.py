"""Running the bot: `serve` (backoff between failed starts, graceful shutdown on SIGINT and
SIGTERM) and `sync` (push the command tree now). Both return a process exit code:
0 done or stopped cleanly, 1 could not start or sync (the log says why)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import discord

from bot.config import Settings
from bot.discord.client import Tuning, create_bot
from bot.errors import ConfigError

log = logging.getLogger("dandong.discord")

EXIT_OK = 0
EXIT_FAILED = 1

TOKEN_REJECTED = (
    "Discord rejected DISCORD_TOKEN (401 Unauthorized). Reset the token in the Developer "
    "Portal (Bot page) and put the new one in .env; the value is not shown here."
)
# Gateway close codes that another attempt cannot fix: bad token, bad shard, bad intents.
FATAL_CLOSE_CODES = {
    4004: "the gateway rejected the token",
    4010: "SHARD_IDS/SHARD_COUNT are invalid",
    4011: "Discord requires sharding: set SHARD_COUNT",
    4012: "the gateway API version is invalid",
    4013: "the bot asked for invalid intents",
    4014: "the bot asked for intents it is not allowed (enable them in the Developer Portal)",
}
_NETWORK_ERRORS = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.HTTPException,
                   discord.GatewayNotFound, discord.ConnectionClosed)


@dataclass
class Backoff:
    """Growing, jittered waits between failed starts, so a crash loop cannot burn Discord's
    1,000 identifies a day; reset after a run that stayed up `healthy_after` seconds."""

    base: float = 5.0
    cap: float = 600.0
    healthy_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        """The wait before the next start: base·2ⁿ capped, times a random 0.5–1."""
        delay = min(self.cap, self.base * 2 ** self.failures)
        self.failures += 1
        return delay * (0.5 + self.rng.random() / 2)

    def reset(self) -> None:
        """Forget earlier failures."""
        self.failures = 0


@dataclass(frozen=True)
class _Fatal:
    message: str


def configure_logging(settings: Settings) -> None:
    """Show our log and discord.py's at LOG_LEVEL (a basic stderr handler if none is set)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("dandong", "discord"):
        logging.getLogger(name).setLevel(settings.log_level)


def _need_token(settings: Settings) -> str:
    if not settings.discord_token:
        raise ConfigError("DISCORD_TOKEN: missing; set it in .env (see .env.example)")
    return settings.discord_token


def serve(
    settings: Settings, *, backoff: Backoff | None = None, max_starts: int | None = None,
    **seams: Any,
) -> int:
    """Run the bot until SIGINT or SIGTERM (exit 0), starting again with backoff after a
    failure; exit 1 when the token or intents are refused, or after `max_starts` failures.
    `seams` go to create_bot (answer, source_lookup, catalog, today, tuning)."""
    token = _need_token(settings)
    configure_logging(settings)
    return asyncio.run(_serve(settings, token, backoff or Backoff(), max_starts, seams))


async def _serve(
    settings: Settings, token: str, backoff: Backoff, max_starts: int | None, seams: dict
) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = _install_signal_handlers(loop, stop)
    try:
        starts = 0
        while True:
            starts += 1
            began = loop.time()
            outcome = await _run_once(create_bot(settings, **seams), token, stop)
            if outcome is None:
                log.info("Dandong stopped")
                return EXIT_OK
            if isinstance(outcome, _Fatal):
                log.error("cannot start: %s", outcome.message)
                return EXIT_FAILED
            if loop.time() - began >= backoff.healthy_after:
                backoff.reset()
            if max_starts is not None and starts >= max_starts:
                log.error("giving up after %d failed starts (last: %s)", starts, outcome)
                return EXIT_FAILED
            delay = backoff.next_delay()
            log.warning("the bot stopped (%s); starting again in %.1f s", outcome, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                log.info("Dandong stopped")
                return EXIT_OK
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list:
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            log.debug("cannot handle %s here", sig.name)
        else:
            installed.append(sig)
    return installed


async def _run_once(bot: Any, token: str, stop: asyncio.Event) -> _Fatal | str | None:
    """One start: None when stopped on request, _Fatal when retrying cannot help, else a
    description of the failure."""
    async with bot:
        runner = asyncio.create_task(bot.start(token), name="dandong-bot")
        stopper = asyncio.create_task(stop.wait(), name="dandong-stop")
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            log.info("shutting down: finishing replies in flight, then closing the gateway")
            await bot.close()
            done, _ = await asyncio.wait({runner}, timeout=10)
            if not done:
                runner.cancel()
            with contextlib.suppress(BaseException):
                await runner
            return None
        stopper.cancel()
        exc = runner.exception()
    if exc is None:
        return "the client closed"
    return _classify(exc)


def _classify(exc: BaseException) -> _Fatal | str:
    if isinstance(exc, discord.LoginFailure):
        return _Fatal(TOKEN_REJECTED)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return _Fatal(FATAL_CLOSE_CODES[4014])
    if isinstance(exc, discord.ConnectionClosed) and exc.code in FATAL_CLOSE_CODES:
        return _Fatal(f"{FATAL_CLOSE_CODES[exc.code]} (close code {exc.code})")
    if not isinstance(exc, _NETWORK_ERRORS):
        log.error("the bot failed unexpectedly", exc_info=exc)
    return f"{type(exc).__name__}: {exc}"


def sync(settings: Settings, *, force: bool = False, **seams: Any) -> int:
    """Sync the slash-command tree with Discord now (to DISCORD_GUILD_IDS, or globally),
    skipping scopes unchanged since their last sync unless `force`."""
    token = _need_token(settings)
    configure_logging(settings)
    return asyncio.run(_sync(settings, token, force, seams))


async def _sync(settings: Settings, token: str, force: bool, seams: dict) -> int:
    tuning = replace(seams.pop("tuning", None) or Tuning(), sync_on_start=False)
    async with create_bot(settings, tuning=tuning, **seams) as bot:
        try:
            await bot.login(token)
            synced = await bot.sync_commands(force=force)
        except discord.LoginFailure:
            log.error("cannot sync: %s", TOKEN_REJECTED)
            return EXIT_FAILED
        except discord.Forbidden:
            log.error("cannot sync: Discord refused (403). Invite the bot with the "
                      "applications.commands scope to each guild in DISCORD_GUILD_IDS.")
            return EXIT_FAILED
        except _NETWORK_ERRORS as exc:
            log.error("cannot sync: %s: %s", type(exc).__name__, exc)
            return EXIT_FAILED
    if not synced:
        log.info("nothing to sync: the command tree is unchanged since the last sync "
                 "(force to push it anyway)")
    return EXIT_OK
