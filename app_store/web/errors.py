"""The store's errors over HTTP: the status of each plain error class and the one JSON
envelope, ``{"error": message, "problems": [{"path", "message"}, ...]}``."""

from __future__ import annotations

from app_store import errors as e

STATUS: dict[type[e.StoreError], int] = {
    e.Invalid: 400, e.Unauthorized: 401, e.NotAllowed: 403, e.NotFound: 404,
    e.NotAcceptable: 406, e.Conflict: 409, e.TooLarge: 413, e.UnsupportedMedia: 415,
    e.Unprocessable: 422}


def status_of(exc: e.StoreError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def error_body(message: str, problems: list | None = None) -> dict:
    return {"error": message, "problems": problems or []}


EXAMPLE = error_body("the scores were not saved", [
    {"path": "usefulness", "message": "a score is a whole number from 1 to 5"}])


SCHEMAS: dict[str, dict] = {"StoreError": {
    "type": "object", "description": "The store's one error envelope",
    "required": ["error", "problems"], "properties": {
        "error": {"type": "string", "description": "what is wrong and how to fix it"},
        "problems": {"type": "array", "description": "each problem, with where it is",
                     "items": {"type": "object", "properties": {
                         "path": {"type": "string"}, "message": {"type": "string"}}}}}}}


def error_media(path: str, status: int) -> dict:
    """The OpenAPI media type of the store's one error envelope, for the API docs."""
    return {"schema": {"$ref": "#/components/schemas/StoreError"}, "example": EXAMPLE}
