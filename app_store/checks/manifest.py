"""Checks on ``manifest.webapp``: fields, slug, version, licence, icon, descriptions, locales,
runtime and permissions. Every problem found is returned; nothing stops at the first."""

from __future__ import annotations

import re

import orjson

from app_store import known
from app_store.archive import Archive
from app_store.problems import ERROR, WARNING, Problem

MANIFEST = "manifest.webapp"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
SPDX = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")
REQUIRED = {"name": str, "slug": str, "version": str, "editor": str, "permissions": dict,
            "runtime": dict}
LOCALE_KEYS = {"name", "short_description", "long_description", "changes", "permissions",
               "screenshots", "name_prefix"}
VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE", "ALL"}
RUNTIMES = ("static", "python")
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".svg")


def load_manifest(archive: Archive) -> tuple[dict | None, list[Problem]]:
    raw = archive.files.get(MANIFEST)
    if raw is None:
        return None, [Problem("manifest.missing", ERROR, "add a manifest.webapp at the root of "
                              "the archive (see the sample apps)", MANIFEST)]
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, [Problem("manifest.invalid_json", ERROR, f"manifest.webapp is not valid "
                              f"JSON: {exc}; fix the syntax", MANIFEST)]
    if not isinstance(manifest, dict):
        return None, [Problem("manifest.invalid_json", ERROR, "manifest.webapp must be a JSON "
                              "object", MANIFEST)]
    return manifest, []


def check_manifest(m: dict, archive: Archive) -> list[Problem]:
    out: list[Problem] = []
    for key, kind in REQUIRED.items():
        if key not in m:
            out.append(Problem("manifest.field", ERROR, f"add the field {key!r}", key))
        elif not isinstance(m[key], kind):
            out.append(Problem("manifest.field", ERROR, f"{key!r} must be a "
                               f"{'string' if kind is str else 'JSON object'}", key))
    slug = m.get("slug")
    if isinstance(slug, str) and not SLUG.match(slug):
        out.append(Problem("manifest.slug", ERROR, "slug must be 3-64 lowercase letters, digits "
                           "and inner hyphens, e.g. energy-coach", "slug"))
    version = m.get("version")
    if isinstance(version, str) and not SEMVER.match(version):
        out.append(Problem("manifest.version", ERROR, "version must be semver X.Y.Z (e.g. "
                           "1.0.0), optionally with a pre-release suffix", "version"))
    lic = m.get("license") or m.get("licence")
    if not isinstance(lic, str) or not SPDX.match(lic.strip()):
        out.append(Problem("manifest.license", ERROR, "add a 'license' with an SPDX identifier, "
                           "e.g. MIT or AGPL-3.0-or-later", "license"))
    out.extend(_icon(m, archive))
    out.extend(_screenshots(m, archive))
    out.extend(_descriptions(m))
    out.extend(_locales(m))
    out.extend(_runtime(m, archive))
    out.extend(check_permissions(m))
    return out


def _icon(m: dict, archive: Archive) -> list[Problem]:
    icon = m.get("icon")
    if not isinstance(icon, str) or not icon:
        return [Problem("manifest.icon", ERROR, "add an 'icon' (a path to an SVG or PNG file in "
                        "the archive)", "icon")]
    path = icon.lstrip("/")
    if path not in archive.files:
        return [Problem("manifest.icon", ERROR, f"the icon {icon!r} is not in the archive; add "
                        "the file or fix the path", "icon")]
    data = archive.files[path]
    if not path.lower().endswith((".svg", ".png")) or not (
            data.startswith(b"\x89PNG") or b"<svg" in data[:2048]):
        return [Problem("manifest.icon", ERROR, "the icon must be an SVG or a PNG file, named "
                        "*.svg or *.png", "icon")]
    return []


def _screenshots(m: dict, archive: Archive) -> list[Problem]:
    shots = m.get("screenshots")
    if shots is None:
        return []
    if not isinstance(shots, list) or not all(isinstance(x, str) for x in shots):
        return [Problem("manifest.screenshots", ERROR, "screenshots is a list of paths to "
                        "PNG, JPEG or SVG files in the archive", "screenshots")]
    out = []
    for i, shot in enumerate(shots):
        data = archive.files.get(shot.lstrip("/"))
        if data is None:
            out.append(Problem("manifest.screenshots", ERROR, f"{shot!r} is not in the "
                               "archive; add the file or fix the path", f"screenshots[{i}]"))
        elif not shot.lower().endswith(IMAGE_EXT) or not (
                data.startswith((b"\x89PNG", b"\xff\xd8")) or b"<svg" in data[:2048]):
            out.append(Problem("manifest.screenshots", ERROR, f"{shot!r} is not a PNG, JPEG "
                               "or SVG image", f"screenshots[{i}]"))
    return out


def _descriptions(m: dict) -> list[Problem]:
    out = []
    short = m.get("short_description")
    if not isinstance(short, str) or not 10 <= len(short.strip()) <= 200:
        out.append(Problem("manifest.description", ERROR, "add a 'short_description' of 10 to "
                           "200 characters saying what the app does for the tester",
                           "short_description"))
    long = m.get("long_description")
    if not isinstance(long, str) or len(long.strip()) < 40:
        out.append(Problem("manifest.description", WARNING, "add a 'long_description' (at least "
                           "40 characters): what the app shows and which data it crosses",
                           "long_description"))
    return out


