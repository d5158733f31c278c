"""Installing apps from the store's registry into an instance, and running them.

An install takes the release the tester agreed to (its version and sha256 travel in the
consent form), downloads the tarball and checks its sha256, and records the manifest read
from that tarball — not from the registry's JSON — so the permissions granted are the ones the
archive declares. The app's container is the image the store built, by id, never pulled, and
only if its ``selfdata.sha256`` label names that same tarball; it runs with the store's
hardening and reaches this sandbox only through its socket and gate (its own instance's data
API). Uninstall deletes the record first (the token dies with it), then stops the container.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import httpx
import orjson
import sqlalchemy as sa

from sandbox.errors import NotFound, StackError
from sandbox.service import Sandbox
from sandbox.storage.tables import apps

ALIVE_CHECK_S = 2.0   # how often the proxy asks the engine whether a container still runs


class InstallError(StackError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(status, message)


@dataclass
class Release:
    slug: str
    version: str
    manifest: dict
    image: str | None
    sha256: str
    registry: str

    @classmethod
    def from_registry(cls, registry: str, data: dict) -> Release:
        return cls(data["slug"], data["version"], data["manifest"],
                   (data.get("selfdata") or {}).get("image"), data["sha256"], registry)


class Installer:
    def __init__(self, sb: Sandbox, asgi_app=None):
        self.sb = sb
        self.asgi_app = asgi_app            # the sandbox app, served to containers behind a gate
        self.settings = sb.settings
        self._running: dict[tuple[str, str], object] = {}   # (instance, slug) → RunningApp
        self._checked: dict[tuple[str, str], float] = {}
        self.dev_targets: dict[tuple[str, str], str] = {}   # (instance, slug) → http base URL
        self._locks: dict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._runner = None
        # Containers of this sandbox (by database) carry this label; a restart removes leftovers.
        self.owner = "sandbox-" + hashlib.sha256(self.settings.database_url.encode()
                                                 ).hexdigest()[:12]

    def _lock(self, instance: str, slug: str) -> threading.Lock:
        with self._guard:
            return self._locks[(instance, slug)]

    # -- the registry ------------------------------------------------------------------------
    def check_registry(self, registry: str) -> str:
        allowed = [r.rstrip("/") for r in self.settings.registry_url.split(",") if r.strip()]
        reg = (registry or (allowed[0] if allowed else "")).rstrip("/")
        if not reg:
            raise InstallError("no app registry is configured: start the sandbox with "
                               "SELFDATA_REGISTRY_URL=<store URL> (selfdata up does)")
        if reg not in allowed:
            raise InstallError(f"{reg} is not a registry this sandbox installs from "
                               f"(allowed: {', '.join(allowed) or 'none'})", 403)
        return reg

    def release(self, registry: str, slug: str, channel: str = "stable",
                version: str | None = None) -> Release:
        """The release ``version`` of ``slug``, or the latest on ``channel``."""
        reg = self.check_registry(registry)
        where = f"{slug}/{version}" if version else f"{slug}/{channel}/latest"
        try:
            r = httpx.get(f"{reg}/registry/{where}", timeout=10,
                          headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise InstallError(f"the registry at {reg} does not answer: {exc}", 502) from exc
        if r.status_code == 404:
            raise NotFound(f"no release {version or channel} of {slug!r} in the registry")
        if r.status_code != 200:
            raise InstallError(f"the registry answered {r.status_code} for {slug}", 502)
        return Release.from_registry(reg, r.json())

    def _verified_manifest(self, rel: Release) -> dict:
        """The manifest inside the tarball whose sha256 the registry announced."""
        from app_store.archive import read_archive
        from app_store.checks.manifest import load_manifest

        url = f"{rel.registry}/registry/{rel.slug}/{rel.version}/tarball/{rel.slug}.tar.gz"
        r = httpx.get(url, timeout=30)
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != rel.sha256:
            raise InstallError(f"the tarball of {rel.slug} {rel.version} does not match its "
                               "sha256 in the registry; the install was stopped", 502)
        name = "app.zip" if r.content[:2] == b"PK" else "app.tar.gz"
        manifest, _problems = load_manifest(read_archive(r.content, name))
        if manifest is None or manifest.get("slug") != rel.slug or \
                manifest.get("version") != rel.version:
            raise InstallError(f"the tarball of {rel.slug} {rel.version} does not hold that "
                               "app's manifest; the install was stopped", 502)
        if manifest.get("permissions") != rel.manifest.get("permissions"):
            raise InstallError("the permissions in the tarball differ from those the registry "
                               "shows; the install was stopped", 502)
        return manifest

    # -- install / uninstall -----------------------------------------------------------------
    def install(self, instance: str, rel: Release, consented_sha256: str | None = None) -> None:
        if consented_sha256 is not None and consented_sha256 != rel.sha256:
            raise InstallError(f"{rel.slug} changed since you agreed to its permissions; look "
                               "at them again before installing", 409)
        inst = self.sb.instances.get(instance)
        manifest = dict(self._verified_manifest(rel), selfdata_image=rel.image,
                        selfdata_sha256=rel.sha256)
        with self._lock(instance, rel.slug):
            with self.sb.db.write() as conn:
                conn.execute(apps.delete().where(apps.c.instance_id == inst.id,
                                                 apps.c.slug == rel.slug))
                conn.execute(apps.insert().values(
                    instance_id=inst.id, slug=rel.slug, manifest=orjson.dumps(manifest).decode(),
                    permissions=orjson.dumps(manifest.get("permissions", {})).decode(),
                    state="installed", installed_at=time.time()))
            self.sb.forget_tokens()
            self._stop_locked(instance, rel.slug)

    def uninstall(self, instance: str, slug: str) -> None:
        inst = self.sb.instances.get(instance)
        with self._lock(instance, slug):
            with self.sb.db.write() as conn:
                gone = conn.execute(apps.delete().where(apps.c.instance_id == inst.id,
                                                        apps.c.slug == slug)).rowcount
            self.sb.forget_tokens()  # its token stops working now, not in a few seconds
            self._stop_locked(instance, slug)
        if not gone:
            raise NotFound(f"{slug} is not installed in {instance}")

    def manifest(self, instance: str, slug: str) -> dict | None:
        inst = self.sb.instances.find(instance)
        if inst is None:
            return None
        with self.sb.db.read() as conn:
            row = conn.execute(sa.select(apps.c.manifest).where(
                apps.c.instance_id == inst.id, apps.c.slug == slug)).first()
        return orjson.loads(row.manifest) if row else None

    # -- running containers ------------------------------------------------------------------
    def runner(self):
        with self._guard:
            if self._runner is None:
                from app_store.runtime.bridge import SocketBridges
                from app_store.runtime.engine import DockerEngine
                from app_store.runtime.runner import AppRunner

                engine = DockerEngine(self.settings.docker_host or None)
                for cid in engine.containers(f"selfdata.owner={self.owner}"):
                    engine.remove(cid)
                self._runner = AppRunner(engine, SocketBridges())
            return self._runner

    def sock_dir(self, instance: str, slug: str, domain: str) -> str:
        """The running app's socket directory, starting (or restarting) its container when
        needed: first use, a dead container, or a token past half its life."""
        key = (instance, slug)
        with self._lock(instance, slug):
            app = self._running.get(key)
            if app is not None and self._fresh(key, app):
                return app.sock_dir
            self._stop_locked(instance, slug)
            return self._start_locked(instance, slug, domain)

    def _fresh(self, key, app) -> bool:
        ttl = self.settings.app_token_ttl_s
        if time.time() - app.started_at > ttl / 2:
            return False
        now = time.monotonic()
        if now - self._checked.get(key, 0) < ALIVE_CHECK_S:
            return True
        self._checked[key] = now
        return self.runner().alive(app)

    def _start_locked(self, instance: str, slug: str, domain: str) -> str:
        from app_store.runtime.engine import EngineError
        from sandbox.web.app_gate import ApiGate

        manifest = self.manifest(instance, slug)
        if manifest is None:
            raise NotFound(f"{slug} is not installed in {instance}")
        image = manifest.get("selfdata_image")
        try:
            runner = self.runner()
            if not image or runner.engine.image_labels(image).get("selfdata.sha256") != \
                    manifest.get("selfdata_sha256"):
                raise InstallError(f"{slug} has no image built from the installed release on "
                                   "this engine; reinstall it from the store", 503)
            token = self.sb.app_token(instance, slug)
            gate = ApiGate(self.asgi_app, f"{instance}.localhost:{self.settings.port}")
            app = runner.start(image, manifest, token, gate, domain,
                               labels={"selfdata.app": slug, "selfdata.instance": instance,
                                       "selfdata.owner": self.owner})
        except EngineError as exc:
            raise InstallError(f"{slug} cannot start: {exc}", 503) from exc
        try:
            rt = manifest.get("runtime", {})
            path = rt.get("health", "/") if rt.get("type") == "python" else "/"
            health = runner.wait_healthy(app, path, self.settings.app_start_timeout_s)
        except Exception:
            runner.stop(app)
            raise
        if not health.ok:
            runner.stop(app)
            raise InstallError(f"{slug} did not start: {health.detail}", 503)
        self._running[(instance, slug)] = app
        self._checked[(instance, slug)] = time.monotonic()
        return app.sock_dir

    def _stop_locked(self, instance: str, slug: str) -> None:
        app = self._running.pop((instance, slug), None)
        if app is not None:
            self.runner().stop(app)

    def close(self) -> None:
        for instance, slug in list(self._running):
            with self._lock(instance, slug):
                self._stop_locked(instance, slug)
        if self._runner is not None:
            self._runner.bridges.shutdown()
