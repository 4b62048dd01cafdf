"""Settings, loaded once at startup from the environment and .env into a typed object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "knowledge.db"
DEFAULT_STATE_DB = PROJECT_ROOT / "state.db"
DEFAULT_API_BASE = "https://discord.com/api/v10"

# A bot token is three base64url parts joined by dots; the check catches pasted junk
# without ever echoing the value.
_TOKEN_SHAPE = r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"
_TOKEN_RE = re.compile(f"^{_TOKEN_SHAPE}$")
_TOKEN_ANYWHERE = re.compile(_TOKEN_SHAPE)


def hide_tokens(text: str) -> str:
    """`text` with anything shaped like a bot token replaced, for messages that echo input."""
    return _TOKEN_ANYWHERE.sub("<token not shown>", text)


@dataclass(frozen=True)
class Settings:
    """Every setting Dandong reads; see .env.example for what each one means."""

    db_path: Path = DEFAULT_DB
    data_dir: Path | None = None
    state_db_path: Path = DEFAULT_STATE_DB
    curation_db_path: Path | None = None  # None: curation.db next to db_path
    reviewer_role_ids: tuple[int, ...] = ()
    discord_token: str | None = field(default=None, repr=False)
    guild_ids: tuple[int, ...] = ()
    api_base: str = DEFAULT_API_BASE
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    digest_channel_id: int | None = None
    digest_time: time = time(8, 0)
    digest_tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    cooldown_rate: int = 5
    cooldown_seconds: float = 10.0
    log_level: str = "INFO"

    @property
    def curation_db(self) -> Path:
        """The writable curation database: DANDONG_CURATION_DB, or curation.db beside the KB."""
        from knowledge.curation import default_path

        return self.curation_db_path or default_path(self.db_path)

    def __repr__(self) -> str:  # never show the token, even in a debugger or log
        token = "set" if self.discord_token else "unset"
        return f"Settings(db_path={self.db_path!s}, token={token}, api_base={self.api_base})"


def parse_time_of_day(text: str) -> time:
    """'08:30' -> time(8, 30); raises ValueError with the expected form."""
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text or "")
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"expected a time of day like 08:30, got {text!r}")
    return time(int(m[1]), int(m[2]))


def parse_timezone(text: str) -> ZoneInfo:
    """'Asia/Seoul' -> ZoneInfo; raises ValueError with the expected form."""
    name = (text or "").strip()
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"expected an IANA timezone like Asia/Seoul, got {text!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA timezone like Asia/Seoul, got {text!r}") from None


def _int_list(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[,\s]+", text.strip()) if part)


def load_settings(
    env: Mapping[str, str] | None = None, *, dotenv: Path | None = None, need_token: bool = False
) -> Settings:
    """Read settings from `env` (default: os.environ plus .env); name every bad value at once."""
    if env is None:
        from dotenv import dotenv_values

        path = dotenv if dotenv is not None else PROJECT_ROOT / ".env"
        merged = {k: v for k, v in dotenv_values(path).items() if v is not None}
        merged.update(os.environ)
        env = merged
    problems: list[str] = []
    values: dict = {}

    def take(key: str, convert, target: str) -> None:
        raw = (env.get(key) or "").strip()
        if not raw:
            return
        try:
            values[target] = convert(raw)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")

    def positive(raw: str) -> int:
        n = int(raw)
        if n < 1:
            raise ValueError("must be a positive whole number")
        return n

    def expand(raw: str) -> Path:
        return Path(raw).expanduser()

    def channel(raw: str) -> int:
        if not raw.isdigit():
            raise ValueError("must be a numeric channel ID")
        return int(raw)

    def ids(raw: str) -> tuple[int, ...]:
        try:
            return _int_list(raw)
        except ValueError:
            raise ValueError("must be numeric IDs separated by commas") from None

    def api_base(raw: str) -> str:
        if not re.match(r"^https?://[^\s/]+", raw) or raw.endswith("/"):
            raise ValueError("must look like https://discord.com/api/v10 (no trailing slash)")
        return raw

    def level(raw: str) -> str:
        if raw.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return raw.upper()

    take("DANDONG_DB", expand, "db_path")
    take("DANDONG_STATE_DB", expand, "state_db_path")
    take("DANDONG_DATA_DIR", expand, "data_dir")
    take("DANDONG_CURATION_DB", expand, "curation_db_path")
    take("DANDONG_REVIEWER_ROLE_IDS", ids, "reviewer_role_ids")
    take("DISCORD_GUILD_IDS", ids, "guild_ids")
    take("DISCORD_API_BASE", api_base, "api_base")
    take("SHARD_COUNT", positive, "shard_count")
    take("SHARD_IDS", ids, "shard_ids")
    take("DIGEST_CHANNEL_ID", channel, "digest_channel_id")
    take("DIGEST_TIME", parse_time_of_day, "digest_time")
    take("DIGEST_TZ", parse_timezone, "digest_tz")
    take("DANDONG_COOLDOWN_RATE", positive, "cooldown_rate")
    take("DANDONG_COOLDOWN_SECONDS", lambda r: float(positive(r)), "cooldown_seconds")
    take("LOG_LEVEL", level, "log_level")

    token = (env.get("DISCORD_TOKEN") or "").strip() or None
    if token is not None and not _TOKEN_RE.match(token):
        problems.append("DISCORD_TOKEN: does not look like a bot token (value not shown)")
    elif token is None and need_token:
        problems.append("DISCORD_TOKEN: missing; set it in .env (see .env.example)")
    values["discord_token"] = token
    if values.get("shard_ids") and not values.get("shard_count"):
        problems.append("SHARD_IDS: needs SHARD_COUNT as well")
    elif values.get("shard_ids") and any(i >= values["shard_count"] for i in values["shard_ids"]):
        problems.append("SHARD_IDS: each ID must be below SHARD_COUNT")
    if problems:
        raise ConfigError("Bad settings:\n  " + "\n  ".join(problems))
    return Settings(**values)
