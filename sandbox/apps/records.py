"""What is installed in each instance: the one writer of the ``installed_apps`` table.

Store installs, ``selfdata dev`` and the store's smoke runs all record their app here, so an
app token always names an install this class wrote. An install is stamped with its time (in
ms): an app token names that stamp, so a reinstall or an uninstall makes older tokens useless.

Records are keyed by the app's slug, except ``selfdata dev``'s, keyed ``dev.<slug>``
(``sandbox.contract.addresses.dev_key``): a dev session runs beside a store install and never
replaces it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from sandbox.contract.addresses import is_dev_key
from sandbox.contract.manifest import InvalidManifest, Manifest, manifest_from_json
from sandbox.errors import NotFound
from sandbox.instances import Instance
from sandbox.storage.database import Database
from sandbox.storage.tables import apps

STORE, DEV, SMOKE = "store", "dev", "smoke"


@dataclass(frozen=True)
class InstalledApp:
    instance_id: int
    slug: str                     # the install key: the slug, or dev.<slug> for selfdata dev
    manifest: Manifest | None     # None: the stored manifest no longer reads (an old row)
    source: str
    installed_at: float
    registry: str | None = None
    sha256: str | None = None
    image_id: str | None = None
    served_by: str | None = None  # a dev install: the process serving it ("host pid port")

    @property
    def broken(self) -> bool:
        """Installed under rules that no longer accept its manifest: it cannot run or get a
        token until it is installed again."""
        return self.manifest is None

    @property
    def dev(self) -> bool:
        """Served by ``selfdata dev`` beside any install of the slug (key ``dev.<slug>``)."""
        return self.source == DEV and is_dev_key(self.slug)

    @property
    def cannot_run(self) -> str | None:
        """Why this install cannot run until it is installed again from the store (None: it
        can, as far as its record tells)."""
        if self.broken:
            return "it was installed under older rules that no longer accept its manifest"
        if self.source == DEV and not self.dev:
            return "an earlier `selfdata dev` replaced it, and left no image to run"
        if self.source == STORE and not self.image_id:
            return "its release has no image built by the store"
        return None

    @property
    def stamp(self) -> str:
        """What an app token carries to name this install."""
        return f"install:{round(self.installed_at * 1000)}"


class InstallRecords:
    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None):
        self.db = db
        self.on_change = on_change   # e.g. forget cached token checks

    def install(self, inst: Instance, manifest: Manifest, source: str, *,
                registry: str | None = None, sha256: str | None = None,
                image_id: str | None = None, key: str | None = None,
                served_by: str | None = None) -> InstalledApp:
        """Record ``manifest`` as installed in ``inst`` under ``key`` (default: its slug),
        replacing any earlier install under that key (whose tokens then stop working)."""
        key = key or manifest.slug
        now = time.time()
        with self.db.write() as conn:
            last = conn.execute(sa.select(apps.c.installed_at).where(
                apps.c.instance_id == inst.id, apps.c.slug == key)).scalar()
            if last is not None and round(now * 1000) <= round(last * 1000):
                now = last + 0.001  # a new stamp even within the same millisecond
            conn.execute(apps.delete().where(apps.c.instance_id == inst.id,
                                             apps.c.slug == key))
            conn.execute(apps.insert().values(
                instance_id=inst.id, slug=key, manifest=manifest.to_json().decode(),
                version=manifest.version, source=source, registry=registry, sha256=sha256,
                image_id=image_id, installed_at=now, served_by=served_by))
        self.on_change()
        return InstalledApp(inst.id, key, manifest, source, now, registry, sha256, image_id,
                            served_by)

    def remove(self, inst: Instance, slug: str, stamp: str | None = None) -> None:
        """Remove the install under ``slug`` (its key); with ``stamp``, only if it is still
        that install (not one recorded since by someone else)."""
        where = [apps.c.instance_id == inst.id, apps.c.slug == slug]
        if stamp is not None:
            current = self.get(inst, slug)
            if current is None or current.stamp != stamp:
                raise NotFound(f"{slug} is not that install any more in {inst.name}")
            where.append(apps.c.installed_at == current.installed_at)
        with self.db.write() as conn:
            gone = conn.execute(apps.delete().where(*where)).rowcount
        self.on_change()
        if not gone:
            raise NotFound(f"{slug} is not installed in {inst.name}")

    def delete_instance(self, conn, instance_id: int) -> None:
        """Part of deleting an instance (in its transaction)."""
        conn.execute(apps.delete().where(apps.c.instance_id == instance_id))
        self.on_change()

    def get(self, inst: Instance, slug: str) -> InstalledApp | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(apps).where(apps.c.instance_id == inst.id,
                                                     apps.c.slug == slug)).first()
        return _app(row) if row else None

    def listing(self, inst: Instance) -> list[InstalledApp]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(apps).where(apps.c.instance_id == inst.id)
                                .order_by(apps.c.slug)).all()
        return [_app(r) for r in rows]


def _app(row) -> InstalledApp:
    try:
        manifest: Manifest | None = manifest_from_json(row.manifest)
    except InvalidManifest:
        manifest = None
    return InstalledApp(row.instance_id, row.slug, manifest, row.source, row.installed_at,
                        row.registry, row.sha256, row.image_id, row.served_by)
