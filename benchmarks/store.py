"""App store speed on a real Docker engine: submission → ready for review.

    DOCKER_HOST=$(scripts/ensure-docker.sh) .venv/bin/python benchmarks/store.py
    ... --concurrent 20 --base     # also time a from-scratch base image (about a minute)

1. Each sample app, cold: a fresh store (empty wheel cache, no layer of it cached, the private
   smoke sandbox not yet started), then warm: the same app resubmitted with a higher version
   (wheels and layers cached). Seconds from upload to ``awaiting-review``, and the split
   between checking, building and smoke-testing taken from the submission's own history.
2. ``--concurrent`` submissions of a small Python app at once: all must reach a final state or
   ``awaiting-review`` (none lost); throughput per minute with 2 build workers, against 1 worker
   in the same run (the baseline).
3. ``--base``: the base image built from scratch (debootstrap + import + finish) under a
   throwaway tag.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from app_store import accounts  # noqa: E402
from app_store.build_farm import base_image as bi  # noqa: E402
from app_store.client import StoreClient  # noqa: E402
from app_store.packing import pack  # noqa: E402
from app_store.settings import StoreSettings  # noqa: E402
from app_store.web.app import create_app  # noqa: E402
from sandbox.runtime.engine import DockerEngine  # noqa: E402


def with_version(data: bytes, version: str) -> bytes:
    """The same archive with another manifest version (a resubmission)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as src, \
            tarfile.open(fileobj=out, mode="w:gz") as dst:
        for m in src.getmembers():
            body = src.extractfile(m).read()
            if m.name == "manifest.webapp":
                man = json.loads(body)
                man["version"] = version
                body = json.dumps(man).encode()
                m.size = len(body)
            dst.addfile(m, io.BytesIO(body))
    return out.getvalue()


