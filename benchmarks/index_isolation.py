"""How much one tenant's index creation slows another tenant's writes (SQLite, one machine).

    .venv/bin/python benchmarks/index_isolation.py [--docs 500000] [--indexes 150]

The table holds ``--docs`` documents of other testers and ``--own`` of tenant A's (a
household-year has about 62,000, the largest doctype about 35,000); tenant B writes 40
batches of 250 new documents through ``_bulk_docs`` (the domain call the API makes), first
alone (the baseline), then while A asks
for ``--indexes`` indexes with distinct fields as fast as it can, as a hostile app would. It
prints B's wall time and per-batch p50/p99 in both runs and the ratio, and how many of A's
index requests were served, refused (the cap) or delayed (the build budget).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.errors import SandboxError  # noqa: E402
from sandbox.service import Sandbox  # noqa: E402
from sandbox.settings import Settings  # noqa: E402


def fill(sb: Sandbox, inst_id: int, n: int) -> None:
    for start in range(0, n, 20_000):
        sb.documents.load(inst_id, "bench.loaded", [
            {"k": i, "f": {f"x{j}": (i * j) % 97 for j in range(10)}, "pad": "p" * 200}
            for i in range(start, min(n, start + 20_000))])


def writes(sb: Sandbox, inst_id: int, tag: str) -> list[float]:
    out = []
    for b in range(40):
        docs = [{"tag": tag, "b": b, "k": k, "pad": "q" * 200} for k in range(250)]
        t = time.perf_counter()
        res = sb.documents.bulk_docs(inst_id, "bench.writes", docs)
        out.append(time.perf_counter() - t)
        assert all(r.get("ok") for r in res)
    return out


def storm(sb: Sandbox, inst_id: int, n: int, stop: threading.Event, tally: dict) -> None:
    for i in range(n):
        if stop.is_set():
            return
        try:
            sb.indexes.define_index(inst_id, "bench.loaded", {
                "index": {"fields": [f"f.x{i % 10}", f"k{i}"]}, "ddoc": f"ix{i}"})
            tally["created"] += 1
        except SandboxError as exc:
            tally[type(exc).__name__] = tally.get(type(exc).__name__, 0) + 1


def summary(label: str, lat: list[float], wall: float) -> str:
    q = statistics.quantiles(lat, n=100)
    return (f"  {label:<34} {wall:7.2f} s   p50 {q[49] * 1000:7.1f} ms   "
            f"p99 {q[98] * 1000:8.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=500_000)
    ap.add_argument("--own", type=int, default=20_000)
    ap.add_argument("--indexes", type=int, default=150)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="index-bench-") as tmp:
        sb = Sandbox(Settings(database_url=f"sqlite:///{Path(tmp) / 'b.db'}"))
        a = sb.instances.create("tenant-a")
        b = sb.instances.create("tenant-b")
        c = sb.instances.create("tenant-c")
        t = time.perf_counter()
        fill(sb, c.id, args.docs)
        fill(sb, a.id, args.own)
        print(f"{args.docs:,} documents of other testers and {args.own:,} of tenant A, loaded "
              f"in {time.perf_counter() - t:.1f} s; tenant B writes 40 x 250 documents")
        t = time.perf_counter()
        alone = writes(sb, b.id, "alone")
        wall_alone = time.perf_counter() - t
        print(summary("B alone", alone, wall_alone))
        stop = threading.Event()
        tally: dict = {"created": 0}
        hostile = threading.Thread(target=storm, args=(sb, a.id, args.indexes, stop, tally))
        t = time.perf_counter()
        hostile.start()
        during = writes(sb, b.id, "during")
        wall_during = time.perf_counter() - t
        stop.set()
        hostile.join()
        print(summary(f"B while A asks for {args.indexes} indexes", during, wall_during))
        print(f"  slowdown of B: {wall_during / wall_alone:.2f}x wall, "
              f"{statistics.median(during) / statistics.median(alone):.2f}x p50; "
              f"A's index requests: {tally}")
        sb.close()


if __name__ == "__main__":
    main()
