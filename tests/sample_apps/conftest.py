"""The sample apps' live sandbox: one per session, households loaded once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.settings import Settings
from tests.support.sample_apps import LiveSandbox
from tests.support.served import LiveServer
from tests.support.stack_assets import ASSETS_DIR


@pytest.fixture(scope="session")
def live_sandbox(tmp_path_factory) -> Iterator[LiveSandbox]:
    db = tmp_path_factory.mktemp("sample-apps") / "sandbox.db"
    server = LiveServer(Settings(database_url=f"sqlite:///{db}",
                                 assets_dir=str(ASSETS_DIR))).start()
    try:
        yield LiveSandbox(server)
    finally:
        server.stop()
