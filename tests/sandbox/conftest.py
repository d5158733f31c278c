"""Sandbox fixtures: the app on SQLite and on PostgreSQL, instances and tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sandbox.settings import Settings
from sandbox.web.app import create_app
from tests.support.api import Api
from tests.support.backends import BACKENDS, url_for_backend


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    return url_for_backend(request, tmp_path, "t")


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(database_url=database_url, max_body_bytes=1024 * 1024,
                    files_dir=str(tmp_path / "files"))


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    app.state.sandbox.close()


@pytest.fixture
def sb(app):
    return app.state.sandbox


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app)


FULL = "io.cozy.doctypes:GET test.notes test.other io.cozy.journal:GET"


@pytest.fixture
def alice(sb, client) -> Api:
    sb.instances.create("alice")
    return Api(client, sb.cli_token("alice", FULL))


@pytest.fixture
def bob(sb, client) -> Api:
    sb.instances.create("bob")
    return Api(client, sb.cli_token("bob", FULL))
