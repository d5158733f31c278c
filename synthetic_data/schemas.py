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


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.split("/")[-1]], root)
    return schema


def _leaf_type(schemas: list[dict]) -> str:
    types: set[str] = set()
    for s in schemas:
        t = s.get("type")
        if t is None and "const" in s:
            t = type(s["const"]).__name__.replace("str", "string").replace("int", "integer")
        if t is None and "enum" in s:
            t = "string" if all(isinstance(v, str) for v in s["enum"]) else "mixed"
        types.update(t if isinstance(t, list) else [t or "mixed"])
    types.discard("null")
    if types == {"integer"}:
        return "integer"
    if types <= {"integer", "number"} and types:
        return "number"
    if types == {"boolean"}:
        return "boolean"
    return "string"


def _collect(schema: dict, root: dict, prefix: str, out: dict[str, list[dict]]) -> None:
    schema = _resolve(schema, root)
    branches = [schema] + [_resolve(b, root) for k in ("oneOf", "anyOf", "allOf")
                           for b in schema.get(k, [])]
    for branch in branches:
        for name, sub in (branch.get("properties") or {}).items():
            sub = _resolve(sub, root)
            path = f"{prefix}.{name}" if prefix else name
            has_children = bool(sub.get("properties")) or any(
                _resolve(b, root).get("properties") for k in ("oneOf", "anyOf", "allOf")
                for b in sub.get(k, []))
            if has_children:
                _collect(sub, root, path, out)
            else:
                out.setdefault(path, []).append(sub)


@cache
def tabular_columns(doctype: str) -> tuple[tuple[str, str], ...]:
    """(dotted path, JSON type) of every leaf field of the doctype, in schema order.

    CSV and Parquet files of a doctype all get exactly these columns, so the files of every
    household read as one dataset. Lists and free-form objects are JSON text.
    """
    root = load_schema(doctype)
    leaves: dict[str, list[dict]] = {}
    _collect(root, root, "", leaves)
    return tuple((path, _leaf_type(subs)) for path, subs in leaves.items())
