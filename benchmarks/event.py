"""An event's size on one machine: `selfdata up` with on-demand instances.

    .venv/bin/python benchmarks/event.py                       # 20, 200, 2,000 testers
    .venv/bin/python benchmarks/event.py --testers 20,200 --opened 20 --strategies 4

In one run, printed side by side:
1. loading strategies for one household-year, on the households 1…K of seed 42 (the first is
   a showcase, larger): generated straight into the database (what a first use does), written
   to NDJSON and loaded from the files (the eager path), and a copy of an instance already
   loaded, made inside the database (template cloning; it needs the household loaded first);
2. for each tester count, `selfdata up -n N --no-samples` as a real process with no container
   engine (the figure is about the data, not the apps): seconds from the command to every URL
   it prints answering (sandbox home, first dashboard, data browser, API reference and
   OpenAPI, store catalogue, organiser console, challenges, store API docs);
3. at the largest count, ``--opened`` never-opened testers each open their dashboard (the
   first request, its latency: p50, p99, max) then run one ``_find`` (tokens are minted from the
   instances' secrets, which loads nothing); the server's peak RSS (the `up` process and its
   worker processes, each one's own peak, summed) and the disk used (database and files)
   before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.auth import tokens  # noqa: E402
from sandbox.loader import load_generated, load_population  # noqa: E402
from sandbox.service import Sandbox  # noqa: E402
from sandbox.settings import Settings  # noqa: E402
from synthetic_data.calendar_fr import Period  # noqa: E402
from synthetic_data.population import describe, generate_household  # noqa: E402
from synthetic_data.writers import write_household  # noqa: E402

SEED, START = 42, date(2025, 1, 1)
READY = "Serving (Ctrl-C to stop)"


def strategies(count: int, folder: Path) -> dict[str, list[float]]:
    """Seconds per household for each way of getting it into an instance."""
    period = Period.of_years(START, 1)
    out: dict[str, list[float]] = {"docs": [], "generate": [], "straight": [], "files": [],
                                   "clone": [], "straight_cpu": []}
    sb = Sandbox(Settings(database_url=f"sqlite:///{folder / 's.db'}",
                          files_dir=str(folder / "files"), live_engine=False))
    try:
        for index in range(1, count + 1):
            t0, cpu = time.perf_counter(), time.process_time()
            data = generate_household(SEED, index, period)
            t1 = time.perf_counter()
            inst = sb.instances.create(f"straight{index}", profile=describe(data))
            n = load_generated(sb, inst, data)
            t2 = time.perf_counter()
            out["straight_cpu"].append(time.process_time() - cpu)
            pop = folder / f"pop{index}"
            write_household(pop, data.household.instance, data.batches, "ndjson", data.blobs)
            (pop / "manifest.json").write_bytes(orjson.dumps({
                "seed": SEED, "format": "ndjson", "households": [describe(data)]}))
            load_population(sb, pop)
            t4 = time.perf_counter()
            sb.instances.clone(f"straight{index}", f"clone{index}")
            t5 = time.perf_counter()
            out["docs"].append(n)
            out["generate"].append(t1 - t0)
            out["straight"].append(t2 - t0)
            out["files"].append((t1 - t0) + (t4 - t2))
            out["clone"].append(t5 - t4)
            shutil.rmtree(pop)
    finally:
        sb.close()
    return out


class Up:
    """`selfdata up` in its own folder, read line by line."""

    def __init__(self, folder: Path, testers: int):
        self.folder = folder
        self.database = folder / "var" / "sandbox.db"
        env = {**os.environ, "DOCKER_HOST": f"unix://{folder}/no-docker.sock"}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "selfdata.cli", "up", "-n", str(testers), "--seed", str(SEED),
             "--start", START.isoformat(), "--port", "0", "--store-port", "0", "--no-samples",
             "--data", str(folder / "pop"), "--database", str(self.database)],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if READY in line:
                self.ready.set()
        self.ready.set()

    def urls(self) -> list[tuple[str, str]]:
        """(URL, Host header) of every address `up` printed."""
        out = "".join(self.lines)
        found = re.findall(r"(http://[a-z0-9.-]+:\d+/[^\s,()\"]*)", out)
        urls = []
        for u in dict.fromkeys(found):
            if "/data/" in u:  # the curl example: an API call with the printed token
                continue
            host = re.match(r"http://([^/]+)", u)[1]
            port = host.rsplit(":", 1)[1]
            urls.append((re.sub(r"http://[^/]+", f"http://127.0.0.1:{port}", u), host))
        return urls

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def answers(url: str, host: str, timeout: float = 30) -> int:
    req = urllib.request.Request(url, headers={"Host": host, "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def time_to_urls(testers: int, folder: Path) -> tuple[float, Up, list[tuple[str, str]]]:
    up = Up(folder, testers)
    assert up.ready.wait(900), "".join(up.lines)
    assert up.proc.poll() is None, "".join(up.lines)
    urls = up.urls()
    pending = list(urls)
    while pending:
        pending = [(u, h) for u, h in pending if answers(u, h) != 200]
        if pending and time.monotonic() - up.started > 600:
            raise RuntimeError(f"not answering after 10 minutes: {pending}")
        if pending:
            time.sleep(0.1)  # polling servers that are starting: nothing else to wait on
    return time.monotonic() - up.started, up, urls


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (`selfdata up` serves from worker processes)."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(stat.parent.name)] = int(fields[1])
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    return tree


def _status_mib(pid: int, field: str) -> float:
    """One ``/proc/PID/status`` memory field summed over the process and its descendants."""
    total = 0
    for p in _tree(pid):
        try:
            total += int(re.search(rf"{field}:\s+(\d+) kB",
                                   Path(f"/proc/{p}/status").read_text())[1])
        except (OSError, TypeError):
            continue
    return total / 1024


def rss_peak_mib(pid: int) -> float:
    """The sum of each process's own peak: an upper bound of the tree's peak."""
    return _status_mib(pid, "VmHWM")


def rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS")


def disk_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def first_uses(up: Up, opened: int) -> dict[str, list[float]]:
    """``opened`` never-opened testers: dashboard (timed), then one ``_find``."""
    port = int(re.search(r"Sandbox \(personal clouds\)\s+http://127\.0\.0\.1:(\d+)/",
                         "".join(up.lines))[1])
    db = sqlite3.connect(up.database)
    rows = db.execute("SELECT i.name, i.secret FROM instances i JOIN pending_instances p "
                      "ON p.instance_id = i.id ORDER BY i.id").fetchall()
    db.close()
    step = max(1, len(rows) // opened)
    picked = rows[::step][:opened]
    out: dict[str, list[float]] = {"dashboard": [], "find": []}
    base = f"http://127.0.0.1:{port}"
    for name, secret in picked:
        t = time.perf_counter()
        status = answers(f"{base}/", f"{name}.localhost:{port}", timeout=120)
        out["dashboard"].append(time.perf_counter() - t)
        assert status == 200, (name, status)
        token = tokens.issue(secret, aud="cli", instance=name, sub="cli",
                             scope="io.cozy.bills:GET")
        body = orjson.dumps({"selector": {"_id": {"$gt": None}}, "limit": 10})
        req = urllib.request.Request(f"{base}/data/io.cozy.bills/_find", data=body, headers={
            "Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {token}",
            "Content-Type": "application/json"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200
        out["find"].append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--testers", default="20,200,2000")
    ap.add_argument("--opened", type=int, default=100, help="testers who open the sandbox")
    ap.add_argument("--latency-over", type=int, default=50,
                    help="first requests the p50/p99 are taken over")
    ap.add_argument("--strategies", type=int, default=8, help="households (0: skip)")
    args = ap.parse_args()
    counts = [int(c) for c in args.testers.split(",")]
    root = Path(tempfile.mkdtemp(prefix="selfdata-event-"))
    print(f"benchmarks/event.py on {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the start; work folder {root}")
    try:
        if args.strategies:
            s = strategies(args.strategies, root / "strategies")
            docs = np.asarray(s["docs"])
            print(f"\n1. One household-year into an instance, households 1-{args.strategies} "
                  f"of seed {SEED} ({int(docs.mean()):,} documents on average, "
                  f"{int(docs.min()):,}-{int(docs.max()):,}):")
            print(f"   {'strategy':<46} {'mean s':>7} {'max s':>7} {'docs/s':>9}")
            for key, label in (("generate", "generate only (in memory)"),
                               ("straight", "generated straight into the DB (on-demand)"),
                               ("straight_cpu", "  the same, CPU seconds of this process"),
                               ("files", "generate, write NDJSON, load the files"),
                               ("clone", "clone a loaded instance (template)")):
                v = np.asarray(s[key])
                print(f"   {label:<46} {v.mean():7.2f} {v.max():7.2f} "
                      f"{docs.sum() / v.sum():9,.0f}")
        print("\n2. `selfdata up -n N --no-samples` (no container engine): command to every "
              "printed URL answering")
        last = None
        for n in counts:
            folder = root / f"up{n}"
            folder.mkdir()
            took, up, urls = time_to_urls(n, folder)
            declared = next((line.strip() for line in up.lines if "declared in" in line), "")
            print(f"   {n:>6} testers: {took:6.1f} s, {len(urls)} URLs ({declared}); "
                  f"RSS {rss_mib(up.proc.pid):.0f} MiB, disk {disk_mib(folder):.1f} MiB")
            if n == max(counts):
                last = (up, folder)
            else:
                up.stop()
        if last is not None and args.opened:
            up, folder = last
            before_rss, before_disk = rss_peak_mib(up.proc.pid), disk_mib(folder)
            f = first_uses(up, args.opened)
            over = f["dashboard"][:args.latency_over]
            print(f"\n3. {max(counts)} testers declared; {args.opened} never-opened testers "
                  "each open their dashboard, then run one _find:")
            print(f"   first request (dashboard) over {len(over)} instances: p50 "
                  f"{pct(over, 50):.2f} s, p99 {pct(over, 99):.2f} s, max {max(over):.2f} s; "
                  f"over all {len(f['dashboard'])}: p50 {pct(f['dashboard'], 50):.2f} s, "
                  f"p99 {pct(f['dashboard'], 99):.2f} s")
            print(f"   then _find: p50 {pct(f['find'], 50) * 1000:.0f} ms, p99 "
                  f"{pct(f['find'], 99) * 1000:.0f} ms")
            print(f"   peak RSS {before_rss:.0f} MiB before, {rss_peak_mib(up.proc.pid):.0f} MiB "
                  f"after; disk {before_disk:.1f} MiB before, {disk_mib(folder):.1f} MiB after")
            up.stop()
        print(f"\nload average at the end {os.getloadavg()[0]:.1f} (other work on the machine "
              "slows every figure)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
