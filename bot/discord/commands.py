"""Slash commands: /ask and its typed shortcuts, built from a Catalog of choices; and syncing
the command tree only when it changed since the last sync."""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import discord
from discord import app_commands

from bot.discord import render

log = logging.getLogger("dandong.discord")

DEFAULT_ERAS = (
    "Hu Jintao", "Xi Jinping", "Kim Jong Il", "Kim Jong Un", "Jiang Zemin",
    "Mao Zedong", "Deng Xiaoping", "Kim Il Sung", "Hua Guofeng",
)
DEFAULT_TESTS = (
    (1, "2006-10-09"), (2, "2009-05-25"), (3, "2013-02-12"),
    (4, "2016-01-06"), (5, "2016-09-09"), (6, "2017-09-03"),
)
DEFAULT_TOPICS = (
    "coal ban", "UNSCR 2321 coal cap", "UNSCR 2270", "LPG", "livelihood exemption",
    "trade share", "DOJ case 2016", "Agreed Framework 1994", "Six-Party 2005",
)
DEFAULT_EXAMPLES = (
    "visits in Hu era", "days after 2009 test", "coal ban", "how many visits since 1953",
    "when did Xi Jinping visit Pyongyang", "visits in Kim Jong Un era", "trade share",
    "UNSCR 2270",
)
CONTEXT_MENU_NAME = "Fact-check with Dandong"
CHECK_TEXT_MAX = 4000
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth")


@dataclass(frozen=True)
class Catalog:
    """The lists behind choices and autocomplete, held in memory (autocomplete must answer
    within 3 seconds and never defers). The engine or knowledge store can supply a fuller one."""

    eras: tuple[str, ...] = DEFAULT_ERAS
    tests: tuple[tuple[int, str], ...] = DEFAULT_TESTS
    topics: tuple[str, ...] = DEFAULT_TOPICS
    source_ids: tuple[str, ...] = ()
    examples: tuple[str, ...] = field(default=DEFAULT_EXAMPLES)

    def test_date(self, number: int) -> str | None:
        """The ISO date of nuclear test `number`, if known."""
        return dict(self.tests).get(number)


# -- typed shortcuts -> engine questions (pure) ----------------------------------------------
def visits_question(era: str) -> str:
    """/visits era:"Hu Jintao" -> 'visits in Hu Jintao era'."""
    return f"visits in {era} era"


def nuclear_test_question(number: int) -> str:
    """/test 2 -> 'days after the second nuclear test'."""
    word = ORDINALS[number - 1] if 1 <= number <= len(ORDINALS) else f"number {number}"
    return f"days after the {word} nuclear test"


def nuclear_test_label(number: int, iso_date: str) -> str:
    """The choice label for a test, showing its date: 'Test 2 · 2009-05-25'."""
    return f"Test {number} · {iso_date}"


def match_choices(
    options: Sequence[str], current: str, limit: int = render.CHOICES_MAX
) -> list[str]:
    """Autocomplete: options starting with what was typed, then those containing it, then
    close spellings; at most `limit` (Discord shows 25)."""
    typed = " ".join(current.lower().split())
    if not typed:
        return list(options[:limit])
    starts = [o for o in options if o.lower().startswith(typed)]
    contains = [o for o in options if typed in o.lower() and o not in starts]
    picked = starts + contains
    if len(picked) < limit:
        lowered = {o.lower(): o for o in options}
        close = difflib.get_close_matches(typed, list(lowered), n=limit, cutoff=0.6)
        picked += [lowered[c] for c in close if lowered[c] not in picked]
    return picked[:limit]


def _choices(names: Sequence[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=render.choice_name(n), value=n[: render.CHOICE_MAX])
            for n in names]


HELP_EXAMPLES = {
    "ask": "/ask question:visits in Hu era",
    "visits": "/visits era:Hu Jintao",
    "test": "/test number:Test 2 · 2009-05-25",
    "sanctions": "/sanctions topic:coal ban",
    "source": "/source id:<the id shown under an answer>",
    "help": "/help",
    "check": "/check text:Kim Jong Un has averaged 2.5 visits per year",
    "chart": "/chart kind:timeline from:2016 to:2017-12",
    "digest": "/digest preview",
    "kb": "/kb propose kind:Visit direction:China to North Korea",
}


