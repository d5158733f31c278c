"""Score the leak-watch sample app's detector against the generator's ground truth.

    .venv/bin/python benchmarks/leak_watch_score.py                      # 500 households, seed 42
    .venv/bin/python benchmarks/leak_watch_score.py --households 1000 --seed 7 --workers 2

Each household is generated in memory over one year; the detector sees only its daily water
statements (``statementCategory`` "eau"), exactly what the app reads through the API. Its leak
findings (kinds "burst" and "leak") are matched to the ``leak`` ground-truth events by date
overlap, give or take two days. Precision: share of leak findings that match a leak. Recall:
share of leaks matched by a finding. Recall is also given per kind of leak.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthetic_data.calendar_fr import Period  # noqa: E402
from synthetic_data.population import generate_household  # noqa: E402

WATER = "org.fing.mesinfos.consumptionstatement"
TRUTH = "org.selfdata.groundtruth.event"


def app_module(name: str) -> ModuleType:
    """``sample_apps/leak-watch/<name>.py``, loaded by path (the app is not a package)."""
    path = ROOT / "sample_apps" / "leak-watch" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"leak_watch_{name}", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def score_household(args: tuple[int, int]) -> dict:
    seed, index = args
    lw, score = app_module("analysis"), app_module("scoring")
    data = generate_household(seed, index, Period.of_years(date(2024, 1, 1), 1))
    water, leaks = [], []
    for b in data.batches:
        if b.doctype == WATER:
            water.extend(d for d in b.dicts() if d.get("statementCategory") == "eau")
        elif b.doctype == TRUTH:
            leaks.extend(d for d in b.dicts() if d["kind"] == "leak")
    findings = lw.detect(water)
    true_f, n_f, found, n_leaks = score.match(findings, leaks)
    mine = [f for f in findings if f.is_leak]
    by_kind = Counter()
    found_kind = Counter()
    for e in leaks:
        kind = e["details"]["kind"]
        by_kind[kind] += 1
        found_kind[kind] += any(score.overlaps(f.start, f.end, e["start"], e["end"], 2)
                                for f in mine)
    return {"true": true_f, "findings": n_f, "found": found, "leaks": n_leaks,
            "kinds": Counter(f.kind for f in findings), "by_kind": by_kind,
            "found_kind": found_kind}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    jobs = [(args.seed, i) for i in range(args.households)]
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(score_household, jobs, chunksize=8))
    else:
        results = [score_household(j) for j in jobs]
    total: Counter = Counter()
    kinds: Counter = Counter()
    by_kind: Counter = Counter()
    found_kind: Counter = Counter()
    for r in results:
        total.update({k: r[k] for k in ("true", "findings", "found", "leaks")})
        kinds.update(r["kinds"])
        by_kind.update(r["by_kind"])
        found_kind.update(r["found_kind"])
    precision = total["true"] / total["findings"] if total["findings"] else float("nan")
    recall = total["found"] / total["leaks"] if total["leaks"] else float("nan")
    print(f"households {args.households}, seed {args.seed}, "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"leak events {total['leaks']}, leak findings {total['findings']}")
    print(f"precision {precision:.3f} ({total['true']}/{total['findings']})")
    print(f"recall    {recall:.3f} ({total['found']}/{total['leaks']})")
    for kind in sorted(by_kind):
        print(f"  recall {kind:15s} {found_kind[kind]}/{by_kind[kind]}")
    print("findings by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
