"""kill -9 of a real server process during live delivery, then a restart: every planned
delivery is made once, none lost, none twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import orjson
import pytest

from sandbox.live.clock import EVENT
from sandbox.live.plan import CREATE, ERROR, UPDATE, schedule
from sandbox.live.sources import cadences
from sandbox.service import Sandbox
from sandbox.settings import Settings
from tests.sandbox.live.households import EVERY_SOURCE, at, household_docs
from tests.support.served import listening_socket

pytestmark = pytest.mark.slow
START = at(date(2024, 2, 15))
END = at(date(2024, 4, 12))   # past every delivery of the three months, faults included
SELFDATA = Path(sys.executable).with_name("selfdata")


def _pending(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM live_pending").fetchone()[0]


def _serve(db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SELFDATA_DATABASE_URL": f"sqlite:///{db}",
           "SELFDATA_LIVE_TICK_S": "0.05", "SELFDATA_LIVE_MAX_ROWS": "300",
           "SELFDATA_FILES_DIR": str(db.parent / "files")}
    return subprocess.Popen([str(SELFDATA), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(predicate, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)   # polling the database: the server process gives no other signal


def test_kill_9_during_live_delivery_then_restart_loses_and_duplicates_nothing(tmp_path):
    db = tmp_path / "live.db"
    settings = Settings(database_url=f"sqlite:///{db}", files_dir=str(tmp_path / "files"),
                        live_engine=False)
    sb = Sandbox(settings)
    inst = sb.instances.create("lea")
    sb.live.schedule(inst, household_docs(EVERY_SOURCE), START, "realistic", 11)
    total = sb.live.deliveries.pending(inst.id)
    # the rest of the three months in about twelve seconds of wall time
    sb.live.clocks.set(EVENT, at=START, speed=(END - START) / 12, paused=False)
    sb.close()
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    server = _serve(db, port)
    try:
        _wait(lambda: _pending(db) < total - 500, "the first deliveries")
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        left = _pending(db)
        assert 0 < left < total, "killed during delivery, with deliveries still to come"
        server = _serve(db, port)
        _wait(lambda: _pending(db) == 0, "the last deliveries after the restart")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    plan = schedule("lea", household_docs(EVERY_SOURCE), START, cadences(), "realistic", 11)
    sb = Sandbox(Settings(database_url=f"sqlite:///{db}", files_dir=str(tmp_path / "files"),
                          live_engine=False))
    try:
        with sb.db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        final = {d.doc_id: d for d in plan.pending if d.op in (CREATE, UPDATE)}
        updates = Counter(d.doc_id for d in plan.pending if d.op == UPDATE)
        for doc_id, d in final.items():
            stored = sb.documents.get_dict(inst.id, d.doctype, doc_id)
            assert stored is not None, f"lost: {d.doctype} {doc_id}"
            # one revision per planned write: a delivery made twice would add one
            assert stored["_rev"].startswith(f"{1 + updates[doc_id]}-"), doc_id
            assert {k: v for k, v in stored.items() if k != "_rev"} == d.body
        runs = {(d.source, d.due) for d in plan.pending}
        jobs = sb.documents.all_docs(inst.id, "io.cozy.jobs", design=False)["total_rows"]
        assert jobs == len(runs)
        errored = {(d.source, d.due) for d in plan.pending if d.op == ERROR}
        feed = sb.documents.changes(inst.id, "io.cozy.jobs", since=None, limit=None,
                                    include_docs=True)["results"]
        states = Counter(orjson.loads(orjson.dumps(r["doc"]))["state"] for r in feed)
        assert states["errored"] == len(errored - {(d.source, d.due) for d in plan.pending
                                                   if d.op != ERROR})
    finally:
        sb.close()
