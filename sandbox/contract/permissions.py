"""Cozy permission rules: one parser for manifests and scope strings, matched like the stack.

A rule: ``type`` (a doctype, or ``prefix.*`` with at least three dots), ``verbs`` (a list of
GET, POST, PUT, PATCH, DELETE or ALL; absent = ALL; GET implies HEAD), ``values`` (a list of
strings) and ``selector`` (default: the document id). JSON types are strict, as the stack's
decoder is: ``"verbs": "GET"`` and ``"values": "x"`` are errors, not guesses.

:func:`parse_permissions` is the only reading of a manifest's permissions: the store's checks
report its problems, the sandbox enforces its rules, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.contract import doctypes
from sandbox.contract.problems import ERROR, Problem
from sandbox.errors import BadRequest

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALL = frozenset(VERBS)
INVALID = "permissions.invalid"


@dataclass(frozen=True)
class Rule:
    type: str
    verbs: frozenset[str] = ALL
    values: tuple[str, ...] = ()
    selector: str = ""
    description: str = ""
    title: str = field(default="", compare=False)

    @property
    def writes(self) -> bool:
        return bool(self.verbs - {"GET"})

    @property
    def wildcard(self) -> bool:
        return doctypes.is_wildcard(self.type)

    def type_matches(self, doctype: str) -> bool:
        return doctypes.covers(self.type, doctype)

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

    def to_json(self) -> dict:
        out: dict[str, Any] = {"type": self.type}
        if self.description:
            out["description"] = self.description
        out["verbs"] = ["ALL"] if self.verbs == ALL else sorted(self.verbs)
        if self.values:
            out["values"] = list(self.values)
        if self.selector:
            out["selector"] = self.selector
        return out


def _bad(path: str, message: str) -> Problem:
    return Problem(INVALID, ERROR, message, path)


def _parse_verbs(raw: Any, path: str) -> tuple[frozenset[str], list[Problem]]:
    if raw is None:
        return ALL, []
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        return ALL, [_bad(path, 'verbs must be a JSON list such as ["GET"] or ["GET", "POST"] '
                                f"(each one of {', '.join(VERBS)} or ALL)")]
    unknown = [v for v in raw if v not in (*VERBS, "ALL")]
    if unknown:
        return ALL, [_bad(path, f"unknown verb {unknown[0]!r}: use {', '.join(VERBS)} or ALL, "
                                "in capitals")]
    if not raw or "ALL" in raw:
        return ALL, []
    return frozenset(raw), []


def parse_rule(key: str, raw: Any, path: str | None = None) -> tuple[Rule | None, list[Problem]]:
    """One manifest rule, or None with every problem found in it."""
    path = path or f"permissions.{key}"
    if not isinstance(raw, dict):
        return None, [_bad(path, "each permission is a JSON object with a 'type' (a doctype), "
                                 "'verbs' and a 'description'")]
    problems: list[Problem] = []
    why = doctypes.name_problem(raw.get("type"), wildcard=True)
    if why:
        problems.append(_bad(f"{path}.type", why))
    verbs, found = _parse_verbs(raw.get("verbs"), f"{path}.verbs")
    problems += found
    values = raw.get("values", [])
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problems.append(_bad(f"{path}.values", 'values must be a JSON list of strings, e.g. '
                                               '["io.cozy.files.root-dir"]'))
    selector = raw.get("selector", "")
    if not isinstance(selector, str | None):
        problems.append(_bad(f"{path}.selector", "selector must be a field name (a string)"))
    description = raw.get("description", "")
    if not isinstance(description, str | None):
        problems.append(_bad(f"{path}.description", "description must be a string"))
    if problems:
        return None, problems
    return Rule(type=raw["type"], verbs=verbs, values=tuple(values), selector=selector or "",
                description=description or "", title=key), []


def parse_permissions(raw: Any) -> tuple[list[Rule], list[Problem]]:
    """The rules of a manifest's ``permissions`` object, and every problem with its path.
    A rule with a problem is left out of the rules."""
    if raw is None or raw == {}:
        return [], []
    if not isinstance(raw, dict):
        return [], [_bad("permissions", "permissions must be a JSON object of named rules, "
                                        'e.g. {"calls": {"type": ..., "verbs": ["GET"]}}')]
    rules: list[Rule] = []
    problems: list[Problem] = []
    for key, body in raw.items():
        rule, found = parse_rule(str(key), body)
        problems += found
        if rule is not None:
            rules.append(rule)
    return rules, problems


class InvalidPermissions(BadRequest):
    """Permissions that :func:`parse_permissions` refuses, with its problems."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


