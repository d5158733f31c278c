"""Documents as columns: a batch of one doctype rendered to JSON lines without per-record dicts.

A source describes a document once, as a *spec*: a nested dict whose leaves are constants or
:class:`Col` references into columns of equal length. The spec is compiled into a ``%``-format
string with the constants already serialised, so rendering a record costs one string format of
pre-rendered column values. ``Batch.lines()`` gives the NDJSON lines (the canonical form: dicts
are parsed back from them), ``Batch.table()`` the flattened columns for CSV and Parquet.

Small, irregular doctypes (contracts, claims) use :meth:`Batch.from_dicts` instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

KINDS = ("int", "float", "cents", "str", "text", "raw", "bool", "utc", "local")


@dataclass(frozen=True)
class Col:
    """A leaf taken from column ``name``.

    kinds: ``int``; ``float`` (finite); ``cents`` (whole cents → a number of euros, ``-2390`` →
    ``-23.9``); ``str`` (no character needing JSON escaping: digits,
    ISO dates, codes); ``text`` (any unicode, escaped); ``raw`` (already JSON, ``None`` → null);
    ``bool``; ``utc`` (datetime64 → ``"2016-10-01T08:59:08Z"``); ``local`` (datetime64 →
    ``"2017-03-01T06:00:00"``). A ``str``/``text`` column may be a :class:`Categorical`.
    """

    name: str
    kind: str = "str"
    suffix: str = "Z"  # for "utc": what follows the seconds (the kit's geopoints use ".000Z")
    optional: bool = False  # a ``str`` key left out of the documents whose value is None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; use one of {KINDS}")
        if self.optional and self.kind != "str":
            raise ValueError(f"column {self.name!r}: only str columns can be optional")


@dataclass(frozen=True)
class _Optional:
    """A dict entry rendered only where its column holds a value: ``prefix`` is the entry's
    ``,"key":`` and the column's text follows, quoted."""

    prefix: str
    col: Col


@dataclass(frozen=True)
class Categorical:
    """A text column as a small vocabulary and one code per document (cheap to render)."""

    vocabulary: Sequence[str]
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def values(self) -> list[str]:
        return np.asarray(self.vocabulary, dtype=object)[self.codes].tolist()


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what JSON escapes: quote, backslash, controls


# ".05", ".1", ".12"...: the decimals of a whole number of cents, as a float's shortest repr
_DECIMALS = pa.array(["" if k == 0 else f".{k:02d}".rstrip("0") for k in range(100)])


