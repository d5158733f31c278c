"""Write events: every write path of the documents store publishes CREATED / UPDATED /
DELETED after its commit (single writes, _bulk_docs, deletes, loads), nothing for design
documents or rolled-back writes; nobody listening builds no event; a slow listener is dropped
instead of holding writers or memory."""

from __future__ import annotations

import threading

import orjson
import pytest

from sandbox import events as ev
from sandbox.events import CREATED, DELETED, UPDATED, EventBus
from sandbox.storage.documents import DocumentStore

DT, OTHER = "test.notes", "test.other"


class Listener:
    """A subscription read synchronously (the websocket reads it from its event loop)."""

    def __init__(self, bus: EventBus, instance_id: int, limit: int | None = None):
        self.woken = threading.Event()
        self.sub = bus.open(instance_id, self.woken.set, limit)

    def events(self) -> list[tuple[str, str, str, dict]]:
        return [(e.verb, e.doctype, e.doc_id, orjson.loads(e.body)) for e in self.sub.drain()]


@pytest.fixture
def inst(sb):
    return sb.instances.create("alice")


def test_single_writes_publish_after_commit_with_the_stored_document(sb, inst):
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT)
    store: DocumentStore = sb.documents
    created = store.create(inst.id, DT, {"title": "a"})
    updated = store.update(inst.id, DT, created.id, {"_rev": created.rev, "title": "b"})
    deleted = store.delete(inst.id, DT, created.id, updated.rev)
    got = listener.events()
    assert [(v, t, i) for v, t, i, _ in got] == [(CREATED, DT, created.id),
                                                (UPDATED, DT, created.id),
                                                (DELETED, DT, created.id)]
    assert got[0][3] == {"_id": created.id, "_rev": created.rev, "title": "a"}
    assert got[1][3] == {"_id": created.id, "_rev": updated.rev, "title": "b"}
    # the stack announces the last version with the new revision; we add _deleted
    assert got[2][3] == {"_id": created.id, "_rev": deleted.rev, "title": "b", "_deleted": True}
    assert listener.woken.is_set()


def test_bulk_docs_publishes_each_successful_write_and_nothing_for_its_failures(sb, inst):
    store = sb.documents
    kept = store.create(inst.id, DT, {"n": 0}, "kept")
    gone = store.create(inst.id, DT, {"n": 1}, "gone")
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT)
    res = store.bulk_docs(inst.id, DT, [
        {"_id": "new", "n": 2},
        {"_id": "kept", "_rev": kept.rev, "n": 10},
        {"_id": "gone", "_rev": gone.rev, "_deleted": True},
        {"_id": "kept", "_rev": "1-" + "0" * 32, "n": 99},      # stale: conflict
        {"_id": "new", "n": 3},                                 # duplicate: conflict
    ])
    assert [r.get("ok", r.get("error")) for r in res] == [True, True, True, "conflict",
                                                         "conflict"]
    got = {(v, i): d for v, _, i, d in listener.events()}
    assert set(got) == {(CREATED, "new"), (UPDATED, "kept"), (DELETED, "gone")}
    assert got[(UPDATED, "kept")]["n"] == 10 and got[(DELETED, "gone")]["_deleted"] is True


def test_a_refused_bulk_write_publishes_nothing(sb, inst):
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT)
    res = sb.documents.bulk_docs(inst.id, DT, [{"_id": "x"}], lambda verb, doc: False)
    assert res[0]["error"] == "forbidden" and listener.events() == []


def test_a_rolled_back_transaction_publishes_nothing(sb, inst):
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT)
    with pytest.raises(RuntimeError), sb.db.write() as conn:
        sb.documents.ensure_db(conn, inst.id, DT)
        sb.documents._create(conn, inst.id, DT, {"a": 1}, "doomed")
        raise RuntimeError("rolled back")
    assert sb.documents.get_dict(inst.id, DT, "doomed") is None
    assert listener.events() == []


def test_writers_inside_their_own_transaction_publish_on_commit(sb, inst):
    """Another owner (e.g. the files) writing with the store's internals in its own
    transaction gets the events, once committed."""
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe("io.cozy.files")
    with sb.db.write() as conn:
        sb.documents.ensure_db(conn, inst.id, "io.cozy.files")
        sb.documents._create(conn, inst.id, "io.cozy.files", {"type": "file"}, "f1")
        assert listener.events() == []  # not before the commit
    assert [(v, i) for v, _, i, _ in listener.events()] == [(CREATED, "f1")]


