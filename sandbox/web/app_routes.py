"""Apps in a tester's cloud: install with consent, uninstall, and the app's own address.

``<slug>.<instance>.localhost`` is proxied to the app (its container's socket, or the
developer's local server in ``selfdata dev``); static apps call the instance's API from that
origin, which ``AppOrigins`` allows (CORS) for that instance only.
"""

from __future__ import annotations

import re

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from app_store.runtime.bridge import UnsafeSocket, app_socket
from sandbox.app_install import Installer
from sandbox.auth.permissions import rules_from_manifest
from sandbox.errors import CouchError, Forbidden, StackError
from sandbox.labels import rule_in_words

router = APIRouter(include_in_schema=False)
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization",
       "proxy-connection", "trailer", "host", "content-length"}


def installer(request: Request) -> Installer:
    return request.app.state.installer


def _instance(request: Request):
    from sandbox.web.pages import _instance_or_page

    return _instance_or_page(request)


@router.get("/apps/install", response_class=HTMLResponse)
async def consent(request: Request, slug: str = "", registry: str = "",
                  channel: str = "stable"):
    from sandbox.web.pages import render

    inst, page = _instance(request)
    if page:
        return page
    rel = await run_in_threadpool(installer(request).release, registry, slug, channel)
    from app_store.usage_label import usage_label

    rules = rules_from_manifest(rel.manifest.get("permissions", {}))
    return render(request, "app_consent.html", instance=inst, rel=rel,
                  rules=[rule_in_words(r) for r in rules], label=usage_label(rules, rel.slug),
                  registry=rel.registry, channel=channel)


def same_origin(request: Request) -> None:
    """A form that changes the tester's cloud must come from the cloud's own pages: browsers
    say where a POST comes from (Origin, Sec-Fetch-Site); another site, or an app's page on
    its sub-domain, is refused. Clients that are not browsers send neither."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if (origin is not None and origin != own) or site not in (None, "same-origin", "none"):
        raise Forbidden("this form must be sent from your personal cloud's own page")


@router.post("/apps/install")
async def install(request: Request):
    inst, page = _instance(request)
    if page:
        return page
    same_origin(request)
    form = await request.form()
    inst_name = inst.name
    ins = installer(request)
    if form.get("decision") != "accept":
        return RedirectResponse("/", status_code=303)
    version = str(form.get("version", "")) or None
    rel = await run_in_threadpool(ins.release, str(form.get("registry", "")),
                                  str(form.get("slug", "")), str(form.get("channel", "stable")),
                                  version)
    sha = str(form.get("sha256", "")) or None
    await run_in_threadpool(ins.install, inst_name, rel, sha)
    port = f":{request.url.port}" if request.url.port else ""
    return RedirectResponse(f"http://{rel.slug}.{inst_name}.localhost{port}/", status_code=303)


@router.post("/apps/{slug}/uninstall")
async def uninstall(slug: str, request: Request):
    inst, page = _instance(request)
    if page:
        return page
    same_origin(request)
    await run_in_threadpool(installer(request).uninstall, inst.name, slug)
    return RedirectResponse("/#apps", status_code=303)


def app_host(host: str) -> tuple[str, str] | None:
    """``notes.alice.localhost:8080`` → (notes, alice)."""
    labels = host.split(":")[0].lower().removesuffix(".localhost").split(".")
    if host.split(":")[0].lower().endswith(".localhost") and len(labels) == 2 and all(labels):
        return labels[0], labels[1]
    return None


async def proxy(request: Request, slug: str, instance: str) -> Response:
    ins = installer(request)
    port = f":{request.url.port}" if request.url.port else ""
    target = ins.dev_targets.get((instance, slug))
    if target:
        return await _forward(request, slug, httpx.AsyncClient(base_url=target, timeout=60))
    sock_dir = await run_in_threadpool(ins.sock_dir, instance, slug,
                                       f"{instance}.localhost{port}")
    try:
        with app_socket(sock_dir) as uds:
            client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=uds),
                                       base_url="http://app", timeout=60)
            return await _forward(request, slug, client)
    except UnsafeSocket as exc:
        return Response(f"{slug}: {exc}\n", status_code=502, media_type="text/plain")


async def _forward(request: Request, slug: str, client: httpx.AsyncClient) -> Response:
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
                    return Response(f"{slug} answered more than {MAX_APP_RESPONSE >> 20} MiB",
                                    status_code=502, media_type="text/plain")
            await r.aclose()
        except httpx.HTTPError as exc:
            return Response(f"{slug} did not answer: {type(exc).__name__}", status_code=502,
                            media_type="text/plain")
    out = {k: v for k, v in r.headers.items() if k.lower() not in HOP}
    return Response(bytes(body), status_code=r.status_code, headers=out)


MAX_APP_RESPONSE = 32 << 20
# Only the API answers apps' pages cross-origin; the tester's own pages never do.
API_PREFIXES = ("/data/", "/permissions/", "/journal/", "/status")
ORIGIN = re.compile(r"^https?://([a-z0-9-]+)\.([a-z0-9-]+)\.localhost(:\d+)?$")


class AppOrigins:
    """Route app hosts to the proxy; allow each instance's apps to call its API (CORS)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        pair = app_host(headers.get("host", ""))
        if pair is not None:
            request = Request(scope, receive)
            try:
                response = await proxy(request, *pair)
            except (StackError, CouchError) as exc:
                text = exc.message if isinstance(exc, StackError) else exc.reason
                response = Response(f"{text}\n", status_code=exc.status,
                                    media_type="text/plain")
            return await response(scope, receive, send)
        origin = headers.get("origin", "")
        m = ORIGIN.match(origin)
        allowed = m is not None and m.group(2) == host_instance_of(headers.get("host", "")) \
            and scope["path"].startswith(API_PREFIXES)
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


def host_instance_of(host: str) -> str | None:
    h = host.split(":")[0].lower()
    if not h.endswith(".localhost"):
        return None
    labels = h[: -len(".localhost")].split(".")
    return labels[-1] if len(labels) == 1 else None


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Allow-Credentials": "true",  # cozy-client-js sends credentials
            "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
            "Access-Control-Max-Age": "600"}

