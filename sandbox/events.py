"""Write events of an instance's documents, for realtime listeners (the stack's realtime hub).

The documents store publishes ``CREATED``, ``UPDATED`` and ``DELETED`` once a write is
committed (``sandbox.storage.documents``); ``POST /realtime/:doctype/:id`` publishes
``NOTIFIED``. A listener opens a :class:`Subscription` on one instance and says which doctypes
and which documents it watches.

Two promises:
- nobody listening costs a writer one dict lookup (:meth:`EventBus.listening`): no event is
  built at all;
- a slow listener never blocks a writer: each subscription has a bounded queue, and the
  subscription that would go past it is closed (``overflowed``) and forgets its queue, so the
  writer moves on at once and memory stays bounded. Its owner tells the client and hangs up;
  cozy-realtime reconnects and subscribes again.

Publishing happens in the writer's thread; :class:`Subscription` is thread-safe, and its
``wake`` callback (e.g. ``loop.call_soon_threadsafe``) is called when its queue stops being
empty, not per event.

Several server processes on one database (:class:`Relay`): a socket is held by one process
and a write may be made by any. A process with sockets on an instance records it in
``realtime_listeners`` (before it handles the socket's next command, and refreshed every
``HEARTBEAT_S``); a write transaction looks there (one indexed query per instance per
transaction, only for instances nobody listens to in the writing process) and, when another
process listens, adds its events to ``realtime_events`` as it commits. Each process with
sockets polls that outbox every ``POLL_S`` for the events of others and hands them to its
subscriptions; rows older than ``KEEP_S`` are deleted. An outbox polled by id works the same
on SQLite and on PostgreSQL and behind any load balancer; for ids to be seen in commit order
the outbox's writers are serialised (SQLite writes one at a time anyway; PostgreSQL: an
advisory lock held from the outbox insert to the commit, taken only by transactions that
have events for another process). A write committed after a socket's SUBSCRIBE was handled
reaches it within ``POLL_S`` plus a query, whichever process made it. Polling rather than
PostgreSQL's LISTEN/NOTIFY: one mechanism for both engines, no payload size limit (a NOTIFY
carries 8 kB, a document may be larger), and a process without sockets costs nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.storage.database import Database, tx_state
from sandbox.storage.tables import realtime_events, realtime_listeners

CREATED, UPDATED, DELETED, NOTIFIED = "CREATED", "UPDATED", "DELETED", "NOTIFIED"
OVERFLOWED = "overflowed"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    instance_id: int
    doctype: str
    verb: str           # CREATED, UPDATED, DELETED or NOTIFIED
    doc_id: str
    body: bytes         # the document, as JSON

    def message(self) -> bytes:
        """The stack's websocket frame: ``{"event", "payload": {"type", "id", "doc"}}``."""
        return (b'{"event":"' + self.verb.encode() + b'","payload":{"type":'
                + orjson.dumps(self.doctype) + b',"id":' + orjson.dumps(self.doc_id)
                + b',"doc":' + self.body + b"}}")


class Subscription:
    """One listener on one instance: the doctypes and documents it watches, and its queue."""

    def __init__(self, bus: EventBus, instance_id: int, limit: int,
                 wake: Callable[[], None], owner: str = ""):
        self.bus = bus
        self.instance_id = instance_id
        self.owner = owner              # the app or client holding it
        self.limit = limit
        self._wake = wake
        self._types: set[str] = set()
        self._docs: set[tuple[str, str]] = set()
        self._queue: deque[Event] = deque()
        self._lock = threading.Lock()
        self.closed: str | None = None   # why: "overflowed", "closed"

    # ---- what it watches (called by the owner) -----------------------------------------------

    def subscribe(self, doctype: str, doc_id: str | None = None) -> None:
        with self._lock:
            if doc_id:
                self._docs = self._docs | {(doctype, doc_id)}
            else:
                self._types = self._types | {doctype}

    def unsubscribe(self, doctype: str, doc_id: str | None = None) -> None:
        with self._lock:
            if doc_id:
                self._docs = self._docs - {(doctype, doc_id)}
            else:
                self._types = self._types - {doctype}

    @property
    def size(self) -> int:
        """How many doctypes and documents it watches."""
        return len(self._types) + len(self._docs)

    def watches(self, doctype: str, doc_id: str) -> bool:
        # the sets are replaced, never changed in place: reading them needs no lock
        return doctype in self._types or (doctype, doc_id) in self._docs

    def watches_type(self, doctype: str) -> bool:
        return doctype in self._types or any(t == doctype for t, _ in self._docs)

    # ---- the queue ----------------------------------------------------------------------------

    def offer(self, events: Iterable[Event]) -> None:
        """Queue the events it watches (called by the bus, in the writer's thread)."""
        mine = [e for e in events if self.watches(e.doctype, e.doc_id)]
        if not mine:
            return
        with self._lock:
            if self.closed:
                return
            was_empty = not self._queue
            if len(self._queue) + len(mine) > self.limit:
                self.closed = OVERFLOWED
                self._queue.clear()
            else:
                self._queue.extend(mine)
                if not was_empty:
                    return
        if self.closed:
            self.bus.remove(self)
        self._wake()

    def drain(self) -> list[Event]:
        """Everything queued, oldest first."""
        with self._lock:
            out = list(self._queue)
            self._queue.clear()
            return out

    def close(self) -> None:
        with self._lock:
            self.closed = self.closed or "closed"
            self._queue.clear()
        self.bus.remove(self)


