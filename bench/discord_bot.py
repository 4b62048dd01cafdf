"""The Discord bot as a real process (`dandong serve`) against the loopback stand-in from the
Discord tests (tests/discord_fake): time from start to READY, then its RSS after READY and
while it answers 10,000 questions sent as mentions through the stand-in's gateway."""

from __future__ import annotations

import asyncio
import collections
import signal
import subprocess
import threading
import time
from pathlib import Path

from bench.process import clean_env, dandong_command, rss_kb

READY_LINE = "Dandong is ready"
FAILURE_TEXT = "something went wrong"


def unavailable() -> str | None:
    """None when the stand-in can be used, else a 'not measured: …' reason."""
    try:
        from tests.discord_fake import payloads  # noqa: F401
        from tests.discord_fake.server import FakeDiscord  # noqa: F401
    except ImportError as exc:
        return f"not measured: the Discord stand-in (tests/discord_fake) cannot be imported: {exc}"
    return None


class BotProcess:
    """`dandong serve` pointed at the stand-in; stderr read in a thread, lines time-stamped."""

    def __init__(self, fake, db_path: Path, home: Path):
        from tests.discord_fake import payloads as p

        home.mkdir(parents=True, exist_ok=True)
        self.env = clean_env(
            home, DISCORD_TOKEN=p.TOKEN, DISCORD_API_BASE=fake.api_base,
            DISCORD_GUILD_IDS=str(p.GUILD_ID), DANDONG_DB=str(db_path), LOG_LEVEL="INFO",
            # The per-user limit (5 per 10 s) would refuse a benchmark's questions.
            DANDONG_COOLDOWN_RATE="1000000", DANDONG_COOLDOWN_SECONDS="1")
        self.fake = fake
        self.lines: collections.deque[str] = collections.deque(maxlen=200)
        self.ready_at: float | None = None
        self._ready = threading.Event()
        self.proc: subprocess.Popen | None = None
        self.spawned_at = 0.0

    def start(self) -> None:
        self.spawned_at = time.monotonic()
        self.proc = subprocess.Popen([*dandong_command(), "serve"], env=self.env, text=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        threading.Thread(target=self._read, name="bot-stderr", daemon=True).start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            if self.ready_at is None and READY_LINE in line:
                self.ready_at = time.monotonic()
                self._ready.set()
            self.lines.append(line.rstrip())
        self._ready.set()  # the process ended: wake anyone waiting

    def wait_ready(self, timeout: float = 60.0) -> dict[str, float]:
        """Seconds from spawn to the gateway IDENTIFY (READY is sent in reply) and to on_ready."""
        identify = self.fake.wait_for_sync(lambda r: r.kind == "ws" and r.op == 2, timeout)
        if not self._ready.wait(timeout) or self.ready_at is None:
            raise RuntimeError("the bot did not become ready; its log ends:\n"
                               + "\n".join(list(self.lines)[-20:]))
        return {"identify_s": identify.at - self.spawned_at,
                "on_ready_s": self.ready_at - self.spawned_at}

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> int | None:
        """SIGTERM (graceful shutdown), then SIGKILL if it lingers; the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


async def _answer_all(fake, pid: int, questions: list[str], total: int, sequential: int,
                      window: int, every: int) -> dict:
    """Send `total` mentions (the first `sequential` one at a time, then `window` at once),
    wait for every reply, and sample the bot's RSS every `every` answers."""
    from tests.discord_fake import payloads as p

    channel_post = f"/channels/{p.CHANNEL_ID}/messages"
    rss = [{"answers": 0, "rss_kb": rss_kb(pid)}]
    round_trips: list[int] = []
    failures = 0
    done = 0
    t_start = time.perf_counter()
    while done < total:
        k = 1 if done < sequential else min(window, total - done, every - done % every)
        pending: set[str] = set()
        t0 = time.perf_counter_ns()
        for j in range(k):
            q = questions[(done + j) % len(questions)]
            msg = await fake.post(f"<@{p.APP_ID}> {q}")
            pending.add(str(msg["id"]))

        def replied(r, pending=pending) -> bool:
            nonlocal failures
            if r.kind != "http" or r.method != "POST" or r.path != channel_post:
                return False
            ref = str(((r.body or {}).get("message_reference") or {}).get("message_id"))
            if ref in pending:
                pending.discard(ref)
                failures += FAILURE_TEXT in str(r.body)
            return not pending

        await fake.wait_for(replied, timeout=120)
        if k == 1:
            round_trips.append(time.perf_counter_ns() - t0)
        done += k
        if done % every == 0:
            rss.append({"answers": done, "rss_kb": rss_kb(pid)})
    elapsed = time.perf_counter() - t_start
    return {"rss": rss, "round_trip_samples": round_trips, "failures": failures,
            "answers": done, "answers_per_s": done / elapsed if elapsed else 0.0}


def bot_bench(db_path: Path, work: Path, questions: list[str], *, starts: int = 3,
              answers: int = 10_000, sequential: int = 1_000, window: int = 25,
              every: int = 1_000) -> dict:
    """Start the bot `starts` times (start-up timings); on the last start, answer `answers`
    questions and record RSS. {'skipped': reason} when the stand-in is unavailable."""
    reason = unavailable()
    if reason:
        return {"skipped": reason}
    from tests.discord_fake.server import FakeDiscord

    timings, memory = [], None
    for i in range(starts):
        fake = FakeDiscord()
        fake.start()
        bot = BotProcess(fake, db_path, work / f"bot_home_{i}")
        try:
            bot.start()
            timings.append(bot.wait_ready())
            time.sleep(0.5)  # let start-up work (command sync, digest loop) settle
            if i == starts - 1 and answers:
                memory = asyncio.run(_answer_all(fake, bot.pid, questions, answers,
                                                 min(sequential, answers), window, every))
                memory["rss_after_ready_kb"] = memory["rss"][0]["rss_kb"]
        finally:
            code = bot.stop()
            fake.stop()
        if code not in (0, None):
            raise RuntimeError(f"the bot exited {code}; its log ends:\n"
                               + "\n".join(list(bot.lines)[-20:]))
    return {"starts": timings, "memory": memory}
