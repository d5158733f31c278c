"""An app's own address, ``<slug>.<instance>.localhost``, proxied to the app's container's
socket; ``dev.<slug>.<instance>.localhost`` to the developer's local server in
``selfdata dev`` (beside the installed app, with live reload); and CORS on the API for the
pages of an instance's own apps, so static apps can call their cloud from the browser.

One app cannot starve the sandbox: each app has a bounded number of requests in flight (the
next ones wait a moment, then get 503), a time limit to answer, and containers start in a pool
of their own threads, one start per app at a time, so the sandbox's own routes keep theirs.

An app stopped while idle starts again on its next request: API and asset requests wait for
it, a page waits ``starting_page_s`` and then gets a short "starting" page that reloads itself
(the start goes on meanwhile)."""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import h11
import httpx
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.contract import addresses
from sandbox.errors import SandboxError
from sandbox.runtime.bridge import UnsafeSocket, app_socket
from sandbox.web import dev_reload
from sandbox.web.app_pages import index_page
from sandbox.web.context import apps, sandbox
from sandbox.web.errors import status_of
from sandbox.web.render import render

STARTING_RELOAD_S = 2   # the starting page reloads itself after this many seconds
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization",
       "proxy-connection", "trailer", "host", "content-length"}
MAX_APP_RESPONSE = 32 << 20
# Only the API answers apps' pages cross-origin; the tester's own pages never do. /assets/
# too: fonts named by a stylesheet load in CORS mode.
API_PREFIXES = ("/data/", "/permissions", "/journal/", "/status", "/assets/", "/files/",
                "/settings/", "/apps/", "/konnectors/", "/intents", "/notifications", "/jobs/",
                "/realtime/")


class ProxyLimits:
    """Per app: requests in flight, how long the next ones may wait for a turn, the time the
    app has to answer; and the threads that start containers."""

    def __init__(self, in_flight: int, queue_s: float, answer_s: float, starters: int = 4,
                 starting_page_s: float = 1.5):
        self.in_flight = in_flight
        self.queue_s = queue_s
        self.answer_s = answer_s
        self.starting_page_s = starting_page_s
        # keyed by event loop too: asyncio's primitives belong to the loop that uses them
        self._turns: dict[tuple, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.in_flight))
        self._starts: dict[tuple, _Start] = {}
        self.starters = ThreadPoolExecutor(starters, thread_name_prefix="app-start")

    def turn(self, instance: str, slug: str) -> asyncio.Semaphore:
        return self._turns[(id(asyncio.get_running_loop()), instance, slug)]

    def start(self, instance: str, slug: str, fn: Callable[[], str]) -> _Start:
        """The app's start (or check) under way, or a new one in a starter thread: every
        request to an app waits on one thread, and a start goes on when the request that began
        it left (a page shown "starting"). A start that failed while nobody waited for it is
        handed to the next request, which says why; the one after starts again."""
        loop = asyncio.get_running_loop()
        key = (id(loop), instance, slug)
        entry = self._starts.get(key)
        if entry is not None:
            fut = entry.fut
            if not fut.done():
                return entry
            if not entry.seen and not fut.cancelled() and fut.exception() is not None:
                entry.seen = True
                return entry
        fut = loop.run_in_executor(self.starters, fn)
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved: no warning
        entry = self._starts[key] = _Start(fut)
        return entry

    def close(self) -> None:
        self.starters.shutdown(wait=False, cancel_futures=True)


class _Start:
    """A start in a starter thread, and whether a request has seen how it ended."""

    def __init__(self, fut: asyncio.Future):
        self.fut = fut
        self.seen = False

    async def wait(self, timeout: float | None = None) -> str | None:
        """The socket directory; None if still starting after ``timeout``."""
        done, _ = await asyncio.wait({self.fut}, timeout=timeout)
        if not done:
            return None
        self.seen = True
        return self.fut.result()


def limits(request: Request) -> ProxyLimits:
    return request.app.state.proxy_limits


