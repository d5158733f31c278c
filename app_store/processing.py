"""A submission through the automatic steps: checks, claims, build, smoke run.

Each step moves the submission's state (``pipeline``) and records what the team reads: the
check report, the build log, the smoke report. Any surprise fails the job visibly, never
silently; an organiser can retry it.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable

import orjson

from app_store import pipeline
from app_store.build_farm.farm import BuildFarm
from app_store.checks.run import Report, check_upload
from app_store.submissions import Submissions
from sandbox.contract.bundle import Limits
from sandbox.contract.problems import ERROR, Problem, blocking
from sandbox.dbkit import Database
from sandbox.runtime.engine import EngineError

log = logging.getLogger("selfdata.store")


def report_json(problems: list[Problem]) -> str:
    return orjson.dumps({"accepted": not blocking(problems),
                         "problems": [p.to_json() for p in problems]}).decode()


class Processing:
    def __init__(self, db: Database, submissions: Submissions, farm: BuildFarm, limits: Limits,
                 on_passed: Callable[[int], object] | None = None):
        self.db = db
        self.on_passed = on_passed   # after a smoke run passed: the challenges' entries
        self.submissions = submissions
        self.farm = farm
        self.limits = limits

    def process(self, sub_id: int) -> None:
        try:
            self._process(sub_id)
        except Exception as exc:  # any surprise fails the job visibly, never silently
            log.error("submission %s: %s", sub_id, traceback.format_exc())
            pipeline.fail_if_running(self.db, sub_id, f"the store hit an error ({exc}). The "
                                     "organisers can retry it once fixed.")

    def _process(self, sub_id: int) -> None:
        row = self.submissions.row(sub_id)
        report = self._check(row)
        if report is None:
            return
        image_id = self._build(sub_id, row, report)
        if image_id is not None:
            self._smoke(sub_id, image_id, report)

    def _check(self, row) -> Report | None:
        """Checks and claims; the report when the submission may be built, else None."""
        report = check_upload(self.submissions.artifacts.get(row.sha256), row.filename,
                              self.limits)
        m = report.manifest
        if m is not None and not blocking(report.problems):
            report.problems.extend(self.submissions.claim(row.team_id, m.slug, m.version,
                                                          row.id))
        raw = report.raw_manifest
        fields = {"report": report_json(report.problems),
                  "slug": m.slug if m else None, "version": m.version if m else None,
                  "manifest": orjson.dumps(raw).decode() if raw is not None else None}
        if blocking(report.problems):
            n = sum(p.severity == ERROR for p in report.problems)
            pipeline.move(self.db, row.id, pipeline.FAILED, f"{n} check(s) failed",
                          reason=f"{n} check(s) failed: fix them and submit again", **fields)
            return None
        pipeline.move(self.db, row.id, pipeline.BUILDING, **fields)
        return report

    def _build(self, sub_id: int, row, report: Report) -> str | None:
        """The image id, or None when the build failed (the submission then failed)."""
        assert report.manifest is not None
        started = time.monotonic()
        try:
            built = self.farm.build(report.archive.files, report.manifest, row.sha256, sub_id)
        except EngineError as exc:
            pipeline.move(self.db, sub_id, pipeline.FAILED, "no container engine",
                          reason=f"the store cannot build right now ({exc}); the organisers "
                                 "can retry it once the engine runs")
            return None
        if not built.ok:
            last = [x for x in built.log.strip().splitlines() if x.strip()][-1:] or [""]
            report.problems.append(Problem(built.check, ERROR, f"the image did not build: "
                                           f"{last[0]}; read the build log, fix, resubmit",
                                           "build"))
            pipeline.move(self.db, sub_id, pipeline.FAILED, "build failed",
                          build_log=built.log, report=report_json(report.problems),
                          reason="the image did not build: read the build log, fix, resubmit")
            return None
        pipeline.move(self.db, sub_id, pipeline.SMOKE,
                      f"built in {time.monotonic() - started:.1f} s", build_log=built.log,
                      image_id=built.image_id)
        return built.image_id

    def _smoke(self, sub_id: int, image_id: str, report: Report) -> None:
        assert report.manifest is not None
        try:
            smoke = self.farm.smoke(image_id, report.manifest)
        except Exception:
            # no image without a submission using it; the smoke run's error is the one told
            with contextlib.suppress(EngineError):
                self.farm.remove_image(image_id)
            raise
        problems = report.problems + smoke.problems()
        fields = {"smoke": orjson.dumps(smoke.to_json()).decode(),
                  "report": report_json(problems)}
        if blocking(problems):
            first = next(p for p in problems if p.severity == ERROR)
            pipeline.move(self.db, sub_id, pipeline.FAILED, "smoke run failed",
                          reason=f"the app did not run properly ({first.check}): "
                                 f"{smoke.detail or first.message}", **fields)
            self.farm.remove_image(image_id)
            return
        pipeline.move(self.db, sub_id, pipeline.AWAITING,
                      f"healthy in {smoke.health_seconds} s; {smoke.reads_in_words()}",
                      **fields)
        if self.on_passed is not None:
            self.on_passed(sub_id)
