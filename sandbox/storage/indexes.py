"""Mango indexes of a doctype: design documents, the SQL expression indexes behind them, and
a short-lived cache of which indexes exist (read on every ``_find``).

``_index`` records the definition at once and asks the builder for a real SQL index on the
fields' collation keys (see :mod:`sandbox.storage.dialect`), partial to one instance and
doctype, one per distinct set of fields. What one tester may ask for is capped:
``max_per_doctype`` definitions per doctype and ``max_per_instance`` in all (a clear error
past them); and the database holds at most ``max_sql`` SQL indexes (past it, definitions still
work, from a scan), so the testers together cannot make every write check an unbounded number
of partial indexes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from sandbox.errors import BadRequest, Conflict
from sandbox.mango.selector import Limits, parse, split_path
from sandbox.storage.dialect import Dialect
from sandbox.storage.documents import DOCS, DocumentStore, NotFound
from sandbox.storage.epochs import INDEXES, Epochs
from sandbox.storage.finder_spec import sort_spec
from sandbox.storage.index_builder import IndexBuilder
from sandbox.storage.tables import indexes

CATALOG_S = 1.0


@dataclass(frozen=True)
class IndexLimits:
    max_per_doctype: int = 32
    max_per_instance: int = 128
    max_sql: int = 5000


@dataclass
class Index:
    ddoc: str       # "_design/by_x"
    name: str
    fields: list[tuple[str, str]]  # (field, "asc"|"desc")
    partial: dict | None

    @property
    def names(self) -> list[str]:
        return [f for f, _ in self.fields]


MAX_FIELDS = 16


def _index_fields(spec: Any) -> list[tuple[str, str]]:
    if not isinstance(spec, list) or not spec:
        raise BadRequest("index.fields must be a non-empty array of field names", "bad_request")
    if len(spec) > MAX_FIELDS:
        raise BadRequest(f"index.fields has {len(spec)} fields; an index takes at most "
                         f"{MAX_FIELDS}", "bad_request")
    return sort_spec(spec)


class Indexes:
    def __init__(self, documents: DocumentStore, limits: Limits,
                 caps: IndexLimits = IndexLimits(), build_share: float = 0.2):
        self.documents = documents
        self.db = documents.db
        self.d: Dialect = documents.d
        self.limits = limits
        self.caps = caps
        self._catalog: dict[tuple[int, str], tuple[float, list[Index]]] = {}
        self.epochs: Epochs | None = None   # tells the other processes (sandbox.service)
        self.builder = IndexBuilder(self.db, build_share)
        documents.on_change.append(self.forget)
        documents.on_drop.append(drop_indexes)
        self._queue_missing()

    def _queue_missing(self) -> None:
        """SQL indexes recorded but not built (the process stopped first): build them now."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(indexes.c.sql_name, indexes.c.instance_id,
                                          indexes.c.doctype, indexes.c.fields).distinct()).all()
        built = self.builder.existing()
        for sql_name, instance_id, doctype, fields in rows:
            if sql_name not in built and sql_name.startswith("mx_"):
                paths = [split_path(f) for f, _ in orjson.loads(fields)]
                if self._buildable(paths):
                    self.builder.request(sql_name, self.d.index_sql(sql_name, paths,
                                                                    instance_id, doctype))

    def close(self) -> None:
        self.builder.close()

    def catalog(self, conn, instance_id: int, doctype: str) -> list[Index]:
        """The doctype's indexes (NotFound if it has no database), cached for ``CATALOG_S``.

        Changes made by this process clear the cache at once; another process's new index or
        dropped database clears it within the cache epochs' bound (``sandbox.storage.epochs``),
        and it expires anyway after ``CATALOG_S``.
        """
        key = (instance_id, doctype)
        hit = self._catalog.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CATALOG_S:
            return hit[1]
        self.documents.require_db(conn, instance_id, doctype)
        found = self.list_indexes(conn, instance_id, doctype)
        if len(self._catalog) > 50_000:
            self._catalog.clear()
        self._catalog[key] = (now, found)
        return found

    def forget(self, instance_id: int, doctype: str) -> None:
        self._catalog.pop((instance_id, doctype), None)

    def forget_all(self) -> None:
        """Another process changed some doctype's indexes."""
        self._catalog.clear()

    def _changed(self, conn) -> None:
        """Tell the other processes, in the transaction that changes the indexes."""
        if self.epochs is not None:
            self.epochs.bump(INDEXES, conn)

    def list_indexes(self, conn, instance_id: int, doctype: str) -> list[Index]:
        ph = self.db.ph  # plain SQL: this runs on every _find
        sql = (f"SELECT ddoc, name, fields, partial FROM mango_indexes WHERE instance_id = {ph} "
               f"AND doctype = {ph} ORDER BY ddoc")
        return [Index(_text(ddoc), _text(name), [tuple(x) for x in orjson.loads(fields)],
                      orjson.loads(partial) if partial else None)
                for ddoc, name, fields, partial in conn.exec_driver_sql(sql,
                                                                        (instance_id, doctype))]

    def define_index(self, instance_id: int, doctype: str, body: dict) -> dict:
        self.forget(instance_id, doctype)
        spec = body.get("index")
        if not isinstance(spec, dict):
            raise BadRequest("Missing required key: index", "bad_request")
        fields = _index_fields(spec.get("fields"))
        partial = spec.get("partial_filter_selector")
        if partial is not None:
            parse(partial, self.limits)
        ddoc = body.get("ddoc")
        if ddoc is not None and (not isinstance(ddoc, str) or not ddoc):
            raise BadRequest("ddoc must be a non-empty string", "bad_request")
        key = orjson.dumps([fields, partial])
        digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()
        ddoc_id = ddoc if ddoc and ddoc.startswith("_design/") else f"_design/{ddoc or digest}"
        name = body.get("name") or digest
        with self.db.write() as conn:
            self.documents.ensure_db(conn, instance_id, doctype)
            present = self.list_indexes(conn, instance_id, doctype)
            for ix in present:
                if ix.fields == fields and ix.partial == partial and (ix.ddoc == ddoc_id or
                                                                       not ddoc):
                    return {"result": "exists", "id": ix.ddoc, "name": ix.name}
            self._check_caps(conn, instance_id, doctype, ddoc_id, present)
            build = self._write_index(conn, instance_id, doctype, ddoc_id, name, fields,
                                      partial)
            self._changed(conn)
        if build is not None:
            self.builder.request(*build)
        return {"result": "created", "id": ddoc_id, "name": name}

    def _check_caps(self, conn, instance_id: int, doctype: str, ddoc_id: str,
                    present: list[Index]) -> None:
        if any(ix.ddoc == ddoc_id for ix in present):
            return  # a definition replaced, not added
        if len(present) >= self.caps.max_per_doctype:
            raise BadRequest(f"this doctype already has {len(present)} indexes, the most one "
                             "personal cloud may define per doctype; delete unused ones "
                             "(DELETE /data/{doctype}/_design/{ddoc}) or reuse one",
                             "too_many_indexes")
        total = conn.execute(sa.select(sa.func.count()).where(
            indexes.c.instance_id == instance_id)).scalar()
        if total >= self.caps.max_per_instance:
            raise BadRequest(f"this personal cloud already has {total} indexes, the most it may "
                             "define; delete unused ones", "too_many_indexes")

    def _write_index(self, conn, instance_id, doctype, ddoc_id, name, fields,
                     partial) -> tuple[str, str] | None:
        """Record the definition; the SQL index to build, if one should be."""
        design = {"language": "query", "views": {name: {
            "map": {"fields": {f: d for f, d in fields},
                    "partial_filter_selector": partial or {}},
            "reduce": "_count",
            "options": {"def": {"fields": [{f: d} for f, d in fields]}}}}}
        existing = self.documents._row(conn, instance_id, doctype, ddoc_id)
        if existing is not None and not existing.deleted:
            doc = orjson.loads(existing[3])
            doc.setdefault("views", {}).update(design["views"])
            doc["language"] = "query"
            self.documents._update(conn, instance_id, doctype, ddoc_id, doc)
        else:
            self.documents._create(conn, instance_id, doctype, design, ddoc_id)
        paths = [split_path(f) for f, _ in fields]
        sql_name = "mx_" + hashlib.sha1(orjson.dumps([instance_id, doctype, paths]),
                                        usedforsecurity=False).hexdigest()[:24]
        conn.execute(sa.delete(indexes).where(indexes.c.instance_id == instance_id,
                                              indexes.c.doctype == doctype,
                                              indexes.c.ddoc == ddoc_id))
        conn.execute(sa.insert(indexes).values(
            instance_id=instance_id, doctype=doctype, ddoc=ddoc_id, name=name,
            fields=orjson.dumps(fields).decode(),
            partial=orjson.dumps(partial).decode() if partial is not None else None,
            sql_name=sql_name))
        if not self._buildable(paths):
            return None
        others = conn.execute(sa.select(sa.func.count(sa.distinct(indexes.c.sql_name))).where(
            indexes.c.sql_name != sql_name)).scalar()
        if others >= self.caps.max_sql:
            return None  # the definition works from a scan; writes stay cheap for everyone
        return sql_name, self.d.index_sql(sql_name, paths, instance_id, doctype)

    def _buildable(self, paths: list[tuple[str, ...]]) -> bool:
        return all(self.d.usable_path(p) for p in paths) and \
            all(p not in (("_id",), ("_rev",)) for p in paths)

    def delete_design(self, instance_id: int, doctype: str, ddoc_id: str, rev: str) -> dict:
        self.forget(instance_id, doctype)
        with self.db.write() as conn:
            res = self.documents._delete(conn, instance_id, doctype, ddoc_id, rev)
            self._drop_sql(conn, instance_id, doctype, ddoc_id)
            self._changed(conn)
        return {"ok": True, "id": res.id, "rev": res.rev}

    def _drop_sql(self, conn, instance_id, doctype, ddoc_id) -> None:
        q = sa.select(indexes.c.sql_name).where(indexes.c.instance_id == instance_id,
                                                indexes.c.doctype == doctype,
                                                indexes.c.ddoc == ddoc_id)
        names = [r[0] for r in conn.execute(q).all()]
        conn.execute(sa.delete(indexes).where(indexes.c.instance_id == instance_id,
                                              indexes.c.doctype == doctype,
                                              indexes.c.ddoc == ddoc_id))
        _drop_unused(conn, names)

    def copy_design(self, instance_id: int, doctype: str, ddoc_id: str, rev: str,
                    destination: str) -> dict:
        self.forget(instance_id, doctype)
        if not destination.startswith("_design/"):
            raise BadRequest("Destination must be a design document id", "bad_request")
        with self.db.write() as conn:
            row = self.documents._row(conn, instance_id, doctype, ddoc_id)
            if row is None or row.deleted:
                raise NotFound("missing")
            if row.rev != rev:
                raise Conflict()
            doc = orjson.loads(row[3])
            res = self.documents._create(conn, instance_id, doctype, doc, destination)
            q = sa.select(indexes).where(indexes.c.instance_id == instance_id,
                                         indexes.c.doctype == doctype, indexes.c.ddoc == ddoc_id)
            for r in conn.execute(q).all():
                conn.execute(sa.insert(indexes).values(
                    instance_id=instance_id, doctype=doctype, ddoc=destination, name=r.name,
                    fields=r.fields, partial=r.partial, sql_name=r.sql_name))
            self._changed(conn)
        return {"ok": True, "id": res.id, "rev": res.rev}

    def design_docs(self, instance_id: int, doctype: str, include_docs: bool) -> dict:
        with self.db.read() as conn:
            self.documents.require_db(conn, instance_id, doctype)
            q = sa.select(DOCS.doc_id, DOCS.rev, self.d.body_text()).where(
                DOCS.instance_id == instance_id, DOCS.doctype == doctype,
                DOCS.deleted.is_(False), DOCS.doc_id.startswith("_design/")).order_by(DOCS.doc_id)
            rows = []
            for r in conn.execute(q):
                row = {"id": r.doc_id, "key": r.doc_id, "value": {"rev": r.rev}}
                if include_docs:
                    row["doc"] = orjson.Fragment(r[2])
                rows.append(row)
            return {"total_rows": len(rows), "offset": 0, "rows": rows}


def _text(v: str | bytes) -> str:
    return v.decode() if isinstance(v, bytes) else v


def drop_indexes(conn, instance_id: int, doctype: str | None = None) -> None:
    """Forget the index definitions of a doctype (or of every doctype) of an instance, and
    drop the SQL indexes no other definition uses."""
    where = [indexes.c.instance_id == instance_id]
    if doctype is not None:
        where.append(indexes.c.doctype == doctype)
    names = [r[0] for r in conn.execute(sa.select(indexes.c.sql_name).where(*where)).all()]
    conn.execute(sa.delete(indexes).where(*where))
    _drop_unused(conn, names)


def _drop_unused(conn, names: list[str]) -> None:
    for name in set(names):
        used = conn.execute(sa.select(sa.func.count()).where(
            indexes.c.sql_name == name)).scalar()
        if not used:
            conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')


