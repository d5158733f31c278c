"""Database building blocks shared by the sandbox's and the store's own tables: one engine
set-up (SQLite in WAL with explicit write locks, or PostgreSQL) and read and write
transactions. Each package keeps its own tables; this module holds none."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event


class FairLock:
    """A lock taken in the order it was asked for. SQLite lets one writer in at a time and
    its busy handler wakes waiters by polling, so a thread that writes in a tight loop can
    starve the others for seconds; queuing the writers of the process first gives each one
    its turn."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0      # the next ticket to hand out
        self._serving = 0   # the ticket that may go
        self._owner: int | None = None

    def __enter__(self) -> FairLock:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:  # it would wait for itself forever
                raise RuntimeError("a write transaction inside another one on the same thread")
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()
            self._owner = me
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._owner = None
            self._serving += 1
            self._cond.notify_all()


class Database:
    """Connections for reads and for writes.

    On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock at
    once instead of failing half-way), after the process's writers ahead of it (a
    :class:`FairLock`); reads use a plain ``BEGIN`` so they never wait for a writer (WAL).
    """

    def __init__(self, url: str, tables: sa.MetaData, *, echo: bool = False):
        self.url = url
        self.metadata = tables
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            kwargs["pool_size"] = 32
            kwargs["max_overflow"] = 32
        else:
            kwargs["pool_size"] = 20
            kwargs["max_overflow"] = 20
        self.engine = sa.create_engine(url, **kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writers: FairLock | contextlib.nullcontext = contextlib.nullcontext()
        if self.is_sqlite:
            self._writers = FairLock()
            self._setup_sqlite()

    def _setup_sqlite(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA mmap_size=268435456")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

    def create_all(self) -> None:
        with self.write() as conn:
            self.metadata.create_all(conn)

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            conn.info["write"] = False
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        with self._writers, self.engine.connect() as conn:
            conn.info["write"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info["write"] = False

    def dispose(self) -> None:
        self.engine.dispose()
