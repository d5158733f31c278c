"""Simulated time over HTTP: an app reads its cloud's clock; the organiser drives the clocks.

``GET /live/clock`` answers any token of the instance (a sandbox extension: cozy-stack has no
simulated time). ``/admin/live/...`` and the page ``/admin/live`` need the organiser's token
(``live_admin_token``); without one set they answer 403.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sandbox.errors import BadRequest, Forbidden
from sandbox.live.clock import EVENT, MAX_SPEED, parse_moment
from sandbox.service import Sandbox
from sandbox.web.context import caller, sandbox, token_of
from sandbox.web.render import language, render
from sandbox.web.responses import JSON
from sandbox.webkit.i18n import N_

router = APIRouter()
NO_ADMIN = "no organiser token is set for this sandbox (SELFDATA_LIVE_ADMIN_TOKEN)"


class ClockChange(BaseModel):
    """What to change on a clock; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    instance: str | None = Field(None, max_length=100, description="An instance's own clock "
                                 "(default: the event's, that every instance without its own "
                                 "follows).")
    at: str | None = Field(None, max_length=40, description="Jump forward to this date "
                           "(YYYY-MM-DD, local midnight) or ISO date-time.")
    speed: float | None = Field(None, ge=0, le=MAX_SPEED, description="Simulated seconds per "
                                "wall second (1440: a day per minute).")
    paused: bool | None = None
    follow_event: bool = Field(False, description="Drop the instance's own clock: it "
                               "follows the event's again.")


def _admin(request: Request, token: str | None = None) -> Sandbox:
    sb = sandbox(request)
    expected = sb.settings.live_admin_token
    given = token if token is not None else token_of(request) or ""
    if not expected:
        raise Forbidden(NO_ADMIN)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("the organiser's token is needed for the clocks")
    return sb


def _change(sb: Sandbox, change: ClockChange) -> dict:
    inst = sb.instances.get(change.instance) if change.instance else None
    scope = inst.id if inst else EVENT
    if change.follow_event:
        if inst is None:
            raise BadRequest("follow_event needs an instance", "bad_request")
        sb.live.clocks.follow_event(inst.id)
    else:
        at = parse_moment(change.at, sb.live.cadences.timezone) if change.at else None
        sb.live.clocks.set(scope, at=at, speed=change.speed, paused=change.paused)
    return sb.live.status(inst)


@router.get("/live/clock", tags=["live"])
async def my_clock(request: Request) -> JSON:
    """The token's cloud: its simulated now, speed, and what is still to be delivered."""
    who = await caller(request)
    sb = sandbox(request)
    return JSON(await run_in_threadpool(sb.live.status, who.instance))


@router.get("/admin/live/clock", tags=["live"])
def admin_clock(request: Request,
                instance: Annotated[str | None, Query(max_length=100)] = None) -> JSON:
    """The event's clock, or an instance's (organiser's token)."""
    sb = _admin(request)
    return JSON(sb.live.status(sb.instances.get(instance) if instance else None))


@router.put("/admin/live/clock", tags=["live"])
def admin_set_clock(change: ClockChange, request: Request) -> JSON:
    """Start, jump forward, change speed, pause or resume a clock (organiser's token)."""
    return JSON(_change(_admin(request), change))


@router.get("/admin/live/faults", tags=["live"])
def admin_faults(request: Request, instance: Annotated[str, Query(max_length=100)]) -> JSON:
    """The delivery faults planned for an instance, as ground-truth events."""
    sb = _admin(request)
    return JSON({"instance": instance, "events": sb.live.labels(sb.instances.get(instance))})


@router.get("/admin/live", response_class=HTMLResponse, include_in_schema=False)
def admin_page(request: Request) -> HTMLResponse:
    sb = sandbox(request)
    return render(request, "live.html", clock=sb.live.status(None), message=None,
                  admin=bool(sb.settings.live_admin_token))


@router.post("/admin/live", include_in_schema=False)
def admin_form(request: Request, token: Annotated[str, Form(max_length=200)],
               action: Annotated[str, Form(max_length=20)],
               speed: Annotated[str, Form(max_length=20)] = "",
               at: Annotated[str, Form(max_length=40)] = "",
               instance: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    """The page's form: the same changes as ``PUT /admin/live/clock``."""
    sb = _admin(request, token)
    try:
        number = float(speed) if speed.strip() else None
    except ValueError:
        raise BadRequest(f"speed {speed[:20]!r} is not a number", "bad_request") from None
    fields = {"pause": {"paused": True}, "resume": {"paused": False},
              "speed": {"speed": number}, "jump": {"at": at or None}}
    if action not in fields:
        raise BadRequest(f"unknown action {action[:20]!r}", "bad_request")
    change = ClockChange(instance=instance or None, **fields[action])
    status = _change(sb, change)
    done = {"pause": N_("Done: the clock is paused."), "resume": N_("Done: the clock runs."),
            "speed": N_("Done: the speed is set."), "jump": N_("Done: the clock jumped.")}
    return render(request, "live.html", clock=sb.live.status(None) if not instance else status,
                  message=language(request).gettext(done[action]), admin=True)


@router.get("/admin/live/", include_in_schema=False)
def admin_page_slash() -> RedirectResponse:
    return RedirectResponse("/admin/live")
