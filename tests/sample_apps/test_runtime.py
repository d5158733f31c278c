"""The runtime contract for every python sample app: health first, whatever the cloud does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.sample_apps import app_dirs, get, manifest_of, running_app
from tests.support.served import nowhere as refused_url

PYTHON_APPS = [a for a in app_dirs() if manifest_of(a)["runtime"]["type"] == "python"]
API = {"budget": "/api/summary", "energy-coach": "/api/summary",
       "home-and-insurance": "/api/summary", "leak-watch": "/api/findings"}


@pytest.mark.parametrize("app", PYTHON_APPS, ids=[a.name for a in PYTHON_APPS])
def test_health_answers_and_the_page_explains_when_the_cloud_is_down(app: Path) -> None:
    sock, nowhere = refused_url()  # bound, never listening: connections are refused
    with sock, running_app(app, nowhere, "not-a-token", "nobody") as base:
        assert get(base + "/health")[0] == 200
        status, body, ctype = get(base + API[app.name])
        assert status == 502 and ctype.startswith("application/json")
        assert "error" in json.loads(body)
        status, page, _ = get(base + "/")
        assert status == 200 and b'class="error"' in page


@pytest.mark.parametrize("app", PYTHON_APPS, ids=[a.name for a in PYTHON_APPS])
def test_a_refused_token_is_reported_not_crashed_on(app: Path, live_sandbox) -> None:
    """A token the cloud refuses (the app is not installed in that instance) gives a clear
    error on the page, and the server keeps serving."""
    instance = live_sandbox.instance_for(0)
    token = live_sandbox.sb.app_token(instance, "not-installed")
    with running_app(app, live_sandbox.url, token, instance) as base:
        status, body, _ = get(base + API[app.name])
        assert status == 502 and "error" in json.loads(body)
        assert get(base + "/health")[0] == 200
