"""Posting a digest once per channel and day, across crashes and restarts.

The window between "Discord created the message" and "the state database recorded it" is
closed from the recording side: an 'intent' row (with a deterministic nonce) is committed
*before* the post is sent, and turned into 'posted' after. A process killed in between leaves
the intent behind; whoever posts next for that channel and day reconciles it first:

- the intent's holder is still running (same host, live pid)  -> leave it alone;
- the channel history shows our digest for that day             -> record it as posted;
- the history shows no such message                             -> send again, same nonce
  (Discord's enforce_nonce also drops a duplicate sent within a few minutes);
- the history cannot be read (permission, deleted channel)      -> record 'unconfirmed' and do
  not post: a lost post is preferred over a duplicate.

So a post that was made is never lost from the record, and a day is never posted twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from bot.digest.compose import FOOTER_MARK, Digest, compose, snapshot_of
from bot.digest.render import render_embed
from bot.digest.state import Failure, PostRecord, StateStore, process_owner
from knowledge.store import KnowledgeStore

# How far before an intent's timestamp to look in history (clock skew between us and Discord).
HISTORY_MARGIN = timedelta(minutes=5)
# An intent from another host younger than this may still be in flight.
IN_FLIGHT_GRACE = timedelta(minutes=2)
HISTORY_PAGES = 5
DISCORD_EPOCH_MS = 1_420_070_400_000


class PostRefused(Exception):
    """The post certainly did not happen (missing permission, unknown channel)."""


class PostUncertain(Exception):
    """The post may or may not have happened (network error, server error, timeout)."""


class HistoryUnavailable(Exception):
    """Channel history cannot be read, so an earlier attempt cannot be checked."""


class Poster(Protocol):
    """What posting needs from a Discord connection: send, and look back in history."""

    async def send(self, channel_id: int, message: dict[str, Any], nonce: str) -> str: ...

    async def find(self, channel_id: int, marker: str, nonce: str,
                   since: datetime) -> str | None: ...


Status = Literal["posted", "already", "recovered", "unconfirmed", "refused", "pending",
                 "waiting", "disabled"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    day: date
    message_id: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("posted", "already", "recovered")


def digest_nonce(channel_id: int, day: date) -> str:
    """The same nonce for every attempt at one channel's digest for one day (25 chars max)."""
    return "dg" + hashlib.sha256(f"{channel_id}:{day.isoformat()}".encode()).hexdigest()[:20]


def digest_marker(day: date) -> str:
    """Text in the embed footer that identifies the digest for `day` in channel history."""
    return f"{FOOTER_MARK} · {day.isoformat()}"


def message_payload(digest: Digest) -> dict[str, Any]:
    """The REST message body: one embed, no pings whatever the text says."""
    return {"embeds": [render_embed(digest)], "allowed_mentions": {"parse": []}}


def snowflake_at(when: datetime) -> int:
    """The smallest Discord snowflake for an instant, for `after=` history queries."""
    return max(int(when.timestamp() * 1000) - DISCORD_EPOCH_MS, 0) << 22


def holder_alive(rec: PostRecord, now: datetime) -> bool:
    """Whether the process that wrote an intent may still be posting it."""
    if rec.owner == process_owner():
        return False  # ours, from an earlier attempt in this process: nothing in flight
    host, _, pid = rec.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return now - rec.created_at < IN_FLIGHT_GRACE


def should_wait(failure: Failure | None, day: date, now: datetime, retry_after: timedelta) -> bool:
    """After a failure today, wait `retry_after` before the next attempt."""
    return failure is not None and failure.day == day and now - failure.at < retry_after


async def post_once(state: StateStore, store: KnowledgeStore, poster: Poster, channel_id: int,
                    day: date, now: datetime, *,
                    retry_after: timedelta | None = None) -> Outcome:
    """Post the digest for `day` to a channel unless it is (or may already be) posted."""
    if not state.available:
        return Outcome("disabled", day, detail=state.problem or "state database unavailable")
    rec = state.post_record(channel_id, day)
    if rec is not None and rec.status != "intent":
        return Outcome("already", day, rec.message_id)
    # After a refusal (intent released) wait before asking again; a leftover intent is
    # checked at once, since that may find the post already made.
    if rec is None and retry_after and should_wait(state.last_failure(channel_id), day, now,
                                                   retry_after):
        return Outcome("waiting", day)
    if rec is not None:
        outcome = await _reconcile(state, poster, rec, now)
        if outcome is not None:
            return outcome
    digest = compose(store, day, rotation=state.rotation(channel_id),
                     previous=state.snapshot(channel_id))
    fact = (digest.fact.cycle, digest.fact.fact_id) if digest.fact else None
    if not state.claim(channel_id, day, digest_nonce(channel_id, day), fact=fact,
                       snapshot=snapshot_of(store), now=now, replaces=rec):
        return Outcome("pending", day, detail="another process claimed this digest")
    try:
        message_id = await poster.send(channel_id, message_payload(digest),
                                       digest_nonce(channel_id, day))
    except PostRefused as exc:
        state.release(channel_id, day)
        state.record_failure(channel_id, day, f"Posting the digest failed: {exc}", now)
        return Outcome("refused", day, detail=str(exc))
    except PostUncertain as exc:
        state.record_failure(channel_id, day, f"Posting the digest may have failed ({exc}); "
                             "the channel will be checked before any retry.", now)
        return Outcome("pending", day, detail=str(exc))
    state.finish(channel_id, day, message_id, now)
    return Outcome("posted", day, message_id)


