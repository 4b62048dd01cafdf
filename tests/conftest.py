"""Shared fixtures: a knowledge base built from the shipped data files in a temp folder."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.engine import Engine
from knowledge.build import DATA_DIR, build
from knowledge.store import KnowledgeStore

TODAY = date(2026, 11, 28)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory) -> Path:
    """The shipped knowledge base, built once per test session."""
    path = tmp_path_factory.mktemp("kb") / "knowledge.db"
    build(path)
    return path


@pytest.fixture(scope="session")
def store(kb_path) -> KnowledgeStore:
    return KnowledgeStore(kb_path)


@pytest.fixture(scope="session")
def engine(store) -> Engine:
    return Engine(store)


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private, editable copy of knowledge/data."""
    dest = tmp_path / "data"
    shutil.copytree(DATA_DIR, dest)
    return dest


@pytest.fixture
def cli_env(tmp_path, kb_path) -> dict[str, str]:
    """Environment for running `dandong` as a subprocess against the session KB."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DANDONG_"))}
    env.update(DANDONG_DB=str(kb_path), DANDONG_STATE_DB=str(tmp_path / "state.db"),
               HOME=str(tmp_path))
    return env
