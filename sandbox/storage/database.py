"""The sandbox's database: the shared engine set-up, its tables, the SQL dialect of its
document queries, and raw reads for the hot path."""

from __future__ import annotations

import logging
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
        with super().write() as conn:
            conn.info["after_commit"] = done
            try:
                yield conn
            finally:
                conn.info.pop("after_commit", None)
        for callback in done:
            try:
                callback()
            except Exception:  # the write is committed: its caller must hear it succeeded
                log.exception("after-commit callback failed")

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