async def _reconcile(state: StateStore, poster: Poster, rec: PostRecord,
                     now: datetime) -> Outcome | None:
    """Settle a leftover intent; None means 'not posted: go ahead and post'."""
    if holder_alive(rec, now):
        return Outcome("pending", rec.day, detail=f"{rec.owner} is posting this digest")
    try:
        found = await poster.find(rec.channel_id, digest_marker(rec.day), rec.nonce,
                                  rec.created_at - HISTORY_MARGIN)
    except PostUncertain as exc:
        return Outcome("pending", rec.day, detail=f"could not check the channel yet ({exc})")
    except HistoryUnavailable as exc:
        msg = (f"Could not check whether the digest for {rec.day} was posted ({exc}); "
               "it is not posted again, to avoid a duplicate.")
        state.finish(rec.channel_id, rec.day, None, now, status="unconfirmed")
        state.record_failure(rec.channel_id, rec.day, msg, now)
        return Outcome("unconfirmed", rec.day, detail=msg)
    if found is not None:
        state.finish(rec.channel_id, rec.day, found, now)
        return Outcome("recovered", rec.day, found)
    return None


# -- Discord's REST API over aiohttp (the command line's `digest --post`) ---------------------
def _error_text(status: int, body: Any) -> str:
    message = body.get("message") if isinstance(body, dict) else None
    hint = {403: "the bot lacks permission to post there",
            404: "the channel does not exist or the bot cannot see it"}.get(status, "")
    return f"Discord answered {status}" + (f" ({message})" if message else "") + (
        f": {hint}" if hint else "")


class RestPoster:
    """Poster over Discord's HTTP API with a bot token; one aiohttp session."""

    def __init__(self, session, api_base: str, token: str):
        self.session = session
        self.api_base = api_base
        self._headers = {"Authorization": f"Bot {token}",
                         "User-Agent": "DiscordBot (dandong, 0.1.0)"}
        self._me: str | None = None

    async def _call(self, method: str, path: str, **kw) -> tuple[int, Any]:
        import aiohttp

        for _ in range(4):
            try:
                async with self.session.request(method, self.api_base + path,
                                                headers=self._headers, **kw) as r:
                    body = await r.json(content_type=None) if r.status != 204 else None
                    status = r.status
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                raise PostUncertain(f"{type(exc).__name__}: {exc}") from exc
            if status == 429:  # not created; wait as told and try again
                retry = body.get("retry_after", 1) if isinstance(body, dict) else 1
                await asyncio.sleep(min(float(retry), 30.0))
                continue
            return status, body
        raise PostUncertain("still rate limited after several tries")

    async def send(self, channel_id: int, message: dict[str, Any], nonce: str) -> str:
        payload = {**message, "nonce": nonce, "enforce_nonce": True}
        status, body = await self._call("POST", f"/channels/{channel_id}/messages", json=payload)
        if 200 <= status < 300 and isinstance(body, dict) and "id" in body:
            return str(body["id"])
        if status >= 500 or 200 <= status < 300:
            raise PostUncertain(_error_text(status, body))
        raise PostRefused(_error_text(status, body))

    async def find(self, channel_id: int, marker: str, nonce: str,
                   since: datetime) -> str | None:
        if self._me is None:
            status, body = await self._call("GET", "/users/@me")
            if status != 200:
                raise HistoryUnavailable(_error_text(status, body))
            self._me = str(body["id"])
        after = snowflake_at(since)
        for _ in range(HISTORY_PAGES):
            status, msgs = await self._call(
                "GET", f"/channels/{channel_id}/messages", params={"after": after, "limit": 100})
            if status >= 500:
                raise PostUncertain(_error_text(status, msgs))
            if status != 200 or not isinstance(msgs, list):
                raise HistoryUnavailable(_error_text(status, msgs))
            for m in msgs:
                if is_digest_message(m, self._me, marker, nonce):
                    return str(m["id"])
            if len(msgs) < 100:
                return None
            after = max(int(m["id"]) for m in msgs)
        raise HistoryUnavailable("too many messages since the attempt to be sure")


def is_digest_message(m: dict[str, Any], me: str, marker: str, nonce: str) -> bool:
    """A message (REST JSON) by us that is the digest carrying `marker` or `nonce`."""
    if str((m.get("author") or {}).get("id")) != me:
        return False
    if m.get("nonce") is not None and str(m["nonce"]) == nonce:
        return True
    return any(marker in ((e.get("footer") or {}).get("text") or "")
               for e in m.get("embeds") or [])

