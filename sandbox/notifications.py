"""Notifications apps send to their tester (``POST /notifications``), kept as the stack keeps
them: documents of ``io.cozy.notifications`` (readable through ``/data``, written only here),
checked against the categories the app's manifest declares. The sandbox sends no mail or push:
the tester's dashboard shows them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from sandbox.errors import BadRequest, Forbidden, NotFound
from sandbox.instances import Instance
from sandbox.storage.documents import DocumentStore

NOTIFICATIONS = "io.cozy.notifications"
# the stack's messages (model/notification/center/errors.go)
BAD = "Notification is not valid"
UNAUTHORIZED = "Not authorized to send notification"
NO_CATEGORY = "No category for this app"
NO_SUCH_CATEGORY = "Notification category does not exist"
STRINGS = ("category", "category_id", "title", "message", "priority", "sound", "at",
           "content", "content_html")
STATEFUL_LOOKBACK = 10_000   # notifications searched for the last one of a stateful source


def _now(at: float | None = None) -> str:
    moment = time.time() if at is None else at
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def categories_of(manifest_raw: dict | None) -> dict | None:
    """The manifest's ``notifications`` block (None when it has none)."""
    block = (manifest_raw or {}).get("notifications")
    return block if isinstance(block, dict) and block else None


def _fields(attributes: dict) -> dict:
    bad = [k for k in STRINGS if k in attributes and not isinstance(attributes[k], str)]
    if bad:
        raise BadRequest(f"{BAD}: {bad[0]} must be a string")
    if "data" in attributes and not isinstance(attributes["data"], dict | None):
        raise BadRequest(f"{BAD}: data must be a JSON object")
    channels = attributes.get("preferred_channels")
    if channels is not None and not (isinstance(channels, list) and
                                     all(isinstance(c, str) for c in channels)):
        raise BadRequest(f"{BAD}: preferred_channels must be a list of strings")
    if not attributes.get("title"):
        raise BadRequest(BAD)
    return {k: attributes[k] for k in (*STRINGS, "state", "data") if attributes.get(k)
            not in (None, "", {})}


class Notifications:
    def __init__(self, documents: DocumentStore,
                 now: Callable[[Instance], float | None] = lambda _inst: None):
        self.documents = documents
        self.now = now   # the instance's simulated time, None when it is not live

    def push(self, inst: Instance, originator: str, slug: str, categories: dict | None,
             attributes: dict) -> dict:
        """Store a notification from ``slug`` (an app, konnector or OAuth client's linked
        app) after the stack's checks; the stored document, ``_id`` and ``_rev`` included
        (without them when a stateful category collapses it: same state as the last one)."""
        fields = _fields(attributes)
        if originator not in ("app", "konnector", "oauth"):
            raise Forbidden(UNAUTHORIZED)
        if categories is None:
            raise Forbidden(NO_CATEGORY if originator != "oauth" else NO_SUCH_CATEGORY)
        category = fields.get("category", "")
        props = categories.get(category)
        if not isinstance(props, dict):
            raise Forbidden(NO_SUCH_CATEGORY)
        source = f"cozy/{originator}/{slug}/{category}/{fields.get('category_id', '')}"
        doc: dict[str, Any] = {"source_id": source, "originator": originator}
        if slug:
            doc["slug"] = slug
        doc["category"] = category
        doc.update({k: v for k, v in fields.items() if k not in ("category", "at")})
        now = _now(self.now(inst))
        doc["created_at"] = doc["last_sent"] = now
        if props.get("stateful"):
            last = self._last(inst, source)
            if last is not None and last.get("state") == doc.get("state"):
                return doc
        res = self.documents.create(inst.id, NOTIFICATIONS, doc)
        return {"_id": res.id, "_rev": res.rev, **doc}

    def _last(self, inst: Instance, source: str) -> dict | None:
        for doc in self.recent(inst, STATEFUL_LOOKBACK):
            if doc.get("source_id") == source:
                return doc
        return None

    def recent(self, inst: Instance, limit: int = 20) -> list[dict]:
        """The latest notifications, newest first."""
        try:
            feed = self.documents.changes(inst.id, NOTIFICATIONS, since=None, limit=limit,
                                          include_docs=True, descending=True)
        except NotFound:
            return []
        docs = [orjson.loads(orjson.dumps(r["doc"])) for r in feed["results"]
                if not r.get("deleted")]
        return [d for d in docs if not d.get("_id", "").startswith("_design/")]
