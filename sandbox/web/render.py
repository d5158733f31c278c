"""The sandbox's pages: one template set-up, the instance a page is about, and its language
(chosen by the visitor, else their browser's, else the cloud's own locale: French)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from sandbox.errors import InstanceNotReady, NotFound
from sandbox.instances import Instance
from sandbox.web.context import address, sandbox
from sandbox.webkit.i18n import N_, Language
from sandbox.webkit.templates import Pages, language_of

PAGES = Pages(Path(__file__).parent / "templates")
# The sandbox's own pages run no script at all and load only the shared stylesheet (charts are
# inline SVG; a few elements carry a style attribute). No form-action: the OAuth consent form's
# answer redirects to the client's own address, which browsers would check against it.
POLICY = ("default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")


def default_language(request: Request, inst: Instance | None = None) -> str:
    """A cloud's pages default to its locale (its settings'; French, as the pilot's were)."""
    sb = sandbox(request)
    if inst is not None:
        return sb.instance_settings.locale_of(inst)
    return sb.settings.instance_locale


def language(request: Request, inst: Instance | None = None) -> Language:
    return language_of(request, default_language(request, inst))


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    port = request.url.port
    ctx.setdefault("port_suffix", f":{port}" if port else "")
    response = PAGES.render(request, name, status,
                            default_language=default_language(request, ctx.get("instance")),
                            **ctx)
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def message(request: Request, status: int, title: str, text: str, inst: Instance | None = None,
            **values: Any) -> HTMLResponse:
    """A page that says one thing: ``title`` and ``text`` are messages (msgids), translated
    here, with ``values`` put in after."""
    lang = language(request, inst)
    return render(request, "message.html", status, instance=inst, title=lang.gettext(title),
                  message=lang.gettext(text) % values if values else lang.gettext(text))


def instance_or_page(request: Request) -> tuple[Instance | None, HTMLResponse | None]:
    """The instance the Host names, or the page that says there is none."""
    name = address(request).instance
    port = f":{request.url.port}" if request.url.port else ""
    if not name:
        return None, message(request, 404, N_("Which personal cloud?"),
                             N_("Open this page on an instance's address, e.g. "
                                "http://<instance>.localhost%(port)s/ — the list is on the "
                                "home page."), port=port)
    try:
        return sandbox(request).instances.get(name), None
    except NotFound:
        return None, message(request, 404, N_("No such personal cloud"),
                             N_("There is no instance named %(name)s."), name=name)
    except InstanceNotReady as exc:  # declared, its data loading (sandbox.ondemand)
        page = message(request, 503, N_("This personal cloud is being prepared"),
                       N_("Its household's data is being generated for its first visit. "
                          "Reload this page in a few seconds."))
        page.headers["Retry-After"] = str(exc.retry_after)
        return None, page