# -- the tree --------------------------------------------------------------------------------
class DandongTree(app_commands.CommandTree):
    """The command tree, with the error boundary for failures outside our own handlers
    (unknown command, bad option): log with traceback, short ephemeral reply."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            log.warning("interaction for unknown command %r (tree out of sync?)", error.name)
            text = "That command is no longer available; try /ask."
        else:
            log.error("slash command failed", exc_info=error)
            text = "Something went wrong with that command; it has been logged."
        if interaction.type is discord.InteractionType.autocomplete:
            return
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
            else:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.info("could not report a command error to the user", exc_info=True)


def install_commands(tree: app_commands.CommandTree, catalog: Catalog) -> None:
    """Add /ask, /visits, /test, /sanctions, /source, /help, /check and the message menu
    "Fact-check with Dandong" to `tree`."""
    for command in build_commands(catalog):
        tree.add_command(command)


class Responder(Protocol):
    """What the commands need from the client (bot.discord.client.DandongMixin provides it);
    a protocol, so this module never imports the client that installs it."""

    tree: app_commands.CommandTree

    async def respond(self, interaction: discord.Interaction, produce, *,
                      cooldown: bool = True) -> None: ...

    def question_producer(self, question: str, extra_fields=()): ...

    def source_producer(self, source_id: str, known_ids): ...

    def check_producer(self, text: str, *, ephemeral: bool = False): ...


def _bot(interaction: discord.Interaction) -> Responder:
    return interaction.client  # type: ignore[return-value]


def build_commands(catalog: Catalog) -> list[app_commands.Command]:
    """The slash commands, with choices taken from `catalog`."""
    eras = catalog.eras[: render.CHOICES_MAX]
    tests = catalog.tests[: render.CHOICES_MAX]

    @app_commands.command(name="ask")
    @app_commands.describe(question="Your question in plain words, e.g. visits in Hu era")
    async def ask(
        interaction: discord.Interaction, question: app_commands.Range[str, 1, 300]
    ) -> None:
        """Ask about China–North Korea relations in plain words."""
        await _bot(interaction).respond(interaction, _bot(interaction).question_producer(question))

    @ask.autocomplete("question")
    async def ask_autocomplete(interaction: discord.Interaction, current: str):
        return _choices(match_choices(catalog.examples, current))

    @app_commands.command(name="visits")
    @app_commands.describe(era="The leader whose era to count")
    @app_commands.choices(era=_choices(eras))
    async def visits(interaction: discord.Interaction, era: str) -> None:
        """High-level China–North Korea visits in a leader's era."""
        bot = _bot(interaction)
        await bot.respond(interaction, bot.question_producer(visits_question(era)))

    @app_commands.command(name="test")
    @app_commands.describe(number="Which North Korean nuclear test")
    @app_commands.choices(number=[
        app_commands.Choice(name=nuclear_test_label(n, d), value=n) for n, d in tests])
    async def test(interaction: discord.Interaction, number: int) -> None:
        """Days from a North Korean nuclear test to the next high-level visit."""
        bot = _bot(interaction)
        extra = ()
        if (day := catalog.test_date(number)) is not None:
            extra = ((f"Nuclear test {number}", day),)
        await bot.respond(interaction, bot.question_producer(nuclear_test_question(number), extra))

    @app_commands.command(name="sanctions")
    @app_commands.describe(topic="A sanction, resolution or case, e.g. coal ban")
    async def sanctions(
        interaction: discord.Interaction, topic: app_commands.Range[str, 1, 200]
    ) -> None:
        """Sanctions and agreements: coal ban, UN resolutions, court cases."""
        bot = _bot(interaction)
        await bot.respond(interaction, bot.question_producer(topic))

    @sanctions.autocomplete("topic")
    async def sanctions_autocomplete(interaction: discord.Interaction, current: str):
        return _choices(match_choices(catalog.topics, current))

    @app_commands.command(name="source")
    @app_commands.rename(source_id="id")
    @app_commands.describe(source_id="The source id shown under an answer")
    async def source(
        interaction: discord.Interaction, source_id: app_commands.Range[str, 1, 100]
    ) -> None:
        """The quote or link behind a fact."""
        bot = _bot(interaction)
        await bot.respond(interaction, bot.source_producer(source_id.strip(), catalog.source_ids))

    @source.autocomplete("source_id")
    async def source_autocomplete(interaction: discord.Interaction, current: str):
        return _choices(match_choices(catalog.source_ids, current))

    @app_commands.command(name="check")
    @app_commands.describe(text="A sentence or paragraph to fact-check, e.g. from a draft")
    async def check(
        interaction: discord.Interaction, text: app_commands.Range[str, 1, CHECK_TEXT_MAX]
    ) -> None:
        """Fact-check a sentence or paragraph: a verdict on each claim, with sources."""
        bot = _bot(interaction)
        await bot.respond(interaction, bot.check_producer(text))

    @app_commands.context_menu(name=CONTEXT_MENU_NAME)
    async def check_message(interaction: discord.Interaction, message: discord.Message) -> None:
        bot = _bot(interaction)
        await bot.respond(interaction, bot.check_producer(message.content, ephemeral=True),
                          private=True)

    @app_commands.command(name="help")
    async def help_command(interaction: discord.Interaction) -> None:
        """What Dandong can answer, with examples."""
        bot = _bot(interaction)
        commands = bot.tree.get_commands()
        await bot.respond(interaction, lambda: help_reply(commands, catalog), cooldown=False)

    return [ask, visits, test, sanctions, source, help_command, check, check_message]


