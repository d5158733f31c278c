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
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

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


class EventBus:
    """Subscriptions by instance; :meth:`publish` hands each event to those that watch it."""

    def __init__(self, queue_limit: int = 10_000):
        self.queue_limit = queue_limit
        # instance id → its subscriptions; replaced as a whole under the lock, so writers read
        # it without one
        self._subs: dict[int, tuple[Subscription, ...]] = {}
        self._lock = threading.Lock()

    def listening(self, instance_id: int) -> bool:
        """Whether anybody listens to the instance (a writer's only cost when nobody does)."""
        return instance_id in self._subs

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
