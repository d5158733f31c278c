"""SQL index builds, off the request path and spaced out, so that no tester's ``_index`` holds
up the others' writes for long.

SQLite has one writer: a ``CREATE INDEX`` scans the whole documents table while holding the
write lock, and a tenant asking for index after index would keep everyone else's writes waiting.
So ``_index`` only records the definition (the index is usable at once: queries are correct
without the SQL index, only slower), and one background thread builds the SQL indexes one at
a time, resting after each build so that builds hold the lock at most ``share`` of the time.
On PostgreSQL the build is ``CREATE INDEX CONCURRENTLY``, which takes no write lock.
Definitions whose SQL index is missing (a restart before the build) are queued again at start.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from sandbox.storage.database import Database

log = logging.getLogger("selfdata.sandbox")


@dataclass(frozen=True)
class Build:
    sql_name: str
    sql: str


class IndexBuilder:
    def __init__(self, db: Database, share: float = 0.2):
        self.db = db
        self.share = share
        self._queue: queue.Queue[Build | None] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-builder", daemon=True)
        self._thread.start()

    def existing(self) -> set[str]:
        with self.db.read() as conn:
            return {r[0] for r in conn.exec_driver_sql(self.db.dialect.index_names_sql())}

    def request(self, sql_name: str, sql: str) -> None:
        """Build ``sql`` (a CREATE INDEX IF NOT EXISTS) once, soon."""
        with self._lock:
            if sql_name in self._pending:
                return
            self._pending.add(sql_name)
            self._idle.clear()
        self._queue.put(Build(sql_name, sql))

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every requested build is done (tests, benchmarks, shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            build = self._queue.get()
            if build is None:
                return
            took = self._build(build)
            with self._lock:
                self._pending.discard(build.sql_name)
                if not self._pending:
                    self._idle.set()
            # rest so that builds take at most `share` of the time
            if self._stop.wait(took * (1 / self.share - 1)):
                return

    def _build(self, build: Build) -> float:
        started = time.monotonic()
        try:
            if self.db.is_sqlite:
                with self.db.write() as conn:
                    conn.exec_driver_sql(build.sql)
            else:
                with self.db.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                        build.sql)
        except Exception:  # a failed build leaves queries correct, only slower
            log.exception("building index %s", build.sql_name)
        return time.monotonic() - started

    def close(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._thread.join(10)
