"""The digest in Discord: `/digest set|off|preview|status` and the loop that posts it.

Only the Discord talk lives here: composing is bot.digest, when-to-post is bot.digest.schedule,
post-once is bot.digest.post, and state is bot.digest.state. The client is a plain discord.Client
with a command tree, so this is an app_commands.Group plus a DigestService that owns a
discord.ext.tasks loop; `install_digest(client)` from the client's setup_hook plays the part
of a Cog's cog_load (add the group before the tree is synced, start the loop once; never from
on_ready, which fires again on every reconnect).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import tasks

from bot.config import Settings, parse_time_of_day, parse_timezone
from bot.digest import compose, render_embed
from bot.digest.post import (
    HistoryUnavailable,
    Outcome,
    PostRefused,
    PostUncertain,
    is_digest_message,
    post_once,
)
from bot.digest.schedule import Schedule, decide, local_date
from bot.digest.state import ChannelSchedule, StateError, StateStore

log = logging.getLogger("dandong.digest")

NO_MENTIONS = discord.AllowedMentions.none()
RETRY_AFTER = timedelta(minutes=10)
TICK_SECONDS = 60.0
HISTORY_LIMIT = 200
FORMS = 'Expected forms: time "08:30", timezone "Asia/Seoul", date "2026-11-28".'


class ClientPoster:
    """bot.digest.post.Poster over a connected discord.py client."""

    def __init__(self, client: discord.Client):
        self.client = client

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is not None:
            return channel
        try:
            return await self.client.fetch_channel(channel_id)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise PostRefused(f"channel {channel_id} is gone or hidden from the bot "
                              f"({exc.status} {exc.text or ''})".rstrip()) from exc
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PostUncertain(str(exc)) from exc

    async def send(self, channel_id: int, message: dict[str, Any], nonce: str) -> str:
        channel = await self._channel(channel_id)
        embeds = [discord.Embed.from_dict(e) for e in message.get("embeds", [])]
        try:
            sent = await channel.send(embeds=embeds, allowed_mentions=NO_MENTIONS, nonce=nonce)
        except discord.HTTPException as exc:
            if exc.status >= 500:
                raise PostUncertain(f"Discord answered {exc.status}") from exc
            hint = {403: ": the bot lacks permission to post there",
                    404: ": the channel no longer exists"}.get(exc.status, "")
            raise PostRefused(f"Discord answered {exc.status} ({exc.text}){hint}") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PostUncertain(f"{type(exc).__name__}: {exc}") from exc
        return str(sent.id)

    async def find(self, channel_id: int, marker: str, nonce: str,
                   since: datetime) -> str | None:
        me = self.client.user
        if me is None:
            raise PostUncertain("not logged in yet")
        try:
            channel = await self._channel(channel_id)
        except PostRefused as exc:
            raise HistoryUnavailable(str(exc)) from exc
        try:
            async for m in channel.history(after=since, limit=HISTORY_LIMIT):
                as_json = {"id": m.id, "author": {"id": m.author.id}, "nonce": m.nonce,
                           "embeds": [e.to_dict() for e in m.embeds]}
                if is_digest_message(as_json, str(me.id), marker, nonce):
                    return str(m.id)
        except discord.HTTPException as exc:
            if exc.status >= 500:
                raise PostUncertain(f"Discord answered {exc.status}") from exc
            raise HistoryUnavailable(f"Discord answered {exc.status} ({exc.text})") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PostUncertain(f"{type(exc).__name__}: {exc}") from exc
        return None


class DigestService:
    """Schedules, the posting loop and the answers the commands give; state passed in."""

    def __init__(self, client: discord.Client, settings: Settings, *,
                 state: StateStore | None = None, store: Any = None,
                 clock: Callable[[], datetime] | None = None,
                 interval: float = TICK_SECONDS, retry_after: timedelta = RETRY_AFTER):
        self.client = client
        self.settings = settings
        self.state = state if state is not None else StateStore(settings.state_db_path)
        self._store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.interval = interval
        self.retry_after = retry_after
        self.poster = ClientPoster(client)

    @property
    def store(self) -> Any:
        if self._store is None:
            from knowledge.store import open_store

            s = self.settings
            self._store = open_store(s.db_path, s.data_dir, curation_db=s.curation_db)
        return self._store

    # -- the loop ----------------------------------------------------------------------------
    def start(self) -> None:
        """Seed the .env default channel and start the loop (idempotent)."""
        if not self.state.available:
            log.warning("daily digest disabled: %s", self.state.problem)
            return
        channel = self.settings.digest_channel_id
        if channel is not None:
            default = Schedule(self.settings.digest_time, self.settings.digest_tz)
            if self.state.seed_default(channel, default, self.clock()):
                log.info("digest scheduled in channel %s at %s (from .env)", channel,
                         default.describe())
        if not self.ticker.is_running():
            self.ticker.change_interval(seconds=self.interval)
            self.ticker.start()

    def stop(self) -> None:
        self.ticker.cancel()

    @tasks.loop(seconds=TICK_SECONDS)
    async def ticker(self) -> None:
        if self.client.is_closed():
            self.ticker.stop()
            return
        # tasks.loop ends for good on most exceptions: nothing may escape this body.
        try:
            await self.run_due()
        except Exception:
            log.exception("digest round failed; the loop keeps running")

    @ticker.before_loop
    async def _before_ticker(self) -> None:
        await self.client.wait_until_ready()

    async def run_due(self) -> list[Outcome]:
        """Post every digest whose time has passed today and is not yet posted."""
        if not self.state.available:
            return []
        now = self.clock()
        outcomes = []
        for sched in self.state.schedules():
            try:
                self._learn_guild(sched)
                outcome = await self._run_channel(sched, now)
            except Exception as exc:
                log.exception("digest for channel %s failed", sched.channel_id)
                self._remember(sched.channel_id, now, f"Unexpected error: {exc}")
                continue
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def _run_channel(self, sched: ChannelSchedule, now: datetime) -> Outcome | None:
        decision = decide(now, sched.schedule, self.state.last_posted(sched.channel_id))
        if not decision.post or decision.day is None:
            return None
        channel = self.client.get_channel(sched.channel_id)
        if channel is None and getattr(self.client, "shard_ids", None):
            return None  # most likely a guild on another process's shards
        outcome = await post_once(self.state, self.store, self.poster, sched.channel_id,
                                  decision.day, now, retry_after=self.retry_after)
        level = logging.INFO if outcome.ok or outcome.status == "waiting" else logging.WARNING
        log.log(level, "digest %s for channel %s: %s %s", outcome.day, sched.channel_id,
                outcome.status, outcome.detail)
        return outcome

    def _learn_guild(self, sched: ChannelSchedule) -> None:
        """A channel seeded from .env gets its guild once the client can see it (for status)."""
        if sched.guild_id is None:
            guild = getattr(self.client.get_channel(sched.channel_id), "guild", None)
            if guild is not None:
                self.state.set_guild(sched.channel_id, guild.id)

    def _remember(self, channel_id: int, now: datetime, message: str) -> None:
        try:
            self.state.record_failure(channel_id, None, message, now)
        except StateError:
            log.warning("could not record the failure either", exc_info=True)

    # -- what the commands say -------------------------------------------------------------
    def set_schedule(self, guild_id: int, channel_id: int, time_text: str, tz_text: str,
                     user_id: int) -> str:
        try:
            sched = Schedule(parse_time_of_day(time_text), parse_timezone(tz_text))
        except ValueError as exc:
            return f"That did not work: {exc}. {FORMS}"
        if not self.state.available:
            return f"Cannot save the schedule. {self.state.problem}"
        now = self.clock()
        self.state.set_schedule(channel_id, guild_id, sched, now, by=user_id)
        nxt = decide(now, sched, self.state.last_posted(channel_id))
        when = ("within a minute (today's time has passed)" if nxt.post
                else _stamp(nxt.next_run))
        return (f"The daily digest will be posted in <#{channel_id}> at {sched.describe()}. "
                f"Next: {when}.")

    def turn_off(self, guild_id: int, channel_id: int | None) -> str:
        if not self.state.available:
            return f"Cannot change the schedule. {self.state.problem}"
        now = self.clock()
        if channel_id is not None:
            if self.state.disable(channel_id=channel_id, now=now) == 0:
                return f"No digest is running in <#{channel_id}>."
            return f"The daily digest in <#{channel_id}> is off."
        n = self.state.disable(guild_id=guild_id, now=now)
        if n == 0:
            return "No digest is scheduled in this server."
        return f"The daily digest is off in {n} channel{'s' if n != 1 else ''} of this server."

    def status(self, guild_id: int) -> str:
        if not self.state.available:
            return self.state.problem or "The state database is unavailable."
        now = self.clock()
        rows = [s for s in self.state.schedules(enabled_only=False) if s.guild_id == guild_id]
        if not rows:
            return ("No digest is scheduled in this server. Start one with "
                    "/digest set channel:#research time:08:30 timezone:Asia/Seoul")
        lines = ["Daily digest in this server:"]
        for s in rows:
            last = self.state.last_posted(s.channel_id)
            head = f"• <#{s.channel_id}> at {s.schedule.describe()}"
            if not s.enabled:
                lines.append(f"{head}: off")
            else:
                nxt = decide(now, s.schedule, last)
                when = "due now" if nxt.post else _stamp(nxt.next_run)
                lines.append(f"{head}; last posted {last or 'never'}; next {when}")
            failure = self.state.last_failure(s.channel_id)
            if failure is not None:
                lines.append(f"  ⚠ {failure.at:%Y-%m-%d %H:%M} UTC: {failure.message}")
        return "\n".join(lines)

    def preview(self, channel_id: int | None, day_text: str | None) -> dict[str, Any] | str:
        """The embed the digest would have for that date here (state is read, not changed)."""
        sched = self.state.schedule(channel_id) if channel_id and self.state.available else None
        if day_text:
            try:
                day = date.fromisoformat(day_text.strip())
            except ValueError:
                return f"{day_text!r} is not a date. {FORMS}"
        else:
            day = local_date(self.clock(), sched.tz if sched else self.settings.digest_tz)
        known = sched is not None
        digest = compose(self.store, day,
                         rotation=self.state.rotation(channel_id) if known and channel_id
                         else None,
                         previous=self.state.snapshot(channel_id) if known and channel_id
                         else None)
        return render_embed(digest)


def _stamp(when: datetime) -> str:
    return f"<t:{int(when.timestamp())}:f> (<t:{int(when.timestamp())}:R>)"


async def _say(interaction: discord.Interaction, text: str | None = None,
               embed: dict[str, Any] | None = None) -> None:
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": NO_MENTIONS}
    if embed is not None:
        kwargs["embed"] = discord.Embed.from_dict(embed)
    if interaction.response.is_done():
        await interaction.followup.send(text or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(text, **kwargs)


def _refusal(interaction: discord.Interaction, *, manage: bool) -> str | None:
    if interaction.guild_id is None:
        return "Digest settings belong to a server: use /digest in a server channel."
    if manage and not interaction.permissions.manage_guild:
        return "Changing the digest needs the Manage Server permission."
    return None


class DigestCommands(app_commands.Group):
    """/digest: the daily metric digest."""

    def __init__(self, service: DigestService):
        super().__init__(name="digest", description="The daily metric digest")
        self.service = service

    async def _guarded(self, interaction: discord.Interaction, work: Callable[[], Any],
                       embed_ok: bool = False) -> None:
        """One error boundary per command: log the traceback, tell the user briefly."""
        try:
            result = await asyncio.to_thread(work)
            if isinstance(result, dict) and embed_ok:
                await _say(interaction, embed=result)
            else:
                await _say(interaction, str(result))
        except Exception:
            log.exception("/digest failed for user %s", interaction.user.id)
            try:
                await _say(interaction, "Something went wrong with /digest; it has been logged.")
            except discord.HTTPException:
                log.info("could not report the failure", exc_info=True)

    @app_commands.command(name="set")
    @app_commands.describe(channel="Where to post", time="Local time of day, e.g. 08:30",
                           timezone="IANA timezone, e.g. Asia/Seoul")
    async def set_(self, interaction: discord.Interaction, channel: discord.TextChannel,
                   time: str, timezone: str) -> None:
        """Post the daily digest in a channel at a local time (needs Manage Server)."""
        refusal = _refusal(interaction, manage=True)
        if refusal:
            await _say(interaction, refusal)
            return
        guild_id, user_id = interaction.guild_id or 0, interaction.user.id
        await self._guarded(interaction, lambda: self.service.set_schedule(
            guild_id, channel.id, time, timezone, user_id))

    @app_commands.command(name="off")
    @app_commands.describe(channel="Only this channel (default: every channel here)")
    async def off(self, interaction: discord.Interaction,
                  channel: discord.TextChannel | None = None) -> None:
        """Stop the daily digest in this server or one channel (needs Manage Server)."""
        refusal = _refusal(interaction, manage=True)
        if refusal:
            await _say(interaction, refusal)
            return
        guild_id = interaction.guild_id or 0
        await self._guarded(interaction, lambda: self.service.turn_off(
            guild_id, channel.id if channel else None))

    @app_commands.command(name="preview")
    @app_commands.describe(date="The digest's date as YYYY-MM-DD (default: today)")
    async def preview(self, interaction: discord.Interaction, date: str | None = None) -> None:
        """Show the digest for today or a date, only to you."""
        channel_id = interaction.channel_id
        await self._guarded(interaction, lambda: self.service.preview(channel_id, date),
                            embed_ok=True)

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Where and when the digest posts here, and its last failure."""
        refusal = _refusal(interaction, manage=False)
        if refusal:
            await _say(interaction, refusal)
            return
        guild_id = interaction.guild_id or 0
        await self._guarded(interaction, lambda: self.service.status(guild_id))


def install_digest(client: discord.Client, **options: Any) -> DigestService:
    """Add /digest to the client's tree and start the digest loop; call from setup_hook,
    before the tree is synced. `options` go to DigestService (state, store, clock, interval)."""
    service = DigestService(client, client.settings, **options)  # type: ignore[attr-defined]
    client.tree.add_command(DigestCommands(service))  # type: ignore[attr-defined]
    service.start()
    return service
