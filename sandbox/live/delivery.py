"""Delivering what is due: pending rows become documents, konnector runs become jobs.

A tick takes the rows whose time has come (by each instance's clock) and, in one write
transaction per group of runs, writes their documents through the documents store (so
``_changes``, realtime listeners and the journal see them as any write), records each run as
an ``io.cozy.jobs`` document and its trigger's state, and deletes the rows. A crash before the
commit leaves the rows pending; after it, they are gone: every delivery happens exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa

from sandbox.journal import Journal
from sandbox.live.clock import EVENT, Clocks
from sandbox.live.plan import CREATE, ERROR, UPDATE
from sandbox.live.sources import Cadences, Source
from sandbox.storage.documents import DocumentStore, prepare
from sandbox.storage.tables import documents, live_pending

log = logging.getLogger(__name__)
JOBS, TRIGGERS = "io.cozy.jobs", "io.cozy.triggers"
P = live_pending.c
CHUNK = 5_000   # ids in one IN list
D = documents.c


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def trigger_id(source: str) -> str:
    return f"konnector-{source}"


def trigger_doc(src: Source) -> dict:
    """The scheduled konnector, as the stack keeps a ``@cron`` trigger."""
    return {"_id": trigger_id(src.name), "type": "@cron", "worker": "konnector",
            "arguments": f"0 0 {src.hour} * * *", "domain": "",
            "message": {"konnector": src.konnector, "account": f"{src.konnector}-account"},
            "options": None, "current_state": {"trigger_id": trigger_id(src.name),
                                               "status": "", "last_error": ""}}


@dataclass
class TickReport:
    runs: int = 0
    documents: int = 0
    lags: list[float] = field(default_factory=list)   # simulated seconds behind the clock


class Deliveries:
    def __init__(self, documents: DocumentStore, clocks: Clocks, journal: Journal,
                 cadences: Cadences, max_rows: int = 20_000):
        self.documents = documents
        self.db = documents.db
        self.clocks = clocks
        self.journal = journal
        self.cadences = cadences
        self.max_rows = max_rows
        self.lags: deque[float] = deque(maxlen=100_000)  # recent runs' lag (simulated s)

    def pending(self, instance_id: int | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(live_pending)
        if instance_id is not None:
            q = q.where(P.instance_id == instance_id)
        with self.db.read() as conn:
            return conn.execute(q).scalar() or 0

    def next_due(self, instance_id: int) -> float | None:
        with self.db.read() as conn:
            return conn.execute(sa.select(sa.func.min(P.due)).where(
                P.instance_id == instance_id)).scalar()

    def tick(self) -> TickReport:
        """Deliver everything due now (by every clock), in chunks of ``max_rows`` rows."""
        report = TickReport()
        clocks = self.clocks.all()
        if not clocks:
            return report
        wall = self.clocks.wall()
        own = [i for i in clocks if i != EVENT]
        scopes: list[tuple[float, sa.ColumnElement[bool]]] = []
        if EVENT in clocks:
            scopes.append((clocks[EVENT].now(wall), P.instance_id.not_in(own) if own
                           else sa.true()))
        scopes += [(clocks[i].now(wall), P.instance_id == i) for i in own]
        for now, where in scopes:
            while self._deliver_chunk(now, where, report):
                pass
        return report

    def _deliver_chunk(self, now: float, where, report: TickReport) -> bool:
        """One transaction; True when more may be due.

        Creates stored ready to insert (all but rows written by an earlier version) are
        copied into the documents inside the database, in delivery order, a few statements
        for the whole chunk, without going through Python; then the few updates and older
        rows, one run at a time; then every run's job in one statement and the triggers'
        states in a few."""
        cols = (P.id, P.instance_id, P.due, P.source, P.op, P.doctype, P.rev.is_(None))
        q = sa.select(*cols).where(where, P.due <= now).order_by(P.due, P.id)
        with self.db.write() as conn:
            # every server process ticks: a row is taken by one of them only
            self.db.serialise(conn, "selfdata-live-delivery")
            rows = conn.execute(q.limit(self.max_rows)).all()
            if not rows:
                return False
            more = len(rows) == self.max_rows
            if more:   # never split a run: leave the last one whole for the next chunk
                last = (rows[-1][1], rows[-1][3], rows[-1][2])
                kept = [r for r in rows if (r[1], r[3], r[2]) != last]
                rows = kept or conn.execute(q.where(
                    P.instance_id == last[0], P.source == last[1], P.due == last[2])).all()
            # by position: (id, instance, due, source, op, doctype, not ready)
            runs: dict[tuple[int, str, float], list] = defaultdict(list)
            ready, dbs, slow = [], set(), []
            for r in rows:
                runs[(r[1], r[3], r[2])].append(r)
                if r[4] == CREATE and not r[6]:
                    ready.append(r[0])
                    dbs.add((r[1], r[5]))
                else:
                    slow.append(r[0])
            self.documents.ensure_dbs(conn, dbs | {(i, JOBS) for i, _, _ in runs}
                                      | {(i, TRIGGERS) for i, _, _ in runs})
            instances = {i for i, _ in dbs}
            body = self.documents.body_from_text(P.body)
            for n in range(0, len(ready), CHUNK):
                self.documents.insert_from(conn, sa.select(
                    P.instance_id, P.doctype, P.doc_id, P.rev, sa.false(), body).where(
                    P.id.in_(ready[n:n + CHUNK])).order_by(P.due, P.id), instances)
            bodies = {}
            for n in range(0, len(slow), CHUNK):
                bodies.update(conn.execute(sa.select(P.id, P.body).where(
                    P.id.in_(slow[n:n + CHUNK]))).all())
            written: list[tuple[int, str, str, int]] = []
            jobs, triggers = [], defaultdict(list)
            for (instance_id, source, due), items in runs.items():
                done, job, state = self._run(conn, instance_id, source, due, items, bodies,
                                             now)
                written += done
                jobs.append((instance_id, JOBS, *prepare(job)))
                triggers[(instance_id, source)].append(state)
                report.runs += 1
                report.lags.append(max(0.0, now - due))
            self.documents.insert_prepared(conn, jobs)
            self._trigger_states(conn, triggers)
            ids = [r[0] for r in rows]
            for n in range(0, len(ids), CHUNK):
                conn.execute(sa.delete(live_pending).where(P.id.in_(ids[n:n + CHUNK])))
        for instance_id, konnector, doctype, n in written:
            self.journal.record(instance_id, konnector, "konnector", doctype, "POST", "live", n)
            report.documents += n
        self.lags.extend(report.lags[-len(runs):])
        return more

    def _run(self, conn, instance_id: int, source: str, due: float, items: list,
             bodies: dict[int, str], now: float) -> tuple[list[tuple[int, str, str, int]],
                                                          dict, tuple]:
        """One konnector run: what it wrote (its ready creates are already inserted), the
        rest of its documents, its job, and its trigger's new state (source, job id, due,
        error)."""
        src = self.cadences.sources.get(source)
        konnector = src.konnector if src else source
        creates: dict[str, list[dict]] = defaultdict(list)
        counted: dict[str, int] = defaultdict(int)
        updates, errors = [], []
        for r in items:   # (id, instance, due, source, op, doctype, not ready)
            op, doctype = r[4], r[5]
            if op == CREATE and not r[6]:
                counted[doctype] += 1
            elif op == CREATE:
                creates[doctype].append(orjson.loads(bodies[r[0]]))
            elif op == UPDATE:
                updates.append((doctype, orjson.loads(bodies[r[0]])))
            elif op == ERROR:
                errors.append(orjson.loads(bodies[r[0]]).get("error", "UNKNOWN_ERROR"))
        for doctype, docs in creates.items():
            counted[doctype] += self.documents.load_in(conn, instance_id, doctype, docs)
        written = [(instance_id, konnector, doctype, n) for doctype, n in counted.items()]
        changed: dict[str, int] = defaultdict(int)
        for doctype, doc in updates:
            self.documents.update_in(conn, instance_id, doctype, doc)
            changed[doctype] += 1
        written += [(instance_id, konnector, d, n) for d, n in changed.items()]
        error = errors[0] if errors and not written else ""
        job_id = hashlib.sha256(f"{instance_id}/{source}/{due}".encode()).hexdigest()[:32]
        state = "errored" if error else "done"
        job = {"_id": job_id, "worker": "konnector", "trigger_id": trigger_id(source),
               "state": state, "queued_at": iso(due), "started_at": iso(due),
               "finished_at": iso(due + 60),
               "message": {"konnector": konnector, "account": f"{konnector}-account"},
               "error": error, "delivered": {d: n for _, _, d, n in written},
               "lag_s": round(max(0.0, now - due), 1)}
        return written, job, (src, job_id, due, error)

    def _trigger_states(self, conn, states: dict[tuple[int, str], list[tuple]]) -> None:
        """Each trigger's state after its runs of the chunk (in order), in one batch."""
        if not states:
            return
        keys = sorted(states)
        stored: dict[tuple[int, str], dict] = {}
        ids = sorted({i for i, _ in keys})
        names = sorted({trigger_id(s) for _, s in keys})
        for n in range(0, len(ids), 5000):
            q = sa.select(D.instance_id, D.doc_id, self.documents.d.body_text()).where(
                D.instance_id.in_(ids[n:n + 5000]), D.doctype == TRIGGERS,
                D.doc_id.in_(names), D.deleted.is_(False))
            stored.update({(r[0], r[1]): orjson.loads(r[2]) for r in conn.execute(q)})
        out = []
        for instance_id, source in keys:
            runs = states[(instance_id, source)]
            src = runs[0][0]
            doc = stored.get((instance_id, trigger_id(source))) or (
                trigger_doc(src) if src else None)
            if doc is None:
                continue
            state = dict(doc.get("current_state") or {})
            for _, job_id, due, error in runs:
                state.update({"trigger_id": trigger_id(source),
                              "status": "errored" if error else "done",
                              "last_execution": iso(due), "last_executed_job_id": job_id,
                              "last_error": error})
                state["last_failure" if error else "last_success"] = iso(due)
            doc["current_state"] = state
            out.append((instance_id, doc))
        self.documents.replace_in(conn, TRIGGERS, out)


class Engine:
    """The thread that ticks :class:`Deliveries` every ``every`` wall seconds."""

    def __init__(self, deliveries: Deliveries, every: float):
        self.deliveries = deliveries
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="live-delivery",
                                            daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.deliveries.tick()
            except Exception:  # the database went away (shutdown) or a bad row: retry later
                log.exception("live delivery tick failed")
            self.ticks += 1
            self._stop.wait(max(0.0, self.every - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
