"""/kb in Discord: propose a row through a form (a modal), list what is pending, approve,
reject, and read the audit log. Every reply is private to the member and pings nobody.

Only the Discord talk lives here: the rules are knowledge.curation (reviews, the audit log),
knowledge.proposals (validation) and knowledge.overlay (what the build merges). Reviewers are
members with Manage Server or a role in DANDONG_REVIEWER_ROLE_IDS; nobody approves their own
proposal. An approval rebuilds the knowledge base, and the bot answers from the new file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands

from bot.config import Settings
from bot.discord import render
from bot.errors import DandongError, UsageError
from knowledge import curation, overlay, proposals
from knowledge.proposals import Draft, describe

log = logging.getLogger("dandong.kb")

NO_MENTIONS = discord.AllowedMentions.none()
FORM_TIMEOUT = 15 * 60.0  # a form left open longer than this is forgotten
SHOWN = 15
KIND_CHOICES = [app_commands.Choice(name="Visit", value="visit"),
                app_commands.Choice(name="Fact", value="fact"),
                app_commands.Choice(name="Event", value="event")]
DIRECTION_CHOICES = [app_commands.Choice(name="China to North Korea", value="CN->KP"),
                     app_commands.Choice(name="North Korea to China", value="KP->CN")]
WHO_LABEL = {"visit": "Who travelled (Name, title)",
             "fact": "Who or where it names (optional)",
             "event": "Who took part (optional)"}
WHAT_LABEL = {"visit": "What the visit was for", "fact": "The fact, in a sentence or two",
              "event": "What happened"}
GENERIC_FAILURE = "Something went wrong with that; it has been logged. Nothing was changed."


def _limit(kind: str, form_field: str) -> int:
    """The longest text a form field may take: the limit of the column it fills."""
    names = {v: k for k, v in proposals.FIELD_NAMES[kind].items()}
    column = names.get(form_field)
    cols = {c.name: c for c in proposals.spec_for(kind).columns}
    if kind == "visit" and form_field == "who":
        return cols["visitor"].max_length + 2 + cols["visitor_title"].max_length
    return min(4000, cols[column].max_length if column in cols else proposals.QUOTE.max_length)


class KbService:
    """The curation actions as the bot runs them (off the event loop): the curation database
    named by the settings, duplicates checked against the knowledge base, rebuild on approval."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None):
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))

    def _store(self) -> curation.CurationStore:
        return curation.CurationStore(self.settings.curation_db)

    def _known(self) -> list[tuple[tuple, str]]:
        from knowledge.store import open_store

        s = self.settings
        try:  # a stale knowledge base still knows its rows; the build checks again anyway
            return overlay.known_rows(open_store(s.db_path, s.data_dir, build_if_needed=False))
        except DandongError as exc:
            log.warning("not checking the knowledge base for duplicates: %s", exc)
            return []

    def propose(self, draft: Draft, by: curation.Actor, nonce: str) -> str:
        store = self._store()
        try:
            p, created = store.propose(draft, by, self.clock(), nonce=nonce, known=self._known())
        finally:
            store.close()
        if not created:
            return f"Proposal #{p.id} was already recorded ({p.status}): {describe(p.draft)}"
        return (f"Proposal #{p.id} is recorded and waits for review: {describe(p.draft)}\n"
                f"Another reviewer approves it with /kb approve id:{p.id}.")

    def pending(self) -> str:
        store = self._store()
        try:
            waiting = store.pending()
        finally:
            store.close()
        if not waiting:
            return "No proposals are waiting for review."
        lines = [f"{len(waiting)} proposal(s) waiting for review:"]
        for p in waiting[:SHOWN]:
            lines.append(f"#{p.id} {describe(p.draft)} — proposed by {p.proposer_name} on "
                         f"{p.created_at[:10]}; source {p.draft.url}")
        if len(waiting) > SHOWN:
            lines.append(f"… and {len(waiting) - SHOWN} more (dandong kb pending lists all).")
        return "\n".join(lines)

    def approve(self, proposal_id: int, by: curation.Actor) -> str:
        store = self._store()
        try:
            p = store.approve(proposal_id, by, self.clock(), known=self._known())
        finally:
            store.close()
        head = f"Approved #{p.id} as {p.row_id}: {describe(p.draft)}"
        try:
            self.rebuild()
        except DandongError as exc:
            log.error("approved #%s but the rebuild failed: %s", p.id, exc)
            return (f"{head}\nThe knowledge base could not be rebuilt yet ({exc}); the "
                    "approval is saved and the next build includes it.")
        return f"{head}\nThe knowledge base is rebuilt: answers include it now."

    def rebuild(self) -> None:
        from knowledge.build import DATA_DIR, build

        s = self.settings
        build(s.db_path, s.data_dir or DATA_DIR, s.curation_db)

    def reject(self, proposal_id: int, by: curation.Actor, reason: str, *,
               reviewer: bool) -> str:
        store = self._store()
        try:
            if not reviewer and store.get(proposal_id).proposer != by.key:
                raise UsageError(not_reviewer("reject"))
            p = store.reject(proposal_id, by, reason, self.clock())
        finally:
            store.close()
        return f"Rejected #{p.id}: {p.reason}"

    def history(self, proposal_id: int | None) -> str:
        store = self._store()
        try:
            entries = store.history(proposal_id)
        finally:
            store.close()
        if not entries:
            return "Nothing has been proposed yet."
        shown = entries[-SHOWN:]
        head = [] if len(entries) == len(shown) else [
            f"The last {len(shown)} of {len(entries)} entries (dandong kb history has all):"]
        return "\n".join([*head, *(e.text() for e in shown)])


