"""``selfdata up``: one command for an event — data, sandbox, URLs and a token."""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import click

from app_store.web.app import create_app as create_store
from sandbox import ondemand
from sandbox.live.clock import EVENT, parse_moment
from sandbox.live.sources import cadences
from sandbox.loader import LiveLoad, LoadReport, load_population
from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.web.app import create_app as create_sandbox
from selfdata import event
from synthetic_data.calendar_fr import Period
from synthetic_data.population import (
    MAX_HOUSEHOLDS,
    MAX_YEARS,
    Options,
    future_warning,
    generate_population,
    read_manifest,
)
from synthetic_data.sources import all_doctypes

# The demo token reads every doctype the generator writes but the organisers' answer key
# (ground truth is not the tester's data; it is loaded only when asked for), plus the list
# of doctypes and the access journal.
NOT_IN_DEMO_TOKEN = frozenset({"org.selfdata.groundtruth.event"})

EXAMPLE_CHALLENGES = Path(__file__).with_name("challenges.json")  # the example: leaks
READ_SCOPE = " ".join(f"{d}:GET" for d in (
    *(d for d in all_doctypes() if d not in NOT_IN_DEMO_TOKEN),
    "io.cozy.doctypes", "io.cozy.journal"))


class Progress:
    """``done/total`` of a long step, printed at each tenth of the way and at the end (a step
    of many seconds never runs silent; a short one does not flood the terminal)."""

    def __init__(self, what: str, total: int, say=click.echo):
        self.what, self.total, self.say = what, max(total, 1), say
        self.done = 0
        self.step = max(1, -(-self.total // 10))

    def __call__(self, detail: object = None) -> None:
        self.done += 1
        if self.done % self.step == 0 or self.done == self.total:
            extra = f" ({detail})" if isinstance(detail, str) else ""
            self.say(f"  {self.what} {self.done}/{self.total}{extra}")


def _listen(port: int, option: str) -> socket.socket:
    """Bind the port now (0: a free one), so nothing can take it while the data loads."""
    try:
        return event.listening_socket(port)
    except OSError:
        click.echo(f"Error: {option}: 127.0.0.1:{port} is taken; pass another {option} (0 "
                   "takes a free one)", err=True)
        sys.exit(2)


@click.command()
@click.option("--households", "-n", type=int, default=20, show_default=True)
@click.option("--years", "-y", type=int, default=1, show_default=True)
@click.option("--start", default="2025-01-01", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path("var/population"),
              show_default=True, help="Where the population is (generated if missing).")
@click.option("--database", type=click.Path(path_type=Path), default=Path("var/sandbox.db"),
              show_default=True, help="SQLite file of the sandbox (rebuilt).")
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--store-port", type=int, default=8090, show_default=True)
@click.option("--samples/--no-samples", default=True, show_default=True,
              help="Submit, approve and install the sample apps (needs a Docker engine).")
@click.option("--no-serve", is_flag=True, help="Prepare the data, print the token, exit.")
@click.option("--eager", is_flag=True, help="Generate and load every household before serving "
              "(by default each is generated and loaded on its tester's first request; --live "
              "implies --eager).")
@click.option("--live", is_flag=True, help="Simulated time: data arrives on each partner's "
              "cadence from --live-from on (the clock is paused with --no-serve).")
@click.option("--speed", type=float, default=1440, show_default=True,
              help="Live: simulated seconds per second (1440: a day per minute).")
@click.option("--live-from", default=None, metavar="DATE",
              help="Live: the clock's start (default: four weeks after the data's start).")
@click.option("--faults", type=click.Choice(["clean", "realistic", "hostile"]),
              default="clean", show_default=True, help="Live: delivery faults.")
@click.option("--workers", type=click.IntRange(0, 64), default=0,
              help="Sandbox worker processes sharing the port (docs/workers.md); default 0: "
              "one per core.")
@click.option("--challenges", "challenges_file", type=click.Path(path_type=Path,
              exists=True, dir_okay=False), default=EXAMPLE_CHALLENGES, show_default=True,
              help="Challenges (a JSON list, docs/challenges.md) created and opened in the "
              "store.")
def up(households: int, years: int, start: str, seed: int, data_dir: Path, database: Path,
       port: int, store_port: int, samples: bool, no_serve: bool, eager: bool, live: bool,
       speed: float, live_from: str | None, faults: str, challenges_file: Path,
       workers: int) -> None:
    """Serve a population from a fresh sandbox: each household generated from the seed (or
    read from --data when a population is there) and loaded on its tester's first request;
    with --eager or --live, generated and loaded before serving."""
    workers = workers or os.cpu_count() or 1
    try:
        first = date.fromisoformat(start)
    except ValueError:
        click.echo(f"Error: --start: {start!r} is not a date (YYYY-MM-DD)", err=True)
        sys.exit(2)
    sandbox_sock = None if no_serve else _listen(port, "--port")
    store_sock = None if no_serve else _listen(store_port, "--store-port")
    if sandbox_sock is not None:
        port = sandbox_sock.getsockname()[1]
    manifest = data_dir / "manifest.json"
    if not (eager or live):
        sb, url, report = _declare(data_dir, database, households, years, first, seed)
        _serve_or_exit(sb, url, report, database, port, sandbox_sock, store_sock, samples,
                       challenges_file, workers=workers)
        return
    if manifest.is_file():
        m = read_manifest(data_dir)
        click.echo(f"Using the population in {data_dir} ({len(m['households'])} households, "
                   f"seed {m['seed']}, from {m['start']}).")
    else:
        click.echo(f"Generating {households} households x {years} year(s) into {data_dir} "
                   "(once; later runs reuse them) ...")
        s = generate_population(Options(households=households, years=years, start=first,
                                         seed=seed, out=data_dir, format="ndjson", force=True),
                                progress=Progress("generated", households))
        click.echo(f"  {s.total_docs:,} documents in {s.seconds:.1f} s")
    m = read_manifest(data_dir)
    warning = future_warning(date.fromisoformat(m["start"]), date.fromisoformat(m["end"]),
                             date.today())
    if warning:
        click.echo(warning, err=True)
    sb, url = _fresh_sandbox(database)
    m = read_manifest(data_dir)
    total = len(m["households"])
    click.echo(f"Loading {total} households into the sandbox ({database}) ...")
    plan = None
    if live:
        tz = cadences().timezone
        try:
            begin = parse_moment(live_from, tz) if live_from else parse_moment(
                (date.fromisoformat(m["start"]) + timedelta(days=28)).isoformat(), tz)
        except Exception as exc:
            click.echo(f"Error: --live-from: {getattr(exc, 'reason', exc)}", err=True)
            sys.exit(2)
        plan = LiveLoad(begin, faults, int(m["seed"]))
    started = time.monotonic()
    report = load_population(sb, data_dir, live=plan, progress=Progress("loaded", total))
    click.echo(f"  {report.documents:,} documents in {time.monotonic() - started:.1f} s")
    if plan is not None:  # paused until the servers are up
        sb.live.clocks.set(EVENT, at=plan.start, speed=speed, paused=True)
    _serve_or_exit(sb, url, report, database, port, sandbox_sock, store_sock, samples,
                   challenges_file, live, faults, live_from, speed, workers)


def _fresh_sandbox(database: Path) -> tuple[Sandbox, str]:
    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    return Sandbox(Settings(database_url=url)), url


def _declare(data_dir: Path, database: Path, households: int, years: int, first: date,
             seed: int) -> tuple[Sandbox, str, LoadReport]:
    """Instances declared, each loaded on its first use (``sandbox.ondemand``): from the
    population in ``data_dir`` if there is one, else from the seed (nothing generated now)."""
    if (data_dir / "manifest.json").is_file():
        m = read_manifest(data_dir)
        start, end = date.fromisoformat(m["start"]), date.fromisoformat(m["end"])
        click.echo(f"Declaring the {len(m['households'])} households of {data_dir} (seed "
                   f"{m['seed']}, from {m['start']}): each is loaded from its files on its "
                   "tester's first request ...")
    else:
        if not (1 <= households <= MAX_HOUSEHOLDS and 1 <= years <= MAX_YEARS):
            click.echo(f"Error: --households must be 1 to {MAX_HOUSEHOLDS:,} and --years 1 to "
                       f"{MAX_YEARS}", err=True)
            sys.exit(2)
        start, end = first, Period.of_years(first, years).end
        click.echo(f"Declaring {households} households x {years} year(s) of seed {seed} from "
                   f"{first}: each is generated and loaded on its tester's first request ...")
    warning = future_warning(start, end, date.today())
    if warning:
        click.echo(warning, err=True)
    started = time.monotonic()
    sb, url = _fresh_sandbox(database)
    if (data_dir / "manifest.json").is_file():
        names = ondemand.from_files(sb.instances, data_dir)
    else:
        names = ondemand.seeded(sb.instances, seed, first, years, households)
    click.echo(f"  {len(names)} instances declared in {time.monotonic() - started:.1f} s")
    return sb, url, LoadReport(instances=names)


def _serve_or_exit(sb: Sandbox, url: str, report: LoadReport, database: Path, port: int,
                   sandbox_sock: socket.socket | None, store_sock: socket.socket | None,
                   samples: bool, challenges_file: Path, live: bool = False, faults: str = "",
                   live_from: str | None = None, speed: float = 1, workers: int = 1) -> None:
    first_inst = report.instances[0]
    if sb.ondemand.pending():
        click.echo(f"Loading the first tester's household ({first_inst}) for the demo token ...")
    started = time.monotonic()
    token = sb.cli_token(first_inst, READ_SCOPE, ttl=7 * 24 * 3600)
    if sb.ondemand.pending():
        click.echo(f"  ready in {time.monotonic() - started:.1f} s; the others load on first "
                   "use")
    sb.close()
    base = f"http://127.0.0.1:{port}"
    documents = f"{report.documents:,} documents" if report.documents else \
        "households loaded on first use"
    click.echo(f"""
  Sandbox (personal clouds)   {base}/
  First tester's dashboard    http://{first_inst}.localhost:{port}/
  Data browser                http://{first_inst}.localhost:{port}/browse/
  API reference               {base}/api-docs   (OpenAPI: {base}/openapi.json)
  {len(report.instances)} instances, {documents}, database {database}

  A read token for {first_inst} (7 days):
  export TOKEN={token}
  curl -s "{base}/data/io.cozy.bills/_normal_docs?limit=3" -H "Authorization: Bearer $TOKEN"
  More tokens: .venv/bin/selfdata token --instance NAME --scope "DOCTYPE:GET" --database-url sqlite:///{database.resolve()}

""")
    if live:
        click.echo(f"  Live: {report.pending:,} deliveries to come ({faults} faults: "
                   f"{report.faults}), clock from {live_from or 'four weeks in'} at x{speed:g}.")
    if sandbox_sock is None or store_sock is None:
        if live:
            click.echo(f"  The clock is paused: .venv/bin/selfdata sandbox clock --resume "
                       f"--database-url {url}")
        return
    _serve_event(url, sandbox_sock, store_sock, database.parent, first_inst, report.instances,
                 samples, live, faults, challenges_file, workers)


def _serve_event(url: str, sandbox_sock: socket.socket, store_sock: socket.socket, var: Path,
                 first_inst: str, instances: list[str], samples: bool, live: bool,
                 faults: str = "", challenges: Path | None = None, workers: int = 1) -> None:
    port = sandbox_sock.getsockname()[1]
    store_port = store_sock.getsockname()[1]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{var / 'store.db'}{suffix}").unlink(missing_ok=True)
    store_url = f"http://127.0.0.1:{store_port}"
    admin_token = secrets.token_urlsafe(24)
    store_settings = event.store_settings_for(store_port, port, var,
                                              admin_token if live else "",
                                              faults if live else "")
    click.echo("Starting the app store and the sandbox ...")
    store_app = create_store(store_settings)
    sandbox_app = create_sandbox(event.sandbox_settings_for(url, port, store_settings,
                                                            live_admin_token=admin_token))
    state = event.EventState()
    event.stop_on_sigterm()
    event.prepare_store(store_app, state, challenges)
    servers = [event.serve_in_thread(store_app, store_sock),
               event.serve_sandbox(sandbox_app, sandbox_sock, workers)]
    state.engine = store_app.state.store.farm.engine_status()
    if live:  # the clock runs from now on
        sandbox_app.state.sandbox.live.clocks.set(EVENT, paused=False)
        click.echo(f"  Live clock: http://127.0.0.1:{port}/admin/live (organiser token "
                   f"{admin_token}), or the store's organiser console: {store_url}/organiser#live")
    try:
        _apps_and_urls(store_app, sandbox_app, state, store_url, port, first_inst, instances,
                       samples)
        while all(not s.should_exit for s in servers):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("Stopping: apps' containers, build workers, servers ...")
        event.shutdown(servers)


def _apps_and_urls(store_app, sandbox_app, state, store_url: str, port: int, first_inst: str,
                   instances: list[str], samples: bool) -> None:
    farm = store_app.state.store.farm
    sample_dir = Path(__file__).resolve().parents[1] / "sample_apps"
    if not samples:
        click.echo("Sample apps not submitted (--no-samples).")
    elif state.engine.startswith("Docker") and sample_dir.is_dir():
        click.echo(f"Container engine: {state.engine}. Building the base image if needed "
                   "(minutes the first time, then reused) ...")
        try:
            started = time.monotonic()
            farm.forget_images()  # the store's database starts afresh: its old images go
            click.echo(f"  base image {farm.base_image()} ready in "
                       f"{time.monotonic() - started:.1f} s")
            event.submit_samples(store_url, state, sample_dir, click.echo)
            event.install_for(sandbox_app, first_inst, store_url, state, click.echo)
        except Exception as exc:
            click.echo(f"The sample apps could not be built: {exc}", err=True)
    else:
        click.echo(f"Apps are not built: {state.engine}. Everything else runs; start an "
                   "engine with scripts/ensure-docker.sh (as root) and set DOCKER_HOST.")
    base = f"http://127.0.0.1:{port}"
    installed = ", ".join(f"http://{s}.{first_inst}.localhost:{port}/"
                          for s in state.installed) or "none"
    click.echo(f"""
  App store catalogue         {store_url}/
  Organiser console           {store_url}/organiser   (sign in with the organiser token)
  Challenges                  {store_url}/challenges  ({", ".join(state.challenges) or "none"})
  Store API docs              {store_url}/api-docs
  Sandbox API docs            {base}/api-docs
  Tester dashboards           http://<instance>.localhost:{port}/ — e.g.
                              http://{first_inst}.localhost:{port}/ ({len(instances)} testers)
  Apps installed for {first_inst}: {installed}

  Organiser token   {state.organiser_token}
  Team token        {state.team_token}   (team "Sample apps")
  Judge token       {state.judge_token}

  For docs/contestant-tutorial.md, paste into the terminal you work in (the project's folder):
export SELFDATA_INSTANCE={first_inst}
export SELFDATA_STORE_URL={store_url}
export SELFDATA_STORE_TOKEN={state.team_token}
  then: .venv/bin/selfdata dev ./my-app --instance "$SELFDATA_INSTANCE"
        .venv/bin/selfdata submit ./my-app

Serving (Ctrl-C to stop).""")
