"""Live time in one object: clocks, a household's schedule, deliveries, fault labels.

What the loader, the web layer, the dashboard and the command line call (no HTTP here). The
tables ``live_pending``, ``live_clocks`` and ``live_labels`` are written only from this package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.errors import NotFound
from sandbox.instances import Instance
from sandbox.journal import Journal
from sandbox.live.clock import EVENT, Clocks, ClockState
from sandbox.live.delivery import JOBS, TRIGGERS, Deliveries, Engine, iso, trigger_doc
from sandbox.live.plan import CREATE, schedule
from sandbox.live.sources import Cadences, cadences
from sandbox.storage.documents import DocumentStore, prepare
from sandbox.storage.tables import live_labels, live_pending

INSERT_CHUNK = 5_000


@dataclass(frozen=True)
class Scheduled:
    present: int     # documents written now
    pending: int     # deliveries to come
    faults: int
    held: frozenset[str] = frozenset()   # the Drive's files that come later, with their bill


class Live:
    def __init__(self, documents: DocumentStore, journal: Journal, *, tick_s: float = 0.5,
                 max_rows: int = 20_000, cad: Cadences | None = None):
        self.documents = documents
        self.db = documents.db
        self.cadences = cad or cadences()
        self.clocks = Clocks(self.db)
        self.deliveries = Deliveries(documents, self.clocks, journal, self.cadences, max_rows)
        self.engine = Engine(self.deliveries, tick_s)

    # ---- scheduling a household --------------------------------------------------------------

    def schedule(self, inst: Instance, docs: Iterable[tuple[str, list[dict]]], start: float,
                 profile: str = "clean", seed: int = 0,
                 files: Iterable[dict] = ()) -> Scheduled:
        """Write what is there before ``start``; keep the rest as pending deliveries, with
        the faults of ``profile`` and their labels; create the konnectors' triggers.

        ``files``: the Drive's documents (not written here: the files store loads them). The
        PDFs of bills to come are ``held``: the caller leaves their documents out, and each
        comes with its bill."""
        plan = schedule(inst.name, docs, start, self.cadences, profile, seed, files)
        present = [(inst.id, doctype, *prepare(doc))
                   for doctype, items in plan.present.items() for doc in items]
        rows = []   # creates stored ready to insert: serialised once, here
        for d in plan.pending:
            if d.op == CREATE:
                _, rev, body = prepare(d.body)
                rows.append((inst.id, d.due, d.source, d.op, d.doctype, d.doc_id, body, rev))
            else:
                rows.append((inst.id, d.due, d.source, d.op, d.doctype, d.doc_id,
                             orjson.dumps(d.body).decode(), None))
        ph = self.db.ph
        with self.db.write() as conn:   # one transaction: a household is scheduled or not
            self.documents.ensure_dbs(conn, {(inst.id, t) for t in plan.present}
                                      | {(inst.id, TRIGGERS), (inst.id, JOBS)})
            for i in range(0, len(present), INSERT_CHUNK):
                self.documents.insert_prepared(conn, present[i:i + INSERT_CHUNK])
            for i in range(0, len(rows), INSERT_CHUNK):
                conn.exec_driver_sql(
                    "INSERT INTO live_pending (instance_id, due, source, op, doctype, doc_id, "
                    f"body, rev) VALUES ({', '.join([ph] * 8)})", rows[i:i + INSERT_CHUNK])
            if plan.labels:
                conn.execute(sa.insert(live_labels), [
                    {"instance_id": inst.id, "body": orjson.dumps(lb).decode()}
                    for lb in plan.labels])
            self.documents.insert_prepared(conn, [(inst.id, TRIGGERS, *prepare(trigger_doc(s)))
                                                  for s in plan.sources])
        return Scheduled(len(present), len(rows), len(plan.labels), frozenset(plan.held))

    def delete_instance(self, conn, instance_id: int) -> None:
        """Part of deleting an instance (in its transaction)."""
        for table in (live_pending, live_labels):
            conn.execute(sa.delete(table).where(table.c.instance_id == instance_id))
        self.clocks.delete_instance(conn, instance_id)

    # ---- reading -----------------------------------------------------------------------------

    def labels(self, inst: Instance) -> list[dict]:
        """The delivery faults planned for the instance, as ground-truth events."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(live_labels.c.body).where(
                live_labels.c.instance_id == inst.id).order_by(live_labels.c.id))
            return [orjson.loads(r[0]) for r in rows]

    def status(self, inst: Instance | None = None) -> dict:
        """The clock an instance follows (or the event's) and what is still to come."""
        state = self.clocks.state(inst.id) if inst else self.clocks.all().get(EVENT)
        wall = self.clocks.wall()
        out: dict = {"live": state is not None}
        if state is not None:
            out.update(clock_json(state, wall))
        if inst is not None:
            out["own_clock"] = inst.id in self.clocks.all()
            out["pending"] = self.deliveries.pending(inst.id)
            nxt = self.deliveries.next_due(inst.id)
            out["next_delivery"] = iso(nxt) if nxt is not None else None
        else:
            out["pending"] = self.deliveries.pending()
        return out

    def recent_runs(self, inst: Instance, limit: int = 10) -> list[dict]:
        """The latest konnector runs, newest first."""
        try:
            feed = self.documents.changes(inst.id, JOBS, since=None, limit=limit,
                                          include_docs=True, descending=True)
        except NotFound:
            return []
        return [orjson.loads(orjson.dumps(r["doc"])) for r in feed["results"]
                if not r.get("deleted")]

    def now(self, inst: Instance) -> float | None:
        return self.clocks.now(inst.id)


def clock_json(state: ClockState, wall: float) -> dict:
    now = state.now(wall)
    return {"now": iso(now), "now_epoch": now, "speed": state.speed, "paused": state.paused}