def test_design_documents_are_not_announced(sb, inst):
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT)
    sb.documents.create(inst.id, DT, {"a": 1})
    listener.events()
    sb.indexes.define_index(inst.id, DT, {"index": {"fields": ["a"]}, "ddoc": "by_a"})
    assert listener.events() == []


def test_load_announces_created_to_a_listener_and_the_loader_to_nobody(sb, inst):
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT)
    assert sb.documents.load(inst.id, DT, [{"_id": f"d{i}"} for i in range(3)]) == 3
    assert [(v, i) for v, _, i, _ in listener.events()] == [(CREATED, f"d{i}") for i in range(3)]


def test_watching_one_document_or_a_doctype_gets_only_those(sb, inst):
    store = sb.documents
    listener = Listener(sb.events, inst.id)
    listener.sub.subscribe(DT, "watched")
    store.create(inst.id, DT, {}, "watched")
    store.create(inst.id, DT, {}, "other")
    store.create(inst.id, OTHER, {}, "watched")
    assert [(t, i) for _, t, i, _ in listener.events()] == [(DT, "watched")]
    listener.sub.unsubscribe(DT, "watched")
    store.create(inst.id, DT, {}, "later")
    assert listener.events() == []


def test_other_instances_hear_nothing(sb, inst):
    bob = sb.instances.create("bob")
    listener = Listener(sb.events, bob.id)
    listener.sub.subscribe(DT)
    sb.documents.create(inst.id, DT, {"secret": 1})
    assert listener.events() == []


def test_nobody_listening_builds_no_event(sb, inst, monkeypatch):
    built = []
    real = ev.Event

    def counting(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr("sandbox.storage.documents.Event", counting)
    store = sb.documents
    res = store.create(inst.id, DT, {"a": 1})
    store.update(inst.id, DT, res.id, {"_rev": res.rev, "a": 2})
    store.bulk_docs(inst.id, DT, [{"n": i} for i in range(50)])
    store.load(inst.id, DT, [{"n": i} for i in range(50)])
    assert built == [] and not sb.events.listening(inst.id)
    # the same writes with a listener (on another doctype) do build them: the spy works
    Listener(sb.events, inst.id).sub.subscribe(OTHER)
    store.bulk_docs(inst.id, DT, [{"n": 1}])
    assert len(built) == 1


def test_a_slow_listener_is_dropped_and_never_blocks_writers(sb, inst):
    slow = Listener(sb.events, inst.id, limit=10)
    slow.sub.subscribe(DT)
    fast = Listener(sb.events, inst.id)
    fast.sub.subscribe(DT)
    for i in range(30):  # nobody reads `slow`: past 10 events it is closed, writes go on
        sb.documents.create(inst.id, DT, {"i": i})
    assert slow.sub.closed == ev.OVERFLOWED and slow.sub.drain() == []
    assert len(fast.events()) == 30
    assert sb.events.count(inst.id) == 1  # the dropped one is gone from the bus


def test_a_bulk_larger_than_the_queue_drops_the_listener_at_once(sb, inst):
    listener = Listener(sb.events, inst.id, limit=5)
    listener.sub.subscribe(DT)
    sb.documents.bulk_docs(inst.id, DT, [{"n": i} for i in range(6)])
    assert listener.sub.closed == ev.OVERFLOWED


def test_a_failing_wake_does_not_fail_the_committed_write(sb, inst):
    def broken() -> None:
        raise RuntimeError("the listener's loop is gone")

    sub = sb.events.open(inst.id, broken)
    sub.subscribe(DT)
    other = Listener(sb.events, inst.id)
    other.sub.subscribe(DT)
    res = sb.documents.create(inst.id, DT, {"a": 1})
    assert sb.documents.get_dict(inst.id, DT, res.id)["a"] == 1
    assert [i for _, _, i, _ in other.events()] == [res.id]  # the others still hear
    assert sub.closed and sb.events.count(inst.id) == 1


def test_closing_forgets_the_subscription(sb, inst):
    listener = Listener(sb.events, inst.id)
    assert sb.events.listening(inst.id)
    listener.sub.close()
    assert not sb.events.listening(inst.id)
