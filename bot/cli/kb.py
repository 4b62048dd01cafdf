"""`dandong kb propose|pending|approve|reject|history|export`: team curation on the command line.

Only the command-line talk lives here; the rules are knowledge.curation (proposals, reviews,
the audit log), knowledge.proposals (validation) and knowledge.overlay (build merge, export).
Anyone with this command line can review (they can write the curation database anyway), but
nobody approves their own proposal.
"""

from __future__ import annotations

import json
import logging
import sys
from argparse import Namespace
from dataclasses import asdict
from datetime import UTC, datetime

from bot.errors import DandongError, UsageError
from knowledge import curation, overlay
from knowledge.build import DATA_DIR, build
from knowledge.errors import DataError
from knowledge.proposals import Draft, describe

log = logging.getLogger("dandong")
NAME_MAX = 100


def actor(name: str | None, command: str) -> curation.Actor:
    """The person acting, from --as."""
    name = " ".join((name or "").split())
    if not name:
        raise UsageError(f"dandong kb {command}: say who you are with --as NAME")
    if len(name) > NAME_MAX:
        raise UsageError(f"dandong kb {command}: --as: at most {NAME_MAX} characters")
    return curation.Actor(f"cli:{name.casefold()}", name)


def kb_cli(args: Namespace, settings) -> int:
    """Entry point for `dandong kb …`; our errors become one line and exit 2."""
    command = args.kb_command
    if command is None:
        raise UsageError("dandong kb: say what to do: propose, pending, approve, reject, "
                         "history or export (see dandong kb --help)")
    store = curation.CurationStore(settings.curation_db)
    try:
        return COMMANDS[command](args, settings, store)
    except DataError as exc:
        raise UsageError(f"dandong kb {command}: {exc}") from None
    except UsageError as exc:
        raise UsageError(f"dandong kb {command}: {exc}") from None
    finally:
        store.close()


def known_rows(settings) -> list[tuple[tuple, str]]:
    """(key, id) of every visit, fact and event in the knowledge base, to refuse duplicates;
    [] (with a warning) when it cannot be opened: the build checks again."""
    from knowledge.store import open_store

    try:
        kb = open_store(settings.db_path, settings.data_dir, curation_db=settings.curation_db)
        return overlay.known_rows(kb)
    except DandongError as exc:
        log.warning("not checking the knowledge base for duplicates: %s", exc)
        return []


def cmd_propose(args: Namespace, settings, store: curation.CurationStore) -> int:
    by = actor(args.as_name, "propose")
    draft = Draft(kind=args.kind, date=args.date or "", end_date=args.end_date or "",
                  who=args.who or "", what=args.what or "", url=args.url or "",
                  quote=args.quote or "", direction=args.direction or "",
                  summit=args.summit, high_level=not args.not_high_level)
    proposal, created = store.propose(draft, by, _now(), nonce=args.nonce,
                                      known=known_rows(settings))
    curation.pause_point("propose:committed")
    if not created:
        print(f"proposal #{proposal.id} was already recorded with this nonce "
              f"({proposal.status}): {describe(proposal.draft)}")
        return 0
    print(f"proposal #{proposal.id} recorded, pending review: {describe(draft)}")
    print(f"another reviewer approves it with: dandong kb approve {proposal.id} --as NAME")
    return 0


def cmd_pending(args: Namespace, settings, store: curation.CurationStore) -> int:
    waiting = store.pending()
    if args.json:
        print(json.dumps([p.as_record() for p in waiting], ensure_ascii=False, indent=2))
        return 0
    if not waiting:
        print("No proposals are waiting for review.")
    for p in waiting:
        print(f"#{p.id}  {describe(p.draft)}")
        print(f"     proposed by {p.proposer_name} on {p.created_at[:10]}; source {p.draft.url}")
        if p.draft.quote:
            print(f"     quote: \u201c{p.draft.quote}\u201d")
    return 0


def cmd_approve(args: Namespace, settings, store: curation.CurationStore) -> int:
    by = actor(args.as_name, "approve")
    proposal = store.approve(args.id, by, _now(), known=known_rows(settings))
    curation.pause_point("approve:committed")
    print(f"approved #{proposal.id} as {proposal.row_id}: {describe(proposal.draft)}")
    return _rebuild(settings, f"{proposal.row_id} is now in the knowledge base")


def cmd_reject(args: Namespace, settings, store: curation.CurationStore) -> int:
    by = actor(args.as_name, "reject")
    proposal = store.reject(args.id, by, args.reason or "", _now())
    print(f"rejected #{proposal.id}: {proposal.reason}")
    return 0


def cmd_history(args: Namespace, settings, store: curation.CurationStore) -> int:
    entries = store.history(args.id)
    if args.json:
        print(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print("Nothing has been proposed yet.")
    for e in entries:
        print(e.text())
    return 0


def cmd_export(args: Namespace, settings, store: curation.CurationStore) -> int:
    by = actor(args.as_name, "export")
    data_dir = settings.data_dir or DATA_DIR
    result = overlay.export(store, data_dir, by, _now())
    written = result.written
    if not written:
        print("Nothing to export: every approved row is in the data files already"
              + (f" ({result.marked} marked exported now)." if result.marked else "."))
        return 0
    shown = ", ".join(f"{name} {n}" for name, n in written.items())
    print(f"exported {sum(written.values())} row(s) into {data_dir}: {shown}")
    print("review them with: git diff " + " ".join(str(data_dir / n) for n in written))
    return _rebuild(settings, "rebuilt from the data files")


def _rebuild(settings, done: str) -> int:
    try:
        build(settings.db_path, settings.data_dir or DATA_DIR, settings.curation_db)
    except DandongError as exc:
        print(f"dandong kb: the knowledge base was not rebuilt ({exc}); the change is saved "
              "and the next `dandong build` picks it up", file=sys.stderr)
        return 1
    print(f"rebuilt {settings.db_path}: {done}")
    return 0


def _now() -> datetime:
    return datetime.now(UTC)


COMMANDS = {"propose": cmd_propose, "pending": cmd_pending, "approve": cmd_approve,
            "reject": cmd_reject, "history": cmd_history, "export": cmd_export}
