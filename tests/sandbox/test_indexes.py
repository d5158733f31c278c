"""Attack: a read-only token creates index after index (the stack allows GET on the whole type
to define indexes, and cozy-client relies on it), each build a scan of the shared table under
the write lock. Held by: caps per doctype and per cloud with a clear error, builds off the
request path and spaced out, writers served in turn (benchmarks/index_isolation.py measures
another tester's writes during such a storm)."""

from __future__ import annotations

import threading

import pytest

from sandbox.dbkit import FairLock
from sandbox.service import Sandbox
from tests.support.api import Api

DT = "test.notes"


@pytest.fixture
def reader(sb, client) -> Api:
    sb.instances.create("alice")
    api = Api(client, sb.cli_token("alice", f"{DT}:GET {DT}:POST"))
    api.post(f"/data/{DT}/", {"n": 1, "kind": "a"})
    return Api(client, sb.cli_token("alice", f"{DT}:GET"))


def sql_indexes(sb) -> set[str]:
    sb.indexes.builder.wait_idle(30)
    return sb.indexes.builder.existing()


def test_an_index_is_usable_at_once_and_built_off_the_request(sb, reader):
    r = reader.post(f"/data/{DT}/_index", {"index": {"fields": ["kind"]}, "ddoc": "by_kind"})
    assert r.status_code == 200 and r.json()["result"] == "created"
    found = reader.post(f"/data/{DT}/_find", {"selector": {"kind": "a"},
                                              "use_index": "_design/by_kind"})
    assert found.status_code == 200 and len(found.json()["docs"]) == 1
    assert len(sql_indexes(sb)) == 1


def test_the_same_fields_under_another_name_share_one_sql_index(sb, reader):
    for name in ("one", "two"):
        reader.post(f"/data/{DT}/_index", {"index": {"fields": ["kind"]}, "ddoc": name})
    (name,) = sql_indexes(sb)
    rev = reader.get(f"/data/{DT}/_design/one").json()["_rev"]
    assert reader.delete(f"/data/{DT}/_design/one?rev={rev}").status_code == 200
    assert sql_indexes(sb) == {name}  # still used by "two"
    rev = reader.get(f"/data/{DT}/_design/two").json()["_rev"]
    reader.delete(f"/data/{DT}/_design/two?rev={rev}")
    assert sql_indexes(sb) == set()


def test_past_the_cap_a_clear_error_and_nothing_more_is_built(app, sb, reader):
    cap = sb.settings.max_indexes_per_doctype
    for i in range(cap):
        r = reader.post(f"/data/{DT}/_index", {"index": {"fields": [f"f{i}"]}})
        assert r.status_code == 200, r.text
    r = reader.post(f"/data/{DT}/_index", {"index": {"fields": ["one_more"]}})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "too_many_indexes" and "delete unused ones" in body["reason"]
    assert len(sql_indexes(sb)) == cap
    # an index already there is still answered, and redefining one is no addition
    r = reader.post(f"/data/{DT}/_index", {"index": {"fields": ["f0"]}})
    assert r.json()["result"] == "exists"


def test_an_unbuilt_index_is_built_when_the_sandbox_starts_again(settings, sb, reader):
    reader.post(f"/data/{DT}/_index", {"index": {"fields": ["kind"]}})
    built = sql_indexes(sb)
    with sb.db.write() as conn:
        for name in built:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    again = Sandbox(settings)
    try:
        assert again.indexes.builder.wait_idle(30)
        assert again.indexes.builder.existing() == built
    finally:
        again.close()


def test_writers_are_served_in_the_order_they_came():
    lock, order = FairLock(), []
    gate = threading.Event()

    def writer(n: int) -> None:
        with lock:
            order.append(n)

    with lock:
        threads = []
        for n in range(8):
            t = threading.Thread(target=writer, args=(n,))
            t.start()
            threads.append(t)
            while lock._next <= n + 1:   # its ticket taken before the next one starts
                gate.wait(0.001)
    for t in threads:
        t.join()
    assert order == list(range(8))