def _locales(m: dict) -> list[Problem]:
    locales = m.get("locales")
    if locales is None:
        return []
    if not isinstance(locales, dict):
        return [Problem("manifest.locales", ERROR, "'locales' must map language codes (fr, "
                        "en…) to objects", "locales")]
    out = []
    for lang, body in locales.items():
        if not re.match(r"^[a-z]{2}(-[A-Z]{2})?$", str(lang)) or not isinstance(body, dict):
            out.append(Problem("manifest.locales", ERROR, f"locale {lang!r} must be a language "
                               "code mapped to an object", f"locales.{lang}"))
            continue
        extra = sorted(set(body) - LOCALE_KEYS)
        if extra:
            out.append(Problem("manifest.locales", WARNING, f"unknown keys {extra} in locale "
                               f"{lang}; use {sorted(LOCALE_KEYS)}", f"locales.{lang}"))
    return out


def _runtime(m: dict, archive: Archive) -> list[Problem]:
    rt = m.get("runtime")
    if not isinstance(rt, dict):
        return []  # reported as a missing field
    out = []
    kind = rt.get("type")
    if kind not in RUNTIMES:
        return [Problem("manifest.runtime", ERROR, f"runtime.type must be one of "
                        f"{', '.join(RUNTIMES)}", "runtime.type")]
    if kind == "static":
        index = str(rt.get("index", "index.html")).lstrip("/")
        if index not in archive.files:
            out.append(Problem("manifest.runtime", ERROR, f"a static app needs its index page; "
                               f"{index} is not in the archive", "runtime.index"))
    else:
        command = rt.get("command")
        if not (isinstance(command, list) and command and all(isinstance(c, str)
                                                             for c in command)):
            out.append(Problem("manifest.runtime", ERROR, "a python app needs runtime.command, "
                               'e.g. ["python", "app.py"]; it must listen on port 8000',
                               "runtime.command"))
        req = rt.get("requirements")
        if req is not None and str(req).lstrip("/") not in archive.files:
            out.append(Problem("manifest.runtime", ERROR, f"runtime.requirements names {req!r},"
                               " which is not in the archive", "runtime.requirements"))
        health = rt.get("health", "/health")
        if not isinstance(health, str) or not health.startswith("/"):
            out.append(Problem("manifest.runtime", ERROR, "runtime.health must be a path such "
                               "as /health", "runtime.health"))
    return out


def declared_doctypes(m: dict) -> set[str]:
    perms = m.get("permissions")
    if not isinstance(perms, dict):
        return set()
    return {r["type"] for r in perms.values() if isinstance(r, dict)
            and isinstance(r.get("type"), str)}


def check_permissions(m: dict) -> list[Problem]:
    perms = m.get("permissions")
    if not isinstance(perms, dict):
        return []
    slug = m.get("slug") if isinstance(m.get("slug"), str) else ""
    out = []
    for key, rule in perms.items():
        where = f"permissions.{key}"
        if not isinstance(rule, dict) or not isinstance(rule.get("type"), str):
            out.append(Problem("permissions.invalid", ERROR, "each permission is an object with "
                               "a 'type' (a doctype)", where))
            continue
        doctype = rule["type"]
        verbs = rule.get("verbs", ["ALL"])
        if not isinstance(verbs, list) or not all(v in VERBS for v in verbs):
            out.append(Problem("permissions.invalid", ERROR, "verbs must be a list of GET, POST, "
                               "PUT, PATCH, DELETE or ALL", where))
            verbs = ["ALL"]
        writes = any(v != "GET" for v in verbs)
        if doctype.endswith(".*") and doctype.count(".") < 3:
            out.append(Problem("permissions.invalid", ERROR, f"wildcard {doctype!r} needs at "
                               "least 3 dots, e.g. org.fing.mesinfos.*", where))
        elif known.is_reserved(doctype, writes):
            out.append(Problem("permissions.reserved_doctype", ERROR, f"{doctype} is reserved "
                               "to the personal cloud itself; remove this permission", where))
        elif not known.matches_known(doctype) and not known.is_own(doctype, slug):
            out.append(Problem("permissions.unknown_doctype", ERROR, f"{doctype} is neither a "
                               "MesInfos doctype nor the app's own; for data the app stores, "
                               f"name it with '{known.own_namespace(slug)}' as a segment, e.g. "
                               f"fr.hackathon.{known.own_namespace(slug)}.results", where))
        desc = rule.get("description") or _localised_description(m, key)
        if not isinstance(desc, str) or len(desc.strip()) < 10:
            out.append(Problem("permissions.no_description", ERROR, "say in a 'description' why "
                               "the app needs this data (testers read it before consenting)",
                               where))
    return out


def _localised_description(m: dict, key: str) -> str | None:
    """A permission's description may live under locales.<lang>.permissions.<key>."""
    locales = m.get("locales")
    if not isinstance(locales, dict):
        return None
    for body in locales.values():
        entry = ((body if isinstance(body, dict) else {}).get("permissions") or {}).get(key)
        if isinstance(entry, dict) and isinstance(entry.get("description"), str):
            return entry["description"]
    return None