async def proxy(request: Request, slug: str, instance: str) -> Response:
    """Answer a request at the address of the install ``slug`` (an install key: the app's
    slug, or ``dev.<slug>`` for ``selfdata dev``) of ``instance``."""
    target = apps(request).dev_targets.get((instance, slug))
    if addresses.is_dev_key(slug):
        if target is None:
            return _text(f"no `selfdata dev` session serves {addresses.slug_of(slug)} here: "
                         "open the address the session printed", 404)
        if request.url.path.startswith(dev_reload.PREFIX):
            return await dev_reload.endpoint(request, target)
    elif target is None and not sandbox(request).settings.serve_installed_apps:
        return _text(f"this `selfdata dev` server serves only the app it runs; {slug} is served "
                     "by the sandbox itself, at its own port", 404)
    lim = limits(request)
    turn = lim.turn(instance, slug)
    try:
        await asyncio.wait_for(turn.acquire(), lim.queue_s)
    except TimeoutError:
        return _text(f"{slug} is busy: too many requests at once; try again in a moment", 503,
                     {"Retry-After": "2"})
    try:
        response = await _proxy(request, slug, instance, lim)
    finally:
        turn.release()
    response = await run_in_threadpool(index_page, request, slug, instance, response)
    if target is not None and addresses.is_dev_key(slug):
        response = dev_reload.inject(response, target)
    return response


async def _proxy(request: Request, slug: str, instance: str, lim: ProxyLimits) -> Response:
    ins = apps(request)
    timeout = httpx.Timeout(lim.answer_s, connect=5)
    target = ins.dev_targets.get((instance, slug))
    if target is not None:
        return await _forward(request, slug, httpx.AsyncClient(base_url=target.url,
                                                               timeout=timeout, verify=False))
    for attempt in (1, 2):
        sock_dir = ins.running.ready(instance, slug)   # the usual case: running, checked lately
        if sock_dir is None:
            domain = addresses.instance_host(instance, request.url.port)
            start = lim.start(instance, slug,
                              functools.partial(ins.running.sock_dir, instance, slug, domain))
            sock_dir = await start.wait(lim.starting_page_s if is_page(request) else None)
            if sock_dir is None:
                return await run_in_threadpool(starting_page, request, slug, instance)
        try:
            with app_socket(sock_dir) as uds:
                return await _forward_socket(request, slug, uds, lim.answer_s,
                                             refused_raises=attempt == 1)
        except (UnsafeSocket, _Refused) as exc:
            # the container went (idle, evicted or removed by another worker) since it was
            # last checked: nothing was sent, so check it now and start it again, once
            if attempt == 2:
                return _text(f"{slug}: {exc}", 502)
            ins.running.suspect(instance, slug)
    raise AssertionError("unreachable")


class _Refused(Exception):
    """The app's socket refused the connection: nothing of the request was sent."""


def is_page(request: Request) -> bool:
    """A browser opening a page (not a script, a stylesheet or an API call)."""
    return request.method in ("GET", "HEAD") and \
        "text/html" in request.headers.get("accept", "")


def starting_page(request: Request, slug: str, instance: str) -> Response:
    """"The app is starting": a short page, in the tester's language, that reloads itself
    (a refresh tag: the sandbox's pages run no script)."""
    sb = sandbox(request)
    inst = sb.instances.get(instance)
    installed = sb.installs.get(inst, slug)
    name = installed.manifest.name if installed is not None and installed.manifest else slug
    page = render(request, "app_starting.html", 503, instance=inst, app_name=name,
                  reload_s=STARTING_RELOAD_S)
    page.headers["Retry-After"] = str(STARTING_RELOAD_S)
    page.headers["Cache-Control"] = "no-store"
    return page


def _text(message: str, status: int, headers: dict | None = None) -> Response:
    return Response(f"{message}\n", status_code=status, media_type="text/plain",
                    headers=headers)


