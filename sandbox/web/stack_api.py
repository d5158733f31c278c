"""``/intents``, ``/notifications`` and ``/jobs`` as the stack answers them.

The sandbox runs no job workers: triggers and queued jobs are listed from the instance's
``io.cozy.triggers`` / ``io.cozy.jobs`` documents (in a live run, ``sandbox.live`` writes its
konnectors' triggers, their runs as jobs and the triggers' ``current_state``), and
asking for a job or a trigger gets the stack's answer for a worker it does not have (404
``jobs: could not find worker``), saying so, never a job that would not run.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sandbox.contract import addresses
from sandbox.errors import Forbidden, InvalidAttribute, NotFound
from sandbox.intents import check, offers
from sandbox.notifications import NOTIFICATIONS, categories_of
from sandbox.service import Caller, Sandbox
from sandbox.web import jsonapi
from sandbox.web.context import caller, sandbox
from sandbox.web.responses import JSONAPI
from sandbox.webkit.api_docs import request_body

router = APIRouter()
JOBS, TRIGGERS = "io.cozy.jobs", "io.cozy.triggers"
TRIGGER_TYPES = ("@at", "@in", "@hourly", "@daily", "@weekly", "@monthly", "@cron", "@every",
                 "@event", "@webhook", "@client")
NO_WORKER = ("jobs: could not find worker {worker!r}: this sandbox runs no job workers "
             "(konnectors, services, mails, thumbnails...), so no job would ever run; run your "
             "konnector from the command line against the sandbox instead")


def _app_url(request: Request, who: Caller, slug: str) -> str:
    return f"http://{addresses.app_host(slug, who.instance.name, request.url.port)}/"


# ---- intents --------------------------------------------------------------------------------

@router.post("/intents", tags=["intents"], openapi_extra=request_body(
    "What to do, on which doctype",
    {"data": {"type": "io.cozy.intents", "attributes": {"action": "PICK",
        "type": "io.cozy.files", "permissions": ["GET"]}}}))
async def create_intent(request: Request) -> JSONAPI:
    """Which installed app offers ``action`` on ``type``; none answers with no service."""
    who = await caller(request)
    attributes, _ = await jsonapi.bind(request)
    action, typ, perms = check(attributes)
    sb = sandbox(request)
    installed = await run_in_threadpool(sb.installs.listing, who.instance)
    matches = []
    for app in installed:
        raw = app.manifest.raw if app.manifest else {}
        href = offers(raw, action, typ) if raw.get("type", "webapp") == "webapp" else None
        if href is not None:
            matches.append((app.slug, _app_url(request, who, app.slug), href))
    client = _app_url(request, who, who.client) if who.kind == "app" else who.source_id
    doc = await run_in_threadpool(sb.intents.create, who.instance, client, action, typ, perms,
                                  matches)
    attrs = {k: v for k, v in doc.items() if k not in ("_id", "_rev")}
    attrs["availableApps"] = None
    return jsonapi.data(jsonapi.obj("io.cozy.intents", doc["_id"], attrs, doc["_rev"], links={
        "self": f"/intents/{doc['_id']}", "permissions": f"/permissions/{who.permission_id}"}))


@router.get("/intents/{intent_id}", tags=["intents"])
async def get_intent(intent_id: str, request: Request) -> JSONAPI:
    """An intent, for the app that serves it."""
    who = await caller(request)
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.intents.read, who.instance, intent_id, who.source_id)
    attrs = {k: v for k, v in doc.items() if k not in ("_id", "_rev")}
    return jsonapi.data(jsonapi.obj("io.cozy.intents", intent_id, attrs, doc["_rev"],
                                    links={"self": f"/intents/{intent_id}"}))


# ---- notifications --------------------------------------------------------------------------

def _categories(sb: Sandbox, who: Caller) -> tuple[str, str, dict | None]:
    """(originator, slug, the categories it may use) of the caller."""
    if who.kind == "app":
        app = sb.installs.get(who.instance, who.client)
        raw = app.manifest.raw if app is not None and app.manifest else None
        return ("konnector" if (raw or {}).get("type") == "konnector" else "app", who.client,
                categories_of(raw))
    if who.kind == "oauth":  # an OAuth client speaks for the app it is linked to, if any
        software = sb.oauth_software_id(who.instance, who.claims.sub)
        slug = software.removeprefix("registry://") if software.startswith("registry://") \
            else ""
        app = sb.installs.get(who.instance, slug) if slug else None
        raw = app.manifest.raw if app is not None and app.manifest else None
        return "oauth", slug, categories_of(raw)
    return who.kind, "", None


@router.post("/notifications", tags=["notifications"], status_code=201, openapi_extra=request_body(
    "The notification",
    {"data": {"type": "io.cozy.notifications", "attributes": {"category": "bills",
        "title": "A new bill", "message": "EDF: 42,10 €"}}}))
async def create_notification(request: Request) -> JSONAPI:
    """A notification for the tester, in a category the app's manifest declares
    (``notifications.<category>``); shown on the tester's dashboard."""
    who = await caller(request)
    attributes, _ = await jsonapi.bind(request)
    sb = sandbox(request)
    originator, slug, categories = await run_in_threadpool(_categories, sb, who)
    doc = await run_in_threadpool(sb.notifications.push, who.instance, originator, slug,
                                  categories, attributes)
    sb.journal.record(who.instance.id, who.client, who.kind, NOTIFICATIONS, "POST",
                      "notification", 1)
    doc_id = doc.get("_id", "")
    return jsonapi.data(jsonapi.obj(NOTIFICATIONS, doc_id, doc, doc.get("_rev"),
                                    links={"self": f"/notifications/{doc_id}"}), 201)


