"""Datasette as a team would run it (`datasette serve knowledge.db -m knowledge/metadata.json`),
on 127.0.0.1 only, queried through its JSON API with the same hand-written SQL."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.queries import ROOT, Lookup

METADATA = ROOT / "knowledge" / "metadata.json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available() -> str | None:
    """None when datasette can run here, else why not."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        return "datasette is not installed (pip install -e '.[bench]')"
    return None


class Datasette:
    """`datasette serve` in a subprocess on a free loopback port; a context manager."""

    def __init__(self, db_path: Path, *, start_timeout: float = 30.0):
        self.db_path = Path(db_path)
        self.db_name = self.db_path.stem
        self.port = free_port()
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.started_s = 0.0

    def __enter__(self) -> Datasette:
        cmd = [sys.executable, "-m", "datasette", "serve", str(self.db_path), "-m", str(METADATA),
               "--host", "127.0.0.1", "--port", str(self.port)]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = t0 + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")[-500:]
                raise RuntimeError(f"datasette exited with {self.proc.returncode}: {err}")
            try:
                self.get("/-/versions.json")
                break
            except OSError:
                if time.perf_counter() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError("datasette did not answer within "
                                       f"{self.start_timeout:.0f} s") from None
                self.conn = None
                time.sleep(0.05)
        self.started_s = time.perf_counter() - t0
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()

    def get(self, path: str):
        """GET a JSON path over one kept-alive connection."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self.conn.request("GET", path)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"datasette {path}: HTTP {resp.status}: {body[:300]!r}")
        return json.loads(body)

    def sql_path(self, lk: Lookup) -> str:
        return f"/{self.db_name}.json?" + urlencode(
            {"sql": lk.sql, "_shape": "array", **{k: str(v) for k, v in lk.params.items()}})


def datasette_samples(server: Datasette, lookups: list[Lookup], rounds: int) -> dict[str, dict]:
    """question -> {rows, samples}: the same SQL through the JSON API (HTTP round trip)."""
    paths = {lk.question: server.sql_path(lk) for lk in lookups}
    out = {}
    for q, path in paths.items():
        rows = server.get(path)
        out[q] = {"rows": len(rows), "samples": []}
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for q, path in paths.items():
            t0 = clock()
            server.get(path)
            out[q]["samples"].append(clock() - t0)
    return out


def table_api_samples(server: Datasette, rounds: int) -> list[int]:
    """The simplest table-API lookup, /knowledge/facts.json?id=rate_hu&_shape=array."""
    path = f"/{server.db_name}/facts.json?id=rate_hu&_shape=array"
    server.get(path)
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        server.get(path)
        samples.append(time.perf_counter_ns() - t0)
    return samples
