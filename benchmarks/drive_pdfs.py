"""What the generated Drive (every bill as a PDF) costs, and what the per-form templates save.

    .venv/bin/python benchmarks/drive_pdfs.py [--households 40] [--runs 3]

Three ways, same seed, same run, one worker, end to end to NDJSON (best of ``--runs``):
1. no Drive at all (``add_drive`` replaced by a no-op): the baseline;
2. the Drive, each PDF drawn by ReportLab (``pdfpage.draw``): the straightforward way;
3. the Drive as shipped (``pdfpage.render``: ReportLab draws each form once, pages are filled in).
Prints seconds, bills per second and the ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthetic_data import invoices, pdfpage, population  # noqa: E402
from synthetic_data.population import Options, generate_population  # noqa: E402
from synthetic_data.writers import FILES_FOLDER  # noqa: E402


def run(households: int, runs: int) -> tuple[float, int]:
    best, files = float("inf"), 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            opts = Options(households=households, years=1, start=date(2024, 1, 1), seed=7,
                           out=Path(d), format="ndjson", workers=1, force=True)
            t0 = time.perf_counter()
            generate_population(opts)
            best = min(best, time.perf_counter() - t0)
            files = sum(1 for p in Path(d).rglob("*")
                        if p.is_file() and p.parent.name == FILES_FOLDER)
    return best, files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with mock.patch.object(population, "add_drive", lambda _ctx, batches: (batches, {})):
        none, _ = run(a.households, a.runs)
    with mock.patch.object(invoices, "render", pdfpage.draw):
        drawn, files = run(a.households, a.runs)
    shipped, files2 = run(a.households, a.runs)
    print(f"{a.households} households, 2024, 1 worker, best of {a.runs}")
    print(f"  no Drive:               {none:6.2f} s")
    print(f"  Drive, ReportLab/page:  {drawn:6.2f} s  (+{drawn - none:.2f} s, "
          f"{drawn / none:.2f}x the baseline)")
    print(f"  Drive, templates:       {shipped:6.2f} s  (+{shipped - none:.2f} s, "
          f"{shipped / none:.2f}x the baseline)")
    print(f"  PDFs written: {files2} (ReportLab/page run: {files})")
    if files2:
        print(f"  per PDF: ReportLab {1000 * (drawn - none) / files:.2f} ms, "
              f"templates {1000 * (shipped - none) / files2:.2f} ms")


if __name__ == "__main__":
    main()
