"""The `dandong` command line: argument parsing, the console and the terminal renderings."""

from bot.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
