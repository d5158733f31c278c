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


# Routes that answer every request (no token, parameter or body): no 4xx to document.
ANSWER_ANYTHING = {("get", "/status"), ("get", "/status/"), ("get", "/data/"),
                   ("get", "/api/criteria"), ("get", "/registry/slugs"),
                   ("get", "/registry/maintenance")}
ENVELOPES = {"sandbox": {"CouchError", "DataError", "StackError", "JsonApiErrors"},
             "store": {"StoreError"}}


def refs(schema: dict) -> set[str]:
    found = {schema["$ref"].rsplit("/", 1)[1]} if "$ref" in schema else set()
    for option in schema.get("oneOf", []):
        found |= refs(option)
    return found


def test_every_route_is_described(app):
    """Walks the whole OpenAPI document: a route added without its docs fails here."""
    name, client = app
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert ENVELOPES[name] <= set(schemas) and "HTTPValidationError" not in schemas
    ops = [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(ops) > (80 if name == "sandbox" else 25)
    for method, path, op in ops:
        where = f"{method.upper()} {path}"
        assert op.get("description"), f"{where} has no docstring"
        assert op["summary"] == summary_of(op["description"]) and len(op["summary"]) > 10, where
        errors = {k: v for k, v in op["responses"].items() if k.startswith("4")}
        if (method, path) in ANSWER_ANYTHING:
            assert not errors and not op.get("parameters") and "requestBody" not in op, where
            assert "security" not in op, where
            continue
        assert errors, f"{where} documents no 4xx answer"
        assert "4XX" not in errors and all(k.isdigit() for k in errors), where
        for code, answer in errors.items():
            assert answer["description"], f"{where} {code}"
            media = answer["content"]["application/json"]
            assert refs(media["schema"]) and refs(media["schema"]) <= ENVELOPES[name], \
                f"{where} {code} is not in the app's error envelope"
            assert media.get("example") or media.get("examples"), where
        if op.get("security"):
            assert "401" in errors or "403" in errors, f"{where} needs a token: 401/403"
        for scheme in op.get("security", []):
            assert set(scheme) <= set(spec["components"]["securitySchemes"]), where
        for param in op.get("parameters", []):
            what = f"{where} parameter {param['name']}"
            assert param["in"] in ("path", "query", "header", "cookie") and param["schema"]
            assert param.get("description"), f"{what} has no description"
            assert "example" in param or "examples" in param, f"{what} has no example"
            if param["in"] == "path":
                assert "404" in errors, f"{where} takes a path but documents no 404"
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:    # read by hand: an example; a typed model: its schema
            assert body.get("example") or "$ref" in body["schema"], \
                f"{where} has a JSON body without an example"
        if op.get("parameters") or body is not None:
            assert "400" in errors, f"{where} takes input but documents no 400"


def test_error_shapes_are_the_ones_each_app_answers(app):
    name, client = app
    spec = client.get("/openapi.json").json()
    if name == "store":
        shape = spec["paths"]["/api/scores"]["post"]["responses"]["400"]["content"][
            "application/json"]
        answer = client.post("/api/scores", json={}).json()
        assert set(shape["example"]) == set(answer) == {"error", "problems"}
        assert set(spec["components"]["schemas"]["StoreError"]["required"]) == set(answer)
        assert spec["paths"]["/api/scores"]["post"]["summary"].startswith("Score an approved")
        publish = spec["paths"]["/registry/{slug}"]["post"]
        assert publish["security"] == [{"editor": []}] and "415" in publish["responses"]
        assert "security" not in spec["paths"]["/registry/{slug}"]["get"]
    else:
        files = spec["paths"]["/files/{file_id}"]["get"]["responses"]["404"]["content"][
            "application/json"]
        answer = client.get("/files/nope")
        assert answer.status_code == 401
        assert set(answer.json()) == set(files["example"]) == {"errors"}
        assert files["schema"]["$ref"].endswith("/JsonApiErrors")
        data = spec["paths"]["/data/{doctype}/_find"]["post"]
        assert set(data["responses"]["404"]["content"]["application/json"]["examples"]) == {
            "stack", "couchdb"}
        assert set(data["responses"]) >= {"400", "401", "403", "404"}
        assert data["summary"] == "Find documents of a doctype with a Mango selector (fields, " \
                                  "sort, limit, skip, bookmark)"
        put = spec["paths"]["/data/{doctype}/{doc_id}"]["put"]["responses"]
        assert "409" in put and "409" not in spec["paths"]["/data/{doctype}/{doc_id}"]["get"][
            "responses"]
        assert "413" in spec["paths"]["/files/{dir_id}"]["post"]["responses"]
        status = spec["paths"]["/status/"]["get"]
        assert "security" not in status
