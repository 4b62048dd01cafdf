"""The question engine: normalize -> parse (Query) -> answer (Answer), one for every front end.

`ask(question, today)` is the public entry point; `Engine(store).ask` is the same over a store
the caller opened.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from bot.engine.answer import Answer, Source
from bot.engine.core import EXAMPLES, HANDLERS, Engine

__all__ = ["EXAMPLES", "HANDLERS", "Answer", "Engine", "Source", "ask"]

_engines: dict[Path, Engine] = {}


@functools.cache
def _configured() -> tuple[Path, Path | None, Path]:
    """The knowledge base the settings name, read once per process (not once per question)."""
    from bot.config import load_settings

    settings = load_settings()
    return settings.db_path, settings.data_dir, settings.curation_db


def ask(question: str, today: date | None = None, *, db_path: Path | None = None) -> Answer:
    """Answer from the configured knowledge base (built first if missing); engine cached."""
    path, data_dir, curation_db = (Path(db_path), None, None) if db_path else _configured()
    engine = _engines.get(path)
    if engine is None:
        from knowledge.store import open_store

        engine = _engines.setdefault(path, Engine(open_store(path, data_dir,
                                                                curation_db=curation_db)))
    return engine.ask(question, today)
