"""Sandbox settings: one object, read from ``SELFDATA_*`` environment variables, passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def read_env(cls, prefix: str, environ: dict[str, str] | None = None,
             names: dict[str, str] | None = None, skip: set[str] = frozenset()) -> dict:
    """Values of a settings dataclass's fields found in the environment (``PREFIX_FIELD``,
    or the variable ``names`` gives for a field), converted to the field's type."""
    env = os.environ if environ is None else environ
    values: dict = {}
    for f in fields(cls):
        key = (names or {}).get(f.name, f"{prefix}{f.name.upper()}")
        if f.name in skip or key not in env:
            continue
        kind = {"int": int, "float": float, "Path": Path}.get(str(getattr(f.type, "__name__",
                                                                         f.type)), str)
        try:
            values[f.name] = kind(env[key])
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise ValueError(f"{key}={env[key]!r}: expected {what}") from None
    return values


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/sandbox.db"
    host: str = "127.0.0.1"
    port: int = 8080
    # Where the generated population is loaded from by `selfdata sandbox load`.
    population_dir: Path = Path("var/population")
    max_body_bytes: int = 16 * 1024 * 1024
    find_default_limit: int = 100
    find_max_limit: int = 1000
    # Mango guards against hostile selectors.
    max_selector_depth: int = 16
    max_in_values: int = 10_000
    max_regex_length: int = 512
    regex_timeout_s: float = 0.5
    app_token_ttl_s: int = 24 * 3600
    access_token_ttl_s: int = 7 * 24 * 3600
    cli_token_ttl_s: int = 30 * 60
    # App installs: the store registry apps come from, and the container engine that runs them.
    registry_url: str = ""
    docker_host: str = ""
    app_start_timeout_s: float = 20
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        values = read_env(cls, "SELFDATA_", environ, skip={"extra"})
        values.update(overrides)
        return cls(**values)
