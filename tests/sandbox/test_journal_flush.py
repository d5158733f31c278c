"""The journal is written in batches by a background thread; a reader never misses rows that
thread is writing at that moment."""

from __future__ import annotations

import contextlib
import threading

from sandbox.journal import Journal
from sandbox.storage.database import Database


def test_a_reader_waits_for_the_rows_being_written(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'j.db'}")
    db.create_all()
    journal = Journal(db, flush_every=3600)  # the background thread stays idle
    entered, release = threading.Event(), threading.Event()
    real_write = db.write

    @contextlib.contextmanager
    def slow_write():
        with real_write() as conn:
            entered.set()
            release.wait()
            yield conn

    db.write = slow_write  # type: ignore[method-assign]
    try:
        journal.record(1, "app", "app", "test.notes", "GET", "data.get", 1)
        writer = threading.Thread(target=journal.flush)  # as the background thread would
        writer.start()
        assert entered.wait(10)
        seen: list = []
        reader = threading.Thread(target=lambda: seen.append(journal.entries(1)))
        reader.start()
        reader.join(0.5)  # it must still be waiting: the rows are not committed yet
        waited = reader.is_alive()
        release.set()
        writer.join(10)
        reader.join(10)
    finally:
        release.set()
        db.write = real_write  # type: ignore[method-assign]
        journal.close()
    assert waited and [e.route for e in seen[0]] == ["data.get"]
