"""Scratch sandboxes: the sandbox's public Python API for running an app against throwaway
data (the store's smoke runs, and later its scoring runs).

A scratch sandbox has its own SQLite file and is served on no port: each container reaches it
through its own socket and the gate (its own instance's data API only). It loads one synthetic
household once, as a template; each run gets a copy made inside the database (fast), with the
app installed with exactly its manifest's permissions, and is dropped afterwards.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from sandbox.apps.records import SMOKE
from sandbox.contract import addresses
from sandbox.contract.manifest import Manifest
from sandbox.live.sources import data_day
from sandbox.settings import Settings
from sandbox.web.app import create_app
from sandbox.web.app_gate import ApiGate
from synthetic_data.calendar_fr import Period
from synthetic_data.population import generate_household
from synthetic_data.sources.ground_truth import GROUND_TRUTH

TEMPLATE = "scratch-template"
PORT = 8080                     # as the app sees its cloud through the shim
LOAD_BATCH = 5000
PARIS = ZoneInfo("Europe/Paris")


class ScratchSandbox:
    def __init__(self, data_dir: Path, seed: int, year: int = 2017):
        self.data_dir = data_dir
        self.seed = seed
        self.period = Period.of_years(date(year, 1, 1), 1)
        self._lock = threading.Lock()
        self._started = False
        self._has_template = False
        self._counter = itertools.count(1)

    def start(self) -> None:
        """Create the database (once)."""
        with self._lock:
            if self._started:
                return
            self.data_dir.mkdir(parents=True, exist_ok=True)
            db = self.data_dir / "scratch-sandbox.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            self.app = create_app(Settings(database_url=f"sqlite:///{db}", port=PORT))
            self.sandbox = self.app.state.sandbox
            self._started = True

    def _template(self) -> None:
        """Load the smoke runs' template household (once, on the first smoke run: a scratch
        sandbox that only scores challenges never needs it)."""
        self.start()
        with self._lock:
            if self._has_template:
                return
            data = generate_household(self.seed, 0, self.period)
            template = self.sandbox.instances.create(TEMPLATE, profile={"scratch": True})
            for b in data.batches:
                if b.doctype == GROUND_TRUTH:
                    continue
                docs = b.dicts()
                for i in range(0, len(docs), LOAD_BATCH):
                    self.sandbox.documents.load(template.id, b.doctype, docs[i:i + LOAD_BATCH])
            self._has_template = True

    def new_instance(self, manifest: Manifest) -> tuple[str, str]:
        """A fresh instance with the household and the app installed; (name, app token)."""
        self._template()
        sb = self.sandbox
        name = f"scratch{next(self._counter)}x{int(time.time() * 1000) % 10**8}"
        inst = sb.instances.clone(TEMPLATE, name)
        sb.installs.install(inst, manifest, SMOKE)
        return name, sb.app_token(name, manifest.slug)

    def new_household(self, manifest: Manifest, batches: Iterable[tuple[str, list[dict]]],
                      until: date | None = None) -> tuple[str, str]:
        """A fresh instance loaded with one household's documents (a challenge's scoring
        household) and the app installed; (name, app token). Ground truth is never loaded, and
        with ``until`` nothing about that day or later is either (a forecast's held-out
        month): documents about no day (contracts, identity) are kept."""
        self.start()
        sb = self.sandbox
        name = f"score{next(self._counter)}x{int(time.time() * 1000) % 10**8}"
        inst = sb.instances.create(name, profile={"scratch": True})
        for doctype, docs in batches:
            if doctype == GROUND_TRUTH:
                continue
            if until is not None:
                docs = [d for d in docs if (data_day(doctype, d, PARIS) or date.min) < until]
            for i in range(0, len(docs), LOAD_BATCH):
                sb.documents.load(inst.id, doctype, docs[i:i + LOAD_BATCH])
        sb.installs.install(inst, manifest, SMOKE)
        return name, sb.app_token(name, manifest.slug)

    def documents(self, name: str, doctype: str, limit: int = 10_000) -> list[dict]:
        """Up to ``limit`` documents the app wrote in ``doctype`` (none when it wrote none),
        design documents left out: what a scoring run reads back."""
        sb = self.sandbox
        inst = sb.instances.get(name)
        if doctype not in sb.documents.doctypes(inst.id):
            return []
        rows = sb.documents.all_docs(inst.id, doctype, include_docs=True, limit=limit,
                                     design=False)["rows"]
        return [orjson.loads(orjson.dumps(r["doc"])) for r in rows if r.get("doc")]

    def host(self, name: str) -> str:
        """The instance's address as its app sees it (``COZY_DOMAIN``)."""
        return addresses.instance_host(name, PORT)

    def gate(self, name: str) -> ApiGate:
        """The ASGI app a container of ``name`` reaches on its ``api.sock``."""
        return ApiGate(self.app, self.host(name))

    def usage(self, name: str) -> list[dict]:
        """Every client's reads, writes and refusals in the instance (grouped, not sampled)."""
        return self.sandbox.journal.summary(self.sandbox.instances.get(name).id)

    def drop(self, name: str) -> None:
        self.sandbox.instances.delete(name)

    def stop(self) -> None:
        if self._started:
            self.app.state.apps.close()
            self.sandbox.close()
