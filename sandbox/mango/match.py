"""Evaluate a parsed selector on a document in Python (CouchDB semantics).

Used for what SQL cannot say ($regex with RE2, $elemMatch, $allMatch, $all) and by tests.
A missing field matches nothing except ``$exists: false``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

from sandbox.mango.collate import compare
from sandbox.mango.selector import Cond, Node

MISSING = object()


def get_path(doc: Any, path: tuple[str, ...]) -> Any:
    cur = doc
    for key in path:
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        else:
            return MISSING
    return cur


@lru_cache(maxsize=256)
def _regex(pattern: str):
    return re2.compile(pattern)


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _in(value: Any, options: list) -> bool:
    # CouchDB: an array field matches when one of its elements is among the options
    if isinstance(value, list):
        return any(compare(v, o) == 0 for v in value for o in options)
    return any(compare(value, o) == 0 for o in options)


def _cond(c: Cond, doc: Any) -> bool:
    value = get_path(doc, c.path) if c.path else doc
    if c.op == "$exists":
        return (value is not MISSING) == c.arg
    if value is MISSING:
        return False
    op, arg = c.op, c.arg
    if op == "$eq":
        return compare(value, arg) == 0
    if op == "$ne":
        return compare(value, arg) != 0
    if op == "$gt":
        return compare(value, arg) > 0
    if op == "$gte":
        return compare(value, arg) >= 0
    if op == "$lt":
        return compare(value, arg) < 0
    if op == "$lte":
        return compare(value, arg) <= 0
    if op == "$in":
        return _in(value, arg)
    if op == "$nin":
        return not _in(value, arg)
    if op == "$type":
        return _type_name(value) == arg
    if op == "$size":
        return isinstance(value, list) and len(value) == arg
    if op == "$mod":
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        d, r = arg
        rem = abs(value) % abs(d)
        return (rem if value >= 0 else -rem) == r
    if op == "$regex":
        return isinstance(value, str) and _regex(arg).search(value) is not None
    if op == "$all":
        return isinstance(value, list) and all(any(compare(v, a) == 0 for v in value)
                                               for a in arg)
    if op == "$not":  # a negated leaf with no opposite operator: the field must exist
        assert isinstance(c.sub, Cond)
        return not _cond(Cond((), c.sub.op, c.sub.arg, c.sub.sub), value)
    if op in ("$elemMatch", "$allMatch"):
        if not isinstance(value, list) or not value:
            return False
        hits = (matches(c.sub, el) for el in value)
        return any(hits) if op == "$elemMatch" else all(hits)
    raise ValueError(f"unknown operator {op}")


def matches(node: Node, doc: Any) -> bool:
    if isinstance(node, Cond):
        return _cond(node, doc)
    if node.op == "$and":
        return all(matches(c, doc) for c in node.children)
    if node.op == "$or":
        return any(matches(c, doc) for c in node.children)
    if node.op == "$nor":
        return not any(matches(c, doc) for c in node.children)
    return not matches(node.children[0], doc)
