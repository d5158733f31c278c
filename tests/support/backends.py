"""The two database backends every store and sandbox suite runs on: SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest

_names = itertools.count()

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def url_for_backend(request, folder, prefix: str) -> str:
    """A fresh database for the fixture's backend parameter: a SQLite file in ``folder`` or a
    new database in the session's PostgreSQL cluster (the ``pg_cluster`` fixture)."""
    if request.param == "sqlite":
        return f"sqlite:///{folder / f'{prefix}.db'}"
    return request.getfixturevalue("pg_cluster").create_database(f"{prefix}{next(_names)}")
