"""The build farm: the container engine (found lazily: the store checks, reviews and lists
without one), the base image, image builds, smoke runs, and the images this store made.

Every image and container the farm makes carries ``selfdata.owner=<this store>``, so a store
that starts afresh removes what an earlier run of it left behind.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from app_store.build_farm.base_image import ensure_base_image
from app_store.build_farm.build import BuildResult, build_app
from app_store.build_farm.environment import scrub, secrets
from app_store.settings import StoreSettings
from app_store.smoke import SmokeReport, smoke_run
from sandbox.contract.manifest import Manifest
from sandbox.runtime.bridge import SocketBridges
from sandbox.runtime.engine import Engine, EngineError, connect
from sandbox.runtime.runner import AppRunner
from sandbox.scratch import ScratchSandbox

log = logging.getLogger("selfdata.store")


def owner_of(data_dir: Path) -> str:
    """The owner label of the images and containers of the store kept in ``data_dir``."""
    return "store-" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]


class BuildFarm:
    def __init__(self, settings: StoreSettings, engine: Engine | None = None):
        self.settings = settings
        self._engine = engine
        self.owner = owner_of(settings.data_dir)
        self._lock = threading.Lock()
        self._base: str | None = None
        self._runner: AppRunner | None = None
        self._scratch: ScratchSandbox | None = None
        self._scoring: ScratchSandbox | None = None

    @property
    def label(self) -> str:
        return f"selfdata.owner={self.owner}"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = connect(self.settings.docker_host or None)
        return self._engine

    def engine_status(self) -> str:
        try:
            return f"Docker {self.engine.ping()}"
        except EngineError as exc:
            return f"no container engine: {exc}"

    def base_image(self) -> str:
        with self._lock:
            if self._base is None:
                wanted = self.settings.base_image
                if wanted and not self.engine.image_id(wanted):
                    raise EngineError(f"SELFDATA_BASE_IMAGE={wanted} is not on the engine; "
                                      "load it first (nothing is pulled)")
                self._base = wanted or ensure_base_image(self.engine, log=log.info)
            return self._base

    def build(self, files: dict[str, bytes], manifest: Manifest, sha256: str,
              sub_id: int) -> BuildResult:
        s = self.settings
        built = build_app(self.engine, self.base_image(), files, manifest, sha256, sub_id,
                          s.wheel_cache_dir, s.build_timeout_s, self.owner)
        # the team reads this log: nothing of the store's own may be in it
        built.log = scrub(built.log, secrets(s.database_url, s.docker_host or ""))
        return built

    def smoke(self, image_id: str, manifest: Manifest) -> SmokeReport:
        runner, scratch = self._smoke_parts()
        return smoke_run(runner, scratch, image_id, manifest, self.settings.health_timeout_s,
                         self.owner)

    def _smoke_parts(self) -> tuple[AppRunner, ScratchSandbox]:
        with self._lock:
            if self._runner is None:
                for cid in self.engine.containers(self.label):
                    self.engine.remove(cid)  # left by a previous run of this store
                self._runner = AppRunner(self.engine, SocketBridges(),
                                         self.settings.app_limits.run_limits())
                self._scratch = ScratchSandbox(self.settings.data_dir / "smoke",
                                               self.settings.smoke_seed)
            assert self._scratch is not None
            return self._runner, self._scratch

    def scoring_parts(self) -> tuple[AppRunner, ScratchSandbox]:
        """The runner and the scratch sandbox of the challenges' scoring runs (their own
        database, apart from the smoke runs')."""
        runner, _ = self._smoke_parts()
        with self._lock:
            if self._scoring is None:
                self._scoring = ScratchSandbox(self.settings.data_dir / "scoring",
                                               self.settings.smoke_seed)
            return runner, self._scoring

    def remove_image(self, image_id: str) -> None:
        self.engine.remove_image(image_id)

    def forget_images(self) -> int:
        """Remove every image this store built (for a store whose database starts afresh)."""
        images = self.engine.images(self.label)
        for image_id in images:
            self.engine.remove_image(image_id)
        return len(images)

    def close(self) -> None:
        for scratch in (self._scratch, self._scoring):
            if scratch is not None:
                scratch.stop()
        if self._runner is not None:
            self._runner.bridges.shutdown()
