"""Parse a Mango selector into a small tree, reporting every problem at once.

Normal form (as CouchDB normalises): the top level is an implicit ``$and``; ``{"a": {"b": 1}}``
becomes the field ``a.b``; a bare value means ``$eq``. Field paths split on unescaped dots
(``a\\.b`` is the single key ``a.b``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

from sandbox.errors import BadRequest

COMPARISONS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")
FIELD_OPS = (*COMPARISONS, "$in", "$nin", "$exists", "$type", "$size", "$mod", "$regex",
             "$all", "$elemMatch", "$allMatch")
COMBINATORS = ("$and", "$or", "$nor", "$not")
TYPES = ("null", "boolean", "number", "string", "array", "object")


@dataclass(frozen=True)
class Cond:
    path: tuple[str, ...]
    op: str
    arg: Any
    sub: Node | None = None  # for $elemMatch / $allMatch: condition on each element

    @property
    def field(self) -> str:
        return ".".join(p.replace(".", "\\.") for p in self.path)


@dataclass(frozen=True)
class Bool:
    op: str                  # "$and", "$or", "$nor", "$not"
    children: tuple[Node, ...] = field(default_factory=tuple)


Node = Cond | Bool


@dataclass
class Limits:
    max_depth: int = 16
    max_in_values: int = 10_000
    max_regex_length: int = 512


def split_path(name: str) -> tuple[str, ...]:
    parts, cur, i = [], [], 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name) and name[i + 1] == ".":
            cur.append(".")
            i += 2
            continue
        if ch == ".":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return tuple(parts)


class _Parser:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.problems: list[str] = []

    def fail(self, where: str, msg: str) -> None:
        self.problems.append(f"{where or 'selector'}: {msg}")

    def parse_object(self, obj: Any, prefix: tuple[str, ...], where: str, depth: int) -> Node:
        if depth > self.limits.max_depth:
            self.fail(where, f"nested deeper than {self.limits.max_depth} levels; simplify the "
                             "selector")
            return Bool("$and")
        if not isinstance(obj, dict):
            self.fail(where, "must be a JSON object")
            return Bool("$and")
        nodes: list[Node] = []
        for key, value in obj.items():
            here = f"{where}.{key}" if where else key
            if key in COMBINATORS:
                nodes.append(self.parse_combinator(key, value, prefix, here, depth + 1))
            elif key.startswith("$"):
                if not prefix:
                    self.fail(here, f"unknown operator {key!r}; top-level operators are "
                                    f"{', '.join(COMBINATORS)}")
                else:
                    nodes.extend(self.parse_ops({key: value}, prefix, where, depth + 1))
            else:
                path = prefix + split_path(key)
                if isinstance(value, dict) and value and all(k.startswith("$") for k in value):
                    nodes.extend(self.parse_ops(value, path, here, depth + 1))
                elif isinstance(value, dict) and value:
                    nodes.append(self.parse_object(value, path, here, depth + 1))
                else:
                    nodes.append(Cond(path, "$eq", value))
        return nodes[0] if len(nodes) == 1 else Bool("$and", tuple(nodes))

    def parse_combinator(self, op: str, value: Any, prefix, where: str, depth: int) -> Node:
        if op == "$not":
            return Bool("$not", (self.parse_object(value, prefix, where, depth),))
        if not isinstance(value, list) or not value:
            self.fail(where, f"{op} takes a non-empty array of selectors")
            return Bool("$and")
        return Bool(op, tuple(self.parse_object(v, prefix, f"{where}[{i}]", depth)
                              for i, v in enumerate(value)))

    def parse_ops(self, ops: dict, path: tuple[str, ...], where: str, depth: int) -> list[Node]:
        out: list[Node] = []
        for op, arg in ops.items():
            here = f"{where}.{op}"
            if op in COMBINATORS:
                out.append(self.parse_combinator(op, arg, path, here, depth))
                continue
            if op not in FIELD_OPS:
                self.fail(here, f"unknown operator {op!r}; use one of {', '.join(FIELD_OPS)}")
                continue
            cond = self.check_arg(op, arg, path, here, depth)
            if cond is not None:
                out.append(cond)
        return out

    def check_arg(self, op: str, arg: Any, path, where: str, depth: int) -> Cond | None:
        lim = self.limits
        if op in ("$in", "$nin", "$all"):
            if not isinstance(arg, list):
                self.fail(where, f"{op} takes an array of values")
                return None
            if len(arg) > lim.max_in_values:
                self.fail(where, f"{op} has {len(arg)} values; the limit is {lim.max_in_values}")
                return None
        elif op == "$exists" and not isinstance(arg, bool):
            self.fail(where, "$exists takes true or false")
            return None
        elif op == "$type" and arg not in TYPES:
            self.fail(where, f"$type takes one of {', '.join(TYPES)}")
            return None
        elif op == "$size" and (not isinstance(arg, int) or isinstance(arg, bool) or arg < 0):
            self.fail(where, "$size takes a non-negative integer")
            return None
        elif op == "$mod":
            ok = (isinstance(arg, list) and len(arg) == 2
                  and all(isinstance(x, int) and not isinstance(x, bool) for x in arg))
            if not ok or arg[0] == 0:
                self.fail(where, "$mod takes [divisor, remainder], two integers, divisor not 0")
                return None
        elif op == "$regex":
            if not isinstance(arg, str):
                self.fail(where, "$regex takes a string")
                return None
            if len(arg) > lim.max_regex_length:
                self.fail(where, f"$regex is {len(arg)} characters; the limit is "
                                 f"{lim.max_regex_length}")
                return None
            try:
                re2.compile(arg)
            except re2.error as exc:
                self.fail(where, f"invalid regular expression: {exc}")
                return None
        elif op in ("$elemMatch", "$allMatch"):
            if not isinstance(arg, dict):
                self.fail(where, f"{op} takes a selector object")
                return None
            if all(k.startswith("$") for k in arg) and arg:
                sub = Bool("$and", tuple(self.parse_ops(arg, (), where, depth + 1)))
            else:
                sub = self.parse_object(arg, (), where, depth + 1)
            return Cond(path, op, None, sub)
        return Cond(path, op, arg)


def parse(selector: Any, limits: Limits | None = None) -> Node:
    """The selector's tree, or :class:`BadRequest` listing every problem.

    Negations are pushed down to the leaves as CouchDB does (``mango_selector:negate``), so the
    tree holds no ``$not``/``$nor`` above a field: ``$not {a: {$gt: 1}}`` is ``a $lte 1``, which,
    like every leaf, is false when ``a`` is missing. A leaf with no opposite operator becomes
    ``$not`` at the field (the field must exist, its value must not match).
    """
    p = _Parser(limits or Limits())
    if not isinstance(selector, dict):
        raise BadRequest("selector must be a JSON object", "bad_request")
    node = p.parse_object(selector, (), "", 0)
    if p.problems:
        raise BadRequest("invalid selector: " + "; ".join(p.problems), "invalid_selector")
    return _normalise(node)


OPPOSITE = {"$eq": "$ne", "$ne": "$eq", "$gt": "$lte", "$lte": "$gt", "$gte": "$lt",
            "$lt": "$gte", "$in": "$nin", "$nin": "$in"}


def _normalise(node: Node) -> Node:
    if isinstance(node, Cond):
        if node.sub is not None and node.op in ("$elemMatch", "$allMatch"):
            return Cond(node.path, node.op, node.arg, _normalise(node.sub))
        return node
    if node.op == "$not":
        return negate(node.children[0])
    if node.op == "$nor":
        return Bool("$and", tuple(negate(c) for c in node.children))
    return Bool(node.op, tuple(_normalise(c) for c in node.children))


def negate(node: Node) -> Node:
    if isinstance(node, Cond):
        if node.op in OPPOSITE:
            return Cond(node.path, OPPOSITE[node.op], node.arg)
        if node.op == "$exists":
            return Cond(node.path, "$exists", not node.arg)
        if node.op == "$not":  # not(not x) at a field
            assert node.sub is not None
            return Cond(node.path, node.sub.op, node.sub.arg, node.sub.sub) \
                if isinstance(node.sub, Cond) else node
        return Cond(node.path, "$not", None, Cond((), node.op, node.arg, node.sub))
    if node.op == "$and":
        return Bool("$or", tuple(negate(c) for c in node.children))
    if node.op == "$or":
        return Bool("$and", tuple(negate(c) for c in node.children))
    if node.op == "$nor":
        return Bool("$or", tuple(_normalise(c) for c in node.children))
    return _normalise(node.children[0])  # $not $not x


def required_fields(node: Node) -> set[str]:
    """Fields every matching document must have: those an index on them can serve.

    CouchDB's ``mango_selector:has_required_fields``: a condition on a field requires it,
    whatever the operator (``$ne``, ``$nin``, ``$not``... included: a missing field matches
    none of them), except ``$exists: false``; ``$and`` requires what any child requires, ``$or``
    what every child requires.
    """
    if isinstance(node, Cond):
        if node.op == "$exists" and not node.arg:
            return set()
        return {node.field}
    if not node.children:
        return set()
    parts = [required_fields(c) for c in node.children]
    if node.op == "$and":
        return set().union(*parts)
    if node.op == "$or":
        return set.intersection(*parts)
    return set()


def fields_used(node: Node) -> set[str]:
    if isinstance(node, Cond):
        return {node.field}
    out: set[str] = set()
    for c in node.children:
        out |= fields_used(c)
    return out
