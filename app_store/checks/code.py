"""Checks on the app's files: doctypes used but not declared, outbound hosts, secrets, pins."""

from __future__ import annotations

import re

from app_store.checks import secrets
from app_store.requirements import parse_requirements
from sandbox.contract import doctypes
from sandbox.contract.bundle import Archive
from sandbox.contract.manifest import Manifest
from sandbox.contract.problems import ERROR, WARNING, Problem

CODE = (".py", ".js", ".mjs", ".cjs", ".ts", ".html", ".htm", ".json", ".vue", ".jsx", ".tsx")
DOCTYPE = re.compile(r"""["'`]((?:fr|org|io|com|net)\.[a-z0-9_]+(?:\.[a-z0-9_]+){1,6})["'`]""")
URL = re.compile(r"""\b(?:https?|wss?)://([A-Za-z0-9.-]+)""")
# Third-party bundles (e.g. cozy-client-js's dist file) go in vendor/: the doctypes they name
# are not the app's own uses, so they only warn there.
VENDOR = "vendor/"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0"}
# Hosts that only name things (XML namespaces, schema ids, licences), never fetched.
HARMLESS = {"www.w3.org", "json-schema.org", "opensource.org", "spdx.org", "schema.org"}

def _text_files(archive: Archive):
    for path, data in archive.files.items():
        if path.endswith(CODE) and not path.startswith(("node_modules/", ".git/")):
            try:
                yield path, data.decode("utf-8")
            except UnicodeDecodeError:
                continue


def check_code(manifest: Manifest | None, archive: Archive) -> list[Problem]:
    """``manifest`` is None when the contract refused it: then the doctypes the code uses are
    not compared with it (that would only echo the manifest's own problems)."""
    out: list[Problem] = []
    declared = [r.type for r in manifest.permissions] if manifest else []
    slug = manifest.slug if manifest else ""
    for path, text in _text_files(archive):
        if path == "manifest.webapp":
            continue
        for doctype in sorted(set(DOCTYPE.findall(text)) if manifest else ()):
            is_doctype = doctypes.is_known(doctype) or doctypes.is_own(doctype, slug)
            if not is_doctype or any(doctypes.covers(rule, doctype) for rule in declared):
                continue
            if path.startswith(VENDOR):
                out.append(Problem("code.undeclared_doctype", WARNING, f"the library names "
                                   f"{doctype}, which the manifest does not ask for: fine if "
                                   "your code never uses that part (the personal cloud would "
                                   "refuse it)", path))
            else:
                out.append(Problem("code.undeclared_doctype", ERROR, f"the code uses {doctype} "
                                   "but the manifest does not ask for it; add a permission for "
                                   "it (or remove the code)", path))
        hosts = sorted({h.lower() for h in URL.findall(text)} - LOCAL_HOSTS - HARMLESS)
        for host in hosts:
            out.append(Problem("code.outbound_host", ERROR, f"the code names {host}: apps run "
                               "without network and may only talk to the personal cloud "
                               "(http://127.0.0.1:8080 inside the container); bundle the "
                               "asset or remove the call", path))
    for path, data in archive.files.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        what = secrets.find(text)
        if what is None:
            continue
        if _third_party(path):
            out.append(Problem("code.secret", WARNING, f"a library seems to hold {what}; check "
                               "it is not yours (a bundled library's test keys are common)",
                               path))
        else:
            out.append(Problem("code.secret", ERROR, f"this file seems to hold {what}; "
                               "remove it and revoke it (tokens come from the personal "
                               "cloud at run time)", path))
    out.extend(_requirements(manifest, archive))
    return out


def _third_party(path: str) -> bool:
    """Bundled libraries: what their authors wrote, not the team."""
    return path.startswith((VENDOR, "node_modules/")) or ".min." in path.rsplit("/", 1)[-1]


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
