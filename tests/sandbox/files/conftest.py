"""Files fixtures: an instance with a token on every file, and helpers to make tokens."""

from __future__ import annotations

import pytest

from tests.support.api import Api

ALL_FILES = "io.cozy.files io.cozy.settings:GET"


@pytest.fixture
def owner(sb, client) -> Api:
    """``alice`` with a token on all her files (and the disk usage)."""
    sb.instances.create("alice")
    return Api(client, sb.cli_token("alice", ALL_FILES))


@pytest.fixture
def token_for(sb, client, owner):
    """Another token of alice's, with the given scope."""
    def make(scope: str) -> Api:
        return Api(client, sb.cli_token("alice", scope))
    return make
