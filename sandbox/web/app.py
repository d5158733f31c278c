"""``create_app(settings)``: the sandbox's FastAPI application."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from sandbox.app_install import Installer
from sandbox.errors import PayloadTooLarge
from sandbox.service import Caller, Sandbox
from sandbox.settings import Settings
from sandbox.web import app_routes, auth_routes, data, errors, pages
from sandbox.web.context import caller, sandbox
from sandbox.web.responses import JSON, JSONAPI


class BodyLimit:
    """Refuse bodies over the limit with 413, whether announced or streamed."""

    def __init__(self, app, limit: int, render=None):
        self.app = app
        self.limit = limit
        self.render = render  # limit → JSON body; default: the stack's error shape

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_large(self.limit, send, self.render)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise PayloadTooLarge(self.limit)
            return message

        try:
            return await self.app(scope, limited, send)
        except PayloadTooLarge:
            return await _too_large(self.limit, send, self.render)


async def _too_large(limit: int, send, render=None) -> None:
    body = render(limit) if render else (
        b'{"error":"code=413, message=Request body too large: the limit is '
        + str(limit).encode() + b' bytes"}')
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.installer.close()
        app.state.sandbox.close()

    app = FastAPI(title="Selfdata Sandbox — personal cloud API",
                  description="The Cozy stack's data API over synthetic MesInfos households.",
                  version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.sandbox = Sandbox(settings)
    app.state.installer = Installer(app.state.sandbox, asgi_app=app)
    errors.install(app)
    app.include_router(data.router)
    app.include_router(auth_routes.router)
    app.include_router(pages.router)
    app.include_router(app_routes.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")),
              name="static")

    @app.get("/status/", tags=["status"])
    @app.get("/status", include_in_schema=False)
    @app.head("/status/", include_in_schema=False)
    async def status() -> JSON:
        return JSON({"cache": "healthy", "couchdb": "healthy", "fs": "healthy", "status": "OK",
                     "message": "OK"})

    @app.get("/permissions/self", tags=["permissions"])
    async def permissions_self(who: Caller = Depends(caller)) -> JSONAPI:
        perms = {r.title or f"rule{i}": r.to_json() for i, r in enumerate(who.permissions.rules)}
        source = {"app": f"io.cozy.apps/{who.client}", "oauth": f"io.cozy.oauth.clients/"
                  f"{who.claims.sub}", "cli": "cli"}[who.kind]
        return JSONAPI({"data": {"type": "io.cozy.permissions", "id": who.claims.sub,
                                 "attributes": {"type": who.kind, "source_id": source,
                                                "permissions": perms}}})

    @app.get("/journal/", tags=["journal"])
    async def journal_entries(request: Request, who: Caller = Depends(caller)) -> JSONAPI:
        """The access journal of the token's instance (needs GET on io.cozy.journal)."""
        from sandbox.errors import Forbidden

        if not who.permissions.allow_whole_type("GET", "io.cozy.journal"):
            raise Forbidden()
        sb: Sandbox = sandbox(request)
        entries = sb.journal.entries(who.instance.id, limit=int(
            request.query_params.get("limit", "500")))
        return JSONAPI({"data": [{"type": "io.cozy.journal", "id": str(i), "attributes": {
            "client": e.client, "client_kind": e.client_kind, "doctype": e.doctype,
            "verb": e.verb, "route": e.route, "count": e.count, "at": e.at}}
            for i, e in enumerate(entries)], "meta": {"count": len(entries)}})

    app.add_middleware(app_routes.AppOrigins)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)  # outermost: apps' too
    return app
