"""Mango ``_find`` and ``_index`` on the document store, with CouchDB's index rules.

The real stack answers ``no_index`` when no index can serve a query (only the _id index
exists), and ``no_usable_index`` when none can serve its sort; cozy-stack-client relies on that
to create the index it needs. We keep the same rules: a query needs an index whose fields the
selector requires (or a selector on _id), and a sort needs an index that starts with the sort
fields. ``_index`` creates a real SQL expression index on the fields' collation keys.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from sandbox.errors import BadRequest, CouchError
from sandbox.mango.match import MISSING, get_path, matches
from sandbox.mango.selector import Bool, Cond, Limits, parse, required_fields, split_path
from sandbox.mango.sql import compile_selector
from sandbox.storage import fastfind
from sandbox.storage.dialect import Dialect
from sandbox.storage.documents import DOCS, DocumentStore, NotFound
from sandbox.storage.revs import next_rev
from sandbox.storage.tables import documents, indexes

MISSING_INDEX_WARNING = "was not used because it does not contain a valid index for this query."
CATALOG_S = 1.0


@dataclass
class Index:
    ddoc: str       # "_design/by_x"
    name: str
    fields: list[tuple[str, str]]  # (field, "asc"|"desc")
    partial: dict | None

    @property
    def names(self) -> list[str]:
        return [f for f, _ in self.fields]


def _sort_spec(sort: Any) -> list[tuple[str, str]]:
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise BadRequest("sort must be an array", "bad_request")
    out = []
    for item in sort:
        if isinstance(item, str):
            out.append((item, "asc"))
        elif isinstance(item, dict) and len(item) == 1:
            (f, d), = item.items()
            if d not in ("asc", "desc"):
                raise BadRequest(f"sort direction of {f} must be asc or desc", "bad_request")
            out.append((f, d))
        else:
            raise BadRequest("each sort item is a field name or {field: asc|desc}", "bad_request")
    if len({d for _, d in out}) > 1:
        raise BadRequest("Sorts currently only support a single direction for all fields.",
                         "unsupported_mixed_sort")
    return out


def _index_fields(spec: Any) -> list[tuple[str, str]]:
    if not isinstance(spec, list) or not spec:
        raise BadRequest("index.fields must be a non-empty array of field names", "bad_request")
    return _sort_spec(spec)


class Finder:
    def __init__(self, store: DocumentStore, limits: Limits, default_limit: int = 100,
                 max_limit: int = 1000):
        self.store = store
        self.db = store.db
        self.d: Dialect = store.d
        self.limits = limits
        self.default_limit = default_limit
        self.max_limit = max_limit
        self._catalog: dict[tuple[int, str], tuple[float, list[Index]]] = {}
        store.on_change.append(self.forget)

    # ---- indexes ---------------------------------------------------------------------------

    def catalog(self, conn, instance_id: int, doctype: str) -> list[Index]:
        """The doctype's indexes (NotFound if it has no database), cached for ``CATALOG_S``.

        Changes made by this process clear the cache at once; another worker's new index or
        dropped database is seen within the cache time.
        """
        key = (instance_id, doctype)
        hit = self._catalog.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CATALOG_S:
            return hit[1]
        self.store.require_db(conn, instance_id, doctype)
        found = self.list_indexes(conn, instance_id, doctype)
        if len(self._catalog) > 50_000:
            self._catalog.clear()
        self._catalog[key] = (now, found)
        return found

    def forget(self, instance_id: int, doctype: str) -> None:
        self._catalog.pop((instance_id, doctype), None)

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
            self.store.ensure_db(conn, instance_id, doctype)
            for ix in self.list_indexes(conn, instance_id, doctype):
                if ix.fields == fields and ix.partial == partial and (ix.ddoc == ddoc_id or
                                                                       not ddoc):
                    return {"result": "exists", "id": ix.ddoc, "name": ix.name}
            self._write_index(conn, instance_id, doctype, ddoc_id, name, fields, partial)
        return {"result": "created", "id": ddoc_id, "name": name}

    def _write_index(self, conn, instance_id, doctype, ddoc_id, name, fields, partial) -> str:
        design = {"language": "query", "views": {name: {
            "map": {"fields": {f: d for f, d in fields},
                    "partial_filter_selector": partial or {}},
            "reduce": "_count",
            "options": {"def": {"fields": [{f: d} for f, d in fields]}}}}}
        existing = self.store._row(conn, instance_id, doctype, ddoc_id)
        if existing is not None and not existing.deleted:
            doc = orjson.loads(existing[3])
            doc.setdefault("views", {}).update(design["views"])
            doc["language"] = "query"
            res = self.store._update(conn, instance_id, doctype, ddoc_id, doc)
        else:
            res = self.store._create(conn, instance_id, doctype, design, ddoc_id)
        sql_name = "mx_" + hashlib.sha1(f"{instance_id}/{doctype}/{ddoc_id}/{name}".encode(),
                                        usedforsecurity=False).hexdigest()[:24]
        conn.execute(sa.delete(indexes).where(indexes.c.instance_id == instance_id,
                                              indexes.c.doctype == doctype,
                                              indexes.c.ddoc == ddoc_id))
        conn.execute(sa.insert(indexes).values(
            instance_id=instance_id, doctype=doctype, ddoc=ddoc_id, name=name,
            fields=orjson.dumps(fields).decode(),
            partial=orjson.dumps(partial).decode() if partial is not None else None,
            sql_name=sql_name))
        paths = [split_path(f) for f, _ in fields]
        if all(self.d.usable_path(p) for p in paths) and \
                all(p not in (("_id",), ("_rev",)) for p in paths):
            conn.exec_driver_sql(self.d.index_sql(sql_name, paths, instance_id, doctype))
        return res.rev

    def delete_design(self, instance_id: int, doctype: str, ddoc_id: str, rev: str) -> dict:
        self.forget(instance_id, doctype)
        with self.db.write() as conn:
            res = self.store._delete(conn, instance_id, doctype, ddoc_id, rev)
            self._drop_sql(conn, instance_id, doctype, ddoc_id)
        return {"ok": True, "id": res.id, "rev": res.rev}

    def _drop_sql(self, conn, instance_id, doctype, ddoc_id) -> None:
        q = sa.select(indexes.c.sql_name).where(indexes.c.instance_id == instance_id,
                                                indexes.c.doctype == doctype,
                                                indexes.c.ddoc == ddoc_id)
        for (sql_name,) in conn.execute(q).all():
            if not self._shared(conn, sql_name, ddoc_id):
                conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{sql_name}"')
        conn.execute(sa.delete(indexes).where(indexes.c.instance_id == instance_id,
                                              indexes.c.doctype == doctype,
                                              indexes.c.ddoc == ddoc_id))

    @staticmethod
    def _shared(conn, sql_name: str, ddoc_id: str) -> bool:
        q = sa.select(sa.func.count()).where(indexes.c.sql_name == sql_name,
                                             indexes.c.ddoc != ddoc_id)
        return conn.execute(q).scalar() > 0

    def copy_design(self, instance_id: int, doctype: str, ddoc_id: str, rev: str,
                    destination: str) -> dict:
        self.forget(instance_id, doctype)
        if not destination.startswith("_design/"):
            raise BadRequest("Destination must be a design document id", "bad_request")
        with self.db.write() as conn:
            row = self.store._row(conn, instance_id, doctype, ddoc_id)
            if row is None or row.deleted:
                raise NotFound("missing")
            if row.rev != rev:
                raise CouchError(409, "conflict", "Document update conflict.")
            doc = orjson.loads(row[3])
            res = self.store._create(conn, instance_id, doctype, doc, destination)
            q = sa.select(indexes).where(indexes.c.instance_id == instance_id,
                                         indexes.c.doctype == doctype, indexes.c.ddoc == ddoc_id)
            for r in conn.execute(q).all():
                conn.execute(sa.insert(indexes).values(
                    instance_id=instance_id, doctype=doctype, ddoc=destination, name=r.name,
                    fields=r.fields, partial=r.partial, sql_name=r.sql_name))
        return {"ok": True, "id": res.id, "rev": res.rev}

    def design_docs(self, instance_id: int, doctype: str, include_docs: bool) -> dict:
        with self.db.read() as conn:
            self.store.require_db(conn, instance_id, doctype)
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

    # ---- find ------------------------------------------------------------------------------

    def _choose(self, idx: list[Index], node, sort: list[tuple[str, str]],
                use_index: Any) -> tuple[Index | None, str | None]:
        """(index to order by, warning); raises the stack's no_index / no_usable_index."""
        required = required_fields(node)
        sort_names = [f for f, _ in sort]

        fixed = _equality_fields(node)

        def usable(ix: Index) -> bool:
            # CouchDB: every column but the sort fields and _id/_rev must be required by the
            # selector, and the sort must follow the columns (after columns fixed by $eq).
            if not set(ix.names) - set(sort_names) - {"_id", "_rev"} <= required:
                return False
            if sort_names:
                cols = list(ix.names)
                while cols and cols[:len(sort_names)] != sort_names and cols[0] in fixed:
                    cols.pop(0)
                if cols[:len(sort_names)] != sort_names:
                    return False
            return not (ix.partial and not _implies(node, ix.partial))

        candidates = [ix for ix in idx if usable(ix)]
        warning = None
        if use_index:
            wanted = use_index[0] if isinstance(use_index, list) else use_index
            if not isinstance(wanted, str):
                raise BadRequest("use_index must be a string or [ddoc, name]", "bad_request")
            wanted = wanted if wanted.startswith("_design/") else f"_design/{wanted}"
            named = [ix for ix in idx if ix.ddoc == wanted]
            if not named:
                raise CouchError(400, "no_index", "no matching index found, create an index")
            if named[0] in candidates:
                return named[0], None
            warning = f"{wanted} {MISSING_INDEX_WARNING}"
        if candidates:
            best = max(candidates, key=lambda ix: (len(set(ix.names) & required), -len(ix.names)))
            return best, warning
        if sort_names and sort_names != ["_id"]:
            raise CouchError(400, "no_usable_index",
                             "No index exists for this sort, try indexing by the sort fields.")
        if "_id" in required or sort_names == ["_id"]:
            return None, warning
        raise CouchError(400, "no_index", "no matching index found, create an index")

    def find(self, instance_id: int, doctype: str, body: dict,
             only_fast: bool = False) -> dict | None:
        """The ``_find`` answer. With ``only_fast``, None unless the query takes the fast path
        (an index-friendly conjunction: bounded work, safe to run on the event loop)."""
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object", "bad_request")
        node = parse(body.get("selector", {}), self.limits)
        sort = _sort_spec(body.get("sort"))
        limit = body.get("limit")
        if limit is None or not isinstance(limit, int) or isinstance(limit, bool) or \
                limit > self.max_limit or limit < 0:
            limit = self.default_limit
        skip = body.get("skip") or 0
        if not isinstance(skip, int) or skip < 0:
            raise BadRequest("skip must be a non-negative integer", "bad_request")
        bookmark = body.get("bookmark")
        if bookmark and bookmark != "nil":
            skip = _decode_offset(bookmark)
        fields = body.get("fields")
        if fields is not None and (not isinstance(fields, list) or
                                   not all(isinstance(f, str) for f in fields)):
            raise BadRequest("fields must be an array of field names", "bad_request")
        reading = self.db.raw_read() if only_fast else self.db.read()
        with reading as conn:
            index, warning = self._choose(self.catalog(conn, instance_id, doctype), node,
                                          sort, body.get("use_index"))
            order_fields = sort or (index.fields if index else [])
            fast = fastfind.plan(node, sort, order_fields, self.d)
            if fast is None and only_fast:
                return None
            if fast is not None:
                rows = self._fast(conn, instance_id, doctype, fast, skip, limit)
            else:
                rows = self._general(conn, instance_id, doctype, node, order_fields, skip,
                                     limit)
        docs = [orjson.Fragment(r) for r in rows] if fields is None else \
            [_project(orjson.loads(r), fields) for r in rows]
        out: dict = {"docs": docs, "limit": limit, "next": len(docs) >= limit,
                     "bookmark": _encode_offset(skip + len(docs))}
        if warning:
            out["warning"] = warning
        if body.get("execution_stats"):
            out["execution_stats"] = {"results_returned": len(docs),
                                      "plan": "fast" if fast is not None else "general"}
        return out

    def _fast(self, conn, instance_id: int, doctype: str, fast, skip: int, limit: int) -> list:
        shape, values = fast
        where_order, value_order = fastfind.sql_for(shape, self.d)
        values = [values[k] for k in value_order]
        pg = self.d.name == "postgresql"
        body = "body::text" if pg else "body"
        deleted = "false" if pg else "0"
        sql = (f"SELECT {body} FROM documents WHERE instance_id = {int(instance_id)} AND "
               f"doctype = {_sql_literal(doctype)} AND deleted = {deleted} AND "
               "substr(doc_id, 1, 8) <> '_design/' AND "
               + where_order
               + (" LIMIT %s OFFSET %s" if pg else " LIMIT ? OFFSET ?"))
        return [r[0] for r in conn.exec_driver_sql(sql, (*values, limit, skip))]

    def _general(self, conn, instance_id: int, doctype: str, node, order_fields, skip: int,
             limit: int) -> list:
        cond, exact = compile_selector(node, self.d)
        where = [DOCS.instance_id == sa.literal_column(str(int(instance_id))),
                 DOCS.doctype == sa.literal_column(_sql_literal(doctype)),
                 DOCS.deleted.is_(False), sa.not_(DOCS.doc_id.startswith("_design/")), cond]
        order = []
        for f, direction in order_fields:
            path = split_path(f)
            if path == ("_id",):
                continue
            where.append(self.d.exists(path))
            for k in self.d.key(path):
                order.append(k.desc() if direction == "desc" else k.asc())
        desc = bool(order_fields) and order_fields[0][1] == "desc"
        order.append(DOCS.doc_id.desc() if desc else DOCS.doc_id.asc())
        q = sa.select(self.d.body_text()).where(*where).order_by(*order)
        if exact:
            return [r[0] for r in conn.execute(q.offset(skip).limit(limit))]
        return self._filtered(conn, q, node, skip, limit)

    @staticmethod
    def _filtered(conn, q, node, skip: int, limit: int) -> list:
        out: list = []
        seen = 0
        for (raw,) in conn.execution_options(yield_per=500).execute(q):
            if matches(node, orjson.loads(raw)):
                seen += 1
                if seen > skip:
                    out.append(raw)
                    if len(out) >= limit:
                        break
        return out


