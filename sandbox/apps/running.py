"""The containers of installed apps: started on first use, restarted when dead or when their
token is past half its life, stopped on uninstall.

A container runs the image the store built, by id (never pulled), and only if the image's
``selfdata.sha256`` label names the installed release's tarball. It runs with the hardening and
the limits the settings give (the same the store's smoke run uses), and reaches this sandbox
only through its socket and the gate ``api_for`` returns (its own instance's data API).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from sandbox.apps.records import InstallRecords
from sandbox.contract.manifest import Manifest
from sandbox.errors import AppUnavailable, NotFound
from sandbox.instances import Instances
from sandbox.runtime.bridge import SocketBridges
from sandbox.runtime.engine import Engine, EngineError, connect
from sandbox.runtime.hardening import RunLimits
from sandbox.runtime.runner import AppRunner, RunningApp

ALIVE_CHECK_S = 2.0   # how often a request asks the engine whether a container still runs


class RunningApps:
    def __init__(self, records: InstallRecords, instances: Instances,
                 token_for: Callable[[str, str], str], api_for: Callable[[str], object], *,
                 limits: RunLimits, docker_host: str, start_timeout_s: float,
                 token_ttl_s: int, owner_key: str, engine: Engine | None = None,
                 page_env: Callable[[str, Manifest, str, str], dict[str, str]] | None = None):
        self.records = records
        self.instances = instances
        self.token_for = token_for          # (instance, slug) → app token
        self.api_for = api_for              # instance → ASGI app behind the gate
        self.limits = limits
        self.docker_host = docker_host
        self.start_timeout_s = start_timeout_s
        self.token_ttl_s = token_ttl_s
        self.page_env = page_env            # (instance, manifest, token, domain) → page values
        self._engine = engine
        self._running: dict[tuple[str, str], RunningApp] = {}
        self._checked: dict[tuple[str, str], float] = {}
        # (instance, slug) → why its install cannot run here until it is installed again
        self.reinstall_needed: dict[tuple[str, str], str] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._runner: AppRunner | None = None
        # Containers of this sandbox carry this label; a restart removes leftovers.
        self.owner = "sandbox-" + hashlib.sha256(owner_key.encode()).hexdigest()[:12]

    def lock(self, instance: str, slug: str) -> threading.Lock:
        with self._guard:
            return self._locks[(instance, slug)]

    def runner(self) -> AppRunner:
        with self._guard:
            if self._runner is None:
                engine = self._engine or connect(self.docker_host or None)
                for cid in engine.containers(f"selfdata.owner={self.owner}"):
                    engine.remove(cid)
                self._runner = AppRunner(engine, SocketBridges(), self.limits)
            return self._runner

    def sock_dir(self, instance: str, slug: str, domain: str) -> str:
        """The running app's socket directory, starting (or restarting) its container when
        needed: first use, a dead container, or a token past half its life."""
        key = (instance, slug)
        with self.lock(instance, slug):
            app = self._running.get(key)
            if app is not None and self._fresh(key, app):
                return app.sock_dir
            self.stop_locked(instance, slug)
            return self._start_locked(instance, slug, domain)

    def _fresh(self, key: tuple[str, str], app: RunningApp) -> bool:
        if time.time() - app.started_at > self.token_ttl_s / 2:
            return False
        now = time.monotonic()
        if now - self._checked.get(key, 0) < ALIVE_CHECK_S:
            return True
        self._checked[key] = now
        return self.runner().alive(app)

    def _start_locked(self, instance: str, slug: str, domain: str) -> str:
        installed = self.records.get(self.instances.get(instance), slug)
        if installed is None:
            raise NotFound(f"{slug} is not installed in {instance}")
        if installed.manifest is None:
            raise AppUnavailable(f"{slug} was installed under older rules; reinstall it from "
                                 "the store")
        image = installed.image_id
        try:
            runner = self.runner()
            if not image or runner.engine.image_labels(image).get("selfdata.sha256") != \
                    installed.sha256:
                why = "this engine has no image built from the installed release"
                self.reinstall_needed[(instance, slug)] = why
                raise AppUnavailable(f"{slug}: {why}; reinstall it from the store (your "
                                     "dashboard has a button)")
            token = self.token_for(instance, slug)
            extra = self.page_env(instance, installed.manifest, token,
                                                  domain) if self.page_env else None
            app = runner.start(image, installed.manifest, token, self.api_for(instance), domain,
                               labels={"selfdata.app": slug, "selfdata.instance": instance,
                                       "selfdata.owner": self.owner}, extra_env=extra)
        except EngineError as exc:
            raise AppUnavailable(f"{slug} cannot start: {exc}") from exc
        try:
            health = runner.wait_healthy(app, installed.manifest.runtime.health_path,
                                         self.start_timeout_s)
        except Exception:
            runner.stop(app)
            raise
        if not health.ok:
            runner.stop(app)
            raise AppUnavailable(f"{slug} did not start: {health.detail}")
        self._running[(instance, slug)] = app
        self._checked[(instance, slug)] = time.monotonic()
        return app.sock_dir

    def stop_locked(self, instance: str, slug: str) -> None:
        """Stop the app's container; the caller holds :meth:`lock` for the pair."""
        app = self._running.pop((instance, slug), None)
        if app is not None:
            self.runner().stop(app)

    def close(self) -> None:
        for instance, slug in list(self._running):
            with self.lock(instance, slug):
                self.stop_locked(instance, slug)
        if self._runner is not None:
            self._runner.bridges.shutdown()
