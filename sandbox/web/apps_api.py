"""``/apps/`` and ``/konnectors/`` as the stack lists installed apps (``web/apps``): JSON:API
``io.cozy.apps`` / ``io.cozy.konnectors`` objects built from the install records.

``/apps/install`` stays the tester's consent page (``app_routes``): a request with a token is
an API call (the app whose slug is ``install``), one without is the page.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sandbox.apps.records import DEV, SMOKE, InstalledApp
from sandbox.contract import addresses
from sandbox.errors import Forbidden, NotFound
from sandbox.web import app_routes, jsonapi
from sandbox.web.context import caller, sandbox, token_of
from sandbox.web.responses import JSONAPI

router = APIRouter(tags=["apps"])
KINDS = {"apps": "io.cozy.apps", "konnectors": "io.cozy.konnectors"}
# Keys the stack's app document always has (null when the manifest has none).
ALWAYS = ("permissions", "terms", "intents", "routes", "services", "locales", "notifications")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kind_of(app: InstalledApp) -> str:
    raw = app.manifest.raw if app.manifest else {}
    return "konnectors" if raw.get("type") == "konnector" else "apps"


def app_object(app: InstalledApp, instance: str, port: int | None) -> dict:
    """The stack's JSON:API object of an installed app."""
    kind = kind_of(app)
    raw = dict(app.manifest.raw) if app.manifest else {"slug": app.slug}
    version = str(raw.get("version", ""))
    source = {DEV: "file:///selfdata-dev", SMOKE: f"registry://{app.slug}/smoke"}.get(
        app.source, f"registry://{app.slug}/stable")
    attrs = {**{k: None for k in ALWAYS}, **raw, "slug": app.slug, "source": source,
             "state": "errored" if app.broken else "ready", "version": version,
             "checksum": app.sha256 or "", "created_at": _iso(app.installed_at),
             "updated_at": _iso(app.installed_at)}
    if app.broken:
        attrs["error"] = "installed under rules that no longer accept its manifest: " \
                         "install it again"
    links = {"self": f"/{kind}/{app.slug}"}
    if raw.get("icon"):
        links["icon"] = f"/{kind}/{app.slug}/icon/{version}"
    if kind == "apps" and not app.broken:
        links["related"] = f"http://{addresses.app_host(app.slug, instance, port)}/"
    if kind == "konnectors":
        links["permissions"] = f"/permissions/konnectors/{app.slug}"
    rev = "1-" + hashlib.md5(app.stamp.encode(), usedforsecurity=False).hexdigest()
    return jsonapi.obj(KINDS[kind], f"{KINDS[kind]}/{app.slug}", attrs, rev, links)


def _listing(request: Request, kind: str, limit: int, start_key: str | None):
    async def run() -> JSONAPI:
        who = await caller(request)
        if not who.permissions.allow_whole_type("GET", KINDS[kind]):
            raise Forbidden()
        sb = sandbox(request)
        apps = await run_in_threadpool(sb.installs.listing, who.instance)
        items = [app_object(a, who.instance.name, request.url.port) for a in apps
                 if kind_of(a) == kind]
        if start_key:
            items = [i for i in items if i["id"] >= start_key]
        links = {}
        if len(items) > limit:
            after = items[limit]["id"]
            links["next"] = (f"{request.url.scheme}://{request.headers.get('host', '')}/{kind}/"
                             f"?limit={limit}&start_key={quote(after, safe='')}")
            items = items[:limit]
        sb.journal.record(who.instance.id, who.client, who.kind, KINDS[kind], "GET", "list",
                          len(items))
        return jsonapi.listing(items, links)
    return run()


def _one(request: Request, kind: str, slug: str):
    async def run() -> JSONAPI:
        who = await caller(request)
        doctype = KINDS[kind]
        if not who.permissions.allow("GET", doctype, {"_id": f"{doctype}/{slug}",
                                                      "slug": slug}):
            raise Forbidden()
        sb = sandbox(request)
        app = await run_in_threadpool(sb.installs.get, who.instance, slug)
        if app is None or kind_of(app) != kind:
            raise NotFound("Application is not installed")
        sb.journal.record(who.instance.id, who.client, who.kind, doctype, "GET", "get", 1)
        return jsonapi.data(app_object(app, who.instance.name, request.url.port))
    return run()


Limit = Query(100, ge=1, le=1000, description="Apps per page")
StartKey = Query(None, max_length=300, description="The id to start from (links.next)")


@router.get("/apps/")
async def list_apps(request: Request, limit: int = Limit, start_key: str | None = StartKey):
    """Installed webapps (needs GET on the whole io.cozy.apps)."""
    return await _listing(request, "apps", limit, start_key)


@router.get("/konnectors/")
async def list_konnectors(request: Request, limit: int = Limit,
                          start_key: str | None = StartKey):
    """Installed konnectors (needs GET on the whole io.cozy.konnectors)."""
    return await _listing(request, "konnectors", limit, start_key)


@router.get("/apps/{slug}")
async def get_app(slug: str, request: Request) -> Response:
    """One installed webapp (needs GET on it). Without a token, ``/apps/install`` is the
    tester's consent page."""
    if slug == "install" and not token_of(request):
        q = request.query_params
        return await run_in_threadpool(app_routes.consent, request, q.get("slug", ""),
                                       q.get("registry", ""), q.get("channel", "stable"),
                                       q.get("then", ""))
    return await _one(request, "apps", slug)


@router.get("/konnectors/{slug}")
async def get_konnector(slug: str, request: Request) -> JSONAPI:
    """A connector's manifest and state in this instance."""
    return await _one(request, "konnectors", slug)
