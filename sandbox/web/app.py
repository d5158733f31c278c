"""``create_app(settings)``: the sandbox's FastAPI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from sandbox.apps.registry import RegistryClient
from sandbox.apps.running import RunningApps
from sandbox.apps.service import Apps
from sandbox.contract import addresses
from sandbox.errors import Forbidden
from sandbox.service import Caller, Sandbox
from sandbox.serving.assets import StackAssets
from sandbox.serving.page import PageContext, page_env
from sandbox.settings import Settings
from sandbox.web import (
    api_reference,
    app_routes,
    apps_api,
    assets,
    auth_routes,
    data,
    errors,
    files,
    live,
    pages,
    permissions_api,
    realtime,
    settings_routes,
    stack_api,
)
from sandbox.web.app_gate import ApiGate
from sandbox.web.app_proxy import AppOrigins, ProxyLimits
from sandbox.web.context import caller, sandbox
from sandbox.web.refusals import JournalRefusals
from sandbox.web.responses import JSON, JSONAPI
from sandbox.webkit import api_docs
from sandbox.webkit.limits import BodyLimit
from sandbox.webkit.origin import SameOriginForms
from sandbox.webkit.paths import ControlCharacters
from sandbox.webkit.templates import STATIC

# Forms that change the tester's cloud: only its own pages may send them.
FORMS = ("/apps/", "/auth/authorize")


def _too_large(limit: int) -> bytes:
    return orjson.dumps({"error": f"code=413, message=Request body too large: the limit is "
                                  f"{limit} bytes"})


async def _cross_site(scope: Scope, receive: Receive, send: Send) -> None:
    await JSON({"error": "this form must be sent from your personal cloud's own page"},
               status_code=403)(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.sandbox.watch()  # what other processes on the database change
        if settings.live_engine:
            app.state.sandbox.live.engine.start()
        yield
        app.state.proxy_limits.close()
        app.state.apps.close()
        app.state.sandbox.close()

    app = FastAPI(title="Selfdata Sandbox — personal cloud API",
                  description="The Cozy stack's data API over synthetic MesInfos households.",
                  version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    sb = Sandbox(settings)
    app.state.sandbox = sb
    app.state.stack_assets = stack_assets = StackAssets(settings.assets_dir)
    stack_assets.missing()  # logs once, with what to run, when set-up was not run
    running = RunningApps(
        sb.installs, sb.instances, token_for=sb.app_token,
        api_for=lambda instance: ApiGate(app, addresses.instance_host(instance, settings.port)),
        limits=settings.app_limits.run_limits(), docker_host=settings.docker_host,
        start_timeout_s=settings.app_start_timeout_s, token_ttl_s=settings.app_token_ttl_s,
        owner_key=settings.database_url, idle_s=settings.app_idle_s,
        max_running=settings.app_max_running,
        # `selfdata dev` serves no installed app: its process leaves their containers alone
        reap_every_s=min(5.0, settings.app_idle_s / 2) if settings.serve_installed_apps
        else None,
        page_env=lambda inst, m, token, domain: page_env(
            PageContext.of(m, domain, token, sb.locale_of(inst)), stack_assets))
    app.state.apps = Apps(sb.instances, sb.installs,
                          RegistryClient(settings.registry_url.split(",")), running)
    app.state.proxy_limits = ProxyLimits(settings.app_max_in_flight, settings.app_queue_s,
                                         settings.app_answer_timeout_s,
                                         starting_page_s=settings.app_starting_page_s)
    errors.install(app)
    app.include_router(files.router)  # first: its /data/…/relationships/references
    app.include_router(data.router)
    app.include_router(auth_routes.router)
    app.include_router(pages.router)
    app.include_router(apps_api.router)  # before app_routes: it tells the API from the page
    app.include_router(app_routes.router)
    app.include_router(assets.router)
    app.include_router(permissions_api.router)
    app.include_router(settings_routes.router)
    app.include_router(stack_api.router)
    app.include_router(realtime.router)
    app.include_router(live.router)
    api_docs.install(app)
    api_docs.describe(app, api_reference.DOCS)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/status/", tags=["status"])
    @app.get("/status", include_in_schema=False)
    @app.head("/status/", include_in_schema=False)
    async def status() -> JSON:
        """Health of the sandbox, in the stack's format (no token needed)."""
        return JSON({"cache": "healthy", "couchdb": "healthy", "fs": "healthy", "status": "OK",
                     "message": "OK"})

    @app.get("/journal/", tags=["journal"])
    def journal_entries(request: Request, who: Caller = Depends(caller),
                        limit: int = Query(500, ge=1, le=10_000)) -> JSONAPI:
        """The access journal of the token's instance (needs GET on io.cozy.journal)."""
        if not who.permissions.allow_whole_type("GET", "io.cozy.journal"):
            raise Forbidden()
        sb: Sandbox = sandbox(request)
        entries = sb.journal.entries(who.instance.id, limit=limit)
        return JSONAPI({"data": [{"type": "io.cozy.journal", "id": str(i), "attributes": {
            "client": e.client, "client_kind": e.client_kind, "doctype": e.doctype,
            "verb": e.verb, "route": e.route, "count": e.count, "at": e.at}}
            for i, e in enumerate(entries)], "meta": {"count": len(entries)}})

    app.add_middleware(JournalRefusals)
    app.add_middleware(SameOriginForms, paths=lambda p: p.startswith(FORMS), refuse=_cross_site)
    app.add_middleware(AppOrigins)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, render=_too_large)
    app.add_middleware(ControlCharacters, render=lambda message: orjson.dumps(
        {"error": f"code=400, message={message}"}))
    return app
