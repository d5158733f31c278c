"""``cozy-realtime`` (npm) against a live sandbox's ``/realtime/`` websocket.

``tests/sandbox/js/realtime.js`` opens ``CozyRealtime`` over a ``CozyClient`` holding an
installed app's token (``ws`` as Node's WebSocket), subscribes to ``created``/``updated``/
``deleted`` on a doctype, on one document it may read alone, and on a doctype it may not read;
another client writes through the HTTP API (``POST``/``PUT``/``DELETE /data``, ``_bulk_docs``,
``POST /files``). The script reports the frames the server sent and the calls its handlers got;
each step waits for the frame it expects, with a timeout that fails the check. The assertions
live here.
"""

from __future__ import annotations

import re

import pytest

from sandbox.apps.records import STORE
from sandbox.contract.manifest import manifest_from_json
from sandbox.settings import Settings
from tests.support.apps import manifest
from tests.support.backends import BACKENDS, url_for_backend
from tests.support.node import check_result, node_packages, run_checks
from tests.support.served import LiveServer

pytestmark = pytest.mark.node

INSTANCE, SLUG = "jsrealtime", "rt-conformance"
DT_A, DT_ONE, DT_SECRET = "test.rt.bills", "test.rt.accounts", "test.rt.secret"
ONE_ID = "account-1"
REV = re.compile(r"^(\d+)-[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def js_dir():
    return node_packages()


def _install(sb) -> str:
    """The listening app: GET on DT_A and io.cozy.files, GET on ONE_ID of DT_ONE only."""
    m = manifest(slug=SLUG, permissions={
        "bills": {"type": DT_A, "verbs": ["GET"]},
        "account": {"type": DT_ONE, "verbs": ["GET"], "values": [ONE_ID]},
        "files": {"type": "io.cozy.files", "verbs": ["GET"]}})
    sb.installs.install(sb.instances.get(INSTANCE), manifest_from_json(m), STORE,
                        sha256="ab" * 32)
    return sb.app_token(INSTANCE, SLUG, ttl=3600)


@pytest.fixture(scope="module", params=BACKENDS)
def run(request, tmp_path_factory, js_dir):
    folder = tmp_path_factory.mktemp("js-realtime")
    url = url_for_backend(request, folder, "jsrt")
    with LiveServer(Settings(database_url=url, files_dir=str(folder / "files"))) as server:
        sb = server.sandbox
        sb.instances.create(INSTANCE)
        env = {"SANDBOX_URL": server.url, "SANDBOX_TOKEN": _install(sb),
               "WRITER_TOKEN": sb.cli_token(INSTANCE, f"{DT_A} {DT_ONE} {DT_SECRET} "
                                            "io.cozy.files", ttl=3600),
               "DT_A": DT_A, "DT_ONE": DT_ONE, "ONE_ID": ONE_ID, "DT_SECRET": DT_SECRET}
        yield run_checks(js_dir, "realtime.js", env, timeout=180), sb


def result(run, name):
    return check_result(run[0], "realtime.js", name)


def forbidden(payload: dict, doctype: str) -> None:
    assert payload["status"] == "403 Forbidden" and payload["code"] == "forbidden"
    assert payload["title"] == f"The application can't subscribe to {doctype}"
    assert payload["source"]["method"] == "SUBSCRIBE"
    assert payload["source"]["payload"]["type"] == doctype


def generation(rev: str) -> int:
    m = REV.match(rev)
    assert m, rev
    return int(m.group(1))


# ---- subscribing --------------------------------------------------------------------------------

def test_subscribing_to_an_unreadable_doctype_is_refused_on_the_open_socket(run):
    r = result(run, "subscribe")
    assert r["sockets"] == 1
    assert [p["source"]["payload"]["type"] for p in r["refused"]] == [DT_SECRET]
    forbidden(r["refused"][0], DT_SECRET)
    assert r["barrier"]["event"] == "error"
    forbidden(r["barrier"]["payload"], "test.rt.barrier0")


def test_a_right_on_one_document_does_not_cover_its_doctype(run):
    payload = result(run, "subscribe_whole_doctype_with_one_document_right")
    forbidden(payload, DT_ONE)
    assert payload["source"]["payload"]["id"] == ""


# ---- created / updated / deleted through /data --------------------------------------------------

def test_a_post_is_heard_as_created_with_the_document(run):
    r = result(run, "created")
    doc_id, rev = r["response"]["id"], r["response"]["rev"]
    assert r["frame"] == {"event": "CREATED", "payload": {"type": DT_A, "id": doc_id, "doc": {
        "_id": doc_id, "_rev": rev, "title": "Facture EDF", "amount": 42.5}}}
    # cozy-realtime hands its handlers the document with its _type
    assert r["call"] == {"sub": "type", "event": "created", "doc": {
        "_id": doc_id, "_rev": rev, "_type": DT_A, "title": "Facture EDF", "amount": 42.5}}


def test_a_put_is_heard_as_updated_with_the_new_fields(run):
    created = result(run, "created")["response"]
    r = result(run, "updated")
    assert r["response"]["id"] == created["id"] and generation(r["response"]["rev"]) == 2
    assert r["call"] == {"sub": "type", "event": "updated", "doc": {
        "_id": created["id"], "_rev": r["response"]["rev"], "_type": DT_A,
        "title": "Facture EDF", "amount": 43, "paid": True}}


def test_a_delete_is_heard_as_deleted_with_the_new_rev(run):
    created = result(run, "created")["response"]
    r = result(run, "deleted")
    # as the stack sends it: the last version of the document with the deletion's rev
    assert r["call"] == {"sub": "type", "event": "deleted", "doc": {
        "_id": created["id"], "_rev": r["response"]["rev"], "_type": DT_A, "_deleted": True,
        "title": "Facture EDF", "amount": 43, "paid": True}}
    assert generation(r["response"]["rev"]) == 3


def test_bulk_docs_are_heard_one_event_each(run):
    r = result(run, "bulk_docs")
    assert all(row.get("ok") for row in r["rows"]) and len(r["rows"]) == 3
    revs = {row["id"]: row["rev"] for row in r["rows"]}
    calls = r["calls"]
    assert calls["created"] == {"sub": "type", "event": "created", "doc": {
        "_id": "bulk-new", "_rev": revs["bulk-new"], "_type": DT_A, "title": "new", "n": 3}}
    upd = r["ids"]["updated"]
    assert calls["updated"] == {"sub": "type", "event": "updated", "doc": {
        "_id": upd, "_rev": revs[upd], "_type": DT_A, "title": "updated", "n": 10}}
    gone = r["ids"]["deleted"]
    assert calls["deleted"] == {"sub": "type", "event": "deleted", "doc": {
        "_id": gone, "_rev": revs[gone], "_type": DT_A, "_deleted": True, "title": "to delete",
        "n": 2}}


# ---- one document -------------------------------------------------------------------------------

def test_a_document_subscription_hears_that_document_only(run):
    r = result(run, "one_document")
    assert [(c["sub"], c["event"], c["doc"]["_id"]) for c in r["calls"]] == [
        ("one", "created", ONE_ID), ("one", "updated", ONE_ID), ("one", "deleted", ONE_ID)]
    assert [c["doc"].get("title") for c in r["calls"][:2]] == ["watched", "watched, changed"]
    assert [c["doc"]["_type"] for c in r["calls"]] == [DT_ONE] * 3
    # the other document of DT_ONE was never sent: the token may not read it
    assert all(c["id"] == ONE_ID for c in r["allCalls"])
    assert r["frameIds"] == [f"{v} {DT_ONE} {ONE_ID}" for v in ("CREATED", "UPDATED", "DELETED")]


# ---- files --------------------------------------------------------------------------------------

def test_a_directory_made_through_files_is_heard(run):
    r = result(run, "files")
    frame = r["frame"]
    assert frame["event"] == "CREATED" and frame["payload"]["type"] == "io.cozy.files"
    doc = frame["payload"]["doc"]
    assert doc["_id"] == r["id"] and doc["type"] == "directory" and doc["name"] == "Factures"
    assert doc["path"] == "/Factures" and doc["dir_id"] == "io.cozy.files.root-dir"
    assert r["call"]["doc"]["_type"] == "io.cozy.files" and r["call"]["doc"]["_id"] == r["id"]


# ---- hostile: what the token cannot read --------------------------------------------------------

def test_an_unreadable_doctype_sends_no_events(run):
    r = result(run, "forbidden_doctype")
    assert r["secretCalls"] == 0
    assert all(DT_SECRET not in f for f in r["frames"]), r["frames"]
    assert r["frames"] and r["frames"][-1].startswith(f"CREATED {DT_A} ")
    sb = run[1]
    denied = [e for e in sb.journal.entries(sb.instances.get(INSTANCE).id, doctype=DT_SECRET)
              if e.client == SLUG]
    assert [(e.verb, e.route) for e in denied] == [("DENIED", "realtime")]


# ---- unsubscribing ------------------------------------------------------------------------------

def test_unsubscribe_stops_the_handler_then_the_server(run):
    r = result(run, "unsubscribe")
    doc_id = r["id"]
    # the created handler is gone: only the update is delivered
    assert [(c["sub"], c["event"], c["id"]) for c in r["callsAfter"]] == [
        ("type", "updated", doc_id)]
    assert r["call"]["doc"]["title"] == "heard"
    # the server still watched DT_A (other handlers on it): both frames came
    assert r["sent"] == [f"CREATED {DT_A} {doc_id}", f"UPDATED {DT_A} {doc_id}"]
    # once no handler is left on DT_A, the library unsubscribes and the server stops sending
    assert r["afterAll"] == [f"CREATED {DT_ONE} {ONE_ID}"], r["afterAll"]


def test_cozy_clients_realtime_plugin_hears_a_write(run):
    r = result(run, "plugin")
    assert r["heard"] == [{"_id": r["id"], "_rev": r["heard"][0]["_rev"], "_type": DT_A,
                           "title": "via plugin"}]


def test_stop_closes_the_one_socket(run):
    assert result(run, "stop") == {"stopped": True, "sockets": 1}
