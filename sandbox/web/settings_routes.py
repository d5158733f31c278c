"""``/settings/*`` as apps and cozy-client call them (the stack's ``web/settings``): the
instance's settings, capabilities, context and flags. (``/settings/disk-usage`` lives with the
files.)"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sandbox.errors import Forbidden, NoToken
from sandbox.instance_settings import CAPABILITIES, INSTANCE_ID, SETTINGS
from sandbox.service import Caller
from sandbox.web import jsonapi
from sandbox.web.context import caller, sandbox, token_of
from sandbox.web.responses import JSONAPI
from sandbox.webkit.api_docs import request_body

router = APIRouter(prefix="/settings", tags=["settings"])
FLAG_SOURCES = ("instance", "manager", "config", "context", "default")


def _settings(doc_id: str, attributes: dict, rev: str | None = None) -> JSONAPI:
    name = doc_id.removeprefix("io.cozy.settings.")
    return jsonapi.data(jsonapi.obj(SETTINGS, doc_id, attributes, rev,
                                    links={"self": f"/settings/{name}"}))


async def _any_token(request: Request, missing: type[Exception] = NoToken) -> Caller:
    """Any valid token of the instance; none at all is ``missing`` (401, or 403 where the
    stack says so)."""
    if not token_of(request):
        raise missing()
    return await caller(request)


@router.get("/instance")
async def get_instance(request: Request) -> JSONAPI:
    """The instance's settings (any token): locale, tz, email, public_name..."""
    who = await _any_token(request)
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.instance_settings.stored, who.instance)
    attrs, rev = sb.instance_settings.view(doc)
    return _settings(INSTANCE_ID, attrs, rev)


@router.put("/instance", openapi_extra=request_body(
    "The instance's settings, with their current revision",
    {"data": {"type": "io.cozy.settings", "id": "io.cozy.settings.instance",
        "meta": {"rev": "1-abc"}, "attributes": {"locale": "fr"}}}))
async def put_instance(request: Request) -> JSONAPI:
    """Replace the settings (needs PUT on io.cozy.settings or on this document); ``meta.rev``
    guards against lost updates (409)."""
    who = await caller(request)
    attributes, meta = await jsonapi.bind(request)
    if not who.permissions.allow("PUT", SETTINGS, {"_id": INSTANCE_ID}):
        raise Forbidden()
    sb = sandbox(request)
    rev = meta.get("rev") if isinstance(meta.get("rev"), str) else None
    attrs, new_rev = await run_in_threadpool(sb.instance_settings.update, who.instance,
                                             attributes, rev, who.kind == "cli")
    sb.journal.record(who.instance.id, who.client, who.kind, SETTINGS, "PUT", "settings", 1)
    return _settings(INSTANCE_ID, attrs, new_rev)


@router.get("/capabilities")
async def capabilities(request: Request) -> JSONAPI:
    """What this cloud can do: no file versions, apps on nested sub-domains
    (``<slug>.<instance>.localhost``), no password, magic-link or OIDC login."""
    await _any_token(request)
    return _settings("io.cozy.settings.capabilities", dict(CAPABILITIES))


@router.get("/context")
async def context(request: Request) -> JSONAPI:
    """The instance's context (any token; none is 403, as on the stack)."""
    await _any_token(request, Forbidden)
    return _settings("io.cozy.settings.context", {"default_redirection": "home/",
                                                  "antivirus": None})


@router.get("/flags")
async def flags(request: Request,
                include: str | None = Query(None, max_length=64,
                                            description="source: add each source's flags")
                ) -> JSONAPI:
    """Feature flags: none are set in the sandbox (any token; none is 403)."""
    await _any_token(request, Forbidden)
    body: dict = {"data": jsonapi.obj(SETTINGS, "io.cozy.settings.flags", {},
                                      links={"self": "/settings/flags"})}
    if include:
        body["included"] = [jsonapi.obj(SETTINGS, f"io.cozy.settings.flags.{s}", {})
                            for s in FLAG_SOURCES]
    return JSONAPI(body)


@router.get("/external-ties")
async def external_ties(request: Request) -> JSONAPI:
    """Ties of the instance to outside services (none in the sandbox)."""
    await _any_token(request)
    return JSONAPI({"has_blocking_subscription": False})


@router.post("/synchronized", status_code=204)
async def synchronized(request: Request) -> Response:
    """What OAuth clients call after a sync (cozy-client ``updateLastSynced``)."""
    who = await caller(request)
    if who.kind != "oauth":
        raise Forbidden("only OAuth clients report a synchronisation")
    return Response(status_code=204)
