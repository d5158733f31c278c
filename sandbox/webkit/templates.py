"""One Jinja2 set-up for every page of the sandbox and the store: autoescaped HTML, the same
filters, the shared stylesheet under ``/static``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

STATIC = Path(__file__).parent / "static"


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(ts)))


def to_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


class Pages:
    """The templates of one app, rendered to HTML responses."""

    def __init__(self, directory: Path):
        self.env = Environment(loader=FileSystemLoader(directory),
                               autoescape=select_autoescape(["html"]))
        self.env.filters["json"] = to_json
        self.env.filters["when"] = when

    def render(self, request: Request, name: str, status: int = 200,
               **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(request=request, **ctx)
        return HTMLResponse(html, status_code=status)
