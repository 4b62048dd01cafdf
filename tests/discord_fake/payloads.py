"""Discord API objects as the stand-in sends them: users, members, guilds, messages and
interactions, with the fields discord.py 2.7 reads."""

from __future__ import annotations

import itertools
from typing import Any

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GdAnDo.dGhpcy1pcy1hLWZha2UtdG9rZW4tZm9yLXRlc3Rz"
TOKEN_SECRET_PART = TOKEN.rsplit(".", 1)[1]

APP_ID = 1000000000000000001  # the bot user and the application share an id, as on Discord
GUILD_ID = 2000000000000000002
CHANNEL_ID = 3000000000000000003
DM_CHANNEL_ID = 3000000000000000099
ASKER_ID = 4000000000000000004
OTHER_ID = 4000000000000000005
REVIEWER_ID = 4000000000000000006
REVIEWER_ROLE_ID = 6000000000000000006  # a role named in DANDONG_REVIEWER_ROLE_IDS by tests
EVERYONE_PERMISSIONS = "2248473465835073"  # view, send, embed links, read history, …
TIMESTAMP = "2017-03-01T09:00:00.000000+00:00"

OPTION_STRING = 3
OPTION_INTEGER = 4
OPTION_BOOLEAN = 5

_ids = itertools.count(5000000000000000000)


def snowflake() -> str:
    """A fresh id."""
    return str(next(_ids))


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
        "avatar": None, "bot": bot, "public_flags": 0, "flags": 0,
    }


BOT_USER = user(APP_ID, "Dandong", bot=True)
ASKER = user(ASKER_ID, "researcher")
OTHER = user(OTHER_ID, "colleague")
REVIEWER = user(REVIEWER_ID, "reviewer")
ROLES = {REVIEWER_ID: [REVIEWER_ROLE_ID]}  # the roles each member holds


def member(u: dict[str, Any], *, with_user: bool = True) -> dict[str, Any]:
    """A guild member (discord.py 2.7 requires `flags`)."""
    m: dict[str, Any] = {
        "roles": [str(r) for r in ROLES.get(int(u["id"]), [])], "joined_at": TIMESTAMP,
        "deaf": False, "mute": False, "flags": 0, "pending": False, "nick": None, "avatar": None,
        "premium_since": None,
    }
    if with_user:
        m["user"] = u
    return m


def text_channel(*, with_guild: bool = False) -> dict[str, Any]:
    """The guild's one text channel."""
    c = {
        "id": str(CHANNEL_ID), "type": 0, "name": "research", "position": 0,
        "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
        "rate_limit_per_user": 0, "last_message_id": None, "flags": 0,
    }
    if with_guild:
        c["guild_id"] = str(GUILD_ID)
    return c


def guild() -> dict[str, Any]:
    """The GUILD_CREATE payload of the research team's server."""
    return {
        "id": str(GUILD_ID), "name": "Research team", "icon": None, "splash": None,
        "discovery_splash": None, "owner_id": str(ASKER_ID), "region": None,
        "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": [{
            "id": str(GUILD_ID), "name": "@everyone", "permissions": EVERYONE_PERMISSIONS,
            "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False,
            "flags": 0, "icon": None, "unicode_emoji": None,
        }, {
            "id": str(REVIEWER_ROLE_ID), "name": "reviewers", "permissions": "0",
            "position": 1, "color": 0, "hoist": False, "managed": False, "mentionable": False,
            "flags": 0, "icon": None, "unicode_emoji": None,
        }],
        "emojis": [], "stickers": [], "features": [], "mfa_level": 0, "application_id": None,
        "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
        "joined_at": TIMESTAMP, "large": False, "unavailable": False, "member_count": 4,
        "voice_states": [], "members": [member(BOT_USER), member(ASKER), member(OTHER),
                                      member(REVIEWER)],
        "channels": [text_channel()], "threads": [], "presences": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": [], "premium_tier": 0,
        "premium_subscription_count": 0, "preferred_locale": "en-US", "nsfw_level": 0,
        "vanity_url_code": None, "description": None, "banner": None,
        "premium_progress_bar_enabled": False,
    }


