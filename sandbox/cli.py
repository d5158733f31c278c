"""``selfdata serve``, ``selfdata sandbox load|instances`` and ``selfdata token``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sandbox.settings import Settings

DEFAULT_DATABASE = Path("var") / "sandbox.db"     # what `make run` / `selfdata up` writes
CHECKOUT = Path(__file__).resolve().parents[1]     # the project this sandbox runs from
HEALTHCHECK_S = 120   # a worker process of `serve --workers` may take that long to answer


def _settings(database_url: str | None) -> Settings:
    return Settings.from_env(**({"database_url": database_url} if database_url else {}))


def project_database(database_url: str | None, cwd: Path | None = None) -> tuple[str, str]:
    """The database a command on existing instances works on, and how it was chosen (for its
    messages): the one given; else the ``var/sandbox.db`` of this folder or the nearest
    parent that has one (as git finds its folder); else the project's own (``make run``
    writes it there). When there is none, this folder's, which does not exist."""
    if database_url:
        return database_url, "given by --database-url or SELFDATA_DATABASE_URL"
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents, CHECKOUT):
        if (folder / DEFAULT_DATABASE).is_file():
            where = "this folder's" if folder == here else f"found in {folder}"
            return f"sqlite:///{folder / DEFAULT_DATABASE}", f"{where} {DEFAULT_DATABASE}"
    return f"sqlite:///{here / DEFAULT_DATABASE}", \
        f"the default, {DEFAULT_DATABASE} under this folder or the project's"