# ---- jobs and triggers ----------------------------------------------------------------------

def _stored(sb: Sandbox, who: Caller, doctype: str) -> list[dict]:
    try:
        rows = sb.documents.all_docs(who.instance.id, doctype, include_docs=True,
                                     design=False)["rows"]
    except NotFound:
        return []
    return [orjson.loads(orjson.dumps(r["doc"])) for r in rows if r.get("doc")]


def _trigger(doc: dict) -> dict:
    state = doc.get("current_state") if isinstance(doc.get("current_state"), dict) else {}
    attrs = {**doc, "current_state": {"trigger_id": doc["_id"], "status": "", **state}}
    attrs.pop("_rev", None)
    return jsonapi.obj(TRIGGERS, doc["_id"], attrs, links={"self": f"/jobs/triggers/{doc['_id']}"})


def _job(doc: dict) -> dict:
    return jsonapi.obj(JOBS, doc["_id"], doc, doc.get("_rev"),
                       links={"self": f"/jobs/{doc.get('worker', '')}/{doc['_id']}"})


def _no_worker(worker: object) -> NotFound:
    return NotFound(NO_WORKER.format(worker=str(worker)[:100]))


@router.get("/jobs/queue/{worker}", tags=["jobs"])
async def queued(worker: str, request: Request) -> JSONAPI:
    """Jobs waiting for a worker (needs GET on io.cozy.jobs for that worker)."""
    who = await caller(request)
    if not who.permissions.allow("GET", JOBS, {"worker": worker}):
        raise Forbidden()
    docs = await run_in_threadpool(_stored, sandbox(request), who, JOBS)
    return jsonapi.listing([_job(d) for d in docs
                            if d.get("worker") == worker and d.get("state") == "queued"])


@router.post("/jobs/queue/{worker}", tags=["jobs"], openapi_extra=request_body(
    "The job's arguments",
    {"data": {"type": "io.cozy.jobs", "attributes": {"arguments": {"slug": "my-bills"}}}}))
async def push_job(worker: str, request: Request) -> JSONAPI:
    """Refused: no worker runs here (404, as the stack answers for a worker it lacks)."""
    who = await caller(request)
    await jsonapi.bind(request)
    if not who.permissions.allow("POST", JOBS, {"worker": worker}):
        raise Forbidden()
    raise _no_worker(worker)


