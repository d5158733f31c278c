"""Challenges over JSON (``/api/challenges``): definitions and the organiser's controls,
entries, scoring runs, leaderboards. Reading a challenge, its schema and its public
leaderboard needs no token; drafts are the organisers' own."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from app_store import accounts
from app_store.accounts import Account
from app_store.errors import Invalid, NotFound
from app_store.web.api import json_object
from app_store.web.context import account, account_or_none, store
from sandbox.webkit.api_docs import request_body

router = APIRouter(prefix="/api/challenges", tags=["challenges"])
Key = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
RunId = Annotated[int, Path(ge=1, le=2**63 - 1)]
EXAMPLE = {"key": "leaks", "title": "Find the leaks", "kind": "event-detection",
           "event_kinds": ["leak"], "tolerance_days": 2, "public_seed": 1,
           "public_households": 2, "hidden_households": 6, "quota_per_day": 5}


def visible(request: Request, key: str) -> dict:
    """A challenge as the caller may read it: drafts are shown to organisers only."""
    who = account_or_none(request)
    out = store(request).challenges.public(key)
    if out["state"] == "draft" and (who is None or who.role != "organiser"):
        raise NotFound(f"no challenge {key!r}")
    return out


@router.get("")
def list_challenges(request: Request, kind: Literal["event-detection", "forecast", "advice"]
                    | None = Query(None, description="Only the challenges of this kind")
                    ) -> dict:
    """Every challenge that is open, closed or revealed (and drafts, for organisers)."""
    who = account_or_none(request)
    ch = store(request).challenges
    states = None if who is not None and who.role == "organiser" else \
        ("open", "closed", "revealed")
    found = [ch.public(k) for k in ch.keys(states)]
    return {"data": [c for c in found if kind is None or c["kind"] == kind]}


@router.post("", status_code=201, openapi_extra=request_body(
    "The challenge (every problem is reported at once)", EXAMPLE))
def create_challenge(request: Request, body: dict = Depends(json_object)) -> dict:
    """Define a challenge (organisers); it starts as a draft. The hidden set's seed is drawn
    by the store and never shown."""
    return store(request).challenges.create(account(request), body)


@router.get("/{key}")
def get_challenge(request: Request, key: Key) -> dict:
    """What to produce (the findings' JSON Schema and an example), the metric, the sets."""
    return visible(request, key)


@router.put("/{key}", openapi_extra=request_body("The whole definition", EXAMPLE))
def update_challenge(request: Request, key: Key, body: dict = Depends(json_object)) -> dict:
    """Change a challenge's definition (organisers), until it is revealed."""
    return store(request).challenges.update(account(request), key, body)


@router.get("/{key}/schema")
def challenge_schema(request: Request, key: Key) -> dict:
    """The JSON Schema every finding of this challenge must follow."""
    return visible(request, key)["schema"]


@router.post("/{key}/entries", status_code=202, openapi_extra=request_body(
    "One of your submissions that passed its smoke run", {"submission": 1}))
def enter(request: Request, key: Key, body: dict = Depends(json_object)) -> dict:
    """Enter a submission (teams). Submissions that pass their smoke run while a challenge is
    open are entered by themselves when their manifest may write the findings."""
    sub = body.get("submission")
    if not isinstance(sub, int) or isinstance(sub, bool) or sub < 1:
        raise Invalid("name the submission", [{"path": "submission",
                                               "message": "a submission id"}])
    return store(request).challenges.enter(account(request), key, sub)


@router.get("/{key}/runs")
def runs(request: Request, key: Key) -> dict:
    """Your scoring runs (every team's, for organisers), with the per-household breakdown of
    the public set; the hidden set only as counts."""
    who: Account = account(request)
    visible(request, key)
    return {"data": store(request).challenges.runs_of(who, key)}


@router.get("/{key}/runs/{run_id}")
def run(request: Request, key: Key, run_id: RunId) -> dict:
    """One scoring run (its team and the organisers)."""
    out = store(request).challenges.run_json(account(request), run_id)
    if out["challenge"] != key:
        raise NotFound(f"no run {run_id} in {key}")
    return out


@router.get("/{key}/leaderboard")
def leaderboard(request: Request, key: Key, board: Literal["leaderboard", "private"] = Query(
        "leaderboard", description="leaderboard (public) or private (once revealed)")
        ) -> dict:
    """Each team's best run on the public leaderboard part, or the private part once the
    challenge is revealed (organisers: from its close on)."""
    visible(request, key)
    rows = store(request).challenges.leaderboard(account_or_none(request), key, board)
    return {"board": board, "data": rows}


@router.post("/{key}/{action}")
def control(request: Request, key: Key, action: Literal["open", "close", "reveal"]) -> dict:
    """The organiser's controls: open (entries are scored), close (no more entries; the
    organisers see the private leaderboard), reveal (everyone sees it)."""
    return store(request).challenges.act(account(request), key, action)


def csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ranking_router = APIRouter(prefix="/api/ranking", tags=["challenges"])


@ranking_router.get("")
def final_ranking(request: Request) -> dict:
    """The final ranking (organisers): the judges' score and every challenge's, each brought
    to 0..1 and combined with the organisers' weights; provisional until every challenge is
    revealed."""
    accounts.require(account(request), "organiser")
    return store(request).ranking.ranking()


@ranking_router.get(".csv")
def final_ranking_csv(request: Request) -> Response:
    """The final ranking as CSV (organisers)."""
    accounts.require(account(request), "organiser")
    return csv_response(store(request).ranking.csv(), "final-ranking.csv")


@ranking_router.put("/weights", openapi_extra=request_body(
    "The judges' weight (each challenge's weight is in its definition)", {"judges": 2}))
def ranking_weights(request: Request, body: dict = Depends(json_object)) -> dict:
    """Set the judges' weight in the final ranking (organisers)."""
    return {"judges": store(request).ranking.set_judges_weight(account(request),
                                                               body.get("judges"))}
