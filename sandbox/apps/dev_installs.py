"""``selfdata dev``'s installs: beside a store install, never instead of it.

A dev session records its app under ``dev.<slug>`` (``addresses.dev_key``) with the process
that serves it (``served_by``: host, pid, port). It removes only that record when it stops; a
record left by a session that died without stopping (``kill -9``) is stale, and the next
session in that instance removes it. A live session's record is never taken over: a second
session of the same app is refused and told which process holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from dataclasses import dataclass

from sandbox.apps.records import DEV, InstalledApp, InstallRecords
from sandbox.contract import addresses
from sandbox.contract.manifest import Manifest
from sandbox.errors import DevSessionBusy, NotFound
from sandbox.instances import Instance


@dataclass(frozen=True)
class DevHolder:
    """The ``selfdata dev`` process serving a dev install."""

    host: str
    pid: int
    port: int

    @classmethod
    def this_process(cls, port: int) -> DevHolder:
        return cls(socket.gethostname(), os.getpid(), port)

    @classmethod
    def parse(cls, text: str | None) -> DevHolder | None:
        try:
            host, pid, port = (text or "").split(" ")
            return cls(host, int(pid), int(port))
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.host} {self.pid} {self.port}"

    def alive(self) -> bool:
        """Whether the process still runs (on another machine: assumed to)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class DevClaim:
    app: InstalledApp
    reinstalled: bool                      # a new record (so a new token)
    stale: list[InstalledApp]              # records of dead sessions removed on the way


class DevInstalls:
    def __init__(self, records: InstallRecords):
        self.records = records

    def claim(self, inst: Instance, manifest: Manifest, holder: DevHolder) -> DevClaim:
        """Record ``manifest`` as served by ``holder`` under ``dev.<slug>``, leaving any
        install of the slug itself alone. An unchanged manifest already held by ``holder``
        keeps its record (and the token printed earlier)."""
        stale = self.remove_stale(inst)
        key = addresses.dev_key(manifest.slug)
        current = self.records.get(inst, key)
        if current is not None and current.served_by != str(holder):
            other = DevHolder.parse(current.served_by)
            raise DevSessionBusy(
                f"{manifest.slug} is already served in {inst.name} by another `selfdata dev` "
                f"(process {other.pid if other else '?'} on "
                f"{other.host if other else '?'}, port {other.port if other else '?'}): "
                "stop it first")
        if current is not None and current.manifest is not None and \
                current.manifest.to_json() == manifest.to_json():
            return DevClaim(current, False, stale)
        app = self.records.install(inst, manifest, DEV, key=key, served_by=str(holder))
        return DevClaim(app, True, stale)

    def remove_stale(self, inst: Instance) -> list[InstalledApp]:
        """Remove the dev records of ``inst`` whose process is gone."""
        gone = []
        for app in self.records.listing(inst):
            holder = DevHolder.parse(app.served_by)
            if addresses.is_dev_key(app.slug) and (holder is None or not holder.alive()):
                try:
                    self.records.remove(inst, app.slug, stamp=app.stamp)
                    gone.append(app)
                except NotFound:
                    pass   # removed meanwhile
        return gone

    def release(self, inst: Instance, app: InstalledApp) -> bool:
        """Remove ``app`` (a dev record) if it is still the one recorded; nothing else."""
        if not addresses.is_dev_key(app.slug):
            raise ValueError(f"{app.slug} is not a dev install")
        try:
            self.records.remove(inst, app.slug, stamp=app.stamp)
        except NotFound:
            return False
        return True


class DevTarget:
    """Where a dev session's app listens, and its changes: ``changed`` (from any thread)
    counts one more generation of the app folder and wakes whoever waits for it (the open
    pages of the app, which then reload)."""

    def __init__(self, url: str):
        self.url = url
        self.generation = 0
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def changed(self) -> int:
        with self._lock:
            self.generation += 1
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):   # its loop has closed
                loop.call_soon_threadsafe(event.set)
        return self.generation

    async def wait_past(self, since: int, timeout: float) -> int:
        """The generation once it is past ``since``, or after ``timeout`` seconds."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self.generation > since:
                return self.generation
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(entry)
        return self.generation
