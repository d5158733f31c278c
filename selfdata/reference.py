"""The references generated from the code: the API (OpenAPI), the doctypes (the JSON
Schemas) and the settings (their field descriptions).

``selfdata reference docs/reference`` writes ``api.md``, ``doctypes.md`` and ``settings.md``;
a test checks that the committed files equal what the code generates, so the reference cannot
go stale.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pydantic_settings import BaseSettings

from app_store.settings import StoreSettings
from app_store.web.app import create_app as create_store
from sandbox.contract import doctypes
from sandbox.contract.consent import doctype_in_words
from sandbox.settings import AppLimits, Settings
from sandbox.web.app import create_app as create_sandbox
from synthetic_data.schemas import load_schema, schema_doctypes


def _type(spec: dict) -> str:
    if "type" in spec:
        t = spec["type"]
        t = " or ".join(t) if isinstance(t, list) else t
        if t == "array" and isinstance(spec.get("items"), dict):
            return f"array of {_type(spec['items'])}"
        return t
    for key in ("oneOf", "anyOf"):
        if key in spec:
            return " or ".join(_type(s) for s in spec[key])
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    return "any"


def _rows(props: dict, prefix: str, out: list[tuple[str, str, str]]) -> None:
    for name, spec in props.items():
        path = f"{prefix}{name}"
        desc = " ".join(str(spec.get("description", "")).split())
        if "enum" in spec:
            desc += " One of: " + ", ".join(f"`{v}`" for v in spec["enum"]) + "."
        out.append((path, _type(spec), desc))
        if isinstance(spec.get("properties"), dict):
            _rows(spec["properties"], path + ".", out)
        items = spec.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            _rows(items["properties"], path + "[].", out)


def doctypes_markdown() -> str:
    lines = ["# Doctype reference", "",
             "Generated from `synthetic_data/schemas/*.json` by `selfdata reference`. Every "
             "field the generator writes, with its meaning.", ""]
    names = schema_doctypes()
    lines += [f"- [`{d}`](#{d.replace('.', '')})" for d in names] + [""]
    for d in names:
        s = load_schema(d)
        lines += [f"## {d}", "", " ".join(str(s.get("description", "")).split()), "",
                  f"Required: {', '.join(f'`{r}`' for r in s.get('required', [])) or 'none'}.",
                  "", "| Field | Type | Meaning |", "|---|---|---|"]
        rows: list[tuple[str, str, str]] = []
        _rows(s.get("properties", {}), "", rows)
        lines += [f"| `{p}` | {t} | {desc.replace('|', '/')} |" for p, t, desc in rows]
        lines.append("")
    return "\n".join(lines + _stack_doctypes())


def _stack_doctypes() -> list[str]:
    """The personal cloud's own doctypes that apps may ask for, in the tester's words."""
    lines = ["## Doctypes of the personal cloud", "",
             "Beside the data above, an app may ask for these (`sandbox/contract/doctypes.py`), "
             "shown to testers in these words (`sandbox/contract/consent.py`). Read-only "
             "doctypes are never written through `/data`; some are written through the "
             "personal cloud's own routes, with the verbs listed. Reserved doctypes "
             f"({', '.join(f'`{d}`' for d in sorted(doctypes.HIDDEN))}) are refused.", "",
             "| Doctype | What the tester reads | Writes |", "|---|---|---|"]
    for d in sorted(doctypes.STACK):
        if d in doctypes.ROUTE_WRITES:
            writes = "through its routes: " + ", ".join(sorted(doctypes.route_verbs(d)))
        elif d in doctypes.READ_ONLY:
            writes = "none (read-only)"
        else:
            writes = "through `/data`"
        lines.append(f"| `{d}` | {doctype_in_words(d)} | {writes} |")
    return [*lines, ""]


def _routes(spec: dict) -> list[str]:
    out = []
    for path, ops in sorted(spec.get("paths", {}).items()):
        for method, op in ops.items():
            summary = " ".join(str(op.get("summary") or "").split())
            doc = " ".join(str(op.get("description") or "").split())
            # the summary is the docstring's first sentence: the docstring alone says both
            what = doc[:240] if doc.startswith(summary) else \
                f"{summary}{': ' + doc[:200] if doc else ''}"
            out.append(f"| `{method.upper()}` | `{path}` | {what} |".replace("\n", " "))
    return out


def api_markdown() -> str:
    tmp = Path(tempfile.mkdtemp(prefix="selfdata-reference-"))
    lines = ["# HTTP API reference", "",
             "Generated from the two apps' OpenAPI documents by `selfdata reference`. Live, "
             "interactive versions: `/api-docs` on the sandbox and on the store.", ""]
    for title, factory in (
            ("Sandbox (the Cozy stack's API)", lambda: create_sandbox(
                Settings(database_url=f"sqlite:///{tmp / 'sandbox.db'}"))),
            ("App store", lambda: create_store(StoreSettings(
                database_url=f"sqlite:///{tmp / 'store.db'}", data_dir=tmp / "store",
                workers=0)))):
        spec = factory().openapi()
        lines += [f"## {title}", "", "| Method | Path | What |", "|---|---|---|",
                  *_routes(spec), ""]
    shutil.rmtree(tmp, ignore_errors=True)
    return "\n".join(lines)


SETTINGS = (("Sandbox", Settings), ("App store", StoreSettings),
            ("App containers (both)", AppLimits))


def env_vars(cls: type[BaseSettings]) -> list[tuple[str, str, str]]:
    """(environment variable, default, description) of every setting of ``cls``."""
    prefix = cls.model_config.get("env_prefix", "")
    out = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        var = alias.choices[0] if hasattr(alias, "choices") else f"{prefix}{name.upper()}"
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings):
            continue  # a group of its own, listed under its heading
        default = field.get_default(call_default_factory=True)
        out.append((var, "" if default in ("", None) else str(default),
                    field.description or ""))
    return out


def settings_markdown() -> str:
    lines = ["# Settings", "",
             "Generated from the settings classes by `selfdata reference`. Every setting is an "
             "environment variable; command-line options override some of them.", ""]
    for title, cls in SETTINGS:
        lines += [f"## {title}", "", "| Variable | Default | Meaning |", "|---|---|---|"]
        lines += [f"| `{var}` | `{default}` | {desc} |" if default else
                  f"| `{var}` | | {desc} |" for var, default, desc in env_vars(cls)]
        lines.append("")
    return "\n".join(lines)


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = [(out / "doctypes.md", doctypes_markdown()), (out / "api.md", api_markdown()),
             (out / "settings.md", settings_markdown())]
    for path, text in files:
        path.write_text(text)
    return [p for p, _ in files]
