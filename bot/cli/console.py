"""The local console: a prompt with readline history that answers like the bot."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from bot.errors import DandongError

BANNER = """Dandong — questions about China–North Korea relations, answered with sources.
Try: visits in Hu era · days after 2009 test · coal ban · Ri Kil Song · nuclear tests
Type 'help' for more examples, 'quit' or Ctrl-D to leave."""
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
    from bot.cli.render import render_text
    from bot.engine import EXAMPLES, Engine

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    engine = Engine(store)
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
            print(render_text(engine.ask(line, today=today)) + "\n", file=stdout)
        except DandongError as exc:
            print(f"dandong: {exc}\n", file=stdout)
