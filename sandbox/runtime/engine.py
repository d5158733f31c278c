"""The container engine behind a small interface; the real one is Docker through its SDK.

Images are always referred to by a local tag or id: nothing here pulls (the SDK's
``containers.run`` would pull on a missing image, so containers are created, never ``run``).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import dataclass, field
from typing import IO, Protocol

from sandbox.runtime.hardening import RunLimits, run_kwargs


class EngineError(Exception):
    """The engine is missing, or refused what was asked."""


class NameTaken(EngineError):
    """A container of that name exists already (another process created it first)."""


@dataclass
class RunSpec:
    image: str
    env: dict[str, str]
    sock_dir: str
    limits: RunLimits = field(default_factory=RunLimits)
    labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class Container:
    """A container as a listing shows it: enough to adopt it or judge it."""
    id: str
    name: str
    labels: dict[str, str]
    running: bool
    status: str = ""   # created (not started yet), running, exited ...


@dataclass
class ContainerState:
    running: bool
    exit_code: int | None
    oom_killed: bool
    status: str


class Engine(Protocol):
    def ping(self) -> str: ...
    def image_id(self, ref: str) -> str | None: ...
    def image_labels(self, ref: str) -> dict[str, str]: ...
    def import_image(self, stream: IO[bytes], tag: str) -> str: ...
    def build(self, context: bytes, tag: str, labels: dict[str, str],
              timeout_s: float) -> tuple[bool, str, str | None]: ...
    def start(self, spec: RunSpec) -> str: ...
    def state(self, container_id: str) -> ContainerState: ...
    def logs(self, container_id: str, tail: int = 200) -> str: ...
    def remove(self, container_id: str) -> None: ...
    def remove_image(self, ref: str) -> None: ...
    def images(self, label: str) -> list[str]: ...
    def containers(self, label: str) -> list[str]: ...
    def listing(self, label: str) -> list[Container]: ...
    def find(self, name: str) -> Container | None: ...


class MissingEngine:
    """Stands for an engine that is not there: every call raises :class:`EngineError` with the
    reason, so what needs no engine (checks, review, the catalogue) runs without one."""

    def __init__(self, reason: str):
        self.reason = reason

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)

        def missing(*_args, **_kwargs):
            raise EngineError(self.reason)

        return missing


def connect(base_url: str | None = None) -> Engine:
    """The Docker engine at ``base_url`` (default: ``DOCKER_HOST``, then the usual socket), or
    a :class:`MissingEngine` saying why there is none."""
    try:
        return DockerEngine(base_url)
    except EngineError as exc:
        return MissingEngine(str(exc))


class DockerEngine:
    def __init__(self, base_url: str | None = None, timeout_s: float = 120):
        import docker

        url = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        client = None
        if url.startswith("unix://") and not os.path.exists(url.removeprefix("unix://")):
            raise EngineError(f"no Docker engine answers at {url}: no such socket. Start one "
                              "(scripts/ensure-docker.sh) and set DOCKER_HOST")
        try:
            client = docker.DockerClient(base_url=url, timeout=timeout_s)
            client.ping()
        except Exception as exc:  # the SDK raises several kinds here
            if client is not None:
                client.close()
            raise EngineError(f"no Docker engine answers at {url}: {exc}. Start one "
                              "(scripts/ensure-docker.sh) and set DOCKER_HOST") from exc
        self.client = client
        self.url = url
        self._images: set[str] = set()   # image ids a start found

    def ping(self) -> str:
        return self.client.version().get("Version", "?")

    def image_id(self, ref: str) -> str | None:
        import docker.errors

        try:
            return self.client.images.get(ref).id
        except docker.errors.ImageNotFound:
            return None

    def image_labels(self, ref: str) -> dict[str, str]:
        return dict(self.client.images.get(ref).labels or {})

    def import_image(self, stream: IO[bytes], tag: str) -> str:
        repo, _, t = tag.partition(":")
        out = self.client.api.import_image_from_stream(stream, repository=repo, tag=t or None)
        if "error" in str(out).lower() and not self.image_id(tag):
            raise EngineError(f"docker import failed: {out}")
        return self.image_id(tag) or ""

    def build(self, context: bytes, tag: str, labels: dict[str, str],
              timeout_s: float) -> tuple[bool, str, str | None]:
        """Build with no network and no pull; return (ok, log, image id). A build running past
        ``timeout_s`` is cancelled (closing the stream makes the daemon stop it)."""
        import requests

        lines: list[str] = []
        started = time.monotonic()
        image_id = None
        try:
            stream = self.client.api.build(
                fileobj=io.BytesIO(context), custom_context=True, tag=tag, labels=labels,
                network_mode="none", pull=False, rm=True, forcerm=True, decode=True,
                container_limits={"memory": 1 << 30, "memswap": 1 << 30}, timeout=timeout_s)
            for chunk in stream:
                if "stream" in chunk:
                    lines.append(chunk["stream"])
                if "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = chunk["aux"]["ID"]
                if "error" in chunk:
                    lines.append("ERROR: " + chunk["error"] + "\n")
                    return False, "".join(lines), None
                if time.monotonic() - started > timeout_s:
                    lines.append(f"ERROR: the build took longer than {timeout_s:g} s and "
                                 "was stopped\n")
                    stream.close()
                    return False, "".join(lines), None
        except Exception as exc:  # the SDK wraps a read timeout in several ways
            if isinstance(exc, requests.exceptions.ReadTimeout) or \
                    time.monotonic() - started >= timeout_s:
                lines.append(f"ERROR: the build took longer than {timeout_s:g} s and was "
                             "stopped\n")
            else:
                lines.append(f"ERROR: {exc}\n")
            return False, "".join(lines), None
        image_id = image_id or self.image_id(tag)
        return image_id is not None, "".join(lines), image_id

    def start(self, spec: RunSpec) -> str:
        import docker.errors

        # an id names one image forever: looked up once (a removed one fails at create)
        if spec.image not in self._images:
            if not self.image_id(spec.image):
                raise EngineError(f"image {spec.image} is not on this engine (nothing is "
                                  "pulled)")
            if spec.image.startswith("sha256:"):
                self._images.add(spec.image)

        kwargs = run_kwargs(spec.limits, spec.sock_dir)
        try:
            c = self.client.containers.create(spec.image,
                                              environment=spec.env, labels=spec.labels,
                                              name=spec.name, detach=True, **kwargs)
        except docker.errors.APIError as exc:
            if exc.status_code == 409 and spec.name:
                raise NameTaken(f"a container named {spec.name} exists") from exc
            if isinstance(exc, docker.errors.ImageNotFound):
                self._images.discard(spec.image)
                raise EngineError(f"image {spec.image} is not on this engine") from exc
            raise
        c.start()
        return c.id

    def state(self, container_id: str) -> ContainerState:
        attrs = self.client.api.inspect_container(container_id)["State"]
        return ContainerState(bool(attrs.get("Running")), attrs.get("ExitCode"),
                              bool(attrs.get("OOMKilled")), attrs.get("Status", ""))

    def logs(self, container_id: str, tail: int = 200) -> str:
        try:
            return self.client.api.logs(container_id, tail=tail).decode("utf-8", "replace")
        except Exception:
            return ""

    def remove(self, container_id: str) -> None:
        import docker.errors

        with contextlib.suppress(docker.errors.NotFound):
            self.client.api.remove_container(container_id, force=True)

    def remove_image(self, ref: str) -> None:
        import docker.errors

        with contextlib.suppress(docker.errors.ImageNotFound):
            self.client.images.remove(ref, force=True)

    def images(self, label: str) -> list[str]:
        return [img.id for img in self.client.images.list(filters={"label": label})]

    def containers(self, label: str) -> list[str]:
        return [c.id for c in self.client.containers.list(all=True, filters={"label": label})]

    def listing(self, label: str) -> list[Container]:
        """Every container with ``label`` (running or not), in one call."""
        return [Container(c["Id"], (c.get("Names") or ["/"])[0].lstrip("/"),
                          dict(c.get("Labels") or {}), c.get("State") == "running",
                          c.get("State", ""))
                for c in self.client.api.containers(all=True, filters={"label": label})]

    def find(self, name: str) -> Container | None:
        import docker.errors

        try:
            attrs = self.client.api.inspect_container(name)
        except docker.errors.NotFound:
            return None
        return Container(attrs["Id"], attrs.get("Name", "").lstrip("/"),
                         dict(attrs.get("Config", {}).get("Labels") or {}),
                         bool(attrs.get("State", {}).get("Running")),
                         attrs.get("State", {}).get("Status", ""))
