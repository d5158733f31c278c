"""Generate households, alone or as a population written to disk across processes."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import orjson

from synthetic_data import __version__, weather
from synthetic_data.calendar_fr import Period
from synthetic_data.context import SourceContext
from synthetic_data.distributed import STOP, run_on_cluster
from synthetic_data.documents import Batch
from synthetic_data.drive import add_drive
from synthetic_data.errors import HouseholdError, OptionsError, OutputError
from synthetic_data.household import Household, is_showcase, sample_household
from synthetic_data.seeding import household_seed, stream
from synthetic_data.sources import modules_for
from synthetic_data.timeline import Timeline, build_timeline
from synthetic_data.writers import FORMATS, write_household

MAX_HOUSEHOLDS = 1_000_000
MAX_YEARS = 30


@dataclass(frozen=True)
class Options:
    households: int
    years: int
    start: date
    seed: int
    out: Path
    format: str = "ndjson"
    workers: int = 0          # 0: one per core
    force: bool = False
    scheduler: str | None = None  # a Dask scheduler (tcp://host:port): generate on its workers

    def validated(self) -> Options:
        """Self, or an :class:`OptionsError` listing every problem at once."""
        problems: list[tuple[str, str]] = []
        if not 1 <= self.households <= MAX_HOUSEHOLDS:
            problems.append(("--households", f"must be between 1 and {MAX_HOUSEHOLDS:,}, "
                                             f"got {self.households}"))
        if not 1 <= self.years <= MAX_YEARS:
            problems.append(("--years", f"must be between 1 and {MAX_YEARS}, got {self.years}"))
        if not 1990 <= self.start.year <= 2100:
            problems.append(("--start", f"year must be between 1990 and 2100, got {self.start}"))
        if self.seed < 0:
            problems.append(("--seed", f"must be zero or positive, got {self.seed}"))
        if self.format not in FORMATS:
            problems.append(("--format", f"must be one of {', '.join(FORMATS)}, got "
                                         f"{self.format!r}"))
        if self.workers < 0:
            problems.append(("--workers", f"must be 0 (one per core) or more, got {self.workers}"))
        if self.scheduler is not None:
            problems.extend(_scheduler_problems(self.scheduler, self.workers))
        problems.extend(_output_problems(self.out, self.force))
        if problems:
            raise OptionsError(problems)
        return self


SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:(\d+))?")


def _scheduler_problems(address: str, workers: int) -> list[tuple[str, str]]:
    """The address's form only; whether a scheduler answers there is checked on connecting."""
    problems = []
    m = SCHEDULER_ADDRESS.fullmatch(address)
    if not m or (m[4] is not None and not 1 <= int(m[4]) <= 65535):
        problems.append(("--scheduler", f"{address!r} is not a Dask scheduler address; write it "
                                        "as tcp://HOST:PORT (e.g. tcp://scheduler-host:8786, the "
                                        "address `dask scheduler` prints)"))
    if workers:
        problems.append(("--workers", "has no effect with --scheduler (the cluster's workers "
                                      "run the tasks); leave it out"))
    return problems


def future_warning(start: date, end: date, today: date) -> str | None:
    """What to tell the user when the data (local days ``start`` to ``end``, exclusive) run past
    ``today``: the days after it are simulated at the last prices the parameters know (frozen),
    and the weather and Tempo days are simulated, not recorded. None when all of it is past."""
    if end <= today + timedelta(days=1):
        return None
    days = (end - max(start, today + timedelta(days=1))).days
    return (f"Warning: the data run to {(end - timedelta(days=1)).isoformat()}, past today "
            f"({today.isoformat()}): {days} day(s) are in the future. Those days are simulated "
            "at frozen prices (the last tariffs in synthetic_data/params, no future tariff "
            "change) with simulated weather and Tempo days, and bills and payments stop at the "
            "data's end. Pass an earlier --start for data that could have been recorded.")


def _output_problems(out: Path, force: bool) -> list[tuple[str, str]]:
    parent = out.resolve().parent
    if out.exists() and not out.is_dir():
        return [("--out", f"{out} exists and is not a directory; choose another path")]
    if out.exists() and any(out.iterdir()) and not force:
        return [("--out", f"{out} is not empty; pass --force to replace it or choose another path")]
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        return [("--out", f"cannot write in {probe}; choose a directory you can write to")]
    return []


@dataclass
class HouseholdData:
    household: Household
    timeline: Timeline
    batches: list[Batch]
    blobs: dict[str, bytes] = field(default_factory=dict)  # Drive file bytes by io.cozy.files id


def household_context(master_seed: int, index: int, period: Period) -> SourceContext:
    """What the sources of household ``index`` receive (before any source ran)."""
    seed = household_seed(master_seed, index)
    hh = sample_household(index, stream(seed, "household"), period.start)
    tl = build_timeline(hh, period, stream(seed, "timeline"))
    temp = weather.daily_temperature(master_seed, hh.commune, period)
    return SourceContext(hh, period, tl, temp, weather.heating_degree_days(temp), seed,
                         master_seed)


