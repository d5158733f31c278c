"""Attack: odd parameters and bodies (huge numbers, wrong types, truncated JSON) answered 500
or reset the connection. Held by: FastAPI validation with bounds on every parameter and plain
domain errors mapped to 4xx. Schemathesis generates requests from the sandbox's own OpenAPI
document against a live server, with a token of the instance; none may answer 5xx."""

from __future__ import annotations

import pytest

from sandbox.settings import Settings
from tests.support.fuzz import fuzz
from tests.support.served import LiveServer

pytestmark = pytest.mark.slow


def test_no_request_makes_the_sandbox_answer_5xx(tmp_path):
    with LiveServer(Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}")) as server:
        inst = server.sandbox.instances.create("alice")
        server.sandbox.documents.load(inst.id, "io.cozy.bills", [
            {"_id": f"b{i}", "vendor": "EDF", "amount": i} for i in range(20)])
        token = server.sandbox.cli_token("alice", "io.cozy.bills io.cozy.journal:GET "
                                         "io.cozy.doctypes:GET io.cozy.files "
                                         "io.cozy.settings:GET", ttl=3600)
        run = fuzz(server.url, token, tmp_path)
        assert run.cases == run.passed and run.cases > 300
