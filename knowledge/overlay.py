"""Approved team rows and the data files: merged over them at build time (merge), and written
into them for review in git (export).

The data files win: a team row whose id is already in its file (it was exported) is built from
the file, and one that duplicates a file row (same date and visitor, or same text) is left out
with a warning rather than failing every build; its proposal stays approved in the curation
database. Each row left in is validated by the same columns as the file it joins.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from knowledge import curation, proposals
from knowledge.curation import Proposal
from knowledge.errors import DataError

log = logging.getLogger(__name__)


@dataclass
class Overlay:
    """What the build merged: provenance rows for team_rows, what was left out, the version."""

    team_rows: list[dict] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    version: str = ""


def provenance_row(p: Proposal, table: str) -> dict:
    return {"row_id": p.row_id, "proposal_id": p.id, "kind": p.kind, "tbl": table,
            "proposer": p.proposer_name, "approved_by": p.reviewer_name or "",
            "approved_at": p.reviewed_at or "", "source_url": p.draft.url,
            "quote": p.draft.quote or None}


def merge(tables: dict[str, list[dict]], curation_db: Path | None) -> Overlay:
    """Add the approved team rows of `curation_db` to `tables` (in place)."""
    approved = curation.read_approved(curation_db)
    out = Overlay(version=curation.version(approved))
    for p in approved:
        table = proposals.TABLES[p.kind]
        rows = tables[table]
        in_file = {r.get("id") for r in rows}
        if p.row_id in in_file:  # exported and in the file: built from there
            out.team_rows.append(provenance_row(p, table))
            continue
        try:
            typed = proposals.validate(p.draft, p.row_id)
        except DataError as exc:
            out.left_out.append(f"proposal #{p.id} ({p.row_id}): {exc}")
            continue
        key = proposals.key_of(p.kind, typed)
        twin = next((r for r in rows if proposals.key_of(p.kind, r) == key), None)
        if twin is not None:
            out.left_out.append(f"proposal #{p.id} ({p.row_id}): the data files already have "
                                f"this {p.kind} as {twin.get('id')}")
            continue
        rows.append({"_line": 0, **typed})
        out.team_rows.append(provenance_row(p, table))
    for line in out.left_out:
        log.warning("team row left out of the build: %s", line)
    return out


def known_rows(kb) -> list[tuple[tuple, str]]:
    """(key, id) of every curated visit, fact and event in a knowledge store, so a proposal
    that repeats one is refused before it is saved."""
    visits = kb.visits_between(date.min, date.max, curated_only=True, limit=10_000_000)
    out = [(proposals.key_of("visit", vars(v)), v.id) for v in visits]
    out += [(proposals.key_of("fact", vars(f)), f.id) for f in kb.facts()]
    out += [(proposals.key_of("event", vars(e)), e.id) for e in kb.events()]
    return out


# -- export --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exported:
    """Rows written per data file (only files that changed), and proposals marked exported."""

    written: dict[str, int]
    marked: int


def export(store: curation.CurationStore, data_dir: Path, by: curation.Actor, now,
           *, pause: Callable[[str], None] = curation.pause_point) -> Exported:
    """Append approved rows not yet in their data file to it (temp file + fsync + os.replace,
    one file at a time), then mark them exported. Re-running after a crash at any point
    writes no row twice: rows already in a file (by id) are not written again."""
    todo = store.approved_not_exported()
    written: dict[str, int] = {}
    by_file: dict[str, list[Proposal]] = {}
    for p in todo:
        by_file.setdefault(proposals.spec_for(p.kind).file, []).append(p)
    for name, group in sorted(by_file.items()):
        path = data_dir / name
        n = _append_rows(path, group)
        if n:
            written[name] = n
        pause("export:written")
    return Exported(written, store.mark_exported([p.id for p in todo], by, now))


def _append_rows(path: Path, group: Iterable[Proposal]) -> int:
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise DataError(f"{path}: no header row to export into")
    have = {row[0] for row in reader if row}
    terminator = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=terminator)
    n = 0
    for p in group:
        if p.row_id in have:
            continue
        proposals.validate(p.draft, p.row_id)
        row = proposals.row_text(p.draft, p.row_id)
        writer.writerow([row.get(col, "") for col in header])
        n += 1
    if n == 0:
        return 0
    if text and not text.endswith("\n"):
        text += terminator
    _replace(path, text + buf.getvalue())
    return n


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: a reader sees the old file or the new, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
