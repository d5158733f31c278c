"""``selfdata store ...`` (serve, base-image, account) and ``selfdata submit``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click


@click.group()
def store() -> None:
    """The app store: serve it, build the base image, create accounts."""


@store.command("serve")
@click.option("--host", default=None, help="Default 127.0.0.1 (SELFDATA_STORE_HOST).")
@click.option("--port", type=int, default=None, help="Default 8090 (SELFDATA_STORE_PORT).")
def serve_store(host: str | None, port: int | None) -> None:
    """Serve the store (API, registry, pages) and run its build workers."""
    import uvicorn

    from app_store.settings import StoreSettings
    from app_store.web.app import create_app

    over = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = StoreSettings.from_env(**over)
    click.echo(f"Store on {settings.url}/ (database {settings.database_url})")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level="warning")


@store.command("base-image")
def base_image() -> None:
    """Build the base image every app is built on (debootstrap + docker import), once."""
    from app_store.runtime.base_image import ensure_base_image
    from app_store.runtime.engine import DockerEngine, EngineError
    from app_store.settings import StoreSettings

    s = StoreSettings.from_env()
    try:
        engine = DockerEngine(s.docker_host or None)
        if s.base_image:
            if not engine.image_id(s.base_image):
                raise EngineError(f"SELFDATA_BASE_IMAGE={s.base_image} is not on the engine")
            click.echo(s.base_image)
            return
        started = time.monotonic()
        tag = ensure_base_image(engine, log=lambda m: click.echo(m, err=True))
    except EngineError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(tag)
    click.echo(f"ready in {time.monotonic() - started:.1f} s", err=True)


@store.command("account")
@click.argument("role", type=click.Choice(["team", "organiser", "judge"]))
@click.argument("name")
@click.option("--team", default=None, help="For a judge: the team they belong to.")
def account(role: str, name: str, team: str | None) -> None:
    """Create an account and print its token (shown once)."""
    from app_store import accounts
    from app_store.errors import StoreError
    from app_store.service import Store
    from app_store.settings import StoreSettings

    st = Store(StoreSettings.from_env())
    try:
        _, token = accounts.create(st.db, name, role, team)
    except StoreError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        for p in exc.problems:
            click.echo(f"  {p['path']}: {p['message']}", err=True)
        sys.exit(2)
    finally:
        st.close()
    click.echo(token)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--store", "store_url", required=True, envvar="SELFDATA_STORE_URL",
              help="e.g. http://127.0.0.1:8090")
@click.option("--token", required=True, envvar="SELFDATA_STORE_TOKEN", help="Your team's token.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Follow the submission until it is checked, built and smoke-run.")
@click.option("--timeout", type=float, default=600, show_default=True)
def submit(directory: Path, store_url: str, token: str, wait: bool, timeout: float) -> None:
    """Pack DIRECTORY and submit it to the store; print each step and the check results."""
    import httpx

    from app_store.packing import pack

    try:
        data = pack(directory)
    except FileNotFoundError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    base = store_url.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        r = httpx.post(f"{base}/api/submissions", params={"filename": f"{directory.name}.tar.gz"},
                       content=data, headers=headers, timeout=60)
    except httpx.HTTPError as exc:
        click.echo(f"Error: cannot reach the store at {base}: {exc}", err=True)
        sys.exit(1)
    if r.status_code != 202:
        click.echo(f"Error: the store refused the upload ({r.status_code}): "
                   f"{r.json().get('error', r.text)}", err=True)
        sys.exit(1)
    sub = r.json()
    click.echo(f"Submission {sub['id']} queued ({len(data):,} bytes).")
    if not wait:
        return
    seen = "queued"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        info = httpx.get(f"{base}/api/submissions/{sub['id']}", headers=headers, timeout=30).json()
        if info["state"] != seen:
            seen = info["state"]
            click.echo(f"  {seen}")
        if seen in ("awaiting-review", "approved", "rejected", "failed"):
            break
    for p in (info.get("checks") or {}).get("problems", []):
        click.echo(f"  [{p['severity']}] {p['check']} {p['path']}: {p['message']}")
    if info.get("reason"):
        click.echo(f"  reason: {info['reason']}")
    click.echo(f"Details: {base}/submissions/{sub['id']}")
    sys.exit(0 if seen in ("awaiting-review", "approved") else 1)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--instance", required=True, help="The tester's instance to run against.")
@click.option("--database-url", default=None, help="Default: SELFDATA_DATABASE_URL or the "
              "sandbox of `make run` (var/sandbox.db).")
@click.option("--port", type=int, default=8088, show_default=True)
def dev(directory: Path, instance: str, database_url: str | None, port: int) -> None:
    """Serve an app from DIRECTORY against an instance, reloading on change (no container)."""
    from app_store.checks.run import check_upload
    from app_store.packing import pack
    from sandbox.errors import NotFound
    from sandbox.settings import Settings
    from sandbox.web.app import create_app
    from selfdata.dev import DevSession
    from selfdata.event import serve_in_thread, shutdown, stop_on_sigterm

    try:
        report = check_upload(pack(directory), "dev.tar.gz")
    except FileNotFoundError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    for p in report.problems:
        click.echo(f"  store check [{p.severity}] {p.check} {p.path}: {p.message}", err=True)
    if report.manifest is None:
        sys.exit(2)
    over = {"port": port}
    if database_url:
        over["database_url"] = database_url
    app = create_app(Settings.from_env(**over))
    try:
        app.state.sandbox.instances.get(instance)
    except NotFound:
        names = ", ".join(i.name for i in app.state.sandbox.instances.all()[:5]) or "none"
        click.echo(f"Error: --instance: no instance {instance!r} (some there are: {names}); "
                   "run `make run` first or pass --database-url", err=True)
        sys.exit(2)
    import socket

    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            click.echo(f"Error: --port: 127.0.0.1:{port} is taken; pass another --port", err=True)
            sys.exit(2)
    session = DevSession(app, port, directory, instance, say=click.echo)
    stop_on_sigterm()
    server = serve_in_thread(app, port)
    session.start()
    click.echo(f"{session.manifest['name']} on {session.url} (Ctrl-C to stop); "
               "reloading when a file changes.")
    try:
        while not server.should_exit:
            time.sleep(1)
            if session.changed():
                click.echo("Change seen: restarting the app.")
                session.reload()
    except KeyboardInterrupt:
        pass
    session.stop()
    shutdown([server])
