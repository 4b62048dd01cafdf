"""The Discord client: slash commands, mentions and DMs, all answered through one path with
one error boundary. The answering function is injected; the default is the engine over the
knowledge base that the settings name (KnowledgeSeams)."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.check.report import Report
from bot.config import DEFAULT_API_BASE, Settings
from bot.discord import render
from bot.discord.chart_cog import install_chart_command
from bot.discord.commands import Catalog, DandongTree, help_reply, install_commands, sync_tree
from bot.discord.digest_cog import install_digest
from bot.discord.kb_cog import install_kb_commands
from bot.discord.views import NO_MENTIONS, AskButton, PagedView, suggestion_view
from bot.engine.answer import Answer, Source
from bot.errors import DandongError

log = logging.getLogger("dandong.discord")

AnswerFn = Callable[[str, date | None], Answer]
CheckFn = Callable[[str, date | None], Report]
SourceLookup = Callable[[str], Source | None]
Producer = Callable[[], render.Reply]

GENERIC_FAILURE = (
    "Sorry, something went wrong answering that. It has been logged; please try again.")


# -- the seams: what answers, and where sources come from -------------------------------------
class KnowledgeSeams:
    """The real engine behind the bot: the knowledge base that `settings` name, opened (and
    built if missing) on first use. Supplies the default answer, source lookup and catalog."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._engine: Any = None
        self._checker: Any = None

    def engine(self) -> Any:
        """The engine, opened on first use."""
        with self._lock:
            if self._engine is None:
                from bot.engine import Engine
                from knowledge.store import open_store

                s = self._settings
                self._engine = Engine(open_store(s.db_path, s.data_dir, curation_db=s.curation_db))
            return self._engine

    def ask(self, question: str, today: date | None = None) -> Answer:
        """bot.engine's answer to `question`."""
        return self.engine().ask(question, today)

    def check(self, text: str, today: date | None = None) -> Report:
        """bot.check's report on `text`, over the same knowledge base."""
        store = self.engine().store
        with self._lock:
            if self._checker is None:
                from bot.check import Checker

                self._checker = Checker(store)
        return self._checker.check(text, today)

    def lookup_source(self, source_id: str) -> Source | None:
        """The citation for any knowledge row id (fact, visit, sanction, test_N, era_ID)."""
        from bot.engine.sources import cite, with_provenance

        store = self.engine().store
        row = store.lookup(source_id)
        return with_provenance(store, [cite(row)])[0] if row is not None else None

    def catalog(self) -> Catalog:
        """Eras, tests and source ids from the knowledge base; the defaults if it is unreadable."""
        try:
            store = self.engine().store
            tests = store.tests()
            ids = {*(f.id for f in store.facts()), *(s.id for s in store.sanctions()),
                   *(f"test_{t.n}" for t in tests)}
            return Catalog(eras=tuple(dict.fromkeys(e.leader for e in store.eras())),
                           tests=tuple((t.n, t.date) for t in tests),
                           source_ids=tuple(sorted(ids)))
        except DandongError as exc:
            log.warning("using the built-in command choices: %s", exc)
            return Catalog()


@dataclass(frozen=True)
class Tuning:
    """Timings and sizes; the defaults suit production, tests shorten them."""

    defer_after: float = 2.0  # Discord wants a response within 3 s: defer if not ready by then
    page_timeout: float = 180.0  # page buttons go away after this long unused
    drain_timeout: float = 10.0  # on shutdown, how long to wait for replies in flight
    page_chars: int = render.PAGE_CHARS
    guild_ready_timeout: float = 2.0
    sync_on_start: bool = True


class Cooldown:
    """At most `rate` questions per `per` seconds per user (a sliding window)."""

    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.per, self._clock = rate, per, clock
        self._hits: dict[int, deque[float]] = defaultdict(deque)
        self._warned_until: dict[int, float] = {}

    def hit(self, user_id: int) -> float:
        """Count a question; 0 if allowed, else the seconds until the next is allowed."""
        now = self._clock()
        hits = self._hits[user_id]
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        if len(hits) < self.rate:
            hits.append(now)
            return 0.0
        return hits[0] + self.per - now

    def first_refusal(self, user_id: int) -> bool:
        """True for the first refusal in a window, so chat replies say it once, not per message."""
        now = self._clock()
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        hits = self._hits.get(user_id)
        self._warned_until[user_id] = (hits[0] + self.per) if hits else now
        return True


