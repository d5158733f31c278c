"""A cozy-apps-registry compatible API: reads (reference §4.2), public, approved apps only;
and the write route ``cozy-app-publish`` uses (§4.3, ``POST /registry/:slug``), whose version
goes through the submission pipeline (app_store/publishing.py)."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from app_store import accounts, assets, catalogue, publishing
from app_store.accounts import Account
from app_store.errors import (
    Invalid,
    NotAcceptable,
    NotFound,
    TooLarge,
    Unauthorized,
    UnsupportedMedia,
)
from app_store.web.context import store

router = APIRouter(prefix="/registry", tags=["registry"])


def _accept(request: Request) -> None:
    accept = request.headers.get("accept")
    if accept and "application/json" not in accept and "*/*" not in accept:
        raise NotAcceptable("the registry answers JSON: send Accept: application/json")


def _rels(request: Request, slug: str) -> list[catalogue.Release]:
    rels = catalogue.releases(store(request), slug)
    if not rels:
        raise NotFound("App not found")
    return rels


@router.get("")
def list_apps(request: Request, limit: int = Query(200, ge=1, le=500),
              cursor: int = Query(0, ge=0, le=1_000_000),
              latest_channel: str = Query("stable", alias="latestChannelVersion",
                                          pattern="^(stable|beta|dev)$"),
              versions_channel: str = Query("dev", alias="versionsChannel",
                                            pattern="^(stable|beta|dev)$"),
              editor: str | None = Query(None, alias="filter[editor]", max_length=200),
              typ: str | None = Query(None, alias="filter[type]", max_length=32)
              ) -> JSONResponse:
    """List approved apps as cozy-apps-registry does (cursor pagination, channel filters)."""
    _accept(request)
    st = store(request)
    found = catalogue.apps(st)
    items = [catalogue.app_json(st, s, r, latest_channel, versions_channel)
             for s, r in found.items()]
    items = [a for a in items if (not editor or a["editor"] == editor)
             and (not typ or a["type"] == typ)]
    page = items[cursor:cursor + limit]
    meta: dict = {"count": len(items)}
    if cursor + limit < len(items):
        meta["next_cursor"] = str(cursor + limit)
    return JSONResponse({"data": page, "meta": meta})


@router.get("/slugs")
def slugs(request: Request) -> JSONResponse:
    """The slugs of every approved app."""
    return JSONResponse(sorted(catalogue.apps(store(request))))


@router.get("/maintenance")
def maintenance(request: Request) -> JSONResponse:
    """Apps under maintenance (always none here)."""
    return JSONResponse([])


@router.get("/{slug}")
def get_app(slug: str, request: Request,
            versions_channel: str = Query("dev", alias="versionsChannel",
                                          pattern="^(stable|beta|dev)$")) -> JSONResponse:
    """One app with its versions per channel and its latest version."""
    _accept(request)
    return JSONResponse(catalogue.app_json(store(request), slug, _rels(request, slug),
                                           versions_channel=versions_channel))


@router.get("/{slug}/versions")
def versions(slug: str, request: Request) -> JSONResponse:
    """An app's versions per channel."""
    _accept(request)
    return JSONResponse(catalogue.app_json(store(request), slug,
                                           _rels(request, slug))["versions"])


@router.get("/{slug}/icon")
def icon(slug: str, request: Request) -> Response:
    """The icon of an app's latest version (PNG, JPEG or SVG only)."""
    return _asset(request, _rels(request, slug)[-1], None)


@router.get("/{slug}/screenshots/{path:path}")
def screenshot(slug: str, path: str, request: Request) -> Response:
    """A screenshot the manifest lists (PNG, JPEG or SVG only)."""
    rel = _rels(request, slug)[-1]
    if path.lstrip("/") not in rel.screenshots:
        raise NotFound("Screenshot not found")
    return _asset(request, rel, path)


@router.get("/{slug}/{channel}/latest")
def latest(slug: str, channel: str, request: Request) -> JSONResponse:
    """The newest version on a channel (stable, beta or dev)."""
    _accept(request)
    if channel not in catalogue.CHANNELS:
        raise NotFound(f"unknown channel {channel!r}; use stable, beta or dev")
    rel = catalogue.latest(_rels(request, slug), channel)
    if rel is None:
        raise NotFound("Version not found")
    return JSONResponse(catalogue.version_json(store(request), rel))


