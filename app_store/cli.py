"""``selfdata store ...`` (serve, base-image, account) and ``selfdata submit``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import httpx
import uvicorn

from app_store import accounts
from app_store.build_farm.base_image import ensure_base_image
from app_store.client import StoreClient, StoreClientError
from app_store.errors import StoreError
from app_store.packing import pack_folder
from app_store.settings import StoreSettings
from app_store.store import Store
from app_store.web.app import create_app
from sandbox.runtime.engine import DockerEngine, EngineError


@click.group()
def store() -> None:
    """The app store: serve it, build the base image, create accounts."""


@store.command("serve")
@click.option("--host", default=None, help="Default 127.0.0.1 (SELFDATA_STORE_HOST).")
@click.option("--port", type=int, default=None, help="Default 8090 (SELFDATA_STORE_PORT).")
def serve_store(host: str | None, port: int | None) -> None:
    """Serve the store (API, registry, pages) and run its build workers."""
    over = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = StoreSettings.from_env(**over)
    click.echo(f"Store on {settings.url}/ (database {settings.database_url})")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level="warning")


@store.command("base-image")
def base_image() -> None:
    """Build the base image every app is built on (debootstrap + docker import), once."""
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
    try:
        packed = pack_folder(directory)
    except FileNotFoundError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Packed {packed.files:,} files ({len(packed.data):,} bytes).")
    if packed.left_out:
        click.echo(packed.summary())
    client = StoreClient(store_url, token)
    try:
        sub_id = client.submit(packed.data, f"{directory.resolve().name}.tar.gz")
        click.echo(f"Submission {sub_id} queued.")
        if not wait:
            return
        info = client.wait(sub_id, timeout, on_state=lambda s: click.echo(f"  {s}"))
    except StoreClientError as exc:
        click.echo(f"Error: the store refused the request ({exc.status}): {exc.message}",
                   err=True)
        sys.exit(1)
    except (httpx.HTTPError, TimeoutError) as exc:
        click.echo(f"Error: {store_url}: {exc}", err=True)
        sys.exit(1)
    finally:
        client.close()
    for p in (info.get("checks") or {}).get("problems", []):
        click.echo(f"  [{p['severity']}] {p['check']} {p['path']}: {p['message']}")
    if info.get("reason"):
        click.echo(f"  reason: {info['reason']}")
    click.echo(f"Details: {store_url.rstrip('/')}/submissions/{sub_id}")
    sys.exit(0 if info["state"] in ("awaiting-review", "approved") else 1)