def small_app(slug: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d)
        (p / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
        (p / "server.py").write_text(
            "import os\nfrom http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
            "class H(BaseHTTPRequestHandler):\n    def do_GET(self):\n"
            "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
            "ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n")
        (p / "manifest.webapp").write_text(json.dumps({
            "name": slug, "slug": slug, "version": "1.0.0", "editor": "Bench", "license": "MIT",
            "icon": "icon.svg", "short_description": "A benchmark app.",
            "long_description": "Answers its health route; reads nothing.",
            "permissions": {}, "runtime": {"type": "python", "command": ["python3", "server.py"],
                                           "health": "/health"}}))
        return pack(p)


class Bench:
    def __init__(self, workers: int):
        self.tmp = tempfile.TemporaryDirectory(prefix="store-bench-")
        d = Path(self.tmp.name)
        # a wheel cache of its own: "cold" resolves the dependencies from PyPI again
        self.app = create_app(StoreSettings(database_url=f"sqlite:///{d / 'store.db'}",
                                            data_dir=d, workers=workers,
                                            wheel_cache=str(d / "wheels")))
        self.client = TestClient(self.app).__enter__()
        _, token = accounts.create(self.app.state.store.db, "Bench", "team")
        self.store = StoreClient("http://testserver", token, http=self.client)

    def submit(self, data: bytes, name: str) -> int:
        return self.store.submit(data, name)

    def wait(self, ids: list[int], timeout: float = 900) -> dict[int, dict]:
        deadline = time.monotonic() + timeout
        return {i: self.store.wait(i, max(1.0, deadline - time.monotonic()), every_s=0.1)
                for i in ids}

    def close(self) -> None:
        self.app.state.store.farm.forget_images()
        self.client.__exit__(None, None, None)
        self.tmp.cleanup()


def steps(info: dict) -> str:
    h = {e["state"]: e["at"] for e in info["history"]}
    parts = []
    for a, b, label in (("checking", "building", "check"), ("building", "smoke-testing", "build"),
                        ("smoke-testing", "awaiting-review", "smoke")):
        if a in h and b in h:
            parts.append(f"{label} {h[b] - h[a]:.1f}")
    return ", ".join(parts)


def per_app() -> None:
    apps = sorted(p for p in (ROOT / "sample_apps").iterdir() if (p / "manifest.webapp").exists())
    # Cold means cold: no layer of an earlier app build left on the engine.
    eng = DockerEngine()
    old = eng.images("selfdata.app")
    for image_id in old:
        eng.remove_image(image_id)
    print(f"1. Submission -> ready for review, {len(apps)} sample apps (seconds; "
          f"{len(old)} earlier app images removed first)")
    print(f"   {'app':<22}{'cold':>8}{'warm':>8}   split (cold | warm)")
    b = Bench(workers=1)
    try:
        for d in apps:
            data = pack(d)
            t = time.monotonic()
            cold = b.wait([sid := b.submit(data, f"{d.name}.tar.gz")])[sid]
            tc = time.monotonic() - t
            t = time.monotonic()
            warm = b.wait([sid := b.submit(with_version(data, "1.0.1"), f"{d.name}.tar.gz")])[sid]
            tw = time.monotonic() - t
            flag = "" if cold["state"] == warm["state"] == "awaiting-review" else \
                f"  !! {cold['state']}/{warm['state']}: {cold['reason'] or warm['reason']}"
            print(f"   {d.name:<22}{tc:>8.1f}{tw:>8.1f}   {steps(cold)} | {steps(warm)}{flag}")
    finally:
        b.close()


_LOCK = threading.Lock()


def _submit_into(b: Bench, data: bytes, i: int, ids: list[int]) -> None:
    sid = b.submit(data, f"a{i}.tar.gz")
    with _LOCK:
        ids.append(sid)


def concurrent(n: int) -> None:
    print(f"2. {n} submissions at once (a small Python app each)")
    rates = {}
    for workers in (1, 2):
        b = Bench(workers=workers)
        try:
            b.wait([b.submit(small_app("warmup"), "w.tar.gz")])  # base checks, smoke sandbox
            datas = [small_app(f"bench-{workers}-{i:02d}") for i in range(n)]
            ids: list[int] = []
            t = time.monotonic()
            threads = [threading.Thread(target=_submit_into, args=(b, d, i, ids))
                       for i, d in enumerate(datas)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            done = b.wait(ids)
            took = time.monotonic() - t
            states = [i["state"] for i in done.values()]
            rows = b.client.get("/api/submissions", headers=b.h).json()["data"]
            lat = [i["updated_at"] - i["created_at"] for i in done.values()]
            rates[workers] = n / took * 60
            print(f"   {workers} worker(s): {len(done)}/{n} reached a final state "
                  f"({states.count('awaiting-review')} ready for review), {len(rows) - 1} "
                  f"stored, none lost: {len(done) == n == len(rows) - 1}; {took:.1f} s, "
                  f"{rates[workers]:.1f} submissions/min, median latency "
                  f"{statistics.median(lat):.1f} s")
        finally:
            b.close()
    print(f"   2 workers vs 1 (baseline): {rates[2] / rates[1]:.2f}x the throughput")


def base_image() -> None:
    eng = DockerEngine()
    tag = "selfdata/base:bench"
    root = "selfdata/base-root:bench"
    eng.remove_image(tag)
    eng.remove_image(root)
    t = time.monotonic()
    orig = bi._root_digest
    bi._root_digest = lambda: "bench"
    try:
        bi.ensure_base_image(eng, tag, log=lambda m: None)
    finally:
        bi._root_digest = orig
    print(f"3. Base image from scratch (debootstrap + import + finish): "
          f"{time.monotonic() - t:.1f} s")
    eng.remove_image(tag)
    eng.remove_image(root)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrent", type=int, default=20)
    ap.add_argument("--base", action="store_true")
    args = ap.parse_args()
    bi.ensure_base_image(DockerEngine(), log=lambda m: print(m))
    per_app()
    if args.concurrent:
        concurrent(args.concurrent)
    if args.base:
        base_image()


if __name__ == "__main__":
    main()