@router.get("/jobs/triggers", tags=["jobs"])
async def triggers(request: Request,
                   worker: Annotated[str | None, Query(alias="Worker", max_length=512)] = None,
                   kind: Annotated[str | None, Query(alias="Type", max_length=512)] = None
                   ) -> JSONAPI:
    """Scheduled triggers (needs GET on io.cozy.triggers, or on one ``Worker``)."""
    who = await caller(request)
    workers = [w for w in (worker or "").split(",") if w]
    types = [t for t in (kind or "").split(",") if t]
    if not who.permissions.allow_whole_type("GET", TRIGGERS) and not (
            len(workers) == 1 and who.permissions.allow_on_field("GET", TRIGGERS, "worker",
                                                                  workers[0])):
        raise Forbidden()
    docs = await run_in_threadpool(_stored, sandbox(request), who, TRIGGERS)
    return jsonapi.listing([_trigger(d) for d in docs
                            if (not workers or d.get("worker") in workers)
                            and (not types or d.get("type") in types)])


@router.post("/jobs/triggers", tags=["jobs"], status_code=201, openapi_extra=request_body(
    "The trigger",
    {"data": {"type": "io.cozy.triggers", "attributes": {"type": "@cron",
        "arguments": "0 0 2 * * *", "worker": "service", "message": {"slug": "my-bills"}}}}))
async def new_trigger(request: Request) -> JSONAPI:
    """Refused: no worker runs here, so no trigger would ever fire (404 for its worker)."""
    who = await caller(request)
    attributes, _ = await jsonapi.bind(request)
    if attributes.get("type") not in TRIGGER_TYPES:
        raise InvalidAttribute("Type", "Unknown trigger type")
    worker = attributes.get("worker")
    if not isinstance(worker, str) or not worker:
        raise InvalidAttribute("worker", "the trigger needs a worker")
    if not who.permissions.allow("POST", TRIGGERS, {"worker": worker,
                                                    "type": attributes["type"]}):
        raise Forbidden()
    raise _no_worker(worker)


async def _one_trigger(request: Request, trigger_id: str, verb: str) -> tuple[Caller, dict]:
    who = await caller(request)
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.documents.get_dict, who.instance.id, TRIGGERS, trigger_id)
    if doc is None:
        raise NotFound("Trigger with specified ID does not exist")
    if not who.permissions.allow(verb, TRIGGERS, doc):
        raise Forbidden()
    return who, doc


@router.get("/jobs/triggers/{trigger_id}", tags=["jobs"])
async def get_trigger(trigger_id: str, request: Request) -> JSONAPI:
    """One trigger (a schedule of a background job)."""
    _, doc = await _one_trigger(request, trigger_id, "GET")
    return jsonapi.data(_trigger(doc))


@router.post("/jobs/triggers/{trigger_id}/launch", tags=["jobs"])
async def launch_trigger(trigger_id: str, request: Request) -> JSONAPI:
    """Run a trigger's job now (a connector run)."""
    _, doc = await _one_trigger(request, trigger_id, "POST")
    raise _no_worker(doc.get("worker", ""))


@router.delete("/jobs/triggers/{trigger_id}", tags=["jobs"], status_code=204)
async def delete_trigger(trigger_id: str, request: Request) -> Response:
    """Delete a trigger."""
    who, doc = await _one_trigger(request, trigger_id, "DELETE")
    await run_in_threadpool(sandbox(request).documents.delete, who.instance.id, TRIGGERS,
                            trigger_id, doc["_rev"])
    return Response(status_code=204)


@router.get("/jobs/{job_id}", tags=["jobs"])
async def get_job(job_id: str, request: Request) -> JSONAPI:
    """One background job and its state."""
    who = await caller(request)
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.documents.get_dict, who.instance.id, JOBS, job_id)
    if doc is None:
        raise NotFound("jobs: not found")
    if not who.permissions.allow("GET", JOBS, doc):
        raise Forbidden()
    return jsonapi.data(_job(doc))
