"""Documents of one instance and doctype: CRUD with revisions, bulk, listings, changes.

Every committed write of a document (single, bulk, load; not design documents, whose writes
the stack does not announce either) is published on the sandbox's event bus when somebody
listens to the instance, in this process or another one on the database (``sandbox.events``,
its ``Relay``); it is noted inside the transaction, written to the relay's outbox as the
transaction commits and published here after its commit, so a rolled-back write announces
nothing. Writers that use this module's ``_create``/``_update``/``_delete`` inside their own
``db.write()`` transaction get the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from sandbox.errors import BadRequest, Conflict, NotFound
from sandbox.events import CREATED, DELETED, UPDATED, Event, EventBus
from sandbox.storage.database import Database, after_commit, before_commit, tx_state
from sandbox.storage.revs import new_id, next_rev, valid_rev
from sandbox.storage.tables import databases, documents

Allow = Callable[[str, dict], bool]   # (verb, document) → may the caller do that to it

DOCS = documents.c
NO_DB = "Database does not exist."


def _dumps(doc: dict) -> bytes:
    return orjson.dumps(doc)


@dataclass
class WriteResult:
    id: str
    rev: str
    body: bytes  # the stored document, _id and _rev first


def with_type(body: bytes | str, doctype: str) -> bytes:
    """Add ``_type`` to a stored document without parsing it."""
    raw = body.encode() if isinstance(body, str) else body
    prefix = b'{"_type":' + orjson.dumps(doctype)
    return prefix + (b"," + raw[1:] if raw.strip() != b"{}" else b"}")


def _stored(doc_id: str, rev: str, fields: dict) -> bytes:
    body = {"_id": doc_id, "_rev": rev}
    body.update({k: v for k, v in fields.items() if k not in ("_id", "_rev", "_type")})
    return _dumps(body)


def prepare(doc: dict) -> tuple[str, str, str]:
    """(id, rev, stored body) of a new document, as every load stores it: a writer may
    prepare its rows long before :meth:`DocumentStore.insert_prepared` writes them."""
    doc_id = doc.get("_id") or new_id()
    rev = next_rev(None, _dumps(doc))
    return doc_id, rev, _stored(doc_id, rev, doc).decode()


def _forbidden(doc_id: Any, what: str) -> dict:
    return {"id": doc_id, "error": "forbidden",
            "reason": f"this token may not {what} this document"}


def _check_fields(doc: dict) -> None:
    bad = [k for k in doc if k.startswith("_") and k not in ("_id", "_rev", "_type", "_deleted",
                                                             "_attachments")]
    if bad:
        raise BadRequest(f"Bad special document member: {bad[0]}", "doc_validation")


class DocumentStore:
    def __init__(self, db: Database, events: EventBus | None = None):
        self.db = db
        self.d = db.dialect
        self.events = events
        # called with (instance_id, doctype) when a database appears or disappears
        self.on_change: list = []
        self.on_drop: list = []     # (conn, instance_id, doctype) → None

    # ---- write events ----------------------------------------------------------------------

    def _listened(self, conn, instance_id: int) -> bool:
        """Whether anybody listens to the instance, here or in another process."""
        return self.events is not None and self.events.heard(conn, instance_id)

    def _pending(self, conn) -> list[Event] | None:
        """The events of ``conn``'s write transaction so far (None outside one): on commit
        they go to the other processes' listeners (in the transaction) and to this one's
        (after it)."""
        tx = tx_state(conn)
        if tx is None or self.events is None:
            return None
        events = tx.get("events")
        if events is None:
            events = tx["events"] = []
            bus = self.events
            if bus.relay is not None:
                relay = bus.relay
                before_commit(conn).append(lambda: relay.write(conn, events))
            after_commit(conn).append(lambda: bus.publish(events))
        return events

    def _note(self, conn, instance_id: int, doctype: str, verb: str, doc_id: str,
              body: bytes) -> None:
        """Publish this write once the transaction commits, if anybody listens."""
        if doc_id.startswith("_design/") or not self._listened(conn, instance_id):
            return
        pending = self._pending(conn)
        if pending is not None:
            pending.append(Event(instance_id, doctype, verb, doc_id, body))

    def _note_many(self, conn, events: list[Event]) -> None:
        pending = self._pending(conn) if events else None
        if pending is not None:
            pending.extend(events)

    def _changed(self, instance_id: int, doctype: str) -> None:
        for callback in self.on_change:
            callback(instance_id, doctype)

    # ---- databases -------------------------------------------------------------------------

    def _where(self, instance_id: int, doctype: str):
        return sa.and_(DOCS.instance_id == instance_id, DOCS.doctype == doctype)

    def db_exists(self, conn: sa.Connection, instance_id: int, doctype: str) -> bool:
        ph = self.db.ph  # plain SQL: this runs on every request
        sql = f"SELECT 1 FROM databases WHERE instance_id = {ph} AND doctype = {ph}"
        return conn.exec_driver_sql(sql, (instance_id, doctype)).first() is not None

    def require_db(self, conn: sa.Connection, instance_id: int, doctype: str) -> None:
        if not self.db_exists(conn, instance_id, doctype):
            raise NotFound(NO_DB)

    def ensure_db(self, conn: sa.Connection, instance_id: int, doctype: str) -> bool:
        """Create the doctype's database if missing; True when it was created."""
        if self.db_exists(conn, instance_id, doctype):
            return False
        conn.execute(sa.insert(databases).values(instance_id=instance_id, doctype=doctype,
                                                 created_at=time.time()))
        self._changed(instance_id, doctype)
        return True

    def copy_instance(self, conn, source_id: int, copy_id: int) -> None:
        """Copy every database and document of an instance into another, inside SQL."""
        conn.execute(databases.insert().from_select(
            ["instance_id", "doctype", "created_at"],
            sa.select(sa.literal(copy_id), databases.c.doctype, databases.c.created_at)
            .where(databases.c.instance_id == source_id)))
        cols = ["instance_id", "doctype", "doc_id", "rev", "deleted", "body"]
        conn.execute(documents.insert().from_select(
            cols, sa.select(sa.literal(copy_id), DOCS.doctype, DOCS.doc_id, DOCS.rev,
                            DOCS.deleted, DOCS.body)
            .where(DOCS.instance_id == source_id).order_by(DOCS.seq)))

    def delete_instance(self, conn, instance_id: int) -> None:
        for table in (documents, databases):
            conn.execute(sa.delete(table).where(table.c.instance_id == instance_id))

    def create_db(self, instance_id: int, doctype: str) -> bool:
        with self.db.write() as conn:
            return self.ensure_db(conn, instance_id, doctype)

    def drop_db(self, instance_id: int, doctype: str) -> None:
        with self.db.write() as conn:
            self.require_db(conn, instance_id, doctype)
            for drop in self.on_drop:  # the indexes of the doctype go in the same transaction
                drop(conn, instance_id, doctype)
            conn.execute(sa.delete(documents).where(self._where(instance_id, doctype)))
            conn.execute(sa.delete(databases).where(databases.c.instance_id == instance_id,
                                                    databases.c.doctype == doctype))
        self._changed(instance_id, doctype)

    def doctypes(self, instance_id: int) -> list[str]:
        with self.db.read() as conn:
            q = (sa.select(databases.c.doctype).where(databases.c.instance_id == instance_id)
                 .order_by(databases.c.doctype))
            return [r[0] for r in conn.execute(q)]

    def db_info(self, instance_id: int, doctype: str) -> dict:
        with self.db.read() as conn:
            self.require_db(conn, instance_id, doctype)
            w = self._where(instance_id, doctype)
            live = conn.execute(sa.select(sa.func.count()).where(w, DOCS.deleted.is_(False)))
            dead = conn.execute(sa.select(sa.func.count()).where(w, DOCS.deleted.is_(True)))
            seq = conn.execute(sa.select(sa.func.max(DOCS.seq)).where(w)).scalar()
            return {"db_name": doctype, "doc_count": live.scalar(), "doc_del_count": dead.scalar(),
                    "update_seq": str(seq or 0), "instance_start_time": "0"}

    # ---- single documents ------------------------------------------------------------------

    def _row(self, conn, instance_id, doctype, doc_id):
        q = (sa.select(DOCS.seq, DOCS.rev, DOCS.deleted, self.d.body_text())
             .where(self._where(instance_id, doctype), DOCS.doc_id == doc_id))
        return conn.execute(q).first()

    def get(self, instance_id: int, doctype: str, doc_id: str) -> bytes:
        with self.db.read() as conn:
            row = self._row(conn, instance_id, doctype, doc_id)
            if row is None:
                if not self.db_exists(conn, instance_id, doctype):
                    raise NotFound("wrong_doctype")
                raise NotFound("missing")
            if row.deleted:
                raise NotFound("deleted")
            body = row[3]
            return body.encode() if isinstance(body, str) else body

    def get_dict(self, instance_id: int, doctype: str, doc_id: str) -> dict | None:
        try:
            return orjson.loads(self.get(instance_id, doctype, doc_id))
        except NotFound:
            return None

    def _insert(self, conn, instance_id, doctype, doc_id, rev, body: bytes, deleted=False):
        conn.execute(sa.insert(documents).values(
            instance_id=instance_id, doctype=doctype, doc_id=doc_id, rev=rev, deleted=deleted,
            body=self.d.body_param("b")), {"b": body.decode()})

    def create(self, instance_id: int, doctype: str, doc: dict,
               doc_id: str | None = None) -> WriteResult:
        """POST (server id) or PUT with a fixed id and no _rev."""
        _check_fields(doc)
        with self.db.write() as conn:
            self.ensure_db(conn, instance_id, doctype)
            return self._create(conn, instance_id, doctype, doc, doc_id)

    def _create(self, conn, instance_id, doctype, doc, doc_id) -> WriteResult:
        doc_id = doc_id or new_id()
        existing = self._row(conn, instance_id, doctype, doc_id)
        previous = None
        if existing is not None:
            if not existing.deleted:
                raise Conflict()
            previous = existing.rev
            conn.execute(sa.delete(documents).where(DOCS.seq == existing.seq))
        res = self._write_revision(conn, instance_id, doctype, doc_id, previous, doc)
        self._note(conn, instance_id, doctype, CREATED, doc_id, res.body)
        return res

    def _write_revision(self, conn, instance_id: int, doctype: str, doc_id: str,
                        previous: str | None, doc: dict) -> WriteResult:
        """Insert the revision after ``previous`` (None for a new document)."""
        content = _dumps({k: v for k, v in doc.items() if k not in ("_id", "_rev", "_type")})
        rev = next_rev(previous, content)
        body = _stored(doc_id, rev, doc)
        self._insert(conn, instance_id, doctype, doc_id, rev, body)
        return WriteResult(doc_id, rev, body)

    def update(self, instance_id: int, doctype: str, doc_id: str, doc: dict) -> WriteResult:
        _check_fields(doc)
        rev = doc.get("_rev")
        if not valid_rev(rev):
            raise BadRequest("Invalid rev format", "bad_request")
        with self.db.write() as conn:
            return self._update(conn, instance_id, doctype, doc_id, doc)

    def _take_current(self, conn, instance_id: int, doctype: str, doc_id: str, rev: str,
                      tombstone_error: Exception) -> None:
        """Remove the current revision ``rev`` of a live document (its successor is inserted
        next), or raise what the stack answers: no database, missing, the given error for a
        deleted document, or a conflict for a stale revision. Concurrent writers: one wins."""
        gone = conn.execute(sa.delete(documents).where(
            self._where(instance_id, doctype), DOCS.doc_id == doc_id, DOCS.rev == rev,
            DOCS.deleted.is_(False)))
        if gone.rowcount == 1:
            return
        row = self._row(conn, instance_id, doctype, doc_id)
        if row is None:
            raise NotFound(NO_DB if not self.db_exists(conn, instance_id, doctype)
                           else "missing")
        raise tombstone_error if row.deleted else Conflict()

    def _update(self, conn, instance_id, doctype, doc_id, doc) -> WriteResult:
        rev = doc["_rev"]
        self._take_current(conn, instance_id, doctype, doc_id, rev, Conflict())
        res = self._write_revision(conn, instance_id, doctype, doc_id, rev, doc)
        self._note(conn, instance_id, doctype, UPDATED, doc_id, res.body)
        return res

    def delete(self, instance_id: int, doctype: str, doc_id: str, rev: str) -> WriteResult:
        if not valid_rev(rev):
            raise BadRequest("Invalid rev format", "bad_request")
        with self.db.write() as conn:
            return self._delete(conn, instance_id, doctype, doc_id, rev)

    def _delete(self, conn, instance_id, doctype, doc_id, rev) -> WriteResult:
        # the stack announces the last version with the new revision: read it only when
        # somebody listens
        last = self._row(conn, instance_id, doctype, doc_id) \
            if self._listened(conn, instance_id) else None
        self._take_current(conn, instance_id, doctype, doc_id, rev, NotFound("deleted"))
        new = next_rev(rev, b"deleted")
        body = _dumps({"_id": doc_id, "_rev": new, "_deleted": True})
        self._insert(conn, instance_id, doctype, doc_id, new, body, deleted=True)
        if last is not None:
            fields = orjson.loads(last[3])
            self._note(conn, instance_id, doctype, DELETED, doc_id,
                       _dumps({**fields, "_rev": new, "_deleted": True}))
        return WriteResult(doc_id, new, body)

    # ---- bulk ------------------------------------------------------------------------------

    def bulk_docs(self, instance_id: int, doctype: str, docs: list[Any],
                  allow: Allow = lambda _verb, _doc: True) -> list[dict]:
        """CouchDB ``_bulk_docs``: one result per document, in order, errors per document.

        New documents (no ``_rev``) are inserted in one batch after one look-up of the ids they
        name; updates, deletions and re-creations over a tombstone go one by one. ``allow``
        is asked about what each document really does — ``POST`` (create), ``PUT`` (change:
        the stored and the new version) or ``DELETE`` (the stored version) — and a document it
        refuses gets a ``forbidden`` error of its own, as CouchDB's validation answers.
        """
        out: list[dict | None] = [None] * len(docs)
        fresh: list[tuple[int, str, dict]] = []   # (position, id, doc) to insert
        single: list[int] = []
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict):
                out[i] = {"error": "bad_request", "reason": "Document must be a JSON object"}
                continue
            doc_id = doc.get("_id")
            try:
                _check_fields(doc)
                if doc_id is not None and (not isinstance(doc_id, str) or not doc_id):
                    raise BadRequest("Document id must be a non-empty string", "bad_request")
                if isinstance(doc_id, str) and doc_id.startswith("_") and not \
                        doc_id.startswith("_design/"):
                    raise BadRequest("Only reserved document ids may start with underscore.",
                                     "illegal_docid")
            except BadRequest as exc:
                out[i] = {"id": doc_id, "error": exc.error, "reason": exc.reason}
                continue
            if doc.get("_rev") is None and not doc.get("_deleted"):
                fresh.append((i, doc_id or new_id(), doc))
            else:
                single.append(i)
        with self.db.write() as conn:
            self.ensure_db(conn, instance_id, doctype)
            named = [d for _, d, _ in fresh]
            existing: dict[str, bool] = {}
            for chunk in range(0, len(named), 5000):
                q = sa.select(DOCS.doc_id, DOCS.deleted).where(
                    self._where(instance_id, doctype),
                    DOCS.doc_id.in_(named[chunk:chunk + 5000]))
                existing.update({r.doc_id: r.deleted for r in conn.execute(q)})
            rows, seen = [], set()
            for i, doc_id, doc in fresh:
                if doc_id in seen or existing.get(doc_id) is False:
                    out[i] = {"id": doc_id, "error": "conflict",
                              "reason": "Document update conflict."}
                elif not allow("POST", {**doc, "_id": doc_id}):
                    out[i] = _forbidden(doc_id, "create")
                elif doc_id in existing:  # over a tombstone: keep the revision history
                    single.append(i)
                else:
                    seen.add(doc_id)
                    content = _dumps({k: v for k, v in doc.items()
                                      if k not in ("_id", "_rev", "_type")})
                    rev = next_rev(None, content)
                    rows.append({"instance_id": instance_id, "doctype": doctype,
                                 "doc_id": doc_id, "rev": rev, "deleted": False,
                                 "b": _stored(doc_id, rev, doc).decode()})
                    out[i] = {"ok": True, "id": doc_id, "rev": rev}
            if rows:
                conn.execute(self._insert_many(), rows)
                self._note_rows(conn, instance_id, doctype, rows)
            for i in sorted(single):
                if out[i] is None:
                    out[i] = self._bulk_one(conn, instance_id, doctype, docs[i], allow)
        return [r for r in out if r is not None]

    def _insert_many(self):
        return sa.insert(documents).values(
            instance_id=sa.bindparam("instance_id"), doctype=sa.bindparam("doctype"),
            doc_id=sa.bindparam("doc_id"), rev=sa.bindparam("rev"),
            deleted=sa.bindparam("deleted"), body=self.d.body_param("b"))

    def _bulk_one(self, conn, instance_id: int, doctype: str, doc: dict,
                  allow: Allow) -> dict:
        doc_id = doc.get("_id")
        refused = self._refused(conn, instance_id, doctype, doc, allow)
        if refused:
            return _forbidden(doc_id, refused)
        pending = self._pending(conn)
        noted = len(pending) if pending is not None else 0
        try:
            with conn.begin_nested():
                if doc.get("_deleted"):
                    if not doc_id or not valid_rev(doc.get("_rev")):
                        raise Conflict()
                    res = self._delete(conn, instance_id, doctype, doc_id, doc["_rev"])
                elif doc.get("_rev") is not None:
                    if not doc_id or not valid_rev(doc["_rev"]):
                        raise BadRequest("Invalid rev format", "bad_request")
                    res = self._update(conn, instance_id, doctype, doc_id, doc)
                else:
                    res = self._create(conn, instance_id, doctype, doc, doc_id)
            return {"ok": True, "id": res.id, "rev": res.rev}
        except (Conflict, NotFound):
            _forget_since(pending, noted)
            return {"id": doc_id, "error": "conflict", "reason": "Document update conflict."}
        except BadRequest as exc:
            _forget_since(pending, noted)
            return {"id": doc_id, "error": exc.error, "reason": exc.reason}

    def _refused(self, conn, instance_id: int, doctype: str, doc: dict,
                 allow: Allow) -> str | None:
        """What ``allow`` refuses of this write ("create", "change", "delete"), or None. A
        write that would fail anyway (nothing stored to change) is left to fail as a
        conflict."""
        doc_id = doc.get("_id")
        row = self._row(conn, instance_id, doctype, doc_id) if isinstance(doc_id, str) else None
        stored = orjson.loads(row[3]) if row is not None and not row.deleted else None
        if doc.get("_deleted"):
            return "delete" if stored is not None and not allow("DELETE", stored) else None
        if doc.get("_rev") is not None:
            if stored is not None and not (allow("PUT", doc) and allow("PUT", stored)):
                return "change"
            return None
        return "create" if not allow("POST", doc) else None

    def load(self, instance_id: int, doctype: str, docs: list[dict]) -> int:
        """Fast path for loading generated data: new documents only, one transaction.

        Like any write it announces CREATED per document to whoever listens to the instance
        (simulated time feeding a live cloud). A population load publishes nothing: it creates
        each instance just before, so no token, hence no listener, exists for it yet."""
        with self.db.write() as conn:
            return self.load_in(conn, instance_id, doctype, docs)

    def load_in(self, conn, instance_id: int, doctype: str, docs: list[dict]) -> int:
        """:meth:`load` inside the caller's write transaction (live deliveries take their
        pending rows out in the same one)."""
        self.ensure_db(conn, instance_id, doctype)
        self.insert_prepared(conn, [(instance_id, doctype, *prepare(doc)) for doc in docs])
        return len(docs)

    def ensure_dbs(self, conn, pairs: set[tuple[int, str]]) -> None:
        """:meth:`ensure_db` for many (instance, doctype) pairs, in two statements."""
        if not pairs:
            return
        ids = sorted({i for i, _ in pairs})
        existing: set[tuple[int, str]] = set()
        for n in range(0, len(ids), 5000):
            q = sa.select(databases.c.instance_id, databases.c.doctype).where(
                databases.c.instance_id.in_(ids[n:n + 5000]))
            existing.update((r[0], r[1]) for r in conn.execute(q))
        missing = sorted(pairs - existing)
        if missing:
            now = time.time()
            conn.execute(sa.insert(databases), [
                {"instance_id": i, "doctype": d, "created_at": now} for i, d in missing])
            for i, d in missing:
                self._changed(i, d)

    def insert_prepared(self, conn, rows: list[tuple[int, str, str, str, str]]) -> None:
        """Insert new documents as :func:`prepare` made them — (instance id, doctype, id,
        rev, stored body) — in order, in the caller's write transaction, in one statement
        run by the driver (no per-row work here; their databases exist: :meth:`ensure_dbs`).
        CREATED for those of instances somebody listens to."""
        if not rows:
            return
        self._insert_rows(conn, rows)
        if self.events is not None:
            heard = {i for i in {r[0] for r in rows} if self._listened(conn, i)}
            if heard:
                self._note_many(conn, [Event(r[0], r[1], CREATED, r[2], r[4].encode())
                                       for r in rows if r[0] in heard
                                       and not r[2].startswith("_design/")])

    def body_from_text(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """A stored body kept as text elsewhere, as the ``body`` column takes it."""
        return column if self.db.is_sqlite else sa.cast(column, documents.c.body.type)

    def insert_from(self, conn, rows: sa.Select, instances: set[int]) -> None:
        """:meth:`insert_prepared` for rows another table keeps ready: ``rows`` selects
        (instance id, doctype, id, rev, deleted, body — as :func:`prepare` made them; the body
        through :meth:`body_from_text`) in the order to insert, for documents of
        ``instances``. They are copied inside the database, none through Python; only the
        rows of instances somebody listens to are read, for their CREATED events."""
        cols = ["instance_id", "doctype", "doc_id", "rev", "deleted", "body"]
        conn.execute(documents.insert().from_select(cols, rows))
        heard = {i for i in instances if self._listened(conn, i)}
        if heard:
            first = rows.selected_columns[0]
            events = [Event(r[0], r[1], CREATED, r[2],
                            r[5].encode() if isinstance(r[5], str) else _dumps(r[5]))
                      for r in conn.execute(rows.where(first.in_(sorted(heard))))
                      if not r[2].startswith("_design/")]
            self._note_many(conn, events)

    def _insert_rows(self, conn, rows: list[tuple[int, str, str, str, str]]) -> None:
        ph = self.db.ph
        body = ph if self.db.is_sqlite else f"CAST({ph} AS jsonb)"
        no = "0" if self.db.is_sqlite else "false"
        conn.exec_driver_sql(
            "INSERT INTO documents (instance_id, doctype, doc_id, rev, deleted, body) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {no}, {body})", rows)

    def replace_in(self, conn, doctype: str, docs: list[tuple[int, dict]]) -> None:
        """Replace the current revisions of documents (``_id`` set, each at most once;
        created when missing or deleted), whatever they are, in the caller's write
        transaction, in a few statements for all of them: a source updating the documents it
        owns (the konnectors' triggers)."""
        if not docs:
            return
        keys = {(i, d["_id"]) for i, d in docs}
        if len(keys) != len(docs):
            raise ValueError("replace_in: a document is named twice")
        ids = sorted({i for i, _ in keys})
        current: dict[tuple[int, str], tuple[int, str, bool]] = {}
        for n in range(0, len(ids), 5000):
            q = sa.select(DOCS.instance_id, DOCS.doc_id, DOCS.seq, DOCS.rev, DOCS.deleted).where(
                DOCS.instance_id.in_(ids[n:n + 5000]), DOCS.doctype == doctype,
                DOCS.doc_id.in_(sorted({k for _, k in keys})))
            current.update({(r[0], r[1]): (r[2], r[3], r[4]) for r in conn.execute(q)})
        gone, rows, events = [], [], []
        for instance_id, doc in docs:
            doc_id = doc["_id"]
            seq, previous, deleted = current.get((instance_id, doc_id), (None, None, True))
            if seq is not None:
                gone.append((seq,))
            content = _dumps({k: v for k, v in doc.items() if k not in ("_id", "_rev", "_type")})
            rev = next_rev(previous, content)
            body = _stored(doc_id, rev, doc)
            rows.append((instance_id, doctype, doc_id, rev, body.decode()))
            if self._listened(conn, instance_id):
                events.append(Event(instance_id, doctype, CREATED if deleted else UPDATED,
                                    doc_id, body))
        if gone:
            conn.exec_driver_sql(f"DELETE FROM documents WHERE seq = {self.db.ph}", gone)
        self.ensure_dbs(conn, {(i, doctype) for i, _ in docs})
        self._insert_rows(conn, rows)
        self._note_many(conn, events)

    def update_in(self, conn, instance_id: int, doctype: str, doc: dict) -> WriteResult:
        """Replace a document's current revision, whatever it is, in the caller's write
        transaction (a source correcting a value it delivered)."""
        row = self._row(conn, instance_id, doctype, doc["_id"])
        if row is None or row.deleted:
            return self._create(conn, instance_id, doctype, doc, doc["_id"])
        return self._update(conn, instance_id, doctype, doc["_id"], {**doc, "_rev": row.rev})

    def _note_rows(self, conn, instance_id: int, doctype: str, rows: list[dict]) -> None:
        """CREATED for rows inserted in one batch (nothing built when nobody listens)."""
        if self._listened(conn, instance_id):
            self._note_many(conn, [Event(instance_id, doctype, CREATED, r["doc_id"],
                                         r["b"].encode()) for r in rows
                                   if not r["doc_id"].startswith("_design/")])

    # ---- listings --------------------------------------------------------------------------

    def all_docs(self, instance_id: int, doctype: str, *, keys: list | None = None,
                 include_docs: bool = False, limit: int | None = None, skip: int = 0,
                 descending: bool = False, startkey: str | None = None,
                 endkey: str | None = None, design: bool = True) -> dict:
        with self.db.read() as conn:
            self.require_db(conn, instance_id, doctype)
            w = [self._where(instance_id, doctype)]
            total = conn.execute(sa.select(sa.func.count()).where(
                *w, DOCS.deleted.is_(False))).scalar()
            cols = [DOCS.doc_id, DOCS.rev, DOCS.deleted, self.d.body_text()]
            if keys is not None:
                q = sa.select(*cols).where(*w, DOCS.doc_id.in_(
                    [k for k in keys if isinstance(k, str)]))
                found = {r.doc_id: r for r in conn.execute(q)}
                rows = []
                for k in keys:
                    r = found.get(k) if isinstance(k, str) else None
                    if r is None:
                        rows.append({"key": k, "error": "not_found"})
                    elif r.deleted:
                        rows.append({"id": k, "key": k, "value": {"rev": r.rev, "deleted": True},
                                     **({"doc": None} if include_docs else {})})
                    else:
                        rows.append(self._row_json(r, include_docs))
                return {"total_rows": total, "offset": 0, "rows": rows}
            w.append(DOCS.deleted.is_(False))
            if not design:
                w.append(sa.not_(DOCS.doc_id.startswith("_design/")))
            if startkey is not None:
                w.append(DOCS.doc_id <= startkey if descending else DOCS.doc_id >= startkey)
            if endkey is not None:
                w.append(DOCS.doc_id >= endkey if descending else DOCS.doc_id <= endkey)
            order = DOCS.doc_id.desc() if descending else DOCS.doc_id.asc()
            q = sa.select(*cols).where(*w).order_by(order).offset(skip)
            if limit is not None:
                q = q.limit(limit)
            rows = [self._row_json(r, include_docs) for r in conn.execute(q)]
            return {"total_rows": total, "offset": skip, "rows": rows}

    @staticmethod
    def _row_json(r, include_docs: bool) -> dict:
        row = {"id": r.doc_id, "key": r.doc_id, "value": {"rev": r.rev}}
        if include_docs:
            row["doc"] = orjson.Fragment(r[3])
        return row

    def normal_docs(self, instance_id: int, doctype: str, *, limit: int, skip: int,
                    bookmark: str | None) -> dict:
        """Bare documents without design docs; the bookmark is the last id of the page."""
        with self.db.read() as conn:
            self.require_db(conn, instance_id, doctype)
            w = [self._where(instance_id, doctype), DOCS.deleted.is_(False),
                 sa.not_(DOCS.doc_id.startswith("_design/"))]
            total = conn.execute(sa.select(sa.func.count()).where(*w)).scalar()
            q = sa.select(DOCS.doc_id, self.d.body_text()).where(*w)
            q = q.where(DOCS.doc_id > _unbook(bookmark)) if bookmark else q.offset(skip)
            rows = conn.execute(q.order_by(DOCS.doc_id).limit(limit)).all()
            mark = _book(rows[-1][0]) if len(rows) == limit and rows else ""
            return {"rows": [orjson.Fragment(r[1]) for r in rows], "total_rows": total,
                    "bookmark": mark}

    def changes(self, instance_id: int, doctype: str, *, since: str | None, limit: int | None,
                include_docs: bool, doc_ids: list[str] | None = None,
                descending: bool = False) -> dict:
        with self.db.read() as conn:
            self.require_db(conn, instance_id, doctype)
            w = [self._where(instance_id, doctype)]
            if since not in (None, "", "0", 0, "now"):
                try:
                    after = int(str(since).split("-")[0])
                except ValueError:
                    raise BadRequest(f"Malformed since value: {since}") from None
                # past any sequence there is (and inside a SQL integer)
                w.append(DOCS.seq > max(-1, min(after, 2**62)))
            if doc_ids is not None:
                w.append(DOCS.doc_id.in_(doc_ids))
            last = conn.execute(sa.select(sa.func.max(DOCS.seq)).where(
                self._where(instance_id, doctype))).scalar() or 0
            if since == "now":
                return {"last_seq": str(last), "pending": 0, "results": []}
            q = sa.select(DOCS.seq, DOCS.doc_id, DOCS.rev, DOCS.deleted, self.d.body_text()) \
                .where(*w).order_by(DOCS.seq.desc() if descending else DOCS.seq)
            if limit is not None:
                q = q.limit(limit)
            results = []
            for r in conn.execute(q):
                item: dict = {"id": r.doc_id, "seq": str(r.seq), "changes": [{"rev": r.rev}]}
                if r.deleted:
                    item["deleted"] = True
                if include_docs:
                    item["doc"] = orjson.Fragment(r[4])
                results.append(item)
            end = results[-1]["seq"] if results else str(last if descending or not limit
                                                          else (since or 0))
            pending = 0
            if limit is not None and results and not descending:
                pending = conn.execute(sa.select(sa.func.count()).where(
                    self._where(instance_id, doctype), DOCS.seq > int(end))).scalar()
            return {"last_seq": end, "pending": pending, "results": results}


def _forget_since(pending: list | None, noted: int) -> None:
    """Drop the events noted in a savepoint that was rolled back."""
    if pending is not None:
        del pending[noted:]


def _book(last_id: str) -> str:
    import base64

    return base64.urlsafe_b64encode(orjson.dumps({"after": last_id})).decode().rstrip("=")


def _unbook(mark: str) -> str:
    import base64

    try:
        data = orjson.loads(base64.urlsafe_b64decode(mark + "=" * (-len(mark) % 4)))
        return str(data["after"])
    except Exception:
        raise BadRequest("Invalid bookmark value", "invalid_bookmark") from None
