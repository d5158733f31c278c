"""Fidelity to the MesInfos developer kit: every generated document has the kit's shape.

``kit_shapes.json`` (beside this file) describes each kit sample file's documents as field paths
with JSON types, value formats (regular expressions), closed sets and required keys, written from
reading the kit (jacquarg/mesinfos-dev, folder ``data/``); its ``_about`` and ``decisions`` say
how. Each generated document is routed to its kit shape by doctype and top-level values, then
checked: no missing required key, no key the kit lacks unless it is a declared addition (whose
schema description says so), every type, format and closed set as in the kit.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from synthetic_data.calendar_fr import Period
from synthetic_data.context import SourceContext
from synthetic_data.household import sample_household
from synthetic_data.schemas import load_schema
from synthetic_data.seeding import household_seed, stream
from synthetic_data.sources import all_doctypes, maif
from synthetic_data.timeline import build_timeline

SPEC = json.loads((Path(__file__).with_name("kit_shapes.json")).read_text(encoding="utf-8"))
SHAPES: dict[str, dict] = SPEC["shapes"]
IGNORED = frozenset(SPEC["ignored"])
ROUTES = SPEC["routes"]
ADDITIONS: dict[str, dict[str, str]] = SPEC["additions"]
ADDITION_MARK = "Not in the MesInfos kit"
UNROUTED = "(no route)"


def _jtype(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _num_text(v) -> str:
    return str(v) if isinstance(v, int) else format(Decimal(repr(v)), "f")


def _walk(doc, maps: tuple[str, ...], prefix: str = ""):
    """(path, value) of every node below ``doc``: ``a.b``, ``a[]``, ``a.*`` in free-key maps."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if not prefix and k in IGNORED:
                continue
            p = (prefix + "." if prefix else "") + ("*" if prefix in maps else k)
            yield p, v
            yield from _walk(v, maps, p)
    elif isinstance(doc, list):
        for v in doc:
            yield prefix + "[]", v
            yield from _walk(v, maps, prefix + "[]")


def route(doctype: str, doc: dict) -> tuple[str | None, dict]:
    for dt, selector, shape, overrides in ROUTES:
        if dt == doctype and all(doc.get(k) == v for k, v in selector.items()):
            return shape, overrides
    return UNROUTED, {}


def _under(path: str, roots: dict[str, str]) -> bool:
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[]")
               for r in roots)


def shape_problems(doc: dict, key: str, overrides: dict) -> list[str]:
    """Every way ``doc`` differs from kit shape ``key`` (with the route's overrides)."""
    shape = SHAPES[key]
    fields = shape["fields"]
    maps = tuple(shape.get("maps", []))
    optional = set(overrides.get("optional", []))
    enums = overrides.get("enum", {})
    additions = ADDITIONS.get(key, {})
    out = []
    for path, val in _walk(doc, maps):
        f = fields.get(path)
        if f is None:
            if not _under(path, additions):
                out.append(f"extra {path} = {val!r:.60}")
            continue
        t = _jtype(val)
        if not (t in f["types"] or (t == "integer" and "number" in f["types"])):
            out.append(f"type {path}: {t} {val!r:.40} not {f['types']}")
            continue
        fmt = overrides.get("format", {}).get(path, f.get("format"))
        if fmt and t in ("string", "integer", "number"):
            text = val if t == "string" else _num_text(val)
            if not re.fullmatch(fmt, text):
                out.append(f"format {path}: {text[:50]!r} !~ {fmt}")
        allowed = enums.get(path, f.get("enum"))
        if allowed is not None and t not in ("object", "array") and val not in allowed:
            out.append(f"enum {path}: {val!r} not in {allowed}")
    out += [f"present {path} (the kit has none here)" for path in overrides.get("absent", [])
            if path in doc]
    containers = [("", doc)] + [(p, v) for p, v in _walk(doc, maps) if isinstance(v, dict)]
    for cpath, cval in containers:
        if cpath in maps:
            continue
        pre = cpath + "." if cpath else ""
        for path, f in fields.items():
            rest = path[len(pre):]
            if (f["required"] and path not in optional and path.startswith(pre)
                    and rest and "." not in rest and "[" not in rest and rest not in cval):
                out.append(f"missing {path}")
    return out


@cache
def _claims_population() -> list[dict]:
    """Claims of 300 MAIF-only households over two years: both kinds of claim occur."""
    period = Period.of_years(date(2023, 1, 1), 2)
    docs = []
    for index in range(300):
        s = household_seed(31, index)
        hh = sample_household(index, stream(s, "household"), period.start)
        tl = build_timeline(hh, period, stream(s, "timeline"))
        zeros = np.zeros(period.n_days)
        ctx = SourceContext(hh, period, tl, zeros, zeros, s, 31)
        for b in maif.generate(ctx):
            if b.doctype == maif.SINISTRE:
                docs.extend(b.dicts())
    return docs


def _routed(households) -> dict[str, list[tuple[str, dict, dict]]]:
    """Kit shape -> [(where, document, overrides)] over the test households."""
    by_shape: dict[str, list] = {}
    for data in households:
        for b in data.batches:
            for i, doc in enumerate(b.dicts()):
                shape, overrides = route(b.doctype, doc)
                if shape:
                    by_shape.setdefault(shape, []).append(
                        (f"{data.household.instance} {b.doctype} #{i}", doc, overrides))
    for i, doc in enumerate(_claims_population()):
        shape, overrides = route(maif.SINISTRE, doc)
        by_shape.setdefault(shape, []).append((f"claims population #{i}", doc, overrides))
    return by_shape


@pytest.fixture(scope="module")
def routed(households):
    return _routed(households)


def test_every_document_is_routed(routed):
    lost = routed.get(UNROUTED, [])
    assert not lost, f"{len(lost)} documents match no route, e.g. {lost[0][0]}: {lost[0][1]!r:.200}"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_documents_have_the_kits_shape(routed, shape):
    docs = routed.get(shape, [])
    assert docs, f"no generated document has the kit shape {shape}"
    failures: dict[str, str] = {}
    for where, doc, overrides in docs:
        for problem in shape_problems(doc, shape, overrides):
            failures.setdefault(problem.split(":")[0].split(" =")[0], f"{where}: {problem}")
    assert not failures, f"{len(failures)} kinds of difference:\n" + "\n".join(
        sorted(failures.values())[:40])


def test_every_doctype_is_routed_and_every_shape_is_used():
    doctypes = {r[0] for r in ROUTES}
    assert set(all_doctypes()) <= doctypes
    assert {r[2] for r in ROUTES if r[2]} == set(SHAPES)
    for dt, _sel, shape, overrides in ROUTES:
        assert shape or overrides.get("reason"), f"{dt}: say why it has no kit shape"


def _schema_description(doctype: str, path: str) -> str | None:
    node = load_schema(doctype)
    for part in path.replace("[]", ".[]").split("."):
        if part == "[]":
            node = node.get("items", {})
            continue
        branches = [node, *node.get("oneOf", []), *node.get("anyOf", [])]
        node = next((b["properties"][part] for b in branches
                     if part in (b.get("properties") or {})), None)
        if node is None:
            return None
    return node.get("description")


@pytest.mark.parametrize("shape", sorted(ADDITIONS))
def test_additions_are_documented_as_not_in_the_kit(shape):
    doctype = shape.split("#")[0]
    for path, why in ADDITIONS[shape].items():
        assert why, f"{shape} {path}: say why we add it"
        text = _schema_description(doctype, path)
        assert text and ADDITION_MARK.lower() in text.lower(), (
            f"{doctype} {path}: its schema description must say '{ADDITION_MARK}'")