def rules_from_manifest(raw: Any) -> list[Rule]:
    """The rules of ``raw``, all of them, or :class:`InvalidPermissions`."""
    rules, problems = parse_permissions(raw)
    if problems:
        raise InvalidPermissions(problems)
    return rules


def parse_scope(scope: str) -> list[Rule]:
    """``type[:VERBS[:values[:selector]]]`` rules separated by spaces (tokens' scopes)."""
    rules = []
    for i, part in enumerate(scope.split()):
        bits = part.split(":")
        where = f"scope rule {i + 1} ({part!r})"
        if len(bits) > 4:
            raise BadRequest(f"{where} has too many ':' parts")
        why = doctypes.name_problem(bits[0], wildcard=True)
        if why:
            raise BadRequest(f"{where}: {why}")
        # scope strings have always taken verbs in any case (manifests: capitals, as JSON)
        verbs_text = (bits[1] if len(bits) > 1 else "ALL").upper()
        verbs, problems = _parse_verbs([v for v in verbs_text.split(",") if v] or None, where)
        if problems:
            raise BadRequest(f"{where}: {problems[0].message}")
        values = tuple(v for v in bits[2].split(",") if v) if len(bits) > 2 else ()
        selector = bits[3] if len(bits) > 3 else ""
        rules.append(Rule(bits[0], verbs, values, selector))
    return rules


@dataclass
class PermissionSet:
    rules: list[Rule]

    def allow(self, verb: str, doctype: str, doc: dict | None = None,
              doc_id: str | None = None) -> bool:
        return any(r.allows(verb, doctype, doc, doc_id) for r in self.rules)

    def allow_whole_type(self, verb: str, doctype: str) -> bool:
        return any(r.verb_matches(verb) and r.type_matches(doctype) and not r.values
                   for r in self.rules)

    def readable_doctypes(self, doctypes_: Iterable[str]) -> list[str]:
        return [d for d in doctypes_ if self.allow_whole_type("GET", d)]

    def allow_id(self, verb: str, doctype: str, doc_id: str) -> bool:
        """The whole type, or this id named by a rule without selector (the stack's
        ``AllowID``: a selector rule never grants an id on its own)."""
        return any(r.verb_matches(verb) and r.type_matches(doctype) and
                   (not r.values or (not r.selector and doc_id in r.values))
                   for r in self.rules)

    def allow_on_field(self, verb: str, doctype: str, field_name: str, value: str) -> bool:
        """A rule whose selector is ``field_name`` and whose values hold ``value`` (the
        stack's ``AllowOnFields``, e.g. triggers by ``worker``)."""
        return any(r.verb_matches(verb) and r.type_matches(doctype) and
                   r.selector == field_name and value in r.values for r in self.rules)

    def covers(self, rule: Rule) -> bool:
        """Whether every document ``rule`` allows is allowed here, for every verb it names
        (the stack's ``RuleInSubset``, without its loophole: a rule without values is covered
        only by a whole-type rule, never by one limited to some values)."""
        for r in self.rules:
            if not (doctypes.covers(r.type, rule.type) and rule.verbs <= r.verbs):
                continue
            if not r.values and not r.selector:
                return True
            if rule.values and r.selector == rule.selector and set(rule.values) <= set(r.values):
                return True
        return False

    def includes(self, rules: Iterable[Rule]) -> bool:
        """Whether every rule is covered (a share may only narrow its creator's rights)."""
        return all(self.covers(r) for r in rules)
