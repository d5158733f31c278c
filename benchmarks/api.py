"""API speed: bulk load and indexed ``_find`` under 16 concurrent clients, beside pouchdb-server.

    .venv/bin/python benchmarks/api.py                      # 1,000,000 documents, every backend
    .venv/bin/python benchmarks/api.py --docs 200000 --backends sqlite,pouchdb
    .venv/bin/python benchmarks/api.py --backends sqlite,postgres --workers 1,2

Per backend (sandbox on SQLite, sandbox on PostgreSQL, pouchdb-server in memory), in one run:
1. bulk load of the same documents (Linky-like half-hour statements, one doctype, one instance):
   through the loader (``selfdata sandbox load``'s path) and through HTTP ``_bulk_docs`` in
   batches, documents/s;
2. ``_index`` on (statementCategory, start) (its time: until the SQL index is built), then
   ``_find`` with equality + range, limit 100,
   from ``wrk`` (C, one thread, 16 connections, random ranges) against the sandbox served
   by 1, then 2 worker processes on the same database (``selfdata serve --workers N``, one
   line per count of ``--workers``): requests/s, p50 and p99 latency, the CPU per request of
   the server's processes (and PostgreSQL's) and of wrk, and the cores they got; then new
   documents POSTed from every connection (writes of every process sharing the database:
   any failure shows as non-2xx).
Everything listens on 127.0.0.1 only and stops by itself. On a 2-core machine wrk itself
takes part of a core, so two workers share what is left with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.service import Sandbox  # noqa: E402
from sandbox.settings import Settings  # noqa: E402
from sandbox.storage.database import Database  # noqa: E402
from tests.support.postgres import Cluster  # noqa: E402

JS = ROOT / "tests" / "sandbox" / "js"
DOCTYPE = "org.fing.mesinfos.consumptionstatement"
CATEGORIES = ["linky", "linky", "linky", "gazpar", "eau", "edelia"]
DAYS = 3650
LUA = """
math.randomseed(42)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%s
request = function()
  local d = math.random(0, %d)
  local y = 2016 + math.floor(d / 365)
  local doy = d %% 365
  local m = math.floor(doy / 31) + 1
  local day = doy %% 28 + 1
  local a = string.format("%%04d-%%02d-%%02dT00:00:00", y, m, day)
  local b = string.format("%%04d-%%02d-%%02dT23:59:59", y, m, day)
  local body = '{"selector":{"statementCategory":"linky","start":{"$gte":"' .. a ..
               '","$lt":"' .. b .. '"}},"limit":100}'
  return wrk.format(nil, nil, nil, body)
end
"""


WRITE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%s
wrk.body = '{"statementCategory":"linky","start":"2020-01-01T00:00:00","value":1}'
"""


