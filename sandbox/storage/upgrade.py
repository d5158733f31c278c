"""Upgrades of a sandbox database written by an earlier version, run at start, idempotent.

- ``installed_apps`` before the one-writer redesign kept ``permissions`` and ``state``
  columns and the store's image id and sha256 inside the manifest (``selfdata_image``,
  ``selfdata_sha256``); now they are columns of their own (``version``, ``source``,
  ``registry``, ``sha256``, ``image_id``).
- ``selfdata dev`` used to record its app under the app's slug, replacing the store install;
  it now records it beside it under ``dev.<slug>`` (up to 67 characters: the key column is
  widened on PostgreSQL) with the process serving it (``served_by``).
- ``live_pending`` before creates were stored ready to insert had no ``rev`` column; its rows
  (null ``rev``) are delivered the slower way.
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from sandbox.storage.database import Database
from sandbox.storage.tables import apps, live_pending

SOURCES = {"dev": "dev", "smoke": "smoke"}


def upgrade(db: Database) -> list[str]:
    """Apply what is needed; the names of the upgrades applied."""
    done = []
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns(apps.name)}
    if "version" not in columns:
        _installed_apps_columns(db)
        done.append("installed_apps: columns for version, source, registry, sha256, image")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns(apps.name)}
    if "served_by" not in columns:
        with db.write() as conn:
            conn.exec_driver_sql("ALTER TABLE installed_apps ADD COLUMN served_by VARCHAR(255)")
        done.append("installed_apps: served_by, the process of a dev install")
    slug = next(c for c in sa.inspect(db.engine).get_columns(apps.name) if c["name"] == "slug")
    if db.engine.dialect.name == "postgresql" and \
            (getattr(slug["type"], "length", None) or 80) < 80:
        with db.write() as conn:
            conn.exec_driver_sql("ALTER TABLE installed_apps ALTER COLUMN slug TYPE VARCHAR(80)")
        done.append("installed_apps: install keys up to 80 characters (dev.<slug>)")
    pending = {c["name"] for c in sa.inspect(db.engine).get_columns(live_pending.name)}
    if "rev" not in pending:
        with db.write() as conn:
            conn.exec_driver_sql("ALTER TABLE live_pending ADD COLUMN rev VARCHAR(64)")
        done.append("live_pending: rev column (creates stored ready to insert)")
    return done


def _installed_apps_columns(db: Database) -> None:
    with db.write() as conn:
        old = conn.exec_driver_sql(
            "SELECT instance_id, slug, manifest, state, installed_at FROM installed_apps").all()
        conn.exec_driver_sql("DROP TABLE installed_apps")
        apps.create(conn)
        for instance_id, slug, text, state, installed_at in old:
            try:
                manifest = orjson.loads(text)
            except orjson.JSONDecodeError:
                manifest = {}
            manifest = manifest if isinstance(manifest, dict) else {}
            image = manifest.pop("selfdata_image", None)
            sha256 = manifest.pop("selfdata_sha256", None)
            conn.execute(apps.insert().values(
                instance_id=instance_id, slug=slug, manifest=orjson.dumps(manifest).decode(),
                version=str(manifest.get("version", "")), source=SOURCES.get(state, "store"),
                sha256=sha256 if isinstance(sha256, str) else None,
                image_id=image if isinstance(image, str) else None, installed_at=installed_at))
