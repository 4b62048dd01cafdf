"""`serve` run the way `dandong serve` runs it, but answered by the scripted engine: the
subprocess that the SIGTERM test stops. Settings come from the environment only."""

from __future__ import annotations

import os
import sys

from bot.config import load_settings
from bot.discord.client import Tuning
from bot.discord.run import serve
from bot.errors import DandongError
from tests.discord_fake.answers import ScriptedEngine, lookup_source
from tests.discord_fake.harness import TEST_CATALOG


def main() -> int:
    try:
        settings = load_settings(dict(os.environ), need_token=True)
        return serve(settings, answer=ScriptedEngine(), source_lookup=lookup_source,
                     catalog=TEST_CATALOG, tuning=Tuning(guild_ready_timeout=0.05))
    except DandongError as exc:
        sys.stderr.write(f"dandong: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
