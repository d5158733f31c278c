"""The store's pages: catalogue, app page, sign-in, team, organiser console, judge page."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app_store import accounts, assets, catalogue, pipeline, review
from app_store.checks import CHECK_IDS, RUNTIME_CHECK_IDS
from app_store.errors import Conflict, Invalid, NotFound, StoreError, TooLarge, Unauthorized
from app_store.judging import incomplete_sets
from app_store.live_clock import (
    LiveClock,
    LiveNotSetUp,
    SandboxUnreachable,
    parse_date,
    parse_speed,
)
from app_store.web.context import COOKIE, SubmissionId, account_or_none, store
from app_store.web.errors import status_of
from app_store.web.registry import image_response
from app_store.web.views import submission_json
from sandbox.contract import addresses
from sandbox.webkit.i18n import N_, Language
from sandbox.webkit.templates import Pages, language_of

router = APIRouter(include_in_schema=False)
PAGES = Pages(Path(__file__).parent / "templates")
REVIEWERS = ("organiser", "judge")


def language(request: Request) -> Language:
    """The page's language: chosen, else the browser's, else the store's (settings)."""
    return language_of(request, store(request).settings.language)


# Words the pages show for the store's codes (the codes stay as they are in the API).
STATES = {s: s for s in (N_("queued"), N_("checking"), N_("building"), N_("smoke-testing"),
                         N_("awaiting-review"), N_("approved"), N_("rejected"), N_("failed"))}
ROLES = {"team": N_("team"), "judge": N_("judge"), "organiser": N_("organiser")}
CHANNELS = {"stable": N_("stable"), "beta": N_("beta"), "dev": N_("dev")}
SEVERITIES = {"error": N_("error"), "warning": N_("warning")}
CHECK_TITLES = {**CHECK_IDS, **RUNTIME_CHECK_IDS}   # what each check asks for


# The store's own pages load only their own files (the stylesheet, copy.js, icons and
# screenshots, which the registry serves from here); forms post only here; no frame.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    response = _render(request, name, status, **ctx)
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("who", account_or_none(request))
    _ = language(request).gettext
    for key, words in (("states", STATES), ("roles", ROLES), ("channels", CHANNELS),
                       ("severities", SEVERITIES), ("check_titles", CHECK_TITLES)):
        ctx.setdefault(key, {k: _(v) for k, v in words.items()})
    return PAGES.render(request, name, status,
                        default_language=store(request).settings.language, **ctx)


