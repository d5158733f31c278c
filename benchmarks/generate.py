"""Generation speed: our columnar generator against a naive per-record Faker generator.

    .venv/bin/python benchmarks/generate.py                 # all three parts
    .venv/bin/python benchmarks/generate.py --big 0         # skip the 1,000 household-year run
    .venv/bin/python benchmarks/generate.py --big 0 --crossing 0 --dask 100   # parts 1, 2, 5

1. One core, end to end (generate + serialise + write NDJSON): documents/s.
2. Baseline in the same run: a simple per-record generator of the same doctypes, each record a dict
   filled with Faker calls and ``json.dumps``-ed, in the same doctype mix as part 1. It runs on a
   sample of documents (too slow for the whole mix); its rate is documents/s on that sample.
3. ``--big`` household-years with every core, end to end to NDJSON: seconds, documents/s and the
   peak resident memory of the parent and of the largest worker, beside a run a tenth the size, to
   show that memory follows the work in flight and not the population size.
4. What the sources that cross the others (public transport, purchases and parcels, the bank)
   add to a household-year: each household generated and written as NDJSON without and with
   them, back to back, in the same run; CPU seconds per household-year and the ratio.
5. ``--dask`` household-years written as Parquet by the local process pool (``--workers``
   processes) and by a Dask ``LocalCluster`` of as many single-threaded worker processes
   (``selfdata generate --scheduler``), alternately over ``--dask-rounds`` rounds: documents/s
   of the best round of each, their ratio, the cluster's start-up time (not counted: a real
   cluster is up before a run) and whether both wrote the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from distributed import LocalCluster
from faker import Faker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthetic_data.calendar_fr import Period  # noqa: E402
from synthetic_data.population import (  # noqa: E402
    Options,
    generate_household,
    generate_population,
)
from synthetic_data.writers import write_household  # noqa: E402

# The sources issue 13 added to cross the others; part 4 times a household-year without them.
CROSSING = frozenset({"transport", "shopping", "bank"})


def run_ours(households: int, workers: int, out: Path) -> tuple[float, int, int, dict]:
    opts = Options(households=households, years=1, start=date(2024, 1, 1), seed=1,
                   out=out, format="ndjson", workers=workers, force=True)
    t0 = time.perf_counter()
    summary = generate_population(opts)
    seconds = time.perf_counter() - t0
    return seconds, summary.total_docs, summary.bytes, summary.docs


class NaiveGenerator:
    """One dict per record, values from Faker, serialised with the standard json module."""

    def __init__(self) -> None:
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(1)

    def ts(self) -> str:
        return self.fake.date_time_between("-1y", "now").strftime("%Y-%m-%dT%H:%M:%SZ")

    def document(self, doctype: str) -> dict:
        f = self.fake
        if doctype == "fr.orange.geopoint":
            return {"docTypeVersion": "konnectors_orange_mobile-0.7.9", "msisdn": f.msisdn(),
                    "timestamp": self.ts(), "latitude": float(f.latitude()),
                    "longitude": float(f.longitude()), "radius": f.random_int(50, 2000)}
        if doctype == "fr.orange.phonecommunicationlog":
            return {"docTypeVersion": "konnectors_orange_mobile-0.7.9", "timestamp": self.ts(),
                    "msisdn": f.msisdn(), "partner": f.msisdn(),
                    "type": f.random_element(["appel sortant", "appel entrant", "SMS entrant",
                                              "SMS sortant"]),
                    "length": f.random_int(1, 600), "chipType": f.random_element(["s", "M"]),
                    "latitude": float(f.latitude()), "longitude": float(f.longitude()),
                    "networkType": f.random_element(["3G", "4G"]), "endCause": "0",
                    "endCauseLabel": "Libération normale", "deviceLabel": f.word(),
                    "deviceTac": f.numerify("########")}
        if doctype.startswith("fr.enedis.api.meteringdata"):
            n = 48 if doctype.endswith("loadcurve") else 1
            return {"docTypeVersion": "x", "contract_power": "6", "fee_schedule": "Base",
                    "INSEE_code": f.numerify("#####"), "business_step": "comptage brut",
                    "usage_point": [{"usage_point_id": f.numerify("##############"),
                                     "meter_reading": {
                                         "reading_type": {"measurement_kind": "CDC",
                                                          "start_measurement_period": f.date(),
                                                          "end_measurement_period": f.date(),
                                                          "unit": "W"},
                                         "interval_block": [
                                             {"value": str(f.random_int(100, 5000)),
                                              "reading_number": str(i + 1)}
                                             for i in range(n)]}}]}
        if doctype == "org.fing.mesinfos.consumptionstatement":
            return {"docTypeVersion": "x", "contractNumber": f.numerify("##########"),
                    "start": self.ts(), "end": self.ts(), "value": f.random_int(0, 2000),
                    "unit": "Wh", "index": f.random_int(0, 10**8), "statementType": "mesure",
                    "statementCategory": "linky",
                    "statementReason": "LinkyHalfHourElecConsumption"}
        if doctype == "fr.orange.videostream":
            return {"timestamp": self.ts(), "clientId": f.numerify("#########"),
                    "action": "Commande", "price": float(f.pydecimal(2, 2, True)),
                    "content": {"type": "Video", "title": f.sentence(3), "duration":
                                f.random_int(1000, 8000), "quality": "HD",
                                "publicationYear": int(f.year()), "country": f.country_code()},
                    "details": {"offer": "Paid VOD", "service": "VOD TV"}}
        return {"vendor": f.company(), "date": self.ts(), "amount": float(f.pydecimal(3, 2, True)),
                "currency": "EUR", "name": f.name(), "address": f.address(),
                "number": f.numerify("##########")}


def run_baseline(mix: dict[str, int], sample: int, out: Path) -> tuple[float, int]:
    total = sum(mix.values())
    counts = {d: max(1, round(sample * n / total)) for d, n in mix.items()}
    gen = NaiveGenerator()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for doctype, n in counts.items():
        with open(out / f"{doctype}.ndjson", "w", encoding="utf-8") as fh:
            for _ in range(n):
                fh.write(json.dumps(gen.document(doctype), ensure_ascii=False) + "\n")
    return time.perf_counter() - t0, sum(counts.values())


def big_run(households: int, workers: int, out: Path) -> dict:
    """In a child process, so its peak memory and its workers' are measured alone."""
    code = (
        "import json,resource,sys,time;from datetime import date;from pathlib import Path;"
        f"sys.path.insert(0,{str(ROOT)!r});"
        "from synthetic_data.population import Options,generate_population;"
        f"o=Options(households={households},years=1,start=date(2024,1,1),seed=1,"
        f"out=Path({str(out)!r}),format='ndjson',workers={workers},force=True);"
        "t=time.perf_counter();s=generate_population(o);t=time.perf_counter()-t;"
        "me=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "kids=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps({'seconds':t,'docs':s.total_docs,'bytes':s.bytes,"
        "'parent_kib':me,'worker_kib':kids}))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def household_seconds(i: int, period: Period, crossing: bool, out: Path) -> float:
    """CPU seconds to generate household ``i`` and write it as NDJSON (what `selfdata
    generate` does per household); CPU time, so that other load on the machine counts less."""
    t0 = time.process_time()
    data = generate_household(1, i, period, frozenset() if crossing else CROSSING)
    write_household(out, data.household.instance, data.batches, "ndjson", data.blobs)
    seconds = time.process_time() - t0
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def crossing_cost(households: int, rounds: int, out: Path) -> None:
    """Paired per household: each household-year is timed without and with the crossing
    sources back to back (the order alternating), so that a burst of load on the machine hits
    both sides of a pair alike; the ratio is of the summed CPU times of each round."""
    period = Period.of_years(date(2024, 1, 1), 1)
    for i in range(2):  # warm caches (parameters, catalogues)
        household_seconds(i, period, True, out)
    ratios, with_, without = [], 0.0, 0.0
    for r in range(rounds):
        a = b = 0.0
        for i in range(households):
            for crossing in ((True, False) if (r + i) % 2 == 0 else (False, True)):
                t = household_seconds(i, period, crossing, out)
                if crossing:
                    a += t
                else:
                    b += t
        ratios.append(a / b)
        with_, without = with_ + a, without + b
    n = households * rounds
    ratios.sort()
    median = ratios[len(ratios) // 2]
    print(f"[4] crossing sources (transport, purchases and parcels, bank), 1 core, "
          f"{households} household-years to NDJSON x {rounds} rounds, paired per household, "
          f"CPU time: {without / n * 1000:.0f} ms per household-year without them, "
          f"{with_ / n * 1000:.0f} ms with them = {with_ / without:.2f}x "
          f"({(with_ / without - 1) * 100:+.0f} %; rounds from {(ratios[0] - 1) * 100:+.0f} % "
          f"to {(ratios[-1] - 1) * 100:+.0f} %, median {(median - 1) * 100:+.0f} %)")


def timed_parquet(households: int, out: Path, workers: int = 0,
                  scheduler: str | None = None) -> tuple[float, int]:
    opts = Options(households=households, years=1, start=date(2024, 1, 1), seed=1, out=out,
                   format="parquet", workers=workers, force=True, scheduler=scheduler)
    t0 = time.perf_counter()
    summary = generate_population(opts)
    return time.perf_counter() - t0, summary.total_docs


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def dask_vs_local(households: int, workers: int, rounds: int, out: Path) -> None:
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                      dashboard_address=":0") as cluster:
        startup = time.perf_counter() - t0
        local, dask, digests = [], [], set()
        for r in range(rounds):  # alternate so that machine load hits both alike
            for on_dask in ((False, True) if r % 2 == 0 else (True, False)):
                target = out / ("dask" if on_dask else "local")
                secs, docs = (timed_parquet(households, target, scheduler=cluster.scheduler_address)
                              if on_dask else timed_parquet(households, target, workers=workers))
                (dask if on_dask else local).append(docs / secs)
                digests.add(digest(target))
                shutil.rmtree(target)
    best_local, best_dask = max(local), max(dask)
    print(f"[5] {households} household-years ({docs:,} documents) to Parquet, best of {rounds}: "
          f"local process pool, {workers} workers: {best_local:,.0f} documents/s; Dask "
          f"LocalCluster, {workers} worker processes x 1 thread: {best_dask:,.0f} documents/s "
          f"= {best_dask / best_local:.2f}x the local run (cluster start-up {startup:.1f} s, not "
          f"counted); same bytes: {'yes' if len(digests) == 1 else 'NO'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=20, help="household-years on one core")
    ap.add_argument("--sample", type=int, default=20_000, help="baseline documents")
    ap.add_argument("--big", type=int, default=1000, help="household-years on every core (0: skip)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--tmp", type=Path, default=None, help="where to write (deleted afterwards)")
    ap.add_argument("--crossing", type=int, default=20,
                    help="household-years for part 4, with and without the crossing sources "
                         "(0: skip)")
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds in part 4")
    ap.add_argument("--dask", type=int, default=100,
                    help="household-years for part 5, local pool vs Dask LocalCluster (0: skip)")
    ap.add_argument("--dask-rounds", type=int, default=2, help="alternating rounds in part 5")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="selfdata-bench-", dir=args.tmp))
    try:
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        secs, docs, size, mix = run_ours(args.households, 1, tmp / "ours")
        ours = docs / secs
        print(f"\n[1] ours, 1 core: {args.households} household-years, {docs:,} documents, "
              f"{size / 2**20:,.0f} MiB NDJSON in {secs:.2f} s = {ours:,.0f} documents/s "
              f"({docs / args.households:,.0f} documents per household-year)")
        shutil.rmtree(tmp / "ours")
        bsecs, bdocs = run_baseline(mix, args.sample, tmp / "baseline")
        base = bdocs / bsecs
        print(f"[2] naive Faker baseline, 1 core: {bdocs:,} documents in {bsecs:.2f} s = "
              f"{base:,.0f} documents/s  ->  ours is {ours / base:,.0f}x faster")
        if args.big:
            small = big_run(max(1, args.big // 10), args.workers, tmp / "small")
            shutil.rmtree(tmp / "small", ignore_errors=True)
            big = big_run(args.big, args.workers, tmp / "big")
            for label, r, n in (("tenth", small, max(1, args.big // 10)), ("full", big, args.big)):
                print(f"[3] {n:>5} household-years, {args.workers} workers: {r['seconds']:.1f} s, "
                      f"{r['docs']:,} documents ({r['docs'] / r['seconds']:,.0f}/s), "
                      f"{r['bytes'] / 2**30:.2f} GiB; peak RSS parent "
                      f"{r['parent_kib'] / 1024:,.0f} MiB, largest worker "
                      f"{r['worker_kib'] / 1024:,.0f} MiB  ({label})")
        if args.crossing:
            crossing_cost(args.crossing, args.rounds, tmp / "crossing")
        if args.dask:
            dask_vs_local(args.dask, args.workers, args.dask_rounds, tmp / "dask")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
