"""The store's pages: catalogue, app page, sign-in, team, organiser console, judge page."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app_store import accounts, catalogue, pipeline
from app_store.errors import Invalid, StoreError, Unauthorized
from app_store.web.context import COOKIE, account_or_none, store
from app_store.web.views import submission_json
from sandbox.contract import addresses
from sandbox.webkit.templates import Pages

router = APIRouter(include_in_schema=False)
PAGES = Pages(Path(__file__).parent / "templates")


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("who", account_or_none(request))
    return PAGES.render(request, name, status, **ctx)


def error_page(request: Request, exc: StoreError, status: int) -> HTMLResponse:
    return render(request, "message.html", status, title="Something is wrong",
                  message=exc.message, problems=exc.problems)


class SignIn(Exception):
    """A page needs a signed-in account: the handler sends the browser to the sign-in page."""


def _signed_in(request: Request, *roles: str):
    who = account_or_none(request)
    if who is None:
        if request.method == "GET":
            raise SignIn()
        raise Unauthorized("sign in with the token the organisers gave you")
    return accounts.require(who, *roles)


async def form_data(request: Request) -> FormData:
    """The posted form (a dependency: read on the event loop, so the handler itself can be a
    plain function run in the thread pool)."""
    return await request.form()


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/", response_class=HTMLResponse)
def catalogue_page(request: Request, q: str = "", category: str = ""):
    st = store(request)
    found = catalogue.apps(st, q, category)
    cats = sorted({c for rels in catalogue.apps(st).values()
                   for c in rels[-1].categories})
    items = [(slug, rels[-1], rels[-1].label()) for slug, rels in found.items()]
    return render(request, "catalogue.html", items=items, q=q, category=category, cats=cats)


@router.get("/apps/{slug}", response_class=HTMLResponse)
def app_page(slug: str, request: Request):
    instance = request.query_params.get("instance", "").strip().lower()
    if instance and not addresses.is_label(instance):
        raise Invalid("a sandbox name is lowercase letters, digits and hyphens, e.g. "
                      "william-labbe-0", [{"path": "instance", "message": "not a sandbox name"}])
    st = store(request)
    rels = catalogue.releases(st, slug)
    if not rels:
        return render(request, "message.html", 404, title="No such app",
                      message=f"No approved app is called {slug!r}.")
    rel = rels[-1]
    return render(request, "app.html", rel=rel, rels=list(reversed(rels)), label=rel.label(),
                  perms=rel.permissions_in_words(), sandbox=st.settings.sandbox_url,
                  store_url=st.settings.url, instance=instance,
                  install=_install_url(st.settings.sandbox_url, instance, rel,
                                       st.settings.url))


def _local_path(target: str) -> str | None:
    """``target`` if it is a path on this site, else None: never an open redirect."""
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not target.startswith("/") \
            or target.startswith("//"):
        return None
    return target


def _install_url(sandbox: str, instance: str, rel, store_url: str) -> str:
    """The consent page on the tester's cloud (or the sandbox's home, to pick one)."""
    parts = urllib.parse.urlsplit(sandbox)
    host = addresses.instance_host(instance, parts.port) if instance else parts.netloc
    query = urllib.parse.urlencode({"slug": rel.slug, "registry": store_url})
    return f"{parts.scheme}://{host}/apps/install?{query}"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = ""):
    return render(request, "login.html", next=next)


@router.post("/login")
def login(request: Request, form: FormData = Depends(form_data)):
    token = str(form.get("token", "")).strip()
    try:
        who = accounts.authenticate(store(request).db, token)
    except StoreError as exc:
        return render(request, "login.html", 401, error=exc.message,
                      next=str(form.get("next", "")))
    home = {"team": "/team", "organiser": "/organiser", "judge": "/judge"}[who.role]
    resp = _redirect(_local_path(str(form.get("next", ""))) or home)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=14 * 86400)
    return resp


@router.post("/logout")
def logout(request: Request):
    resp = _redirect("/")
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request):
    who = _signed_in(request, "team")
    st = store(request)
    subs = [submission_json(st, r, full=False) for r in st.submissions.listing(who)]
    return render(request, "team.html", subs=subs)


@router.post("/team/submit")
async def team_submit(request: Request):
    who = await run_in_threadpool(_signed_in, request, "team")
    st = store(request)
    form = await request.form(max_part_size=st.limits.upload_bytes + 1)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise Invalid("choose a .tar.gz or .zip file to upload")
    sub_id = await run_in_threadpool(st.submissions.submit, who, await upload.read(),
                                    upload.filename)
    return _redirect(f"/submissions/{sub_id}")


@router.get("/submissions/{sub_id}", response_class=HTMLResponse)
def submission_page(sub_id: int, request: Request):
    who = _signed_in(request, "team", "organiser", "judge")
    st = store(request)
    sub = submission_json(st, st.submissions.visible(who, sub_id))
    return render(request, "submission.html", sub=sub, running=sub["state"] in (
        pipeline.QUEUED, *pipeline.RUNNING))


@router.get("/organiser", response_class=HTMLResponse)
def organiser_page(request: Request):
    return _organiser(request)


def _organiser(request: Request, new_token: str | None = None, new_name: str | None = None):
    _signed_in(request, "organiser")
    st = store(request)
    subs = [submission_json(st, r, full=False) for r in st.submissions.listing()]
    return render(request, "organiser.html", subs=subs,
                  waiting=[s for s in subs if s["state"] == pipeline.AWAITING],
                  accounts=accounts.listing(st.db), criteria=st.judging.get_criteria(),
                  board=st.judging.leaderboard(), engine=st.farm.engine_status(),
                  new_token=new_token, new_name=new_name)


@router.post("/organiser/review/{sub_id}")
def organiser_review(sub_id: int, request: Request, form: FormData = Depends(form_data)):
    who = _signed_in(request, "organiser")
    store(request).review.decide(who, sub_id, str(form.get("decision", "")),
                                 str(form.get("reason", "")))
    return _redirect(f"/submissions/{sub_id}")


@router.post("/organiser/accounts")
def organiser_accounts(request: Request, form: FormData = Depends(form_data)):
    _signed_in(request, "organiser")
    acc, token = accounts.create(store(request).db, str(form.get("name", "")),
                                 str(form.get("role", "")), str(form.get("team") or "") or None)
    # the token is shown once, in this answer: never in a URL (history, logs)
    return _organiser(request, new_token=token, new_name=f"{acc.role} {acc.name}")


@router.post("/organiser/criteria")
def organiser_criteria(request: Request, form: FormData = Depends(form_data)):
    who = _signed_in(request, "organiser")
    items = []
    for key, label, weight in zip(form.getlist("key"), form.getlist("label"),
                                  form.getlist("weight"), strict=False):
        if str(key).strip():
            try:
                w = float(weight)
            except ValueError as exc:
                raise Invalid(f"the weight of {key!r} must be a number") from exc
            items.append({"key": str(key).strip(), "label": str(label).strip(), "weight": w})
    store(request).judging.set_criteria(who, items)
    return _redirect("/organiser#criteria")


@router.get("/judge", response_class=HTMLResponse)
def judge_page(request: Request):
    who = _signed_in(request, "judge")
    st = store(request)
    conflicts = accounts.conflicts_of(st.db, who.id) | ({who.team} if who.team else set())
    apps = [(slug, team, team in conflicts) for slug, team in
            sorted(st.judging.judged_apps().items())]
    mine = {(s.app, s.criterion): s.value for s in st.judging.all_scores()
            if s.judge == who.name}
    return render(request, "judge.html", apps=apps, criteria=st.judging.get_criteria(),
                  mine=mine, saved=request.query_params.get("saved"))


@router.post("/judge/{slug}")
def judge_score(slug: str, request: Request, form: FormData = Depends(form_data)):
    who = _signed_in(request, "judge")
    crit = store(request).judging.get_criteria()
    values = {}
    for c in crit:
        raw = str(form.get(c.key, "")).strip()
        if raw:
            values[c.key] = int(raw) if raw.isdigit() else raw
    if not values:
        raise Invalid("give at least one score from 1 to 5")
    store(request).judging.score(who, slug, values, str(form.get("comment", "")))
    return _redirect(f"/judge?saved={slug}#app-{slug}")
