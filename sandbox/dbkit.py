"""Database building blocks shared by the sandbox's and the store's own tables: one engine
set-up (SQLite in WAL with explicit write locks, or PostgreSQL) and read and write
transactions. Each package keeps its own tables; this module holds none."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event


class Database:
    """Connections for reads and for writes.

    On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock at
    once instead of failing half-way), reads with a plain ``BEGIN`` so they never wait for a
    writer (WAL).
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
        if self.is_sqlite:
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
        with self.engine.connect() as conn:
            conn.info["write"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info["write"] = False

    def dispose(self) -> None:
        self.engine.dispose()
