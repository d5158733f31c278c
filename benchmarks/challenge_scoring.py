"""Challenge scoring speed on a real Docker engine: one submission (the leak-watch sample app)
scored on N hidden households × 1 year.

    DOCKER_HOST=$(scripts/ensure-docker.sh) .venv/bin/python benchmarks/challenge_scoring.py
    ... --households 50 --workers 2

A fresh store builds leak-watch and smoke-runs it (not timed), then scores it on the challenge
"leaks" (event detection, hidden set of N households plus a public set of 1): wall time of the
scoring run, households per minute, and the mean / median / max seconds of each step of a
household: generating it, loading it into a fresh instance (the doctypes the manifest names),
starting the container until healthy, the analysis (the hook's answer), reading the findings
back. The figures of the run (F1 against the monthly-alarm baseline) are printed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from app_store import accounts, pipeline  # noqa: E402
from app_store.packing import pack  # noqa: E402
from app_store.settings import StoreSettings  # noqa: E402
from app_store.store import Store  # noqa: E402

STEPS = ("generate", "instance", "container_start", "analysis", "read_back")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=50, help="hidden households")
    ap.add_argument("--workers", type=int, default=2, help="households scored at once")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="challenge-bench-") as tmp:
        folder = Path(tmp)
        settings = StoreSettings.from_env(database_url=f"sqlite:///{folder / 'store.db'}",
                                          data_dir=folder, workers=0,
                                          scoring_parallel=args.workers)
        store = Store(settings)
        try:
            run(store, args)
        finally:
            store.farm.forget_images()
            store.close()


def run(store: Store, args) -> None:
    org, _ = accounts.create(store.db, "Org", "organiser")
    team, _ = accounts.create(store.db, "Blue", "team")
    store.challenges.create(org, {"key": "leaks", "title": "Leaks", "kind": "event-detection",
                                  "event_kinds": ["leak"], "public_households": 1,
                                  "hidden_households": args.households, "time_limit_s": 120})
    store.challenges.act(org, "leaks", "open")
    t = time.perf_counter()
    sub_id = store.submissions.submit(team, pack(ROOT / "sample_apps" / "leak-watch"),
                                      "leak-watch.tar.gz")
    assert pipeline.claim(store.db) == sub_id
    store.processing.process(sub_id)
    row = store.submissions.row(sub_id)
    assert row.state == pipeline.AWAITING, row.reason
    print(f"leak-watch built and smoke-run in {time.perf_counter() - t:.1f} s (not timed "
          "below)")
    run_id = store.challenges.claim()
    assert run_id is not None
    t = time.perf_counter()
    totals = store.scoring.run(run_id)
    wall = time.perf_counter() - t
    results = store.challenges.results(run_id)
    n = len(results)
    print(f"households scored {n} ({args.households} hidden + 1 public), "
          f"{args.workers} worker(s)")
    print(f"wall time {wall:.1f} s, {n / wall * 60:.1f} households/min")
    timings = [orjson.loads(r.timings or "{}") for r in results]
    print(f"{'step':16s} {'mean s':>7s} {'median':>7s} {'max':>7s}")
    for step in STEPS:
        vals = [x[step] for x in timings if step in x]
        if vals:
            print(f"{step:16s} {statistics.fmean(vals):7.2f} {statistics.median(vals):7.2f} "
                  f"{max(vals):7.2f}")
    per = [sum(x.values()) for x in timings]
    print(f"{'household total':16s} {statistics.fmean(per):7.2f} {statistics.median(per):7.2f} "
          f"{max(per):7.2f}")
    errors = [r.error for r in results if not r.ok]
    print(f"errors {len(errors)}" + (f": {errors[0]}" if errors else ""))
    for part in ("public_set", "leaderboard", "private"):
        x = totals[part]
        leak = x.get("by_kind", {}).get("leak", {})
        print(f"{part:12s} F1 {x['score']}  baseline {x['baseline']}  "
              f"precision {leak.get('precision')}  recall {leak.get('recall')}  "
              f"({leak.get('events')} leaks, {x['households']} households)")


if __name__ == "__main__":
    main()
