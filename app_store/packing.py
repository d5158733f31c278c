"""Pack an app directory into a .tar.gz the way the store expects (used by ``selfdata submit``)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

SKIP_DIRS = {".git", "__pycache__", "node_modules", ".venv", ".pytest_cache", "tests"}


def pack(directory: Path) -> bytes:
    """Regular files only, relative paths, fixed owner and time (the same tree gives the same
    bytes, so a resubmission of unchanged files is recognised by its sha256)."""
    if not (directory / "manifest.webapp").is_file():
        raise FileNotFoundError(f"{directory} has no manifest.webapp at its root")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(directory.rglob("*")):
            rel = path.relative_to(directory)
            if any(part in SKIP_DIRS for part in rel.parts) or not path.is_file() or \
                    path.is_symlink() or path.suffix == ".pyc":
                continue
            info = tarfile.TarInfo(rel.as_posix())
            info.size = path.stat().st_size
            info.mode = 0o644
            info.mtime = 0
            with path.open("rb") as f:
                tar.addfile(info, f)
    # gzip headers carry a timestamp; zero it so the bytes depend only on the files
    data = bytearray(buf.getvalue())
    data[4:8] = b"\0\0\0\0"
    return bytes(data)
