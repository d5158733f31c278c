"""Installing apps from the store's registry into an instance, and running them.

An install fetches the release from the configured registry (cozy-apps-registry API), checks
the tarball's sha256, records the app with its manifest's permissions (the tester consented to
them on the page before), and starts its container — the image the store built, by id, never
pulled — with the same hardening as the store's smoke run, bound to this instance's app token.
Uninstall stops the container and deletes the record, which revokes the token at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

import httpx
import orjson
import sqlalchemy as sa

from sandbox.errors import BadRequest, NotFound, StackError
from sandbox.service import Sandbox
from sandbox.storage.tables import apps


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
    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.settings = sb.settings
        self._running: dict[tuple[str, str], object] = {}   # (instance, slug) → RunningApp
        self.dev_targets: dict[tuple[str, str], str] = {}   # (instance, slug) → http base URL
        self._lock = threading.Lock()
        self._runner = None
        # Containers of this sandbox (by database) carry this label; a restart removes leftovers.
        self.owner = "sandbox-" + hashlib.sha256(self.settings.database_url.encode()
                                                 ).hexdigest()[:12]

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

    def release(self, registry: str, slug: str, channel: str = "stable") -> Release:
        reg = self.check_registry(registry)
        try:
            r = httpx.get(f"{reg}/registry/{slug}/{channel}/latest", timeout=10,
                          headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise InstallError(f"the registry at {reg} does not answer: {exc}", 502) from exc
        if r.status_code == 404:
            raise NotFound(f"no {channel} release of {slug!r} in the registry")
        if r.status_code != 200:
            raise InstallError(f"the registry answered {r.status_code} for {slug}", 502)
        return Release.from_registry(reg, r.json())

    def _verify_tarball(self, rel: Release) -> None:
        url = f"{rel.registry}/registry/{rel.slug}/{rel.version}/tarball/{rel.slug}.tar.gz"
        r = httpx.get(url, timeout=30)
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != rel.sha256:
            raise InstallError(f"the tarball of {rel.slug} {rel.version} does not match its "
                               "sha256 in the registry; the install was stopped", 502)

    # -- install / uninstall -----------------------------------------------------------------
    def install(self, instance: str, rel: Release) -> None:
        inst = self.sb.instances.get(instance)
        self._verify_tarball(rel)
        manifest = dict(rel.manifest, version=rel.version)
        manifest["selfdata_image"] = rel.image
        with self.sb.db.write() as conn:
            conn.execute(apps.delete().where(apps.c.instance_id == inst.id,
                                             apps.c.slug == rel.slug))
            conn.execute(apps.insert().values(
                instance_id=inst.id, slug=rel.slug, manifest=orjson.dumps(manifest),
                permissions=orjson.dumps(rel.manifest.get("permissions", {})),
                state="installed", installed_at=time.time()))
        self.stop(instance, rel.slug)
        self.sb.forget_tokens()

    def uninstall(self, instance: str, slug: str) -> None:
        inst = self.sb.instances.get(instance)
        self.stop(instance, slug)
        with self.sb.db.write() as conn:
            gone = conn.execute(apps.delete().where(apps.c.instance_id == inst.id,
                                                    apps.c.slug == slug)).rowcount
        self.sb.forget_tokens()  # the app's token stops working now, not in a few seconds
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
        """The running app's socket directory, starting its container on first use."""
        key = (instance, slug)
        with self._lock:
            app = self._running.get(key)
            if app is not None:
                return app.sock_dir
            manifest = self.manifest(instance, slug)
            if manifest is None:
                raise NotFound(f"{slug} is not installed in {instance}")
            image = manifest.get("selfdata_image")
            if not image:
                raise BadRequest(f"{slug} has no container image; reinstall it from the store",
                                 "bad_request")
            from app_store.runtime.engine import EngineError

            try:
                runner = self.runner()
                token = self.sb.app_token(instance, slug)
                app = runner.start(image, manifest, token,
                                   (self.settings.host, self.settings.port), domain,
                                   labels={"selfdata.app": slug, "selfdata.instance": instance,
                                           "selfdata.owner": self.owner})
            except EngineError as exc:
                raise InstallError(f"{slug} cannot start: {exc}", 503) from exc
            rt = manifest.get("runtime", {})
            path = rt.get("health", "/") if rt.get("type") == "python" else "/"
            health = runner.wait_healthy(app, path, self.settings.app_start_timeout_s)
            if not health.ok:
                runner.stop(app)
                raise InstallError(f"{slug} did not start: {health.detail}", 503)
            self._running[key] = app
            return app.sock_dir

    def stop(self, instance: str, slug: str) -> None:
        with self._lock:
            app = self._running.pop((instance, slug), None)
        if app is not None:
            self.runner().stop(app)

    def close(self) -> None:
        for instance, slug in list(self._running):
            self.stop(instance, slug)
        if self._runner is not None:
            self._runner.bridges.shutdown()
