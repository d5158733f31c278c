"""The store's API under generated requests (schemathesis, from its own OpenAPI document),
with an organiser's token so every route is reached: none may answer 5xx or drop the
connection."""

from __future__ import annotations

import pytest

from tests.support.apps import app_files, manifest, tar_gz
from tests.support.fuzz import fuzz
from tests.support.served import Served
from tests.support.store import NO_ENGINE, approve_directly, make_store

pytestmark = pytest.mark.slow


def test_no_request_makes_the_store_answer_5xx(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as store:
        m = manifest(slug="my-calls")
        approve_directly(store, "Blue", m, tar_gz(app_files(m)))
        with Served(store.app, lifespan="off") as served:
            run = fuzz(served.url, store.tokens["Org"], tmp_path)
    assert run.cases == run.passed and run.cases > 200
