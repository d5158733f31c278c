"""``/assets/...`` on the cloud's hosts, as the stack serves it (``web/statik`` in cozy-stack):
only the listed assets, a ``.<sum>.`` in the name stripped; with a sum, cached for a year
(immutable), without one, an ETag to revalidate. GET and HEAD only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from sandbox.serving.assets import SETUP_HINT, StackAssets, extract_asset_id

router = APIRouter(include_in_schema=False)
IMMUTABLE = "max-age=31536000, public, immutable"
REVALIDATE = "no-cache, public"


def stack_assets(request: Request) -> StackAssets:
    return request.app.state.stack_assets


@router.api_route("/assets/{name:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH",
                                                   "DELETE"])
def serve_asset(name: str, request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        return PlainTextResponse(f"Method {request.method} not allowed\n", status_code=405,
                                 headers={"Allow": "GET, HEAD"})
    store = stack_assets(request)
    plain, asset_id = extract_asset_id("/" + name)
    asset = store.get(plain)
    if asset is None:
        known = plain in store.names()
        why = f"{plain} is not installed: {SETUP_HINT}" if known else "File not found"
        return PlainTextResponse(why + "\n", status_code=404)
    headers = {"Vary": "Origin, Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    if asset_id:
        headers["Cache-Control"] = IMMUTABLE
    else:
        headers["Cache-Control"] = REVALIDATE
        headers["ETag"] = asset.etag
        if asset.etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
    body = asset.data
    if "gzip" in request.headers.get("accept-encoding", ""):
        packed = store.gzipped(asset)
        if packed is not None:
            body = packed
            headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    return Response(b"" if request.method == "HEAD" else body, media_type=asset.content_type,
                    headers=headers)
