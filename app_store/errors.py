"""Plain errors raised by store code, each with a message that says what to fix and, where
useful, the problems with their paths. The web layer (``app_store.web.app``) gives each class
its status and renders one JSON envelope: ``{"error": message, "problems": [...]}``."""

from __future__ import annotations


class StoreError(Exception):
    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class Invalid(StoreError):
    """The request or its content is not acceptable as sent."""


class Unauthorized(StoreError):
    """No token, or one the store does not know."""


class NotAllowed(StoreError):
    """The account may not do this."""


class NotFound(StoreError):
    pass


class Conflict(StoreError):
    """It clashes with what is there (a name taken, a state that cannot change so)."""


class TooLarge(StoreError):
    pass


class NotAcceptable(StoreError):
    """The client asks for a representation the registry does not give."""


class Unprocessable(StoreError):
    """Well-formed, but what it points to cannot be used (a build that cannot be downloaded,
    whose checksum or manifest does not match): the registry's 422."""


class UnsupportedMedia(StoreError):
    """The body is not of the type the route reads (the registry's 415)."""
