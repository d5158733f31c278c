"""One Jinja2 set-up for every page of the sandbox and the store: autoescaped HTML, the same
filters, the shared stylesheet under ``/static``, in French or English (``i18n``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sandbox.webkit import i18n
from sandbox.webkit.i18n import Language

STATIC = Path(__file__).parent / "static"


def to_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def iso(ts: float) -> str:
    """An epoch as ISO 8601 in UTC (a ``<time datetime>``)."""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC).isoformat(timespec="seconds")


def language_of(request: Request, default: str) -> Language:
    """The language ``request`` is answered in (see ``i18n.choose``)."""
    return Language(i18n.choose(request.query_params.get(i18n.PARAM),
                                request.cookies.get(i18n.COOKIE),
                                request.headers.get("accept-language"), default))


class Pages:
    """The templates of one app, rendered to HTML responses in the request's language."""

    def __init__(self, directory: Path, default_language: str = "en"):
        self.directory = directory
        self.default_language = default_language
        self.filters: dict[str, Callable] = {"json": to_json, "upper_first": upper_first}
        self._envs: dict[str, Environment] = {}

    def env(self, code: str) -> Environment:
        if code not in self._envs:
            lang = Language(code)
            env = Environment(loader=FileSystemLoader(self.directory),
                              autoescape=select_autoescape(["html"]),
                              extensions=["jinja2.ext.i18n"])
            env.install_gettext_translations(i18n.translations(code),  # type: ignore[attr-defined]
                                             newstyle=True)
            env.filters.update(self.filters)
            env.filters.update({"when": lang.datetime, "number": lang.number,
                                "money": lang.money, "date": lang.date, "value": lang.value,
                                "month": lang.month, "size": lang.size,
                                "iso": iso})
            env.globals["lang"] = lang
            self._envs[code] = env
        return self._envs[code]

    def render(self, request: Request, name: str, status: int = 200,
               default_language: str | None = None, **ctx: Any) -> HTMLResponse:
        lang = language_of(request, default_language or self.default_language)
        switch = lang.switch(request.url.path, dict(request.query_params), request.method)
        html = self.env(lang.code).get_template(name).render(
            request=request, language_switch=switch, **ctx)
        response = HTMLResponse(html, status_code=status, headers={
            "Content-Language": lang.code, "Vary": "Accept-Language, Cookie"})
        asked = i18n.primary(request.query_params.get(i18n.PARAM))
        if asked and asked != request.cookies.get(i18n.COOKIE):
            response.set_cookie(i18n.COOKIE, asked, max_age=365 * 86400, samesite="lax")
        return response