def application() -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(APP_ID), "name": "Dandong", "icon": None, "description": "",
        "bot_public": False, "bot_require_code_grant": False, "owner": ASKER,
        "verify_key": "0" * 64, "flags": 0, "team": None, "summary": "",
        "interactions_endpoint_url": None, "rpc_origins": [],
    }


def message(
    *, channel_id: int, author: dict[str, Any], content: str = "", embeds: list | None = None,
    components: list | None = None, flags: int = 0, guild: bool = True,
    mentions: list | None = None, message_id: str | None = None,
    reference: dict | None = None, interaction_id: str | None = None,
) -> dict[str, Any]:
    """A message object; in a guild, with the author's member data."""
    m: dict[str, Any] = {
        "id": message_id or snowflake(), "channel_id": str(channel_id), "author": author,
        "content": content, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": mentions or [], "mention_roles": [],
        "attachments": [], "embeds": embeds or [], "pinned": False, "type": 0,
        "flags": flags, "components": components or [],
    }
    if guild:
        m["guild_id"] = str(GUILD_ID)
        m["member"] = member(author, with_user=False)
    if reference:
        m["message_reference"] = reference
        m["type"] = 19
    if interaction_id:
        m["interaction_metadata"] = {
            "id": interaction_id, "type": 2, "user": ASKER,
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
        }
    return m


def interaction(
    kind: int, data: dict[str, Any] | None, *, who: dict[str, Any] = ASKER, guild: bool = True,
    msg: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload (discord.py 2.7 requires `attachment_size_limit`)."""
    i: dict[str, Any] = {
        "id": snowflake(), "application_id": str(APP_ID), "type": kind,
        "token": "itok-" + snowflake(),
        "version": 1, "locale": "en-US", "app_permissions": EVERYONE_PERMISSIONS,
        "attachment_size_limit": 26214400, "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID) if guild else "0"},
        "context": 0 if guild else 1,
    }
    if data is not None:
        i["data"] = data
    if guild:
        i.update(guild_id=str(GUILD_ID), guild_locale="en-US", channel_id=str(CHANNEL_ID),
                 channel=text_channel(with_guild=True),
                 member={**member(who), "permissions": EVERYONE_PERMISSIONS})
    else:
        i.update(channel_id=str(DM_CHANNEL_ID), user=who,
                 channel={"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [who], "flags": 0,
                          "last_message_id": None})
    if msg is not None:
        i["message"] = msg
    return i


def command_data(name: str, options: dict[str, Any], *, command_id: str,
                 focused: str | None = None) -> dict[str, Any]:
    """The `data` of a slash-command (or autocomplete) interaction."""
    opts = []
    for key, value in options.items():
        o: dict[str, Any] = {
            "name": key, "value": value,
            "type": OPTION_BOOLEAN if isinstance(value, bool)
            else OPTION_INTEGER if isinstance(value, int) else OPTION_STRING,
        }
        if key == focused:
            o["focused"] = True
        opts.append(o)
    return {"id": command_id, "name": name, "type": 1, "options": opts}


def message_command_data(name: str, target: dict[str, Any], *,
                         command_id: str) -> dict[str, Any]:
    """The `data` of a message context-menu command (APPLICATION_COMMAND, command type 3):
    the target message's id, and the message itself under `resolved.messages`."""
    resolved = {k: v for k, v in target.items() if k != "member"}  # as Discord resolves it
    return {"id": command_id, "name": name, "type": 3, "target_id": target["id"],
            "resolved": {"messages": {target["id"]: resolved}}}


def subcommand_data(group: str, sub: str, options: dict[str, Any], *,
                    command_id: str) -> dict[str, Any]:
    """The `data` of /group sub with these options (e.g. /kb approve id:3)."""
    inner = command_data(sub, options, command_id=command_id)
    return {"id": command_id, "name": group, "type": 1,
            "options": [{"type": 1, "name": sub, "options": inner["options"]}]}


def modal_submit_data(modal: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The `data` of submitting the modal the bot sent (a type-9 callback's data), with the
    text typed into each input, by its label."""
    rows = []
    for row in modal["components"]:
        inputs = row["components"] if row.get("type") == 1 else [row["component"]]
        rows.append({"type": 1, "components": [
            {"type": 4, "custom_id": i["custom_id"], "value": values.get(i["label"], "")}
            for i in inputs]})
    return {"custom_id": modal["custom_id"], "components": rows}
