"""Read a generated population back (json and ndjson layouts), one household at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from synthetic_data.errors import OutputError
from synthetic_data.population import read_manifest


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
