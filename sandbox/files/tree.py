"""Reading the tree of an instance's files: documents by id and by path, children, paths,
references, usage. The io.cozy.files documents live in the document store like any other
doctype (so ``/data/io.cozy.files`` and the realtime feed see them); this module only reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from sandbox.errors import NoSuchFile
from sandbox.files.names import DOCTYPE, ROOT_ID, TRASH_PATH, join
from sandbox.instances import Instance
from sandbox.mango.match import matches
from sandbox.mango.selector import parse
from sandbox.mango.sql import compile_selector
from sandbox.storage.documents import DOCS, DocumentStore

MAX_PATH = 4096


@dataclass(frozen=True)
class Usage:
    files: int      # bytes of every file, the trash included (the stack's "used")
    trash: int      # bytes of the files in the trash
    count: int      # number of files


def is_dir(doc: dict) -> bool:
    return doc.get("type") == "directory"


def size_of(doc: dict) -> int:
    try:
        return max(0, int(doc.get("size") or 0))
    except (TypeError, ValueError):
        return 0


class FileTree:
    def __init__(self, documents: DocumentStore):
        self.documents = documents
        self.db = documents.db

    # ---- queries -----------------------------------------------------------------------------

    def select(self, inst: Instance, selector: dict[str, Any]) -> list[dict]:
        """Every live io.cozy.files document matching a simple equality selector (internal:
        no index rules), ordered by id."""
        node = parse(selector)
        cond, exact = compile_selector(node, self.db.dialect)
        q = sa.select(self.db.dialect.body_text()).where(
            DOCS.instance_id == inst.id, DOCS.doctype == DOCTYPE, DOCS.deleted.is_(False),
            sa.not_(DOCS.doc_id.startswith("_design/")), cond).order_by(DOCS.doc_id)
        with self.db.read() as conn:
            docs = [orjson.loads(r[0]) for r in conn.execute(q)]
        return docs if exact else [d for d in docs if matches(node, d)]

    def find(self, inst: Instance, doc_id: str) -> dict | None:
        if not isinstance(doc_id, str) or not doc_id or doc_id.startswith("_design/"):
            return None
        return self.documents.get_dict(inst.id, DOCTYPE, doc_id)

    def get(self, inst: Instance, doc_id: str) -> dict:
        doc = self.find(inst, doc_id)
        if doc is None:
            raise NoSuchFile()
        return doc

    def get_dir(self, inst: Instance, doc_id: str, missing: str | None = None) -> dict:
        doc = self.find(inst, doc_id)
        if doc is None or not is_dir(doc):
            raise NoSuchFile(missing or "Parent directory with given DirID does not exist")
        return doc

    def children(self, inst: Instance, dir_id: str) -> list[dict]:
        """The stack's order (its by-parent-type-name view): folders first, then by name."""
        docs = self.select(inst, {"dir_id": dir_id})
        return sorted(docs, key=child_key)

    def child_named(self, inst: Instance, dir_id: str, name: str) -> dict | None:
        found = self.select(inst, {"dir_id": dir_id, "name": name})
        return found[0] if found else None

    # ---- paths -------------------------------------------------------------------------------

    def path_of(self, inst: Instance, doc: dict) -> str:
        """A folder's stored path, or a file's: its folder's path and its name."""
        if is_dir(doc):
            return doc.get("path") or "/"
        parent = self.find(inst, doc.get("dir_id", ""))
        base = parent.get("path", "/") if parent else "/"
        return join(base, doc.get("name", ""))

    def dir_by_path(self, inst: Instance, path: str) -> dict | None:
        found = self.select(inst, {"type": "directory", "path": path})
        return found[0] if found else None

    def by_path(self, inst: Instance, path: str | None) -> dict:
        """The folder or file at an absolute path (``/Administratif/EDF/bill.pdf``)."""
        if not path or not path.startswith("/") or len(path) > MAX_PATH:
            raise NoSuchFile("file does not exist: give an absolute path such as /Documents")
        clean = "/" + "/".join(p for p in path.split("/") if p)
        if clean == "/":
            return self.get(inst, ROOT_ID)
        found = self.dir_by_path(inst, clean)
        if found is not None:
            return found
        parent_path, _, name = clean.rpartition("/")
        parent = self.dir_by_path(inst, parent_path or "/")
        doc = self.child_named(inst, parent["_id"], name) if parent else None
        if doc is None or is_dir(doc):
            raise NoSuchFile()
        return doc

    def in_trash(self, inst: Instance, doc: dict) -> bool:
        path = self.path_of(inst, doc)
        return path == TRASH_PATH or path.startswith(TRASH_PATH + "/")

    def ancestors(self, inst: Instance, doc: dict) -> list[dict]:
        """The folders above ``doc``, nearest first, up to the root (a loop-proof walk)."""
        out: list[dict] = []
        seen = {doc.get("_id")}
        cur = doc
        while cur.get("_id") != ROOT_ID and len(out) < 600:
            parent = self.find(inst, cur.get("dir_id", ""))
            if parent is None or parent["_id"] in seen:
                break
            out.append(parent)
            seen.add(parent["_id"])
            cur = parent
        return out

    def subdirs(self, inst: Instance, path: str) -> list[dict]:
        """Every folder strictly below ``path``."""
        prefix = path.rstrip("/") + "/"
        return [d for d in self.select(inst, {"type": "directory"})
                if d.get("path", "").startswith(prefix)]

    def descendants(self, inst: Instance, folder: dict) -> list[dict]:
        """Every folder and file below ``folder``, deepest folders last."""
        dirs = self.subdirs(inst, folder.get("path", "/"))
        ids = {folder["_id"], *(d["_id"] for d in dirs)}
        files = [f for f in self.select(inst, {"type": "file"}) if f.get("dir_id") in ids]
        return files + sorted(dirs, key=lambda d: d.get("path", "").count("/"))

    # ---- references and usage ----------------------------------------------------------------

    def referenced_by(self, inst: Instance, doctype: str, doc_id: str) -> list[dict]:
        """Files and folders that a document references (their ``referenced_by`` names it)."""
        return self.select(inst, {"referenced_by": {"$elemMatch": {"type": doctype,
                                                                    "id": doc_id}}})

    def usage(self, inst: Instance) -> Usage:
        dirs = {d["_id"]: d.get("path", "") for d in self.select(inst, {"type": "directory"})}
        total = trash = count = 0
        for f in self.select(inst, {"type": "file"}):
            n = size_of(f)
            total += n
            count += 1
            where = dirs.get(f.get("dir_id", ""), "")
            if f.get("trashed") or where == TRASH_PATH or where.startswith(TRASH_PATH + "/"):
                trash += n
        return Usage(total, trash, count)

    def blob_users(self, inst: Instance, sha256: str) -> int:
        return len(self.select(inst, {"internal_vfs_id": sha256}))


def child_key(doc: dict) -> tuple[str, str, str]:
    return (str(doc.get("type", "")), str(doc.get("name", "")), str(doc.get("_id", "")))