def euros_text(cents: Sequence[int] | np.ndarray) -> pa.Array:
    """Whole cents as JSON numbers of euros, as the float ``cents / 100`` prints at its
    shortest (``2390`` → ``23.9``, ``-5`` → ``-0.05``), from integers: cheaper than formatting
    floats, and exact."""
    cents = np.asarray(cents, dtype=np.int64)
    size = np.abs(cents)
    text = pc.binary_join_element_wise(pc.cast(pa.array(size // 100), pa.string()),
                                       pc.take(_DECIMALS, size % 100), "")
    if cents.size and cents.min() < 0:
        text = pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)
    return text


def _arrow_text(values: Sequence | np.ndarray | Categorical, kind: str) -> pa.Array:
    """One column as JSON text, vectorised in Arrow (no Python per value for numbers)."""
    if isinstance(values, Categorical):
        vocab = list(values.vocabulary)
        if kind == "text":
            vocab = [_dumps(v) for v in vocab]
        return pc.take(pa.array(vocab, type=pa.string()), pa.array(np.asarray(values.codes)))
    if kind in ("utc", "local"):
        stamps = pa.array(np.asarray(values).astype("datetime64[s]"))
        return pc.replace_substring(pc.cast(stamps, pa.string()), " ", "T", max_replacements=1)
    if kind == "int":
        return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    if kind == "cents":
        return euros_text(values)
    if kind == "float":
        arr = np.asarray(values, dtype=np.float64)
        if not np.isfinite(arr).all():
            raise ValueError("float column holds NaN or infinity, which JSON cannot carry")
        return pc.cast(pa.array(arr), pa.string())
    if kind == "bool":
        return pc.if_else(pa.array(np.asarray(values, dtype=bool)), "true", "false")
    seq = values.tolist() if isinstance(values, np.ndarray) and values.dtype == object else values
    if kind == "str":
        return pa.array(seq, type=pa.string())
    if kind == "text":
        seq = values.tolist() if isinstance(values, np.ndarray) else values
        if all(type(v) is str for v in seq) and not _ESCAPED.search(" ".join(seq)):
            return pa.array([f'"{v}"' for v in seq], type=pa.string())  # nothing to escape
        return pa.array([_dumps(v) for v in seq], type=pa.string())
    seq = values.tolist() if isinstance(values, np.ndarray) else values
    return pa.array(["null" if v is None else v for v in seq], type=pa.string())  # raw


def _pieces(spec: Any, out: list) -> None:
    """Flatten a spec into literal strings and Col leaves, in output order."""
    if isinstance(spec, Col):
        if spec.optional:
            raise ValueError(f"optional column {spec.name!r} must be a dict's value")
        if spec.kind in ("str", "local"):
            out.extend(['"', spec, '"'])
        elif spec.kind == "utc":
            out.extend(['"', spec, spec.suffix + '"'])
        else:
            out.append(spec)
    elif isinstance(spec, dict):
        out.append("{")
        for i, (k, v) in enumerate(spec.items()):
            key = ("," if i else "") + _dumps(str(k)) + ":"
            if isinstance(v, Col) and v.optional:
                if not i:  # the next entry's comma would be left dangling
                    raise ValueError(f"optional column {v.name!r} cannot be a dict's first key")
                out.append(_Optional(key, v))
            else:
                out.append(key)
                _pieces(v, out)
        out.append("}")
    elif isinstance(spec, list):
        out.append("[")
        for i, v in enumerate(spec):
            if i:
                out.append(",")
            _pieces(v, out)
        out.append("]")
    else:
        out.append(_dumps(spec))


def _pieces_of(spec: Any) -> list:
    out: list = []
    _pieces(spec, out)
    return out


def _merge_literals(pieces: list) -> list:
    merged: list = []
    for p in pieces:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def _buffer_bytes(arr: pa.Array) -> bytes:
    """The concatenated values of a string array, straight from its data buffer."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        raise ValueError("a document rendered as null: a column holds a missing value")
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1,
                            offset=arr.offset * 4)
    return bytes(memoryview(arr.buffers()[2])[offsets[0]:offsets[-1]])


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

    def ndjson(self) -> bytes:
        """Every document as compact JSON followed by a newline, UTF-8, keys in spec order.

        The canonical rendering: ``lines()`` and ``dicts()`` derive from it.
        """
        if self._docs is not None:
            return b"".join(orjson.dumps(d) + b"\n" for d in self._docs)
        if self.n == 0:
            return b""
        pieces = _merge_literals([*_pieces_of(self._spec), "\n"])
        if not any(isinstance(p, Col | _Optional) for p in pieces):  # constants only
            return "".join(pieces).encode() * self.n
        args = [p if isinstance(p, str) else self._optional_text(p) if isinstance(p, _Optional)
                else _arrow_text(self._columns[p.name], p.kind) for p in pieces]
        return _buffer_bytes(pc.binary_join_element_wise(*args, ""))

    def _optional_text(self, p: _Optional) -> pa.Array:
        """``,"key":"value"`` where the column holds a value, nothing where it holds None."""
        values = pa.array(self._columns[p.col.name], type=pa.string())
        return pc.fill_null(pc.binary_join_element_wise(p.prefix + '"', values, '"', ""), "")

    def lines(self) -> list[str]:
        """One compact JSON text per document."""
        text = self.ndjson().decode("utf-8")
        return text.split("\n")[:-1] if text else []

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
                if isinstance(values, Categorical):
                    values = values.values()
                if leaf.kind in ("utc", "local"):
                    values = _arrow_text(values, leaf.kind)
                    if leaf.kind == "utc":
                        values = pc.binary_join_element_wise(values, leaf.suffix, "")
                    arrays[path] = values
                elif leaf.kind in ("raw",):
                    arrays[path] = pa.array(list(values), type=pa.string())
                elif leaf.kind == "cents":
                    arrays[path] = pa.array(np.asarray(values, dtype=np.int64) / 100)
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
