"""What the numbers were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys


def _proc_field(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine() -> dict:
    """Cores, CPU model, memory, OS, Python and SQLite versions."""
    mem = _proc_field("/proc/meminfo", "MemTotal")
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cores": os.cpu_count(), "usable_cores": usable,
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "memory_gb": round(int(mem.split()[0]) / 1024 ** 2, 1) if mem else None,
        "os": platform.platform(), "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
    }
