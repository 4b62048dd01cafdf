"""/chart kind [from] [to]: a chart as a PNG attachment whose description (alt text) states
the numbers. Thin: check the range, defer, render off the event loop, send the file."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.charts import KINDS, Chart, parse_range, render_chart
from bot.errors import DandongError

log = logging.getLogger("dandong.discord")

StoreFn = Callable[[], Any]  # () -> KnowledgeStore, opened on first use
KIND_NAMES = {
    "eras": "Visits per year by leader period",
    "gaps": "Days from each nuclear test to the next visit",
    "timeline": "Tests, visits, summits and sanctions on one axis",
}
FAILED = "Sorry, that chart could not be drawn. It has been logged; please try again."
EXAMPLE = "Example: /chart kind:timeline from:2016 to:2017-12"


def chart_file(chart: Chart) -> discord.File:
    """The PNG as an attachment; its description is the alt text screen readers announce."""
    return discord.File(io.BytesIO(chart.png), filename=chart.filename,
                        description=chart.alt_text)


async def send_chart(interaction: discord.Interaction, store: StoreFn, kind: str,
                     start: str | None, end: str | None) -> None:
    """Answer one /chart: a bad range gets an ephemeral one-line reason before any work."""
    none = discord.AllowedMentions.none()
    try:
        parse_range(start, end)
    except DandongError as exc:
        await interaction.response.send_message(f"{exc}. {EXAMPLE}", ephemeral=True,
                                                allowed_mentions=none)
        return
    wait = _cooldown(interaction)
    if wait > 0:
        await interaction.response.send_message(
            f"Slow down a little: try again in {wait:.0f} s.", ephemeral=True,
            allowed_mentions=none)
        return
    await interaction.response.defer(thinking=True)
    try:
        # store() may build the knowledge base on first use: off the loop, like the drawing
        chart = await asyncio.to_thread(lambda: render_chart(store(), kind, start, end))
    except Exception as exc:
        if isinstance(exc, DandongError):
            log.info("/chart %s %s %s: %s", kind, start, end, exc)
        else:
            log.error("/chart %s %s %s failed", kind, start, end, exc_info=exc)
        text = str(exc) if isinstance(exc, DandongError) else FAILED
        await interaction.delete_original_response()  # a public "thinking…" can't turn private
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
        return
    await interaction.followup.send(file=chart_file(chart), allowed_mentions=none)


def _cooldown(interaction: discord.Interaction) -> float:
    """The client's per-user cooldown, when it has one (charts cost ~0.1 s of CPU each)."""
    cooldown = getattr(interaction.client, "cooldown", None)
    return cooldown.hit(interaction.user.id) if cooldown is not None else 0.0


def build_chart_command(store: StoreFn) -> app_commands.Command:
    """The /chart app command, drawing from the knowledge store that `store()` returns."""

    @app_commands.command(name="chart")
    @app_commands.rename(start="from", end="to")
    @app_commands.describe(kind="Which chart",
                           start="First day: YYYY, YYYY-MM or YYYY-MM-DD (default: all)",
                           end="Last day: YYYY, YYYY-MM or YYYY-MM-DD (default: all)")
    @app_commands.choices(kind=[app_commands.Choice(name=KIND_NAMES[k], value=k)
                                for k in KINDS])
    async def chart(interaction: discord.Interaction, kind: str,
                    start: app_commands.Range[str, 1, 10] | None = None,
                    end: app_commands.Range[str, 1, 10] | None = None) -> None:
        """A chart: visits per leader period, days from test to visit, or a timeline."""
        await send_chart(interaction, store, kind, start, end)

    return chart


def store_from_settings(settings) -> StoreFn:
    """A StoreFn opening (and building if needed) the knowledge base on first use."""
    opened: list[Any] = []
    lock = threading.Lock()

    def store():
        with lock:
            if not opened:
                from knowledge.store import open_store

                opened.append(open_store(settings.db_path, settings.data_dir,
                                         curation_db=settings.curation_db))
            return opened[0]

    return store


def install_chart_command(tree: app_commands.CommandTree, settings,
                          store: StoreFn | None = None) -> None:
    """Add /chart to `tree`; the store defaults to the one `settings` names."""
    tree.add_command(build_chart_command(store or store_from_settings(settings)))
