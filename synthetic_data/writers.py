"""Write one household's batches in a chosen format.

- ``json``: ``<instance>/<doctype>.json``, a JSON array per doctype (the MesInfos kit's layout);
- ``ndjson``: ``<instance>/<doctype>.ndjson``, one document per line;
- ``csv`` / ``parquet``: ``<doctype>/<instance>.<ext>``, flattened columns (dotted names) with a
  leading ``household`` column, so ``<doctype>/`` reads as one dataset for the whole population.

The Drive (bills as PDFs, ``synthetic_data/drive.py``): its ``io.cozy.files`` documents are a
doctype like the others in every format; the bytes go to ``<instance>/files/<file _id>`` in the
json and ndjson layouts only (the ones the sandbox loads). CSV and Parquet keep the metadata rows
(name, size, md5sum...) without the PDFs: they are tables for analysis, not a Drive to restore.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthetic_data.documents import Batch
from synthetic_data.schemas import tabular_columns

FORMATS = ("json", "ndjson", "csv", "parquet")


def group(batches: list[Batch]) -> dict[str, list[Batch]]:
    by_type: dict[str, list[Batch]] = defaultdict(list)
    for b in batches:
        if b.n:
            by_type[b.doctype].append(b)
    return dict(sorted(by_type.items()))


FILES_FOLDER = "files"


def write_household(root: Path, instance: str, batches: list[Batch], fmt: str,
                    blobs: dict[str, bytes] | None = None) -> tuple[dict[str, int], int]:
    """Returns (documents per doctype, bytes written). ``blobs``: Drive file bytes by id."""
    counts: dict[str, int] = {}
    size = 0
    if blobs and fmt in ("json", "ndjson"):
        folder = root / instance / FILES_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for file_id, data in blobs.items():
            (folder / file_id).write_bytes(data)
            size += len(data)
    for doctype, parts in group(batches).items():
        counts[doctype] = sum(b.n for b in parts)
        if fmt in ("json", "ndjson"):
            data = b"".join(b.ndjson() for b in parts)
            if fmt == "json":  # one array per file, a document per line
                data = b"[\n" + data[:-1].replace(b"\n", b",\n") + b"\n]\n"
            path = root / instance / f"{doctype}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            size += len(data)
        else:
            table = conform(_concat([b.table() for b in parts]), doctype)
            table = table.add_column(0, "household", pa.array([instance] * table.num_rows))
            path = root / doctype / f"{instance}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "csv":
                pacsv.write_csv(table, path)
            else:
                pq.write_table(table, path)
            size += path.stat().st_size
    return counts, size


def _concat(tables: list[pa.Table]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    types: dict[str, set] = defaultdict(set)
    for t in tables:
        for f in t.schema:
            if not pa.types.is_null(f.type):
                types[f.name].add(f.type)
    fixed = []
    for t in tables:
        for i, f in enumerate(t.schema):
            if len(types[f.name]) > 1 and not pa.types.is_string(f.type):
                t = t.set_column(i, f.name, t.column(i).cast(pa.string()))
        fixed.append(t)
    return pa.concat_tables(fixed, promote_options="permissive")


ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
               "string": pa.string()}


def conform(table: pa.Table, doctype: str) -> pa.Table:
    """The columns the doctype's schema declares, in its order and types (nulls when absent)."""
    arrays, names = [], []
    for path, kind in tabular_columns(doctype):
        target = ARROW_TYPES[kind]
        if path in table.column_names:
            col = table.column(path)
            if col.type != target:
                col = col.cast(target)
            arrays.append(col)
        else:
            arrays.append(pa.nulls(table.num_rows, type=target))
        names.append(path)
    extra = sorted(set(table.column_names) - set(names))
    if extra:
        raise ValueError(f"{doctype}: fields {extra} are not in the doctype's JSON Schema")
    return pa.table(arrays, names=names)
