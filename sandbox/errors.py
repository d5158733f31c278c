"""Plain domain errors; the web layer maps each to the stack's status code and error shape."""

from __future__ import annotations


class SandboxError(Exception):
    status = 500


class CouchError(SandboxError):
    """Errors the stack passes through in CouchDB's shape: ``{"error": ..., "reason": ...}``."""

    def __init__(self, status: int, error: str, reason: str):
        super().__init__(f"{error}: {reason}")
        self.status = status
        self.error = error
        self.reason = reason


class NotFound(CouchError):
    def __init__(self, reason: str = "missing"):
        super().__init__(404, "not_found", reason)


class Conflict(CouchError):
    def __init__(self) -> None:
        super().__init__(409, "conflict", "Document update conflict.")


class BadRequest(CouchError):
    def __init__(self, reason: str, error: str = "bad_request"):
        super().__init__(400, error, reason)


class StackError(SandboxError):
    """Errors the stack renders as ``{"error": "code=N, message=M"}`` on /data."""

    def __init__(self, status: int, message: str, www_authenticate: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.www_authenticate = www_authenticate


class Forbidden(StackError):
    def __init__(self, message: str = "Forbidden"):
        super().__init__(403, message)


class NoToken(StackError):
    def __init__(self) -> None:
        super().__init__(401, "No token in request")


class InvalidToken(StackError):
    def __init__(self, message: str = "Invalid JWT token"):
        super().__init__(400, message, 'Bearer error="invalid_token"')


class ExpiredToken(StackError):
    def __init__(self) -> None:
        super().__init__(400, "Expired token", 'Bearer error="invalid_token" '
                         'error_description="The access token expired"')


class PayloadTooLarge(StackError):
    def __init__(self, limit: int):
        super().__init__(413, f"Request body too large: the limit is {limit} bytes")
