"""Mango ``_find`` and ``_index`` on the document store, with CouchDB's index rules.

The real stack answers ``no_index`` when no index can serve a query (only the _id index
exists), and ``no_usable_index`` when none can serve its sort; cozy-stack-client relies on that
to create the index it needs. We keep the same rules: a query needs an index whose fields the
selector requires (or a selector on _id), and a sort needs an index that starts with the sort
fields. An index with a ``partial_filter_selector`` is a candidate only when ``use_index``
names it, as in CouchDB (``mango_idx:get_usable_indexes``), and holds only the documents its
filter matches. ``_index`` creates a real SQL expression index on the fields' collation keys.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
import sqlalchemy as sa

from sandbox.errors import BadRequest, NoIndex
from sandbox.mango.match import MISSING, get_path, matches
from sandbox.mango.selector import Cond, Limits, parse, required_fields, split_path
from sandbox.mango.sql import compile_selector
from sandbox.storage import fastfind
from sandbox.storage.dialect import Dialect
from sandbox.storage.documents import DOCS, DocumentStore
from sandbox.storage.finder_spec import sort_spec
from sandbox.storage.indexes import Index, Indexes

MISSING_INDEX_WARNING = "was not used because it does not contain a valid index for this query."


class Finder:
    def __init__(self, documents: DocumentStore, indexes: Indexes, limits: Limits,
                 default_limit: int = 100, max_limit: int = 1000):
        self.documents = documents
        self.db = documents.db
        self.d: Dialect = documents.d
        self.limits = limits
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.indexes = indexes

    # ---- indexes ---------------------------------------------------------------------------

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
            return True

        # CouchDB (mango_idx:get_usable_indexes): an index with a partial_filter_selector is
        # a candidate only when use_index names it, and then whatever its filter
        candidates = [ix for ix in idx if not ix.partial and usable(ix)]
        warning = None
        if use_index:
            wanted = use_index[0] if isinstance(use_index, list) else use_index
            if not isinstance(wanted, str):
                raise BadRequest("use_index must be a string or [ddoc, name]", "bad_request")
            wanted = wanted if wanted.startswith("_design/") else f"_design/{wanted}"
            named = [ix for ix in idx if ix.ddoc == wanted]
            if not named:
                raise NoIndex("no matching index found, create an index")
            if usable(named[0]):
                return named[0], None
            warning = f"{wanted} {MISSING_INDEX_WARNING}"
        if candidates:
            best = max(candidates, key=lambda ix: (len(set(ix.names) & required), -len(ix.names)))
            return best, warning
        if sort_names and sort_names != ["_id"]:
            raise NoIndex(error="no_usable_index", reason=
                             "No index exists for this sort, try indexing by the sort fields.")
        if "_id" in required or sort_names == ["_id"]:
            return None, warning
        raise NoIndex("no matching index found, create an index")

    def find(self, instance_id: int, doctype: str, body: dict,
             only_fast: bool = False) -> dict | None:
        """The ``_find`` answer. With ``only_fast``, None unless the query takes the fast path
        (an index-friendly conjunction: bounded work, safe to run on the event loop)."""
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object", "bad_request")
        node = parse(body.get("selector", {}), self.limits)
        sort = sort_spec(body.get("sort"))
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
            index, warning = self._choose(self.indexes.catalog(conn, instance_id, doctype), node,
                                          sort, body.get("use_index"))
            if index is not None and index.partial:
                # a partial index holds only the documents its filter matches
                node = parse({"$and": [body.get("selector", {}), index.partial]}, self.limits)
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
            [project(orjson.loads(r), fields) for r in rows]
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


def _equality_fields(node) -> set[str]:
    if isinstance(node, Cond):
        return {node.field} if node.op == "$eq" else set()
    if node.op == "$and":
        return set().union(*(_equality_fields(c) for c in node.children))
    return set()


def _sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


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


def project(doc: dict, fields: list[str]) -> dict:
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


