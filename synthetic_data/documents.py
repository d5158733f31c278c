"""Documents as columns: a batch of one doctype rendered to JSON lines without per-record dicts.

A source describes a document once, as a *spec*: a nested dict whose leaves are constants or
:class:`Col` references into columns of equal length. The spec is compiled into a ``%``-format
string with the constants already serialised, so rendering a record costs one string format of
pre-rendered column values. ``Batch.lines()`` gives the NDJSON lines (the canonical form: dicts
are parsed back from them), ``Batch.table()`` the flattened columns for CSV and Parquet.

Small, irregular doctypes (contracts, claims) use :meth:`Batch.from_dicts` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

KINDS = ("int", "float", "str", "text", "raw", "bool")


@dataclass(frozen=True)
class Col:
    """A leaf taken from column ``name``.

    kinds: ``int``; ``float`` (finite); ``str`` (no character needing JSON escaping: digits,
    ISO dates, codes); ``text`` (any unicode, escaped); ``raw`` (already JSON, ``None`` → null);
    ``bool``.
    """

    name: str
    kind: str = "str"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; use one of {KINDS}")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _render(values: Sequence | np.ndarray, kind: str) -> list[str]:
    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if kind == "int":
        return [str(int(v)) for v in seq] if seq and not isinstance(seq[0], int) else list(
            map(str, seq))
    if kind == "float":
        arr = np.asarray(values, dtype=float)
        if not np.isfinite(arr).all():
            raise ValueError("float column holds NaN or infinity, which JSON cannot carry")
        return list(map(repr, arr.tolist()))
    if kind == "str":
        return seq
    if kind == "text":
        return list(map(_dumps, seq))
    if kind == "raw":
        return ["null" if v is None else v for v in seq]
    return ["true" if v else "false" for v in seq]


def _compile(spec: Any, cols: list[Col]) -> str:
    if isinstance(spec, Col):
        cols.append(spec)
        return '"%s"' if spec.kind == "str" else "%s"
    if isinstance(spec, dict):
        return "{" + ",".join(_dumps(str(k)).replace("%", "%%") + ":" + _compile(v, cols)
                              for k, v in spec.items()) + "}"
    if isinstance(spec, list):
        return "[" + ",".join(_compile(v, cols) for v in spec) + "]"
    return _dumps(spec).replace("%", "%%")


def _flatten(spec: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(spec, dict) and not isinstance(spec, Col):
        for k, v in spec.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = spec


class Batch:
    """``n`` documents of ``doctype`` (see the module docstring)."""

    def __init__(self, doctype: str, n: int, *, spec: Any = None,
                 columns: dict[str, Sequence | np.ndarray] | None = None,
                 docs: list[dict] | None = None):
        self.doctype = doctype
        self.n = n
        self._spec = spec
        self._columns = columns or {}
        self._docs = docs
        if docs is None:
            for name, values in self._columns.items():
                if len(values) != n:
                    raise ValueError(f"{doctype}: column {name!r} has {len(values)} values, "
                                     f"expected {n}")

    @classmethod
    def from_columns(cls, doctype: str, spec: dict, columns: dict[str, Sequence | np.ndarray],
                     ) -> Batch:
        n = len(next(iter(columns.values()))) if columns else 0
        return cls(doctype, n, spec=spec, columns=columns)

    @classmethod
    def from_dicts(cls, doctype: str, docs: list[dict]) -> Batch:
        return cls(doctype, len(docs), docs=docs)

    def lines(self) -> list[str]:
        """One compact JSON text per document, keys in spec order, UTF-8 unescaped."""
        if self._docs is not None:
            return [_dumps(d) for d in self._docs]
        cols: list[Col] = []
        fmt = _compile(self._spec, cols)
        if not cols:
            return [fmt.replace("%%", "%")] * self.n
        rendered = [_render(self._columns[c.name], c.kind) for c in cols]
        if len(rendered) == 1:
            return [fmt % (v,) for v in rendered[0]]
        return [fmt % row for row in zip(*rendered, strict=True)]

    def dicts(self) -> list[dict]:
        if self._docs is not None:
            return self._docs
        return [orjson.loads(line) for line in self.lines()]

    def table(self) -> pa.Table:
        """Flattened columns (dotted names); lists and nested raw values as JSON text."""
        if self._docs is not None:
            return _table_from_dicts(self._docs)
        leaves: dict[str, Any] = {}
        _flatten(self._spec, "", leaves)
        arrays = {}
        for path, leaf in leaves.items():
            if isinstance(leaf, Col):
                values = self._columns[leaf.name]
                if leaf.kind in ("raw",):
                    arrays[path] = pa.array(list(values), type=pa.string())
                elif leaf.kind == "bool":
                    arrays[path] = pa.array(np.asarray(values, dtype=bool))
                elif leaf.kind in ("str", "text"):
                    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
                    arrays[path] = pa.array(seq, type=pa.string())
                else:
                    arrays[path] = pa.array(np.asarray(values))
            else:
                arrays[path] = _constant_array(leaf, self.n)
        return pa.table(arrays)


def _constant_array(value: Any, n: int) -> pa.Array:
    if isinstance(value, list | dict):
        value = _dumps(value)
    if value is None:
        return pa.nulls(n, type=pa.string())
    return pa.array([value] * n)


def _flat_dict(doc: dict, prefix: str, out: dict) -> None:
    for k, v in doc.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v:
            _flat_dict(v, key, out)
        elif isinstance(v, list | dict):
            out[key] = _dumps(v)
        else:
            out[key] = v


def _table_from_dicts(docs: list[dict]) -> pa.Table:
    rows = []
    names: dict[str, None] = {}
    for d in docs:
        flat: dict = {}
        _flat_dict(d, "", flat)
        rows.append(flat)
        names.update(dict.fromkeys(flat))
    arrays = {}
    for name in names:
        values = [r.get(name) for r in rows]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1:  # mixed types in one field: keep the JSON text
            values = [None if v is None else (v if isinstance(v, str) else _dumps(v))
                      for v in values]
        arrays[name] = pa.array(values)
    return pa.table(arrays)


def iso_utc(instants: np.ndarray) -> np.ndarray:
    """``datetime64`` UTC instants as ``2016-10-01T08:59:08Z`` strings (seconds)."""
    return np.char.add(np.datetime_as_string(instants.astype("datetime64[s]"), unit="s"), "Z")


def iso_local(instants: np.ndarray, unit: str = "s") -> np.ndarray:
    """``datetime64`` local clock times as ``2017-03-01T06:00:00`` strings (no offset)."""
    return np.datetime_as_string(instants.astype(f"datetime64[{unit}]"), unit=unit)