def error_page(request: Request, exc: StoreError, status: int) -> HTMLResponse:
    """A request that no form of the page can answer (a missing submission, a role that may
    not see it): forms answer their own errors inline, beside their fields."""
    titles = {401: N_("Please sign in"), 403: N_("Not for this account"), 404: N_("Not found"),
              409: N_("Not possible now"), 413: N_("Too large")}
    _ = language(request).gettext
    return render(request, "message.html", status,
                  title=_(titles.get(status, N_("Not accepted"))), message=exc.message,
                  detail_lang="en", problems=exc.problems)


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
    _ = language(request).gettext
    items = [(slug, rels[-1], rels[-1].label(_)) for slug, rels in found.items()]
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
        _ = language(request).gettext
        return render(request, "message.html", 404, title=_("No such app"),
                      message=_("No approved app is called %(slug)s.") % {"slug": repr(slug)})
    rel = rels[-1]
    _ = language(request).gettext
    return render(request, "app.html", rel=rel, rels=list(reversed(rels)), label=rel.label(_),
                  perms=rel.permissions_in_words(_), sandbox=st.settings.sandbox_url,
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
    except StoreError:
        error = N_("Paste your token first.") if not token else N_(
            "This token is not known to the store: check it, or ask the organisers for one.")
        return render(request, "login.html", 401, error=language(request).gettext(error),
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
    return _team(request)


def _team(request: Request, status: int = 200, error: StoreError | None = None):
    who = _signed_in(request, "team")
    st = store(request)
    subs = [submission_json(st, r, full=False) for r in st.submissions.listing(who)]
    return render(request, "team.html", status, subs=subs, error=error)


@router.post("/team/submit")
async def team_submit(request: Request):
    who = await run_in_threadpool(_signed_in, request, "team")
    st = store(request)
    try:
        async with request.form(max_part_size=st.limits.upload_bytes + 1) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise Invalid("choose a .tar.gz or .zip file to upload",
                              [{"path": "file", "message": "no file was chosen"}])
            data, name = await upload.read(), upload.filename
        sub_id = await run_in_threadpool(st.submissions.submit, who, data, name)
    except (Invalid, TooLarge) as exc:
        return await run_in_threadpool(_team, request, status_of(exc), exc)
    return _redirect(f"/submissions/{sub_id}")


@router.get("/submissions/{sub_id}", response_class=HTMLResponse)
def submission_page(sub_id: SubmissionId, request: Request):
    return _submission(request, sub_id)


def _submission(request: Request, sub_id: int, status: int = 200,
                review_error: StoreError | None = None, reason: str = "") -> HTMLResponse:
    who = _signed_in(request, "team", "organiser", "judge")
    st = store(request)
    sub = submission_json(st, st.submissions.visible(who, sub_id))
    listed = catalogue.releases(st, sub["slug"]) if sub["slug"] else []
    return render(request, "submission.html", status, sub=sub,
                  running=sub["state"] in (pipeline.QUEUED, *pipeline.RUNNING),
                  asks=review.what_it_asks(sub["manifest"], sub["smoke"],
                                           language(request).gettext),
                  shots=assets.screenshot_paths(sub["manifest"]),
                  reviewer=who.role in REVIEWERS, listed=any(
                      r.submission_id == sub_id for r in listed),
                  review_error=review_error, reason=reason)


def _submission_asset(request: Request, sub_id: int, *roles: str):
    who = _signed_in(request, *roles)
    st = store(request)
    return st, st.submissions.visible(who, sub_id)


@router.get("/submissions/{sub_id}/archive")
def submission_archive(sub_id: SubmissionId, request: Request) -> Response:
    """The uploaded archive, as the team sent it (organisers and judges only)."""
    st, row = _submission_asset(request, sub_id, *REVIEWERS)
    name = f"{row.slug}-{row.version}" if row.slug and row.version else f"submission-{row.id}"
    ext = ".zip" if row.filename.lower().endswith(".zip") else ".tar.gz"
    return Response(st.artifacts.get(row.sha256), media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}{ext}"',
                             "X-Content-Type-Options": "nosniff"})


@router.get("/submissions/{sub_id}/screenshots/{path:path}")
def submission_screenshot(sub_id: SubmissionId, path: str, request: Request) -> Response:
    """A screenshot the manifest lists, served as an image only (PNG, JPEG or SVG, under a
    policy that runs nothing)."""
    st, row = _submission_asset(request, sub_id, "team", *REVIEWERS)
    manifest = orjson.loads(row.manifest) if row.manifest else None
    if path.lstrip("/") not in assets.screenshot_paths(manifest):
        raise NotFound("the manifest lists no such screenshot")
    found = assets.read_image(st.artifacts, row.sha256, row.filename, st.limits, path)
    if found is None:
        raise NotFound("no PNG, JPEG or SVG image at this path in the archive")
    return image_response(*found)


@router.get("/organiser", response_class=HTMLResponse)
def organiser_page(request: Request):
    return _organiser(request)


def _organiser(request: Request, status: int = 200, new_token: str | None = None,
               new_name: str | None = None, new_role: str | None = None, errors: dict | None = None,
               kept: dict | None = None, live: dict | None = None) -> HTMLResponse:
    """The console; ``errors`` and ``kept`` are a form's error and inputs, by form name, shown
    inline in that form."""
    _signed_in(request, "organiser")
    st = store(request)
    subs = [submission_json(st, r, full=False) for r in st.submissions.listing()]
    crit = st.judging.get_criteria()
    return render(request, "organiser.html", status, subs=subs,
                  waiting=[s for s in subs if s["state"] == pipeline.AWAITING],
                  accounts=accounts.listing(st.db), teams=sorted(st.team_names().values()),
                  crit_rows=(kept or {}).get("criteria") or [
                      (c.key, c.label, f"{c.weight:g}") for c in crit],
                  board=st.judging.standings(), engine=st.farm.engine_status(),
                  new_token=new_token, new_name=new_name, new_role=new_role, errors=errors or {},
                  kept=kept or {},
                  live=live if live is not None else _live_panel(request))


