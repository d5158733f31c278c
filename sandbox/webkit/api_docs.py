"""``/api-docs`` on both apps: Swagger UI over the app's own ``/openapi.json``, its files from
the ``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1; installed with the
project) and served by the app itself, so the page works offline and loads nothing from
another site (its policy says so). Only the package's files are used, not its app class."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

PREFIX = "/api-docs/assets"
SWAGGER_UI = files("fastapi_offline") / "static"
FILES = {"swagger-ui.css": "text/css; charset=utf-8",
         "swagger-ui-bundle.js": "text/javascript; charset=utf-8"}
# Swagger UI styles elements inline and shows data: icons; nothing is fetched from elsewhere.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
          "form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff"}


def page(title: str, spec_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · API</title>
<link rel="stylesheet" href="{PREFIX}/swagger-ui.css">
<link rel="icon" href="data:,">
</head>
<body>
<noscript><p>This page needs JavaScript; the API's description is also at
<a href="{escape(spec_url)}">{escape(spec_url)}</a>.</p></noscript>
<div id="swagger-ui" data-spec="{escape(spec_url)}"></div>
<script src="{PREFIX}/swagger-ui-bundle.js"></script>
<script src="{PREFIX}/start.js"></script>
</body>
</html>
"""


# Started from a file of its own, not an inline script, so the policy can forbid inline ones.
START = """window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec, dom_id: "#swagger-ui", deepLinking: true,
    validatorUrl: null, tryItOutEnabled: false, defaultModelsExpandDepth: 0,
  });
});
"""


def install(app: FastAPI) -> None:
    """Serve ``/api-docs`` and its files on ``app`` (created with ``docs_url=None``)."""
    spec_url = app.openapi_url or "/openapi.json"

    @app.get("/api-docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page(app.title, spec_url), headers=HEADERS)

    @app.get(PREFIX + "/{name}", include_in_schema=False)
    def api_docs_asset(name: str):
        if name == "start.js":
            return Response(START, media_type="text/javascript; charset=utf-8",
                            headers=HEADERS)
        if name not in FILES:
            raise HTTPException(404)   # each app answers it in its own error envelope
        return FileResponse(str(SWAGGER_UI / name), media_type=FILES[name],
                            headers={**HEADERS, "Cache-Control": "public, max-age=86400"})


def request_body(description: str, example: dict, required: bool = True) -> dict:
    """The OpenAPI of a JSON body a route reads by hand (so the schema says what it takes),
    with an example: pass as a route's ``openapi_extra``."""
    return {"requestBody": {"required": required, "description": description, "content": {
        "application/json": {"schema": {"type": "object"}, "example": example}}}}


def summary_of(description: str, longest: int = 120) -> str:
    """A route's summary: the first sentence of its docstring, cut at a clause when long."""
    text = re.split(r"(?<!e\.g)(?<!i\.e)\. ", " ".join(description.split()), maxsplit=1)[0]
    text = text.rstrip(".")
    if len(text) <= longest:
        return text
    cut = max(text.rfind("; ", 0, longest), text.rfind(": ", 0, longest),
              text.rfind(" (", 0, longest))
    return text[:cut] if cut > 20 else text[:longest - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class ErrorDocs:
    """What an app tells its API docs about its errors and parameters.

    - ``schemas``: its error envelope(s) as OpenAPI schemas, added to ``components``;
    - ``media(path, status)``: the media type object of an error on ``path`` (a ``$ref`` to
      one of ``schemas`` and an example);
    - ``statuses(method, path, operation)``: the 4xx statuses the route can answer, with why;
    - ``parameters``: a description and an example for each parameter name a route does not
      describe itself (its own ``Path``/``Query`` description wins);
    - ``security``: the OpenAPI security schemes, and ``secured(method, path)`` the ones a
      route needs (``[]`` when it needs no token)."""

    schemas: dict[str, dict]
    media: Callable[[str, int], dict]
    statuses: Callable[[str, str, dict], dict[int, str]]
    parameters: dict[str, tuple[str, Any]] = field(default_factory=dict)
    security: dict[str, dict] = field(default_factory=dict)
    secured: Callable[[str, str], list[dict]] = lambda method, path: []


def describe(app: FastAPI, docs: ErrorDocs) -> None:
    """Complete the app's OpenAPI as it is generated: each route's summary from its
    docstring (never a name made from the function's), a description and example for each
    parameter, the token it needs, and each 4xx status it can answer, in the app's envelope
    (FastAPI's own validation shape is never shown: the apps answer their envelope)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        components = spec.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas.update(docs.schemas)
        if docs.security:
            components["securitySchemes"] = docs.security
        for path, ops in spec.get("paths", {}).items():
            for method, op in ops.items():
                if op.get("description"):
                    op["summary"] = summary_of(op["description"])
                for param in op.get("parameters", []):
                    _describe_parameter(param, docs.parameters)
                security = docs.secured(method, path)
                if security:
                    op["security"] = security
                responses = op.setdefault("responses", {})
                for code in [c for c in responses if c.startswith("4")]:
                    del responses[code]   # FastAPI's 422: not what the apps answer
                for status, why in sorted(docs.statuses(method, path, op).items()):
                    responses[str(status)] = {"description": why,
                                              "content": {"application/json":
                                                          docs.media(path, status)}}
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_parameter(param: dict, vocabulary: dict[str, tuple[str, Any]]) -> None:
    description, example = vocabulary.get(param["name"], (None, None))
    if not param.get("description") and description:
        param["description"] = description
    if "example" in param or "examples" in param:
        return
    schema = param.get("schema", {})
    if schema.get("examples"):
        param["example"] = schema["examples"][0]
    elif example is not None:
        param["example"] = example
    elif "default" in schema:
        param["example"] = schema["default"]


def parameters(*specs: tuple[str, str, str, Any]) -> dict:
    """The OpenAPI of parameters a route reads by hand, each ``(name, "query" | "header",
    description, example)``, as strings: pass as (part of) a route's ``openapi_extra``."""
    return {"parameters": [{"name": name, "in": where, "required": False,
                            "description": description, "example": example,
                            "schema": {"type": "string", "maxLength": 4096}}
                           for name, where, description, example in specs]}
