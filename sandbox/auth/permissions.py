"""Cozy permission rules: parse from manifests and scope strings, match like the stack.

A rule: ``type`` (doctype, ``prefix.*`` wildcard with at least three dots, or ``*``), ``verbs``
(GET, POST, PUT, PATCH, DELETE; empty or ALL = every verb; GET implies HEAD), ``values`` and
``selector`` (default: the document id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import BadRequest

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Rule:
    type: str
    verbs: frozenset[str] = frozenset(VERBS)
    values: tuple[str, ...] = ()
    selector: str = ""
    description: str = ""
    title: str = field(default="", compare=False)

    def type_matches(self, doctype: str) -> bool:
        if self.type == "*":
            return True
        if self.type.endswith(".*"):
            prefix = self.type[:-2]
            return doctype == prefix or doctype.startswith(prefix + ".")
        return self.type == doctype

    def verb_matches(self, verb: str) -> bool:
        return (verb if verb != "HEAD" else "GET") in self.verbs

    def allows(self, verb: str, doctype: str, doc: dict | None = None,
               doc_id: str | None = None) -> bool:
        if not (self.verb_matches(verb) and self.type_matches(doctype)):
            return False
        if not self.values:
            return True
        if not self.selector:
            ident = doc_id if doc_id is not None else (doc or {}).get("_id")
            return ident in self.values
        value = (doc or {}).get(self.selector)
        return value is not None and str(value) in self.values

    def to_scope(self) -> str:
        verbs = "ALL" if self.verbs == frozenset(VERBS) else ",".join(
            v for v in VERBS if v in self.verbs)
        parts = [self.type]
        if verbs != "ALL" or self.values:
            parts.append(verbs)
        if self.values:
            parts.append(",".join(self.values))
            if self.selector:
                parts.append(self.selector)
        return ":".join(parts)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"type": self.type}
        if self.description:
            out["description"] = self.description
        out["verbs"] = ["ALL"] if self.verbs == frozenset(VERBS) else sorted(self.verbs)
        if self.values:
            out["values"] = list(self.values)
        if self.selector:
            out["selector"] = self.selector
        return out


def _check_type(t: Any, where: str) -> str:
    if not isinstance(t, str) or not t:
        raise BadRequest(f"{where}: type must be a doctype name", "bad_request")
    if t.endswith(".*") and t.count(".") < 3:
        raise BadRequest(f"{where}: wildcard {t!r} needs at least 3 dots (e.g. "
                         "org.fing.mesinfos.*)", "bad_request")
    return t


def _verbs(raw: Any, where: str) -> frozenset[str]:
    if raw in (None, [], ["ALL"], "ALL"):
        return frozenset(VERBS)
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise BadRequest(f"{where}: verbs must be a list of {', '.join(VERBS)}", "bad_request")
    bad = [v for v in items if v.upper() not in (*VERBS, "ALL")]
    if bad:
        raise BadRequest(f"{where}: unknown verb {bad[0]!r}; use {', '.join(VERBS)} or ALL",
                         "bad_request")
    if any(v.upper() == "ALL" for v in items):
        return frozenset(VERBS)
    return frozenset(v.upper() for v in items)


def rule_from_json(key: str, raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise BadRequest(f"permissions.{key} must be an object", "bad_request")
    values = raw.get("values") or []
    if not isinstance(values, list):
        raise BadRequest(f"permissions.{key}.values must be a list", "bad_request")
    return Rule(type=_check_type(raw.get("type"), f"permissions.{key}"),
                verbs=_verbs(raw.get("verbs"), f"permissions.{key}"),
                values=tuple(str(v) for v in values), selector=str(raw.get("selector") or ""),
                description=str(raw.get("description") or ""), title=key)


def rules_from_manifest(perms: Any) -> list[Rule]:
    if perms in (None, {}):
        return []
    if not isinstance(perms, dict):
        raise BadRequest("permissions must be an object of named rules", "bad_request")
    return [rule_from_json(k, v) for k, v in perms.items()]


def parse_scope(scope: str) -> list[Rule]:
    """``type[:VERBS[:values[:selector]]]`` rules separated by spaces."""
    rules = []
    for i, part in enumerate(scope.split()):
        bits = part.split(":")
        if len(bits) > 4:
            raise BadRequest(f"scope rule {part!r} has too many ':' parts", "bad_request")
        t = _check_type(bits[0], f"scope rule {i + 1}")
        verbs = _verbs(bits[1] if len(bits) > 1 else None, f"scope rule {i + 1}")
        values = tuple(v for v in bits[2].split(",") if v) if len(bits) > 2 else ()
        selector = bits[3] if len(bits) > 3 else ""
        rules.append(Rule(t, verbs, values, selector))
    return rules


def to_scope(rules: Iterable[Rule]) -> str:
    return " ".join(r.to_scope() for r in rules)


@dataclass
class PermissionSet:
    rules: list[Rule]

    def allow(self, verb: str, doctype: str, doc: dict | None = None,
              doc_id: str | None = None) -> bool:
        return any(r.allows(verb, doctype, doc, doc_id) for r in self.rules)

    def allow_whole_type(self, verb: str, doctype: str) -> bool:
        return any(r.verb_matches(verb) and r.type_matches(doctype) and not r.values
                   for r in self.rules)

    def readable_doctypes(self, doctypes: Iterable[str]) -> list[str]:
        return [d for d in doctypes if self.allow_whole_type("GET", d)]
