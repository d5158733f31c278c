"""``/realtime/``: the stack's realtime websocket (protocol ``io.cozy.websocket``), and
``POST /realtime/:doctype/:id`` to push a document nobody stores.

As on the stack (``web/realtime``): any origin may connect (the token is the credential, sent
in the first message, never a cookie); ``AUTH`` comes first, then ``SUBSCRIBE`` /
``UNSUBSCRIBE`` to a doctype or one document, each checked against the token's rights (a
doctype needs GET on all of it, a document GET on its id); errors are ``{"event": "error",
"payload": {"status", "code", "title", "source"}}`` frames; a failed ``AUTH`` closes the
socket; a message over 1,024 bytes closes it (1009). Beyond the stack: hidden doctypes cannot
be watched, a socket watches at most ``MAX_WATCHED`` doctypes and documents, an instance holds
at most ``realtime_max_sockets`` sockets, and a client too slow to read its events is told so
and disconnected (``sandbox.events``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import orjson
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sandbox.contract import doctypes
from sandbox.contract.addresses import parse_host
from sandbox.errors import BadRequest, Forbidden, SandboxError
from sandbox.events import NOTIFIED, OVERFLOWED, Event, Subscription
from sandbox.instance_settings import INSTANCE_ID, PASSPHRASE_ID, SETTINGS
from sandbox.service import Caller, Sandbox
from sandbox.web.context import caller, json_body, sandbox
from sandbox.webkit.api_docs import request_body

router = APIRouter(tags=["realtime"])
PROTOCOL = "io.cozy.websocket"
MAX_MESSAGE = 1024          # bytes per client message, as the stack reads them
MAX_WATCHED = 1000
FILES = "io.cozy.files"
AS_FILES = ("io.cozy.files.thumbnails", "io.cozy.notes.events")
NO_PERMISSION = ("io.cozy.sharings.initial_sync", "io.cozy.auth.confirmations")
MAX_DEPTH = 64              # directory levels walked for a rule on a parent directory


def _error(status: str, code: str, title: str, source: Any) -> dict:
    return {"event": "error", "payload": {"status": status, "code": code, "title": title,
                                          "source": source}}


def unknown_method(method: Any, source: Any) -> dict:
    return _error("405 Method Not Allowed", "method not allowed",
                  f"The {method if isinstance(method, str) else ''} method is not supported",
                  source)


def unauthorized(source: Any) -> dict:
    return _error("401 Unauthorized", "unauthorized", "The authentication has failed", source)


def forbidden(source: dict, doctype: str) -> dict:
    return _error("403 Forbidden", "forbidden", f"The application can't subscribe to {doctype}",
                  source)


class TooLarge(Exception):
    """A client message over ``MAX_MESSAGE`` bytes."""


class NotJson(Exception):
    """A client message that is not a JSON object (after AUTH the stack hangs up)."""


async def _receive(ws: WebSocket) -> dict | None:
    """The next client message as a JSON object; None when the client left."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        return None
    raw = message.get("bytes") or (message.get("text") or "").encode()
    if len(raw) > MAX_MESSAGE:
        raise TooLarge()
    try:
        cmd = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise NotJson() from None
    if not isinstance(cmd, dict):
        raise NotJson()
    return cmd


def _file_allowed(sb: Sandbox, who: Caller, doc_id: str) -> bool:
    """GET on the file or on one of its parent directories (the stack's ``vfs.Allows``)."""
    seen: set[str] = set()
    current: str | None = doc_id
    for _ in range(MAX_DEPTH):
        if not current or current in seen:
            return False
        if who.permissions.allow_id("GET", FILES, current):
            return True
        seen.add(current)
        doc = sb.documents.get_dict(who.instance.id, FILES, current)
        current = doc.get("dir_id") if doc else None
    return False


def authorized(sb: Sandbox, who: Caller, doctype: str, doc_id: str) -> bool:
    """The stack's rule for a subscription (``web/realtime.authorized``)."""
    if doctype in NO_PERMISSION:
        return True
    if doctype in doctypes.HIDDEN:
        return False
    if doctype in AS_FILES:
        doctype = FILES
    if doctype == SETTINGS and doc_id == PASSPHRASE_ID:
        doc_id = INSTANCE_ID
    if who.permissions.allow_whole_type("GET", doctype):
        return True
    if not doc_id:
        return False
    if doctype == FILES:
        return _file_allowed(sb, who, doc_id)
    return who.permissions.allow_id("GET", doctype, doc_id)


