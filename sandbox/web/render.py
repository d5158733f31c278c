"""The sandbox's pages: one template set-up, and the instance a page is about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from sandbox.errors import NotFound
from sandbox.instances import Instance
from sandbox.web.context import address, sandbox
from sandbox.webkit.templates import Pages

PAGES = Pages(Path(__file__).parent / "templates")


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    port = request.url.port
    ctx.setdefault("port_suffix", f":{port}" if port else "")
    return PAGES.render(request, name, status, **ctx)


def instance_or_page(request: Request) -> tuple[Instance | None, HTMLResponse | None]:
    """The instance the Host names, or the page that says there is none."""
    name = address(request).instance
    port = f":{request.url.port}" if request.url.port else ""
    if not name:
        return None, render(request, "message.html", 404, title="Which personal cloud?",
                            message="Open this page on an instance's address, e.g. "
                                    f"http://<instance>.localhost{port}/ — the list is on the "
                                    "home page.")
    try:
        return sandbox(request).instances.get(name), None
    except NotFound:
        return None, render(request, "message.html", 404, title="No such personal cloud",
                            message=f"There is no instance named {name}.")
