"""Permissions on files as the stack checks them (its ``vfs.Allows``).

A rule on ``io.cozy.files`` with no values covers every file. With ids as values it covers
those files and folders and everything below them (the root's id covers all). With a
``selector`` it covers the files whose field holds one of the values (``type``, ``name``,
``mime``, ``class``, ``tags``, ``referenced_by``), and, except for ``mime`` and ``class``,
everything below a folder that matches.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.contract.permissions import PermissionSet, Rule
from sandbox.files.names import DOCTYPE, ROOT_ID


def fetch(doc: dict, field: str) -> list[str]:
    """The values of ``field`` a selector compares (the stack's ``Fetch``)."""
    if field in ("type", "name", "mime", "class"):
        value = doc.get(field)
        return [value] if isinstance(value, str) else []
    if field == "tags":
        return [t for t in doc.get("tags") or [] if isinstance(t, str)]
    if field == "referenced_by":
        out: list[str] = []
        for ref in doc.get("referenced_by") or []:
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                out.append(ref["id"])
                if doc.get("type") == "file":
                    out.append(f"{ref.get('type')}/{ref['id']}")
        return out
    return []


def _matches(rule: Rule, doc: dict) -> bool:
    have = fetch(doc, rule.selector)
    return any(v in have for v in rule.values)


def allows(perms: PermissionSet, verb: str, doc: dict, path: Callable[[dict], str],
           ancestors: Callable[[dict], list[dict]],
           path_of_id: Callable[[str], str | None]) -> bool:
    """Whether ``perms`` allow ``verb`` on the file or folder ``doc``. ``path`` gives a
    document's path, ``ancestors`` its folders up to the root, ``path_of_id`` the path of a
    folder id (None when there is none); they are asked only when a rule needs them."""
    allowed_ids: list[str] = []
    on_ancestors: list[Rule] = []
    for rule in perms.rules:
        if not (rule.type_matches(DOCTYPE) and rule.verb_matches(verb)):
            continue
        if not rule.values:
            return True
        if not rule.selector:
            if any(v in (doc.get("_id"), doc.get("dir_id"), ROOT_ID) for v in rule.values):
                return True
            allowed_ids += rule.values
            continue
        if _matches(rule, doc):
            return True
        if rule.selector not in ("mime", "class"):
            on_ancestors.append(rule)
    if allowed_ids:
        mine = path(doc)
        for folder_id in allowed_ids:
            above = path_of_id(folder_id)
            if above is not None and mine.startswith(above.rstrip("/") + "/"):
                return True
    if on_ancestors:
        for folder in ancestors(doc):
            if folder.get("_id") == ROOT_ID:
                break
            if any(_matches(rule, folder) for rule in on_ancestors):
                return True
    return False
