"""``selfdata generate``, ``selfdata validate`` and ``selfdata realism``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from synthetic_data.errors import ClusterError, HouseholdError, OptionsError, OutputError
from synthetic_data.writers import FORMATS


def _parse_date(ctx, param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD, "
                                 "e.g. 2025-01-01") from None


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"


@click.command()
@click.option("--households", "-n", type=int, default=20, show_default=True,
              help="How many households (one tester each).")
@click.option("--years", "-y", type=int, default=1, show_default=True,
              help="Years of data per household.")
@click.option("--start", default="2025-01-01", show_default=True, callback=_parse_date,
              help="First local day (YYYY-MM-DD).")
@click.option("--seed", "-s", type=int, default=42, show_default=True,
              help="Master seed: the same seed and options give byte-identical output.")
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="Output directory (created; written atomically).")
@click.option("--format", "-f", "fmt", default="ndjson", show_default=True,
              help=f"One of: {', '.join(FORMATS)}.")
@click.option("--workers", "-j", type=int, default=0, show_default=True,
              help="Processes (0: one per core).")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Generate on this Dask scheduler's workers, a task per shard of households "
                   "(same bytes as a local run); --out must be on a filesystem the workers "
                   "share, at the same path.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def generate(households: int, years: int, start: date, seed: int, out: Path, fmt: str,
             workers: int, force: bool, scheduler: str | None, quiet: bool) -> None:
    """Generate a population of households with a year (or more) of every source."""
    from synthetic_data.calendar_fr import Period
    from synthetic_data.population import Options, future_warning, generate_population

    opts = Options(households=households, years=years, start=start, seed=seed, out=out,
                   format=fmt.lower(), workers=workers, force=force, scheduler=scheduler)
    try:
        opts.validated()
    except OptionsError as exc:
        for option, message in exc.problems:
            click.echo(f"Error: {option}: {message}", err=True)
        sys.exit(2)
    warning = future_warning(start, Period.of_years(start, years).end, date.today())
    if warning:
        click.echo(warning, err=True)
    try:
        with click.progressbar(length=households, label="households", file=sys.stderr,
                               hidden=quiet, show_pos=True, show_eta=True) as bar:
            summary = generate_population(opts, progress=bar.update)
    except ClusterError as exc:
        click.echo(f"Error: --scheduler: {exc}", err=True)
        sys.exit(2)
    except HouseholdError as exc:
        click.echo(f"Error: {exc}; {out} was left as it was", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"Error: --out: cannot write {out}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    width = max(len(d) for d in summary.docs) if summary.docs else 10
    click.echo(f"\n{'doctype':<{width}}  {'documents':>12}")
    for doctype, count in summary.docs.items():
        click.echo(f"{doctype:<{width}}  {count:>12,}")
    rate = summary.total_docs / summary.seconds if summary.seconds else 0.0
    click.echo(f"{'total':<{width}}  {summary.total_docs:>12,}")
    click.echo(f"\n{households} households x {years} year(s) -> {summary.out} ({fmt}): "
               f"{_human(summary.bytes)} in {summary.seconds:.1f} s ({rate:,.0f} documents/s)")


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--limit", type=int, default=0, help="Check at most this many documents per file.")
def validate(directory: Path, limit: int) -> None:
    """Check every document of a generated population against its doctype's JSON Schema, and
    every Drive file's bytes against its size and md5sum."""
    from synthetic_data.population import read_manifest
    from synthetic_data.reading import iter_documents, iter_drive
    from synthetic_data.schemas import problems

    bad = checked = files = 0
    try:
        for _instance, doctype, docs in iter_documents(directory, limit=limit):
            for i, doc in enumerate(docs):
                checked += 1
                for p in problems(doctype, doc):
                    bad += 1
                    if bad <= 20:
                        click.echo(f"{doctype} #{i}: {p}", err=True)
        manifest = read_manifest(directory)
        for hh in manifest["households"] if manifest["format"] in ("json", "ndjson") else []:
            try:
                files += sum(data is not None for _doc, data in iter_drive(directory,
                                                                            hh["instance"]))
            except OutputError as exc:
                bad += 1
                click.echo(f"{hh['instance']}: {exc}", err=True)
    except (OutputError, KeyError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{checked:,} documents checked, {files:,} files checked, {bad:,} problems")
    sys.exit(1 if bad else 0)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
def realism(directory: Path) -> None:
    """Print per-source statistics beside target ranges; exit 1 if one is out of range."""
    from synthetic_data.realism import measure, render

    try:
        results = measure(directory)
    except OutputError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(render(results))
    sys.exit(0 if all(r.ok for r in results) else 1)
