"""The store: submissions through the pipeline, review, and the objects the web layer shows."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import traceback

import orjson
import sqlalchemy as sa

from app_store import accounts, pipeline
from app_store.accounts import Account
from app_store.artifacts import Artifacts
from app_store.build import build_app
from app_store.checks.run import check_upload
from app_store.errors import Invalid, NotAllowed, NotFound, TooLarge
from app_store.limits import Limits
from app_store.problems import ERROR, Problem, blocking
from app_store.runtime.engine import Engine, EngineError
from app_store.settings import StoreSettings
from app_store.tables import app_owners, metadata, submissions
from app_store.versions import next_version_problem
from sandbox.storage.database import Database

log = logging.getLogger("selfdata.store")


class Store:
    def __init__(self, settings: StoreSettings, engine: Engine | None = None):
        self.settings = settings
        self.db = Database(settings.database_url, tables=metadata)
        self.db.create_all()
        self.artifacts = Artifacts(settings.data_dir / "artifacts")
        self.limits = Limits(upload_bytes=settings.max_upload_bytes)
        self._engine = engine
        # Containers this store starts carry this label; leftovers of a crash are removed.
        self.owner = "store-" + hashlib.sha256(str(settings.data_dir.resolve()).encode()
                                               ).hexdigest()[:12]
        self._base: str | None = None
        self._base_lock = threading.Lock()
        self._runner = None
        self._smoke = None
        self.wake = threading.Event()

    # -- engine, lazily: the store runs (checks, review, catalogue) without one ---------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from app_store.runtime.engine import DockerEngine

            self._engine = DockerEngine(self.settings.docker_host or None)
        return self._engine

    def engine_status(self) -> str:
        try:
            return f"Docker {self.engine.ping()}"
        except EngineError as exc:
            return f"no container engine: {exc}"

    def base_image(self) -> str:
        with self._base_lock:
            if self._base is None:
                if self.settings.base_image:
                    if not self.engine.image_id(self.settings.base_image):
                        raise EngineError(f"SELFDATA_BASE_IMAGE={self.settings.base_image} is not "
                                          "on the engine; load it first (nothing is pulled)")
                    self._base = self.settings.base_image
                else:
                    from app_store.runtime.base_image import ensure_base_image

                    self._base = ensure_base_image(self.engine, log=log.info)
            return self._base

    def runner(self):
        with self._base_lock:
            return self._make_runner()

    def _make_runner(self):
        if self._runner is None:
            from app_store.runtime.bridge import SocketBridges
            from app_store.runtime.hardening import RunLimits
            from app_store.runtime.runner import AppRunner
            from app_store.smoke import SmokeSandbox

            s = self.settings
            for cid in self.engine.containers(f"selfdata.owner={self.owner}"):
                self.engine.remove(cid)  # left by a previous run of this store
            self._runner = AppRunner(self.engine, SocketBridges(),
                                     RunLimits(memory_mb=s.memory_mb, cpus=s.cpus, pids=s.pids,
                                               tmpfs_mb=s.tmpfs_mb))
            self._smoke = SmokeSandbox(s.data_dir / "smoke", s.smoke_seed)
        return self._runner

    # -- submissions -------------------------------------------------------------------------
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

    def team_names(self) -> dict[int, str]:
        return {a.id: a.name for a in accounts.listing(self.db, "team")}

    # -- the pipeline (called by workers) ----------------------------------------------------
    def process(self, sub_id: int) -> None:
        try:
            self._process(sub_id)
        except Exception as exc:  # any surprise fails the job visibly, never silently
            log.error("submission %s: %s", sub_id, traceback.format_exc())
            pipeline.fail_if_running(self.db, sub_id, f"the store hit an error ({exc}). The "
                                     "organisers can retry it once fixed.")

    def _process(self, sub_id: int) -> None:
        row = self.row(sub_id)
        data = self.artifacts.get(row.sha256)
        report = check_upload(data, row.filename, self.limits)
        problems = list(report.problems)
        m = report.manifest or {}
        slug = m.get("slug") if isinstance(m.get("slug"), str) else None
        version = m.get("version") if isinstance(m.get("version"), str) else None
        if slug and version and not blocking(problems):
            problems.extend(self._ownership_and_version(row.team_id, slug, version, sub_id))
        fields = {"report": self._report(problems), "slug": slug, "version": version,
                  "manifest": orjson.dumps(m).decode() if report.manifest else None}
        if blocking(problems):
            n = sum(p.severity == ERROR for p in problems)
            pipeline.move(self.db, sub_id, pipeline.FAILED, f"{n} check(s) failed",
                          reason=f"{n} check(s) failed: fix them and submit again", **fields)
            return
        pipeline.move(self.db, sub_id, pipeline.BUILDING, **fields)
        try:
            base = self.base_image()
        except EngineError as exc:
            pipeline.move(self.db, sub_id, pipeline.FAILED, "no container engine",
                          reason=f"the store cannot build right now ({exc}); the organisers "
                                 "can retry it once the engine runs")
            return
        started = time.monotonic()
        built = build_app(self.engine, base, report.archive.files, m, row.sha256, sub_id,
                          self.settings.wheel_cache_dir, self.settings.build_timeout_s,
                          self.owner)
        took = f"built in {time.monotonic() - started:.1f} s"
        if not built.ok:
            last = [x for x in built.log.strip().splitlines() if x.strip()][-1:] or [""]
            problems.append(Problem(built.check, ERROR, f"the image did not build: {last[0]}; "
                                    "read the build log, fix, resubmit", "build"))
            pipeline.move(self.db, sub_id, pipeline.FAILED, "build failed",
                          build_log=built.log, report=self._report(problems),
                          reason="the image did not build: read the build log, fix, resubmit")
            return
        pipeline.move(self.db, sub_id, pipeline.SMOKE, took, build_log=built.log,
                      image_id=built.image_id)
        from app_store.smoke import smoke_run

        try:
            runner = self.runner()
            smoke = smoke_run(runner, self._smoke, built.image_id, m,
                              self.settings.health_timeout_s, self.owner)
        except Exception:
            self.engine.remove_image(built.image_id)  # no image without a submission using it
            raise
        problems.extend(smoke.problems())
        fields = {"smoke": orjson.dumps(smoke.to_json()).decode(),
                  "report": self._report(problems)}
        if blocking(problems):
            first = next(p for p in problems if p.severity == ERROR)
            pipeline.move(self.db, sub_id, pipeline.FAILED, "smoke run failed",
                          reason=f"the app did not run properly ({first.check}): "
                                 f"{smoke.detail or first.message}", **fields)
            self.engine.remove_image(built.image_id)
            return
        pipeline.move(self.db, sub_id, pipeline.AWAITING,
                      f"healthy in {smoke.health_seconds} s; read {', '.join(smoke.read) or '-'}",
                      **fields)

    @staticmethod
    def _report(problems: list[Problem]) -> str:
        return orjson.dumps({"accepted": not blocking(problems),
                             "problems": [p.to_json() for p in problems]}).decode()

    def _ownership_and_version(self, team_id: int, slug: str, version: str,
                               sub_id: int) -> list[Problem]:
        """Claim the slug for the team and the version for this submission, in one
        transaction with the check, so two uploads of one version cannot both pass."""
        for _ in range(3):
            try:
                return self._claim_version(team_id, slug, version, sub_id)
            except sa.exc.IntegrityError:  # another worker created the slug's owner row first
                continue
        return [Problem("manifest.slug", ERROR, f"the slug {slug!r} is being claimed by "
                        "another submission right now; submit again", "slug")]

    def _claim_version(self, team_id: int, slug: str, version: str,
                       sub_id: int) -> list[Problem]:
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

    # -- review --------------------------------------------------------------------------------
    def review(self, who: Account, sub_id: int, decision: str, reason: str) -> None:
        accounts.require(who, "organiser")
        to = {"approve": pipeline.APPROVED, "reject": pipeline.REJECTED,
              "retry": pipeline.QUEUED}.get(decision)
        if to is None:
            raise Invalid("decision must be approve, reject or retry")
        if to == pipeline.REJECTED and not (reason or "").strip():
            raise Invalid("say why the app is rejected: the team reads the reason",
                          [{"path": "reason", "message": "required when rejecting"}])
        pipeline.move(self.db, sub_id, to, f"by {who.name}", reason=(reason or "").strip()
                      or None, reviewed_by=who.name)
        if to == pipeline.QUEUED:
            self.wake.set()

    def forget_images(self) -> int:
        """Remove every image this store built (for a store whose database starts afresh)."""
        gone = 0
        for img in self.engine.client.images.list(filters={"label":
                                                            f"selfdata.owner={self.owner}"}):
            self.engine.remove_image(img.id)
            gone += 1
        return gone

    def close(self) -> None:
        if self._smoke is not None:
            self._smoke.stop()
        self.db.dispose()
