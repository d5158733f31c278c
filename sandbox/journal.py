"""The access journal: every read and write by an app or client, per instance.

Entries are buffered and written in batches by a background thread (at most ``flush_every``
seconds late), so that a read request never waits for a write transaction; reading the journal
flushes first, and closing flushes what is left.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from sandbox.storage.database import Database
from sandbox.storage.tables import journal


@dataclass(frozen=True)
class Entry:
    instance_id: int
    client: str
    client_kind: str   # app, oauth, cli
    doctype: str
    verb: str
    route: str
    count: int
    at: float


class Journal:
    def __init__(self, db: Database, flush_every: float = 0.5, max_buffer: int = 2000):
        self.db = db
        self.flush_every = flush_every
        self.max_buffer = max_buffer
        self._buf: list[dict] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-flush", daemon=True)
        self._thread.start()

    def record(self, instance_id: int, client: str, client_kind: str, doctype: str, verb: str,
               route: str, count: int) -> None:
        row = {"instance_id": instance_id, "client": client, "client_kind": client_kind,
               "doctype": doctype, "verb": verb, "route": route, "count": int(count),
               "at": time.time()}
        with self._lock:
            self._buf.append(row)
            full = len(self._buf) >= self.max_buffer
        if full:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_every)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the database went away (shutdown); keep the rows for close()
                time.sleep(self.flush_every)

    def flush(self) -> None:
        """Write what is buffered. Flushes run one at a time, so a reader's flush also waits
        for the rows the background thread is writing at that moment (it used to return at
        once with an empty buffer and read the journal without them)."""
        with self._flushing:
            with self._lock:
                rows, self._buf = self._buf, []
            if rows:
                try:
                    with self.db.write() as conn:
                        conn.execute(sa.insert(journal), rows)
                except Exception:
                    with self._lock:
                        self._buf[:0] = rows
                    raise

    def delete_instance(self, conn, instance_id: int) -> None:
        """Part of deleting an instance (in its transaction): its rows, written or not."""
        with self._lock:
            self._buf = [r for r in self._buf if r["instance_id"] != instance_id]
        conn.execute(sa.delete(journal).where(journal.c.instance_id == instance_id))

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()

    def entries(self, instance_id: int, *, limit: int = 500, client: str | None = None,
                doctype: str | None = None) -> list[Entry]:
        self.flush()
        q = sa.select(journal).where(journal.c.instance_id == instance_id)
        if client:
            q = q.where(journal.c.client == client)
        if doctype:
            q = q.where(journal.c.doctype == doctype)
        q = q.order_by(journal.c.id.desc()).limit(limit)
        with self.db.read() as conn:
            return [Entry(r.instance_id, r.client, r.client_kind, r.doctype, r.verb, r.route,
                          r.count, r.at) for r in conn.execute(q)]

    def summary(self, instance_id: int) -> list[dict]:
        """Per client and doctype: reads, writes, documents, first and last access."""
        self.flush()
        j = journal.c
        reading = j.verb.in_(["GET", "HEAD"])
        writing = j.verb.not_in(["GET", "HEAD", "DENIED"])
        denied = j.verb == "DENIED"
        q = (sa.select(j.client, j.client_kind, j.doctype,
                       sa.func.sum(sa.case((reading, 1), else_=0)).label("reads"),
                       sa.func.sum(sa.case((writing, 1), else_=0)).label("writes"),
                       sa.func.sum(sa.case((denied, 1), else_=0)).label("denied"),
                       sa.func.sum(sa.case((reading, j.count), else_=0)).label("docs_read"),
                       sa.func.sum(sa.case((writing, j.count), else_=0)).label("docs_written"),
                       sa.func.min(j.at).label("first"), sa.func.max(j.at).label("last"))
             .where(j.instance_id == instance_id)
             .group_by(j.client, j.client_kind, j.doctype).order_by(j.client, j.doctype))
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]
