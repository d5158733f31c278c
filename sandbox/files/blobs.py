"""The bytes of files, on disk: one folder per instance, one file per content (sha256).

Content-addressed, so a write never overwrites what another document points to: the bytes
are written to a temporary file in the same folder, flushed, then renamed into place (an
atomic rename), and only then does a document name them. A blob no live document names is
removed by :meth:`BlobStore.discard`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sandbox.instances import Instance

HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Digests:
    sha256: str     # hex: the blob's name
    md5: bytes      # raw: the stack's md5sum (base64 of it)
    size: int


def digests(data: bytes) -> Digests:
    return Digests(hashlib.sha256(data).hexdigest(),
                   hashlib.md5(data, usedforsecurity=False).digest(), len(data))


def folder_name(inst: Instance) -> str:
    """The instance's folder: its name and a digest of its key, so an instance deleted and
    created again under the same name, or one of another database, never shares a folder."""
    return f"{inst.name}-{hashlib.sha256(inst.secret.encode()).hexdigest()[:16]}"


class BlobStore:
    def __init__(self, root: Path):
        self.root = root

    def folder(self, inst: Instance) -> Path:
        return self.root / folder_name(inst)

    def path(self, inst: Instance, sha256: str) -> Path:
        if len(sha256) != 64 or not set(sha256) <= HEX:
            raise ValueError(f"not a blob name: {sha256!r}")
        return self.folder(inst) / sha256[:2] / sha256

    def exists(self, inst: Instance, sha256: str) -> bool:
        return self.path(inst, sha256).is_file()

    def put(self, inst: Instance, data: bytes, known: Digests | None = None) -> Digests:
        """Store ``data`` (once per content) and return its digests."""
        d = known or digests(data)
        target = self.path(inst, d.sha256)
        if target.is_file():
            return d
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".tmp-{secrets.token_hex(8)}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return d

    def put_file(self, inst: Instance, source: Path, d: Digests) -> None:
        """Store a file already on disk whose digests were checked (the loader): a hard link
        when the file system allows it, else a copy, renamed into place."""
        target = self.path(inst, d.sha256)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".tmp-{secrets.token_hex(8)}"
        try:
            try:
                os.link(source, tmp)
            except OSError:
                shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def discard(self, inst: Instance, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.path(inst, sha256).unlink()

    def copy_instance(self, source: Instance, copy: Instance) -> None:
        """Every blob of ``source`` into ``copy``'s folder (hard links where possible)."""
        src = self.folder(source)
        if not src.is_dir():
            return

        def link(a: str, b: str) -> None:
            try:
                os.link(a, b)
            except OSError:
                shutil.copy2(a, b)

        shutil.copytree(src, self.folder(copy), copy_function=link, dirs_exist_ok=True)

    def delete_instance(self, inst: Instance) -> None:
        shutil.rmtree(self.folder(inst), ignore_errors=True)
