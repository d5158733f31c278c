"""An app's images, read from its uploaded archive: the icon and the manifest's screenshots,
typed by their bytes (never by their names), for the catalogue and the review page alike."""

from __future__ import annotations

from app_store.artifacts import Artifacts
from sandbox.contract.bundle import Limits, read_archive


def image_type(data: bytes) -> str | None:
    """The type of an icon or screenshot from its bytes, never from its name."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if b"<svg" in data[:2048]:
        return "image/svg+xml"
    return None


def screenshot_paths(manifest: dict | None) -> list[str]:
    """The manifest's ``screenshots`` (paths in the archive); anything else is ignored."""
    shots = (manifest or {}).get("screenshots")
    return [x.lstrip("/") for x in shots if isinstance(x, str)] \
        if isinstance(shots, list) else []


def icon_path(manifest: dict | None) -> str:
    return str((manifest or {}).get("icon", "")).lstrip("/")


def read_image(artifacts: Artifacts, sha256: str, filename: str, limits: Limits,
               name: str) -> tuple[bytes, str] | None:
    """The image at ``name`` in the archive with its type, or None when it is missing or is
    not a PNG, JPEG or SVG (a page or a script is never served as an image)."""
    archive = read_archive(artifacts.get(sha256), filename, limits)
    data = archive.files.get(name.lstrip("/"))
    kind = image_type(data) if data is not None else None
    return (data, kind) if data is not None and kind is not None else None
