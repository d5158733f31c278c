"""Installed apps, scaled to zero: cold start, warm latency and throughput through the proxy,
and how many containers run when many testers use their apps.

    export DOCKER_HOST=$(scripts/ensure-docker.sh)
    .venv/bin/python benchmarks/apps.py                       # budget + mesinfos-classic
    .venv/bin/python benchmarks/apps.py --testers 50 --cap 12 --seconds 10

Two sample apps (``budget``, a python server, and ``mesinfos-classic``, static files) are built
into images as the store builds them (same Dockerfile, no dependencies to resolve) and installed
in a fresh sandbox served by uvicorn in a process of its own (``create_app``, one worker):

1. cold start: time to the first byte of ``GET <health route>`` (``/health``; a static app's
   index page) at the app's address when its container
   is stopped (the request waits; a page would get the "starting" page past 1.5 s), ``--cold``
   times, each after the reaper stopped the container as idle (``app_idle_s`` = 3 s);
2. warm latency: the same request one after another on one keep-alive connection, p50 and p99,
   through the proxy and straight to the container's socket;
3. requests/s: ``--connections`` keep-alive connections for ``--seconds``, from a load process
   of their own (the same client both ways), through the proxy and straight to the container;
4. scale: ``--testers`` testers each open their 2 apps in turn (a second server, cap
   ``--cap``, idle 300 s): the most containers seen running, starts, evictions, and the time to
   first byte of those requests (each a cold start: 2 × testers > cap).
Everything listens on 127.0.0.1 and is removed at the end (containers, images, files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app_store.build_farm.base_image import ensure_base_image  # noqa: E402
from app_store.build_farm.context import build_context  # noqa: E402
from sandbox.apps.records import STORE  # noqa: E402
from sandbox.contract.manifest import manifest_from_json  # noqa: E402
from sandbox.runtime.engine import DockerEngine  # noqa: E402
from sandbox.runtime.runner import SOCKDIR_LABEL  # noqa: E402
from sandbox.service import Sandbox  # noqa: E402
from sandbox.settings import Settings  # noqa: E402

APPS = ("budget", "mesinfos-classic")


def health(slug: str) -> str:
    """The path the app answers cheaply: its health route (a static app's index page)."""
    m = manifest_from_json((ROOT / "sample_apps" / slug / "manifest.webapp").read_bytes())
    return m.runtime.health_path
BENCH_OWNER = "apps-benchmark"

SERVER = """
import sys, uvicorn
from sandbox.settings import Settings
from sandbox.web.app import create_app
uvicorn.run(create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", access_log=False)
"""

# The load process: N keep-alive connections sending GET path for D seconds; prints its
# counts and latencies. Raw HTTP/1.1 on asyncio streams, the same for TCP and unix sockets.
LOAD = """
import asyncio, json, sys, time
kind, where, host, path, n, seconds, most = sys.argv[1:8]
n, seconds, most = int(n), float(seconds), int(most)
REQ = f"GET {path} HTTP/1.1\\r\\nHost: {host}\\r\\nAccept: */*\\r\\n\\r\\n".encode()
async def connect():
    if kind == "unix":
        return await asyncio.open_unix_connection(where)
    h, p = where.split(":")
    return await asyncio.open_connection(h, int(p))
async def conn(stop, lat, errors):
    r, w = await connect()
    while time.monotonic() < stop and len(lat) < most:
        t = time.perf_counter()
        try:
            w.write(REQ)
            head = await r.readuntil(b"\\r\\n\\r\\n")
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors.append(type(exc).__name__)
            w.close()
            r, w = await connect()
            continue
        lines = head.lower().split(b"\\r\\n")
        length = next((int(x.split(b":")[1]) for x in lines
                       if x.startswith(b"content-length:")), None)
        closes = b"connection: close" in lines or head.startswith(b"HTTP/1.0")
        if length is not None:
            await r.readexactly(length)
        else:
            await r.read()
        lat.append(time.perf_counter() - t)
        if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            errors.append(head[:40])
        if closes or length is None:   # an HTTP/1.0 server: one request per connection
            w.close()
            r, w = await connect()
    w.close()
async def main():
    lat, errors = [], []
    start = time.monotonic()
    await asyncio.gather(*(conn(start + seconds, lat, errors) for _ in range(n)))
    took = time.monotonic() - start
    lat.sort()
    print(json.dumps({"n": len(lat), "s": took, "errors": len(errors),
                      "p50": lat[len(lat) // 2], "p99": lat[int(len(lat) * .99)]}))
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_images(engine: DockerEngine) -> dict[str, tuple[str, str]]:
    """slug → (image id, sha256 of its files): the sample apps built as the store builds them."""
    base = ensure_base_image(engine, log=lambda _m: None)
    out = {}
    for slug in APPS:
        folder = ROOT / "sample_apps" / slug
        files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                 if p.is_file() and "screenshots" not in p.parts}
        m = manifest_from_json(files["manifest.webapp"])
        sha = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items())))
        ok, log, image = engine.build(build_context(files, m, base, None, None),
                                      f"selfdata-bench/{slug}:1",
                                      {"selfdata.sha256": sha.hexdigest(),
                                       "selfdata.owner": BENCH_OWNER}, 600)
        assert ok and image, log
        out[slug] = (image, sha.hexdigest())
    return out


class Server:
    """A sandbox on ``db`` with ``testers`` instances and both apps installed in each, served
    by uvicorn in its own process."""

    def __init__(self, folder: Path, images: dict, testers: int, env: dict[str, str]):
        self.db = f"sqlite:///{folder / 'sandbox.db'}"
        sb = Sandbox(Settings(database_url=self.db))
        self.names = [f"tester-{i:04d}" for i in range(testers)]
        for name in self.names:
            inst = sb.instances.create(name)
            for slug in APPS:
                files = (ROOT / "sample_apps" / slug / "manifest.webapp").read_bytes()
                image, sha = images[slug]
                sb.installs.install(inst, manifest_from_json(files), STORE, sha256=sha,
                                    image_id=image)
        sb.close()
        self.port = free_port()
        self.owner = "sandbox-" + hashlib.sha256(self.db.encode()).hexdigest()[:12]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)], cwd=ROOT,
            env={**os.environ, "SELFDATA_DATABASE_URL": self.db,
                 "SELFDATA_PORT": str(self.port), **env})
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)

    def host(self, slug: str, name: str) -> str:
        return f"{slug}.{name}.localhost:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def first_byte(port: int, host: str, path: str = "/health") -> tuple[float, int]:
    """Seconds to the first byte of the answer, and its status (a fresh connection)."""
    t = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), 120) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n"
                  "Connection: close\r\n\r\n".encode())
        first = s.recv(1)
        took = time.perf_counter() - t
        rest = first + s.recv(64)
        while s.recv(65536):
            pass
    return took, int(rest.split(b" ")[1])


def running(engine: DockerEngine, owner: str) -> list:
    return [c for c in engine.listing(f"selfdata.owner={owner}") if c.running]


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout_s} s")
        time.sleep(0.1)   # polling the engine: it has no event for "the reaper removed it"


def load(kind: str, where: str, host: str, path: str, connections: int, seconds: float,
         most: int = 10**9) -> dict:
    """Requests from a process of their own: count, req/s, p50, p99 (seconds)."""
    out = subprocess.run([sys.executable, "-c", LOAD, kind, where, host, path,
                          str(connections), str(seconds), str(most)], capture_output=True,
                         text=True, timeout=seconds + 120)
    if out.returncode:
        raise RuntimeError(f"the load process failed: {out.stderr[-2000:]}")
    r = json.loads(out.stdout)
    r["rps"] = r["n"] / r["s"]
    return r


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cold", type=int, default=5, help="cold starts measured per app")
    ap.add_argument("--seconds", type=float, default=5, help="length of each throughput run")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--testers", type=int, default=20)
    ap.add_argument("--cap", type=int, default=8)
    args = ap.parse_args()
    engine = DockerEngine()
    tmp = Path(tempfile.mkdtemp(prefix="bench-apps-"))
    images = build_images(engine)
    servers: list[Server] = []
    try:
        # 1: one tester, idle stop after 3 s so each cold start follows a real idle stop
        srv = Server(tmp / "cold", images, 1, {"SELFDATA_APP_IDLE_S": "3"})
        servers.append(srv)
        print(f"apps benchmark: sandbox on 127.0.0.1 (1 worker), Docker {engine.ping()}, "
              f"{os.cpu_count()} cores")
        for slug in APPS:
            host, path = srv.host(slug, srv.names[0]), health(slug)
            colds = []
            for _ in range(args.cold):
                wait_for(lambda: not running(engine, srv.owner), 30, "idle stop")
                took, status = first_byte(srv.port, host, path)
                assert status == 200, status
                colds.append(took)
            print(f"{slug}: cold start, first byte of GET {path} (n={len(colds)}): "
                  f"p50 {ms(float(np.median(colds)))}, max {ms(max(colds))}")
        srv.stop()
        # 2-4: many testers, two apps each, a cap; idle 300 s (nothing stops while measured)
        srv = Server(tmp / "many", images, args.testers,
                     {"SELFDATA_APP_IDLE_S": "300", "SELFDATA_APP_MAX_RUNNING": str(args.cap)})
        servers.append(srv)
        for slug in APPS:
            host, path = srv.host(slug, srv.names[0]), health(slug)
            first_byte(srv.port, host, path)
            box = next(c for c in running(engine, srv.owner)
                       if c.labels["selfdata.app"] == slug)
            app_sock = os.path.join(box.labels[SOCKDIR_LABEL], "app.sock")
            for label, kind, where in (("proxy", "tcp", f"127.0.0.1:{srv.port}"),
                                       ("direct", "unix", app_sock)):
                one = load(kind, where, host, path, 1, 60, most=500)   # one after another
                r = load(kind, where, host, path, args.connections, args.seconds)
                print(f"{slug}: {label:6s} warm GET {path} p50 {ms(one['p50'])}, p99 "
                      f"{ms(one['p99'])}; {args.connections} connections: "
                      f"{r['rps']:.0f} req/s (p50 {ms(r['p50'])}, p99 {ms(r['p99'])}, "
                      f"{r['errors']} failed)")
        for c in engine.listing(f"selfdata.owner={srv.owner}"):   # the scale run starts at 0
            engine.remove(c.id)
        # 4: every tester opens both apps in turn
        most, seen, firsts = 0, set(), []
        t0 = time.perf_counter()
        for name in srv.names:
            for slug in APPS:
                took, status = first_byte(srv.port, srv.host(slug, name), health(slug))
                assert status == 200, status
                firsts.append(took)
                now = running(engine, srv.owner)
                most = max(most, len(now))
                seen |= {c.id for c in now}
        total = time.perf_counter() - t0
        left = len(running(engine, srv.owner))
        print(f"scale: {args.testers} testers x {len(APPS)} apps in turn, cap {args.cap}: "
              f"most running {most}, starts {len(seen)}, evictions {len(seen) - left}, "
              f"first byte p50 {ms(float(np.median(firsts)))}, p99 "
              f"{ms(float(np.percentile(firsts, 99)))}, {total:.1f} s in all")
    finally:
        for srv in servers:
            if srv.proc.poll() is None:
                srv.stop()
            for c in engine.listing(f"selfdata.owner={srv.owner}"):
                engine.remove(c.id)
        for image, _ in images.values():
            engine.remove_image(image)
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
