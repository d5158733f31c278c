"""``/realtime/``: the stack's websocket protocol (AUTH first, SUBSCRIBE / UNSUBSCRIBE, the
stack's error frames), permission-checked per subscription, and hostile clients (no AUTH,
wrong tokens, another instance's token, huge or broken messages, too many sockets)."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from sandbox.apps.records import STORE
from sandbox.contract.manifest import manifest_from_json
from sandbox.settings import Settings
from sandbox.web.app import create_app
from tests.support.api import Api
from tests.support.apps import manifest

DT, SECRET = "test.notes", "test.secret"


def auth(token: str) -> str:
    return orjson.dumps({"method": "AUTH", "payload": token}).decode()


def sub(doctype: str, doc_id: str | None = None, method: str = "SUBSCRIBE") -> str:
    payload = {"type": doctype} | ({"id": doc_id} if doc_id else {})
    return orjson.dumps({"method": method, "payload": payload}).decode()


def frame(ws) -> dict:
    return orjson.loads(ws.receive_text())


def synced(ws) -> None:
    """Wait until the server has handled every message sent so far: commands are handled in
    order, and an unknown one answers an error frame."""
    ws.send_text('{"method": "SYNC"}')
    e = frame(ws)
    assert e["payload"]["title"] == "The SYNC method is not supported", e


def closed_with(ws) -> int:
    with pytest.raises(WebSocketDisconnect) as exc:
        ws.receive_text()
    return exc.value.code


@pytest.fixture
def token(sb, alice) -> str:
    return sb.cli_token("alice", f"{DT} io.cozy.files:GET")


def test_subscribe_then_created_updated_deleted_through_the_api(client, alice, token):
    with client.websocket_connect("/realtime/", subprotocols=["io.cozy.websocket"]) as ws:
        assert ws.accepted_subprotocol == "io.cozy.websocket"
        ws.send_text(auth(token))
        ws.send_text(sub(DT))
        synced(ws)
        created = alice.post(f"/data/{DT}/", {"title": "a"}).json()
        e = frame(ws)
        assert e == {"event": "CREATED", "payload": {"type": DT, "id": created["id"], "doc": {
            "_id": created["id"], "_rev": created["rev"], "title": "a"}}}
        updated = alice.put(f"/data/{DT}/{created['id']}",
                            {"_id": created["id"], "_rev": created["rev"], "title": "b"}).json()
        e = frame(ws)
        assert e["event"] == "UPDATED" and e["payload"]["doc"]["_rev"] == updated["rev"]
        gone = alice.delete(f"/data/{DT}/{created['id']}?rev={updated['rev']}").json()
        e = frame(ws)
        assert e["event"] == "DELETED" and e["payload"]["doc"]["_rev"] == gone["rev"]
        assert e["payload"]["doc"]["_deleted"] is True and e["payload"]["doc"]["title"] == "b"


def test_bulk_writes_send_one_event_each(client, alice, token):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(sub(DT))
        synced(ws)
        res = alice.post(f"/data/{DT}/_bulk_docs", {"docs": [{"n": i} for i in range(3)]})
        assert res.status_code == 201
        got = [frame(ws) for _ in range(3)]
        assert [e["event"] for e in got] == ["CREATED"] * 3
        assert [e["payload"]["doc"]["n"] for e in got] == [0, 1, 2]


def test_a_client_without_subprotocol_is_accepted_too(client, token):
    with client.websocket_connect("/realtime/") as ws:
        assert ws.accepted_subprotocol is None
        ws.send_text(auth(token))
        ws.send_text(sub(DT, method="PING"))
        assert frame(ws)["payload"]["status"] == "405 Method Not Allowed"


def test_one_document_only(client, sb, alice):
    alice.put(f"/data/{DT}/mine", {"a": 1})
    narrow = sb.cli_token("alice", f"{DT}:GET:mine")
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(narrow))
        ws.send_text(sub(DT))          # the whole doctype: refused
        e = frame(ws)
        assert e == {"event": "error", "payload": {
            "status": "403 Forbidden", "code": "forbidden",
            "title": f"The application can't subscribe to {DT}",
            "source": {"method": "SUBSCRIBE", "payload": {"type": DT, "id": ""}}}}
        ws.send_text(sub(DT, "other"))  # another id: refused
        assert frame(ws)["payload"]["code"] == "forbidden"
        ws.send_text(sub(DT, "mine"))
        synced(ws)
        alice.put(f"/data/{DT}/other", {"b": 1})
        stored = alice.get(f"/data/{DT}/mine").json()
        alice.put(f"/data/{DT}/mine", {**stored, "a": 2})
        e = frame(ws)  # nothing about "other" came first
        assert e["event"] == "UPDATED" and e["payload"]["id"] == "mine"


def test_a_selector_rule_cannot_subscribe_as_on_the_stack(client, sb):
    sb.instances.create("carol")
    selector = sb.cli_token("carol", f"{DT}:GET:EDF:vendor")
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(selector))
        ws.send_text(sub(DT))
        assert frame(ws)["payload"]["code"] == "forbidden"
        ws.send_text(sub(DT, "b1"))
        assert frame(ws)["payload"]["code"] == "forbidden"


def test_no_event_for_a_doctype_the_token_may_not_read(client, sb, alice, token):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(sub(SECRET))
        assert frame(ws)["payload"]["status"] == "403 Forbidden"
        ws.send_text(sub(DT))
        synced(ws)
        sb.documents.create(sb.instances.get("alice").id, SECRET, {"secret": 1})
        alice.post(f"/data/{DT}/", {"visible": 1})
        assert frame(ws)["payload"]["type"] == DT  # the secret write sent nothing first


def test_hidden_doctypes_cannot_be_watched_even_with_a_scope(client, sb, alice):
    wide = sb.cli_token("alice", "io.cozy.permissions io.cozy.oauth.clients")
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(wide))
        ws.send_text(sub("io.cozy.permissions"))
        assert frame(ws)["payload"]["code"] == "forbidden"


def test_a_file_is_watched_through_a_rule_on_its_parent_directory(client, sb, alice):
    inst = sb.instances.get("alice")
    sb.documents.create(inst.id, "io.cozy.files", {"type": "directory", "dir_id": "root"}, "d1")
    sb.documents.create(inst.id, "io.cozy.files", {"type": "file", "dir_id": "d1"}, "f1")
    folder = sb.cli_token("alice", "io.cozy.files:GET:d1")
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(folder))
        ws.send_text(sub("io.cozy.files", "f2"))  # not under d1
        assert frame(ws)["payload"]["code"] == "forbidden"
        ws.send_text(sub("io.cozy.files", "f1"))
        synced(ws)
        doc = sb.documents.get_dict(inst.id, "io.cozy.files", "f1")
        sb.documents.update(inst.id, "io.cozy.files", "f1", {**doc, "name": "bill.pdf"})
        e = frame(ws)
        assert e["event"] == "UPDATED" and e["payload"]["doc"]["name"] == "bill.pdf"


def test_unsubscribe_stops_the_events(client, alice, token):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(sub(DT))
        ws.send_text(sub(DT, method="unsubscribe"))  # methods are case-insensitive
        ws.send_text(sub("io.cozy.files"))
        synced(ws)
        alice.post(f"/data/{DT}/", {"quiet": 1})
        ws.send_text(sub("", method="SUBSCRIBE"))  # something to read: an error frame
        e = frame(ws)
        assert e["payload"]["status"] == "404 Page Not Found"
        assert e["payload"]["title"] == "The type parameter is mandatory for SUBSCRIBE"


def test_subscribing_before_auth_is_refused_and_closed(client, token):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(sub(DT))
        e = frame(ws)
        assert e["payload"]["status"] == "405 Method Not Allowed"
        assert e["payload"]["title"] == "The SUBSCRIBE method is not supported"
        assert closed_with(ws) == 1008


@pytest.mark.parametrize("payload", ["", "not.a.jwt", None, 42])
def test_a_bad_token_is_401_and_closed(client, payload):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(orjson.dumps({"method": "AUTH", "payload": payload}).decode())
        e = frame(ws)
        assert e["event"] == "error" and e["payload"]["status"] == "401 Unauthorized"
        assert e["payload"]["code"] == "unauthorized"
        assert closed_with(ws) == 1008


def test_a_token_of_another_instance_is_refused_on_this_instance_host(client, sb, alice, bob):
    bobs = sb.cli_token("bob", DT)
    with client.websocket_connect("/realtime/", headers={"host": "alice.localhost"}) as ws:
        ws.send_text(auth(bobs))
        assert frame(ws)["payload"]["status"] == "401 Unauthorized"
    # bob's token on bob's host works, and hears nothing of alice's writes
    with client.websocket_connect("/realtime/", headers={"host": "bob.localhost"}) as ws:
        ws.send_text(auth(bobs))
        ws.send_text(sub(DT))
        synced(ws)
        alice.post(f"/data/{DT}/", {"alice": 1})
        Api(client, bobs).post(f"/data/{DT}/", {"bob": 1})
        assert frame(ws)["payload"]["doc"]["bob"] == 1


def test_an_app_token_works_until_the_app_is_uninstalled(client, sb, alice):
    inst = sb.instances.get("alice")
    sb.installs.install(inst, manifest_from_json(manifest(
        slug="notes-app", permissions={"n": {"type": DT, "verbs": ["GET"]}})), STORE)
    token = sb.app_token("alice", "notes-app")
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(sub(DT))
        synced(ws)
    sb.installs.remove(inst, "notes-app")
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        assert frame(ws)["payload"]["code"] == "unauthorized"


def test_a_huge_message_closes_the_socket(client, token):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth("x" * 2000))
        assert closed_with(ws) == 1009
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(orjson.dumps({"method": "SUBSCRIBE",
                                   "payload": {"type": DT, "id": "y" * 1100}}).decode())
        assert closed_with(ws) == 1009


@pytest.mark.parametrize("message", ["{not json", "[1, 2]", '"AUTH"'])
def test_broken_json_first_is_refused(client, message):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(message)
        assert frame(ws)["payload"]["status"] == "405 Method Not Allowed"
        assert closed_with(ws) == 1003


@pytest.mark.parametrize("message", ["{not json", '{"method": "SUBSCRIBE", "payload": "x"}',
                                     '{"method": "SUBSCRIBE", "payload": {"type": 3}}'])
def test_broken_commands_after_auth_close_the_socket(client, token, message):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(message)
        assert closed_with(ws) == 1007


def test_post_realtime_notifies_watchers_without_storing(client, sb, alice, token):
    with client.websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(sub(DT, "job-1"))
        synced(ws)
        r = alice.post(f"/realtime/{DT}/job-1", {"data": {"imported": 10, "total": 42}})
        assert r.status_code == 204
        assert frame(ws) == {"event": "NOTIFIED", "payload": {"type": DT, "id": "job-1", "doc": {
            "data": {"imported": 10, "total": 42}, "_id": "job-1"}}}
    assert alice.get(f"/data/{DT}/job-1").status_code == 404


def test_post_realtime_hostile(client, sb, alice):
    reader = Api(client, sb.cli_token("alice", f"{DT}:GET"))
    assert reader.post(f"/realtime/{DT}/x", {"a": 1}).status_code == 403
    assert alice.post("/realtime/io.cozy.permissions/x", {"a": 1}).status_code == 400
    assert alice.post(f"/realtime/{DT}/x", [1]).status_code == 400
    r = alice.c.post(f"/realtime/{DT}/x", content=b"{broken", headers=alice.h)
    assert r.status_code == 400 and r.json()["errors"][0]["status"] == "400"
    assert client.post(f"/realtime/{DT}/x", json={}).status_code == 401


def test_an_instance_holds_a_bounded_number_of_sockets(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'rt.db'}",
                              realtime_max_sockets=2))
    sb = app.state.sandbox
    sb.instances.create("alice")
    token = sb.cli_token("alice", DT)
    client = TestClient(app)
    with client.websocket_connect("/realtime/") as a, client.websocket_connect("/realtime/") as b:
        for ws in (a, b):
            ws.send_text(auth(token))
            synced(ws)  # authenticated and listening
        with client.websocket_connect("/realtime/") as c:
            c.send_text(auth(token))
            e = frame(c)
            assert e["payload"]["code"] == "too many sockets" and closed_with(c) == 1013
    sb.close()


def test_a_client_too_slow_is_told_and_disconnected(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'rt.db'}",
                              realtime_queue_events=3))
    sb = app.state.sandbox
    inst = sb.instances.create("alice")
    token = sb.cli_token("alice", DT)
    with TestClient(app).websocket_connect("/realtime/") as ws:
        ws.send_text(auth(token))
        ws.send_text(sub(DT))
        synced(ws)
        sb.documents.bulk_docs(inst.id, DT, [{"n": i} for i in range(4)])  # one too many
        e = frame(ws)
        assert e["event"] == "error" and e["payload"]["code"] == "too many events"
        assert closed_with(ws) == 1013
    sb.close()


def test_one_app_cannot_use_up_the_clouds_sockets(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'rt.db'}",
                              realtime_max_sockets=4, realtime_max_sockets_per_client=2))
    sb = app.state.sandbox
    inst = sb.instances.create("alice")
    sb.installs.install(inst, manifest_from_json(manifest(
        slug="greedy", permissions={"n": {"type": DT, "verbs": ["GET"]}})), STORE)
    greedy, other = sb.app_token("alice", "greedy"), sb.cli_token("alice", DT)
    client = TestClient(app)
    with client.websocket_connect("/realtime/") as a, client.websocket_connect("/realtime/") as b:
        for ws in (a, b):
            ws.send_text(auth(greedy))
            synced(ws)
        with client.websocket_connect("/realtime/") as c:
            c.send_text(auth(greedy))
            e = frame(c)
            assert e["payload"]["code"] == "too many sockets" and closed_with(c) == 1013
            assert "greedy" in e["payload"]["title"]
        with client.websocket_connect("/realtime/") as d:  # another client still gets one
            d.send_text(auth(other))
            d.send_text(sub(DT))
            synced(d)
    sb.close()


def test_a_socket_that_never_authenticates_is_closed(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'rt.db'}",
                              realtime_auth_timeout_s=0.2))
    with TestClient(app).websocket_connect("/realtime/") as ws:
        e = frame(ws)  # nothing sent: the server gives up on its own
        assert e["payload"]["code"] == "no AUTH" and "AUTH" in e["payload"]["title"]
        assert closed_with(ws) == 1008
    app.state.sandbox.close()
