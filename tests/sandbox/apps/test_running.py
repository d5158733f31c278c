"""Installed apps scale to zero, on the real engine: a container starts on the first request,
stops when idle for ``idle_s`` and starts again (fresh token) on the next; at most
``max_running`` run, the least recently used making room; a page request to an app still
starting gets a "starting" page that reloads itself; two sandbox processes (two
``RunningApps`` on one database and one engine) start one container for one app, count one
cap and agree on idleness."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest

from app_store.build_farm.context import build_context
from sandbox.apps.records import STORE
from sandbox.apps.running import RunningApps
from sandbox.contract.manifest import Manifest, manifest_from_json
from sandbox.runtime.bridge import app_get
from sandbox.runtime.hardening import RunLimits
from sandbox.service import Sandbox
from sandbox.settings import Settings
from tests.support import docker
from tests.support.apps import manifest
from tests.support.served import LiveServer

pytestmark = pytest.mark.docker

INDEX = b"<!doctype html><title>hello</title><p>hello from the app</p>"
OWNER = "running-apps-test"


class Clock:
    """Wall time that moves only when the test says so."""

    def __init__(self, now: float = 1_900_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _no_api(scope, receive, send) -> None:
    """The sandbox side of api.sock: these apps never call it."""


@pytest.fixture(scope="module")
def image():
    """A static app image built as the store builds one (the shim serves its files)."""
    m = manifest_from_json(manifest(slug="sleepy"))
    files = {"index.html": INDEX}
    sha = hashlib.sha256(b"sleepy-release").hexdigest()
    ok, log, image_id = docker.engine().build(
        build_context(files, m, docker.base_image(), None, None), "selfdata-test/sleepy:1",
        {"selfdata.sha256": sha, "selfdata.owner": OWNER}, 300)
    assert ok, log
    yield image_id, sha
    docker.engine().remove_image(image_id)


def install(sb: Sandbox, instance: str, slug: str, image) -> Manifest:
    image_id, sha = image
    try:
        inst = sb.instances.get(instance)
    except Exception:
        inst = sb.instances.create(instance)
    m = manifest_from_json(manifest(slug=slug, name=slug.title()))
    sb.installs.install(inst, m, STORE, sha256=sha, image_id=image_id)
    return m


def running(sb: Sandbox, clock: Clock, *, idle_s: float = 300, cap: int = 40,
            owner_key: str = "") -> RunningApps:
    return RunningApps(sb.installs, sb.instances, token_for=sb.app_token,
                       api_for=lambda _instance: _no_api, limits=RunLimits(),
                       docker_host="", start_timeout_s=30, token_ttl_s=24 * 3600,
                       owner_key=owner_key or sb.settings.database_url,
                       engine=docker.engine(), idle_s=idle_s, max_running=cap, clock=clock)


@pytest.fixture
def sb(tmp_path):
    sandbox = Sandbox(Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}"))
    yield sandbox
    sandbox.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request, tmp_path):
    """The database two sandbox processes share: SQLite, or PostgreSQL (one per test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database(
            f"apps_{tmp_path.name.lower()}"[:60])
    sandbox = Sandbox(Settings(database_url=url))
    yield sandbox
    sandbox.close()


def containers(apps: RunningApps) -> dict[str, bool]:
    """The owner's containers in the engine: name → running."""
    return {c.name: c.running for c in docker.engine().listing(f"selfdata.owner={apps.owner}")}


def page(sock_dir: str) -> str:
    r = app_get(sock_dir, "/")
    assert r.status_code == 200
    return r.body.decode()


def test_an_idle_app_stops_and_its_next_request_starts_it_again(sb, image):
    install(sb, "alice", "sleepy", image)
    clock = Clock()
    apps = running(sb, clock, idle_s=300)
    try:
        name = apps.container_name("alice", "sleepy")
        first = apps.sock_dir("alice", "sleepy", "alice.localhost")
        assert "hello from the app" in page(first)
        old = docker.engine().find(name)
        assert old is not None and old.running
        clock.now += 200
        apps.sock_dir("alice", "sleepy", "alice.localhost")      # a request at +200 s
        clock.now += 299
        assert apps.reap() == [] and containers(apps) == {name: True}  # used 299 s ago
        clock.now += 2
        assert apps.reap() == [("alice", "sleepy")]
        assert containers(apps) == {}
        restarted_at = int(time.time())
        again = apps.sock_dir("alice", "sleepy", "alice.localhost")
        assert "hello from the app" in page(again)
        new = docker.engine().find(name)
        assert new is not None and new.id != old.id and new.running
        # a fresh start: a new token, the same hardening
        attrs = docker.engine().client.api.inspect_container(new.id)
        env = dict(e.split("=", 1) for e in attrs["Config"]["Env"])
        claims = jwt.decode(env["COZY_TOKEN"], options={"verify_signature": False})
        assert claims["iat"] >= restarted_at and claims["sub"] == "sleepy"
        assert attrs["HostConfig"]["ReadonlyRootfs"] and attrs["HostConfig"]["CapDrop"] == \
            ["ALL"] and attrs["HostConfig"]["NetworkMode"] == "none"
        assert apps.stats["idle_stops"] == 1 and apps.stats["starts"] == 2
    finally:
        apps.close()
    assert containers(apps) == {}


def test_at_the_cap_the_least_recently_used_app_makes_room(sb, image):
    for slug in ("one", "two", "three"):
        install(sb, "alice", slug, image)
    clock = Clock()
    apps = running(sb, clock, cap=2)
    try:
        apps.sock_dir("alice", "one", "alice.localhost")
        clock.now += 10
        apps.sock_dir("alice", "two", "alice.localhost")
        clock.now += 10
        apps.sock_dir("alice", "one", "alice.localhost")   # "two" is now the older use
        clock.now += 10
        apps.sock_dir("alice", "three", "alice.localhost")
        apps.settle()   # the evicted one's removal goes on beside the start
        assert containers(apps) == {apps.container_name("alice", "one"): True,
                                    apps.container_name("alice", "three"): True}
        assert apps.stats["evictions"] == 1
        assert "two" not in {s for _, s in apps._running}
        # the evicted one comes back on its next request, and "one" (least recent) goes
        clock.now += 10
        apps.sock_dir("alice", "two", "alice.localhost")
        apps.settle()
        assert set(containers(apps)) == {apps.container_name("alice", "three"),
                                         apps.container_name("alice", "two")}
    finally:
        apps.close()


def test_two_processes_start_one_container_count_one_cap_and_agree_on_idleness(shared_db,
                                                                             image):
    """Two RunningApps on one database and one engine, as two worker processes would be;
    both asked for the same app at the same moment."""
    install(shared_db, "alice", "shared", image)
    install(shared_db, "alice", "other", image)
    clock = Clock()
    a = running(shared_db, clock, cap=1, idle_s=100)
    b = running(shared_db, clock, cap=1, idle_s=100)
    try:
        with ThreadPoolExecutor(2) as pool:
            dirs = list(pool.map(lambda apps: apps.sock_dir("alice", "shared", "alice.localhost"),
                            [a, b]))
        assert len(set(dirs)) == 1                       # one container, one socket folder
        assert containers(a) == {a.container_name("alice", "shared"): True}
        assert a.stats["starts"] + b.stats["starts"] == 1
        assert a.stats["adopted"] + b.stats["adopted"] == 1
        assert "hello from the app" in page(dirs[0])
        # the cap counts both processes' containers: b starting "other" evicts "shared"
        clock.now += 10
        b.sock_dir("alice", "other", "alice.localhost")
        b.settle()
        assert containers(a) == {a.container_name("alice", "other"): True}
        # a's use of "other" is written (its reaper pass) and b agrees it is not idle
        clock.now += 60
        a.sock_dir("alice", "other", "alice.localhost")
        a.reap()
        clock.now += 60
        assert b.reap() == [] and containers(a) == {a.container_name("alice", "other"): True}
        clock.now += 41
        assert set(a.reap() + b.reap()) == {("alice", "other")}
        assert containers(a) == {}
        # and both start it again, once
        with ThreadPoolExecutor(2) as pool:
            dirs = list(pool.map(lambda apps: apps.sock_dir("alice", "other", "alice.localhost"),
                            [a, b]))
        assert len(set(dirs)) == 1 and len(containers(a)) == 1
    finally:
        b.close()
        a.close()
        for c in docker.engine().listing(f"selfdata.owner={a.owner}"):
            docker.engine().remove(c.id)


def test_a_page_of_an_app_still_starting_says_so_and_reloads_while_the_api_waits(
        tmp_path, image, monkeypatch):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}", app_starting_page_s=0)
    with LiveServer(settings) as server:
        install(server.sandbox, "alice", "sleepy", image)
        apps = server.app.state.apps.running
        go = threading.Event()
        start = apps.sock_dir

        def held_start(instance: str, slug: str, domain: str) -> str:
            assert go.wait(60)   # the start takes as long as the test says
            return start(instance, slug, domain)

        monkeypatch.setattr(apps, "sock_dir", held_start)
        host = f"sleepy.alice.localhost:{server.port}"
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for lang, title in (("en", "Starting Sleepy…"), ("fr", "Démarrage de Sleepy…")):
                r = c.get("/", headers={"Host": host, "Accept": "text/html,*/*;q=0.8",
                                        "Accept-Language": lang})
                assert r.status_code == 503 and r.headers["retry-after"] == "2"
                assert f"<h1>{title}</h1>" in r.text
                assert '<meta http-equiv="refresh" content="2">' in r.text
                assert f'lang="{lang}"' in r.text
            go.set()
            r = c.get("/", headers={"Host": host, "Accept": "*/*"})   # a script: it waits
            assert r.status_code == 200 and "hello from the app" in r.text
            r = c.get("/", headers={"Host": host, "Accept": "text/html"})
            assert r.status_code == 200 and "hello from the app" in r.text
            # removed behind this process's back (another worker's eviction): the next
            # request finds the socket refused, asks the engine, and starts it again
            gone = docker.engine().find(apps.container_name("alice", "sleepy"))
            docker.engine().remove(gone.id)
            r = c.get("/", headers={"Host": host, "Accept": "*/*"})
            assert r.status_code == 200 and "hello from the app" in r.text
        now = docker.engine().find(apps.container_name("alice", "sleepy"))
        assert now is not None and now.running and now.id != gone.id
    assert containers(apps) == {}


def test_a_container_whose_process_is_gone_is_replaced_not_adopted(sb, image):
    """A worker that dies leaves its containers without their API (it served their api.sock):
    the next process removes them and starts its own."""
    install(sb, "alice", "sleepy", image)
    clock = Clock()
    a = running(sb, clock)
    b = running(sb, clock)
    try:
        first = a.sock_dir("alice", "sleepy", "alice.localhost")
        old = docker.engine().find(a.container_name("alice", "sleepy"))
        a.runner().bridges.close(os.path.join(first, "api.sock"))   # a's process is gone
        again = b.sock_dir("alice", "sleepy", "alice.localhost")
        new = docker.engine().find(b.container_name("alice", "sleepy"))
        assert new is not None and old is not None and new.id != old.id and new.running
        assert b.stats["adopted"] == 0 and b.stats["starts"] == 1 and again != first
        assert not os.path.exists(first)    # the gone process's socket folder too
        assert "hello from the app" in page(again)
    finally:
        b.close()
        a.close()
    assert containers(a) == {}
