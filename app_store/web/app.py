"""``create_app(settings)``: the store's FastAPI app (API, registry, pages) and its workers."""

from __future__ import annotations

from contextlib import asynccontextmanager
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from app_store import errors as e
from app_store.settings import StoreSettings
from app_store.store import Store
from app_store.web import (
    api,
    api_reference,
    challenge_pages,
    challenges_api,
    pages,
    registry,
)
from app_store.web.errors import error_body, status_of
from app_store.worker import Workers
from sandbox.runtime.engine import Engine
from sandbox.webkit import api_docs
from sandbox.webkit.limits import BodyLimit
from sandbox.webkit.origin import SameOriginForms
from sandbox.webkit.paths import ControlCharacters
from sandbox.webkit.templates import STATIC


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/registry", "/status")) or \
        "application/json" in request.headers.get("accept", "")


async def _cross_site(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse(error_body("this form must be sent from the store's own pages"),
                       status_code=403)(scope, receive, send)


def create_app(settings: StoreSettings, engine: Engine | None = None) -> FastAPI:
    store = Store(settings, engine)
    pool = Workers(store, settings.workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool.start()
        yield
        pool.stop()
        store.close()

    app = FastAPI(title="Selfdata Sandbox — app store",
                  description="Submissions checked, built, smoke-run, reviewed, judged, listed.",
                  version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.workers = pool

    @app.exception_handler(e.StoreError)
    async def store_error(request: Request, exc: e.StoreError):
        status = status_of(exc)
        if _wants_json(request):
            return JSONResponse(error_body(exc.message, exc.problems), status_code=status)
        return await run_in_threadpool(pages.error_page, request, exc, status)

    @app.exception_handler(pages.SignIn)
    async def sign_in(request: Request, exc: pages.SignIn):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = [{"path": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
                    for err in exc.errors()]
        return await store_error(request, e.Invalid("the request is not valid", problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        msg = {404: f"no route for {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(
            exc.status_code, str(exc.detail))
        return JSONResponse(error_body(msg), status_code=exc.status_code)

    @app.get("/status", tags=["status"])
    def status() -> dict:
        """Health of the store and of its container engine (no token needed)."""
        return {"status": "ok", "engine": store.farm.engine_status()}

    # Every state-changing request a browser sends must come from the store's own pages,
    # sign-in included (no login CSRF).
    app.add_middleware(SameOriginForms, paths=lambda _path: True, refuse=_cross_site)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + (1 << 20),
                       render=lambda limit: orjson.dumps(error_body(
                           f"the request is over {limit:,} bytes; uploads are limited to "
                           f"{settings.max_upload_bytes:,} bytes (leave out build output "
                           "and data files)")))
    app.add_middleware(ControlCharacters,
                       render=lambda message: orjson.dumps(error_body(message)))
    app.include_router(api.router)
    app.include_router(challenges_api.router)
    app.include_router(challenges_api.ranking_router)
    app.include_router(registry.router)
    app.include_router(pages.router)
    app.include_router(challenge_pages.router)
    api_docs.install(app)
    api_docs.describe(app, api_reference.DOCS)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
