"""Share-by-link permissions (``POST /permissions``): documents of ``io.cozy.permissions``
(hidden from ``/data``) with their codes, as the stack keeps them.

A share is a subset of its creator's rights (an app, an OAuth client or the command line; not
another share). Each code is a token of the instance, audience ``share``, naming the share: it
works as a bearer token while the share exists, still lists that code and has not expired, so a
revoke or a patch of the codes takes effect at once (within the sandbox's token cache). Links
with a password are not served (the stack checks those with a cookie from a login form this
sandbox has not got): asking for one is refused rather than ignored.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from sandbox.auth import tokens
from sandbox.contract import doctypes
from sandbox.contract.permissions import PermissionSet, Rule, parse_permissions
from sandbox.errors import (
    BadRequest,
    Forbidden,
    InvalidAttribute,
    InvalidParameter,
    InvalidToken,
    NotFound,
)
from sandbox.instances import Instance
from sandbox.storage.documents import DocumentStore

PERMISSIONS = "io.cozy.permissions"
SHARE = "share"
CREATORS = ("app", "oauth", "cli")     # who may create a share (the stack adds konnectors)
UPDATERS = ("app", "oauth")            # who may change or revoke one (the stack's rule)
MAX_CODES = 32
SHORTCODE_LEN = 12
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
           "D": 86400, "d": 86400, "W": 7 * 86400, "w": 7 * 86400, "M": 30 * 86400,
           "Y": 365 * 86400, "y": 365 * 86400}
_TTL = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|D|d|W|w|M|Y|y)")
_CODE_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")


def parse_ttl(text: str) -> float:
    """Seconds in a duration such as ``1D``, ``2h30m`` or ``1Y`` (the stack's bigduration)."""
    if not text or _TTL.sub("", text):
        raise InvalidParameter("ttl", f"ttl {text!r} is not a duration: use e.g. 30m, 2h, 1D, "
                                      "1W, 1M or 1Y")
    return sum(float(n) * _UNIT_S[u] for n, u in _TTL.findall(text))


def _expiry(text: object) -> float | None:
    if text in (None, ""):
        return None
    if not isinstance(text, str):
        raise InvalidAttribute("expires_at", "expires_at must be an RFC 3339 date")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidAttribute("expires_at", f"expires_at {text!r} is not an RFC 3339 date, "
                                             "e.g. 2030-01-01T00:00:00Z") from None


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expired(doc: dict, now: float | None = None) -> bool:
    at = doc.get("expires_at")
    if not at:
        return False
    try:
        return (now or time.time()) > _expiry(at)  # type: ignore[operator]
    except InvalidAttribute:
        return True


def rules_of(doc: dict) -> list[Rule]:
    rules, _ = parse_permissions(doc.get("permissions") or {})
    return rules


def _check_rules(raw: object, parent: PermissionSet) -> list[Rule]:
    """The rules of a share: well formed, within the creator's rights, on doctypes a share
    may name (the stack's ``CheckSetPermissions``, in its order)."""
    rules, problems = parse_permissions(raw)
    if problems:
        raise BadRequest("; ".join(f"{p.path}: {p.message}" for p in problems))
    if not parent.includes(rules):
        raise Forbidden("Attempt to create a larger permission set")
    for rule in rules:
        if not doctypes.covers(rule.type, "io.cozy.files") and \
                doctypes.is_reserved(rule.type, writes=True):
            raise Forbidden(f"reserved doctype {rule.type} unwritable")
    return rules


def _no_password(attributes: dict) -> None:
    if attributes.get("password") not in (None, ""):
        raise InvalidAttribute("password", "this sandbox does not serve password-protected "
                                           "links (the stack checks them with a login form); "
                                           "create the link without a password")


def public(doc: dict) -> dict:
    """A share as ``GET /permissions/:id`` shows it: no codes."""
    return {k: v for k, v in doc.items() if k not in ("codes", "shortcodes", "_id", "_rev")}


def codes_visible(doc: dict, source_id: str, rights: PermissionSet) -> bool:
    """Whether a caller may see a share's codes: it made the share, or it already holds every
    right the share grants (so the codes give it nothing more). The stack shows every share's
    codes to whoever may read the whole doctype, even when the share also grants writes or
    other doctypes: its codes would be a way up."""
    return doc.get("source_id") == source_id or rights.includes(rules_of(doc))


class Shares:
    def __init__(self, documents: DocumentStore):
        self.documents = documents
        self.on_change: Callable[[], None] = lambda: None  # a share changed: forget tokens

    def create(self, inst: Instance, parent_kind: str, source_id: str,
               parent: PermissionSet, attributes: dict, codes: list[str],
               ttl: str | None) -> dict:
        """Store a share of ``attributes["permissions"]`` with a token per code name."""
        if parent_kind not in CREATORS:
            raise Forbidden("Only apps can create sharing permissions")
        _no_password(attributes)
        rules = _check_rules(attributes.get("permissions"), parent)
        names = [c for c in codes if c]
        if len(names) > MAX_CODES:
            raise InvalidParameter("codes", f"at most {MAX_CODES} codes per link")
        bad = [n for n in names if not _CODE_NAME.match(n)]
        if bad:
            raise InvalidParameter("codes", f"code name {bad[0]!r}: letters, digits and . _ @ "
                                            "+ - only")
        expires = time.time() + parse_ttl(ttl) if ttl else _expiry(attributes.get("expires_at"))
        perm_id = secrets.token_hex(16)
        doc: dict = {"type": SHARE, "source_id": source_id,
                     "permissions": {r.title: r.to_json() for r in rules},
                     "codes": {n: tokens.issue(inst.secret, aud=SHARE, instance=inst.name,
                                               sub=n, scope=perm_id) for n in names},
                     "shortcodes": {n: secrets.token_urlsafe(9)[:SHORTCODE_LEN] for n in names}}
        if expires is not None:
            doc["expires_at"] = _rfc3339(expires)
        if isinstance(attributes.get("cozyMetadata"), dict):
            doc["cozyMetadata"] = attributes["cozyMetadata"]
        res = self.documents.create(inst.id, PERMISSIONS, doc, perm_id)
        return {**doc, "_id": perm_id, "_rev": res.rev}

    def get(self, inst: Instance, perm_id: str, *, include_expired: bool = False) -> dict:
        doc = self.documents.get_dict(inst.id, PERMISSIONS, perm_id)
        if doc is None:
            raise NotFound("missing")
        if not include_expired and expired(doc):
            raise NotFound("expired")
        return doc

    def rules_for_token(self, inst: Instance, perm_id: str, token: str) -> tuple[dict, list]:
        """The share a code names and its rules, while that code is one of its codes."""
        doc = self.documents.get_dict(inst.id, PERMISSIONS, perm_id)
        if doc is None or doc.get("type") != SHARE or expired(doc) or \
                token not in (doc.get("codes") or {}).values():
            raise InvalidToken()
        return doc, rules_of(doc)

    def _may_update(self, doc: dict, kind: str, source_id: str, parent: PermissionSet) -> None:
        if doc.get("type") != SHARE or kind not in UPDATERS or not (
                doc.get("source_id") == source_id or parent.includes(rules_of(doc))):
            raise Forbidden("Permissions can be updated only by its parent")

    def patch(self, inst: Instance, perm_id: str, kind: str, source_id: str,
              parent: PermissionSet, attributes: dict) -> dict:
        """Add (or, with an empty type, remove) rules; or replace the codes; or change the
        expiry. Only an app or OAuth client that created the share, or holds all of its
        rights, may (the stack lets anybody add rules within their own rights: not here)."""
        doc = self.get(inst, perm_id, include_expired=True)
        self._may_update(doc, kind, source_id, parent)
        perms, codes = attributes.get("permissions"), attributes.get("codes")
        if bool(perms) == bool(codes) and (perms or codes or (
                "password" not in attributes and "expires_at" not in attributes)):
            raise BadRequest("The patch doc should have property 'codes' or 'permissions', "
                             "not both")
        _no_password(attributes)
        new = {k: v for k, v in doc.items() if k != "_id"}
        if "expires_at" in attributes:
            at = _expiry(attributes["expires_at"])
            new.pop("expires_at", None)
            if at is not None:
                new["expires_at"] = _rfc3339(at)
        if codes:
            if not isinstance(codes, dict) or not all(isinstance(v, str) for v in
                                                       codes.values()):
                raise InvalidAttribute("codes", "codes must map names to codes")
            new["codes"] = codes
            new["shortcodes"] = {k: v for k, v in (doc.get("shortcodes") or {}).items()
                                 if k in codes}
        if perms:
            if not isinstance(perms, dict):
                raise InvalidAttribute("permissions", "permissions must be a JSON object")
            rules = dict(new.get("permissions") or {})
            for key, raw in perms.items():
                if isinstance(raw, dict) and not raw.get("type"):
                    rules.pop(key, None)
                    continue
                added = _check_rules({key: raw}, parent)
                rules[key] = added[0].to_json()
            new["permissions"] = rules
        res = self.documents.update(inst.id, PERMISSIONS, perm_id, new)
        self.on_change()
        return {**new, "_id": perm_id, "_rev": res.rev}

    def revoke(self, inst: Instance, perm_id: str, kind: str, source_id: str,
               parent: PermissionSet) -> None:
        doc = self.get(inst, perm_id, include_expired=True)
        self._may_update(doc, kind, source_id, parent)
        self.documents.delete(inst.id, PERMISSIONS, perm_id, doc["_rev"])
        self.on_change()

    def _all(self, inst: Instance) -> list[dict]:
        try:
            rows = self.documents.all_docs(inst.id, PERMISSIONS, include_docs=True,
                                           design=False)["rows"]
        except NotFound:
            return []
        docs = [orjson.loads(orjson.dumps(r["doc"])) for r in rows if r.get("doc")]
        return [d for d in docs if d.get("type") == SHARE]

    def by_doctype(self, inst: Instance, doctype: str, limit: int,
                   after: str | None) -> tuple[list[dict], bool]:
        """Shares with a rule on ``doctype``, by id, from after ``after``; and whether more
        follow."""
        docs = [d for d in self._all(inst)
                if any(doctypes.covers(r.type, doctype) for r in rules_of(d))
                and (after is None or d["_id"] > after)]
        return docs[:limit], len(docs) > limit

    def shared(self, inst: Instance, refs: list[tuple[str, str]]) -> list[dict]:
        """For ``POST /permissions/exists``: which of these documents a live share names, with
        the verbs it grants on each."""
        verbs: dict[tuple[str, str], set[str]] = {}
        wanted = set(refs)
        for doc in self._all(inst):
            if expired(doc):
                continue
            for rule in rules_of(doc):
                if rule.selector:
                    continue
                for value in rule.values:
                    for key in wanted:
                        if key[1] == value and rule.type_matches(key[0]):
                            verbs.setdefault(key, set()).update(rule.verbs)
        return [{"id": i, "type": t, "verbs": sorted(v)} for (t, i), v in verbs.items()]
