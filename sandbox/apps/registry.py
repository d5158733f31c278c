"""Releases from the app registry (the store), and the tarball check before an install.

Only the registries the settings name are used. A release's manifest is read from its tarball,
whose sha256 must be the one the registry announced, never from the registry's JSON alone, so
the permissions a tester grants are the ones the archive declares.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import httpx

from sandbox.contract.bundle import read_archive
from sandbox.contract.manifest import Manifest, load_manifest
from sandbox.contract.permissions import Rule, rules_from_manifest
from sandbox.errors import InstallRefused, NotFound, RegistryNotAllowed, RegistryUnavailable


@dataclass(frozen=True)
class Release:
    slug: str
    version: str
    manifest: dict          # as the registry shows it (checked against the tarball on install)
    image: str | None       # the image the store built from the tarball
    sha256: str
    registry: str

    @classmethod
    def from_registry(cls, registry: str, data: dict) -> Release:
        try:
            extra = data.get("selfdata")
            image = extra.get("image") if isinstance(extra, dict) else None
            return cls(str(data["slug"]), str(data["version"]), dict(data["manifest"]),
                       image if isinstance(image, str) else None, str(data["sha256"]),
                       registry)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise RegistryUnavailable(f"the registry at {registry} answered a release that "
                                      f"cannot be read ({exc!r})") from exc

    def rules(self) -> list[Rule]:
        return rules_from_manifest(self.manifest.get("permissions"))


class RegistryClient:
    def __init__(self, allowed: list[str], timeout_s: float = 30):
        self.allowed = [r.rstrip("/") for r in allowed if r.strip()]
        self.timeout_s = timeout_s

    def check(self, registry: str) -> str:
        """``registry`` (or the first allowed one when empty), if this sandbox may use it."""
        reg = (registry or (self.allowed[0] if self.allowed else "")).rstrip("/")
        if not reg:
            raise InstallRefused("no app registry is configured: start the sandbox with "
                                 "SELFDATA_REGISTRY_URL=<store URL> (selfdata up does)")
        if reg not in self.allowed:
            raise RegistryNotAllowed(f"{reg} is not a registry this sandbox installs from "
                                     f"(allowed: {', '.join(self.allowed) or 'none'})")
        return reg

    def release(self, registry: str, slug: str, channel: str = "stable",
                version: str | None = None) -> Release:
        """The release ``version`` of ``slug``, or the latest on ``channel``."""
        reg = self.check(registry)
        where = f"{slug}/{version}" if version else f"{slug}/{channel}/latest"
        try:
            r = httpx.get(f"{reg}/registry/{where}", timeout=self.timeout_s,
                          headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"the registry at {reg} does not answer: {exc}") from exc
        if r.status_code == 404:
            raise NotFound(f"no release {version or channel} of {slug!r} in the registry")
        if r.status_code != 200:
            raise RegistryUnavailable(f"the registry answered {r.status_code} for {slug}")
        try:
            return Release.from_registry(reg, r.json())
        except ValueError as exc:
            raise RegistryUnavailable(f"the registry answered {slug} with no JSON") from exc

    def verified_manifest(self, rel: Release) -> Manifest:
        """The manifest inside the tarball whose sha256 the registry announced."""
        url = f"{rel.registry}/registry/{rel.slug}/{rel.version}/tarball/{rel.slug}.tar.gz"
        try:
            r = httpx.get(url, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"the registry at {rel.registry} does not answer: "
                                      f"{exc}") from exc
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != rel.sha256:
            raise RegistryUnavailable(f"the tarball of {rel.slug} {rel.version} does not match "
                                      "its sha256 in the registry; the install was stopped")
        name = "app.zip" if r.content[:2] == b"PK" else "app.tar.gz"
        manifest, _problems = load_manifest(read_archive(r.content, name).files)
        if manifest is None or manifest.slug != rel.slug or manifest.version != rel.version:
            raise RegistryUnavailable(f"the tarball of {rel.slug} {rel.version} does not hold "
                                      "that app's manifest; the install was stopped")
        if manifest.permissions_json != (rel.manifest.get("permissions") or {}):
            raise RegistryUnavailable("the permissions in the tarball differ from those the "
                                      "registry shows; the install was stopped")
        return manifest
