"""`dandong digest`: print the digest for a date, or post today's digest once and exit."""

from __future__ import annotations

import asyncio
import json
import sys
from argparse import Namespace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.digest import compose, render_text
from bot.digest.post import Outcome, RestPoster, post_once
from bot.digest.schedule import local_date
from bot.digest.state import StateStore
from bot.errors import ConfigError, UsageError


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"dandong: {text}\n")


def _timezone(state: StateStore | None, settings: Settings) -> ZoneInfo:
    """The default channel's own timezone when it has a schedule, else DIGEST_TZ."""
    channel = settings.digest_channel_id
    sched = state.schedule(channel) if state and state.available and channel else None
    return sched.tz if sched else settings.digest_tz


def digest_cli(args: Namespace, settings: Settings) -> int:
    """Entry point for `dandong digest [--date D] [--json] [--post]`."""
    from knowledge.store import open_store

    if getattr(args, "post", False):
        if args.date is not None or args.json:
            raise UsageError("dandong digest: --post posts today's digest once; "
                             "it takes neither --date nor --json")
        return post_cli(settings, open_store(settings.db_path, settings.data_dir,
                                             curation_db=settings.curation_db))
    store = open_store(settings.db_path, settings.data_dir, curation_db=settings.curation_db)
    # A preview reads the state (never writes it) so it shows the next fact in rotation and
    # the changes since the last posted digest for DIGEST_CHANNEL_ID; without state it is a
    # pure function of the knowledge base and the date.
    state = None
    if settings.state_db_path.exists():
        state = StateStore(settings.state_db_path, readonly=True)
    day: date = args.date or local_date(datetime.now(UTC), _timezone(state, settings))
    channel = settings.digest_channel_id
    live = state is not None and state.available and channel is not None
    digest = compose(store, day, rotation=state.rotation(channel) if live else None,
                     previous=state.snapshot(channel) if live else None)
    if state is not None:
        state.close()
    _out(json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) if args.json
         else render_text(digest))
    return 0


def post_cli(settings: Settings, store) -> int:
    """Post today's digest to DIGEST_CHANNEL_ID unless it is already there; 0 when it is."""
    channel = settings.digest_channel_id
    if channel is None:
        raise ConfigError("DIGEST_CHANNEL_ID: missing; set it in .env to post the digest")
    if not settings.discord_token:
        raise ConfigError("DISCORD_TOKEN: missing; set it in .env (see .env.example)")
    state = StateStore(settings.state_db_path)
    if not state.available:
        _err(f"{state.problem} Not posting: without it a digest could be posted twice.")
        return 1
    try:
        now = datetime.now(UTC)
        day = local_date(now, _timezone(state, settings))
        outcome = asyncio.run(_post(settings, state, store, channel, day, now))
    finally:
        state.close()
    return report(outcome, channel)


async def _post(settings: Settings, state: StateStore, store, channel: int, day: date,
                now: datetime) -> Outcome:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        poster = RestPoster(session, settings.api_base, settings.discord_token or "")
        return await post_once(state, store, poster, channel, day, now)


def report(outcome: Outcome, channel: int) -> int:
    """One line about what happened; exit 0 when the digest is in the channel."""
    day = outcome.day.isoformat()
    lines = {
        "posted": f"posted the digest for {day} to channel {channel} "
                  f"(message {outcome.message_id})",
        "already": f"the digest for {day} is already posted in channel {channel}; "
                   "not posting again",
        "recovered": f"the digest for {day} had been posted to channel {channel} before an "
                     f"interruption (message {outcome.message_id}); recorded it",
    }
    if outcome.status in lines:
        _out(lines[outcome.status])
        return 0
    _err(f"the digest for {day} was not posted ({outcome.status}): {outcome.detail}")
    return 1
