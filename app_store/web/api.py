"""The store's JSON API (``/api``): accounts, submissions, review, criteria, scores, results."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app_store import accounts, catalogue, judging_store
from app_store.errors import Invalid
from app_store.judging import to_csv
from app_store.web.context import account, store
from app_store.web.views import submission_json

router = APIRouter(prefix="/api", tags=["store"])


async def _json(request: Request) -> dict:
    import orjson

    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body


@router.get("/me")
async def me(request: Request) -> dict:
    who = account(request)
    return {"id": who.id, "name": who.name, "role": who.role, "team": who.team}


@router.post("/accounts", status_code=201)
async def create_account(request: Request) -> dict:
    accounts.require(account(request), "organiser")
    body = await _json(request)
    acc, token = accounts.create(store(request).db, body.get("name", ""), body.get("role", ""),
                                 body.get("team"))
    return {"id": acc.id, "name": acc.name, "role": acc.role, "team": acc.team, "token": token}


@router.get("/accounts")
async def list_accounts(request: Request) -> dict:
    accounts.require(account(request), "organiser")
    return {"data": [asdict(a) for a in accounts.listing(store(request).db)]}


@router.post("/me/conflicts", status_code=201)
async def declare_conflict(request: Request) -> dict:
    who = accounts.require(account(request), "judge")
    team = str((await _json(request)).get("team", "")).strip()
    if not team:
        raise Invalid("name the team you have a conflict of interest with", [
            {"path": "team", "message": "required"}])
    accounts.declare_conflict(store(request).db, who, team)
    return {"conflicts": sorted(accounts.conflicts_of(store(request).db, who.id))}


@router.post("/submissions", status_code=202)
async def submit(request: Request) -> dict:
    """Upload an app: the raw archive as the body (``?filename=app.tar.gz``) or a multipart
    form with a ``file`` field."""
    who = account(request)
    st = store(request)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_part_size=st.limits.upload_bytes + 1)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("send the archive in a form field named 'file'")
        data, filename = await upload.read(), upload.filename or "app.tar.gz"
    else:
        data = await request.body()
        filename = request.query_params.get("filename", "app.tar.gz")
    sub_id = await run_in_threadpool(st.submit, who, data, filename)
    return {"id": sub_id, "state": "queued", "url": f"/api/submissions/{sub_id}"}


@router.get("/submissions")
async def list_submissions(request: Request) -> dict:
    who = account(request)
    st = store(request)
    rows = st.listing(who, request.query_params.get("state"))
    return {"data": [submission_json(st, r, full=False) for r in rows]}


@router.get("/submissions/{sub_id}")
async def get_submission(sub_id: int, request: Request) -> dict:
    st = store(request)
    return submission_json(st, st.visible(account(request), sub_id))


@router.post("/submissions/{sub_id}/review")
async def review(sub_id: int, request: Request) -> dict:
    st = store(request)
    body = await _json(request)
    st.review(account(request), sub_id, str(body.get("decision", "")), str(body.get("reason")
                                                                          or ""))
    return submission_json(st, st.row(sub_id), full=False)


@router.get("/criteria")
async def get_criteria(request: Request) -> dict:
    return {"data": [asdict(c) for c in judging_store.get_criteria(store(request))]}


@router.put("/criteria")
async def put_criteria(request: Request) -> dict:
    body = await _json(request)
    items = body.get("data")
    if not isinstance(items, list):
        raise Invalid("send {\"data\": [{\"key\":..., \"label\":..., \"weight\":...}, ...]}")
    new = judging_store.set_criteria(store(request), account(request), items)
    return {"data": [asdict(c) for c in new]}


@router.post("/scores", status_code=201)
async def post_scores(request: Request) -> dict:
    body = await _json(request)
    values = body.get("scores")
    if not isinstance(values, dict):
        raise Invalid("send {\"slug\": ..., \"scores\": {\"criterion\": 1-5, ...}}")
    judging_store.score(store(request), account(request), str(body.get("slug", "")), values,
                        str(body.get("comment", "")))
    return {"saved": len(values)}


@router.get("/leaderboard")
async def leaderboard(request: Request) -> dict:
    accounts.require(account(request), "organiser", "judge")
    return {"data": [asdict(r) for r in judging_store.leaderboard(store(request))]}


@router.get("/leaderboard.csv")
async def leaderboard_csv(request: Request) -> Response:
    accounts.require(account(request), "organiser")
    st = store(request)
    text = to_csv(judging_store.leaderboard(st), judging_store.get_criteria(st))
    return Response(text, media_type="text/csv", headers={
        "Content-Disposition": "attachment; filename=leaderboard.csv"})


@router.get("/catalogue")
async def catalogue_list(request: Request) -> JSONResponse:
    st = store(request)
    found = catalogue.apps(st, request.query_params.get("q", ""),
                           request.query_params.get("category", ""))
    return JSONResponse({"data": [catalogue.app_json(st, s, r) for s, r in found.items()]})