def documents(n: int) -> list[dict]:
    """n half-hour statements spread over ten years (the shape of the Linky documents)."""
    rng = np.random.default_rng(1)
    t0 = np.datetime64("2016-01-01T00:00:00")
    slots = rng.integers(0, DAYS * 48, n)
    starts = np.datetime_as_string(t0 + (slots * 1800).astype("timedelta64[s]"), unit="s")
    cats = np.asarray(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)]
    values = rng.integers(20, 2000, n)
    return [{"docTypeVersion": "bench", "contractNumber": "1234567890", "start": s,
             "value": int(v), "unit": "Wh", "index": int(i * 7), "statementType": "mesure",
             "statementCategory": c, "statementReason": "LinkyHalfHourElecConsumption"}
            for i, (s, c, v) in enumerate(zip(starts.tolist(), cats.tolist(), values.tolist(),
                                              strict=True))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def post(url: str, body: object, token: str | None = None, method: str = "POST") -> object:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token
                                             else {})})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by a process and every process below it (Linux /proc)."""
    parent, cpu = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += [p for p, pp in parent.items() if pp == pid]
    return total


def run_wrk(url: str, token: str | None, clients: int, seconds: int,
            server: int | None = None, script: str = LUA, db_server: int | None = None) -> dict:
    """wrk's figures, and the CPU the server's processes (``server``: the root pid) and wrk
    used per request: what bounds requests/s when the cores are shared."""
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script % (auth, DAYS - 1) if script is LUA else script % auth)
    def server_cpu() -> float:
        return (tree_cpu_s(server) if server else 0.0) + (tree_cpu_s(db_server)
                                                          if db_server else 0.0)

    server_before = server_cpu()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency",
                              "-s", fh.name, url], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(fh.name)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_s = server_cpu() - server_before
    wrk_s = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime
                                                         + wrk_before.ru_stime)

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    done = re.search(r"(\d+) requests in", out)
    n = max(1, int(done.group(1)) if done else 1)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"),
            "non2xx": int(errors.group(1)) if errors else 0,
            "server_cpu_ms": 1000 * server_s / n, "wrk_cpu_ms": 1000 * wrk_s / n,
            "cores": (server_s + wrk_s) / seconds}


BUILT_SQLITE = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name LIKE 'mx_%'"
# CREATE INDEX CONCURRENTLY lists the index at once; it is usable once valid
BUILT_PG = ("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE 'mx_%%' AND i.indisvalid")


def wait_sql_index(url: str, timeout: float = 1800) -> None:
    """Until the SQL index behind a Mango index exists (the sandbox builds it in the
    background; ``_find`` answers from a scan meanwhile)."""
    db = Database(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with db.read() as conn:
                if conn.exec_driver_sql(BUILT_SQLITE if db.is_sqlite else BUILT_PG).first():
                    return
            time.sleep(0.2)
        raise RuntimeError("the SQL index was not built")
    finally:
        db.dispose()


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    """``selfdata serve`` with ``workers`` processes on the database at ``url``."""
    env = {**os.environ, "SELFDATA_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "selfdata.cli", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL)


def bench_sandbox(name: str, url: str, docs: list[dict], http_docs: int, clients: int,
                  seconds: int, workers: list[int], db_server: int | None = None) -> list[dict]:
    """One result per count of worker processes; the load, ``_bulk_docs`` and ``_index``
    figures are measured once, with the first count."""
    sb = Sandbox(Settings(database_url=url))
    inst = sb.instances.create("bench")
    t = time.perf_counter()
    for i in range(0, len(docs), 20_000):
        sb.documents.load(inst.id, DOCTYPE, docs[i:i + 20_000])
    load_rate = len(docs) / (time.perf_counter() - t)
    token = sb.cli_token("bench", f"{DOCTYPE} bench.http", ttl=3600)
    sb.close()
    out = []
    http_rate = index_s = 0.0
    for n, count in enumerate(workers):
        port = free_port()
        server = serve(url, port, count)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/status/")
            if n == 0:
                t = time.perf_counter()
                sample = docs[:http_docs]
                for i in range(0, len(sample), 5000):
                    post(f"{base}/data/bench.http/_bulk_docs", {"docs": sample[i:i + 5000]},
                         token)
                http_rate = len(sample) / (time.perf_counter() - t)
                t = time.perf_counter()
                post(f"{base}/data/{DOCTYPE}/_index",
                     {"index": {"fields": ["statementCategory", "start"]},
                      "ddoc": "by_cat_start"}, token)
                wait_sql_index(url)   # built in the background: measure the steady state
                index_s = time.perf_counter() - t
            # every worker has opened its connections and read the catalog before timing
            run_wrk(f"{base}/data/{DOCTYPE}/_find", token, clients, 2)
            r = run_wrk(f"{base}/data/{DOCTYPE}/_find", token, clients, seconds, server.pid,
                        db_server=db_server)
            # new documents from every connection at once: writers of every process take
            # turns on the database (SQLite: one writer); none may fail
            w = run_wrk(f"{base}/data/bench.http/", token, clients, max(2, seconds // 4),
                        server.pid, WRITE_LUA, db_server)
            r.update(write_rps=w["rps"], write_p99=w["p99"], write_non2xx=w["non2xx"])
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
        out.append({"backend": f"{name}, {count} worker{'s' if count > 1 else ''}",
                    "workers": count, "load_rate": load_rate, "http_rate": http_rate,
                    "index_s": index_s, **r})
        print(json.dumps(out[-1]), flush=True)
    return out


def bench_pouchdb(docs: list[dict], http_docs: int, clients: int, seconds: int) -> dict:
    binary = JS / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"
    if not binary.exists():
        subprocess.run(["npm", "install", "--legacy-peer-deps", "--no-audit", "--no-fund"],
                       cwd=JS, check=True, capture_output=True)
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="pouch-bench-")
    server = subprocess.Popen(["node", "--max-old-space-size=12000", str(binary), "--in-memory",
                               "--host", "127.0.0.1", "--port", str(port)], cwd=workdir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/")
        post(f"{base}/bench", {}, method="PUT")
        t = time.perf_counter()
        for i in range(0, len(docs), 10_000):
            post(f"{base}/bench/_bulk_docs", {"docs": docs[i:i + 10_000]})
        load_rate = len(docs) / (time.perf_counter() - t)
        t = time.perf_counter()
        post(f"{base}/bench/_index", {"index": {"fields": ["statementCategory", "start"]},
                                     "ddoc": "by_cat_start"})
        post(f"{base}/bench/_find", {"selector": {"statementCategory": "linky",
                                                  "start": {"$gte": "2016"}}, "limit": 1})
        index_s = time.perf_counter() - t
        r = run_wrk(f"{base}/bench/_find", None, clients, seconds, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"backend": "pouchdb-server (memory)", "load_rate": load_rate, "http_rate": load_rate,
            "index_s": index_s, **r}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--http-docs", type=int, default=100_000,
                    help="documents sent through HTTP _bulk_docs (sandbox)")
    ap.add_argument("--backends", default="sqlite,postgres,pouchdb")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--workers", default="1,2",
                    help="counts of sandbox worker processes to measure, in turn")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")
    docs = documents(args.docs)
    print(f"{args.docs:,} documents of {DOCTYPE}; _find: statementCategory = linky and start in "
          f"one random day, limit 100; wrk, {args.clients} connections, {args.seconds} s")
    workers = [int(w) for w in args.workers.split(",")]
    results: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                results += bench_sandbox("sandbox, SQLite", f"sqlite:///{tmp / 'b.db'}",
                                         docs, args.http_docs, args.clients, args.seconds,
                                         workers)
            elif backend == "postgres":
                cluster = Cluster().start()
                try:
                    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
                    results += bench_sandbox("sandbox, PostgreSQL",
                                             cluster.create_database("bench"), docs,
                                             args.http_docs, args.clients, args.seconds,
                                             workers, postmaster)
                finally:
                    cluster.stop()
            elif backend == "pouchdb":
                results.append(bench_pouchdb(docs, args.http_docs, args.clients, args.seconds))
            if backend == "pouchdb":
                print(json.dumps(results[-1]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'backend':<32} {'load docs/s':>12} {'_bulk_docs/s':>13} {'index s':>8} "
          f"{'_find req/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
          f"{'CPU ms/req':>10} {'wrk':>6} {'cores':>6} {'POST/s':>7} {'p99':>6} "
          f"{'non-2xx':>7}")
    for r in results:
        print(f"{r['backend']:<32} {r['load_rate']:>12,.0f} {r['http_rate']:>13,.0f} "
              f"{r['index_s']:>8.1f} {r['rps']:>12,.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
              f"{r['non2xx']:>8} {r.get('server_cpu_ms', 0):>10.2f} "
              f"{r.get('wrk_cpu_ms', 0):>6.2f} {r.get('cores', 0):>6.2f} "
              f"{r.get('write_rps', 0):>7,.0f} {r.get('write_p99', 0):>6.1f} "
              f"{r.get('write_non2xx', 0):>7}")
    for one in (r for r in results if r.get("workers") == 1):
        for more in (r for r in results if r.get("workers", 1) > 1
                     and r["backend"].startswith(one["backend"].rsplit(",", 1)[0] + ",")):
            print(f"{more['backend']}: {more['rps'] / one['rps']:.2f}x one worker's requests/s "
                  f"(target >= 1.7x), p99 {more['p99']:.1f} ms (target <= 20 ms)")
    pouch = next((r for r in results if r["backend"].startswith("pouchdb")), None)
    if pouch:
        for r in results:
            if r is not pouch:
                print(f"{r['backend']}: _find {r['rps'] / pouch['rps']:.1f}x pouchdb-server's "
                      f"requests/s; load {r['load_rate'] / pouch['load_rate']:.1f}x")


if __name__ == "__main__":
    main()
