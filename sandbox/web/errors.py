"""One place that turns domain errors into the stack's error shapes.

- CouchDB-style errors: ``{"ok": false, "status": "404", "error": ..., "reason": ...}``;
- stack (Echo) errors on /data: ``{"error": "code=403, message=Forbidden"}``;
- stack errors elsewhere with ``Accept: application/json``: ``{"error": "Forbidden"}``;
- JSON:API routes: ``{"errors": [{"status", "title", "detail"}]}``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.errors import CouchError, SandboxError, StackError
from sandbox.web.responses import JSON, JSONAPI

JSONAPI_PREFIXES = ("/permissions", "/apps", "/journal/")


def _couch(exc: CouchError) -> JSON:
    return JSON({"ok": False, "status": str(exc.status), "error": exc.error,
                 "reason": exc.reason}, status_code=exc.status)


def _stack(request: Request, exc: StackError) -> JSON:
    headers = {"WWW-Authenticate": exc.www_authenticate} if exc.www_authenticate else None
    path = request.url.path
    if path.startswith(JSONAPI_PREFIXES):
        return JSONAPI({"errors": [{"status": str(exc.status), "title": _title(exc.status),
                                    "detail": exc.message}]}, status_code=exc.status,
                       headers=headers)
    if path.startswith("/data"):
        body = {"error": f"code={exc.status}, message={exc.message}"}
    else:
        body = {"error": exc.message}
    return JSON(body, status_code=exc.status, headers=headers)


def _title(status: int) -> str:
    return {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            409: "Conflict", 413: "Request Entity Too Large"}.get(status, "Error")


def _journal_refusal(request: Request) -> None:
    """A refused data request goes in the journal too (verb ``DENIED``): testers and the
    store's smoke run see what an app tried beyond its permissions."""
    from sandbox.web.context import caller_or_none

    who = caller_or_none(request)
    parts = request.url.path.split("/")
    if who is None or len(parts) < 3 or not parts[2]:
        return
    doctype = parts[2][:128]
    request.app.state.sandbox.journal.record(who.instance.id, who.client, who.kind, doctype,
                                             "DENIED", f"{request.method} {request.url.path}"[:64],
                                             0)


def install(app: FastAPI) -> None:
    @app.exception_handler(CouchError)
    async def couch_error(request: Request, exc: CouchError):
        if request.url.path.startswith(JSONAPI_PREFIXES):
            return JSONAPI({"errors": [{"status": str(exc.status), "title": exc.error,
                                        "detail": exc.reason}]}, status_code=exc.status)
        return _couch(exc)

    @app.exception_handler(StackError)
    async def stack_error(request: Request, exc: StackError):
        if exc.status == 403 and request.url.path.startswith("/data/"):
            _journal_refusal(request)
        return _stack(request, exc)

    @app.exception_handler(SandboxError)
    async def other_error(request: Request, exc: SandboxError):
        return JSON({"error": "internal_server_error", "reason": str(exc)}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        return _couch(CouchError(400, "bad_request", problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _couch(CouchError(404, "not_found", f"no route for {request.url.path}"))
        if exc.status_code == 405:
            return _couch(CouchError(405, "method_not_allowed",
                                     f"{request.method} is not allowed on {request.url.path}"))
        return _couch(CouchError(exc.status_code, "error", str(exc.detail)))
