"""Attack: an app that never answers (or a container slow to start), hit by many requests at
once, made the sandbox's own routes slow for every tester. Held by: a bounded number of
requests in flight per app (the next ones wait a moment, then 503), a time limit to answer
(504), and container starts in threads of their own, one per app at a time."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sandbox.apps.dev_installs import DevTarget
from sandbox.errors import AppUnavailable
from sandbox.settings import Settings
from tests.support.served import LiveServer

RELEASE = threading.Event()
ARRIVED = threading.Semaphore(0)

# The storm comes from another process, as real clients would: the test's own threads would
# otherwise compete with the server for this process's interpreter.
STORM = """
import asyncio, collections, json, sys, httpx
url, host, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
async def main():
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=n)) as c:
        codes = await asyncio.gather(*(c.get(url, headers={"Host": host}) for _ in range(n)))
    print(json.dumps(collections.Counter(r.status_code for r in codes)))
asyncio.run(main())
"""


class Hang(BaseHTTPRequestHandler):
    def do_GET(self):
        ARRIVED.release()
        RELEASE.wait(60)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def live(tmp_path):
    RELEASE.clear()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}", app_max_in_flight=8,
                        app_queue_s=1, app_answer_timeout_s=4)
    with LiveServer(settings) as server:
        server.sandbox.instances.create("alice")
        yield server
    RELEASE.set()


def storm(live, host: str, n: int = 60) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", STORM, live.url + "/", host, str(n)],
                            stdout=subprocess.PIPE, text=True)


def codes_of(proc: subprocess.Popen) -> dict[int, int]:
    out, _ = proc.communicate(timeout=60)
    return {int(k): v for k, v in json.loads(out).items()}


def assert_the_sandbox_stays_fast(live) -> None:
    token = live.sandbox.cli_token("alice", "io.cozy.bills:GET")
    with httpx.Client(base_url=live.url, timeout=10) as c:
        for _ in range(5):
            t = time.perf_counter()
            assert c.get("/status/").status_code == 200
            page = c.get("/", headers={"Host": f"alice.localhost:{live.port}"})
            assert page.status_code == 200   # a page: the database, the thread pool
            assert c.get("/data/io.cozy.bills/_all_docs",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 404
            assert time.perf_counter() - t < 1.0


def test_an_app_that_hangs_cannot_starve_the_sandbox(live):
    hanging = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    threading.Thread(target=hanging.serve_forever, daemon=True).start()
    live.app.state.apps.dev_targets[("alice", "hang")] = \
        DevTarget(f"http://127.0.0.1:{hanging.server_port}")
    try:
        proc = storm(live, f"hang.alice.localhost:{live.port}")
        for _ in range(8):   # the storm is on: as many requests as the app may have
            assert ARRIVED.acquire(timeout=30)
        assert_the_sandbox_stays_fast(live)
        codes = codes_of(proc)
        assert codes == {504: 8, 503: 52}  # let in then timed out; turned away after a moment
    finally:
        RELEASE.set()
        hanging.shutdown()
        hanging.server_close()


def test_a_container_slow_to_start_holds_one_thread_not_the_sandbox(live, monkeypatch):
    started = threading.Event()
    starting, most = [0], [0]
    guard = threading.Lock()

    def slow_start(instance, slug, domain):
        with guard:
            starting[0] += 1
            most[0] = max(most[0], starting[0])
        started.set()
        RELEASE.wait(20)
        with guard:
            starting[0] -= 1
        raise AppUnavailable(f"{slug} did not start")

    monkeypatch.setattr(live.app.state.apps.running, "sock_dir", slow_start)
    proc = storm(live, f"slow.alice.localhost:{live.port}", n=40)
    assert started.wait(30)
    assert_the_sandbox_stays_fast(live)
    RELEASE.set()
    codes = codes_of(proc)
    assert set(codes) <= {503} and most[0] == 1   # one start at a time for the app
