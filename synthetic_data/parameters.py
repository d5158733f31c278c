"""Loads the realism parameter files shipped in ``synthetic_data/params`` (cached)."""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from importlib import resources
from typing import Any


def _params_dir():
    return resources.files("synthetic_data") / "params"


@cache
def load(name: str) -> dict[str, Any]:
    """The TOML file ``params/<name>.toml`` as a dict."""
    with (_params_dir() / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def load_csv(name: str) -> tuple[dict[str, str], ...]:
    """The CSV file ``params/<name>.csv`` as a tuple of row dicts (strings)."""
    with (_params_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))
