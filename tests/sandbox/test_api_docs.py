"""``/api-docs`` on both apps works offline: Swagger UI's files come from the installed
``fastapi-offline`` package (Swagger UI 5) and are served by each app, the page names only
local files (and its policy forbids others), and every route is described: a summary from its
docstring, its parameters, an example for each JSON body, and its error answers in the app's
shape."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app_store.settings import StoreSettings
from app_store.web.app import create_app as create_store
from sandbox.settings import Settings
from sandbox.web.app import create_app as create_sandbox
from sandbox.webkit.api_docs import summary_of


@pytest.fixture(scope="module", params=["sandbox", "store"])
def app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sandbox":
        application = create_sandbox(Settings(database_url=f"sqlite:///{tmp / 's.db'}"))
    else:
        application = create_store(StoreSettings(database_url=f"sqlite:///{tmp / 'st.db'}",
                                                 data_dir=tmp, workers=0))
    with TestClient(application) as client:
        yield request.param, client


def local_references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_page_and_its_files_are_served_by_the_app_itself(app):
    _, client = app
    r = client.get("/api-docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    refs = local_references(r.text)
    assert "/api-docs/assets/swagger-ui-bundle.js" in refs
    assert "/api-docs/assets/swagger-ui.css" in refs and "/api-docs/assets/start.js" in refs
    for ref in refs:
        if ref == "data:,":
            continue                                      # no favicon to fetch
        assert ref.startswith("/") and not ref.startswith("//"), ref
        got = client.get(ref)
        assert got.status_code == 200 and got.content, ref
    assert 'data-spec="/openapi.json"' in r.text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text) == []   # no inline script
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "http" not in policy                                          # no other site
    js = client.get("/api-docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert len(js.content) > 500_000 and b"SwaggerUIBundle" in js.content
    assert b"validatorUrl: null" in client.get("/api-docs/assets/start.js").content


def test_only_the_listed_files_are_served(app):
    name, client = app
    for bad in ("redoc.standalone.js", "favicon.png", "..%2F__init__.py", "core.py"):
        r = client.get(f"/api-docs/assets/{bad}")
        assert r.status_code == 404, bad
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert ("problems" in body) if name == "store" else (body["error"] == "not_found")


def test_every_route_is_described(app):
    name, client = app
    spec = client.get("/openapi.json").json()
    ops = [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(ops) > (80 if name == "sandbox" else 25)
    for method, path, op in ops:
        where = f"{method.upper()} {path}"
        assert op.get("description"), f"{where} has no docstring"
        assert op["summary"] == summary_of(op["description"]) and len(op["summary"]) > 10, where
        errors = {k: v for k, v in op["responses"].items() if k.startswith("4")}
        assert errors, f"{where} says nothing of its errors"
        for answer in errors.values():
            media = answer["content"]["application/json"]
            assert media.get("example") or media.get("examples"), where
        assert "422" not in op["responses"], f"{where} shows FastAPI's validation shape"
        for param in op.get("parameters", []):
            assert param["in"] in ("path", "query", "header", "cookie") and param["schema"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:    # read by hand: an example; a typed model: its schema
            assert body.get("example") or "$ref" in body["schema"], \
                f"{where} has a JSON body without an example"


def test_error_shapes_are_the_ones_each_app_answers(app):
    name, client = app
    spec = client.get("/openapi.json").json()
    if name == "store":
        shape = spec["paths"]["/api/scores"]["post"]["responses"]["4XX"]["content"][
            "application/json"]
        answer = client.post("/api/scores", json={}).json()
        assert set(shape["example"]) == set(answer) == {"error", "problems"}
        assert spec["paths"]["/api/scores"]["post"]["summary"].startswith("Score an approved")
    else:
        files = spec["paths"]["/files/{file_id}"]["get"]["responses"]["4XX"]["content"][
            "application/json"]["example"]
        assert set(client.get("/files/nope").json()) == set(files) == {"errors"}
        data = spec["paths"]["/data/{doctype}/_find"]["post"]
        assert set(data["responses"]["4XX"]["content"]["application/json"]["examples"]) == {
            "stack", "couchdb"}
        assert data["summary"] == "Find documents of a doctype with a Mango selector (fields, " \
                                  "sort, limit, skip, bookmark)"
