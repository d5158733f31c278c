"""JSON Schema per doctype (``synthetic_data/schemas/<doctype>.json``), with field docs."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


def _dir():
    return resources.files("synthetic_data") / "schemas"


def schema_doctypes() -> list[str]:
    return sorted(p.name[:-5] for p in _dir().iterdir() if p.name.endswith(".json"))


@cache
def load_schema(doctype: str) -> dict[str, Any]:
    path = _dir() / f"{doctype}.json"
    if not path.is_file():
        raise KeyError(f"no JSON Schema for doctype {doctype!r}")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validator(doctype: str) -> Draft202012Validator:
    schema = load_schema(doctype)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(doctype: str, doc: dict) -> list[str]:
    """Every way ``doc`` breaks its doctype's schema, each with the path of the field."""
    out = []
    for err in sorted(validator(doctype).iter_errors(doc), key=lambda e: list(e.path)):
        path = "/".join(str(p) for p in err.absolute_path) or "(document)"
        out.append(f"{path}: {err.message}")
    return out


def undocumented_fields(schema: dict[str, Any], path: str = "") -> list[str]:
    """Properties (at any depth) that lack a ``description``: every field must say what it is."""
    missing = []
    for name, sub in (schema.get("properties") or {}).items():
        here = f"{path}.{name}" if path else name
        if not sub.get("description"):
            missing.append(here)
        missing.extend(undocumented_fields(sub, here))
        items = sub.get("items")
        if isinstance(items, dict):
            missing.extend(undocumented_fields(items, here + "[]"))
    for key in ("oneOf", "anyOf", "allOf"):
        for alt in schema.get(key, []):
            missing.extend(undocumented_fields(alt, path))
    for name, sub in (schema.get("$defs") or {}).items():
        missing.extend(undocumented_fields(sub, f"$defs.{name}"))
    return missing
