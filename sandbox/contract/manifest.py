"""An app's ``manifest.webapp``: the fields the stack relies on, typed, with their defaults.

:func:`parse_manifest` is the one reading of a manifest. It reports every problem at once, each
with a stable check id and a path, and returns a :class:`Manifest` only when the fields the
stack needs are sound: slug, version, name, editor, permissions and our ``runtime`` section.
What only a registry cares about (licence, descriptions, icon, screenshots) is the store's to
check; it stays in :attr:`Manifest.raw`, which is also what the registry serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sandbox.contract import addresses
from sandbox.contract.permissions import Rule, parse_permissions
from sandbox.contract.problems import ERROR, Problem
from sandbox.contract.versions import Version
from sandbox.errors import BadRequest

FILENAME = "manifest.webapp"
RUNTIMES = ("static", "python")
DEFAULT_INDEX = "index.html"
DEFAULT_HEALTH = "/health"
REQUIRED: dict[str, type] = {"name": str, "slug": str, "version": str, "editor": str,
                             "permissions": dict, "runtime": dict}


@dataclass(frozen=True)
class Runtime:
    """How the app runs: ``static`` files served by the shim, or a ``python`` web server."""

    type: str
    index: str = DEFAULT_INDEX
    command: tuple[str, ...] = ()
    requirements: str | None = None
    health: str = DEFAULT_HEALTH

    @property
    def health_path(self) -> str:
        """What a runner asks to know the app is up: a static app's index page, a server's
        health route."""
        return "/" if self.type == "static" else self.health


@dataclass(frozen=True)
class Manifest:
    slug: str
    name: str
    version: str
    editor: str
    permissions: tuple[Rule, ...]
    runtime: Runtime
    raw: dict

    @property
    def permissions_json(self) -> dict:
        return self.raw.get("permissions") or {}

    def to_json(self) -> bytes:
        return orjson.dumps(self.raw)


def _problem(check: str, message: str, path: str) -> Problem:
    return Problem(check, ERROR, message, path)


def _fields(raw: dict) -> list[Problem]:
    out = []
    for key, kind in REQUIRED.items():
        if key not in raw:
            out.append(_problem("manifest.field", f"add the field {key!r}", key))
        elif not isinstance(raw[key], kind):
            what = "a string" if kind is str else "a JSON object"
            out.append(_problem("manifest.field", f"{key!r} must be {what}", key))
    slug = raw.get("slug")
    if isinstance(slug, str) and not (len(slug) >= 3 and addresses.is_label(slug)):
        out.append(_problem("manifest.slug", "slug must be 3-63 lowercase letters, digits and "
                            "inner hyphens, e.g. energy-coach (it becomes a host name)", "slug"))
    version = raw.get("version")
    if isinstance(version, str) and not Version.valid(version):
        out.append(_problem("manifest.version", "version must be semver X.Y.Z (e.g. 1.0.0), "
                            "optionally with a pre-release suffix such as 1.1.0-beta.1",
                            "version"))
    return out


def parse_runtime(raw: Any) -> tuple[Runtime | None, list[Problem]]:
    """The ``runtime`` section with its defaults (None, and why, when it is unusable)."""
    if not isinstance(raw, dict):
        return None, []  # reported as a missing or mistyped field
    kind = raw.get("type")
    if kind not in RUNTIMES:
        return None, [_problem("manifest.runtime", f"runtime.type must be one of "
                               f"{', '.join(RUNTIMES)}", "runtime.type")]
    out = []
    index = raw.get("index", DEFAULT_INDEX)
    if not isinstance(index, str) or not index.strip("/"):
        out.append(_problem("manifest.runtime", "runtime.index must be the path of the index "
                            "page, e.g. index.html", "runtime.index"))
    command = raw.get("command")
    if kind == "python" and not (isinstance(command, list) and command
                                 and all(isinstance(c, str) and c for c in command)):
        out.append(_problem("manifest.runtime", "a python app needs runtime.command, e.g. "
                            '["python3", "server.py"]; it must listen on 127.0.0.1:$PORT',
                            "runtime.command"))
    req = raw.get("requirements")
    if req is not None and (not isinstance(req, str) or not req.strip("/")):
        out.append(_problem("manifest.runtime", "runtime.requirements must be the path of a "
                            "requirements file, e.g. requirements.txt", "runtime.requirements"))
    health = raw.get("health", DEFAULT_HEALTH)
    if not isinstance(health, str) or not health.startswith("/"):
        out.append(_problem("manifest.runtime", "runtime.health must be a path such as "
                            "/health", "runtime.health"))
    if out:
        return None, out
    return Runtime(kind, index=index.lstrip("/"),
                   command=tuple(command) if kind == "python" else (),
                   requirements=req.lstrip("/") if req else None, health=health), []


def parse_manifest(raw: Any) -> tuple[Manifest | None, list[Problem]]:
    """The manifest, or None, and every problem found in the fields the stack relies on."""
    if not isinstance(raw, dict):
        return None, [_problem("manifest.invalid_json", "manifest.webapp must be a JSON "
                               "object", FILENAME)]
    problems = _fields(raw)
    runtime, found = parse_runtime(raw.get("runtime"))
    problems += found
    rules, found = parse_permissions(raw.get("permissions"))
    problems += found
    if problems or runtime is None:
        return None, problems
    return Manifest(slug=raw["slug"], name=raw["name"], version=raw["version"],
                    editor=raw["editor"], permissions=tuple(rules), runtime=runtime,
                    raw=raw), []


MAX_BYTES = 256 * 1024


def read_manifest(files: Mapping[str, bytes]) -> tuple[Any, list[Problem]]:
    """The JSON of ``manifest.webapp`` in a bundle's files (None with the problem when it is
    missing, too large or not JSON)."""
    data = files.get(FILENAME)
    if data is not None and len(data) > MAX_BYTES:
        return None, [_problem("manifest.too_large", f"manifest.webapp is {len(data):,} bytes; "
                               f"keep it under {MAX_BYTES:,} (long texts belong in the app)",
                               FILENAME)]
    if data is None:
        nested = sorted((p for p in files if p.endswith("/" + FILENAME)),
                        key=lambda p: (p.count("/"), p))
        if nested:
            folder = nested[0][:-len(FILENAME) - 1]
            return None, [_problem("manifest.missing", f"manifest found in `{folder}/`: pack "
                                   "from inside the folder, so that manifest.webapp is at the "
                                   f"root of the archive (`selfdata submit ./{folder}` does, "
                                   f"or `tar czf app.tar.gz -C {folder} .`)", FILENAME)]
        return None, [_problem("manifest.missing", "add a manifest.webapp at the root of the "
                               "archive (see the sample apps)", FILENAME)]
    try:
        return orjson.loads(data), []
    except orjson.JSONDecodeError as exc:
        return None, [_problem("manifest.invalid_json", f"manifest.webapp is not valid JSON: "
                               f"{exc}; fix the syntax", FILENAME)]


def load_manifest(files: Mapping[str, bytes]) -> tuple[Manifest | None, list[Problem]]:
    raw, problems = read_manifest(files)
    if problems:
        return None, problems
    return parse_manifest(raw)


class InvalidManifest(BadRequest):
    """A manifest that does not parse; carries the problems."""

    error = "bad_manifest"

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems) or
                         "the manifest is not a JSON object")
        self.problems = problems


def manifest_from_json(data: bytes | str | dict) -> Manifest:
    """A manifest that was accepted before (stored by the store or an install)."""
    try:
        raw = orjson.loads(data) if isinstance(data, bytes | str) else data
    except orjson.JSONDecodeError as exc:
        raise InvalidManifest([_problem("manifest.invalid_json", f"not JSON: {exc}",
                                        FILENAME)]) from exc
    manifest, problems = parse_manifest(raw)
    if manifest is None:
        raise InvalidManifest(problems)
    return manifest
