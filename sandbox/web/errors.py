"""The one place that turns domain errors into the stack's statuses and error shapes.

- CouchDB-style errors: ``{"ok": false, "status": "404", "error": ..., "reason": ...}``;
- stack (Echo) errors on /data: ``{"error": "code=403, message=Forbidden"}``;
- stack errors elsewhere: ``{"error": "Forbidden"}``;
- JSON:API routes: ``{"errors": [{"status", "title", "detail"}]}``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox import errors as e
from sandbox.oauth import BadRegistrationToken, OAuthError, UnknownInstance
from sandbox.web.responses import JSON, JSONAPI

JSONAPI_PREFIXES = ("/permissions", "/apps", "/journal/", "/settings", "/konnectors",
                    "/intents", "/notifications", "/jobs", "/realtime", "/files")

# Most specific class first: the first match wins.
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (e.NotFound, 404), (e.Conflict, 409), (e.CouchError, 400),
    (e.NoToken, 401), (e.InvalidToken, 400), (e.Forbidden, 403), (e.PayloadTooLarge, 413),
    (e.NoSuchFile, 404), (e.FileExists, 409), (e.PreconditionFailed, 412),
    (e.InvalidParameter, 422), (e.QuotaExceeded, 413), (e.BadFileRequest, 400),
    (UnknownInstance, 404), (BadRegistrationToken, 401), (OAuthError, 400),
    (e.RegistryNotAllowed, 403), (e.ReleaseChanged, 409), (e.RegistryUnavailable, 502),
    (e.AppUnavailable, 503), (e.InstallRefused, 400), (e.DevSessionBusy, 409),
    (e.InstanceNotReady, 503),
    (e.InvalidAttribute, 422), (e.InvalidParameter, 422),
    (e.StackError, 400),
)
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          409: "Conflict", 412: "Precondition Failed", 413: "Request Entity Too Large",
          422: "Invalid Parameter", 502: "Bad Gateway",
          503: "Service Unavailable"}


def status_of(exc: Exception) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 500)


def _www_authenticate(exc: Exception) -> dict[str, str] | None:
    if isinstance(exc, e.ExpiredToken):
        return {"WWW-Authenticate": 'Bearer error="invalid_token" '
                                    'error_description="The access token expired"'}
    if isinstance(exc, e.InvalidToken):
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if isinstance(exc, e.InstanceNotReady):  # not an authentication header, but the one to add
        return {"Retry-After": str(exc.retry_after)}
    return None


def couch_response(status: int, error: str, reason: str) -> JSON:
    return JSON({"ok": False, "status": str(status), "error": error, "reason": reason},
                status_code=status)


def _jsonapi(status: int, title: str, detail: str, headers=None,
             source: dict | None = None) -> JSONAPI:
    error = {"status": str(status), "title": title, "detail": detail}
    if source:
        error["source"] = source
    return JSONAPI({"errors": [error]}, status_code=status, headers=headers)


def _title_and_source(exc: Exception, status: int) -> tuple[str, dict | None]:
    if isinstance(exc, e.InvalidAttribute):
        return "Invalid Attribute", {"pointer": f"/data/attributes/{exc.attribute}"}
    if isinstance(exc, e.InvalidParameter):
        return "Invalid Parameter", {"parameter": exc.parameter}
    # the files API names the header or attribute at fault in other errors too
    parameter = exc.parameter if isinstance(exc, e.VfsError) else None
    return TITLES.get(status, "Error"), {"parameter": parameter} if parameter else None


def error_response(request: Request, exc: Exception) -> JSON:
    """The stack's answer to a domain error on this request's path."""
    status = status_of(exc)
    path = request.url.path
    if isinstance(exc, e.CouchError):
        if path.startswith(JSONAPI_PREFIXES):
            # CouchDB's error as the title: cozy-client tells a missing index by it
            return _jsonapi(status, exc.error, exc.reason)
        return couch_response(status, exc.error, exc.reason)
    message = exc.message if isinstance(exc, e.StackError) else str(exc)
    headers = _www_authenticate(exc)
    if path.startswith(JSONAPI_PREFIXES):
        title, source = _title_and_source(exc, status)
        return _jsonapi(status, title, message, headers, source)
    body = {"error": f"code={status}, message={message}"} if path.startswith("/data") \
        else {"error": message}
    return JSON(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(e.SandboxError)
    async def domain_error(request: Request, exc: e.SandboxError):
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                             for err in exc.errors())
        return error_response(request, e.BadRequest(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return couch_response(404, "not_found", f"no route for {request.url.path}")
        if exc.status_code == 405:
            return couch_response(405, "method_not_allowed",
                                  f"{request.method} is not allowed on {request.url.path}")
        return couch_response(exc.status_code, "error", str(exc.detail))


COUCH = {"ok": False, "status": "404", "error": "not_found", "reason": "missing"}
ECHO = {"error": "code=403, message=Forbidden"}
STACK = {"error": "Forbidden"}
JSONAPI_ERROR = {"errors": [{"status": "403", "title": "Forbidden",
                             "detail": "the token does not allow this"}]}

_TEXT = {"type": "string"}
SCHEMAS: dict[str, dict] = {
    "CouchError": {"type": "object", "description": "An error answered by CouchDB",
                   "required": ["error", "reason"], "properties": {
                       "ok": {"type": "boolean"}, "status": {**_TEXT, "description":
                                                             "the HTTP status"},
                       "error": {**_TEXT, "description": "CouchDB's error name"},
                       "reason": {**_TEXT, "description": "why"}}},
    "DataError": {"type": "object", "description": "The stack's refusal on /data "
                  "(`code=<status>, message=<why>`)", "required": ["error"],
                  "properties": {"error": _TEXT}},
    "StackError": {"type": "object", "description": "The stack's refusal", "required":
                   ["error"], "properties": {"error": _TEXT}},
    "JsonApiErrors": {"type": "object", "description": "JSON:API errors", "required":
                      ["errors"], "properties": {"errors": {"type": "array", "items": {
                          "type": "object", "required": ["status", "title"], "properties": {
                              "status": _TEXT, "title": _TEXT, "detail": _TEXT,
                              "source": {"type": "object"}}}}}},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error_media(path: str, status: int) -> dict:
    """The OpenAPI media type of this path's errors with ``status`` (the shapes in this
    module's docstring), for the API docs."""
    title = TITLES.get(status, "Error")
    if path.startswith(JSONAPI_PREFIXES):
        return {"schema": _ref("JsonApiErrors"), "example": {"errors": [{
            "status": str(status), "title": title, "detail": title.lower()}]}}
    if path.startswith("/data"):
        return {"schema": {"oneOf": [_ref("DataError"), _ref("CouchError")]}, "examples": {
            "stack": {"summary": "refused by the stack",
                      "value": {"error": f"code={status}, message={title}"}},
            "couchdb": {"summary": "answered by CouchDB", "value": {
                "ok": False, "status": str(status),
                "error": "not_found" if status == 404 else "bad_request",
                "reason": title.lower()}}}}
    return {"schema": _ref("StackError"), "example": {"error": title}}