async def _forward_socket(request: Request, slug: str, uds: str, answer_s: float,
                          refused_raises: bool = False) -> Response:
    """The request to the app over its socket, one connection per request, HTTP/1.1 written
    and read with h11 (an HTTP client built per request — httpx's — costs more CPU than the
    app takes to answer)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(uds), 5)
    except (OSError, TimeoutError) as exc:
        if refused_raises and isinstance(exc, ConnectionRefusedError | FileNotFoundError):
            raise _Refused("the app's socket refused the connection") from exc
        return _text(f"{slug} did not answer: {type(exc).__name__}", 502)
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=64 << 10)
    headers = [(k, v) for k, v in request.headers.raw if k.decode("latin-1").lower() not in HOP]
    body = await request.body()
    headers += [(b"host", b"app"), (b"x-forwarded-host", request.headers.get("host", "").encode()),
                (b"connection", b"close"), (b"content-length", str(len(body)).encode())]
    target = request.scope.get("raw_path") or request.url.path.encode()
    if request.url.query:
        target += b"?" + request.url.query.encode()
    try:
        async with asyncio.timeout(answer_s):
            writer.write(conn.send(h11.Request(method=request.method, target=target,
                                               headers=headers)))
            if body:
                writer.write(conn.send(h11.Data(data=body)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            answer: h11.Response | None = None
            out = bytearray()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Response):
                    answer = event
                elif isinstance(event, h11.Data):
                    out += event.data
                    if len(out) > MAX_APP_RESPONSE:
                        return _text(f"{slug} answered more than {MAX_APP_RESPONSE >> 20} MiB",
                                     502)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
    except TimeoutError:
        return _text(f"{slug} did not answer in time", 504)
    except (OSError, h11.ProtocolError) as exc:
        return _text(f"{slug} did not answer: {type(exc).__name__}", 502)
    finally:
        writer.close()
    if answer is None:
        return _text(f"{slug} did not answer: no response", 502)
    response = Response(bytes(out), status_code=answer.status_code)
    response.raw_headers = [h for h in response.raw_headers if h[0] == b"content-length"] + [
        (k, v) for k, v in answer.headers if k.decode("latin-1") not in HOP]
    return response


async def _forward(request: Request, slug: str, client: httpx.AsyncClient) -> Response:
    """The request to ``selfdata dev``'s local server."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
    headers["x-forwarded-host"] = request.headers.get("host", "")
    async with client:
        try:
            req = client.build_request(request.method, request.url.path,
                                       params=request.url.query, content=await request.body(),
                                       headers=headers)
            r = await client.send(req, stream=True)
            body = bytearray()
            async for chunk in r.aiter_raw():
                body += chunk
                if len(body) > MAX_APP_RESPONSE:
                    await r.aclose()
                    return _text(f"{slug} answered more than {MAX_APP_RESPONSE >> 20} MiB", 502)
            await r.aclose()
        except httpx.TimeoutException:
            return _text(f"{slug} did not answer in time", 504)
        except httpx.HTTPError as exc:
            return _text(f"{slug} did not answer: {type(exc).__name__}", 502)
    out = {k: v for k, v in r.headers.items() if k.lower() not in HOP}
    return Response(bytes(body), status_code=r.status_code, headers=out)


class AppOrigins:
    """Route app hosts to the proxy; allow each instance's apps to call its API (CORS)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        here = addresses.parse_host(headers.get("host"))
        if here.app is not None:
            try:
                response = await proxy(Request(scope, receive), here.key, here.instance)
            except SandboxError as exc:
                response = _text(getattr(exc, "message", None) or getattr(exc, "reason", ""),
                                 status_of(exc))
            return await response(scope, receive, send)
        origin = headers.get("origin", "")
        source = addresses.parse_host(origin.split("://", 1)[-1]) if "://" in origin else None
        allowed = source is not None and source.app is not None and here.instance is not None \
            and source.instance == here.instance and scope["path"].startswith(API_PREFIXES)
        if allowed and scope["method"] == "OPTIONS":
            return await Response(status_code=204, headers=_cors(origin))(scope, receive, send)
        if not allowed:
            return await self.app(scope, receive, send)

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (k.encode(), v.encode()) for k, v in _cors(origin).items()]
            await send(message)

        return await self.app(scope, receive, send_with_cors)


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Allow-Credentials": "true",  # cozy-client-js sends credentials
            "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
            # files: uploads send their MD5, changes their revision
            "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, Content-MD5, "
                                            "If-Match",
            "Access-Control-Max-Age": "600"}