POLL_S = 0.05
HEARTBEAT_S = 5.0
STALE_S = 20.0      # a listener row not refreshed for this long is a process gone
KEEP_S = 60.0


class Relay:
    """Write events between the processes serving one database (see the module's text)."""

    def __init__(self, db: Database, poll_s: float = POLL_S):
        self.db = db
        self.poll_s = poll_s
        self.worker = f"{os.getpid()}-{secrets.token_hex(8)}"
        self.bus: EventBus | None = None
        self._since: dict[int, int] = {}   # instance → outbox id when it was registered
        self._registered_at: dict[int, float] = {}
        self._cursor = 0
        self._lock = threading.Lock()
        self._registering = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0

    # ---- writers ------------------------------------------------------------------------------

    def heard_elsewhere(self, conn: sa.Connection, instance_id: int) -> bool:
        """Whether another process listens to the instance (asked once per transaction)."""
        tx = tx_state(conn)
        known = tx.setdefault("heard", {}) if tx is not None else {}
        if instance_id not in known:
            ph = self.db.ph
            known[instance_id] = conn.exec_driver_sql(
                f"SELECT 1 FROM realtime_listeners WHERE instance_id = {ph} AND worker <> {ph} "
                f"AND seen > {ph} LIMIT 1",
                (instance_id, self.worker, time.time() - STALE_S)).first() is not None
        return known[instance_id]

    def write(self, conn: sa.Connection, events: list[Event]) -> None:
        """Add to the outbox the events another process listens for (last thing in the
        transaction, see :func:`sandbox.storage.database.before_commit`)."""
        tx = tx_state(conn) or {}
        heard = tx.get("heard", {})
        rows = [{"origin": self.worker, "instance_id": e.instance_id, "doctype": e.doctype,
                 "verb": e.verb, "doc_id": e.doc_id, "body": e.body.decode(), "at": time.time()}
                for e in events if heard.get(e.instance_id)]
        if rows:
            self.db.serialise(conn, "selfdata-realtime-outbox")
            conn.execute(sa.insert(realtime_events), rows)

    def announce(self, events: list[Event]) -> None:
        """Events of no write (``NOTIFIED``) for the other processes' listeners."""
        with self.db.write() as conn:
            for instance_id in {e.instance_id for e in events}:
                self.heard_elsewhere(conn, instance_id)
            self.write(conn, events)

    # ---- listeners ----------------------------------------------------------------------------

    def register(self, instance_id: int) -> None:
        """This process listens to the instance from now on: writes committed from here on,
        by any process, reach it."""
        if self._known(instance_id):
            return
        with self._registering:  # two sockets of one instance opening at once: one row
            if self._known(instance_id):
                return
            with self.db.write() as conn:
                self._upsert(conn, [instance_id])
                last = conn.execute(sa.select(sa.func.max(realtime_events.c.id))).scalar() or 0
            self._note_registered(instance_id, last)
        self._start()

    def _known(self, instance_id: int) -> bool:
        """Registered already (kept so by :meth:`beat` for another ``HEARTBEAT_S``)."""
        with self._lock:
            if instance_id in self._since:
                self._registered_at[instance_id] = time.monotonic()
                return True
        return False

    def _note_registered(self, instance_id: int, last: int) -> None:
        with self._lock:
            self._since.setdefault(instance_id, last)
            self._registered_at[instance_id] = time.monotonic()
            if len(self._since) == 1 or self._thread is None:
                self._cursor = max(self._cursor, min(self._since.values()))

    def _upsert(self, conn: sa.Connection, ids: list[int]) -> None:
        now = time.time()
        t = realtime_listeners.c
        conn.execute(sa.delete(realtime_listeners).where(t.worker == self.worker,
                                                         t.instance_id.in_(ids)))
        conn.execute(sa.insert(realtime_listeners), [
            {"instance_id": i, "worker": self.worker, "seen": now} for i in ids])

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="realtime-relay",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
                if time.monotonic() - self._last_beat > HEARTBEAT_S:
                    self.beat()
            except Exception:  # the database went away (shutdown): try again
                log.debug("realtime relay poll failed", exc_info=True)

    def poll(self) -> int:
        """Hand the other processes' new events to this process's subscriptions; how many."""
        bus = self.bus
        if bus is None or not self._since:
            return 0
        ph = self.db.ph
        with self.db.raw_read() as conn:
            rows = list(conn.exec_driver_sql(
                "SELECT id, instance_id, doctype, verb, doc_id, body, origin FROM "
                f"realtime_events WHERE id > {ph} ORDER BY id LIMIT 5000", (self._cursor,)))
        if not rows:
            return 0
        self._cursor = rows[-1][0]
        events = [Event(r[1], _text(r[2]), _text(r[3]), _text(r[4]),
                        r[5] if isinstance(r[5], bytes) else r[5].encode())
                  for r in rows if _text(r[6]) != self.worker
                  and r[0] > self._since.get(r[1], 1 << 62)]
        if events:
            bus.publish(events)
        return len(events)

    def beat(self) -> None:
        """Refresh this process's listener rows, drop those of instances it left, and the
        outbox's old rows."""
        self._last_beat = time.monotonic()
        bus = self.bus
        listening = set(bus.instances()) if bus is not None else set()
        young = time.monotonic() - HEARTBEAT_S  # registered, its socket not yet subscribed
        t = realtime_listeners.c
        with self._registering:  # no registration between forgetting and deleting a row
            with self._lock:
                left = [i for i in self._since if i not in listening
                        and self._registered_at.get(i, 0) < young]
                for i in left:
                    del self._since[i]
                    self._registered_at.pop(i, None)
            with self.db.write() as conn:
                conn.execute(sa.update(realtime_listeners).where(t.worker == self.worker)
                             .values(seen=time.time()))
                if left:
                    conn.execute(sa.delete(realtime_listeners).where(
                        t.worker == self.worker, t.instance_id.in_(left)))
                conn.execute(sa.delete(realtime_listeners).where(
                    t.seen < time.time() - STALE_S))
                conn.execute(sa.delete(realtime_events).where(
                    realtime_events.c.at < time.time() - KEEP_S))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._since:
            try:
                with self.db.write() as conn:
                    conn.execute(sa.delete(realtime_listeners).where(
                        realtime_listeners.c.worker == self.worker))
            except Exception:
                log.debug("realtime listeners not removed", exc_info=True)
            self._since.clear()


