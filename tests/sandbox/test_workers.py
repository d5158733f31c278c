"""Several server processes on one database (``sandbox.service``'s list): two real sandbox
processes, each on its own port, sharing one SQLite file (WAL) or one PostgreSQL database —
the stateless processes behind a load balancer — and ``selfdata up``'s worker processes
sharing one port.

Each process is started the way ``selfdata up --workers`` starts them
(``selfdata.event.Workers``). The test process holds a third ``Sandbox`` on the database to
make instances, tokens and installs."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
from websockets.sync.client import connect

from sandbox.apps.records import STORE
from sandbox.contract.addresses import instance_host
from sandbox.contract.manifest import manifest_from_json
from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.storage.epochs import EVERY_S
from selfdata.event import Workers, listening_socket
from tests.support.apps import manifest
from tests.support.backends import BACKENDS, url_for_backend

DT = "test.notes"
# what the cache epochs promise (one watch period), plus a request and a loaded machine
BOUND_S = EVERY_S + 2.0


class Process:
    """One server process (or ``count`` sharing one port) on ``url``."""

    def __init__(self, url: str, files: str, count: int = 1):
        sock = listening_socket()
        self.port = sock.getsockname()[1]
        env = {"SELFDATA_DATABASE_URL": url, "SELFDATA_PORT": str(self.port),
               "SELFDATA_FILES_DIR": files, "SELFDATA_LIVE_ENGINE": "false"}
        try:
            self.workers = Workers(sock, count, env, timeout_s=120)
        finally:
            sock.close()  # the workers hold their own copies

    def client(self, token: str, instance: str = "alice") -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60, headers={
            "Authorization": f"Bearer {token}", "Host": instance_host(instance, self.port)})

    def realtime(self, instance: str = "alice"):
        return connect(f"ws://127.0.0.1:{self.port}/realtime/",
                       subprotocols=["io.cozy.websocket"], open_timeout=30,
                       additional_headers={"Host": instance_host(instance, self.port)})

    def stop(self) -> None:
        self.workers.should_exit = True
        self.workers.thread.join(60)
        self.workers.force_exit = True


@pytest.fixture(scope="module", params=BACKENDS)
def db_url(request, tmp_path_factory) -> str:
    return url_for_backend(request, tmp_path_factory.mktemp("workers"), "workers")


@pytest.fixture(scope="module")
def sb(db_url, tmp_path_factory):
    files = tmp_path_factory.mktemp("files")
    sandbox = Sandbox(Settings(database_url=db_url, files_dir=str(files)))
    sandbox.instances.create("alice")
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def pair(sb, db_url):
    """Two server processes on the database."""
    a = Process(db_url, sb.settings.files_dir)
    try:
        b = Process(db_url, sb.settings.files_dir)
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def token(sb) -> str:
    return sb.cli_token("alice", f"{DT} io.cozy.permissions", ttl=3600)


def race_updates(clients: list[httpx.Client], docs: dict[str, str]) -> dict[str, list[int]]:
    """Every client PUTs every document at the revision given, all at once; the statuses."""
    start = threading.Barrier(len(clients))

    def run(n: int) -> list[tuple[str, int, str]]:
        start.wait()
        out = []
        for doc_id, rev in docs.items():
            r = clients[n].put(f"/data/{DT}/{doc_id}", json={"_id": doc_id, "_rev": rev,
                                                              "by": n})
            out.append((doc_id, r.status_code, r.json().get("rev", "")))
        return out

    with ThreadPoolExecutor(len(clients)) as pool:
        results = [x for part in pool.map(run, range(len(clients))) for x in part]
    statuses: dict[str, list[int]] = {}
    for doc_id, status, rev in results:
        statuses.setdefault(doc_id, []).append(status)
        if status in (200, 201):
            docs[doc_id] = rev
    return statuses


def test_one_update_wins_per_revision_across_processes(pair, token):
    a, b = pair
    with a.client(token) as ca, b.client(token) as cb:
        docs = {}
        for n in range(20):
            r = ca.post(f"/data/{DT}/", json={"n": n})
            assert r.status_code == 201, r.text
            docs[r.json()["id"]] = r.json()["rev"]
        # two clients per process, each racing for every document's current revision
        clients = [ca, cb, a.client(token), b.client(token)]
        try:
            for _round in range(3):
                for doc_id, statuses in race_updates(clients, docs).items():
                    assert sorted(statuses) == [200, 409, 409, 409], (doc_id, statuses)
        finally:
            for c in clients[2:]:
                c.close()
        # no update lost: each document is at the winner's revision, fourth generation
        for doc_id, rev in docs.items():
            got = cb.get(f"/data/{DT}/{doc_id}").json()
            assert got["_rev"] == rev and rev.startswith("4-")


def test_a_write_on_one_process_reaches_a_socket_on_the_other(pair, token):
    a, b = pair
    with b.realtime() as ws, a.client(token) as ca:
        ws.send(orjson.dumps({"method": "AUTH", "payload": token}).decode())
        ws.send(orjson.dumps({"method": "SUBSCRIBE", "payload": {"type": DT}}).decode())
        ws.send('{"method": "SYNC"}')   # answered once the commands before it are handled
        assert "SYNC" in orjson.loads(ws.recv(30))["payload"]["title"]
        made = ca.post(f"/data/{DT}/", json={"title": "from a"}).json()
        event = orjson.loads(ws.recv(10))
        assert event == {"event": "CREATED", "payload": {"type": DT, "id": made["id"], "doc": {
            "_id": made["id"], "_rev": made["rev"], "title": "from a"}}}
        gone = ca.delete(f"/data/{DT}/{made['id']}", params={"rev": made["rev"]}).json()
        event = orjson.loads(ws.recv(10))
        assert event["event"] == "DELETED" and event["payload"]["doc"]["_rev"] == gone["rev"]
        # a document nobody stores, announced on a
        assert ca.post(f"/realtime/{DT}/ping", json={"hello": 1}).status_code == 204
        event = orjson.loads(ws.recv(10))
        assert event["event"] == "NOTIFIED" and event["payload"]["doc"] == {"hello": 1,
                                                                            "_id": "ping"}


def test_a_share_revoked_on_one_process_is_refused_by_the_other_within_the_bound(sb, pair):
    a, b = pair
    inst = sb.instances.get("alice")
    m = manifest(slug="notes-app", permissions={"notes": {"type": DT}})
    sb.installs.install(inst, manifest_from_json(m), STORE, sha256="ab" * 32)
    with a.client(sb.app_token("alice", "notes-app")) as app:
        app.put(f"/data/{DT}/shared", json={"text": "shared"})
        made = app.post("/permissions?codes=link", json={"data": {
            "type": "io.cozy.permissions", "attributes": {"permissions": {
                "one": {"type": DT, "verbs": ["GET"], "values": ["shared"]}}}}})
        assert made.status_code == 200, made.text
        share = made.json()["data"]
        with b.client(share["attributes"]["codes"]["link"]) as reader:
            assert reader.get(f"/data/{DT}/shared").status_code == 200   # b caches the check
            assert app.delete(f"/permissions/{share['id']}").status_code == 204
            revoked = time.monotonic()
            while reader.get(f"/data/{DT}/shared").status_code == 200:
                assert time.monotonic() - revoked < BOUND_S, "b still honours the revoked share"
            assert reader.get(f"/data/{DT}/shared").status_code in (400, 401, 403)


def test_an_index_made_on_one_process_sorts_on_the_other_within_the_bound(pair, token):
    a, b = pair
    with a.client(token) as ca, b.client(token) as cb:
        find = {"selector": {"rank": {"$gt": 0}}, "sort": [{"rank": "asc"}]}
        ca.post(f"/data/{DT}/_bulk_docs", json={"docs": [{"rank": r} for r in (3, 1, 2)]})
        assert cb.post(f"/data/{DT}/_find", json=find).status_code == 400  # no index yet
        assert ca.post(f"/data/{DT}/_index", json={"index": {"fields": ["rank"]}}).json()[
            "result"] == "created"
        made = time.monotonic()
        while (r := cb.post(f"/data/{DT}/_find", json=find)).status_code == 400:
            assert time.monotonic() - made < BOUND_S, r.text
        assert [d["rank"] for d in r.json()["docs"]] == [1, 2, 3]


def test_two_workers_share_one_port_without_lost_updates(sb, db_url):
    both = Process(db_url, sb.settings.files_dir, count=2)
    token = sb.cli_token("alice", DT, ttl=3600)
    try:
        with both.client(token) as one:
            docs = {}
            for n in range(10):
                r = one.post(f"/data/{DT}/", json={"n": n})
                docs[r.json()["id"]] = r.json()["rev"]
            # new connections each: the kernel spreads them over both processes
            clients = [both.client(token) for _ in range(4)]
            for c in clients:
                c.headers["Connection"] = "close"
            try:
                for doc_id, statuses in race_updates(clients, docs).items():
                    assert sorted(statuses) == [200, 409, 409, 409], (doc_id, statuses)
            finally:
                for c in clients:
                    c.close()
    finally:
        both.stop()
