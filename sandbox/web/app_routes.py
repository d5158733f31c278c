"""Apps in a tester's cloud: the consent page, install and uninstall.

The forms are checked for their origin by the app's ``SameOriginForms`` middleware: only the
cloud's own pages can install or uninstall.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from sandbox.contract import addresses
from sandbox.contract.consent import rule_in_words, usage_label
from sandbox.web.context import apps, sandbox
from sandbox.web.render import instance_or_page, language, message, render
from sandbox.webkit.i18n import N_

router = APIRouter(include_in_schema=False)


@router.get("/apps/install", response_class=HTMLResponse)
def consent(request: Request, slug: str = "", registry: str = "", channel: str = "stable",
            then: str = ""):
    inst, page = instance_or_page(request)
    if page:
        return page
    rel = apps(request).release(registry, slug, channel)
    rules = rel.rules()
    _ = language(request, inst).gettext
    return render(request, "app_consent.html", instance=inst, rel=rel,
                  rules=[rule_in_words(r, _) for r in rules],
                  label=usage_label(rules, rel.slug, _),
                  registry=rel.registry, channel=channel, then=then)


@router.post("/apps/install")
async def install(request: Request):
    inst, page = instance_or_page(request)
    if page:
        return page
    form = await request.form()
    if form.get("decision") != "accept":
        return RedirectResponse("/", status_code=303)
    ins = apps(request)
    rel = await run_in_threadpool(ins.release, str(form.get("registry", "")),
                                  str(form.get("slug", "")), str(form.get("channel", "stable")),
                                  str(form.get("version", "")) or None)
    await run_in_threadpool(ins.install, inst.name, rel, str(form.get("sha256", "")) or None)
    if form.get("then") == "dashboard":   # a reinstall from the dashboard: say it there
        return RedirectResponse(f"/?reinstalled={rel.slug}#apps", status_code=303)
    host = addresses.app_host(rel.slug, inst.name, request.url.port)
    return RedirectResponse(f"http://{host}/", status_code=303)


@router.get("/apps/{slug}/uninstall", response_class=HTMLResponse)
def confirm_uninstall(slug: str, request: Request):
    """Asks before uninstalling: what it means (the app stops, its key is cancelled, the data
    stays)."""
    inst, page = instance_or_page(request)
    if page:
        return page
    installed = sandbox(request).installs.get(inst, slug)
    if installed is None:
        return message(request, 404, N_("No such app"),
                       N_("No app called %(slug)s is installed in this cloud."), inst, slug=slug)
    name = installed.manifest.name if installed.manifest else addresses.slug_of(slug)
    return render(request, "uninstall.html", instance=inst, slug=slug, app_name=name)


@router.post("/apps/{slug}/uninstall")
def uninstall(slug: str, request: Request):
    inst, page = instance_or_page(request)
    if page:
        return page
    apps(request).uninstall(inst.name, slug)
    return RedirectResponse(f"/?{urlencode({'uninstalled': slug})}#apps", status_code=303)
