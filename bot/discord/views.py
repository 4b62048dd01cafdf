"""Buttons under replies: suggestion buttons that ask their question, and page turners that
only the asker can press and that go away after a timeout."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.discord import render

log = logging.getLogger("dandong.discord")

NO_MENTIONS = discord.AllowedMentions.none()
ASK_PREFIX = "dandong:ask:"
SUGGESTION_BUTTONS_MAX = 5


class AskButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.compile(re.escape(ASK_PREFIX) + r"(?P<question>.+)", re.DOTALL),
):
    """A button that asks its question when pressed. The question lives in the custom_id,
    so the button keeps working after a restart and holds no memory in the bot."""

    def __init__(self, question: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=render.button_label(question),
                style=discord.ButtonStyle.secondary,
                custom_id=ASK_PREFIX + question,
            )
        )
        self.question = question

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> AskButton:
        return cls(match["question"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        bot = interaction.client
        await bot.respond(interaction, bot.question_producer(self.question))  # type: ignore[attr-defined]


def fits_in_button(question: str) -> bool:
    """Whether a question fits in a custom_id (100 characters with the prefix)."""
    return bool(question.strip()) and len(ASK_PREFIX + question) <= render.CUSTOM_ID_MAX


def suggestion_view(suggestions: Sequence[str]) -> discord.ui.View | None:
    """Up to five suggestion buttons, or None when no suggestion fits in a button.
    (Longer suggestions are still listed in the reply text.)"""
    fitting = [s for s in suggestions if fits_in_button(s)][:SUGGESTION_BUTTONS_MAX]
    if not fitting:
        return None
    view = discord.ui.View(timeout=None)
    for question in fitting:
        view.add_item(AskButton(question))
    return view


class PagedView(discord.ui.View):
    """Previous/Next buttons over a list of embed pages; only the asker can turn them and
    they are removed from the message after `timeout` seconds without use."""

    def __init__(self, pages: Sequence[dict], asker_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.pages = list(pages)
        self.asker_id = asker_id
        self.index = 0
        self.message: discord.Message | discord.InteractionMessage | None = None
        self._sync_buttons()

    def current(self) -> discord.Embed:
        """The page now shown, as an embed."""
        return discord.Embed.from_dict(self.pages[self.index])

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self.asker_id:
            return True
        refusal = render.page_turn_refusal()
        await interaction.response.send_message(
            refusal.content, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.index = min(max(self.index + step, 0), len(self.pages) - 1)
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=self.current(), view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.primary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, +1)

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(view=None, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # message deleted, or the token expired
            log.info("could not remove page buttons after timeout: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item, /
    ) -> None:
        log.error("page button failed", exc_info=error)
