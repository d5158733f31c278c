"""The challenges' pages: the list, a challenge's page (what to produce, its schema, the
metric, an example, the hook, the leaderboards, a team's own runs with the public households'
breakdown) and the organisers' controls (open, close, reveal) and final ranking."""

from __future__ import annotations

import contextlib

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from app_store.challenges.scoring import HOOK
from app_store.errors import Conflict, Invalid, NotAllowed, NotFound, StoreError
from app_store.web.context import account_or_none, store
from app_store.web.errors import status_of
from app_store.web.pages import _redirect, _signed_in, form_data, language, render
from sandbox.webkit.i18n import N_

router = APIRouter(include_in_schema=False)

STATES = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed"),
          "revealed": N_("revealed")}
RUN_STATES = {"queued": N_("queued"), "running": N_("running"), "done": N_("scored"),
              "failed": N_("failed"), "over-quota": N_("over the daily quota")}
KINDS = {"event-detection": N_("event detection"), "forecast": N_("forecast"),
         "advice": N_("advice")}
METRICS = {"event-detection": N_("F1 per event kind (an event is found when a finding of its "
                                 "kind overlaps its days, give or take the tolerance), "
                                 "averaged over the challenge's kinds. Higher is better."),
           "forecast": N_("Mean absolute percentage error (MAPE) of the held-out month's "
                          "total. Lower is better."),
           "advice": N_("Euros lost by following the advice instead of the cheapest option "
                        "for the household's real curve over the year. Lower is better.")}
BASELINES = {"event-detection": N_("every kind claimed once in every month"),
             "forecast": N_("the mean day of the data so far, times the month's days"),
             "advice": N_("keeping the option in force")}


def _words(request: Request) -> dict:
    _ = language(request).gettext
    return {"state_words": {k: _(v) for k, v in STATES.items()},
            "run_words": {k: _(v) for k, v in RUN_STATES.items()},
            "kind_words": {k: _(v) for k, v in KINDS.items()},
            "metric_words": {k: _(v) for k, v in METRICS.items()},
            "baseline_words": {k: _(v) for k, v in BASELINES.items()}}


EXAMPLE = {"key": "leaks-2", "title": "Find the leaks", "kind": "event-detection",
           "description": "", "event_kinds": ["leak"], "tolerance_days": 2,
           "public_seed": 1, "public_households": 2, "hidden_households": 6,
           "leaderboard_share": 0.5, "quota_per_day": 5, "time_limit_s": 120, "weight": 1}


@router.get("/challenges", response_class=HTMLResponse)
def challenges_page(request: Request):
    return _challenges(request)


def _challenges(request: Request, status: int = 200, error: StoreError | None = None,
                kept: str = "") -> HTMLResponse:
    who = account_or_none(request)
    ch = store(request).challenges
    organiser = who is not None and who.role == "organiser"
    items = [ch.public(k) for k in ch.keys(None if organiser else
                                           ("open", "closed", "revealed"))]
    ranking = store(request).ranking.ranking() if organiser else None
    text = kept or orjson.dumps(EXAMPLE, option=orjson.OPT_INDENT_2).decode()
    return render(request, "challenges.html", status, items=items, ranking=ranking,
                  organiser=organiser, definition=text, error=error, **_words(request))


@router.post("/challenges/new")
def define_challenge(request: Request, form: FormData = Depends(form_data)):
    """The console's form: a definition as JSON, saved as a draft (every problem shown)."""
    who = _signed_in(request, "organiser")
    text = str(form.get("definition", ""))
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return _challenges(request, 400, Invalid(f"the definition is not JSON: {exc}"), text)
    try:
        made = store(request).challenges.create(who, data)
    except (Invalid, Conflict) as exc:
        return _challenges(request, status_of(exc), exc, text)
    return _redirect(f"/challenges/{made['key']}")


@router.get("/challenges/{key}", response_class=HTMLResponse)
def challenge_page(request: Request, key: str):
    who = account_or_none(request)
    ch = store(request).challenges
    info = ch.public(key)
    organiser = who is not None and who.role == "organiser"
    if info["state"] == "draft" and not organiser:
        raise NotFound(f"no challenge {key!r}")
    try:
        private = ch.leaderboard(who, key, "private")
    except NotAllowed:
        private = None
    runs = ch.runs_of(who, key) if who is not None and who.role in ("team", "organiser") \
        else []
    return render(request, "challenge.html", c=info, organiser=organiser, runs=runs,
                  board=ch.leaderboard(who, key), private=private, hook=HOOK,
                  schema=orjson.dumps(info["schema"], option=orjson.OPT_INDENT_2).decode(),
                  example=orjson.dumps(info["example"], option=orjson.OPT_INDENT_2).decode(),
                  **_words(request))


@router.post("/challenges/{key}/{action}")
def challenge_control(request: Request, key: str, action: str):
    who = _signed_in(request, "organiser")
    if action not in ("open", "close", "reveal"):
        raise NotFound(f"no control {action!r}")
    with contextlib.suppress(Conflict):      # the page shows the state it is in
        store(request).challenges.act(who, key, action)
    return _redirect(f"/challenges/{key}")
