"""Installing and uninstalling apps: the registry's release, the tester's consent, the
record, the container. What the web layer and ``selfdata up`` call."""

from __future__ import annotations

from sandbox.apps.dev_installs import DevTarget
from sandbox.apps.records import STORE, InstalledApp, InstallRecords
from sandbox.apps.registry import RegistryClient, Release
from sandbox.apps.running import RunningApps
from sandbox.errors import ReleaseChanged
from sandbox.instances import Instances


class Apps:
    def __init__(self, instances: Instances, records: InstallRecords, registry: RegistryClient,
                 running: RunningApps):
        self.instances = instances
        self.records = records
        self.registry = registry
        self.running = running
        # (instance, install key) → an app served by ``selfdata dev`` (key ``dev.<slug>``)
        self.dev_targets: dict[tuple[str, str], DevTarget] = {}

    def release(self, registry: str, slug: str, channel: str = "stable",
                version: str | None = None) -> Release:
        return self.registry.release(registry, slug, channel, version)

    def install(self, instance: str, rel: Release, consented_sha256: str | None = None) -> None:
        """Install ``rel`` as the tester agreed to it (its sha256 travels in the consent)."""
        if consented_sha256 is not None and consented_sha256 != rel.sha256:
            raise ReleaseChanged(f"{rel.slug} changed since you agreed to its permissions; "
                                 "look at them again before installing")
        inst = self.instances.get(instance)
        manifest = self.registry.verified_manifest(rel)
        with self.running.lock(instance, rel.slug):
            self.records.install(inst, manifest, STORE, registry=rel.registry,
                                 sha256=rel.sha256, image_id=rel.image)
            self.running.stop_locked(instance, rel.slug)
            self.running.reinstall_needed.pop((instance, rel.slug), None)

    def cannot_run(self, instance: str, app: InstalledApp) -> str | None:
        """Why an install cannot run until it is installed again from the store, if so."""
        return app.cannot_run or self.running.reinstall_needed.get((instance, app.slug))

    def uninstall(self, instance: str, slug: str) -> None:
        """The record goes first (its token dies with it), then the container."""
        inst = self.instances.get(instance)
        with self.running.lock(instance, slug):
            try:
                self.records.remove(inst, slug)
            finally:
                self.running.stop_locked(instance, slug)

    def close(self) -> None:
        self.running.close()
