"""Compile a parsed selector to a SQLAlchemy condition on ``documents``.

``compile_selector`` returns (condition, exact). When part of the selector cannot be said in SQL
($regex, $elemMatch, $allMatch, $all, odd field names), that part becomes TRUE in SQL and
``exact`` is False: the caller then checks candidates with :func:`sandbox.mango.match.matches`.

Known deviation: ``sort`` on a field whose values are arrays or objects orders those values by
their JSON text, not element by element (scalars of every type sort as CouchDB does).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from sandbox.mango.collate import rank
from sandbox.mango.selector import Cond, Node
from sandbox.storage.dialect import Dialect
from sandbox.storage.tables import documents

PYTHON_ONLY = {"$regex", "$elemMatch", "$allMatch", "$all"}


def _cmp(op: str, left: list, right: list) -> ColumnElement:
    lhs = left[0] if len(left) == 1 else sa.tuple_(*left)
    rhs = right[0] if len(right) == 1 else sa.tuple_(*right)
    return {"$eq": lhs == rhs, "$ne": lhs != rhs, "$gt": lhs > rhs, "$gte": lhs >= rhs,
            "$lt": lhs < rhs, "$lte": lhs <= rhs}[op]


def _id_cond(c: Cond, column) -> ColumnElement | None:
    """Conditions on _id/_rev use the indexed columns (always strings)."""
    if c.op == "$exists":
        return sa.true() if c.arg else sa.false()
    if c.op in ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte"):
        r = rank(c.arg)
        if r != 4:
            below = r < 4  # every string sorts after the argument
            verdict = {"$eq": False, "$ne": True, "$gt": below, "$gte": below,
                       "$lt": not below, "$lte": not below}[c.op]
            return sa.true() if verdict else sa.false()
        return _cmp(c.op, [column], [sa.literal(c.arg)])
    if c.op in ("$in", "$nin"):
        strings = [v for v in c.arg if isinstance(v, str)]
        cond = column.in_(strings) if strings else sa.false()
        return cond if c.op == "$in" else sa.not_(cond)
    if c.op == "$type":
        return sa.true() if c.arg == "string" else sa.false()
    return None


def _cond(c: Cond, d: Dialect) -> ColumnElement | None:
    if c.op in PYTHON_ONLY:
        return None
    if c.path in (("_id",), ("_rev",)):
        col = documents.c.doc_id if c.path == ("_id",) else documents.c.rev
        return _id_cond(c, col)
    if not d.usable_path(c.path):
        return None
    path = c.path
    if c.op == "$exists":
        return d.exists(path) if c.arg else sa.not_(d.exists(path))
    if c.op in ("$gt", "$gte", "$lt", "$lte") and rank(c.arg) >= 5:
        return None  # arrays/objects order element by element: checked in Python
    if c.op in ("$eq", "$gt", "$gte", "$lt", "$lte"):
        return _cmp(c.op, d.key(path), d.key_literal(c.arg))
    if c.op == "$ne":
        return sa.and_(d.exists(path), _cmp("$ne", d.key(path), d.key_literal(c.arg)))
    if c.op in ("$in", "$nin"):
        key = d.key(path)
        lits = [d.key_literal(v) for v in c.arg]
        lhs = key[0] if len(key) == 1 else sa.tuple_(*key)
        rhs = [x[0] if len(x) == 1 else sa.tuple_(*x) for x in lits]
        if not rhs:
            cond = sa.false()
        else:  # an array matches by its elements only, any other value by itself
            cond = sa.or_(sa.and_(sa.not_(d.type_is(path, "array")), lhs.in_(rhs)),
                          d.array_contains_any(path, c.arg))
        return cond if c.op == "$in" else sa.and_(d.exists(path),
                                                  sa.not_(sa.func.coalesce(cond, sa.false())))
    if c.op == "$not":
        assert isinstance(c.sub, Cond)
        inner = _cond(Cond(c.path, c.sub.op, c.sub.arg, c.sub.sub), d)
        if inner is None:
            return None
        return sa.and_(d.exists(path), sa.not_(sa.func.coalesce(inner, sa.false())))
    if c.op == "$type":
        return d.type_is(path, c.arg)
    if c.op == "$size":
        return sa.and_(d.type_is(path, "array"), d.array_length(path) == c.arg)
    if c.op == "$mod":
        div, rem = c.arg
        return sa.and_(d.is_integer(path), d.number(path) % div == rem)
    return None


def _node(node: Node, d: Dialect) -> tuple[ColumnElement | None, bool]:
    """(condition or None if SQL cannot express it, exact). After parsing, the tree holds only
    $and and $or above the leaves (negations are pushed down)."""
    if isinstance(node, Cond):
        cond = _cond(node, d)
        return cond, cond is not None
    parts = [_node(c, d) for c in node.children]
    exact = all(e for _, e in parts)
    if node.op == "$and":
        conds = [c for c, _ in parts if c is not None]
        return (sa.and_(*conds) if conds else sa.true()), exact
    if any(c is None for c, _ in parts):
        return None, False
    return sa.or_(*(c for c, _ in parts)), exact  # $or of supersets is a superset


def compile_selector(node: Node, dialect: Dialect) -> tuple[ColumnElement, bool]:
    cond, exact = _node(node, dialect)
    return (cond if cond is not None else sa.true()), exact and cond is not None
