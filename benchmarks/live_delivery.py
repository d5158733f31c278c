"""N instances live at one day per minute: deliveries per second, lag behind the clock, and
what is left for the API (a concurrent load on loopback, clock paused vs running).

    .venv/bin/python benchmarks/live_delivery.py --instances 2000 --distinct 20 --seconds 120

K distinct households are generated (a year, seeded) and each instance takes one of them, cut
to the days around the start (``--before`` days there, ``--after`` days to come), so that the
load fits on this machine; the clock then runs at ``--speed`` in a real server process
(``selfdata serve``) while client threads read ``_all_docs`` pages with a token per instance.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from sandbox.live.clock import EVENT
from sandbox.live.sources import cadences, data_day
from sandbox.service import Sandbox
from sandbox.settings import Settings
from selfdata.event import listening_socket
from synthetic_data.calendar_fr import Period
from synthetic_data.population import generate_household

SKIP = ("org.selfdata.groundtruth.event", "io.cozy.files")


def households(k: int, seed: int, start: date, before: int, after: int) -> list[list]:
    tz = cadences().timezone
    lo, hi = start - timedelta(days=before), start + timedelta(days=after)
    out = []
    for i in range(k):
        data = generate_household(seed, i, Period.of_years(date(start.year, 1, 1), 1))
        docs: dict[str, list[dict]] = {}
        for b in data.batches:
            if b.doctype in SKIP:
                continue
            for d in b.dicts():
                day = data_day(b.doctype, d, tz)
                if day is None or lo <= day < hi:
                    docs.setdefault(b.doctype, []).append(d)
        out.append(list(docs.items()))
    return out


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def api_load(url: str, tokens: list[str], seconds: float, threads: int) -> tuple[int, list]:
    stop = time.monotonic() + seconds
    counts, lat = [0] * threads, [[] for _ in range(threads)]

    def worker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            i = n
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.get("/data/org.fing.mesinfos.consumptionstatement/_all_docs",
                          params={"limit": 20, "include_docs": "true"},
                          headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"})
                r.raise_for_status()
                lat[n].append(time.perf_counter() - t)
                counts[n] += 1
                i += threads

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts), sorted(x for xs in lat for x in xs)


def pct(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=2000)
    ap.add_argument("--distinct", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--start", default="2025-03-01")
    ap.add_argument("--before", type=int, default=2)
    ap.add_argument("--after", type=int, default=5)
    ap.add_argument("--speed", type=float, default=1440)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--baseline", type=float, default=20)
    ap.add_argument("--clients", type=int, default=4)
    a = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="live-bench-"))
    db = folder / "live.db"
    settings = Settings(database_url=f"sqlite:///{db}", files_dir=str(folder / "files"),
                        live_engine=False)
    start = date.fromisoformat(a.start)
    t0 = time.perf_counter()
    homes = households(a.distinct, a.seed, start, a.before, a.after)
    print(f"generated {a.distinct} households in {time.perf_counter() - t0:.1f} s")
    sb = Sandbox(settings)
    begin = datetime.combine(start, datetime.min.time(), cadences().timezone).timestamp()
    t0 = time.perf_counter()
    tokens, pending = [], 0
    for i in range(a.instances):
        inst = sb.instances.create(f"live-{i:05d}")
        pending += sb.live.schedule(inst, homes[i % a.distinct], begin, "realistic",
                                    a.seed).pending
        if i < 200:
            tokens.append(sb.cli_token(inst.name, "org.fing.mesinfos.consumptionstatement:GET",
                                       ttl=24 * 3600))
    print(f"{a.instances} instances scheduled in {time.perf_counter() - t0:.1f} s, "
          f"{pending:,} deliveries to come")
    sb.live.clocks.set(EVENT, at=begin, speed=a.speed, paused=True)
    sb.close()
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    env = {**os.environ, "SELFDATA_DATABASE_URL": f"sqlite:///{db}",
           "SELFDATA_FILES_DIR": str(folder / "files")}
    server = subprocess.Popen([str(Path(sys.executable).with_name("selfdata")), "serve",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/status/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        cpu0 = proc_cpu(server.pid)
        idle_n, idle_lat = api_load(url, tokens, a.baseline, a.clients)
        cpu_idle = (proc_cpu(server.pid) - cpu0) / a.baseline
        subprocess.run([str(Path(sys.executable).with_name("selfdata")), "sandbox", "clock",
                        "--resume", "--database-url", f"sqlite:///{db}"], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        conn = sqlite3.connect(db, timeout=60)
        left0 = conn.execute("SELECT count(*) FROM live_pending").fetchone()[0]
        cpu0, w0 = proc_cpu(server.pid), time.monotonic()
        live_n, live_lat = api_load(url, tokens, a.seconds, a.clients)
        wall = time.monotonic() - w0
        cpu_live = (proc_cpu(server.pid) - cpu0) / wall
        left1 = conn.execute("SELECT count(*) FROM live_pending").fetchone()[0]
        lags = sorted(r[0] for r in conn.execute(
            "SELECT json_extract(body, '$.lag_s') FROM documents "
            "WHERE doctype = 'io.cozy.jobs'") if r[0] is not None)
        runs = len(lags)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    delivered = left0 - left1
    print(f"""
instances {a.instances}, speed x{a.speed:g} ({a.speed / 1440:g} day per minute), {wall:.0f} s live
deliveries: {delivered:,} documents ({delivered / wall:,.0f}/s), {runs:,} konnector runs
  ({runs / wall:,.1f}/s)
lag behind the clock (simulated s): p50 {statistics.median(lags) if lags else 0:,.0f}, p99
  {pct(lags, 0.99):,.0f} (= {pct(lags, 0.99) / a.speed:.2f} s of wall time)
API ({a.clients} client threads, _all_docs limit 20): clock paused {idle_n / a.baseline:,.0f}
  req/s (p99 {pct(idle_lat, 0.99) * 1000:.1f} ms), clock running {live_n / wall:,.0f} req/s
  (p99 {pct(live_lat, 0.99) * 1000:.1f} ms): {live_n / wall / max(1e-9, idle_n / a.baseline):.0%}
  of the API's throughput left while delivering
server CPU: {cpu_idle:.2f} cores paused (API only), {cpu_live:.2f} cores live; 2 cores, shared
  with the client threads""")


if __name__ == "__main__":
    main()
