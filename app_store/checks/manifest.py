"""Checks on ``manifest.webapp``. The fields the stack relies on (slug, version, runtime,
permissions) are read by the contract's one parser, so what passes here is what the personal
cloud accepts; on top, what a registry asks of a listed app: licence, icon, screenshots,
descriptions, locales, files the runtime names, and a reason and a known doctype for every
permission. Every problem is returned; nothing stops at the first."""

from __future__ import annotations

import re

from sandbox.contract import doctypes
from sandbox.contract.bundle import Archive
from sandbox.contract.manifest import Manifest, Runtime, parse_manifest, parse_runtime
from sandbox.contract.permissions import Rule, parse_permissions
from sandbox.contract.problems import ERROR, WARNING, Problem

SPDX = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")
LOCALE_KEYS = {"name", "short_description", "long_description", "changes", "permissions",
               "screenshots", "name_prefix"}
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".svg")
MAX_PERMISSIONS = 32      # what a tester can read and weigh before consenting


def check_manifest(m: dict, archive: Archive) -> tuple[Manifest | None, list[Problem]]:
    """The parsed manifest (None when the stack would refuse it) and every problem."""
    manifest, out = parse_manifest(m)
    lic = m.get("license") or m.get("licence")
    if not isinstance(lic, str) or not SPDX.match(lic.strip()):
        out.append(Problem("manifest.license", ERROR, "add a 'license' with an SPDX identifier, "
                           "e.g. MIT or AGPL-3.0-or-later", "license"))
    out.extend(_icon(m, archive))
    out.extend(_screenshots(m, archive))
    out.extend(_descriptions(m))
    out.extend(_locales(m))
    out.extend(_categories(m))
    # The parts that parsed are checked further even when another part did not.
    runtime = parse_runtime(m.get("runtime"))[0]
    if runtime is not None:
        out.extend(_runtime_files(runtime, archive))
    slug = m.get("slug") if isinstance(m.get("slug"), str) else ""
    rules = parse_permissions(m.get("permissions"))[0]
    if len(rules) > MAX_PERMISSIONS:
        out.append(Problem("permissions.too_many", ERROR, f"{len(rules)} permissions: a tester "
                           f"reads each before consenting; ask for at most {MAX_PERMISSIONS} "
                           "(one per doctype, or a wildcard over your own ones)", "permissions"))
        rules = rules[:MAX_PERMISSIONS]
    out.extend(_permission_policy(rules, slug, m))
    return manifest, out


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


CATEGORY = re.compile(r"^[a-z][a-z0-9-]{1,30}\Z")


def _categories(m: dict) -> list[Problem]:
    cats = m.get("categories")
    if cats is None:
        return []
    if not isinstance(cats, list) or len(cats) > 5 or \
            not all(isinstance(c, str) and CATEGORY.match(c) for c in cats):
        return [Problem("manifest.categories", ERROR, "categories is a list of at most 5 "
                        "lowercase words, e.g. [\"energy\", \"water\"]", "categories")]
    return []


def _locales(m: dict) -> list[Problem]:
    locales = m.get("locales")
    if locales is None:
        return []
    if not isinstance(locales, dict):
        return [Problem("manifest.locales", ERROR, "'locales' must map language codes (fr, "
                        "en…) to objects", "locales")]
    out = []
    for lang, body in locales.items():
        if not re.match(r"^[a-z]{2}(-[A-Z]{2})?\Z", str(lang)) or not isinstance(body, dict):
            out.append(Problem("manifest.locales", ERROR, f"locale {lang!r} must be a language "
                               "code mapped to an object", f"locales.{lang}"))
            continue
        extra = sorted(set(body) - LOCALE_KEYS)
        if extra:
            out.append(Problem("manifest.locales", WARNING, f"unknown keys {extra} in locale "
                               f"{lang}; use {sorted(LOCALE_KEYS)}", f"locales.{lang}"))
    return out


def _runtime_files(rt: Runtime, archive: Archive) -> list[Problem]:
    if rt.type == "static" and rt.index not in archive.files:
        return [Problem("manifest.runtime", ERROR, f"a static app needs its index page; "
                        f"{rt.index} is not in the archive", "runtime.index")]
    if rt.requirements is not None and rt.requirements not in archive.files:
        return [Problem("manifest.runtime", ERROR, f"runtime.requirements names "
                        f"{rt.requirements!r}, which is not in the archive",
                        "runtime.requirements")]
    return []


def _permission_policy(rules: list[Rule], slug: str, m: dict) -> list[Problem]:
    """Which doctypes an app listed here may ask for, and why it asks."""
    out = []
    for rule in rules:
        where = f"permissions.{rule.title}"
        if doctypes.is_reserved(rule.type, False):
            out.append(Problem("permissions.reserved_doctype", ERROR, f"{rule.type} is reserved "
                               "to the personal cloud itself; remove this permission", where))
        elif doctypes.is_reserved(rule.type, rule.writes):
            out.append(Problem("permissions.reserved_doctype", ERROR, f"only the personal cloud "
                               f"writes {rule.type}; apps may read it: ask for verbs "
                               '["GET"]', where))
        elif not doctypes.is_known(rule.type) and not doctypes.is_own(rule.type, slug):
            ns = doctypes.own_namespace(slug)
            near = doctypes.closest(rule.type)
            why = (f"{rule.type} is not a known doctype: did you mean {near}? (every doctype "
                   "is in docs/reference/doctypes.md)" if near is not None else
                   f"{rule.type} is neither a MesInfos doctype, one the personal cloud grants "
                   "apps (see docs/reference/doctypes.md), nor the app's own; for data the "
                   f"app stores, use a doctype under {ns}, e.g. {ns}.results")
            out.append(Problem("permissions.unknown_doctype", ERROR, why, where))
        if len(_description(m, rule).strip()) < 10:
            out.append(Problem("permissions.no_description", ERROR, "say in a 'description' why "
                               "the app needs this data (testers read it before consenting)",
                               where))
    return out


def _description(m: dict, rule: Rule) -> str:
    """A permission's description, or the one under ``locales.<lang>.permissions.<key>``."""
    if rule.description:
        return rule.description
    locales = m.get("locales")
    for body in (locales.values() if isinstance(locales, dict) else ()):
        perms = (body if isinstance(body, dict) else {}).get("permissions")
        entry = perms.get(rule.title) if isinstance(perms, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("description"), str):
            return entry["description"]
    return ""
