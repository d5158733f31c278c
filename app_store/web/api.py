"""The store's JSON API (``/api``): accounts, submissions, review, criteria, scores, results."""

from __future__ import annotations

from dataclasses import asdict

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app_store import accounts, catalogue
from app_store.errors import Invalid
from app_store.judging import to_csv
from app_store.web.context import SubmissionId, account, store
from app_store.web.views import submission_json
from sandbox.webkit.api_docs import request_body

router = APIRouter(prefix="/api", tags=["store"])


async def json_object(request: Request) -> dict:
    """The request's body as a JSON object (a dependency: read on the event loop, so the
    handler itself can be a plain function run in the thread pool)."""
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body


@router.get("/me")
def me(request: Request) -> dict:
    """Who the token belongs to: name, role (team, organiser, judge) and a judge's team."""
    who = account(request)
    return {"id": who.id, "name": who.name, "role": who.role, "team": who.team}


@router.post("/accounts", status_code=201, openapi_extra=request_body(
    "The account: a judge may name their own team (an existing one)",
    {"name": "Ann Martin", "role": "judge", "team": "Blue"}))
def create_account(request: Request, body: dict = Depends(json_object)) -> dict:
    """Create a team, judge or organiser account (organisers); its token is in this answer only."""
    accounts.require(account(request), "organiser")
    acc, token = accounts.create(store(request).db, body.get("name", ""), body.get("role", ""),
                                 body.get("team"))
    return {"id": acc.id, "name": acc.name, "role": acc.role, "team": acc.team, "token": token}


@router.get("/accounts")
def list_accounts(request: Request) -> dict:
    """Every account, without tokens (organisers)."""
    accounts.require(account(request), "organiser")
    return {"data": [asdict(a) for a in accounts.listing(store(request).db)]}


@router.post("/me/conflicts", status_code=201, openapi_extra=request_body(
    "An existing team", {"team": "Blue"}))
def declare_conflict(request: Request, body: dict = Depends(json_object)) -> dict:
    """Declare a conflict of interest with an existing team (judges): its apps are no longer
    yours to score."""
    who = accounts.require(account(request), "judge")
    team = str(body.get("team", "")).strip()
    if not team:
        raise Invalid("name the team you have a conflict of interest with", [
            {"path": "team", "message": "required"}])
    accounts.declare_conflict(store(request).db, who, team)
    return {"conflicts": sorted(accounts.conflicts_of(store(request).db, who.id))}


@router.post("/submissions", status_code=202, openapi_extra={"requestBody": {
    "required": True, "description": "The archive (.tar.gz or .zip), raw with ?filename=, "
    "or as the field 'file' of a multipart form", "content": {
        "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}}}}})
async def submit(request: Request, filename: str = Query(
        "app.tar.gz", max_length=1000, description="The archive's name, for a raw body "
        "(its ending tells a .zip from a .tar.gz)")) -> dict:
    """Upload an app: the raw archive as the body (``?filename=app.tar.gz``) or a multipart
    form with a ``file`` field."""
    who = await run_in_threadpool(account, request)
    st = store(request)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        async with request.form(max_part_size=st.limits.upload_bytes + 1) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Invalid("send the archive in a form field named 'file'")
            data, filename = await upload.read(), upload.filename or "app.tar.gz"
    else:
        data = await request.body()
    sub_id = await run_in_threadpool(st.submissions.submit, who, data, filename)
    return {"id": sub_id, "state": "queued", "url": f"/api/submissions/{sub_id}"}


@router.get("/submissions")
def list_submissions(request: Request, state: str | None = Query(None, max_length=32)
                     ) -> dict:
    """Submissions: a team's own, or all for organisers and judges (?state= filters)."""
    who = account(request)
    st = store(request)
    rows = st.submissions.listing(who, state)
    return {"data": [submission_json(st, r, full=False) for r in rows]}


@router.get("/submissions/{sub_id}")
def get_submission(sub_id: SubmissionId, request: Request) -> dict:
    """One submission with its history, checks, build log, smoke run and manifest."""
    st = store(request)
    return submission_json(st, st.submissions.visible(account(request), sub_id))


@router.post("/submissions/{sub_id}/review", openapi_extra=request_body(
    "approve, reject (a reason is required) or retry",
    {"decision": "reject", "reason": "asks for positions it never uses"}))
def review(sub_id: SubmissionId, request: Request,
           body: dict = Depends(json_object)) -> dict:
    """Approve or reject a submission awaiting review, or retry a failed one (organisers)."""
    st = store(request)
    st.review.decide(account(request), sub_id, str(body.get("decision", "")),
                     str(body.get("reason") or ""))
    return submission_json(st, st.submissions.row(sub_id), full=False)


@router.get("/criteria")
def get_criteria(request: Request) -> dict:
    """The judging criteria with their weights."""
    return {"data": [asdict(c) for c in store(request).judging.get_criteria()]}


@router.put("/criteria", openapi_extra=request_body("Every criterion, in order", {
    "data": [{"key": "usefulness", "label": "Useful to the tester", "weight": 3},
             {"key": "design", "label": "Clear and accessible", "weight": 1}]}))
def put_criteria(request: Request, body: dict = Depends(json_object)) -> dict:
    """Replace the judging criteria (organisers); every problem is reported at once."""
    items = body.get("data")
    if not isinstance(items, list):
        raise Invalid("send {\"data\": [{\"key\":..., \"label\":..., \"weight\":...}, ...]}")
    new = store(request).judging.set_criteria(account(request), items)
    return {"data": [asdict(c) for c in new]}


@router.post("/scores", status_code=201, openapi_extra=request_body(
    "Scores from 1 to 5 for some or all criteria of one approved app",
    {"slug": "my-calls", "scores": {"usefulness": 4, "design": 5}, "comment": "clear"}))
def post_scores(request: Request, body: dict = Depends(json_object)) -> dict:
    """Score an approved app, 1 to 5 per criterion (judges; not your team's, nor a conflict's)."""
    values = body.get("scores")
    if not isinstance(values, dict):
        raise Invalid("send {\"slug\": ..., \"scores\": {\"criterion\": 1-5, ...}}")
    store(request).judging.score(account(request), str(body.get("slug", "")), values,
                        str(body.get("comment", "")))
    return {"saved": len(values)}


@router.get("/leaderboard")
def leaderboard(request: Request) -> dict:
    """The ranking, the incomplete score sets and the rule for them (organisers and judges)."""
    accounts.require(account(request), "organiser", "judge")
    standings = store(request).judging.standings()
    return {"data": [asdict(r) for r in standings.rows], "incomplete": standings.incomplete,
            "partial_scores": standings.partial}


@router.get("/leaderboard.csv")
def leaderboard_csv(request: Request) -> Response:
    """The ranking as CSV, numbers as on the organiser's page (organisers)."""
    accounts.require(account(request), "organiser")
    st = store(request)
    text = to_csv(st.judging.leaderboard(), st.judging.get_criteria())
    return Response(text, media_type="text/csv", headers={
        "Content-Disposition": "attachment; filename=leaderboard.csv"})


@router.get("/catalogue")
def catalogue_list(request: Request, q: str = Query("", max_length=200),
                   category: str = Query("", max_length=64)) -> JSONResponse:
    """Approved apps as the catalogue lists them, filtered by text and category."""
    st = store(request)
    found = catalogue.apps(st, q, category)
    return JSONResponse({"data": [catalogue.app_json(st, s, r) for s, r in found.items()]})
