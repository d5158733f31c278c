"""Intents (``POST /intents``): which installed app offers a service for an action on a type,
as the stack finds it (``model/intent``). The sandbox asks no registry for apps to install, so
an intent no installed app answers has no service and no available app; cozy-interapp then
reports "Unable to find a service", as with a stack whose registries list none.
"""

from __future__ import annotations

from sandbox.errors import Forbidden, InvalidParameter, NotFound
from sandbox.instances import Instance
from sandbox.storage.documents import DocumentStore
from sandbox.storage.revs import new_id

INTENTS = "io.cozy.intents"


def offers(manifest_raw: dict, action: str, typ: str) -> str | None:
    """The ``href`` of the manifest's intent for ``action`` on ``typ`` (``image/*`` matches
    any image type), or None."""
    for intent in manifest_raw.get("intents") or []:
        if not isinstance(intent, dict) or not isinstance(intent.get("action"), str):
            continue
        if intent["action"].lower() != action.lower():
            continue
        types = intent.get("type") or []
        for t in types if isinstance(types, list) else [types]:
            if not isinstance(t, str):
                continue
            if t == typ or (t.endswith("/*") and t.split("/", 1)[0] == typ.split("/", 1)[0]):
                return str(intent.get("href") or "/")
    return None


def check(attributes: dict) -> tuple[str, str, list]:
    action, typ = attributes.get("action"), attributes.get("type")
    if not isinstance(action, str) or not action:
        raise InvalidParameter("action", "Action is missing")
    if not isinstance(typ, str) or not typ:
        raise InvalidParameter("type", "Type is missing")
    perms = attributes.get("permissions") or []
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise InvalidParameter("permissions", "permissions must be a list of verbs")
    return action, typ, perms


class Intents:
    def __init__(self, documents: DocumentStore):
        self.documents = documents

    def create(self, inst: Instance, client: str, action: str, typ: str, perms: list,
               offers_: list[tuple[str, str, str]]) -> dict:
        """Store the intent (so its services can read it) and return it. ``offers_`` are
        (slug, the app's URL, the intent's href) of the apps that answer it."""
        intent_id = new_id()
        services = []
        for slug, base, target in offers_:
            path, _, fragment = target.partition("#")
            href = base.rstrip("/") + "/" + path.lstrip("/") + f"?intent={intent_id}"
            services.append({"slug": slug, "href": href + (f"#{fragment}" if fragment else "")})
        doc = {"action": action, "type": typ, "permissions": perms, "client": client,
               "services": services or None}
        res = self.documents.create(inst.id, INTENTS, doc, intent_id)
        return {"_id": res.id, "_rev": res.rev, **doc}

    def read(self, inst: Instance, intent_id: str, source_id: str) -> dict:
        """The intent, for one of the apps it names as a service (403 for anybody else)."""
        doc = self.documents.get_dict(inst.id, INTENTS, intent_id)
        if doc is None:
            raise NotFound("missing")
        slugs = {s.get("slug") for s in doc.get("services") or [] if isinstance(s, dict)}
        if not any(source_id == f"io.cozy.apps/{slug}" for slug in slugs):
            raise Forbidden()
        return doc
