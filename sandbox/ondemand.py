"""Instances declared without their data, each generated and loaded on its first use.

A 2,000-tester event cannot load 2,000 household-years (about 100 million documents) before it
serves. ``selfdata up`` *declares* the instances instead (name, secret, and where the data will
come from: a master seed and a household index, or the files of a generated population), all
in one transaction, and serves at once. The first request that resolves an instance by name
(``Instances.get``: a token's check, the dashboard, the data browser, realtime, app pages,
``selfdata token``) loads it:

- **claim**: one conditional UPDATE moves its ``pending_instances`` row from ``pending`` to
  ``loading`` (or takes over a ``loading`` claim older than ``stale_s``, left by a process that
  died). Only the caller whose UPDATE changed the row loads it, whichever process it is in.
- **load**: the household is generated from its seed straight into the database (or read from
  the population's files), through the eager loader's own code (``sandbox.loader``), so its
  documents are those an eager load stores.
- **done**: the row is deleted; no row means ready. A failure empties the instance, puts the row
  back to ``pending`` with the error, and answers 503 with ``Retry-After`` (the next request
  tries again); the traceback goes to the log only.

Other callers for the same instance wait for it: on an event in the loading process, by polling
the row (every ``poll_s``) from another process; after ``wait_s`` they get 503 with
``Retry-After`` too. Disk and memory grow only with the instances actually used.

Why generated straight into the database (measured with ``benchmarks/event.py``): writing the
household to NDJSON and reading it back costs the same or more, and cloning a template copies
only what was already loaded (each household differs: a template per household would be the
eager load again).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import sqlalchemy as sa

from sandbox import loader
from sandbox.errors import InstanceNotReady
from sandbox.instances import Instance, Instances
from sandbox.storage.tables import pending_instances
from synthetic_data.calendar_fr import Period
from synthetic_data.household import sample_household
from synthetic_data.population import describe, generate_household, read_manifest
from synthetic_data.seeding import household_seed, stream

if TYPE_CHECKING:
    from sandbox.service import Sandbox

log = logging.getLogger(__name__)

SEED, FILES = "seed", "files"          # the kinds of source
PENDING, LOADING = "pending", "loading"


def seeded(instances: Instances, seed: int, start: date, years: int, households: int,
           ground_truth: bool = False) -> list[str]:
    """Declare households ``0 … households-1`` of master seed ``seed`` over ``years`` from
    ``start``; the names declared. Only each household's members are drawn now (about 1 ms
    each): its sources run on first use."""
    period = Period.of_years(start, years)
    entries = []
    for index in range(households):
        hh = sample_household(index, stream(household_seed(seed, index), "household"),
                              period.start)
        profile = {"index": index, "instance": hh.instance,
                   "main_member": f"{hh.main.given} {hh.main.family}",
                   "commune": hh.commune.name, "declared": True}
        entries.append((hh.instance, profile, {
            "kind": SEED, "seed": seed, "index": index, "start": start.isoformat(),
            "years": years, "ground_truth": ground_truth}))
    return instances.declare(entries)


def from_files(instances: Instances, directory: Path, ground_truth: bool = False) -> list[str]:
    """Declare every household of a generated population (json or ndjson), loaded from its
    files on first use; the names declared. Its profiles are the manifest's."""
    directory = directory.resolve()
    manifest = read_manifest(directory)
    fmt = loader.loadable_format(manifest, directory)
    return instances.declare([(hh["instance"], hh, {
        "kind": FILES, "directory": str(directory), "format": fmt,
        "ground_truth": ground_truth}) for hh in manifest["households"]])