def missing_database(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist (opening it would create an empty
    database), else None."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    return None if path.is_file() else path.resolve()


HOW_TO_POINT = ("pass --database-url (or set SELFDATA_DATABASE_URL) with the URL `make run` "
                "printed, e.g. sqlite:///{example}")


def no_database_message(url: str, how: str) -> str | None:
    """What to say when the database a command would read does not exist, or None."""
    path = missing_database(url)
    if path is None:
        return None
    return (f"no sandbox database at {path} ({how}); run `make run` first, or "
            + HOW_TO_POINT.format(example=CHECKOUT / DEFAULT_DATABASE))


def no_instance_message(name: str, url: str, how: str, names: list[str]) -> str:
    some = ", ".join(names[:5]) + (f" ({len(names)} in all)" if len(names) > 5 else "")
    return (f"no instance named {name!r} in {url} ({how}); instances there: {some or 'none'}. "
            "To use another database, " + HOW_TO_POINT.format(
                example=CHECKOUT / DEFAULT_DATABASE))


db_option = click.option("--database-url", envvar="SELFDATA_DATABASE_URL", default=None,
                         help="SQLAlchemy URL (default sqlite:///var/sandbox.db).")


@click.command()
@db_option
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 (default 8080).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes sharing the port, on one database (docs/workers.md).")
def serve(database_url: str | None, port: int | None, workers: int) -> None:
    """Serve the sandbox API on 127.0.0.1."""
    import os

    import uvicorn

    settings = _settings(database_url)
    if database_url:
        os.environ["SELFDATA_DATABASE_URL"] = database_url
    port = port or settings.port
    os.environ["SELFDATA_PORT"] = str(port)  # installed apps' sockets forward to this port
    click.echo(f"Sandbox API on http://127.0.0.1:{port}/ (docs: /docs), database "
               f"{settings.database_url}")
    # With workers, uvicorn's parent pings each one and replaces one that does not answer
    # within the health-check time; a worker answers only once its imports are done, which on
    # a busy machine takes longer than uvicorn's 5 s default: it would be killed while starting,
    # again and again.
    uvicorn.run("sandbox.web.asgi:build", host="127.0.0.1", port=port, workers=workers,
                log_level="warning", factory=True, access_log=False,
                timeout_worker_healthcheck=HEALTHCHECK_S)


@click.group()
def sandbox() -> None:
    """Instances of the personal-cloud sandbox."""


@sandbox.command("load")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@db_option
@click.option("--ground-truth", is_flag=True, help="Also load org.selfdata.groundtruth.event.")
@click.option("--replace", is_flag=True, help="Recreate instances that already exist.")
@click.option("--live-from", default=None, metavar="DATE",
              help="Live run: only what is delivered by DATE is loaded; the rest arrives on "
                   "each source's cadence once a clock runs (selfdata sandbox clock).")
@click.option("--faults", type=click.Choice(["clean", "realistic", "hostile"]), default="clean",
              show_default=True, help="Delivery faults of a live run.")
def load(directory: Path, database_url: str | None, ground_truth: bool, replace: bool,
         live_from: str | None, faults: str) -> None:
    """Create one instance per household of a generated population and load its data."""
    from sandbox.errors import SandboxError
    from sandbox.live.clock import parse_moment
    from sandbox.live.sources import cadences
    from sandbox.loader import LiveLoad, load_population
    from sandbox.service import Sandbox
    from synthetic_data.errors import OutputError
    from synthetic_data.population import read_manifest

    sb = Sandbox(_settings(database_url))
    try:
        live = None
        if live_from:
            live = LiveLoad(parse_moment(live_from, cadences().timezone), faults,
                            int(read_manifest(directory)["seed"]))
        report = load_population(sb, directory, include_ground_truth=ground_truth,
                                 replace=replace, live=live,
                                 progress=lambda n: click.echo(f"  {n}"))
    except (OutputError, SandboxError) as exc:
        click.echo(f"Error: {getattr(exc, 'reason', exc)}", err=True)
        sys.exit(2)
    finally:
        sb.close()
    click.echo(f"{len(report.instances)} instances loaded, {report.documents:,} documents"
               + (f"; {len(report.skipped)} already there (kept, use --replace)"
                  if report.skipped else "")
               + (f"; {report.pending:,} deliveries to come, {report.faults} delivery faults"
                  if live_from else ""))


@sandbox.command("clock")
@db_option
@click.option("--instance", default=None, help="An instance's own clock (default: the "
              "event's).")
@click.option("--start", "--jump", "at", default=None, metavar="DATE",
              help="Start the clock at, or jump forward to, a date or ISO date-time.")
@click.option("--speed", type=float, default=None,
              help="Simulated seconds per second (1440: a day per minute).")
@click.option("--pause", "paused", flag_value=True, default=None, help="Pause the clock.")
@click.option("--resume", "paused", flag_value=False, help="Resume it.")
@click.option("--follow-event", is_flag=True, help="The instance drops its own clock.")
def clock(database_url: str | None, instance: str | None, at: str | None,
          speed: float | None, paused: bool | None, follow_event: bool) -> None:
    """Show or drive the simulated clock of a live run (a running server follows it)."""
    import orjson

    from sandbox.errors import SandboxError
    from sandbox.live.clock import EVENT, parse_moment
    from sandbox.service import Sandbox

    sb = Sandbox(_settings(database_url))
    try:
        inst = sb.instances.get(instance) if instance else None
        if follow_event and inst is not None:
            sb.live.clocks.follow_event(inst.id)
        elif at is not None or speed is not None or paused is not None:
            when = parse_moment(at, sb.live.cadences.timezone) if at else None
            sb.live.clocks.set(inst.id if inst else EVENT, at=when, speed=speed, paused=paused)
        click.echo(orjson.dumps(sb.live.status(inst), option=orjson.OPT_INDENT_2).decode())
    except SandboxError as exc:
        click.echo(f"Error: {getattr(exc, 'reason', exc)}", err=True)
        sys.exit(2)
    finally:
        sb.close()


@sandbox.command("instances")
@db_option
def instances(database_url: str | None) -> None:
    """List instances."""
    from sandbox.service import Sandbox

    url, how = project_database(database_url)
    if (problem := no_database_message(url, how)) is not None:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    sb = Sandbox(_settings(url))
    try:
        for inst in sb.instances.all():
            p = inst.profile
            click.echo(f"{inst.name:<40} {p.get('main_member', ''):<28} {p.get('commune', '')}")
    finally:
        sb.close()


@sandbox.command("assets")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Where to install (default SELFDATA_ASSETS_DIR, var/stack-assets).")
def assets(directory: Path | None) -> None:
    """Install the stack's assets from npm (cozy-client-js, cozy-bar, fonts), pinned."""
    from sandbox.serving.install import AssetsSetupError, install

    try:
        install(directory or Path(Settings.from_env().assets_dir), say=click.echo)
    except AssetsSetupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


@click.command()
@click.option("--instance", "-i", required=True, help="Instance name (see sandbox instances).")
@click.option("--scope", "-s", required=True,
              help='Cozy scope, e.g. "fr.orange.phonecommunicationlog:GET io.cozy.bills:GET".')
@click.option("--ttl", type=int, default=24 * 3600, show_default=True, help="Seconds.")
@db_option
def token(instance: str, scope: str, ttl: int, database_url: str | None) -> None:
    """Print an API token bound to one instance with the given scope.

    The database is the one given, else the nearest var/sandbox.db from this folder up, else
    the project's (what `make run` wrote); a missing one is never created."""
    from sandbox.errors import CouchError, NotFound
    from sandbox.service import Sandbox

    url, how = project_database(database_url)
    if (problem := no_database_message(url, how)) is not None:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    sb = Sandbox(_settings(url))
    try:
        click.echo(sb.cli_token(instance, scope, ttl=ttl))
    except NotFound:
        names = [i.name for i in sb.instances.all()]
        click.echo(f"Error: {no_instance_message(instance, url, how, names)}", err=True)
        sys.exit(2)
    except CouchError as exc:
        click.echo(f"Error: {exc.reason}", err=True)
        sys.exit(2)
    finally:
        sb.close()
