"""Submissions: uploads stored by sha256, their rows, who may see them, and the claims on a
slug (one team's) and a version (only up) that a submission makes when it passes its checks."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from app_store import accounts, pipeline
from app_store.accounts import Account
from app_store.artifacts import Artifacts
from app_store.errors import Invalid, NotAllowed, NotFound, TooLarge
from app_store.tables import app_owners, submissions
from sandbox.contract.bundle import Limits
from sandbox.contract.problems import ERROR, Problem
from sandbox.contract.versions import Version
from sandbox.dbkit import Database


def next_version_problem(existing: list[str], new: str) -> str | None:
    """None when ``new`` may be published after ``existing``, else why not (and how to fix)."""
    try:
        candidate = Version.parse(new)
    except ValueError as exc:
        return f"{exc}; use e.g. 1.2.0"
    known = [Version.parse(v) for v in existing]
    if candidate in known:
        return f"version {new} was already submitted; raise the version in manifest.webapp"
    if known and candidate < max(known):
        return (f"version {new} is lower than {max(known)}, already submitted; versions only go "
                f"up: use a version above {max(known)}")
    return None


class Submissions:
    def __init__(self, db: Database, artifacts: Artifacts, limits: Limits,
                 wake: threading.Event):
        self.db = db
        self.artifacts = artifacts
        self.limits = limits
        self.wake = wake      # set when there is work for the workers

    def submit(self, team: Account, data: bytes, filename: str) -> int:
        accounts.require(team, "team")
        if len(data) > self.limits.upload_bytes:
            raise TooLarge(f"the upload is {len(data):,} bytes; the limit is "
                           f"{self.limits.upload_bytes:,} (remove build output and data files)")
        if not data:
            raise Invalid("the upload is empty: send a .tar.gz or .zip of your app")
        name = (filename or "app.tar.gz").replace("/", "_")[-200:]
        digest = self.artifacts.put(data)
        now = time.time()
        with self.db.write() as conn:
            sub_id = conn.execute(submissions.insert().values(
                team_id=team.id, filename=name, sha256=digest, size=len(data),
                state=pipeline.QUEUED, created_at=now, updated_at=now, attempts=0)
            ).inserted_primary_key[0]
            pipeline.record(conn, sub_id, pipeline.QUEUED, f"uploaded {name}")
        self.wake.set()
        return sub_id

    def row(self, sub_id: int):
        with self.db.read() as conn:
            row = conn.execute(sa.select(submissions).where(submissions.c.id == sub_id)).first()
        if row is None:
            raise NotFound(f"no submission {sub_id}")
        return row

    def visible(self, who: Account, sub_id: int):
        row = self.row(sub_id)
        if who.role == "team" and row.team_id != who.id:
            raise NotAllowed("this submission belongs to another team")
        return row

    def listing(self, who: Account | None = None, state: str | None = None) -> list:
        q = sa.select(submissions).order_by(submissions.c.id.desc())
        if who is not None and who.role == "team":
            q = q.where(submissions.c.team_id == who.id)
        if state:
            q = q.where(submissions.c.state == state)
        with self.db.read() as conn:
            return conn.execute(q).all()

    def slug_state(self, slug: str) -> tuple[int | None, list[str]]:
        """The team owning ``slug`` (None: nobody yet) and the versions submitted for it that
        did not fail (what the claim compares with)."""
        with self.db.read() as conn:
            owner = conn.execute(sa.select(app_owners.c.team_id).where(
                app_owners.c.slug == slug)).first()
            versions = [r.version for r in conn.execute(sa.select(submissions.c.version).where(
                submissions.c.slug == slug, submissions.c.state != pipeline.FAILED,
                submissions.c.version.is_not(None)))]
        return (owner.team_id if owner else None), versions

    def claim(self, team_id: int, slug: str, version: str, sub_id: int) -> list[Problem]:
        """Claim the slug for the team and the version for this submission, in one
        transaction with the check, so two uploads of one version cannot both pass."""
        for _ in range(3):
            try:
                return self._claim(team_id, slug, version, sub_id)
            except sa.exc.IntegrityError:  # another worker created the slug's owner row first
                continue
        return [Problem("manifest.slug", ERROR, f"the slug {slug!r} is being claimed by "
                        "another submission right now; submit again", "slug")]

    def _claim(self, team_id: int, slug: str, version: str, sub_id: int) -> list[Problem]:
        with self.db.write() as conn:
            owner = conn.execute(sa.select(app_owners.c.team_id).where(
                app_owners.c.slug == slug).with_for_update()).first()
            if owner is None:
                conn.execute(app_owners.insert().values(slug=slug, team_id=team_id,
                                                        created_at=time.time()))
            elif owner.team_id != team_id:
                return [Problem("manifest.slug", ERROR, f"the slug {slug!r} belongs to another "
                                "team's app; choose another slug", "slug")]
            earlier = [r.version for r in conn.execute(sa.select(submissions.c.version).where(
                submissions.c.slug == slug, submissions.c.id != sub_id,
                submissions.c.state != pipeline.FAILED, submissions.c.version.is_not(None)))]
            why = next_version_problem(earlier, version)
            if why:
                return [Problem("manifest.version", ERROR, why, "version")]
            conn.execute(submissions.update().where(submissions.c.id == sub_id).values(
                slug=slug, version=version))
        return []
