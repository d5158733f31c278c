"""Writing an instance's files: folders, uploads, new content, rename and move, trash,
restore, destroy, references; quotas; the root and trash folders.

Every change of an instance's tree runs under that instance's lock (the stack takes a VFS
lock too), so the checks before a write (the name is free, the quota holds, the revision is
the current one) still hold when it happens. Documents are written through the document
store's own write paths, so the realtime feed and the changes feed see them. Bytes go to the
blob store first (an atomic rename) and a document names them only after; a blob no document
names is removed.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

from sandbox.errors import (
    BadFileRequest,
    FileExists,
    InvalidParameter,
    NoSuchFile,
    PreconditionFailed,
    QuotaExceeded,
)
from sandbox.files import names
from sandbox.files.blobs import BlobStore, Digests, digests
from sandbox.files.metadata import Actor, Content, cozy_metadata, touched
from sandbox.files.names import DOCTYPE, ROOT_ID, TRASH_ID, TRASH_NAME, TRASH_PATH
from sandbox.files.secrets import Secrets
from sandbox.files.tree import FileTree, is_dir, size_of
from sandbox.instances import Instance
from sandbox.storage.documents import DocumentStore
from sandbox.storage.revs import new_id

Check = Callable[[str, dict], None]     # (verb, document) → raises Forbidden when refused


def _allow_all(_verb: str, _doc: dict) -> None:
    return None


class Files(FileTree):
    def __init__(self, documents: DocumentStore, blobs: BlobStore, quota: int = 0):
        super().__init__(documents)
        self.blobs = blobs
        self.quota = quota      # bytes per instance; 0: none
        self._guard = threading.Lock()
        self._locks: dict[int, threading.RLock] = {}
        self._ready: set[int] = set()
        self.secrets = Secrets()

    def lock(self, inst: Instance) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(inst.id, threading.RLock())

    # ---- the two fixed folders ---------------------------------------------------------------

    def ensure(self, inst: Instance) -> None:
        """The root and the trash folders (created once per instance, as the stack does)."""
        if inst.id in self._ready:
            return
        with self.lock(inst):
            at = names.now()
            if self.find(inst, ROOT_ID) is None:
                self.documents.create(inst.id, DOCTYPE, {
                    "type": "directory", "name": "", "path": "/", "created_at": at,
                    "updated_at": at, "tags": []}, ROOT_ID)
            if self.find(inst, TRASH_ID) is None:
                self.documents.create(inst.id, DOCTYPE, {
                    "type": "directory", "name": TRASH_NAME, "dir_id": ROOT_ID,
                    "path": TRASH_PATH, "created_at": at, "updated_at": at, "tags": []},
                    TRASH_ID)
        self._ready.add(inst.id)

    def forget(self, instance_id: int) -> None:
        self._ready.discard(instance_id)
        with self._guard:
            self._locks.pop(instance_id, None)

    # ---- writes of documents -----------------------------------------------------------------

    def _create(self, inst: Instance, doc: dict) -> dict:
        res = self.documents.create(inst.id, DOCTYPE, doc, doc.get("_id") or new_id())
        return {**doc, "_id": res.id, "_rev": res.rev}

    def _update(self, inst: Instance, doc: dict) -> dict:
        res = self.documents.update(inst.id, DOCTYPE, doc["_id"], doc)
        return {**doc, "_rev": res.rev}

    def _bulk(self, inst: Instance, docs: list[dict]) -> None:
        """Several documents in one transaction (a folder and what is below it)."""
        if not docs:
            return
        results = self.documents.bulk_docs(inst.id, DOCTYPE, docs)
        if any(not r.get("ok") for r in results):
            raise FileExists("Conflict access to same file or directory")

    # ---- checks ------------------------------------------------------------------------------

    def _free_name(self, inst: Instance, dir_id: str, name: str, is_file: bool,
                   rename: bool = False, me: str | None = None) -> str:
        """``name`` if no other child of the folder has it; with ``rename``, the first free
        ``name (n)``; else 409."""
        taken = self.child_named(inst, dir_id, name)
        if taken is None or taken["_id"] == me:
            return name
        if not rename:
            raise FileExists()
        for n in range(2, 1000):
            candidate = names.conflict_name(name, n, is_file)
            other = self.child_named(inst, dir_id, candidate)
            if other is None or other["_id"] == me:
                return candidate
        return names.conflict_name(name, secrets.randbelow(10**9), is_file)

    def _writable_parent(self, inst: Instance, dir_id: str) -> dict:
        parent = self.get_dir(inst, dir_id)
        if self.in_trash(inst, parent):
            raise NoSuchFile("Parent directory is in the trash")
        return parent

    def _room(self, inst: Instance, more: int) -> None:
        if self.quota and more > 0 and self.usage(inst).files + more > self.quota:
            raise QuotaExceeded()

    @staticmethod
    def _if_match(doc: dict, rev: str | None) -> None:
        if rev and rev.strip('"') != doc.get("_rev"):
            raise PreconditionFailed("Revision does not match", "If-Match")

    # ---- folders -----------------------------------------------------------------------------

    def create_dir(self, inst: Instance, dir_id: str, name: str, actor: Actor, *,
                   created_at: str | None = None, updated_at: str | None = None,
                   tags: list[str] | None = None, metadata: dict | None = None,
                   check: Check = _allow_all) -> dict:
        names.check_name(name)
        self.ensure(inst)
        with self.lock(inst):
            parent = self._writable_parent(inst, dir_id)
            path = names.join(parent.get("path", "/"), name)
            names.check_depth(path)
            at = names.now()
            doc: dict[str, Any] = {
                "type": "directory", "name": name, "dir_id": parent["_id"], "path": path,
                "created_at": created_at or at, "updated_at": updated_at or created_at or at,
                "tags": tags or [], "cozyMetadata": cozy_metadata(actor, at)}
            if metadata:
                doc["metadata"] = metadata
            check("POST", doc)
            self._free_name(inst, parent["_id"], name, is_file=False)
            return self._create(inst, doc)

    def mkdir_p(self, inst: Instance, path: str, actor: Actor, check: Check = _allow_all
                ) -> dict:
        """The folder at ``path``, created with its missing parents (restores, imports)."""
        self.ensure(inst)
        cur = self.get(inst, ROOT_ID)
        for part in [p for p in path.split("/") if p]:
            found = self.child_named(inst, cur["_id"], part)
            if found is not None and not is_dir(found):
                raise FileExists(f"{names.join(cur.get('path', '/'), part)} is a file")
            cur = found or self.create_dir(inst, cur["_id"], part, actor, check=check)
        return cur

    # ---- files -------------------------------------------------------------------------------

    def _checked(self, content: Content) -> Digests:
        d = digests(content.data)
        if content.md5 and names.parse_md5(content.md5) != d.md5:
            raise PreconditionFailed("Invalid hash: the body's MD5 is not Content-MD5",
                                     "Content-MD5")
        if content.size and content.size.isdigit() and int(content.size) != d.size:
            raise PreconditionFailed("Content length does not match", "Content-Length")
        return d

    def _store_blob(self, inst: Instance, content: Content, d: Digests) -> bool:
        """Write the bytes; True when this call added the blob (to undo on failure)."""
        fresh = not self.blobs.exists(inst, d.sha256)
        self.blobs.put(inst, content.data, d)
        return fresh

    def _drop_unused(self, inst: Instance, *shas: str | None) -> None:
        for sha in {s for s in shas if s}:
            if self.blob_users(inst, sha) == 0:
                self.blobs.discard(inst, sha)

    def create_file(self, inst: Instance, dir_id: str, name: str, content: Content,
                    actor: Actor, check: Check = _allow_all) -> dict:
        names.check_name(name)
        if content.md5:
            names.parse_md5(content.md5)
        mime, klass = names.mime_and_class(content.content_type, name)
        self.ensure(inst)
        with self.lock(inst):
            parent = self._writable_parent(inst, dir_id)
            at = names.now()
            d = self._checked(content)
            doc: dict[str, Any] = {
                "type": "file", "name": name, "dir_id": parent["_id"],
                "created_at": content.created_at or at,
                "updated_at": content.updated_at or content.created_at or at,
                "size": str(d.size), "md5sum": names.md5_text(d.md5), "mime": mime,
                "class": klass, "executable": content.executable, "trashed": False,
                "encrypted": content.encrypted, "tags": content.tags,
                "metadata": content.metadata or {},
                "cozyMetadata": cozy_metadata(actor, at, upload=True,
                                              source_account=content.source_account,
                                              source_identifier=content.source_identifier),
                "internal_vfs_id": d.sha256}
            names.check_depth(names.join(parent.get("path", "/"), name))
            check("POST", doc)
            self._free_name(inst, parent["_id"], name, is_file=True)
            self._room(inst, d.size)
            fresh = self._store_blob(inst, content, d)
            try:
                return self._create(inst, doc)
            except Exception:
                if fresh:
                    self.blobs.discard(inst, d.sha256)
                raise

    def replace(self, inst: Instance, file_id: str, content: Content, actor: Actor,
                if_match: str | None = None, check: Check = _allow_all) -> dict:
        """New bytes for a file (``PUT /files/:id``)."""
        if content.md5:
            names.parse_md5(content.md5)
        with self.lock(inst):
            old = self.get(inst, file_id)
            if is_dir(old):
                raise NoSuchFile("file does not exist: this id is a folder")
            if self.in_trash(inst, old):
                raise NoSuchFile("Parent directory is in the trash: restore the file first")
            self._if_match(old, if_match)
            mime, klass = names.mime_and_class(content.content_type, old["name"])
            d = self._checked(content)
            at = names.now()
            new = {**old, "size": str(d.size), "md5sum": names.md5_text(d.md5), "mime": mime,
                   "class": klass, "updated_at": content.updated_at or at,
                   "internal_vfs_id": d.sha256}
            if content.metadata is not None:
                new["metadata"] = content.metadata
            meta = touched(old, actor, at)
            meta.update(uploadedAt=at, uploadedOn=actor.instance_url)
            new["cozyMetadata"] = meta
            check("PUT", old)
            check("PUT", new)
            self._room(inst, d.size - size_of(old))
            fresh = self._store_blob(inst, content, d)
            try:
                saved = self._update(inst, new)
            except Exception:
                if fresh:
                    self.blobs.discard(inst, d.sha256)
                raise
            self._drop_unused(inst, old.get("internal_vfs_id"))
            return saved

    # ---- rename, move, attributes ------------------------------------------------------------

    def patch(self, inst: Instance, doc_id: str, attrs: dict, actor: Actor,
              if_match: str | None = None, check: Check = _allow_all) -> dict | None:
        """``PATCH /files/:id``: the attributes the stack accepts, or the trash and
        permanent-delete flags. None when the document was destroyed."""
        with self.lock(inst):
            old = self.get(inst, doc_id)
            self._if_match(old, if_match)
            if attrs.get("permanent_delete") is True:
                check("PATCH", old)
                self._destroy(inst, old)
                return None
            if attrs.get("move_to_trash") is True:
                check("PATCH", old)
                return self._trash(inst, old, actor)
            if doc_id in names.FIXED:
                raise BadFileRequest("The root and the trash cannot be changed")
            check("PATCH", old)
            new = self._patched(inst, old, attrs, actor)
            check("PATCH", new)
            if is_dir(old):
                return self._move_dir(inst, old, new)
            return self._update(inst, new)

    def _patched(self, inst: Instance, old: dict, attrs: dict, actor: Actor) -> dict:
        """``old`` with the attributes the stack lets a PATCH change, each type-checked."""
        kinds = {"name": str, "dir_id": str, "tags": list, "metadata": dict,
                 "executable": bool, "encrypted": bool}
        new = dict(old)
        for key, kind in kinds.items():
            if key not in attrs or (is_dir(old) and key in ("executable", "encrypted")):
                continue
            value = attrs[key]
            if not isinstance(value, kind) or (kind is list and not all(
                    isinstance(t, str) for t in value)):
                what = {str: "a string", list: "an array of strings", dict: "an object",
                        bool: "true or false"}[kind]
                raise InvalidParameter(key, f"{key} must be {what}")
            new[key] = value
        names.check_name(new["name"])
        at = names.now()
        new["updated_at"] = names.parse_date(attrs.get("updated_at"), "updated_at") or at
        meta = touched(old, actor, at)
        sent = attrs.get("cozyMetadata")
        if isinstance(sent, dict) and isinstance(sent.get("favorite"), bool):
            meta["favorite"] = sent["favorite"]
        new["cozyMetadata"] = meta
        moved = new["dir_id"] != old.get("dir_id")
        if moved or new["name"] != old["name"]:
            if moved and self.in_trash(inst, old):
                raise BadFileRequest("File or directory is already in the trash")
            parent = self._writable_parent(inst, new["dir_id"])
            self._free_name(inst, parent["_id"], new["name"], not is_dir(old), me=old["_id"])
            if is_dir(old):
                path = names.join(parent.get("path", "/"), new["name"])
                if parent["_id"] == old["_id"] or path.startswith(old["path"] + "/"):
                    raise PreconditionFailed("Forbidden document move: a folder cannot go "
                                             "inside itself", "dir-id")
                names.check_depth(path)
                new["path"] = path
        if not is_dir(old) and ("class" in attrs or
                                names.extension(new["name"]) != names.extension(old["name"])):
            # the stack takes the type from the name then, not from the value sent
            new["mime"], new["class"] = names.mime_and_class(None, new["name"])
        return new

    def _move_dir(self, inst: Instance, old: dict, new: dict,
                  trashed: bool | None = None) -> dict:
        """A folder and every folder below it get their new paths in one transaction;
        ``trashed`` sets the flag of every file below (into and out of the trash)."""
        docs = [new]
        below = self.subdirs(inst, old["path"])
        for sub in below:
            docs.append({**sub, "path": new["path"] + sub["path"][len(old["path"]):]})
        if trashed is not None:
            ids = {old["_id"], *(d["_id"] for d in below)}
            docs += [{**f, "trashed": trashed} for f in self.select(inst, {"type": "file"})
                     if f.get("dir_id") in ids and f.get("trashed") is not trashed]
        self._bulk(inst, docs)
        return self.get(inst, old["_id"])

    # ---- trash -------------------------------------------------------------------------------

    def trash(self, inst: Instance, doc_id: str, actor: Actor, if_match: str | None = None,
              check: Check = _allow_all) -> dict:
        with self.lock(inst):
            doc = self.get(inst, doc_id)
            self._if_match(doc, if_match)
            check("PATCH", doc)
            return self._trash(inst, doc, actor)

    def _trash(self, inst: Instance, doc: dict, actor: Actor) -> dict:
        if doc["_id"] in names.FIXED:
            raise BadFileRequest("The root and the trash cannot be trashed")
        if self.in_trash(inst, doc):
            raise BadFileRequest("File or directory is already in the trash")
        self.ensure(inst)
        at = names.now()
        restore = self.path_of(inst, doc).rsplit("/", 1)[0] or "/"
        meta = touched(doc, actor, at)
        meta["trashedAt"] = at
        name = self._free_name(inst, TRASH_ID, doc["name"], not is_dir(doc), rename=True)
        new = {**doc, "dir_id": TRASH_ID, "name": name, "restore_path": restore,
               "cozyMetadata": meta}
        if is_dir(doc):
            new["path"] = names.join(TRASH_PATH, name)
            return self._move_dir(inst, doc, new, trashed=True)
        return self._update(inst, {**new, "trashed": True})

    def restore(self, inst: Instance, doc_id: str, actor: Actor,
                check: Check = _allow_all) -> dict:
        with self.lock(inst):
            doc = self.get(inst, doc_id)
            check("PATCH", doc)
            if not self.in_trash(inst, doc) or doc_id in names.FIXED:
                raise BadFileRequest("File or directory is not in the trash")
            target = self.mkdir_p(inst, self._restore_path(inst, doc), actor)
            base = _strip_suffix(doc["name"])
            name = self._free_name(inst, target["_id"], base, not is_dir(doc), rename=True)
            new = {k: v for k, v in doc.items() if k != "restore_path"}
            new.update(dir_id=target["_id"], name=name,
                       cozyMetadata={k: v for k, v in touched(doc, actor, names.now()).items()
                                     if k != "trashedAt"})
            if is_dir(doc):
                new["path"] = names.join(target.get("path", "/"), name)
                return self._move_dir(inst, doc, new, trashed=False)
            return self._update(inst, {**new, "trashed": False})

    def _restore_path(self, inst: Instance, doc: dict) -> str:
        """Where a trashed document goes back: its ``restore_path``, or, inside a trashed
        folder, that folder's restore path and the rest of the way."""
        if doc.get("restore_path"):
            return doc["restore_path"]
        rel = self.path_of(inst, doc)[len(TRASH_PATH) + 1:]
        top, _, rest = rel.partition("/")
        root = self.dir_by_path(inst, names.join(TRASH_PATH, top))
        if root is not None and root.get("restore_path"):
            parent = rest.rsplit("/", 1)[0] if "/" in rest else ""
            return "/".join(p for p in (root["restore_path"].rstrip("/"),
                                        _strip_suffix(root["name"]), parent) if p) or "/"
        return "/"

    def destroy(self, inst: Instance, doc_id: str, if_match: str | None = None,
                check: Check = _allow_all) -> None:
        """``DELETE /files/trash/:id``: gone for good, with what is below it."""
        with self.lock(inst):
            doc = self.get(inst, doc_id)
            self._if_match(doc, if_match)
            check("DELETE", doc)
            self._destroy(inst, doc)

    def _destroy(self, inst: Instance, doc: dict) -> None:
        if doc["_id"] in names.FIXED:
            raise BadFileRequest("The root and the trash cannot be destroyed")
        gone = [doc, *self.descendants(inst, doc)] if is_dir(doc) else [doc]
        self._bulk(inst, [{"_id": d["_id"], "_rev": d["_rev"], "_deleted": True}
                          for d in gone])
        self._drop_unused(inst, *(d.get("internal_vfs_id") for d in gone))

    def empty_trash(self, inst: Instance, check: Check = _allow_all) -> None:
        self.ensure(inst)
        with self.lock(inst):
            check("DELETE", self.get(inst, TRASH_ID))
            for child in self.children(inst, TRASH_ID):
                self._destroy(inst, child)

    # ---- references --------------------------------------------------------------------------

    def references(self, inst: Instance, doc_id: str, refs: list[dict], add: bool,
                   actor: Actor, check: Check = _allow_all) -> dict:
        """Add or remove ``referenced_by`` entries (``{"type", "id"}``) of a file or folder."""
        with self.lock(inst):
            doc = self.get(inst, doc_id)
            check("PATCH" if add else "DELETE", doc)
            have = [r for r in doc.get("referenced_by") or [] if isinstance(r, dict)]
            if add:
                have += [r for r in refs if r not in have]
            else:
                have = [r for r in have if r not in refs]
            new = {**doc, "cozyMetadata": touched(doc, actor, names.now())}
            if have:
                new["referenced_by"] = have
            else:
                new.pop("referenced_by", None)
            return self._update(inst, new)


def _strip_suffix(name: str) -> str:
    """``report (2).pdf`` → ``report.pdf`` (a name the trash gave, when restoring)."""
    base, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    if base.endswith(")") and " (" in base:
        head, _, num = base[:-1].rpartition(" (")
        if num.isdigit() and head:
            return f"{head}{dot}{ext}"
    return name
