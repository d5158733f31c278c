"""Sandbox fixtures: the app on SQLite and on PostgreSQL, instances and tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sandbox.settings import Settings
from sandbox.web.app import create_app
from tests.support.backends import BACKENDS, url_for_backend


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    return url_for_backend(request, tmp_path, "t")


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, max_body_bytes=1024 * 1024)


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


class Api:
    """A client bound to one instance and scope."""

    def __init__(self, client: TestClient, token: str):
        self.c = client
        self.h = {"Authorization": f"Bearer {token}"}

    def _h(self, kw):
        return {**self.h, **kw.pop("headers", {})}

    def get(self, path, **kw):
        return self.c.get(path, headers=self._h(kw), **kw)

    def post(self, path, body=None, **kw):
        return self.c.post(path, headers=self._h(kw), json=body, **kw)

    def put(self, path, body=None, **kw):
        return self.c.put(path, headers=self._h(kw), json=body, **kw)

    def delete(self, path, **kw):
        return self.c.delete(path, headers=self._h(kw), **kw)


FULL = "io.cozy.doctypes:GET test.notes test.other io.cozy.journal:GET"


@pytest.fixture
def alice(sb, client) -> Api:
    sb.instances.create("alice")
    return Api(client, sb.cli_token("alice", FULL))


@pytest.fixture
def bob(sb, client) -> Api:
    sb.instances.create("bob")
    return Api(client, sb.cli_token("bob", FULL))
