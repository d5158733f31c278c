"""The hot path of ``_find``: SQL text for the common selector shape, cached per shape.

Most queries are a conjunction of scalar comparisons ($eq, $gt, $gte, $lt, $lte) and
``$exists: true`` (the pilot's queries, the clients' index checks, apps' range queries). For those
we write the SQL text once per *shape* (fields, operators, value ranks, sort) and bind the values,
skipping SQLAlchemy's expression building (about 1 ms a query). Anything else returns None and
goes through :mod:`sandbox.mango.sql`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sandbox.mango.collate import rank
from sandbox.mango.selector import Cond, Node, split_path
from sandbox.storage.dialect import FALSE_KEY, NEG_INF, TRUE_KEY, Dialect, PostgresDialect

OPS = {"$eq": "=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def _conjuncts(node: Node) -> list[Cond] | None:
    if isinstance(node, Cond):
        return [node]
    if node.op != "$and":
        return None
    out: list[Cond] = []
    for c in node.children:
        sub = _conjuncts(c)
        if sub is None:
            return None
        out.extend(sub)
    return out


def plan(node: Node, sort: list[tuple[str, str]], order_fields: list[tuple[str, str]],
         d: Dialect) -> tuple[tuple, list[Any]] | None:
    """(shape, values) for the fast path, or None."""
    conds = _conjuncts(node)
    if conds is None:
        return None
    shape: list[tuple] = []
    values: list[Any] = []
    for c in conds:
        if c.op == "$exists" and c.arg is True:
            shape.append((c.path, "$exists", None))
            continue
        if c.op not in OPS or rank(c.arg) >= 5 or not d.usable_path(c.path):
            return None
        r = rank(c.arg)
        if c.path in (("_id",), ("_rev",)) and r != 4:
            return None
        shape.append((c.path, c.op, r))
        if r in (3, 4):
            values.append(c.arg)
    return (tuple(shape), tuple(order_fields), d.name), values


@lru_cache(maxsize=512)
def sql_for(shape: tuple, d: Dialect) -> tuple[str, tuple[int, ...]]:
    """(``WHERE ... ORDER BY ...``, the order of the values for its placeholders).

    The caller adds the instance/doctype prefix. Values are numbered in selector order (only
    conditions on numbers and strings carry one).
    """
    conds, order_fields, _ = shape
    pg = isinstance(d, PostgresDialect)
    ph = "%s" if pg else "?"
    where: list[str] = []
    order_of_values: list[int] = []
    numbered = []
    n = 0
    for _path, _op, r in conds:
        numbered.append(n if r in (3, 4) else None)
        n += r in (3, 4)
    ranged = _same_rank_ranges(conds, numbered) if pg else {}
    for (path, op, r), k in zip(conds, numbered, strict=True):
        if path in ranged:
            # both bounds of one type: rank = r AND value in range (PostgreSQL then uses the
            # index for both bounds; two row comparisons would give it only one)
            if ranged[path] is not None:
                bounds = ranged[path]
                where.append(_range_sql(d, path, bounds, ph))
                order_of_values.extend(k2 for _, _, k2 in bounds)
                ranged[path] = None
            continue
        if path in (("_id",), ("_rev",)):
            col = "doc_id" if path == ("_id",) else "rev"
            if op == "$exists":
                continue
            where.append(f"{col} {OPS[op]} {ph}")
            order_of_values.append(k)
            continue
        if op == "$exists":
            where.append(_exists_sql(d, path))
            continue
        where.append(_cmp_sql(d, path, OPS[op], r, ph))
        if k is not None:
            order_of_values.append(k)
    order: list[str] = []
    desc = bool(order_fields) and order_fields[0][1] == "desc"
    fixed = {path for path, op, _ in conds if op == "$eq"}
    for field, direction in order_fields:
        path = split_path(field)
        if path == ("_id",):
            continue
        where.append(_exists_sql(d, path))
        if path in fixed:
            continue  # one value only: ordering by it changes nothing, and would cost a sort
        for part in _key_parts(d, path):
            order.append(f"{part} {'DESC' if direction == 'desc' else 'ASC'}")
    order.append(f"doc_id {'DESC' if desc else 'ASC'}")
    sql = (" AND ".join(f"({w})" for w in where) or "1 = 1") + " ORDER BY " + ", ".join(order)
    return sql, tuple(order_of_values)


def _same_rank_ranges(conds: tuple, numbered: list) -> dict:
    """Fields with a lower and an upper bound of the same rank (number or string):
    path -> ((op, rank, value number), (op, rank, value number))."""
    by_path: dict[tuple, list] = {}
    for (path, op, r), k in zip(conds, numbered, strict=True):
        if op in ("$gt", "$gte", "$lt", "$lte") and r in (3, 4) and \
                path not in (("_id",), ("_rev",)):
            by_path.setdefault(path, []).append((op, r, k))
    out = {}
    for path, bounds in by_path.items():
        ops = {op for op, _, _ in bounds}
        if len(bounds) == 2 and len({r for _, r, _ in bounds}) == 1 and \
                ops & {"$gt", "$gte"} and ops & {"$lt", "$lte"}:
            out[path] = (bounds[0], bounds[1])
    return out


def _range_sql(d: Dialect, path: tuple[str, ...], bounds, ph: str) -> str:
    rk, num, txt = (_pg(p) for p in d._parts(path))  # type: ignore[attr-defined]
    (op1, r, _), (op2, _, _) = bounds
    if r == 3:
        return f"{rk} = 3 AND {num} {OPS[op1]} {ph} AND {num} {OPS[op2]} {ph}"
    # the number part of a string's key is always 0: saying so lets the index seek on the text
    return f"{rk} = 4 AND {num} = 0 AND {txt} {OPS[op1]} {ph} AND {txt} {OPS[op2]} {ph}"


def _pg(text: str) -> str:
    """psycopg reads %s as a placeholder: a literal % in a field name must be doubled."""
    return text.replace("%", "%%")


def _key_parts(d: Dialect, path: tuple[str, ...]) -> list[str]:
    if isinstance(d, PostgresDialect):
        return [_pg(p) for p in d._parts(path)]
    return [f"({d._key_sql(path)})"]


def _exists_sql(d: Dialect, path: tuple[str, ...]) -> str:
    if isinstance(d, PostgresDialect):
        return f"{_pg(d._x(path))} IS NOT NULL"
    return f"json_type(body, {d._jpath(path)}) IS NOT NULL"


def _cmp_sql(d: Dialect, path: tuple[str, ...], op: str, r: int, ph: str) -> str:
    if isinstance(d, PostgresDialect):
        rk, num, txt = (_pg(p) for p in d._parts(path))
        lit = {3: f"({r}, {ph}, '')", 4: f"({r}, 0, {ph})"}.get(r, f"({r}, 0, '')")
        return f"({rk}, {num}, {txt}) {op} {lit}"
    lit = {0: NEG_INF, 1: FALSE_KEY, 2: TRUE_KEY}.get(r, ph)
    return f"({d._key_sql(path)}) {op} {lit}"
