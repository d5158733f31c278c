"""Plain domain errors. They say what went wrong in the stack's words; the web layer
(``sandbox.web.errors``) gives each class its HTTP status, headers and error shape."""

from __future__ import annotations


class SandboxError(Exception):
    """Base of every error the sandbox raises on purpose."""


class CouchError(SandboxError):
    """Errors the stack passes through from CouchDB: an ``error`` code and a ``reason``."""

    error = "error"

    def __init__(self, reason: str, error: str | None = None):
        super().__init__(f"{error or self.error}: {reason}")
        self.error = error or self.error
        self.reason = reason


class NotFound(CouchError):
    error = "not_found"

    def __init__(self, reason: str = "missing"):
        super().__init__(reason)


class Conflict(CouchError):
    error = "conflict"

    def __init__(self, reason: str = "Document update conflict.") -> None:
        super().__init__(reason)


class BadRequest(CouchError):
    error = "bad_request"


class NoIndex(CouchError):
    """A ``_find`` the stack will not answer without an index (cozy-client then creates one)."""

    error = "no_index"


class StackError(SandboxError):
    """Errors of the stack itself (not CouchDB's), with a message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Forbidden(StackError):
    def __init__(self, message: str = "Forbidden"):
        super().__init__(message)


class NoToken(StackError):
    def __init__(self) -> None:
        super().__init__("No token in request")


class InvalidToken(StackError):
    def __init__(self, message: str = "Invalid JWT token"):
        super().__init__(message)


class ExpiredToken(InvalidToken):
    def __init__(self) -> None:
        super().__init__("Expired token")


class InvalidAttribute(StackError):
    """An attribute of a JSON:API body with a wrong value (the stack's 422 Invalid Attribute,
    pointing at ``/data/attributes/<attribute>``)."""

    def __init__(self, attribute: str, message: str):
        super().__init__(message)
        self.attribute = attribute


class InvalidParameter(StackError):
    """A missing or wrong parameter (the stack's 422 Invalid Parameter, naming it)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


class PayloadTooLarge(StackError):
    def __init__(self, limit: int):
        super().__init__(f"Request body too large: the limit is {limit} bytes")


# Installs and running apps.
class InstallRefused(StackError):
    """The install cannot go ahead as asked (no registry configured, bad form)."""


class RegistryNotAllowed(StackError):
    """The registry named is not one this sandbox installs from."""


class RegistryUnavailable(StackError):
    """The registry did not answer, or answered something that cannot be trusted."""


class ReleaseChanged(StackError):
    """The release differs from the one the tester agreed to."""


class AppUnavailable(StackError):
    """An installed app cannot run right now (no engine, no image, did not start)."""


class DevSessionBusy(StackError):
    """Another live ``selfdata dev`` session already serves that app in that instance."""


# The files API (the stack's VFS): JSON:API errors, some naming the parameter at fault.
class VfsError(StackError):
    """An error of ``/files``; ``parameter`` names the query parameter, header or attribute
    at fault (the stack's ``source``)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class NoSuchFile(VfsError):
    def __init__(self, message: str = "file does not exist"):
        super().__init__(message)


class FileExists(VfsError):
    def __init__(self, message: str = "file already exists"):
        super().__init__(message)


class PreconditionFailed(VfsError):
    """A revision, an MD5 or a length that does not match (412)."""


class QuotaExceeded(VfsError):
    def __init__(self, message: str = "The file is too big and exceeds the disk quota"):
        super().__init__(message)


class BadFileRequest(VfsError):
    """A request the files API cannot do as asked (400): moving a folder into itself,
    trashing what is already in the trash."""


class InstanceNotReady(StackError):
    """A declared instance whose data is not there yet (``sandbox.ondemand``): still being
    loaded, or its last loading failed; the client may try again after ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int = 2):
        super().__init__(message)
        self.retry_after = retry_after
