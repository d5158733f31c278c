"""``selfdata``: subcommands of every package under one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app_store.checks.run import check_upload
from app_store.cli import store, submit
from app_store.packing import pack
from sandbox.cli import (
    no_database_message,
    no_instance_message,
    project_database,
    sandbox,
    serve,
    token,
)
from sandbox.errors import DevSessionBusy, NotFound
from sandbox.settings import Settings
from sandbox.web.app import create_app
from selfdata import event, reference
from selfdata.dev import DevSession
from selfdata.up import up
from synthetic_data.cli import generate, realism, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="selfdata-sandbox")
def main() -> None:
    """Selfdata Sandbox: synthetic self-data, a personal-cloud sandbox and an app store."""


@click.command("reference")
@click.argument("out", type=click.Path(path_type=Path), default=Path("docs/reference"))
def reference_command(out: Path) -> None:
    """Write the API, doctype and settings reference (Markdown) from the code."""
    for path in reference.write(out):
        click.echo(path)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--instance", required=True, envvar="SELFDATA_INSTANCE",
              help="The tester's instance to run against (SELFDATA_INSTANCE).")
@click.option("--database-url", envvar="SELFDATA_DATABASE_URL", default=None,
              help="Default: the nearest var/sandbox.db from this folder up, else the "
              "project's (what `make run` wrote).")
@click.option("--port", type=int, default=8088, show_default=True, envvar="SELFDATA_DEV_PORT",
              help="Port on 127.0.0.1 (0: a free one; the address is printed).")
def dev(directory: Path, instance: str, database_url: str | None, port: int) -> None:
    """Serve an app from DIRECTORY against an instance, reloading on change (no container).

    Prints the app's address and the environment (COZY_URL, COZY_TOKEN) to copy into a
    shell, for scripts that use the same API with the app's token."""
    try:
        report = check_upload(pack(directory), "dev.tar.gz")
    except FileNotFoundError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    for p in report.problems:
        click.echo(f"  store check [{p.severity}] {p.check} {p.path}: {p.message}", err=True)
    if report.manifest is None:
        sys.exit(2)
    url, how = project_database(database_url)
    if (problem := no_database_message(url, how)) is not None:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    try:
        sock = event.listening_socket(port)
    except OSError:
        click.echo(f"Error: --port: 127.0.0.1:{port} is taken; pass another --port (0 takes "
                   "a free one)", err=True)
        sys.exit(2)
    port = sock.getsockname()[1]
    app = create_app(Settings.from_env(port=port, database_url=url,
                                       serve_installed_apps=False))
    try:
        app.state.sandbox.instances.get(instance)
    except NotFound:
        names = [i.name for i in app.state.sandbox.instances.all()]
        click.echo(f"Error: --instance: {no_instance_message(instance, url, how, names)}",
                   err=True)
        sock.close()
        app.state.sandbox.close()
        sys.exit(2)
    if app.state.stack_assets.missing():
        click.echo("Warning: the stack's assets (cozy-client-js, cozy-bar) are not installed, "
                   "so {{.CozyClientJS}} and {{.CozyBar}} will not load: run `make install` "
                   "(or `selfdata sandbox assets`).", err=True)
    session = DevSession(app, port, directory, instance, say=click.echo)
    event.stop_on_sigterm()
    server = event.serve_in_thread(app, sock)
    try:
        session.start()
    except DevSessionBusy as exc:
        click.echo(f"Error: {exc.message}", err=True)
        event.shutdown([server])
        sys.exit(2)
    for gone in session.stale:
        click.echo(f"Removed the record of a `selfdata dev` session that stopped without "
                   f"cleaning up: {gone.slug} in {instance}.")
    slug = session.manifest.slug
    # the address is printed once the app answers on it, so a first click never meets a 502
    if not session.wait_ready():
        click.echo("The app did not start listening on $PORT: fix it and save again "
                   "(the session keeps watching its files).", err=True)
    click.echo(f"{session.manifest.name} on {session.url} (Ctrl-C to stop); "
               "reloading the app and its open pages when a file changes.")
    installed = app.state.sandbox.installs.get(app.state.sandbox.instances.get(instance), slug)
    if installed is not None:
        click.echo(f"The installed {slug} of {instance} is left as it is: this session has its "
                   "own address, record and token, all removed when it stops.")
    _print_env(session)
    try:
        while not server.should_exit:
            if session.changed(timeout=1):
                click.echo("Change seen: restarting the app.")
                if not session.reload():
                    click.echo("The app stopped at start: fix it and save again.", err=True)
                elif session.target is not None:
                    click.echo("Open pages reloaded.")
                if session.reinstalled:
                    click.echo("The manifest changed, so did the app's token:")
                    _print_env(session)
    except KeyboardInterrupt:
        pass
    session.close()
    event.shutdown([server])


def _print_env(session: DevSession) -> None:
    click.echo("The app's environment, for a script or a shell (its token allows exactly the "
               "manifest's permissions):")
    click.echo(f"export COZY_URL={session.cozy_url}")
    click.echo(f"export COZY_TOKEN={session.token}")


for command in (generate, validate, realism, serve, sandbox, token, up, store, submit, dev,
                reference_command):
    main.add_command(command)

if __name__ == "__main__":
    main()
