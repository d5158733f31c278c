"""The pieces behind several processes on one database, in one process: two ``Sandbox``
objects on one SQLite file stand for two server processes (each has its own caches, event
bus and relay, exactly as two processes would)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from sandbox.events import Relay
from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.storage.tables import realtime_events, realtime_listeners

DT = "test.notes"


@pytest.fixture
def two(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}",
                        files_dir=str(tmp_path / "files"))
    a, b = Sandbox(settings), Sandbox(settings)
    a.instances.create("alice")
    yield a, b
    a.close()
    b.close()


def listen(sb: Sandbox, instance_id: int):
    """A subscription to the doctype in ``sb``'s process, registered as a socket's is; and
    the event set when its queue fills."""
    woken = threading.Event()
    sb.events.register(instance_id)
    sub = sb.events.open(instance_id, woken.set)
    sub.subscribe(DT)
    return sub, woken


def outbox(sb: Sandbox) -> int:
    with sb.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(realtime_events)).scalar()


def test_a_write_in_one_process_reaches_a_listener_of_the_other(two):
    a, b = two
    inst = b.instances.get("alice")
    sub, woken = listen(b, inst.id)
    made = a.documents.create(inst.id, DT, {"n": 1})
    assert woken.wait(10)
    [event] = sub.drain()
    assert (event.verb, event.doc_id, event.body) == ("CREATED", made.id, made.body)


def test_nothing_goes_to_the_outbox_when_no_other_process_listens(two):
    a, _b = two
    inst = a.instances.get("alice")
    sub, woken = listen(a, inst.id)      # a listens itself: its own bus hears it
    a.documents.create(inst.id, DT, {"n": 1})
    assert woken.is_set() and [e.verb for e in sub.drain()] == ["CREATED"]
    assert outbox(a) == 0


def test_a_rolled_back_write_announces_nothing_across_processes(two):
    a, b = two
    inst = b.instances.get("alice")
    sub, woken = listen(b, inst.id)
    a.documents.create(inst.id, DT, {"n": 1}, "x")
    assert woken.wait(10)
    sub.drain()
    woken.clear()
    # one document of the batch conflicts: its savepoint is rolled back, the other goes on
    out = a.documents.bulk_docs(inst.id, DT, [{"_id": "x", "_rev": "1-" + "0" * 32, "n": 2},
                                              {"_id": "y", "n": 3}])
    assert [r.get("error") for r in out] == ["conflict", None]
    assert woken.wait(10)
    assert [(e.verb, e.doc_id) for e in sub.drain()] == [("CREATED", "y")]


def test_a_process_that_stops_listening_is_forgotten_at_its_heartbeat(two):
    a, b = two
    inst = b.instances.get("alice")
    sub, _ = listen(b, inst.id)
    sub.close()
    relay: Relay = b.events.relay
    relay._registered_at[inst.id] = 0.0   # registered long ago
    relay.beat()
    with b.db.read() as conn:
        rows = conn.execute(sa.select(realtime_listeners)).all()
    assert rows == []
    a.documents.create(inst.id, DT, {"n": 1})
    assert outbox(a) == 0


def test_a_revocation_clears_the_token_checks_of_the_other_process(two):
    a, b = two
    token = a.cli_token("alice", DT)
    b.authenticate(token)
    assert b.cached_caller(token) is not None
    b.epochs.check()                      # b has read the counters once
    a.forget_tokens()                     # what an uninstall or a revoked share does
    assert "auth" in b.epochs.check()
    assert b.cached_caller(token) is None


def test_a_deleted_instance_is_forgotten_by_the_other_process(two):
    a, b = two
    b.epochs.check()
    assert b.instances.get("alice").name == "alice"
    a.instances.delete("alice")
    assert "instances" in b.epochs.check()
    assert b.instances.find("alice") is None