def not_reviewer(action: str) -> str:
    return (f"Only reviewers can {action} proposals: members with Manage Server or a reviewer "
            "role (DANDONG_REVIEWER_ROLE_IDS).")


def is_reviewer(interaction: discord.Interaction, role_ids: tuple[int, ...]) -> bool:
    """Manage Server in this channel, or one of the configured reviewer roles."""
    if interaction.permissions.manage_guild:
        return True
    roles = getattr(interaction.user, "roles", ())
    return any(r.id in role_ids for r in roles)


def actor_of(interaction: discord.Interaction) -> curation.Actor:
    user = interaction.user
    return curation.Actor(f"discord:{user.id}", user.display_name[:100])


async def _say(interaction: discord.Interaction, text: str) -> None:
    """A private reply, escaped and within Discord's limits, whatever was sent before."""
    content = render.plain_message(text)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(content, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


async def _run(interaction: discord.Interaction, work: Callable[[], str]) -> None:
    """Defer privately, do `work` off the event loop, reply with its text; our errors are
    the reply, anything else is logged and answered with a short apology."""
    try:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        text = await asyncio.to_thread(work)
    except DandongError as exc:
        log.info("/kb refused for user %s: %s", interaction.user.id, exc)
        text = str(exc)
    except Exception:
        log.exception("/kb failed for user %s", interaction.user.id)
        text = GENERIC_FAILURE
    try:
        await _say(interaction, text)
    except discord.HTTPException:
        log.warning("could not send the /kb reply", exc_info=True)


class ProposeForm(discord.ui.Modal):
    """The form behind /kb propose: dates, who, what, source URL and an optional quote."""

    def __init__(self, service: KbService, kind: str, *, direction: str, summit: bool,
                 high_level: bool, proposer_id: int):
        super().__init__(title=f"Propose a {kind} for the knowledge base", timeout=FORM_TIMEOUT)
        self.service, self.kind, self.proposer_id = service, kind, proposer_id
        self.options = {"direction": direction, "summit": summit, "high_level": high_level}
        self.dates = discord.ui.TextInput(
            label="Date(s), YYYY-MM-DD", required=kind != "fact", max_length=40,
            placeholder="2026-11-20, or 2026-11-20 to 2026-11-22")
        self.who = discord.ui.TextInput(label=WHO_LABEL[kind], required=kind == "visit",
                                        max_length=_limit(kind, "who"),
                                        placeholder="Wang Yi, Foreign Minister"
                                        if kind == "visit" else None)
        self.what = discord.ui.TextInput(label=WHAT_LABEL[kind], style=discord.TextStyle.long,
                                         max_length=_limit(kind, "what"))
        self.url = discord.ui.TextInput(label="Source URL (http or https)",
                                        placeholder="https://…",
                                        max_length=_limit(kind, "source URL"))
        self.quote = discord.ui.TextInput(label="Quote from the source (optional)",
                                          style=discord.TextStyle.long, required=False,
                                          max_length=_limit(kind, "quote"))
        for item in (self.dates, self.who, self.what, self.url, self.quote):
            self.add_item(item)

    def draft(self) -> Draft:
        start, end = proposals.split_dates(self.dates.value or "")
        return Draft(kind=self.kind, date=start, end_date=end, who=self.who.value or "",
                     what=self.what.value or "", url=(self.url.value or "").strip(),
                     quote=self.quote.value or "", **self.options)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.proposer_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        draft, by = self.draft(), actor_of(interaction)
        # The submission's id is the nonce: a submission delivered twice is recorded once.
        nonce = f"discord:{interaction.id}"
        await _run(interaction, lambda: self.service.propose(draft, by, nonce))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        log.error("the /kb propose form failed", exc_info=error)
        try:
            await _say(interaction, GENERIC_FAILURE)
        except discord.HTTPException:
            log.warning("could not tell the user about the failure", exc_info=True)


def _in_server(interaction: discord.Interaction) -> str | None:
    if interaction.guild_id is None:
        return "The knowledge base is curated in a server: use /kb in a server channel."
    return None


class KbCommands(app_commands.Group):
    """/kb: propose rows for the knowledge base and review them."""

    def __init__(self, service: KbService):
        super().__init__(name="kb", description="Propose rows for the knowledge base and "
                                                "review them")
        self.service = service

    @property
    def _roles(self) -> tuple[int, ...]:
        return self.service.settings.reviewer_role_ids

    @app_commands.command(name="propose")
    @app_commands.describe(kind="What to add", direction="Visits: who travelled where",
                           summit="Visits: a leaders' summit (default no)",
                           high_level="Visits: high-level (default yes)")
    @app_commands.choices(kind=KIND_CHOICES, direction=DIRECTION_CHOICES)
    async def propose(self, interaction: discord.Interaction, kind: str,
                      direction: str | None = None, summit: bool = False,
                      high_level: bool = True) -> None:
        """Propose a visit, fact or event with its source; a reviewer approves it."""
        problem = _in_server(interaction)
        if problem is None and kind == "visit" and not direction:
            problem = ("A visit needs its direction: run /kb propose kind:Visit again and pick "
                       "direction (China to North Korea, or North Korea to China).")
        if problem:
            await _say(interaction, problem)
            return
        form = ProposeForm(self.service, kind, direction=direction or "", summit=summit,
                           high_level=high_level, proposer_id=interaction.user.id)
        await interaction.response.send_modal(form)

    @app_commands.command(name="pending")
    async def pending(self, interaction: discord.Interaction) -> None:
        """Proposals waiting for review."""
        if problem := _in_server(interaction):
            await _say(interaction, problem)
            return
        await _run(interaction, self.service.pending)

    @app_commands.command(name="approve")
    @app_commands.rename(proposal_id="id")
    @app_commands.describe(proposal_id="The proposal number (see /kb pending)")
    async def approve(self, interaction: discord.Interaction,
                      proposal_id: app_commands.Range[int, 1]) -> None:
        """Approve someone else's proposal (reviewers); it is answerable at once."""
        problem = _in_server(interaction)
        if problem is None and not is_reviewer(interaction, self._roles):
            problem = not_reviewer("approve")
        if problem:
            await _say(interaction, problem)
            return
        by = actor_of(interaction)
        await _run(interaction, lambda: self.service.approve(proposal_id, by))

    @app_commands.command(name="reject")
    @app_commands.rename(proposal_id="id")
    @app_commands.describe(proposal_id="The proposal number (see /kb pending)",
                           reason="Why, for the proposer and the audit log")
    async def reject(self, interaction: discord.Interaction,
                     proposal_id: app_commands.Range[int, 1],
                     reason: app_commands.Range[str, 1, curation.REASON_MAX]) -> None:
        """Reject a proposal, saying why (reviewers, or the proposer withdrawing it)."""
        if problem := _in_server(interaction):
            await _say(interaction, problem)
            return
        by, reviewer = actor_of(interaction), is_reviewer(interaction, self._roles)
        await _run(interaction, lambda: self.service.reject(proposal_id, by, reason,
                                                            reviewer=reviewer))

    @app_commands.command(name="history")
    @app_commands.rename(proposal_id="id")
    @app_commands.describe(proposal_id="Only this proposal (default: the latest entries)")
    async def history(self, interaction: discord.Interaction,
                      proposal_id: app_commands.Range[int, 1] | None = None) -> None:
        """The audit log: who proposed, approved, rejected or exported what, and when."""
        if problem := _in_server(interaction):
            await _say(interaction, problem)
            return
        await _run(interaction, lambda: self.service.history(proposal_id))


def install_kb_commands(tree: app_commands.CommandTree, settings: Settings,
                        **options: Any) -> KbService:
    """Add /kb to `tree`; `options` go to KbService (clock)."""
    service = KbService(settings, **options)
    tree.add_command(KbCommands(service))
    return service