class Session:
    """One authenticated socket: its subscription and the task that sends its events."""

    def __init__(self, ws: WebSocket, sb: Sandbox, who: Caller):
        self.ws = ws
        self.sb = sb
        self.who = who
        self.loop = asyncio.get_running_loop()
        self.ready = asyncio.Event()
        self.lock = asyncio.Lock()
        self.sub: Subscription = sb.events.open(who.instance.id, self._wake,
                                                owner=who.client)

    def _wake(self) -> None:  # in a writer's thread
        with contextlib.suppress(RuntimeError):  # the loop is gone: the socket is too
            self.loop.call_soon_threadsafe(self.ready.set)

    async def send(self, frame: dict | bytes) -> None:
        text = (frame if isinstance(frame, bytes) else orjson.dumps(frame)).decode()
        async with self.lock:
            await self.ws.send_text(text)

    async def pump(self) -> None:
        """Send queued events until the subscription closes."""
        while True:
            await self.ready.wait()
            self.ready.clear()
            if self.sub.closed == OVERFLOWED:
                await self.send(_error(
                    "429 Too Many Requests", "too many events",
                    f"More than {self.sub.limit} events waited for this client: it is "
                    "disconnected; reconnect and subscribe again", None))
                await self.ws.close(code=1013)
                return
            events = self.sub.drain()
            for event in events:
                await self.send(event.message())
            self._journal(events)

    def _journal(self, events: list[Event]) -> None:
        for doctype, n in Counter(e.doctype for e in events).items():
            self.sb.journal.record(self.who.instance.id, self.who.client, self.who.kind,
                                   doctype, "GET", "realtime", n)

    async def command(self, cmd: dict) -> None:
        method = cmd.get("method")
        verb = method.upper() if isinstance(method, str) else ""
        if verb not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return await self.send(unknown_method(method, cmd))
        payload = cmd.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("type", ""), str) \
                or not isinstance(payload.get("id", ""), str):
            raise NotJson()
        doctype, doc_id = payload.get("type", ""), payload.get("id", "")
        source = {"method": method, "payload": {"type": doctype, "id": doc_id}}
        if not doctype:
            return await self.send(_error("404 Page Not Found", "page not found",
                                          "The type parameter is mandatory for SUBSCRIBE",
                                          source))
        if not await run_in_threadpool(authorized, self.sb, self.who, doctype, doc_id):
            self.sb.journal.record(self.who.instance.id, self.who.client, self.who.kind,
                                   doctype, "DENIED", "realtime", 0)
            return await self.send(forbidden(source, doctype))
        if verb == "UNSUBSCRIBE":
            return self.sub.unsubscribe(doctype, doc_id or None)
        if self.sub.size >= MAX_WATCHED:
            return await self.send(_error(
                "429 Too Many Requests", "too many subscriptions",
                f"A socket watches at most {MAX_WATCHED} doctypes and documents", source))
        self.sub.subscribe(doctype, doc_id or None)
        self.sb.journal.record(self.who.instance.id, self.who.client, self.who.kind, doctype,
                               "GET", "realtime", 0)

    def close(self) -> None:
        self.sub.close()


async def _authenticate(ws: WebSocket, sb: Sandbox) -> Caller | None:
    """Read the first message: AUTH with a token of this instance, or an error and None."""
    try:
        first = await asyncio.wait_for(_receive(ws), sb.settings.realtime_auth_timeout_s)
    except TimeoutError:
        await _send_and_close(ws, _error(
            "408 Request Timeout", "no AUTH", "Send AUTH with your token first, within "
            f"{sb.settings.realtime_auth_timeout_s:g} s of opening the socket", None), 1008)
        return None
    except NotJson:
        await _send_and_close(ws, unknown_method("", None), 1003)
        return None
    if first is None:
        return None
    method = first.get("method")
    if not isinstance(method, str) or method.upper() != "AUTH":
        await _send_and_close(ws, unknown_method(method, first), 1008)
        return None
    token = first.get("payload")
    if not isinstance(token, str) or not token:
        await _send_and_close(ws, unauthorized(first), 1008)
        return None
    host = parse_host(ws.headers.get("host")).instance
    try:
        return sb.cached_caller(token, host) or await run_in_threadpool(
            sb.authenticate, token, host)
    except SandboxError:
        await _send_and_close(ws, unauthorized(first), 1008)
        return None


async def _send_and_close(ws: WebSocket, frame: dict, code: int) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await ws.send_text(orjson.dumps(frame).decode())
        await ws.close(code=code)


@router.websocket("/realtime/")
@router.websocket("/realtime")
async def realtime(ws: WebSocket) -> None:
    offered = ws.scope.get("subprotocols") or []
    await ws.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    sb: Sandbox = ws.app.state.sandbox
    try:
        who = await _authenticate(ws, sb)
    except TooLarge:
        return await ws.close(code=1009)
    except WebSocketDisconnect:
        return None
    if who is None:
        return None
    if sb.events.count(who.instance.id) >= sb.settings.realtime_max_sockets:
        return await _send_and_close(ws, _error(
            "429 Too Many Requests", "too many sockets",
            f"This personal cloud already has {sb.settings.realtime_max_sockets} realtime "
            "sockets open", None), 1013)
    per_client = sb.settings.realtime_max_sockets_per_client
    if sb.events.count(who.instance.id, who.client) >= per_client:
        return await _send_and_close(ws, _error(
            "429 Too Many Requests", "too many sockets",
            f"{who.client} already has {per_client} realtime sockets open in this personal "
            "cloud: share one socket between subscriptions", None), 1013)
    # writes by the other processes on the database reach this socket from here on
    await run_in_threadpool(sb.events.register, who.instance.id)
    session = Session(ws, sb, who)
    pump = asyncio.create_task(session.pump())
    try:
        while not pump.done():
            cmd = await _receive(ws)
            if cmd is None:
                break
            await session.command(cmd)
    except TooLarge:
        await ws.close(code=1009)
    except NotJson:
        await ws.close(code=1007, reason="messages are JSON objects {method, payload}")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        session.close()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # it ends with the socket
            await pump


@router.post("/realtime/{doctype}/{doc_id}", status_code=204, openapi_extra=request_body(
    "The document to announce to the doctype's subscribers", {"data": {"_id": "b1"}}))
async def notify(doctype: str, doc_id: str, request: Request) -> Response:
    """Send ``NOTIFIED`` with the body (and ``_id``) to those watching the document; nothing
    is stored (needs POST on the document)."""
    who = await caller(request)
    if doctypes.name_problem(doctype) is not None or doctype in doctypes.HIDDEN:
        raise BadRequest(f"reserved doctype {doctype} unreadable")
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    doc = {**body, "_id": doc_id}
    if not who.permissions.allow("POST", doctype, doc):
        raise Forbidden()
    sb = sandbox(request)
    await run_in_threadpool(sb.events.announce, [Event(who.instance.id, doctype, NOTIFIED,
                                                       doc_id, orjson.dumps(doc))])
    return Response(status_code=204)
