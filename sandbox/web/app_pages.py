"""A static app's index page, filled as the stack fills it, on its way back through the proxy
(the container's shim and ``selfdata dev`` serve the file as it is).

Only the index (``/`` and ``/<runtime.index>``) of a ``static`` app is a template, with a token
minted for that page load. A page Go cannot parse goes out as it is; one Go cannot run gets the
stack's 500, with what to fix. Python apps write their own pages (see ``page_env``)."""

from __future__ import annotations

import html
import logging
import posixpath

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from sandbox.contract import addresses
from sandbox.serving.page import PageContext, render_index
from sandbox.serving.template import NotATemplate, TemplateFailed
from sandbox.web.context import sandbox

log = logging.getLogger("sandbox.serving")
PAGE_HEADERS = {"Cache-Control": "private, no-store, must-revalidate",
                "X-Content-Type-Options": "nosniff"}


def is_index(path: str, index: str) -> bool:
    clean = posixpath.normpath("/" + path.lstrip("/"))
    return clean in ("/", "/" + index)


def index_page(request: Request, slug: str, instance: str, response: Response) -> Response:
    """``response`` (the app's answer) with the template filled when it is a static app's
    index page; blocking (a database read and a token), so run it in a thread."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    sb = sandbox(request)
    installed = sb.installs.get(sb.instances.get(instance), slug)
    manifest = installed.manifest if installed is not None else None
    if manifest is None or manifest.runtime.type != "static" or \
            not is_index(request.url.path, manifest.runtime.index):
        return response
    try:
        text = bytes(response.body).decode("utf-8")
    except UnicodeDecodeError:
        return response  # not text: Go would not parse it either
    ctx = PageContext.of(manifest, addresses.instance_host(instance, request.url.port),
                         sb.app_token(instance, slug), sb.locale_of(instance))
    try:
        page = render_index(text, ctx, request.app.state.stack_assets)
    except NotATemplate as exc:
        log.info("%s: %s is not a Go template (%s); served as it is", slug,
                 manifest.runtime.index, exc)
        return response
    except TemplateFailed as exc:
        log.warning("%s: %s cannot be run as a template: %s", slug, manifest.runtime.index, exc)
        return HTMLResponse(_failed(slug, manifest.runtime.index, str(exc)), status_code=500,
                            headers=PAGE_HEADERS)
    body = b"" if request.method == "HEAD" else page.encode()
    return Response(body, media_type="text/html; charset=UTF-8", headers=PAGE_HEADERS)


def _failed(slug: str, index: str, why: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Application not "
            f"supported</title><h1>Application not supported</h1><p>A Cozy stack cannot run "
            f"<code>{html.escape(index)}</code> of <b>{html.escape(slug)}</b> as a template and "
            f"answers this error page (500) too: {html.escape(why)}.</p></html>\n")
