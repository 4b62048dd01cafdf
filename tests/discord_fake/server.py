"""A stand-in for Discord's REST API and gateway, served with aiohttp on 127.0.0.1 in a thread
of its own, recording every HTTP request and gateway frame the bot sends.

Details of discord.py 2.7 it honours: JSON responses carry exactly `application/json`; a 429
is retried only when the response has a `Via` header; the interaction callback answers with
`interaction` and `resource` objects; the client asks for compressed frames and gets plain
text ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads as p

EPHEMERAL = 64
log = logging.getLogger("tests.discord_fake")


@dataclass
class Record:
    """One thing the bot did: an HTTP request (kind 'http') or a gateway frame (kind 'ws')."""

    kind: str
    method: str = ""
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    status: int = 0
    op: int | None = None
    shard: int | None = None
    at: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        if self.kind == "ws":
            return f"<ws op={self.op} shard={self.shard}>"
        if self.kind == "dispatch":
            return f"<dispatch {self.path}>"
        if self.kind in ("ws-connect", "ws-refused"):
            return f"<{self.kind} {self.query}>"
        return f"<{self.method} {self.path} {self.status}>"


@dataclass
class _Fault:
    method: str
    path: re.Pattern
    status: int
    body: Any
    headers: dict[str, str]
    times: int


@dataclass
class _Session:
    id: str
    shard: list[int]
    seq: int = 0


class _Conn:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: _Session | None = None


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py parses JSON only on that exact content type.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


async def _upload(request: web.Request) -> dict:
    """A message with files: its payload_json, plus 'files' as [{name, filename, data}]."""
    form = await request.post()
    body = json.loads(str(form.get("payload_json") or "{}"))
    body["files"] = [{"name": name, "filename": part.filename, "data": part.file.read()}
                     for name, part in form.items() if isinstance(part, web.FileField)]
    return body


class FakeDiscord:
    """Start with .start(), stop with .stop(); every other method is safe to call from the
    bot's event loop (async ones) or from the test thread (the *_sync ones)."""

    def __init__(self, *, heartbeat_ms: int = 45000) -> None:
        self.heartbeat_ms = heartbeat_ms
        self.reject_resume = False
        self.refuse_connects = 0  # answer this many gateway upgrades with 503, as in an outage
        self.records: list[Record] = []
        self.messages: dict[str, dict] = {}
        self.commands: dict[str, list[dict]] = {}  # scope ("global" or guild id) -> commands
        self._interactions: dict[str, dict] = {}  # interaction token -> interaction payload
        self._originals: dict[str, str] = {}  # interaction token -> message id
        self._faults: list[_Fault] = []
        self._waiters: list[tuple[Callable[[Record], bool], Callable[[Record], None]]] = []
        self._lock = threading.RLock()  # predicates may look at the records too
        self._conns: list[_Conn] = []
        self._sessions: dict[str, _Session] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(sock, ready),
                                        name="fake-discord", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the stand-in did not start")

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self._loop = loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        loop.run_until_complete(self._runner.setup())
        loop.run_until_complete(web.SockSite(self._runner, sock).start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close_all() -> None:
            for conn in list(self._conns):
                await conn.ws.close(code=1001)

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)

    def _run(self, coro: Any) -> asyncio.Future:
        assert self._loop is not None
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    # -- recording and waiting --------------------------------------------------------------------
    def _record(self, rec: Record) -> None:
        with self._lock:
            self.records.append(rec)
            matched = [(w, n) for w, n in self._waiters if w(rec)]
        for _, notify in matched:
            notify(rec)

    def find(self, pred: Callable[[Record], bool]) -> list[Record]:
        """The records matching `pred`, oldest first."""
        with self._lock:
            return [r for r in self.records if pred(r)]

    def http(self, method: str | None = None, path: str | None = None) -> list[Record]:
        """HTTP requests, filtered by method and by a regex the path must fully match."""
        return self.find(lambda r: r.kind == "http" and (method is None or r.method == method)
                         and (path is None or re.fullmatch(path, r.path) is not None))

    def ops(self, op: int) -> list[Record]:
        """Gateway frames the bot sent with this opcode."""
        return self.find(lambda r: r.kind == "ws" and r.op == op)

    async def wait_for(self, pred: Callable[[Record], bool], timeout: float = 5.0) -> Record:
        """The first record (already seen or still to come) matching `pred`."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Record] = loop.create_future()

        def notify(rec: Record) -> None:
            loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(rec))

        entry = self._watch(pred, notify)
        if isinstance(entry, Record):
            return entry
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s; saw {self.records[-15:]}") from None
        finally:
            self._unwatch(entry)

    def wait_for_sync(self, pred: Callable[[Record], bool], timeout: float = 5.0) -> Record:
        """wait_for, blocking the calling thread (for tests driving a subprocess)."""
        got: list[Record] = []
        event = threading.Event()

        def notify(rec: Record) -> None:
            got.append(rec)
            event.set()

        entry = self._watch(pred, notify)
        if isinstance(entry, Record):
            return entry
        try:
            if not event.wait(timeout):
                raise AssertionError(f"timed out after {timeout}s; saw {self.records[-15:]}")
            return got[0]
        finally:
            self._unwatch(entry)

    def _watch(self, pred: Callable[[Record], bool], notify: Callable[[Record], None]) -> Any:
        with self._lock:
            for rec in self.records:
                if pred(rec):
                    return rec
            entry = (pred, notify)
            self._waiters.append(entry)
            return entry

    def _unwatch(self, entry: Any) -> None:
        with self._lock:
            if entry in self._waiters:
                self._waiters.remove(entry)

    async def wait_http(self, method: str, path: str, timeout: float = 5.0,
                        where: Callable[[Record], bool] = lambda r: True) -> Record:
        """The first HTTP request with this method and path regex (and `where`)."""
        return await self.wait_for(lambda r: r.kind == "http" and r.method == method
                                   and re.fullmatch(path, r.path) is not None and where(r), timeout)

    def wait_session_sync(self, timeout: float = 30.0) -> Record:
        """Block until a session is open (GUILD_CREATE sent): events can be dispatched."""
        return self.wait_for_sync(lambda r: r.kind == "dispatch" and r.path == "GUILD_CREATE",
                                  timeout)

    async def reply_to(self, sent: dict, timeout: float = 5.0) -> Record:
        """The successful callback the bot made for interaction `sent`."""
        path = rf"/interactions/{sent['id']}/{re.escape(sent['token'])}/callback"
        return await self.wait_http("POST", path, timeout, where=lambda r: r.status < 300)

    def fail_next(self, method: str, path: str, status: int, body: Any = None,
                  headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Answer the next `times` matching requests with this status instead."""
        with self._lock:
            self._faults.append(_Fault(method, re.compile(path), status, body,
                                       headers or {}, times))

    # -- REST -----------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body = None
        if request.content_type == "multipart/form-data":
            body = await _upload(request)
        elif request.can_read_body:
            text = await request.text()
            body = json.loads(text) if text and request.content_type == "application/json" else text
        rec = Record(kind="http", method=request.method, path=path, query=dict(request.query),
                     body=body)
        response = self._fault_for(request.method, path) or self._route(request, path, body)
        rec.status = response.status
        log.debug("%s %s -> %s", request.method, path, response.status)
        self._record(rec)
        return response

    def _fault_for(self, method: str, path: str) -> web.Response | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method == method and fault.path.fullmatch(path):
                    fault.times -= 1
                    return _json(fault.body, fault.status, fault.headers)
        return None

    def _route(self, request: web.Request, path: str, body: Any) -> web.Response:
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m:
            return self._callback(m[1], m[2], body)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/([^/]+))?", path)
        if m:
            return self._webhook(request.method, m[2], m[3], body)
        if request.headers.get("Authorization") != f"Bot {p.TOKEN}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        method = request.method
        if method == "GET" and path == "/users/@me":
            return _json(p.BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(p.application())
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1}})
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if m:
            return self._commands(method, m[2] or "global", body)
        m = re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", path)
        if m:
            return self._channel_message(method, m[1], m[2], body)
        if re.fullmatch(r"/channels/\d+/typing", path):
            return web.Response(status=204)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _commands(self, method: str, scope: str, body: Any) -> web.Response:
        if method == "PUT":
            # Discord answers with every field; context menus are sent without a description
            # and come back with an empty one.
            self.commands[scope] = [
                {"description": "", **c, "id": p.snowflake(), "application_id": str(p.APP_ID),
                 "version": p.snowflake(),
                 **({"guild_id": scope} if scope != "global" else {})} for c in body]
        return _json(self.commands.get(scope, []))

    def _new_message(self, channel_id: int, body: dict, **extra: Any) -> dict:
        msg = p.message(
            channel_id=channel_id, author=p.BOT_USER, content=body.get("content") or "",
            embeds=body.get("embeds") or [], components=body.get("components") or [],
            flags=body.get("flags") or 0, guild=channel_id == p.CHANNEL_ID, **extra)
        self.messages[msg["id"]] = msg
        return msg

    def _edit_message(self, message_id: str, body: dict) -> dict:
        msg = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        return msg

    def _channel_message(self, method: str, channel: str, message_id: str | None,
                         body: Any) -> web.Response:
        if method == "POST" and message_id is None:
            ref = body.get("message_reference")
            return _json(self._new_message(int(channel), body, reference=ref))
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "PATCH":
            return _json(self._edit_message(message_id, body))
        if method == "DELETE":
            del self.messages[message_id]
            return web.Response(status=204)
        return _json(self.messages[message_id])

    def _callback(self, interaction_id: str, token: str, body: dict) -> web.Response:
        sent = self._interactions.get(token)
        if sent is None or sent["id"] != interaction_id:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        kind = body["type"]
        data = body.get("data") or {}
        info: dict[str, Any] = {
            "id": interaction_id, "type": sent["type"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
        }
        out: dict[str, Any] = {"interaction": info}
        msg = None
        if kind in (4, 5):
            msg = self._new_message(int(sent["channel_id"]), data,
                                    interaction_id=interaction_id)
            self._originals[token] = msg["id"]
        elif kind == 7 and "message" in sent:
            msg = self._edit_message(sent["message"]["id"], data)
        if msg is not None:
            info["response_message_id"] = msg["id"]
            out["resource"] = {"type": kind, "message": msg}
        return _json(out)

    def _webhook(self, method: str, token: str, message_id: str | None, body: Any) -> web.Response:
        sent = self._interactions.get(token)
        if sent is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if message_id is None and method == "POST":
            return _json(self._new_message(int(sent["channel_id"]), body))
        if message_id == "@original":
            message_id = self._originals.get(token)
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "PATCH":
            return _json(self._edit_message(message_id, body))
        if method == "DELETE":
            del self.messages[message_id]
            return web.Response(status=204)
        return _json(self.messages[message_id])

    # -- gateway --------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            refuse = self.refuse_connects > 0
            self.refuse_connects -= refuse
        if refuse:
            self._record(Record(kind="ws-refused", query=dict(request.query), status=503))
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Conn(ws)
        self._conns.append(conn)
        self._record(Record(kind="ws-connect", query=dict(request.query)))
        await self._send(conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
        finally:
            self._conns.remove(conn)
        return ws

    async def _send(self, conn: _Conn, frame: dict) -> None:
        frame.setdefault("s", None)
        frame.setdefault("t", None)
        await conn.ws.send_str(json.dumps(frame))  # plain text frames, never compressed

    async def _dispatch_on(self, conn: _Conn, event: str, data: Any) -> None:
        assert conn.session is not None
        conn.session.seq += 1
        await self._send(conn, {"op": 0, "t": event, "s": conn.session.seq, "d": data})
        self._record(Record(kind="dispatch", path=event, shard=conn.session.shard[0]))

    async def _on_frame(self, conn: _Conn, frame: dict) -> None:
        op, d = frame.get("op"), frame.get("d")
        if isinstance(d, dict) and "token" in d:
            good = d["token"] == p.TOKEN
            d = {**d, "token": "<valid>" if good else "<invalid>"}  # never keep the secret
        shard = (d.get("shard") or [0, 1])[0] if isinstance(d, dict) else None
        self._record(Record(kind="ws", op=op, body=d, shard=shard))
        log.debug("gateway op %s from shard %s", op, shard)
        if op == 1:
            await self._send(conn, {"op": 11})
        elif op == 2:
            await self._identify(conn, d)
        elif op == 6:
            await self._resume(conn, d)

    async def _identify(self, conn: _Conn, d: dict) -> None:
        if d["token"] != "<valid>":
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = d.get("shard") or [0, 1]
        conn.session = session = _Session(id=p.snowflake(), shard=shard)
        self._sessions[session.id] = session
        on_this_shard = (p.GUILD_ID >> 22) % shard[1] == shard[0]
        await self._dispatch_on(conn, "READY", {
            "v": 10, "user": {**p.BOT_USER, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(p.GUILD_ID), "unavailable": True}] if on_this_shard else [],
            "session_id": session.id, "resume_gateway_url": self.gateway_url, "shard": shard,
            "application": {"id": str(p.APP_ID), "flags": 0}, "private_channels": [],
            "relationships": [], "presences": [],
        })
        if on_this_shard:
            await self._dispatch_on(conn, "GUILD_CREATE", p.guild())

    async def _resume(self, conn: _Conn, d: dict) -> None:
        session = self._sessions.get(d.get("session_id"))
        if self.reject_resume or session is None or d["token"] != "<valid>":
            await self._send(conn, {"op": 9, "d": False})
            return
        conn.session = session
        await self._dispatch_on(conn, "RESUMED", {})

    def _live(self, shard: int | None) -> _Conn:
        for conn in reversed(self._conns):
            if conn.session is not None and not conn.ws.closed and (
                    shard is None or conn.session.shard[0] == shard):
                return conn
        raise AssertionError("no gateway session is open")

    # -- what tests do ---------------------------------------------------------------------------
    async def dispatch(self, event: str, data: dict, shard: int | None = None) -> None:
        """Send a DISPATCH event on the open session."""
        await self._run(self._dispatch_on(self._live(shard), event, data))

    async def interact(self, payload: dict) -> dict:
        """Deliver an INTERACTION_CREATE and return it (its id and token find the reply)."""
        self._interactions[payload["token"]] = payload
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def command_id(self, name: str) -> str:
        """The id Discord gave command `name` at the last sync (a fresh id if never synced)."""
        for scope in self.commands.values():
            for c in scope:
                if c["name"] == name:
                    return c["id"]
        return p.snowflake()

    async def slash(self, name: str, who: dict = p.ASKER, guild: bool = True,
                    **options: Any) -> dict:
        """Run /name with these options as user `who`."""
        data = p.command_data(name, options, command_id=self.command_id(name))
        return await self.interact(p.interaction(2, data, who=who, guild=guild))

    async def message_command(self, name: str, target: dict, who: dict = p.ASKER,
                              guild: bool = True) -> dict:
        """Choose Apps -> `name` on message `target` (a message payload) as user `who`."""
        data = p.message_command_data(name, target, command_id=self.command_id(name))
        return await self.interact(p.interaction(2, data, who=who, guild=guild))

    async def slash_sub(self, group: str, sub: str, who: dict = p.ASKER, guild: bool = True,
                        permissions: int | None = None, **options: Any) -> dict:
        """Run /group sub with these options as user `who`, with these channel permissions."""
        data = p.subcommand_data(group, sub, options, command_id=self.command_id(group))
        payload = p.interaction(2, data, who=who, guild=guild)
        if permissions is not None and guild:
            payload["member"]["permissions"] = str(permissions)
        return await self.interact(payload)

    async def submit_modal(self, modal: dict, values: dict[str, str],
                           who: dict = p.ASKER) -> dict:
        """Fill in and submit the modal the bot opened (the data of its type-9 callback)."""
        return await self.interact(p.interaction(5, p.modal_submit_data(modal, values), who=who))

    async def autocomplete(self, name: str, focused: str, **options: Any) -> dict:
        """Type into option `focused` of /name."""
        data = p.command_data(name, options, command_id=self.command_id(name), focused=focused)
        return await self.interact(p.interaction(4, data))

    async def press(self, message_id: str, custom_id: str, who: dict = p.ASKER) -> dict:
        """Press the button `custom_id` under message `message_id`."""
        msg = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.interact(p.interaction(3, data, who=who, msg=msg))

    async def post(self, content: str, *, who: dict = p.ASKER, mention_bot: bool = True,
                   dm: bool = False) -> dict:
        """A user's message: in the guild channel (mentioning the bot or not) or in a DM."""
        mentions = [p.BOT_USER] if mention_bot and not dm else []
        msg = p.message(channel_id=p.DM_CHANNEL_ID if dm else p.CHANNEL_ID, author=who,
                        content=content, guild=not dm, mentions=mentions)
        await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    async def close_gateway(self, code: int = 4000) -> None:
        """Close the open gateway socket mid-session, as Discord does on a restart."""
        async def close() -> None:
            await self._live(None).ws.close(code=code)
        await self._run(close())

    async def invalidate_session(self) -> None:
        """Send INVALID_SESSION (not resumable): the bot must identify again."""
        async def invalidate() -> None:
            await self._send(self._live(None), {"op": 9, "d": False})
        await self._run(invalidate())
