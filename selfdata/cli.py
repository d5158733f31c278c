"""``selfdata``: subcommands of every package under one command."""

from __future__ import annotations

from pathlib import Path

import click

from app_store.cli import dev, store, submit
from sandbox.cli import sandbox, serve, token
from selfdata.up import up
from synthetic_data.cli import generate, realism, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="selfdata-sandbox")
def main() -> None:
    """Selfdata Sandbox: synthetic self-data, a personal-cloud sandbox and an app store."""


main.add_command(generate)
main.add_command(validate)
main.add_command(realism)
main.add_command(serve)
main.add_command(sandbox)
main.add_command(token)
main.add_command(up)
main.add_command(store)
main.add_command(submit)
main.add_command(dev)


@main.command()
@click.argument("out", type=click.Path(path_type=Path), default=Path("docs/reference"))
def reference(out: Path) -> None:
    """Write the API and doctype reference (Markdown) from the code and the schemas."""
    from selfdata.reference import write

    for path in write(out):
        click.echo(path)


if __name__ == "__main__":
    main()
