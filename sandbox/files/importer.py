"""Generated files into an instance (the loader's part): check every document and every
blob first, then store the blobs and index the documents in one batch.

The contract: ``io.cozy.files.<fmt>`` lists folders (parents
first, each with its ``path``) then files (no ``path``); ``files/<file _id>`` holds each file's
bytes, exactly ``size`` bytes whose MD5 is ``md5sum``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import BadRequest, InvalidParameter
from sandbox.files import names
from sandbox.files.blobs import Digests
from sandbox.files.store import Files
from sandbox.instances import Instance

CHUNK = 1 << 20


class DatasetError(BadRequest):
    """Generated files that do not match their documents (the message names the file)."""

    def __init__(self, reason: str):
        super().__init__(reason, "bad_dataset")


@dataclass(frozen=True)
class Checked:
    docs: list[dict]                      # ready to load (folders with paths, blob names)
    blobs: list[tuple[Path, Digests]]     # (source file, its digests)

    @property
    def size(self) -> int:
        return sum(d.size for _, d in self.blobs)


def _digests(path: Path) -> Digests:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return Digests(sha.hexdigest(), md5.digest(), size)


def check(docs: list[dict], folder: Path, where: str) -> Checked:
    """Every document well formed, every folder under a known parent, every name free in
    its folder, every blob present with the size and MD5 its document says; or a
    :class:`DatasetError` naming the first one that is not."""
    paths = {names.ROOT_ID: "/"}
    taken: set[tuple[str, str]] = set()
    out: list[dict] = []
    blobs: list[tuple[Path, Digests]] = []
    for i, doc in enumerate(docs):
        ident = doc.get("_id") if isinstance(doc, dict) else None
        label = doc.get("name") if isinstance(doc, dict) else None
        what = f"{where}: io.cozy.files document {i} ({ident or 'no _id'}" + \
            (f", {label!r})" if isinstance(label, str) else ")")
        if not isinstance(ident, str) or not ident or "/" in ident or ident.startswith(
                (".", "_")):
            raise DatasetError(f"{what}: _id must be a plain id such as 32 hex characters")
        if ident in names.FIXED:
            continue
        kind, parent = doc.get("type"), doc.get("dir_id")
        if kind not in ("directory", "file"):
            raise DatasetError(f"{what}: type must be directory or file")
        if parent not in paths:
            raise DatasetError(f"{what}: dir_id {parent!r} is not a folder listed before it "
                               "(folders come first, parents before children)")
        try:
            name = names.check_name(doc.get("name"))
        except InvalidParameter as exc:
            raise DatasetError(f"{what}: {exc.message}") from None
        if (parent, name) in taken:
            raise DatasetError(f"{what}: another document in the same folder is named {name!r}")
        taken.add((parent, name))
        path = names.join(paths[parent], name)
        if kind == "directory":
            if doc.get("path") not in (None, path):
                raise DatasetError(f"{what}: path is {doc.get('path')!r} but its folder and "
                                   f"name say {path!r}")
            paths[ident] = path
            out.append({**doc, "path": path})
            continue
        blob = folder / ident
        if not blob.is_file():
            raise DatasetError(f"{what}: its bytes are missing: expected {blob}")
        d = _digests(blob)
        if str(doc.get("size")) != str(d.size):
            raise DatasetError(f"{what}: {blob} is {d.size} bytes but the document says "
                               f"size {doc.get('size')!r}")
        md5 = base64.b64encode(d.md5).decode()
        if doc.get("md5sum") != md5:
            raise DatasetError(f"{what}: {blob} has MD5 {md5} but the document says "
                               f"md5sum {doc.get('md5sum')!r}")
        blobs.append((blob, d))
        out.append({k: v for k, v in doc.items() if k != "path"} | {
            "size": str(d.size), "internal_vfs_id": d.sha256})
    return Checked(out, blobs)


def load(files: Files, inst: Instance, checked: Checked,
         hold: frozenset[str] = frozenset()) -> int:
    """Store the blobs, then the documents (in one batch) but those of ``hold`` (a live
    run delivers them later: their bytes wait in the blob store, named by no document);
    the number of documents."""
    if files.quota and files.usage(inst).files + checked.size > files.quota:
        raise DatasetError(f"{inst.name}: the generated files take {checked.size} bytes, "
                           f"more than the quota of {files.quota} (SELFDATA_FILES_QUOTA_BYTES)")
    files.ensure(inst)
    for source, d in checked.blobs:
        files.blobs.put_file(inst, source, d)
    return files.documents.load(inst.id, names.DOCTYPE,
                                [d for d in checked.docs if d["_id"] not in hold])