def _guarded(event: str, parser: Callable[[Any], None]) -> Callable[[Any], None]:
    def parse(data: Any) -> None:
        try:
            parser(data)
        except Exception:
            # discord.py would let this end the gateway loop and the bot with it.
            log.exception("ignored a malformed %s event from the gateway", event)

    return parse


class DandongMixin:
    """Everything Dandong adds to a discord.py client; mixed into Client or AutoShardedClient."""

    def __init__(
        self,
        settings: Settings,
        *,
        answer: AnswerFn | None = None,
        source_lookup: SourceLookup | None = None,
        check: CheckFn | None = None,
        catalog: Catalog | None = None,
        today: Callable[[], date] | None = None,
        tuning: Tuning | None = None,
        **options: Any,
    ) -> None:
        self.settings = settings
        self.tuning = tuning or Tuning()
        self.catalog = catalog or Catalog()
        if answer is None or source_lookup is None or check is None:
            knowledge = KnowledgeSeams(settings)
            answer = answer or knowledge.ask
            source_lookup = source_lookup or knowledge.lookup_source
            check = check or knowledge.check
        self._answer = answer
        self._lookup = source_lookup
        self._check = check
        self._today = today or (lambda: datetime.now(settings.digest_tz).date())
        self.cooldown = Cooldown(settings.cooldown_rate, settings.cooldown_seconds)
        # One worker: answers take milliseconds, and SQLite connections stay on one thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dandong-answer")
        self._in_flight: set[asyncio.Future] = set()
        self._draining = False
        intents = discord.Intents(guilds=True, guild_messages=True, dm_messages=True)
        super().__init__(  # type: ignore[call-arg]
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            guild_ready_timeout=self.tuning.guild_ready_timeout,
            **options,
        )
        self.tree = DandongTree(self)  # type: ignore[arg-type]
        install_commands(self.tree, self.catalog)
        install_chart_command(self.tree, settings)
        self.kb = install_kb_commands(self.tree, settings)

    # -- pointing discord.py at DISCORD_API_BASE ----------------------------------------------
    def _get_state(self, **options: Any) -> Any:
        state = super()._get_state(**options)  # type: ignore[misc]
        state.parsers.update({e: _guarded(e, p) for e, p in state.parsers.items()})
        return state

    async def login(self, token: str) -> None:
        # discord.py builds every REST URL, webhooks included, from this one class attribute.
        Route.BASE = self.settings.api_base
        await super().login(token)  # type: ignore[misc]

    async def connect(self, *, reconnect: bool = True) -> None:
        if self.settings.api_base != DEFAULT_API_BASE:
            # A plain Client never asks /gateway/bot and reconnects to DEFAULT_GATEWAY after an
            # invalid session, so the server's answer has to become that default.
            _, url, _ = await self.http.get_bot_gateway()  # type: ignore[attr-defined]
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("using the gateway at %s", url)
        await super().connect(reconnect=reconnect)  # type: ignore[misc]

    async def setup_hook(self) -> None:
        self.add_dynamic_items(AskButton)  # type: ignore[attr-defined]
        self.digest = install_digest(self)  # /digest and its loop, before the sync
        if self.tuning.sync_on_start:
            try:
                await self.sync_commands()
            except discord.HTTPException as exc:
                log.error("could not sync slash commands (%s); the existing ones stay", exc)

    async def sync_commands(self, *, force: bool = False) -> list[str]:
        """Sync the command tree to DISCORD_GUILD_IDS (or globally) where it changed."""
        return await sync_tree(
            self,  # type: ignore[arg-type]
            self.tree,
            guild_ids=self.settings.guild_ids,
            state_db=self.settings.state_db_path,
            force=force,
        )

    async def on_ready(self) -> None:
        latency = self.latency  # type: ignore[attr-defined]
        shown = f"{latency * 1000:.0f} ms" if latency == latency and latency != float("inf") \
            else "not measured yet"
        log.info("Dandong is ready as %s in %d guild(s); gateway latency %s",
                 self.user, len(self.guilds), shown)  # type: ignore[attr-defined]

    # -- producing replies (run on the answer thread) -----------------------------------------
    def question_producer(
        self, question: str, extra_fields: Iterable[tuple[str, str]] = ()
    ) -> Producer:
        """A function that asks the engine and renders the reply."""
        extras = tuple(extra_fields)

        def produce() -> render.Reply:
            answer = self._answer(question, self._today())
            return render.answer_reply(answer, page_chars=self.tuning.page_chars,
                                       extra_fields=extras)

        return produce

    def check_producer(self, text: str, *, ephemeral: bool = False) -> Producer:
        """A function that fact-checks `text` and renders the verdicts."""

        def produce() -> render.Reply:
            if not text.strip():
                return render.error_reply("That message has no text to check (an embed or "
                                          "attachment only, or content Discord did not send).")
            report = self._check(text, self._today())
            return render.check_reply(report, ephemeral=ephemeral,
                                      page_chars=self.tuning.page_chars)

        return produce

    def source_producer(self, source_id: str, known_ids: Sequence[str] = ()) -> Producer:
        """A function that looks up a source and renders it (or the nearest ids)."""

        def produce() -> render.Reply:
            source = self._lookup(source_id)
            close = () if source else difflib.get_close_matches(source_id, known_ids, n=3)
            return render.source_reply(source_id, source, close)

        return produce

    # -- interactions ---------------------------------------------------------------------------
    async def respond(
        self, interaction: discord.Interaction, produce: Producer, *, cooldown: bool = True,
        private: bool = False,
    ) -> None:
        """Answer an interaction: cooldown, produce off the loop (deferring if slow), send.
        The error boundary: a failure is logged with its traceback and the user gets a short
        ephemeral message; nothing propagates."""
        async with self._tracked():
            try:
                wait = self.cooldown.hit(interaction.user.id) if cooldown else 0.0
                if wait > 0:
                    await self._send_interaction(interaction, render.cooldown_reply(wait), False)
                    return
                reply, deferred = await self._produce(interaction, produce, private)
                await self._send_interaction(interaction, reply, deferred, private)
            except Exception as exc:
                await self._interaction_failed(interaction, exc)

    async def _produce(
        self, interaction: discord.Interaction, produce: Producer, private: bool = False
    ) -> tuple[render.Reply, bool]:
        future = asyncio.get_running_loop().run_in_executor(self._executor, produce)
        done, _ = await asyncio.wait({future}, timeout=self.tuning.defer_after)
        if not done:
            # A private reply defers privately: the "thinking…" is then the asker's alone.
            await interaction.response.defer(thinking=True, ephemeral=private)
        return await future, not done

    async def _send_interaction(
        self, interaction: discord.Interaction, reply: render.Reply, deferred: bool,
        private: bool = False,
    ) -> None:
        view = self._view_for(reply, interaction.user.id)
        kwargs = _message_kwargs(reply, view)
        message: Any = None
        if not deferred:
            response = await interaction.response.send_message(ephemeral=reply.ephemeral, **kwargs)
            if response is not None and isinstance(response.resource, discord.InteractionMessage):
                message = response.resource
        else:
            if reply.ephemeral and not private:  # a public "thinking…" cannot turn ephemeral
                await interaction.delete_original_response()
            message = await interaction.followup.send(
                ephemeral=reply.ephemeral, wait=True, **kwargs)
        if isinstance(view, PagedView):
            view.message = message or await interaction.original_response()

    async def _interaction_failed(self, interaction: discord.Interaction, exc: Exception) -> None:
        text = self._describe_failure(exc, _interaction_summary(interaction))
        reply = render.error_reply(text)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(reply.content, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(reply.content, ephemeral=True,
                                                        allowed_mentions=NO_MENTIONS)
        except Exception:
            log.warning("could not tell the user about the failure", exc_info=True)

    @staticmethod
    def _describe_failure(exc: Exception, what: str) -> str:
        if isinstance(exc, DandongError):
            log.info("could not answer %s: %s", what, exc)
            return str(exc)
        log.error("failed answering %s", what, exc_info=exc)
        return GENERIC_FAILURE

    def _view_for(self, reply: render.Reply, asker_id: int) -> discord.ui.View | None:
        if len(reply.pages) > 1:
            return PagedView(reply.pages, asker_id, timeout=self.tuning.page_timeout)
        if reply.suggestions:
            return suggestion_view(reply.suggestions)
        return None

    # -- mentions and DMs -----------------------------------------------------------------------
    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, '' for a bare mention, None if not for us.
        Discord sends the content of DMs and of messages that mention the bot even without
        the message-content intent; other guild messages arrive empty and are ignored."""
        me = self.user  # type: ignore[attr-defined]
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None
        if message.guild is not None and me.id not in message.raw_mentions:
            return None
        return render.strip_bot_mention(message.content, me.id)

    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None:
            return
        async with self._tracked():
            try:
                wait = self.cooldown.hit(message.author.id)
                if wait > 0:
                    if self.cooldown.first_refusal(message.author.id):
                        await self._send_message(message, render.cooldown_reply(wait))
                    return
                to_check = render.check_request(question)
                if not question:
                    reply = help_reply(self.tree.get_commands(), self.catalog)
                elif to_check is not None:
                    reply = await asyncio.get_running_loop().run_in_executor(
                        self._executor, self.check_producer(to_check))
                else:
                    reply = await asyncio.get_running_loop().run_in_executor(
                        self._executor, self.question_producer(question))
                await self._send_message(message, reply)
            except Exception as exc:
                text = self._describe_failure(exc, f"message {message.id} ({question!r})")
                with contextlib.suppress(Exception):
                    await self._send_message(message, render.error_reply(text))

    async def _send_message(self, message: discord.Message, reply: render.Reply) -> None:
        view = self._view_for(reply, message.author.id)
        sent = await message.reply(mention_author=False, **_message_kwargs(reply, view))
        if isinstance(view, PagedView):
            view.message = sent

    # -- shutdown: finish replies in flight, then close -----------------------------------------
    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        done = asyncio.get_running_loop().create_future()
        self._in_flight.add(done)
        try:
            yield
        finally:
            done.set_result(None)
            self._in_flight.discard(done)

    async def close(self) -> None:
        if not self._draining:
            self._draining = True
            pending = [f for f in self._in_flight if not f.done()]
            if pending:
                log.info("finishing %d repl(ies) in flight before closing", len(pending))
                await asyncio.wait(pending, timeout=self.tuning.drain_timeout)
        await super().close()  # type: ignore[misc]
        self._executor.shutdown(wait=False, cancel_futures=True)


def _message_kwargs(reply: render.Reply, view: discord.ui.View | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if reply.content:
        kwargs["content"] = reply.content
    if reply.pages:
        kwargs["embed"] = discord.Embed.from_dict(reply.pages[0])
    if view is not None:
        kwargs["view"] = view
    return kwargs


def _interaction_summary(interaction: discord.Interaction) -> str:
    name = interaction.command.qualified_name if interaction.command else "component"
    return f"/{name} from user {interaction.user.id} (interaction {interaction.id})"


class DandongBot(DandongMixin, discord.Client):
    """Dandong on one gateway connection."""


class ShardedDandongBot(DandongMixin, discord.AutoShardedClient):
    """Dandong running SHARD_IDS of SHARD_COUNT shards in this process."""


def create_bot(settings: Settings, **seams: Any) -> DandongBot | ShardedDandongBot:
    """The client for these settings: sharded when SHARD_COUNT is set. `seams` are passed
    to DandongMixin (answer, source_lookup, check, catalog, today, tuning); without an answer
    function, the knowledge base in `settings` answers and supplies the choices."""
    if seams.get("answer") is None:
        knowledge = KnowledgeSeams(settings)
        seams["answer"] = knowledge.ask
        seams.setdefault("source_lookup", knowledge.lookup_source)
        seams.setdefault("check", knowledge.check)
        seams.setdefault("catalog", knowledge.catalog())
    if settings.shard_count:
        ids = list(settings.shard_ids) if settings.shard_ids else None
        return ShardedDandongBot(settings, shard_count=settings.shard_count, shard_ids=ids, **seams)
    return DandongBot(settings, **seams)
