"""Pack an app directory into a .tar.gz the way the store expects (used by ``selfdata submit``
and ``selfdata dev``).

What a developer's folder holds beside the app is left out and named: installed packages
(``node_modules/``, a virtualenv), package managers' lock files (the app ships what it uses in
``vendor/``; a lock file is a list of registry addresses, not code), version control, caches,
editors' and operating systems' files, and ``.env`` files (secrets stay on the machine)."""

from __future__ import annotations

import fnmatch
import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "manifest.webapp"
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "venv", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".idea", ".vscode", ".cache",
    ".parcel-cache", "tests",
})
LOCK_FILES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
                        "pnpm-lock.yaml", "bun.lockb", "Pipfile.lock", "poetry.lock"})
JUNK = (".DS_Store", "Thumbs.db", "desktop.ini", "._*", "*.swp", "*.swo", "*~", ".#*", "#*#",
        "*.pyc", "*.pyo", ".env", ".env.*", ".coverage", "npm-debug.log*", "yarn-error.log")


@dataclass
class Packed:
    data: bytes
    files: int
    left_out: list[str] = field(default_factory=list)   # "node_modules/ (812 files)", ...

    def summary(self) -> str:
        """One line for the person packing: what was left out, or nothing."""
        return "Left out of the archive: " + ", ".join(self.left_out) if self.left_out else ""


def skipped(name: str, is_dir: bool) -> bool:
    """Whether a file or folder of that name stays out of an app's archive."""
    if is_dir:
        return name in SKIP_DIRS
    return name in LOCK_FILES or any(fnmatch.fnmatchcase(name, p) for p in JUNK)


def _count(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def pack_folder(directory: Path) -> Packed:
    """Regular files only, relative paths, fixed owner and time (the same tree gives the same
    bytes, so a resubmission of unchanged files is recognised by its sha256)."""
    if not (directory / MANIFEST).is_file():
        nested = sorted(p.parent.relative_to(directory).as_posix()
                        for p in directory.glob(f"*/{MANIFEST}"))
        hint = f"; manifest found in {nested[0]}/: pack that folder" if nested else ""
        raise FileNotFoundError(f"{directory} has no {MANIFEST} at its root{hint}")
    kept: list[tuple[str, Path]] = []
    left_out: list[str] = []
    for root, dirs, files in os.walk(directory):
        here = Path(root)
        rel_root = here.relative_to(directory)
        for d in sorted(dirs):
            if skipped(d, True) or (here / d).is_symlink():
                dirs.remove(d)
                if skipped(d, True):
                    n = _count(here / d)
                    left_out.append(f"{(rel_root / d).as_posix()}/ ({n:,} file"
                                    f"{'' if n == 1 else 's'})")
        for f in files:
            path = here / f
            rel = (rel_root / f).as_posix()
            if skipped(f, False):
                left_out.append(rel)
            elif path.is_file() and not path.is_symlink():
                kept.append((rel, path))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        for rel, path in sorted(kept):
            info = tarfile.TarInfo(rel)
            info.size = path.stat().st_size
            info.mode = 0o644
            info.mtime = 0
            with path.open("rb") as f:
                tar.addfile(info, f)
    # gzip headers carry a timestamp; zero it so the bytes depend only on the files
    data = bytearray(buf.getvalue())
    data[4:8] = b"\0\0\0\0"
    return Packed(bytes(data), len(kept), sorted(left_out))


def pack(directory: Path) -> bytes:
    """The archive's bytes alone (see :func:`pack_folder`)."""
    return pack_folder(directory).data
