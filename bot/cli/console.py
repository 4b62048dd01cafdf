"""The local console: a prompt with readline history that answers like the bot."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

from bot.errors import DandongError

BANNER = """Dandong — questions about China–North Korea relations, answered with sources.
Try: visits in Hu era · days after 2009 test · coal ban · Ri Kil Song · nuclear tests
Paste a paragraph (or start a line with 'check:') to fact-check it.
Type 'help' for more examples, 'quit' or Ctrl-D to leave."""
# Two or more sentences in one line: a pasted paragraph to fact-check, not a question.
_PARAGRAPH = re.compile(r"[.!?][\"'”’)]?\s+[A-Z0-9\"“]")
HISTORY = Path.home() / ".dandong_history"


def _setup_history() -> None:
    try:
        import readline
    except ImportError:  # not on every platform; the console works without it
        return
    try:
        readline.read_history_file(HISTORY)
    except (FileNotFoundError, OSError):
        pass
    readline.set_history_length(500)
    import atexit

    def save() -> None:
        try:
            readline.write_history_file(HISTORY)
        except OSError:
            pass

    atexit.register(save)


def run_console(store, today: date | None = None, stdin=None, stdout=None) -> int:
    """Answer each line until EOF; our errors become one-line messages, the loop goes on."""
    from bot.check import Checker
    from bot.cli.render import render_report, render_text
    from bot.engine import EXAMPLES, Engine

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    engine = Engine(store)
    checker: Checker | None = None
    if interactive:
        _setup_history()
    print(BANNER, file=stdout)
    while True:
        try:
            line = input("dandong> ") if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print(file=stdout)
            return 0
        if not interactive and line == "":
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lower() in {"quit", "exit", ":q"}:
            return 0
        if line.lower() in {"help", "?"}:
            print("Examples:\n  " + "\n  ".join(EXAMPLES), file=stdout)
            continue
        try:
            text = line[6:].strip() if line.lower().startswith("check:") else line
            if text is not line or _PARAGRAPH.search(line):
                checker = checker or Checker(store)
                print(render_report(checker.check(text, today)) + "\n", file=stdout)
                continue
            print(render_text(engine.ask(line, today=today)) + "\n", file=stdout)
        except DandongError as exc:
            print(f"dandong: {exc}\n", file=stdout)