def _text(v: str | bytes) -> str:
    return v.decode() if isinstance(v, bytes) else v


class EventBus:
    """Subscriptions by instance; :meth:`publish` hands each event to those that watch it."""

    def __init__(self, queue_limit: int = 10_000, relay: Relay | None = None):
        self.queue_limit = queue_limit
        self.relay = relay
        if relay is not None:
            relay.bus = self
        # instance id → its subscriptions; replaced as a whole under the lock, so writers read
        # it without one
        self._subs: dict[int, tuple[Subscription, ...]] = {}
        self._lock = threading.Lock()

    def listening(self, instance_id: int) -> bool:
        """Whether anybody listens to the instance (a writer's only cost when nobody does)."""
        return instance_id in self._subs

    def heard(self, conn, instance_id: int) -> bool:
        """Whether anybody listens to the instance, in this process or another one."""
        return instance_id in self._subs or (
            self.relay is not None and self.relay.heard_elsewhere(conn, instance_id))

    def instances(self) -> list[int]:
        """The instances somebody listens to in this process."""
        return list(self._subs)

    def register(self, instance_id: int) -> None:
        """Before a socket of this process listens to the instance: writes by the other
        processes reach it too (blocking: call it off the event loop)."""
        if self.relay is not None:
            self.relay.register(instance_id)

    def announce(self, events: list[Event]) -> None:
        """Events of no write (``NOTIFIED``): to this process's listeners and the others'."""
        self.publish(events)
        if self.relay is not None:
            self.relay.announce(events)

    def close(self) -> None:
        if self.relay is not None:
            self.relay.close()

    def count(self, instance_id: int, owner: str | None = None) -> int:
        """Open subscriptions of the instance (of one owner only, when given)."""
        subs = self._subs.get(instance_id, ())
        return len(subs) if owner is None else sum(s.owner == owner for s in subs)

    def open(self, instance_id: int, wake: Callable[[], None],
             limit: int | None = None, owner: str = "") -> Subscription:
        sub = Subscription(self, instance_id, limit or self.queue_limit, wake, owner)
        with self._lock:
            self._subs[instance_id] = (*self._subs.get(instance_id, ()), sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        with self._lock:
            left = tuple(s for s in self._subs.get(sub.instance_id, ()) if s is not sub)
            if left:
                self._subs[sub.instance_id] = left
            else:
                self._subs.pop(sub.instance_id, None)

    def publish(self, events: list[Event]) -> None:
        """Hand ``events`` (of any instances) to the subscriptions that watch them."""
        by_instance: dict[int, list[Event]] = {}
        for e in events:
            if e.instance_id in self._subs:
                by_instance.setdefault(e.instance_id, []).append(e)
        for instance_id, mine in by_instance.items():
            for sub in self._subs.get(instance_id, ()):
                try:
                    sub.offer(mine)
                except Exception:  # a broken listener is dropped; the others still hear
                    log.exception("realtime listener failed; dropping it")
                    sub.close()
