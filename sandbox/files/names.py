"""The stack's rules for file names, MIME types and classes, digests and dates (pure)."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from datetime import UTC, datetime

from sandbox.errors import InvalidParameter

DOCTYPE = "io.cozy.files"
ROOT_ID = "io.cozy.files.root-dir"
TRASH_ID = "io.cozy.files.trash-dir"
TRASH_NAME = ".cozy_trash"
TRASH_PATH = "/.cozy_trash"
FIXED = (ROOT_ID, TRASH_ID)
FORBIDDEN = "/\x00\n\r"
MAX_NAME_BYTES = 255      # what most file systems take; the stack sets no limit
MAX_DEPTH = 512           # the stack's MaxDepth: slashes in a path
MAX_MIME = 255
DEFAULT_MIME = "application/octet-stream"
_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
# The built-in table only (not /etc/mime.types): the same answer on every machine.
_TYPES = mimetypes.MimeTypes(filenames=())
_CLASSES = {
    DEFAULT_MIME: "files",
    "application/x-apple-diskimage": "binary", "application/x-msdownload": "binary",
    "text/html": "code", "text/css": "code", "text/xml": "code", "application/js": "code",
    "text/x-c": "code", "text/x-go": "code", "text/x-python": "code",
    "application/x-ruby": "code",
    "application/pdf": "pdf",
    "application/vnd.ms-powerpoint": "slide",
    "application/vnd.oasis.opendocument.presentation": "slide",
    "application/vnd.oasis.opendocument.graphics": "slide",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "slide",
    "application/vnd.ms-excel": "spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet": "spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "spreadsheet",
    "application/msword": "text", "application/vnd.oasis.opendocument.text": "text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "text",
    "application/x-7z-compressed": "zip", "application/x-rar-compressed": "zip",
    "application/zip": "zip", "application/gzip": "zip", "application/x-tar": "zip",
    "application/internet-shortcut": "shortcut",
}
BAD_NAME = "Invalid filename: empty or contains an illegal character"


def check_name(name: object) -> str:
    """A file or folder name the stack accepts, or 422 on ``name``."""
    if not isinstance(name, str) or name in ("", ".", "..") or any(c in name for c in FORBIDDEN):
        raise InvalidParameter("name", BAD_NAME)
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InvalidParameter("name", f"Invalid filename: longer than {MAX_NAME_BYTES} bytes")
    return name


def mime_and_class(content_type: str | None, name: str) -> tuple[str, str]:
    """The stack's ``ExtractMimeAndClass``: the type without its parameters and its class;
    no type (or octet-stream) means a guess from the name's extension."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if not mime or mime == DEFAULT_MIME:
        mime = _TYPES.guess_type(name, strict=False)[0] or DEFAULT_MIME
    elif len(mime) > MAX_MIME or not _MIME.match(mime):
        raise InvalidParameter("Content-Type", "Invalid Content-Type")
    return mime, _CLASSES.get(mime) or mime.split("/", 1)[0]


def parse_md5(value: str) -> bytes:
    """``Content-MD5``: base64 of the 16 raw bytes (22 to 24 characters), or 422."""
    if not 22 <= len(value) <= 24:
        raise InvalidParameter("Content-MD5", "Given Content-MD5 is invalid")
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameter("Content-MD5", "Given Content-MD5 is invalid") from None
    if len(raw) != 16:
        raise InvalidParameter("Content-MD5", "Given Content-MD5 is invalid")
    return raw


def md5_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def now() -> str:
    """The stack's timestamps: RFC 3339 in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_date(value: str | None, parameter: str) -> str | None:
    """An RFC 3339 date from a query parameter, normalised to UTC, or 422."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise InvalidParameter(parameter, "Invalid time given: use RFC 3339, e.g. "
                               "2024-01-31T10:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def extension(name: str) -> str:
    """Go's ``path.Ext``: from the last dot, or empty."""
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def join(parent_path: str, name: str) -> str:
    return f"{parent_path.rstrip('/')}/{name}"


def check_depth(path: str) -> None:
    if path.count("/") >= MAX_DEPTH:
        raise InvalidParameter("path", "Invalid path: too many levels")


def conflict_name(name: str, n: int, is_file: bool) -> str:
    """``report (2).pdf``: the name the stack gives when ``name`` is taken (trash, restore)."""
    base, ext = name, ""
    if is_file and "." in name.lstrip("."):
        dot = name.rfind(".")
        base, ext = name[:dot], name[dot:]
    return f"{base} ({n}){ext}"