def _live_client(request: Request) -> LiveClock:
    settings = store(request).settings
    return LiveClock(settings.sandbox_url, settings.live_admin_token)


def _live_panel(request: Request, instance: str = "", **extra) -> dict:
    """What the Live time panel shows: the event's clock, or why it cannot (the sandbox is
    down, live time is not set up); the faults of ``instance`` when one is asked for."""
    settings = store(request).settings
    panel: dict = {"clock": None, "error": None, "faults": None, "instance": instance,
                   "profile": settings.live_faults, "sandbox": settings.sandbox_url,
                   "set_up": bool(settings.live_admin_token), "message": None,
                   "form_error": None, "form_error_lang": "en", **extra}
    if not panel["set_up"]:
        return panel
    client = _live_client(request)
    try:
        panel["clock"] = client.clock()
        if instance:
            panel["faults"] = client.faults(instance)
    except StoreError as exc:
        panel["error"] = exc.message
    finally:
        client.close()
    return panel


@router.get("/organiser/live", response_class=HTMLResponse)
def organiser_live_faults(request: Request, instance: str = ""):
    """The console with the faults planned for one instance."""
    _signed_in(request, "organiser")
    instance = instance.strip().lower()
    if instance and not addresses.is_label(instance):
        return _organiser(request, live=_live_panel(request, form_error=language(
            request).gettext(N_("An instance's name is lowercase letters, digits and "
                                "hyphens, e.g. william-labbe-0.")), form_error_lang=None),
            status=400)
    return _organiser(request, live=_live_panel(request, instance))


@router.post("/organiser/live")
def organiser_live(request: Request, form: FormData = Depends(form_data)):
    """Pause, resume, change the speed of or move forward the event's clock (through the
    sandbox's admin API)."""
    _signed_in(request, "organiser")
    action = str(form.get("action", ""))
    client = _live_client(request)
    try:
        if action == "pause":
            client.change(paused=True)
        elif action == "resume":
            client.change(paused=False)
        elif action == "speed":
            client.change(speed=parse_speed(str(form.get("speed", ""))))
        elif action == "jump":
            client.change(at=parse_date(str(form.get("at", ""))))
        else:
            raise Invalid(f"unknown action {action[:20]!r}: pause, resume, speed or jump")
    except (SandboxUnreachable, LiveNotSetUp) as exc:   # not the organiser's mistake
        return _organiser(request, live=_live_panel(request, error=exc.message))
    except StoreError as exc:
        return _organiser(request, live=_live_panel(request, form_error=exc.message),
                          status=status_of(exc))
    finally:
        client.close()
    done = {"pause": N_("Done: the event's clock is paused."),
            "resume": N_("Done: the event's clock runs."),
            "speed": N_("Done: the speed is set."), "jump": N_("Done: the clock jumped.")}
    return _organiser(request, live=_live_panel(
        request, message=language(request).gettext(done[action])))


@router.post("/organiser/review/{sub_id}")
def organiser_review(sub_id: SubmissionId, request: Request,
                     form: FormData = Depends(form_data)):
    who = _signed_in(request, "organiser")
    reason = str(form.get("reason", ""))
    try:
        store(request).review.decide(who, sub_id, str(form.get("decision", "")), reason)
    except (Invalid, Conflict) as exc:
        return _submission(request, sub_id, status_of(exc), review_error=exc, reason=reason)
    return _redirect(f"/submissions/{sub_id}")


