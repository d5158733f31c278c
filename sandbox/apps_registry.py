"""Apps installed in an instance (the install flow itself belongs to the app-store work)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.auth.permissions import rules_from_manifest
from sandbox.instances import Instance
from sandbox.labels import RuleInWords, rule_in_words
from sandbox.service import Sandbox
from sandbox.storage.tables import apps


@dataclass
class InstalledApp:
    slug: str
    name: str
    version: str
    state: str
    permissions: list[RuleInWords]


def installed_apps(sb: Sandbox, inst: Instance) -> list[InstalledApp]:
    with sb.db.read() as conn:
        rows = conn.execute(sa.select(apps).where(apps.c.instance_id == inst.id)
                            .order_by(apps.c.slug)).all()
    out = []
    for r in rows:
        manifest = orjson.loads(r.manifest)
        rules = rules_from_manifest(orjson.loads(r.permissions))
        out.append(InstalledApp(r.slug, manifest.get("name", r.slug),
                                str(manifest.get("version", "")), r.state,
                                [rule_in_words(x) for x in rules]))
    return out
