"""The `dandong` command: ask, check, console, build, import, digest, chart, serve, sync."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.errors import DandongError, UsageError

log = logging.getLogger("dandong")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as UsageError (exit 2, one line) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from bot.config import hide_tokens

        # argparse echoes what it rejects; a token pasted as an argument must not be shown.
        message = hide_tokens(message)
        if "--token" in message:
            message += " (the token is read only from DISCORD_TOKEN in the environment or .env)"
        raise UsageError(f"{self.prog}: {message}")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a real date in the form YYYY-MM-DD") from None


def load_cli_settings(args: argparse.Namespace):
    """Settings for this run, loaded once: the environment and .env, then --db on top."""
    from bot.config import load_settings

    need_token = getattr(args, "needs_token", False) or bool(getattr(args, "post", False))
    settings = load_settings(need_token=need_token)
    if getattr(args, "db", None):
        from dataclasses import replace

        settings = replace(settings, db_path=Path(args.db))
    return settings


def _store(settings):
    from knowledge.store import open_store

    return open_store(settings.db_path, settings.data_dir, curation_db=settings.curation_db)


# -- subcommands ---------------------------------------------------------------------------
def cmd_ask(args: argparse.Namespace, settings) -> int:
    """Answer one question."""
    question = " ".join(args.question).strip()
    if not question:
        raise UsageError(
            "dandong ask: the question is empty; try: dandong ask \"visits in Hu era\"")
    from bot.engine import Engine

    engine = Engine(_store(settings))
    answer = engine.ask(question, today=args.today)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        from bot.cli.render import render_text

        print(render_text(answer))
    return 0


def cmd_check(args: argparse.Namespace, settings) -> int:
    """Fact-check a text: a verdict for each claim in it."""
    parts = list(args.text)
    if parts == ["-"]:
        text = sys.stdin.read()
    elif "-" in parts:
        raise UsageError("dandong check: '-' (read the text from stdin) must be the only "
                         "argument")
    else:
        text = " ".join(parts)
    if not text.strip():
        raise UsageError("dandong check: the text is empty; try: dandong check "
                         "\"Kim Jong Un has averaged 1.8 visits a year\" (or - to read stdin)")
    from bot.check import Checker

    report = Checker(_store(settings)).check(text, today=args.today)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        from bot.cli.render import render_report

        print(render_report(report))
    return 0


def cmd_console(args: argparse.Namespace, settings) -> int:
    """Interactive prompt answering questions until EOF or 'quit'."""
    from bot.cli.console import run_console

    return run_console(_store(settings), today=args.today)


def cmd_build(args: argparse.Namespace, settings) -> int:
    """Validate the data files and (re)build the knowledge base."""
    from knowledge.build import DATA_DIR, build

    counts = build(settings.db_path, settings.data_dir or DATA_DIR, settings.curation_db)
    print(f"built {settings.db_path}")
    for table, n in counts.items():
        print(f"  {table:16} {n:>8} rows")
    return 0


def cmd_import(args: argparse.Namespace, settings) -> int:
    """Import a complete visit list (CSV) covering a period."""
    from knowledge.build import DATA_DIR
    from knowledge.importer import import_visits, parse_mapping

    result = import_visits(
        Path(args.file), data_dir=settings.data_dir or DATA_DIR, db_path=settings.db_path,
        mapping=parse_mapping(args.map), label=args.label, source=args.source,
        covers_from=args.covers_from, covers_to=args.covers_to, synthetic=args.synthetic,
        curation_db=settings.curation_db)
    print(f"imported {result['rows']} visits covering {result['covers_from']} to "
          f"{result['covers_to']}; rebuilt {settings.db_path}")
    return 0


def cmd_digest(args: argparse.Namespace, settings) -> int:
    """Print (or post) the daily digest."""
    from bot.cli.digest import digest_cli

    return digest_cli(args, settings)


def cmd_chart(args: argparse.Namespace, settings) -> int:
    """Render a chart to PNG."""
    from bot.cli.chart import chart_cli

    return chart_cli(args, settings)


def cmd_kb(args: argparse.Namespace, settings) -> int:
    """Team curation: propose, review and export knowledge-base rows."""
    from bot.cli.kb import kb_cli

    return kb_cli(args, settings)


def cmd_serve(args: argparse.Namespace, settings) -> int:
    """Run the Discord bot."""
    from bot.discord.run import serve

    return serve(settings)


def cmd_sync(args: argparse.Namespace, settings) -> int:
    """Sync the slash-command tree with Discord."""
    from bot.discord.run import sync

    return sync(settings, force=args.force)


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar."""
    parser = _Parser(prog="dandong", description=__doc__)
    parser.add_argument("--db", help="knowledge base path (default: DANDONG_DB or ./knowledge.db)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def add(name: str, func: Callable, help: str, *,
            needs_token: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--db", help=argparse.SUPPRESS, default=argparse.SUPPRESS)
        p.set_defaults(func=func, needs_token=needs_token)
        return p

    p = add("ask", cmd_ask, "answer a question, e.g. dandong ask \"visits in Hu era\"")
    p.add_argument("question", nargs="*", help="the question, in plain words")
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    p.add_argument("--today", type=_iso_date, help="treat this date (YYYY-MM-DD) as today")

    p = add("check", cmd_check, "fact-check a text: a verdict on each claim in it, e.g. "
            "dandong check \"Kim Jong Un has averaged 2.5 visits a year\"")
    p.add_argument("text", nargs="*", help="the text to check, or - to read it from stdin")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--today", type=_iso_date, help="treat this date (YYYY-MM-DD) as today")

    p = add("console", cmd_console, "interactive prompt (the default with no arguments)")
    p.add_argument("--today", type=_iso_date, help="treat this date (YYYY-MM-DD) as today")

    add("build", cmd_build, "validate the data files and rebuild the knowledge base")

    p = add("import", cmd_import, "import a complete list of visits from a CSV file")
    p.add_argument("what", choices=["visits"], help="what the file holds")
    p.add_argument("file", help="CSV file with one visit per row")
    p.add_argument("--map", action="append", default=[], metavar="COL=FIELD",
                   help="map a CSV column to a field (repeatable), e.g. --map Date=start_date")
    p.add_argument("--from", dest="covers_from", type=_iso_date, metavar="YYYY-MM-DD",
                   help="first day the list covers completely (default: earliest visit)")
    p.add_argument("--to", dest="covers_to", type=_iso_date, metavar="YYYY-MM-DD",
                   help="last day the list covers completely (default: latest visit)")
    p.add_argument("--label", help="a name for this list, shown in answers")
    p.add_argument("--source", help="where the list comes from (name or URL)")
    p.add_argument("--synthetic", action="store_true", help="mark the list as synthetic test data")

    p = add("digest", cmd_digest, "print the daily digest, or post it once")
    p.add_argument("--date", type=_iso_date, help="digest for this date (default: today)")
    p.add_argument("--json", action="store_true", help="print the digest structure as JSON")
    p.add_argument("--post", action="store_true", help="post today's digest once and exit")

    p = add("chart", cmd_chart, "render a chart to PNG")
    p.add_argument("kind", choices=["eras", "gaps", "timeline"],
                   help="eras (visit rates), gaps (test to visit) or timeline")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--from", dest="start", help="start date (timeline), e.g. 2006-01-01")
    p.add_argument("--to", dest="end", help="end date (timeline), e.g. 2019-12-31")

    _add_kb(add("kb", cmd_kb, "team curation: propose, review and export rows"))

    add("serve", cmd_serve, "run the Discord bot (needs DISCORD_TOKEN)", needs_token=True)
    p = add("sync", cmd_sync, "sync slash commands with Discord now", needs_token=True)
    p.add_argument("--force", action="store_true",
                   help="push the command tree even when it has not changed")
    return parser


def _add_kb(kb: argparse.ArgumentParser) -> None:
    """dandong kb propose|pending|approve|reject|history|export."""
    kb.set_defaults(kb_command=None)
    sub = kb.add_subparsers(dest="kb_command", parser_class=_Parser, metavar="ACTION",
                            help="propose, pending, approve, reject, history or export")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--db", help=argparse.SUPPRESS, default=argparse.SUPPRESS)
        return p

    def who(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as", dest="as_name", metavar="NAME", required=True,
                       help="who you are (recorded in the audit log)")

    p = add("propose", "propose a visit, fact or event for review, with its source")
    p.add_argument("--kind", required=True, choices=["visit", "fact", "event"],
                   help="what kind of row: a visit, a fact or an event")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="when it happened (a visit's first day); required except for a fact")
    p.add_argument("--end-date", metavar="YYYY-MM-DD", help="last day, if it lasted longer")
    p.add_argument("--who", help="visit: 'Name, title'; fact: people or places named; "
                   "event: who took part")
    p.add_argument("--what", required=True, help="what happened, in one or two sentences")
    p.add_argument("--url", required=True, help="the source: an http(s) link")
    p.add_argument("--quote", help="the words of the source that support it (optional)")
    p.add_argument("--direction", choices=["CN->KP", "KP->CN"],
                   help="visit: CN->KP (China to North Korea) or KP->CN")
    p.add_argument("--summit", action="store_true", help="visit: a leaders' summit")
    p.add_argument("--not-high-level", action="store_true",
                   help="visit: below the high-level threshold")
    p.add_argument("--nonce", help="a key that makes a retried propose record it only once")
    who(p)

    p = add("pending", "list the proposals waiting for review")
    p.add_argument("--json", action="store_true", help="print them as JSON")

    p = add("approve", "approve someone else's proposal and rebuild the knowledge base")
    p.add_argument("id", type=int, help="the proposal number (see kb pending)")
    who(p)

    p = add("reject", "reject a proposal, saying why")
    p.add_argument("id", type=int, help="the proposal number (see kb pending)")
    p.add_argument("--reason", required=True, help="why, for the proposer and the audit log")
    who(p)

    p = add("history", "the audit log: every proposal, approval, rejection and export")
    p.add_argument("id", type=int, nargs="?", help="only this proposal")
    p.add_argument("--json", action="store_true", help="print the entries as JSON")

    p = add("export", "write approved rows into the data files (knowledge/data) for git review")
    who(p)


def main(argv: list[str] | None = None) -> int:
    """Entry point: one error boundary turns our errors into one-line messages."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = build_parser().parse_args(argv or ["console"])
        if not getattr(args, "func", None):
            args = build_parser().parse_args(["console", *argv])
        return args.func(args, load_cli_settings(args))
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except DandongError as exc:
        print(f"dandong: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # the last boundary: log the traceback, show one line
        log.exception("unexpected error")
        print("dandong: unexpected error (details logged above)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
