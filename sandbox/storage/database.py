"""The sandbox's database: the shared engine set-up, its tables, the SQL dialect of its
document queries, and raw reads for the hot path."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from sandbox import dbkit
from sandbox.storage.dialect import Dialect, for_engine
from sandbox.storage.tables import metadata

log = logging.getLogger(__name__)


def after_commit(conn: sa.Connection) -> list[Callable[[], None]] | None:
    """The callbacks to run once ``conn``'s write transaction is committed (None outside
    one)."""
    return conn.info.get("after_commit")


def before_commit(conn: sa.Connection) -> list[Callable[[], None]] | None:
    """The callbacks to run last inside ``conn``'s write transaction, once its body has
    succeeded (None outside one): what must commit with it, written as late as possible."""
    return conn.info.get("before_commit")


def tx_state(conn: sa.Connection) -> dict | None:
    """A dict that lives as long as ``conn``'s write transaction (None outside one), for what
    its writers work out once per transaction."""
    return conn.info.get("tx")


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


class Database(dbkit.Database):
    def __init__(self, url: str, *, echo: bool = False, tables: sa.MetaData = metadata):
        super().__init__(url, tables, echo=echo)
        self.dialect: Dialect = for_engine(self.engine)
        self.ph = "?" if self.is_sqlite else "%s"  # DBAPI placeholder for hand-written SQL

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction. What its writers leave in ``conn.info["after_commit"]`` (see
        :func:`after_commit`) runs once it is committed, in order, and not at all if it is
        rolled back: the documents store publishes its write events that way."""
        done: list[Callable[[], None]] = []
        last: list[Callable[[], None]] = []
        with super().write() as conn:
            conn.info.update(after_commit=done, before_commit=last, tx={})
            try:
                yield conn
                for callback in last:
                    callback()
            finally:
                for key in ("after_commit", "before_commit", "tx"):
                    conn.info.pop(key, None)
        for callback in done:
            try:
                callback()
            except Exception:  # the write is committed: its caller must hear it succeeded
                log.exception("after-commit callback failed")

    def writing_here(self) -> bool:
        """Whether this thread is inside a write transaction (SQLite: another one would wait
        for itself)."""
        writers = self._writers
        return isinstance(writers, dbkit.FairLock) and writers._owner == threading.get_ident()

    def serialise(self, conn: sa.Connection, key: str) -> None:
        """Make the write transactions that call this with ``key`` run one after the other,
        across every process on the database, until ``conn``'s transaction ends. SQLite
        already runs every write transaction alone (``BEGIN IMMEDIATE``); PostgreSQL takes a
        transaction-scoped advisory lock."""
        if not self.is_sqlite:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))

    @contextmanager
    def startup(self) -> Iterator[None]:
        """Hold off the other processes starting on the same database while this one creates
        or upgrades its tables (several workers start at once)."""
        if self.is_sqlite:
            path = self.url.removeprefix("sqlite:///").split("?", 1)[0]
            if not path or path == ":memory:":
                yield
                return
            with open(f"{path}.startup-lock", "a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(hashtext('selfdata-startup'))")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(hashtext('selfdata-startup'))")
                conn.commit()

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
