"""Who writes a file and what the request says about its bytes, and the ``cozyMetadata``
the stack records from them (its ``CozyMetadataFromClaims`` and ``UpdateFileCozyMetadata``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who writes, as the stack records it in ``cozyMetadata``."""

    instance_url: str = ""
    slug: str = ""              # the app (or the OAuth client's linked app), if any
    version: str = ""
    client: dict | None = None  # an OAuth client: id, kind, name


@dataclass
class Content:
    """A file's new bytes and what the request says about them."""

    data: bytes
    content_type: str | None = None
    md5: str | None = None          # Content-MD5 (base64)
    size: str | None = None         # the Size parameter (chunked bodies)
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] = field(default_factory=list)
    executable: bool = False
    encrypted: bool = False
    metadata: dict | None = None
    source_account: str = ""
    source_identifier: str = ""


def cozy_metadata(actor: Actor, at: str, *, upload: bool = False, source_account: str = "",
                  source_identifier: str = "") -> dict:
    """The stack's ``CozyMetadataFromClaims`` for a new document."""
    meta: dict[str, Any] = {"doctypeVersion": "1", "metadataVersion": 1, "createdAt": at,
                            "createdOn": actor.instance_url, "updatedAt": at}
    if actor.slug:
        meta["createdByApp"] = actor.slug
        if actor.version:
            meta["createdByAppVersion"] = actor.version
        meta["updatedByApps"] = [_app_entry(actor, at)]
    if upload:
        meta.update(uploadedAt=at, uploadedOn=actor.instance_url)
        if actor.slug:
            by: dict[str, Any] = {"slug": actor.slug}
            if actor.version:
                by["version"] = actor.version
            if actor.client:
                by["oauthClient"] = actor.client
            meta["uploadedBy"] = by
    if source_account:
        meta["sourceAccount"] = source_account
    if source_identifier:
        meta["sourceAccountIdentifier"] = source_identifier
    return meta


def _app_entry(actor: Actor, at: str) -> dict:
    entry = {"slug": actor.slug, "date": at, "instance": actor.instance_url}
    if actor.version:
        entry["version"] = actor.version
    return entry


def touched(doc: dict, actor: Actor, at: str) -> dict:
    """``cozyMetadata`` after a change by ``actor`` (the stack's ``UpdateFileCozyMetadata``)."""
    meta = dict(doc.get("cozyMetadata") or {}) or cozy_metadata(Actor(actor.instance_url), at)
    meta["updatedAt"] = at
    if actor.slug:
        apps = [a for a in meta.get("updatedByApps") or []
                if isinstance(a, dict) and a.get("slug") != actor.slug]
        meta["updatedByApps"] = [*apps, _app_entry(actor, at)]
    return meta


