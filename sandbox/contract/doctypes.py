"""Doctype policy: the stack's name rule, what it reserves, what apps may ask for.

One place for the rules both the store's checks and the sandbox's enforcement apply:
- a name is dotted lowercase segments (``fr.orange.geopoint``); a wildcard ``prefix.*`` needs
  at least three dots (cozy-stack refuses wider ones);
- hidden doctypes are neither readable nor writable through ``/data``, read-only ones are
  readable only;
- the doctypes an app may ask for are the MesInfos ones (from the generator's schemas), those
  the stack grants to apps (cozy-stack's ``docs/permissions.md`` and the doctypes cozy-doctypes
  documents), and its own namespace;
- a manifest may ask to write a read-only doctype only where the stack writes it through its
  own routes (``ROUTE_WRITES``: ``POST /files``, ``POST /notifications``, ``POST /jobs/...``):
  read-only is about ``/data``, and the stack's routes do their own checks.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from sandbox.errors import Forbidden
from synthetic_data.schemas import schema_doctypes

_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
MAX_NAME = 255

# Readable through /data but not writable there (cozy-stack's blockList, "only stack can write").
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
# The namespace of apps' own data: fr.hackathon.<slug>.* (see own_namespace).
APPS_PREFIX = "fr.hackathon"
# Read-only doctypes that the stack writes through routes of its own when an app's
# permission allows it, with the verbs those routes check (cozy-stack web/files, notifications,
# jobs). A manifest may ask these; /data writes on them stay refused (check_writable).
ROUTE_WRITES: dict[str, frozenset[str]] = {
    "io.cozy.files": frozenset({"POST", "PUT", "PATCH", "DELETE"}),   # upload, rename, trash
    "io.cozy.notifications": frozenset({"POST"}),                      # POST /notifications
    "io.cozy.jobs": frozenset({"POST"}),                               # POST /jobs/queue/:worker
    "io.cozy.triggers": frozenset({"POST", "PATCH", "DELETE"}),        # /jobs/triggers
}
# Doctypes of the stack (not of a data partner) that apps may ask for: the app-facing ones of
# cozy-stack's docs and the user data that cozy-doctypes documents (banking, contacts...).
STACK = frozenset({
    "io.cozy.bills", "io.cozy.accounts", "io.cozy.doctypes", "io.cozy.journal",
    "io.cozy.bank.operations", "io.cozy.bank.accounts", "io.cozy.bank.accounts.stats",
    "io.cozy.bank.balancehistories", "io.cozy.bank.groups", "io.cozy.bank.recurrence",
    "io.cozy.bank.recipients", "io.cozy.bank.settings",
    "io.cozy.files", "io.cozy.notifications", "io.cozy.settings", "io.cozy.apps",
    "io.cozy.apps.suggestions", "io.cozy.konnectors", "io.cozy.jobs", "io.cozy.triggers",
    "io.cozy.contacts", "io.cozy.contacts.groups", "io.cozy.identities", "io.cozy.tags",
    "io.cozy.photos.albums", "io.cozy.timeseries.geojson",
})


def is_wildcard(rule_type: str) -> bool:
    return rule_type.endswith(".*")


def name_problem(rule_type: object, wildcard: bool = False) -> str | None:
    """Why ``rule_type`` is not a doctype name (or, with ``wildcard``, a ``prefix.*``), or
    None when it is one."""
    if not isinstance(rule_type, str) or not rule_type:
        return "the type must be a doctype name such as fr.orange.geopoint"
    name = rule_type
    if wildcard and is_wildcard(rule_type):
        if rule_type.count(".") < 3:
            return f"the wildcard {rule_type!r} is too wide: it needs at least 3 dots, e.g. " \
                   "org.fing.mesinfos.*"
        name = rule_type[:-2]
    if len(name) > MAX_NAME or not _NAME.match(name):
        return f"{rule_type!r} is not a doctype name: dotted lowercase letters, digits and _, " \
               "e.g. fr.orange.geopoint"
    return None


def covers(rule_type: str, doctype: str) -> bool:
    """Whether a permission's type covers ``doctype``: the same name, or ``prefix.*`` over
    the prefix itself and every doctype below it."""
    if is_wildcard(rule_type):
        prefix = rule_type[:-2]
        return doctype == prefix or doctype.startswith(prefix + ".")
    return rule_type == doctype


@cache
def known_doctypes() -> frozenset[str]:
    """Every doctype the generator documents (one JSON Schema each) and the stack's own."""
    return frozenset(schema_doctypes()) | STACK


