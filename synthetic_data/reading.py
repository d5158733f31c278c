"""Read a generated population back (json and ndjson layouts), one household at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from synthetic_data.drive import FILES, md5sum
from synthetic_data.errors import OutputError
from synthetic_data.population import read_manifest
from synthetic_data.writers import FILES_FOLDER


def iter_documents(directory: Path, *, limit: int = 0,
                   doctypes: set[str] | None = None) -> Iterator[tuple[str, str, list[dict]]]:
    """Yields (instance, doctype, documents) for every household and doctype file."""
    manifest = read_manifest(directory)
    fmt = manifest["format"]
    if fmt not in ("json", "ndjson"):
        raise OutputError(f"{directory} was written as {fmt}; reading back supports json and "
                          "ndjson (regenerate with --format ndjson)")
    for hh in manifest["households"]:
        folder = directory / hh["instance"]
        for path in sorted(folder.glob(f"*.{fmt}")):
            doctype = path.name[: -len(fmt) - 1]
            if doctypes and doctype not in doctypes:
                continue
            yield hh["instance"], doctype, load_file(path, fmt, limit)


def load_file(path: Path, fmt: str, limit: int = 0) -> list[dict]:
    data = path.read_bytes()
    if fmt == "json":
        docs = orjson.loads(data)
        return docs[:limit] if limit else docs
    lines = data.splitlines()
    if limit:
        lines = lines[:limit]
    return [orjson.loads(line) for line in lines if line]


def iter_drive(directory: Path, instance: str) -> Iterator[tuple[dict, bytes | None]]:
    """The household's Drive in load order: ``(document, None)`` for each directory (parents
    first), then ``(document, bytes)`` for each file, its bytes read from
    ``<instance>/files/<_id>``.

    Raises :class:`OutputError` naming the file when its bytes are missing or do not match the
    document's ``size`` or ``md5sum``. A household without bills has no Drive: nothing is yielded.
    """
    fmt = read_manifest(directory)["format"]
    if fmt not in ("json", "ndjson"):
        raise OutputError(f"{directory} was written as {fmt}, which keeps no file bytes; "
                          "regenerate with --format ndjson")
    path = directory / instance / f"{FILES}.{fmt}"
    if not path.is_file():
        return
    for doc in load_file(path, fmt):
        if doc.get("type") != "file":
            yield doc, None
            continue
        yield doc, read_blob(directory / instance / FILES_FOLDER, doc)


def read_blob(folder: Path, doc: dict) -> bytes:
    """The bytes of file ``doc``, checked against its ``size`` and ``md5sum``."""
    where = f"{doc.get('name')!r} ({folder / str(doc.get('_id'))})"
    try:
        data = (folder / doc["_id"]).read_bytes()
    except (KeyError, OSError) as exc:
        raise OutputError(f"the bytes of {where} are missing: {exc}") from None
    if str(len(data)) != doc.get("size"):
        raise OutputError(f"{where} has {len(data)} bytes but its document says size "
                          f"{doc.get('size')!r}; regenerate the population")
    md5 = md5sum(data)
    if md5 != doc.get("md5sum"):
        raise OutputError(f"{where} does not match its md5sum {doc.get('md5sum')!r} (got "
                          f"{md5}); regenerate the population")
    return data