def help_reply(commands: Sequence[app_commands.Command | app_commands.Group],
               catalog: Catalog) -> render.Reply:
    """The /help reply (also sent for an empty mention): every command in the tree."""
    lines = [(c.name, c.description, HELP_EXAMPLES.get(c.name, f"/{c.name}")) for c in commands
             if not isinstance(c, app_commands.ContextMenu)]
    return render.help_reply(lines, catalog.examples)


# -- syncing only when the tree changed --------------------------------------------------------
def tree_payload(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> list:
    """The command payload Discord would receive for this scope."""
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def tree_hash(application_id: int | None, payload: list) -> str:
    """A stable hash of what a sync would send (the application is part of it, so a new
    token for another application syncs again)."""
    blob = json.dumps({"application_id": application_id, "commands": payload},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class SyncLedger:
    """The hash of the last synced tree per scope, in the state database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS command_sync ("
                " scope TEXT PRIMARY KEY, tree_hash TEXT NOT NULL, synced_at TEXT NOT NULL)"
            )
            self._db.commit()
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def open(cls, path: Path) -> SyncLedger | None:
        """The ledger, or None when the state database cannot be written (read-only place,
        a file where its folder should be, not a database): then every scope is synced and
        nothing is remembered, rather than the bot failing to start."""
        try:
            return cls(path)
        except (sqlite3.Error, OSError) as exc:
            log.warning("cannot record command syncs in %s (%s); syncing without the ledger",
                        path, exc)
            return None

    def last_hash(self, scope: str) -> str | None:
        """The hash recorded at the last sync of `scope`, if any."""
        row = self._db.execute(
            "SELECT tree_hash FROM command_sync WHERE scope = ?", (scope,)).fetchone()
        return row[0] if row else None

    def record(self, scope: str, digest: str, when: datetime) -> None:
        """Remember that `scope` now holds the tree with hash `digest`."""
        with self._db:
            self._db.execute(
                "INSERT INTO command_sync (scope, tree_hash, synced_at) VALUES (?, ?, ?)"
                " ON CONFLICT(scope) DO UPDATE SET tree_hash = excluded.tree_hash,"
                " synced_at = excluded.synced_at",
                (scope, digest, when.isoformat(timespec="seconds")),
            )

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()


async def sync_tree(
    client: discord.Client,
    tree: app_commands.CommandTree,
    *,
    guild_ids: Sequence[int],
    state_db: Path,
    force: bool = False,
) -> list[str]:
    """Sync to each guild in `guild_ids` (instant), or globally when there are none, skipping
    any scope whose tree is unchanged since its last sync. Returns the scopes synced."""
    scopes: list[discord.Object | None] = [discord.Object(g) for g in guild_ids] or [None]
    ledger = SyncLedger.open(state_db)
    synced = []
    try:
        for guild in scopes:
            name = "global" if guild is None else f"guild:{guild.id}"
            if guild is not None:
                tree.copy_global_to(guild=guild)
            payload = tree_payload(tree, guild)
            digest = tree_hash(client.application_id, payload)
            if not force and ledger is not None and ledger.last_hash(name) == digest:
                log.info("commands for %s unchanged since the last sync; not syncing", name)
                continue
            await tree.sync(guild=guild)
            log.info("synced %d commands to %s", len(payload), name)
            synced.append(name)
            if ledger is not None:
                try:
                    ledger.record(name, digest, datetime.now(UTC))
                except sqlite3.Error as exc:  # the sync happened; only the memory of it is lost
                    log.warning("could not record the sync of %s (%s)", name, exc)
    finally:
        if ledger is not None:
            ledger.close()
    return synced
