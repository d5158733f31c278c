"""Approved apps: the catalogue testers browse and the registry API the sandbox installs from.

Objects follow cozy-apps-registry (reference §4.1): an App with ``versions`` per channel and
``latest_version``; a Version with ``manifest``, ``url``, ``size`` (a string), ``sha256``.
Our extension ``selfdata`` carries the image id the store built, the data-usage label and the
permissions in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import orjson
import sqlalchemy as sa

from app_store import pipeline
from app_store.assets import screenshot_paths
from app_store.errors import NotFound
from app_store.store import Store
from app_store.tables import submissions
from sandbox.contract.consent import (
    N_,
    Gettext,
    RuleInWords,
    UsageLabel,
    rule_in_words,
    usage_label,
)
from sandbox.contract.manifest import Manifest, parse_manifest
from sandbox.contract.versions import Version

CHANNELS = ("stable", "beta", "dev")


def channel_of(version: str) -> str:
    return "dev" if "-dev." in version else "beta" if "-beta." in version else "stable"


@dataclass
class Release:
    slug: str
    version: str
    channel: str
    manifest: dict
    sha256: str
    size: int
    created_at: float
    image_id: str | None
    team: str
    submission_id: int

    @cached_property
    def parsed(self) -> Manifest | None:
        """The manifest as the contract reads it. Every approved release passed the same
        parser; None only for a row stored before a stricter rule (shown, never a 5xx)."""
        return parse_manifest(self.manifest)[0]

    @property
    def categories(self) -> list[str]:
        """The manifest's categories (checked at submission; anything else is ignored)."""
        cats = self.manifest.get("categories")
        return [c for c in cats if isinstance(c, str)] if isinstance(cats, list) else []

    @property
    def screenshots(self) -> list[str]:
        return screenshot_paths(self.manifest)

    def label(self, _: Gettext = str) -> UsageLabel:
        """The data-use label, in the language of ``_`` (a gettext; English by default)."""
        if self.parsed is None:
            return UsageLabel("E", _(N_("its permissions cannot be read")), ())
        return usage_label(list(self.parsed.permissions), self.slug, _)

    def permissions_in_words(self, _: Gettext = str) -> list[RuleInWords]:
        return [rule_in_words(r, _) for r in self.parsed.permissions] if self.parsed else []


def releases(store: Store, slug: str | None = None) -> list[Release]:
    q = sa.select(submissions).where(submissions.c.state == pipeline.APPROVED)
    if slug:
        q = q.where(submissions.c.slug == slug)
    with store.db.read() as conn:
        rows = conn.execute(q).all()
    teams = store.team_names()
    out = [Release(r.slug, r.version, channel_of(r.version), orjson.loads(r.manifest), r.sha256,
                   r.size, r.created_at, r.image_id, teams.get(r.team_id, "?"), r.id)
           for r in rows]
    return sorted(out, key=lambda x: (x.slug, _order(x.version)))


def _order(version: str) -> tuple:
    """Semver order; a version that does not parse (a row stored under older rules) first."""
    try:
        return (1, Version.parse(version))
    except ValueError:
        return (0, version)


def apps(store: Store, query: str = "", category: str = "") -> dict[str, list[Release]]:
    """Slug → its releases (oldest first), filtered by a search text and a category."""
    by_slug: dict[str, list[Release]] = {}
    for rel in releases(store):
        by_slug.setdefault(rel.slug, []).append(rel)
    q = query.strip().lower()
    out = {}
    for slug, rels in by_slug.items():
        m = rels[-1].manifest
        text = " ".join(str(m.get(k, "")) for k in ("name", "slug", "short_description",
                                                     "long_description", "editor")).lower()
        if q and q not in text:
            continue
        if category and category not in rels[-1].categories:
            continue
        out[slug] = rels
    return out


def latest(rels: list[Release], channel: str = "stable") -> Release | None:
    """The newest release on ``channel`` (stable counts for beta and dev, beta for dev)."""
    allowed = CHANNELS[: CHANNELS.index(channel) + 1] if channel in CHANNELS else ("stable",)
    fit = [r for r in rels if r.channel in allowed]
    return fit[-1] if fit else None


def version_json(store: Store, rel: Release) -> dict:
    label = rel.label()
    return {"slug": rel.slug, "editor": rel.manifest.get("editor", rel.team), "type": "webapp",
            "version": rel.version, "manifest": rel.manifest,
            "created_at": _iso(rel.created_at),
            "url": f"{store.settings.url}/registry/{rel.slug}/{rel.version}/tarball/"
                   f"{rel.slug}-{rel.version}.tar.gz",
            "size": str(rel.size), "sha256": rel.sha256, "tar_prefix": "", "attachments": {},
            "selfdata": {"image": rel.image_id, "submission": rel.submission_id,
                         "team": rel.team, "label": label.grade,
                         "label_summary": label.summary,
                         "permissions": [p.sentence for p in rel.permissions_in_words()]}}


def app_json(store: Store, slug: str, rels: list[Release], latest_channel: str = "stable",
             versions_channel: str = "dev") -> dict:
    if not rels:
        raise NotFound(f"no approved app {slug!r}")
    allowed = CHANNELS[: CHANNELS.index(versions_channel) + 1] \
        if versions_channel in CHANNELS else CHANNELS
    lat = latest(rels, latest_channel)
    return {"slug": slug, "type": "webapp", "editor": rels[-1].manifest.get("editor", ""),
            "created_at": _iso(rels[0].created_at),
            "versions": {"has_versions": True,
                         **{c: [r.version for r in rels if r.channel == c and c in allowed]
                            for c in CHANNELS}},
            "latest_version": version_json(store, lat) if lat else None,
            "label": rels[-1].label().registry_label,
            "data_usage_commitment": "user_reserved", "data_usage_commitment_by": "editor"}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