def _version(request: Request, slug: str, version: str) -> catalogue.Release:
    version = version.removeprefix("v")
    for rel in _rels(request, slug):
        if rel.version == version:
            return rel
    raise NotFound("Version not found")


@router.get("/{slug}/{version}")
def get_version(slug: str, version: str, request: Request) -> JSONResponse:
    """One version: its manifest, tarball URL, size and sha256."""
    _accept(request)
    return JSONResponse(catalogue.version_json(store(request), _version(request, slug,
                                                                          version)))


@router.get("/{slug}/{version}/icon")
def version_icon(slug: str, version: str, request: Request) -> Response:
    """The icon of one version."""
    return _asset(request, _version(request, slug, version), None)


@router.get("/{slug}/{version}/tarball/{filename}")
def tarball(slug: str, version: str, filename: str, request: Request) -> Response:
    """The archive of one version, as uploaded (its sha256 in X-Sha256)."""
    rel = _version(request, slug, version)
    data = store(request).artifacts.get(rel.sha256)
    kind = "application/zip" if data[:2] == b"PK" else "application/gzip"
    return Response(data, media_type=kind, headers={"X-Sha256": rel.sha256})


# An asset is shown as an image, never run as a page: no script, no plugin, no form, and the
# browser may not guess another type.
ASSET_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                            "sandbox",
                 "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": "inline"}


def _asset(request: Request, rel: catalogue.Release, path: str | None) -> Response:
    st = store(request)
    sub = st.submissions.row(rel.submission_id)
    found = assets.read_image(st.artifacts, rel.sha256, sub.filename, st.limits,
                              path or assets.icon_path(rel.manifest))
    if found is None:
        raise NotFound("Asset not found")
    return image_response(*found)


def image_response(data: bytes, kind: str) -> Response:
    return Response(data, media_type=kind, headers=ASSET_HEADERS)


# ---- publishing (cozy-app-publish) ------------------------------------------------------------

async def publish_body(request: Request) -> dict:
    """The publish request's JSON object, read on the event loop (the registry's 415, 413 and
    400 answers)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise UnsupportedMedia("Unsupported Media Type: send the version as JSON "
                               "(Content-Type: application/json)")
    body = await request.body()
    if len(body) > publishing.MAX_BODY:
        raise TooLarge(f"Request Entity Too Large: a publish request is at most "
                       f"{publishing.MAX_BODY:,} bytes of JSON")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object with version, url and sha256")
    return data


def editor(request: Request) -> Account:
    """The team behind an editor token: ``Authorization: Token <the team's store token>``."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        raise Unauthorized("Missing prefix from authorization header: send "
                           "'Authorization: Token <your team's store token>' "
                           "(cozy-app-publish --token)")
    if len(token) > 1024:
        raise Unauthorized("Token is too long")
    try:
        who = accounts.authenticate(store(request).db, token.strip())
    except Unauthorized:
        raise Unauthorized("Token could not be verified: use your team's store token, as "
                           "for selfdata submit") from None
    if who.role != "team":
        raise Unauthorized(f"Token could not be verified: a team publishes its apps, and "
                           f"this is a {who.role}'s token")
    return who


@router.post("/{slug}", status_code=201)
def publish_version(request: Request, body: dict = Depends(publish_body),
                    slug: str = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")) -> JSONResponse:
    """Publish a version as cozy-app-publish does: ``{"version", "url", "sha256"}`` (the
    tool's ``editor`` and ``type`` are ignored, as by the registry). The store downloads the
    build from ``url`` (this machine only), submits it, and answers 201 with the Version; it
    is listed once checked, built, smoke-run and approved."""
    team = editor(request)
    req = publishing.parse_request(body)
    st = store(request)
    sub_id, data, manifest = publishing.publish(st.submissions, team, slug, req)
    url = f"{st.settings.url}/registry/{slug}/{req.version}/tarball/{slug}-{req.version}.tar.gz"
    return JSONResponse({
        "slug": slug, "editor": manifest.get("editor", team.name),
        "type": manifest.get("type", "webapp"), "version": req.version, "manifest": manifest,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "url": url,
        "size": str(len(data)), "sha256": req.sha256, "tar_prefix": "", "attachments": {},
        "selfdata": {"submission": sub_id, "state": "queued",
                     "status_url": f"/api/submissions/{sub_id}"}}, status_code=201)
