"""Posting once per channel and day: the intent/reconcile protocol, the REST poster against a
loopback stand-in, and a real `dandong digest --post` process killed in the post window."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from bot.digest.post import (
    HistoryUnavailable,
    PostRefused,
    PostUncertain,
    RestPoster,
    digest_marker,
    digest_nonce,
    is_digest_message,
    post_once,
    snowflake_at,
)
from bot.digest.state import StateStore
from knowledge.build import build
from knowledge.store import KnowledgeStore

NOW = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
DAY = date(2026, 11, 28)
CH = 4242
BOT_ID = "900"
TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GabcdE.abcdefghijklmnopqrstuvwxyz0123"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    path = tmp_path_factory.mktemp("kb") / "kb.db"
    build(path)
    return path


@pytest.fixture
def state(tmp_path):
    s = StateStore(tmp_path / "state.db")
    yield s
    s.close()


class ChannelStandIn:
    """A Poster over an in-memory channel: each step can be told to fail as Discord might."""

    def __init__(self):
        self.messages: list[dict] = []
        self.sends = 0
        self.fail_send: Exception | None = None
        self.create_then_fail = False
        self.history_error: Exception | None = None

    async def send(self, channel_id, message, nonce):
        self.sends += 1
        if self.fail_send and not self.create_then_fail:
            raise self.fail_send
        msg = {"id": str(1000 + len(self.messages)), "author": {"id": BOT_ID}, **message}
        self.messages.append(msg)
        if self.fail_send:
            raise self.fail_send
        return msg["id"]

    async def find(self, channel_id, marker, nonce, since):
        if self.history_error:
            raise self.history_error
        return next((m["id"] for m in self.messages
                     if is_digest_message(m, BOT_ID, marker, nonce)), None)


def run(state, kb, poster, *, now=NOW, day=DAY, **kw):
    return asyncio.run(post_once(state, KnowledgeStore(kb), poster, CH, day, now, **kw))


def test_posts_once_with_no_mentions_and_records_it(state, kb):
    ch = ChannelStandIn()
    first = run(state, kb, ch)
    assert (first.status, first.message_id) == ("posted", "1000")
    assert run(state, kb, ch).status == "already"
    assert ch.sends == 1
    msg = ch.messages[0]
    assert msg["allowed_mentions"] == {"parse": []}
    assert msg["embeds"][0]["footer"]["text"].startswith(digest_marker(DAY))
    assert state.last_posted(CH) == DAY and len(state.rotation(CH).shown) == 1
    assert state.snapshot(CH) is not None


def test_next_day_advances_rotation_and_reports_no_changes(state, kb):
    ch = ChannelStandIn()
    run(state, kb, ch)
    run(state, kb, ch, day=DAY + timedelta(days=1), now=NOW + timedelta(days=1))
    facts = [m["embeds"][0]["fields"][-1]["value"] for m in ch.messages]
    assert facts[0] != facts[1]
    kb_field = next(f for f in ch.messages[1]["embeds"][0]["fields"]
                    if f["name"] == "Knowledge base")
    assert "No changes" in kb_field["value"]


def test_refused_post_is_released_kept_as_failure_and_retried_later(state, kb):
    ch = ChannelStandIn()
    ch.fail_send = PostRefused("Discord answered 403 (Missing Permissions)")
    out = run(state, kb, ch, retry_after=timedelta(minutes=10))
    assert out.status == "refused" and "Missing Permissions" in state.last_failure(CH).message
    assert state.post_record(CH, DAY) is None and ch.messages == []
    ch.fail_send = None
    soon = NOW + timedelta(minutes=1)
    assert run(state, kb, ch, now=soon, retry_after=timedelta(minutes=10)).status == "waiting"
    later = NOW + timedelta(minutes=11)
    assert run(state, kb, ch, now=later, retry_after=timedelta(minutes=10)).status == "posted"
    assert state.last_failure(CH) is None


def test_uncertain_post_that_did_land_is_recovered_not_reposted(state, kb):
    ch = ChannelStandIn()
    ch.fail_send, ch.create_then_fail = PostUncertain("timeout"), True
    assert run(state, kb, ch).status == "pending"
    ch.fail_send = None
    out = run(state, kb, ch)
    assert (out.status, out.message_id) == ("recovered", "1000")
    assert ch.sends == 1 and len(ch.messages) == 1
    assert state.last_posted(CH) == DAY and len(state.rotation(CH).shown) == 1


def test_uncertain_post_that_did_not_land_is_sent_again_with_the_same_nonce(state, kb):
    ch = ChannelStandIn()
    ch.fail_send = PostUncertain("connection reset")
    assert run(state, kb, ch).status == "pending"
    nonce = state.post_record(CH, DAY).nonce
    ch.fail_send = None
    assert run(state, kb, ch).status == "posted"
    assert len(ch.messages) == 1 and nonce == digest_nonce(CH, DAY)


def test_unreadable_history_means_unconfirmed_never_a_second_post(state, kb):
    ch = ChannelStandIn()
    ch.fail_send, ch.create_then_fail = PostUncertain("timeout"), True
    run(state, kb, ch)
    ch.fail_send, ch.history_error = None, HistoryUnavailable("403 Missing Access")
    out = run(state, kb, ch)
    assert out.status == "unconfirmed" and "not posted again" in out.detail
    assert run(state, kb, ch).status == "already"
    assert len(ch.messages) == 1 and state.last_posted(CH) == DAY
    assert "Missing Access" in state.last_failure(CH).message


def test_an_intent_held_by_a_live_process_is_left_alone(state, kb, tmp_path):
    state.claim(CH, DAY, digest_nonce(CH, DAY), fact=None, snapshot=None, now=NOW)
    conn = sqlite3.connect(tmp_path / "state.db")  # pid 1 is always alive: it is mid-post
    conn.execute("UPDATE digest_posts SET owner = ?", (f"{socket.gethostname()}:1",))
    conn.commit()
    conn.close()
    ch = ChannelStandIn()
    assert run(state, kb, ch).status == "pending" and ch.sends == 0


def test_disabled_state_posts_nothing(tmp_path, kb):
    state = StateStore("/proc/dandong-state.db")
    ch = ChannelStandIn()
    out = run(state, kb, ch)
    assert out.status == "disabled" and "cannot be written" in out.detail and ch.sends == 0


def test_nonce_and_snowflake():
    assert len(digest_nonce(10**19, DAY)) <= 25
    assert digest_nonce(1, DAY) != digest_nonce(1, DAY + timedelta(days=1))
    assert snowflake_at(datetime(2015, 1, 1, tzinfo=UTC)) == 0
    assert snowflake_at(datetime(2015, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1000 << 22


# -- a loopback stand-in for Discord's REST API ----------------------------------------------
class FakeDiscord:
    """Just enough of Discord's REST API: users/@me, channel messages (post with
    enforce_nonce, history with after=). `on_post` can interfere with one request."""

    def __init__(self):
        self.messages: list[dict] = []
        self.nonces: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.on_post = None  # callable(request_json) -> "store" | "drop"
        self.status_for_post: list[int] = []
        self._ids = itertools.count(snowflake_at(datetime.now(UTC)) + 1)
        self.loop = asyncio.new_event_loop()
        self.port = 0

    async def _me(self, request):
        self.requests.append(("GET", request.path))
        return web.json_response({"id": BOT_ID, "username": "dandong", "bot": True})

    async def _post(self, request):
        body = await request.json()
        self.requests.append(("POST", request.path))
        assert request.headers["Authorization"] == f"Bot {TOKEN}"
        if self.status_for_post:
            status = self.status_for_post.pop(0)
            return web.json_response({"message": "Missing Permissions", "retry_after": 0.01},
                                     status=status)
        if body.get("enforce_nonce") and body.get("nonce") in self.nonces:
            return web.json_response(self.nonces[body["nonce"]])
        action = self.on_post(body) if self.on_post else "store"
        if action == "drop":
            await asyncio.sleep(3600)
        msg = {"id": str(next(self._ids)), "channel_id": request.match_info["ch"],
               "author": {"id": BOT_ID, "bot": True}, "content": body.get("content", ""),
               "embeds": body.get("embeds", []), "nonce": body.get("nonce"),
               "allowed_mentions": body.get("allowed_mentions")}
        self.messages.append(msg)
        self.nonces[body["nonce"]] = msg
        if action == "hang":
            await asyncio.sleep(3600)
        return web.json_response(msg)

    async def _history(self, request):
        self.requests.append(("GET", request.path))
        after = int(request.query.get("after", 0))
        found = [{k: v for k, v in m.items() if k != "nonce"}  # history has no nonce
                 for m in self.messages if int(m["id"]) > after]
        return web.json_response(sorted(found, key=lambda m: -int(m["id"]))[:100])

    def __enter__(self):
        app = web.Application()
        app.router.add_get("/api/users/@me", self._me)
        app.router.add_post("/api/channels/{ch}/messages", self._post)
        app.router.add_get("/api/channels/{ch}/messages", self._history)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


async def with_rest(fake, fn):
    async with aiohttp.ClientSession() as session:
        return await fn(RestPoster(session, fake.base, TOKEN))


def test_rest_poster_send_find_and_errors():
    with FakeDiscord() as fake:
        payload = {"embeds": [{"title": "t", "footer": {"text": digest_marker(DAY) + " · x"}}],
                   "allowed_mentions": {"parse": []}}
        mid = asyncio.run(with_rest(fake, lambda p: p.send(CH, payload, "n1")))
        assert fake.messages[0]["id"] == mid and fake.messages[0]["nonce"] == "n1"
        since = datetime.now(UTC) - timedelta(minutes=5)
        assert asyncio.run(with_rest(fake, lambda p: p.find(CH, digest_marker(DAY), "zz",
                                                             since))) == mid
        other = digest_marker(DAY + timedelta(days=1))
        assert asyncio.run(with_rest(fake, lambda p: p.find(CH, other, "zz", since))) is None
        fake.status_for_post = [429, 403]
        with pytest.raises(PostRefused, match="403 .*Missing Permissions.*lacks permission"):
            asyncio.run(with_rest(fake, lambda p: p.send(CH, payload, "n2")))
        fake.status_for_post = [502]
        with pytest.raises(PostUncertain):
            asyncio.run(with_rest(fake, lambda p: p.send(CH, payload, "n3")))


# -- the real command, killed between posting and recording -----------------------------------
def cli_env(tmp_path, kb, fake) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DANDONG_",
                                                                      "DIGEST_"))}
    env.update(DANDONG_DB=str(kb), DANDONG_STATE_DB=str(tmp_path / "state.db"),
               DISCORD_TOKEN=TOKEN, DISCORD_API_BASE=fake.base, DIGEST_CHANNEL_ID=str(CH),
               DIGEST_TZ="Asia/Seoul", DIGEST_TIME="08:30", HOME=str(tmp_path))
    return env


def dandong_post(env, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "digest", "--post"], env=env,
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("window, expect_recovered", [
    ("hang", True),    # Discord created the message; the process died before recording it
    ("drop", False),   # the process died with the intent recorded but nothing created
])
def test_sigkill_in_the_post_window_never_loses_or_doubles_a_post(tmp_path, kb, window,
                                                                   expect_recovered):
    with FakeDiscord() as fake:
        env = cli_env(tmp_path, kb, fake)
        holder: dict = {}

        def interfere(body):
            os.kill(holder["proc"].pid, signal.SIGKILL)
            return window

        fake.on_post = interfere
        holder["proc"] = proc = dandong_post(env, tmp_path)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        assert len(fake.messages) == (1 if expect_recovered else 0)
        state = StateStore(tmp_path / "state.db", readonly=True)
        assert state.post_record(CH, _today_seoul()).status == "intent"
        state.close()

        fake.on_post = None
        again = dandong_post(env, tmp_path)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        assert ("had been posted" in out) is expect_recovered
        assert len(fake.messages) == 1
        state = StateStore(tmp_path / "state.db", readonly=True)
        rec = state.post_record(CH, _today_seoul())
        assert (rec.status, rec.message_id) == ("posted", fake.messages[0]["id"])
        state.close()

        third = dandong_post(env, tmp_path)
        out, _ = third.communicate(timeout=60)
        assert third.returncode == 0 and "already posted" in out
        assert len(fake.messages) == 1
        assert fake.messages[0]["allowed_mentions"] == {"parse": []}


def _today_seoul() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Seoul")).date()


def test_cli_post_reports_a_refusal_and_exits_1(tmp_path, kb):
    with FakeDiscord() as fake:
        fake.status_for_post = [403]
        proc = dandong_post(cli_env(tmp_path, kb, fake), tmp_path)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1 and "lacks permission" in err and fake.messages == []
        state = StateStore(tmp_path / "state.db", readonly=True)
        assert "lacks permission" in state.last_failure(CH).message
        state.close()