def generate_household(master_seed: int, index: int, period: Period,
                       without: frozenset[str] = frozenset()) -> HouseholdData:
    """Household ``index`` of ``master_seed`` over ``period``, every source and its Drive, in
    memory; ``without``: source modules to leave out (by name, for benchmarks)."""
    ctx = household_context(master_seed, index, period)
    batches: list[Batch] = []
    for mod in modules_for(ctx.household.partners):
        if mod.__name__.rsplit(".", 1)[-1] not in without:
            batches.extend(mod.generate(ctx))
    batches, blobs = add_drive(ctx, batches)
    return HouseholdData(ctx.household, ctx.timeline, batches, blobs)


@dataclass
class HouseholdStats:
    index: int
    instance: str
    summary: dict
    docs: dict[str, int]
    bytes: int


def _work(args: tuple[int, int, Period, str, str]) -> HouseholdStats:
    seed, index, period, fmt, tmp = args
    data = generate_household(seed, index, period)
    docs, size = write_household(Path(tmp), data.household.instance, data.batches, fmt,
                                 data.blobs)
    return HouseholdStats(index, data.household.instance, describe(data), docs, size)


def work_shard(jobs: list[tuple[int, int, Period, str, str]]) -> list[HouseholdStats]:
    """One Dask task (``distributed.py``): these households generated and written in turn; an
    error names the household. Stops early when the run was given up (another task failed: the
    client wrote ``STOP``, and deletes the directory once every task has stopped)."""
    out = []
    for job in jobs:
        seed, index, _period, _fmt, tmp = job
        if not os.path.isdir(tmp):
            raise HouseholdError(f"household {index}: {os.uname().nodename} cannot see the "
                                 f"output directory {tmp} (not on a shared filesystem?)")
        if os.path.exists(os.path.join(tmp, STOP)):
            break
        try:
            out.append(_work(job))
        except Exception as exc:
            raise HouseholdError(f"household {index} (seed {seed}) failed on "
                                 f"{os.uname().nodename}: {type(exc).__name__}: {exc}") from exc
    return out


def describe(data: HouseholdData) -> dict:
    hh = data.household
    return {
        "index": hh.index, "instance": hh.instance,
        "main_member": f"{hh.main.given} {hh.main.family}",
        "commune": hh.commune.name, "insee": hh.commune.insee,
        "commune_population": hh.commune.city_population, "commune_class": hh.commune.size_class,
        "dwelling": hh.dwelling.kind, "surface": hh.dwelling.surface,
        "heating": hh.dwelling.heating, "occupants": len(hh.members),
        "tariff_option": hh.contract.option, "kva": hh.contract.kva, "cars": len(hh.cars),
        "events": len(data.timeline.events),
        "partners": [k for k, v in vars(hh.partners).items() if v],
        "showcase": is_showcase(hh.index),
    }


@dataclass
class Summary:
    out: Path
    households: list[dict] = field(default_factory=list)
    docs: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0

    @property
    def total_docs(self) -> int:
        return sum(self.docs.values())


def generate_population(opts: Options, progress: Callable[[int], None] | None = None) -> Summary:
    """Write the population to ``opts.out`` (atomically: a temp dir renamed at the end)."""
    opts = opts.validated()
    t0 = time.perf_counter()
    out = opts.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    period = Period.of_years(opts.start, opts.years)
    summary = Summary(out)
    jobs = [(opts.seed, i, period, opts.format, str(tmp)) for i in range(opts.households)]
    workers = opts.workers or os.cpu_count() or 1
    try:
        if opts.scheduler:
            _collect(run_on_cluster(opts.scheduler, work_shard, jobs, tmp, progress), summary,
                     None)
        elif workers == 1 or opts.households == 1:
            results = map(_work, jobs)
            _collect(results, summary, progress)
        else:
            with ProcessPoolExecutor(max_workers=min(workers, opts.households)) as pool:
                _collect(pool.map(_work, jobs, chunksize=1), summary, progress)
        summary.seconds = time.perf_counter() - t0
        manifest = {
            "generator": f"selfdata-sandbox synthetic_data {__version__}",
            "seed": opts.seed, "start": opts.start.isoformat(), "years": opts.years,
            "end": period.end.isoformat(), "format": opts.format,
            "households": summary.households, "documents": summary.docs,
        }
        (tmp / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        if out.exists():
            trash = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(trash)
            shutil.rmtree(trash)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _collect(results, summary: Summary, progress) -> None:
    for stats in results:
        summary.households.append(stats.summary)
        for doctype, n in stats.docs.items():
            summary.docs[doctype] = summary.docs.get(doctype, 0) + n
        summary.bytes += stats.bytes
        if progress:
            progress(1)
    summary.docs = dict(sorted(summary.docs.items()))


def read_manifest(directory: Path) -> dict:
    path = directory / "manifest.json"
    if not path.is_file():
        raise OutputError(f"{directory} has no manifest.json: not a complete generated population "
                          "(run `selfdata generate` first)")
    return orjson.loads(path.read_bytes())


__all__ = [
    "HouseholdData",
    "Options",
    "OutputError",
    "Summary",
    "generate_household",
    "generate_population",
    "household_context",
    "read_manifest",
]
