"""Checks on the app's files: doctypes used but not declared, outbound hosts, secrets, pins."""

from __future__ import annotations

import re

from app_store.checks import secrets
from app_store.checks.sources import DATA, LIBRARY, OWN, SourceFile, library_mark
from app_store.packing import LOCK_FILES
from app_store.requirements import parse_requirements
from sandbox.contract import doctypes
from sandbox.contract.bundle import Archive
from sandbox.contract.manifest import Manifest
from sandbox.contract.problems import ERROR, WARNING, Problem

CODE = (".py", ".js", ".mjs", ".cjs", ".ts", ".html", ".htm", ".json", ".vue", ".jsx", ".tsx")
DOCTYPE = re.compile(r"""["'`]((?:fr|org|io|com|net)\.[a-z0-9_]+(?:\.[a-z0-9_]+){1,6})["'`]""")
URL = re.compile(r"""\b(?:https?|wss?)://(?:[^\s/?#@"'`<>]{1,256}@)?([A-Za-z0-9.-]+)""")
_DOCTYPE = re.compile(DOCTYPE.pattern.encode())
_URL = re.compile(URL.pattern.encode())
LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0"}
# Hosts that only name things (XML and RDF namespaces, schema ids, licences, the documentation
# domains of RFC 2606), never fetched.
HARMLESS = {"www.w3.org", "w3.org", "json-schema.org", "opensource.org", "spdx.org",
            "schema.org", "purl.org", "ns.adobe.com", "xmlns.com", "www.inkscape.org",
            "sodipodi.sourceforge.net", "creativecommons.org", "www.apache.org", "www.gnu.org",
            "example.com", "example.org", "example.net"}
LISTED = 8      # hosts or files named in one message
NO_NETWORK = ("apps run without network and may only talk to the personal cloud "
              "(http://127.0.0.1:8080 inside the container)")


def _text_files(archive: Archive):
    """The files that may hold code. A package manager's lock file is not one: its registry
    addresses are where packages were downloaded from when installing, never called by the
    app (``selfdata submit`` leaves lock files out)."""
    for path, data in archive.files.items():
        if path.endswith(CODE) and not path.startswith(".git/") and path != "manifest.webapp" \
                and path.rsplit("/", 1)[-1] not in LOCK_FILES:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            yield SourceFile(path, data)


def _outside(host: str) -> bool:
    """An address outside the sandbox: not local, not a namespace, and a real domain name
    (``http://a`` in a URL polyfill test or ``http://unix`` are not reachable hosts)."""
    return host not in LOCAL_HOSTS and host not in HARMLESS and "." in host.strip(".") \
        and not host.endswith((".example", ".test", ".invalid", ".localhost", ".local"))


def check_code(manifest: Manifest | None, archive: Archive) -> list[Problem]:
    """``manifest`` is None when the contract refused it: then the doctypes the code uses are
    not compared with it (that would only echo the manifest's own problems).

    Whose code each finding sits in, and whether it can run, follows the rule of
    :mod:`app_store.checks.sources`: errors in the team's own code, warnings in bundled
    libraries, comments and data files."""
    out: list[Problem] = []
    declared = [r.type for r in manifest.permissions] if manifest else []
    # A permission with a typo is reported with the doctype it meant (permissions.
    # unknown_doctype); the code using that doctype is not a second finding.
    declared += [near for near in map(doctypes.closest, declared) if near is not None]
    slug = manifest.slug if manifest else ""
    calls: dict[str, list[str]] = {}              # host -> the team's files that may call it
    for src in _text_files(archive):
        if manifest is not None:
            out.extend(_doctypes(src, declared, slug))
        mentions: dict[str, set[str]] = {}          # "library", "comment", "data" -> hosts
        for m in _URL.finditer(src.data):
            host = m.group(1).decode().lower().strip(".")
            if not _outside(host):
                continue
            origin = src.origin_at(m.start())
            if origin == DATA:
                where = DATA
            elif src.in_comment(m.start(), m.end()):
                where = "comment"
            elif origin == LIBRARY:
                where = LIBRARY
            elif src.in_prose(m.start()):
                where = "message"
            else:
                calls.setdefault(host, [])
                if src.path not in calls[host]:
                    calls[host].append(src.path)
                continue
            mentions.setdefault(where, set()).add(host)
        if mentions:
            out.append(_mention(src, mentions))
    for host, paths in sorted(calls.items()):
        more = f" (also in {_some(paths[1:])})" if len(paths) > 1 else ""
        out.append(Problem("code.outbound_host", ERROR, f"the code names {host}{more}: "
                           f"{NO_NETWORK}; bundle the asset or remove the call", paths[0]))
    out.extend(check_secrets(archive))
    out.extend(_requirements(manifest, archive))
    return out