class OnDemand:
    """The ``first_use`` hook of the sandbox's instances (see the module's docstring)."""

    def __init__(self, sb: Sandbox, wait_s: float = 15.0, poll_s: float = 0.05,
                 stale_s: float = 300.0):
        self.sb = sb
        self.wait_s, self.poll_s, self.stale_s = wait_s, poll_s, stale_s
        self.me = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:64]
        self._ready: set[int] = set()            # ids known loaded (ids are never reused)
        self._lock = threading.Lock()
        self._loading: dict[int, threading.Event] = {}  # loaded by this process right now
        self._local = threading.local()          # what this thread is loading (re-entry)

    def pending(self) -> int:
        """How many declared instances are not loaded yet."""
        with self.sb.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(
                pending_instances)).scalar_one()

    def ensure(self, inst: Instance) -> Instance:
        """``inst`` loaded (its record read again if it was loaded now)."""
        if inst.id in self._ready or inst.id in self._busy():
            return inst
        deadline = time.monotonic() + self.wait_s
        attempts: int | None = None
        while True:
            row = self._row(inst.id)
            if row is None:
                self._ready.add(inst.id)  # its record again: loaded since it was read?
                return self.sb.instances.lookup_id(inst.id)
            if attempts is None:
                attempts = row.attempts
            elif row.state == PENDING and row.attempts != attempts and row.error:
                # it failed while we waited: say so rather than try again at once
                raise InstanceNotReady(_failed(inst.name), retry_after=5)
            if self._claim(inst.id, row):
                return self._materialise(inst, row)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InstanceNotReady(f"the personal cloud {inst.name} is being prepared "
                                       "(its household's data is loading); try again in a "
                                       "moment")
            event = self._loading.get(inst.id)
            if event is not None:   # this process loads it: its end is the signal
                event.wait(remaining)
            else:                   # another process does: its row is the only signal
                time.sleep(min(self.poll_s, remaining))

    def _busy(self) -> set[int]:
        busy = getattr(self._local, "busy", None)
        if busy is None:
            busy = self._local.busy = set()
        return busy

    def _row(self, instance_id: int):
        with self.sb.db.read() as conn:
            return conn.execute(sa.select(pending_instances).where(
                pending_instances.c.instance_id == instance_id)).first()

    def _claim(self, instance_id: int, row) -> bool:
        """Move the row to ``loading`` for this process, if nobody else holds it."""
        if row.state == LOADING and (row.claimed_at or 0) > time.time() - self.stale_s:
            return False
        with self._lock:
            if instance_id in self._loading:
                return False
            self._loading[instance_id] = threading.Event()
        claimed = False
        try:
            t = pending_instances.c
            now = time.time()
            with self.sb.db.write() as conn:
                claimed = conn.execute(sa.update(pending_instances).where(
                    t.instance_id == instance_id,
                    sa.or_(t.state == PENDING,
                           sa.and_(t.state == LOADING, t.claimed_at < now - self.stale_s)),
                ).values(state=LOADING, claimed_by=self.me, claimed_at=now,
                         attempts=t.attempts + 1)).rowcount == 1
        finally:
            if not claimed:
                self._done(instance_id)
        return claimed

    def _done(self, instance_id: int) -> None:
        with self._lock:
            event = self._loading.pop(instance_id, None)
        if event is not None:
            event.set()

    def _materialise(self, inst: Instance, row) -> Instance:
        sb, busy = self.sb, self._busy()
        busy.add(inst.id)
        started = time.perf_counter()
        try:
            if row.attempts or row.state == LOADING:  # a failed or abandoned try left data
                sb.instances.clear(inst)
            source = orjson.loads(row.source)
            truth = bool(source.get("ground_truth"))
            if source["kind"] == SEED:
                period = Period.of_years(date.fromisoformat(source["start"]), source["years"])
                data = generate_household(source["seed"], source["index"], period)
                if data.household.instance != inst.name:
                    raise ValueError(f"household {source['index']} of seed {source['seed']} "
                                     f"is {data.household.instance}, not {inst.name}")
                inst = sb.instances.set_profile(inst.id, orjson.loads(orjson.dumps(
                    describe(data))))
                sb.instances.set_up(inst)
                count = loader.load_generated(sb, inst, data, truth)
                del data
            else:
                folder = Path(source["directory"]) / inst.name
                files = loader.checked_files(folder, source["format"], inst.name)
                sb.instances.set_up(inst)
                count = loader.load_household(sb, inst, folder, source["format"], files,
                                              truth).documents
            with sb.db.write() as conn:
                conn.execute(sa.delete(pending_instances).where(
                    pending_instances.c.instance_id == inst.id,
                    pending_instances.c.claimed_by == self.me))
            self._ready.add(inst.id)
            log.info("%s loaded on first use: %d documents in %.2f s", inst.name, count,
                     time.perf_counter() - started)
            return inst
        except Exception as exc:
            log.exception("%s could not be loaded on first use", inst.name)
            self._release(inst, f"{type(exc).__name__}: {exc}"[:500])
            raise InstanceNotReady(_failed(inst.name), retry_after=5) from None
        finally:
            busy.discard(inst.id)
            self._done(inst.id)

    def _release(self, inst: Instance, error: str) -> None:
        """Back to pending and empty, with why (a failure must not leave half a cloud)."""
        try:
            self.sb.instances.clear(inst)
        except Exception:
            log.exception("%s: emptying it after a failed load failed too", inst.name)
        with self.sb.db.write() as conn:
            conn.execute(sa.update(pending_instances).where(
                pending_instances.c.instance_id == inst.id,
                pending_instances.c.claimed_by == self.me,
            ).values(state=PENDING, claimed_by=None, claimed_at=None, error=error))


def _failed(name: str) -> str:
    return (f"the data of the personal cloud {name} could not be prepared; try again in a "
            "moment, or ask the organisers (the sandbox's log says why)")
