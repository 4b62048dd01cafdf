"""Fresh processes: `dandong ask` from cold, the bare interpreter as its floor, and RSS read
from /proc/<pid>/status."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.queries import TODAY


def dandong_command() -> list[str]:
    """The installed `dandong` script beside this interpreter, else `python -m bot.cli`."""
    script = Path(sys.executable).parent / "dandong"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without Discord or Dandong settings, with a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DANDONG_"))}
    env.update(HOME=str(home), DANDONG_STATE_DB=str(home / "state.db"), **extra)
    return env


def _timed_run(cmd: list[str], env: dict[str, str]) -> int:
    t0 = time.perf_counter_ns()
    proc = subprocess.run(cmd, env=env, capture_output=True)
    elapsed = time.perf_counter_ns() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace')[-500:]}")
    return elapsed


def cold_ask_samples(db_path: Path, home: Path, runs: int,
                     question: str = "visits in Hu era") -> dict[str, list[int]]:
    """Wall time of `dandong --db KB ask --json QUESTION` in a fresh process, and of the bare
    interpreter (`python -c pass`) and of importing the engine, for scale."""
    env = clean_env(home)
    ask = [*dandong_command(), "--db", str(db_path), "ask", "--json", "--today", TODAY, question]
    cmds = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import bot.engine'": [sys.executable, "-c", "import bot.engine"],
        "dandong ask --json": ask,
    }
    _timed_run(ask, env)  # once to warm the OS file cache, as any second run would be
    out: dict[str, list[int]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            out[name].append(_timed_run(cmd, env))
    return out


def rss_kb(pid: int) -> int:
    """Resident set size of a process in kB (VmRSS in /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