@router.post("/organiser/accounts")
def organiser_accounts(request: Request, form: FormData = Depends(form_data)):
    _signed_in(request, "organiser")
    kept = {k: str(form.get(k) or "") for k in ("name", "role", "team")}
    try:
        acc, token = accounts.create(store(request).db, kept["name"], kept["role"],
                                     kept["team"] or None)
    except (Invalid, Conflict) as exc:
        return _organiser(request, status_of(exc), errors={"accounts": exc},
                          kept={"accounts": kept})
    # the token is shown once, in this answer: never in a URL (history, logs)
    return _organiser(request, new_token=token, new_name=acc.name, new_role=acc.role)


@router.post("/organiser/criteria")
def organiser_criteria(request: Request, form: FormData = Depends(form_data)):
    who = _signed_in(request, "organiser")
    rows = list(zip(form.getlist("key"), form.getlist("label"), form.getlist("weight"),
                    strict=False))
    items, problems = [], []
    for key, label, weight in rows:
        if not str(key).strip():
            continue
        try:
            w = float(str(weight).replace(",", "."))
        except ValueError:
            problems.append({"path": str(key), "message": f"the weight of {str(key)!r} must "
                             f"be a number, got {str(weight)!r}"})
            continue
        items.append({"key": str(key).strip(), "label": str(label).strip(), "weight": w})
    kept = {"criteria": [(str(k), str(label), str(w)) for k, label, w in rows]}
    try:
        if problems:
            raise Invalid("the criteria were not saved", problems)
        store(request).judging.set_criteria(who, items)
    except Invalid as exc:
        return _organiser(request, 400, errors={"criteria": exc}, kept=kept)
    return _redirect("/organiser#criteria")


@router.get("/judge", response_class=HTMLResponse)
def judge_page(request: Request):
    return _judge(request)


def _judge(request: Request, status: int = 200, errors: dict | None = None,
           kept: dict | None = None) -> HTMLResponse:
    who = _signed_in(request, "judge")
    st = store(request)
    declared = accounts.conflicts_of(st.db, who.id)
    conflicts = declared | ({who.team} if who.team else set())
    apps = [(slug, team, team in conflicts) for slug, team in
            sorted(st.judging.judged_apps().items())]
    mine = {(s.app, s.criterion): s.value for s in st.judging.all_scores()
            if s.judge == who.name}
    teams = sorted(set(st.team_names().values()) - conflicts)
    crit = st.judging.get_criteria()
    partial = {app for app, judges in incomplete_sets(crit, st.judging.all_scores()).items()
               if who.name in judges}
    return render(request, "judge.html", status, apps=apps, criteria=crit, partial=partial,
                  mine=mine, saved=request.query_params.get("saved"), teams=teams,
                  declared=sorted(declared), errors=errors or {}, kept=kept or {})


@router.post("/judge/conflicts")
def judge_conflict(request: Request, form: FormData = Depends(form_data)):
    who = _signed_in(request, "judge")
    team = str(form.get("team", "")).strip()
    try:
        accounts.declare_conflict(store(request).db, who, team)
    except Invalid as exc:
        return _judge(request, 400, errors={"conflicts": exc})
    return _redirect("/judge#conflicts")


@router.post("/judge/{slug}")
def judge_score(slug: str, request: Request, form: FormData = Depends(form_data)):
    who = _signed_in(request, "judge")
    crit = store(request).judging.get_criteria()
    values = {}
    for c in crit:
        raw = str(form.get(c.key, "")).strip()
        if raw:
            values[c.key] = int(raw) if raw.isdigit() else raw
    kept = {(slug, k): v for k, v in values.items()}
    try:
        if not values:
            raise Invalid("give at least one score from 1 to 5")
        store(request).judging.score(who, slug, values, str(form.get("comment", "")))
    except Invalid as exc:
        return _judge(request, 400, errors={slug: exc},
                      kept={"scores": kept, "comment": {slug: str(form.get("comment", ""))}})
    return _redirect(f"/judge?saved={slug}#app-{slug}")