def _text(v: str | bytes) -> str:
    return v.decode() if isinstance(v, bytes) else v


def _equality_fields(node) -> set[str]:
    if isinstance(node, Cond):
        return {node.field} if node.op == "$eq" else set()
    if node.op == "$and":
        return set().union(*(_equality_fields(c) for c in node.children))
    return set()


def _sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _implies(node, partial: dict) -> bool:
    # A partial index is used only when the query repeats its filter (CouchDB requires the
    # selector to be compatible); we accept when every partial condition appears verbatim.
    p = parse(partial)
    parts = p.children if isinstance(p, Bool) and p.op == "$and" else (p,)
    have = node.children if isinstance(node, Bool) and node.op == "$and" else (node,)
    return all(c in have for c in parts)


def _encode_offset(n: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"skip": n})).decode().rstrip("=")


def _decode_offset(mark: Any) -> int:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(str(mark) + "=" * (-len(str(mark)) % 4)))
        n = int(data["skip"])
        if n < 0:
            raise ValueError
        return n
    except Exception:
        raise BadRequest("Invalid bookmark value", "invalid_bookmark") from None


def _project(doc: dict, fields: list[str]) -> dict:
    out: dict = {}
    for f in fields:
        path = split_path(f)
        value = get_path(doc, path)
        if value is MISSING:
            continue
        cur = out
        for key in path[:-1]:
            cur = cur.setdefault(key, {})
        cur[path[-1]] = value
    return out


def drop_indexes(conn, d: Dialect, instance_id: int, doctype: str) -> None:
    q = sa.select(indexes.c.sql_name).where(indexes.c.instance_id == instance_id,
                                            indexes.c.doctype == doctype)
    for (name,) in conn.execute(q).all():
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
    conn.execute(sa.delete(indexes).where(indexes.c.instance_id == instance_id,
                                          indexes.c.doctype == doctype))


__all__ = ["Finder", "Index", "documents", "next_rev"]
