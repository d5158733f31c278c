"""Cache epochs: how a server process learns that what it caches was changed by another one.

Each process on a database keeps a few caches (token checks, instances by name, the indexes
of a doctype) that spare the hot path a query. A process that changes what one of them holds
clears its own at once and bumps a counter in ``cache_epochs`` — in the changing transaction
when it has one, so the bump is seen together with the change. A thread in every serving
process reads the counters every ``every_s`` seconds (one small query) and clears the caches
whose counter moved. So a change made through any process is seen by all within ``every_s``
plus a query: that is the bound documented in docs/workers.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sandbox.storage.database import Database
from sandbox.storage.tables import cache_epochs

log = logging.getLogger(__name__)

AUTH, INSTANCES, INDEXES = "auth", "instances", "indexes"
EVERY_S = 0.25


class Epochs:
    def __init__(self, db: Database, every_s: float = EVERY_S):
        self.db = db
        self.every_s = every_s
        self._seen: dict[str, int] | None = None
        self._callbacks: dict[str, list[Callable[[], None]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on(self, name: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` (in the watching thread) when another process bumps ``name``."""
        self._callbacks.setdefault(name, []).append(callback)

    def bump(self, name: str, conn: sa.Connection | None = None) -> None:
        """Say that what ``name`` caches changed: in ``conn``'s write transaction, or in one
        of its own."""
        if conn is None:
            if self.db.writing_here():  # SQLite, inside a write: its caller bumps in it
                return None
            with self.db.write() as own:
                return self.bump(name, own)
        make = sqlite.insert if self.db.is_sqlite else postgresql.insert
        stmt = make(cache_epochs).values(name=name, value=1)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"],
                                                set_={"value": cache_epochs.c.value + 1}))

    def read(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {r[0]: r[1] for r in conn.execute(sa.select(cache_epochs))}

    def check(self) -> list[str]:
        """Read the counters and run the callbacks of those that moved; their names."""
        now = self.read()
        before, self._seen = self._seen, now
        if before is None:
            return []
        moved = [n for n, v in now.items() if before.get(n) != v]
        for name in moved:
            for callback in self._callbacks.get(name, ()):
                try:
                    callback()
                except Exception:
                    log.exception("cache epoch callback failed")
        return moved

    def start(self) -> None:
        """Watch in a thread (a serving process; one-shot commands need not)."""
        if self._thread is not None:
            return
        self.check()
        self._thread = threading.Thread(target=self._run, name="cache-epochs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.check()
            except Exception:  # the database went away (shutdown): try again later
                log.debug("cache epochs unreadable", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
