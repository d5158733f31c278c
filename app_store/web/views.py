"""Submissions as JSON, the same for the API and the pages."""

from __future__ import annotations

import orjson

from app_store import pipeline
from app_store.store import Store


def submission_json(store: Store, row, full: bool = True) -> dict:
    out = {"id": row.id, "team": store.team_names().get(row.team_id, "?"),
           "slug": row.slug, "version": row.version, "filename": row.filename,
           "sha256": row.sha256, "size": row.size, "state": row.state,
           "final": row.state in pipeline.FINAL, "created_at": row.created_at,
           "updated_at": row.updated_at, "reason": row.reason, "reviewed_by": row.reviewed_by}
    if full:
        out["history"] = pipeline.history(store.db, row.id)
        out["checks"] = orjson.loads(row.report) if row.report else None
        out["build_log"] = row.build_log or ""
        out["smoke"] = orjson.loads(row.smoke) if row.smoke else None
        out["manifest"] = orjson.loads(row.manifest) if row.manifest else None
        out["image_id"] = row.image_id
    return out
