"""CouchDB's collation of JSON values: null < false < true < numbers < strings < arrays < objects.

Strings compare by code point (what SQLite's BINARY and PostgreSQL's "C" collation do), not by
ICU; arrays element by element; objects as ordered lists of (key, value) pairs.
"""

from __future__ import annotations

from typing import Any


def rank(value: Any) -> int:
    if value is None:
        return 0
    if value is False:
        return 1
    if value is True:
        return 2
    if isinstance(value, int | float):
        return 3
    if isinstance(value, str):
        return 4
    if isinstance(value, list):
        return 5
    return 6


def compare(a: Any, b: Any) -> int:
    ra, rb = rank(a), rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra in (3, 4):
        return (a > b) - (a < b)
    if ra == 5:
        for x, y in zip(a, b, strict=False):
            c = compare(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if ra == 6:
        for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=False):
            c = compare(ka, kb) or compare(va, vb)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    return 0


class Key:
    """Sort key wrapper: ``sorted(values, key=Key)`` follows the collation."""

    __slots__ = ("v",)

    def __init__(self, v: Any):
        self.v = v

    def __lt__(self, other: Key) -> bool:
        return compare(self.v, other.v) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and compare(self.v, other.v) == 0
