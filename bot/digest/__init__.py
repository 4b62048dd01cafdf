"""The daily digest: compose (pure), render (text and embed), schedule (when), state (what
was posted), post (post once, crash-safe)."""

from bot.digest.compose import Digest, Rotation, Snapshot, compose, snapshot_of
from bot.digest.render import render_embed, render_text

__all__ = ["Digest", "Rotation", "Snapshot", "compose", "render_embed", "render_text",
           "snapshot_of"]