def _some(items) -> str:
    items = sorted(items)
    rest = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + rest


def _mention(src: SourceFile, found: dict[str, set[str]]) -> Problem:
    """One warning per file for the addresses that cannot be the team's calls."""
    parts = []
    if LIBRARY in found:
        who = "it" if src.mark else "the modules of node_modules in this bundle"
        parts.append(f"{who} may call {_some(found[LIBRARY])}: fine if the app does not use "
                     "those parts")
    if "message" in found:
        parts.append(f"messages to people name {_some(found['message'])} (an address inside a "
                     "sentence of a string is shown, not called)")
    if "comment" in found:
        parts.append(f"comments name {_some(found['comment'])} (comments never run)")
    if DATA in found:
        parts.append(f"this data file names {_some(found[DATA])}: fine as data, as long as "
                     "the app does not fetch them")
    head = f"a bundled library ({src.mark}): " if src.mark else ""
    return Problem("code.outbound_host", WARNING, head + "; ".join(parts) + f" ({NO_NETWORK})",
                   src.path)


def _doctypes(src: SourceFile, declared: list[str], slug: str) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for m in _DOCTYPE.finditer(src.data):
        doctype = m.group(1).decode()
        is_doctype = doctypes.is_known(doctype) or doctypes.is_own(doctype, slug)
        near = None if is_doctype or doctype in seen else doctypes.closest(doctype)
        if near is not None and src.origin_at(m.start()) == OWN and \
                not src.in_comment(m.start(), m.end()) and \
                not any(doctypes.covers(rule, doctype) for rule in declared):
            seen.add(doctype)
            out.append(Problem("code.unknown_doctype", WARNING, f"the code names {doctype}, "
                               f"which is not a known doctype: did you mean {near}? (the "
                               "personal cloud answers 403 for it)", src.path))
            continue
        if doctype in seen or not is_doctype or \
                any(doctypes.covers(rule, doctype) for rule in declared):
            continue
        origin = src.origin_at(m.start())
        if origin == OWN and not src.in_comment(m.start(), m.end()):
            seen.add(doctype)
            out.append(Problem("code.undeclared_doctype", ERROR, f"the code uses {doctype} "
                               "but the manifest does not ask for it; add a permission for "
                               "it (or remove the code)", src.path))
    # Libraries, comments and data name doctypes without using them: one warning per file.
    named = sorted({m.group(1).decode() for m in _DOCTYPE.finditer(src.data)} - seen)
    named = [d for d in named if (doctypes.is_known(d) or doctypes.is_own(d, slug))
             and not any(doctypes.covers(rule, d) for rule in declared)]
    if named:
        what = {LIBRARY: f"the bundled library ({src.mark or 'node_modules modules'})",
                DATA: "this data file"}.get(src.origin, "the code, in comments or libraries,")
        out.append(Problem("code.undeclared_doctype", WARNING, f"{what} names "
                           f"{_some(named)}, which the manifest does not ask for: fine if "
                           "the app never uses them (the personal cloud would refuse it)",
                           src.path))
    return out


def check_secrets(archive: Archive) -> list[Problem]:
    """Secrets in any file (run even when the archive holds no app: what was uploaded was
    exposed)."""
    out = []
    for path, data in archive.files.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        what = secrets.find(text)
        if what is None:
            continue
        mark = library_mark(path, data)
        if mark:
            out.append(Problem("code.secret", WARNING, f"a library ({mark}) seems to hold "
                               f"{what}; check it is not yours (a bundled library's test keys "
                               "are common)", path))
        else:
            out.append(Problem("code.secret", ERROR, f"this file seems to hold {what}; "
                               "remove it and revoke it (tokens come from the personal "
                               "cloud at run time)", path))
    return out


def _requirements(manifest: Manifest | None, archive: Archive) -> list[Problem]:
    if manifest is None or manifest.runtime.type != "python":
        return []
    path = manifest.runtime.requirements or "requirements.txt"
    data = archive.files.get(path)
    if data is None:
        return []
    pins, refused = parse_requirements(data.decode("utf-8", "replace"))
    out = [Problem("code.requirements_unpinned", ERROR, f"line {n}: {line[:200]!r}: {why}; pin "
                   "every requirement to one version from PyPI, e.g. httpx==0.28.1", path)
           for n, line, why in refused]
    if not out and not pins:
        out.append(Problem("code.requirements_unpinned", WARNING, "requirements.txt is empty; "
                           "remove it or list the packages the app imports", path))
    return out