def is_known(rule_type: str) -> bool:
    """A known doctype, or a wildcard that covers at least one."""
    if is_wildcard(rule_type):
        return any(covers(rule_type, d) for d in known_doctypes())
    return rule_type in known_doctypes()


def closest(doctype: str) -> str | None:
    """The known doctype ``doctype`` is most likely a typo of (``io.cozy.bill`` →
    ``io.cozy.bills``), or None: when it is known, an app's own, a wildcard, or like no
    known doctype."""
    if not isinstance(doctype, str) or is_wildcard(doctype) or doctype in known_doctypes() \
            or doctype.startswith(APPS_PREFIX + ".") or len(doctype) > MAX_NAME:
        return None
    near = difflib.get_close_matches(doctype, sorted(known_doctypes()), n=1, cutoff=0.85)
    return near[0] if near else None


def refusal(doctype: str) -> Forbidden:
    """The stack's 403 for a request the caller's rights do not cover; when the doctype is
    none the personal cloud knows and looks like a typo of one, the message says so."""
    near = closest(doctype)
    if near is None:
        return Forbidden()
    return Forbidden(f"Forbidden: {doctype} is not a known doctype; did you mean {near}?")


def is_reserved(rule_type: str, writes: bool) -> bool:
    """A reserved doctype, or a wildcard that covers one (``io.cozy.files.*`` covers
    ``io.cozy.files.versions``). With ``writes``, read-only doctypes count too, except those
    the stack writes through its own routes (``ROUTE_WRITES``)."""
    reserved = HIDDEN | (READ_ONLY - ROUTE_WRITES.keys()) if writes else HIDDEN
    if is_wildcard(rule_type):
        return any(covers(rule_type, d) for d in reserved)
    return rule_type in reserved


def route_verbs(doctype: str) -> frozenset[str]:
    """The write verbs the stack's own routes accept on ``doctype`` (empty for most)."""
    return ROUTE_WRITES.get(doctype, frozenset())


def own_namespace(slug: str) -> str:
    """Where an app's own doctypes live: ``fr.hackathon.<slug with _ for ->``, e.g.
    ``fr.hackathon.leak_watch.findings`` for the app ``leak-watch``. The prefix belongs to the
    programme's apps; no data partner and not the stack uses it, so no slug can make a
    partner's doctype look like the app's own."""
    return f"{APPS_PREFIX}.{slug.replace('-', '_')}"


def is_own(rule_type: str, slug: str) -> bool:
    """A doctype (or a wildcard) inside the app's own namespace."""
    if not slug:
        return False
    ns = own_namespace(slug)
    name = rule_type[:-2] if is_wildcard(rule_type) else rule_type
    return name == ns or name.startswith(ns + ".")


def check_readable(doctype: str) -> None:
    """Refuse (403, as the stack does) a bad name or a hidden doctype."""
    if name_problem(doctype) is not None:
        raise Forbidden(f"{doctype} is not a valid doctype name")
    if doctype in HIDDEN:
        raise Forbidden(f"reserved doctype {doctype} unreadable")


def check_writable(doctype: str) -> None:
    if name_problem(doctype) is not None:
        raise Forbidden(f"{doctype} is not a valid doctype name")
    if doctype in HIDDEN or doctype in READ_ONLY:
        raise Forbidden(f"reserved doctype {doctype} unwritable")
