"""Plain errors raised by store code; the web layer maps each to one JSON envelope:
``{"error": message, "problems": [...]}`` (the registry's ``{"error": ...}`` plus details)."""

from __future__ import annotations


class StoreError(Exception):
    status = 400

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class Invalid(StoreError):
    status = 400


class Unauthorized(StoreError):
    status = 401


class NotAllowed(StoreError):
    status = 403


class NotFound(StoreError):
    status = 404


class Conflict(StoreError):
    status = 409


class TooLarge(StoreError):
    status = 413
