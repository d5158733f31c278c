"""Doctype names: the stack's syntax rule and its reserved doctypes."""

from __future__ import annotations

import re

from sandbox.errors import Forbidden

_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")

# Readable through /data but not writable.
READ_ONLY = frozenset({
    "io.cozy.jobs", "io.cozy.triggers", "io.cozy.apps", "io.cozy.konnectors", "io.cozy.files",
    "io.cozy.files.versions", "io.cozy.notifications", "io.cozy.remote.requests",
    "io.cozy.sessions.logins",
})
# Neither readable nor writable.
HIDDEN = frozenset({
    "io.cozy.permissions", "io.cozy.sessions", "io.cozy.oauth.clients",
    "io.cozy.oauth.access_codes", "io.cozy.sharings", "io.cozy.shared", "io.cozy.intents",
    "io.cozy.account_types", "io.cozy.instances", "io.cozy.settings.secret",
})


def check_name(doctype: str) -> None:
    if len(doctype) > 255 or not _NAME.match(doctype):
        raise Forbidden(f"{doctype} is not a valid doctype name")


def check_readable(doctype: str) -> None:
    check_name(doctype)
    if doctype in HIDDEN:
        raise Forbidden(f"reserved doctype {doctype} unreadable")


def check_writable(doctype: str) -> None:
    check_name(doctype)
    if doctype in HIDDEN or doctype in READ_ONLY:
        raise Forbidden(f"reserved doctype {doctype} unwritable")
