"""Engine set-up: SQLite with WAL and explicit write locks, or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from sandbox.storage.dialect import Dialect, for_engine
from sandbox.storage.tables import metadata


class RawConnection:
    """The one method of ``sa.Connection`` the hot path uses, on a DBAPI cursor."""

    def __init__(self, cursor):
        self.cursor = cursor

    def exec_driver_sql(self, sql: str, params: tuple = ()) -> RawConnection:
        self.cursor.execute(sql, params)
        return self

    def first(self):
        return self.cursor.fetchone()

    def __iter__(self):
        return iter(self.cursor.fetchall())


class Database:
    """Connections for reads and for writes.

    On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock at
    once instead of failing half-way), reads with a plain ``BEGIN`` so they never wait for a
    writer (WAL).
    """

    def __init__(self, url: str, *, echo: bool = False, tables: sa.MetaData = metadata):
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
        self.dialect: Dialect = for_engine(self.engine)
        self.ph = "?" if self.is_sqlite else "%s"  # DBAPI placeholder for hand-written SQL
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
    def raw_read(self) -> Iterator[RawConnection]:
        """A pooled DBAPI connection in a read transaction, for the few hot statements that
        are written as plain SQL (SQLAlchemy's wrapping costs more than the query there)."""
        dbapi = self.engine.raw_connection()
        try:
            if not self.is_sqlite:  # one statement, no BEGIN/ROLLBACK round trips
                dbapi.driver_connection.autocommit = True
            if self.is_sqlite:  # documents go out as they are stored: no decode, no re-encode
                dbapi.driver_connection.text_factory = bytes
            cur = dbapi.cursor()
            if self.is_sqlite:
                cur.execute("BEGIN")
            try:
                yield RawConnection(cur)
            finally:
                if self.is_sqlite:
                    cur.execute("COMMIT")
                    dbapi.driver_connection.text_factory = str
                cur.close()
                if not self.is_sqlite:
                    dbapi.driver_connection.autocommit = False
        finally:
            dbapi.close()  # back to the pool

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
