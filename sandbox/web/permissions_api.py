"""``/permissions/*`` as apps use them (the stack's ``web/permissions``): the caller's own
permissions, share-by-link documents (create, read, patch, revoke, list by doctype) and which
documents are shared. Changing an installed app's own rights is the tester's decision (the
consent page), so ``PATCH /permissions/apps/:slug`` is refused here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sandbox.contract import doctypes
from sandbox.errors import BadRequest, Forbidden
from sandbox.service import Caller
from sandbox.shares import PERMISSIONS, codes_visible, public
from sandbox.web import jsonapi
from sandbox.web.context import caller, json_body, sandbox
from sandbox.web.responses import JSONAPI
from sandbox.webkit.api_docs import request_body

router = APIRouter(prefix="/permissions", tags=["permissions"])
PAGE, MAX_PAGE = 30, 100


def _self_object(who: Caller) -> dict:
    perms = {r.title or f"rule{i}": r.to_json() for i, r in enumerate(who.permissions.rules)}
    return jsonapi.obj(PERMISSIONS, who.permission_id, {
        "type": who.kind, "source_id": who.source_id, "permissions": perms},
        links={"self": f"/permissions/{who.permission_id}"})


def _share_object(doc: dict, hide_codes: bool) -> dict:
    attrs = public(doc) if hide_codes else {k: v for k, v in doc.items()
                                           if k not in ("_id", "_rev")}
    return jsonapi.obj(PERMISSIONS, doc["_id"], attrs, doc.get("_rev"),
                       links={"self": f"/permissions/{doc['_id']}"})


@router.get("/self")
async def permissions_self(request: Request) -> JSONAPI:
    """What the request's token may do."""
    return jsonapi.data(_self_object(await caller(request)))


@router.post("", openapi_extra=request_body(
    "The permission set to share",
    {"data": {"type": "io.cozy.permissions",
        "attributes": {"permissions": {"bills": {"type": "io.cozy.bills", "verbs": ["GET"]}}}}}))
@router.post("/", include_in_schema=False)
async def create_share(request: Request,
                       codes: Annotated[str, Query(max_length=4096)] = "",
                       ttl: Annotated[str | None, Query(max_length=32)] = None) -> JSONAPI:
    """A share by link: a subset of the caller's rights, one code (a token) per name in
    ``codes``, expiring after ``ttl`` (e.g. 1D) or at ``expires_at``."""
    who = await caller(request)
    attributes, _ = await jsonapi.bind(request)
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.shares.create, who.instance, who.kind, who.source_id,
                                  who.permissions, attributes, codes.split(","), ttl)
    sb.journal.record(who.instance.id, who.client, who.kind, PERMISSIONS, "POST", "share", 1)
    return jsonapi.data(_share_object(doc, hide_codes=False))


@router.post("/exists", openapi_extra=request_body(
    "The documents to check", {"data": [{"type": "io.cozy.bills", "id": "b1"}]}))
async def exists(request: Request) -> JSONAPI:
    """Which of the given documents a share names: ``{"data": [{"type", "id"}...]}``."""
    who = await caller(request)
    body = await json_body(request)
    refs = body.get("data") if isinstance(body, dict) else None
    if not isinstance(refs, list) or not all(
            isinstance(r, dict) and isinstance(r.get("type"), str) and isinstance(r.get("id"), str)
            for r in refs) or len(refs) > 10_000:
        raise BadRequest('the body must be {"data": [{"type": ..., "id": ...}, ...]} '
                         "(at most 10,000 references)")
    sb = sandbox(request)
    found = await run_in_threadpool(sb.shares.shared, who.instance,
                                    [(r["type"], r["id"]) for r in refs])
    return JSONAPI({"data": found})


@router.get("/doctype/{doctype}/shared-by-link")
@router.get("/doctype/{doctype}/sharedByLink", include_in_schema=False)
async def shared_by_link(doctype: str, request: Request,
                         limit: Annotated[int, Query(alias="page[limit]", ge=1)] = PAGE,
                         cursor: Annotated[str | None, Query(alias="page[cursor]",
                                                             max_length=64)] = None
                         ) -> JSONAPI:
    """The share links on a doctype (needs GET on the whole doctype); their codes only to
    the app that made them or to a caller that holds all they grant."""
    who = await caller(request)
    if doctypes.name_problem(doctype) is not None:
        raise BadRequest(f"{doctype} is not a valid doctype name")
    if not who.permissions.allow_whole_type("GET", doctype):
        raise Forbidden("You need GET permission on whole type to list its permissions")
    limit = min(limit, MAX_PAGE)
    sb = sandbox(request)
    docs, more = await run_in_threadpool(sb.shares.by_doctype, who.instance, doctype, limit,
                                         cursor)
    links = {}
    if more and docs:
        links["next"] = (f"/permissions/doctype/{doctype}/shared-by-link?page[limit]={limit}"
                         f"&page[cursor]={docs[-1]['_id']}")
    items = [_share_object({**d, "password": True} if d.get("password") else d,
                           hide_codes=not codes_visible(d, who.source_id, who.permissions))
             for d in docs]
    return jsonapi.listing(items, links)


@router.patch("/apps/{slug}")
@router.patch("/konnectors/{slug}")
async def patch_app(slug: str, request: Request) -> JSONAPI:
    """Change the permissions of an installed app or connector (the tester's own token only)."""
    await caller(request)
    raise Forbidden(f"the rights of {slug} are the ones the tester agreed to on its consent "
                    "page; another app cannot change them here (install a new version asking "
                    "for them)")


@router.get("/{perm_id}")
async def show(perm_id: str, request: Request) -> JSONAPI:
    """A permission document: the caller's own, or a share it created (codes hidden)."""
    who = await caller(request)
    if perm_id == who.permission_id:
        return jsonapi.data(_self_object(who))
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.shares.get, who.instance, perm_id)
    if doc.get("source_id") != who.source_id:
        raise Forbidden()
    return jsonapi.data(_share_object(doc, hide_codes=True))


@router.patch("/{perm_id}", openapi_extra=request_body(
    "The permissions or codes to add",
    {"data": {"type": "io.cozy.permissions", "attributes": {"codes": {"bob": ""}}}}))
async def patch(perm_id: str, request: Request) -> JSONAPI:
    """Add or remove rules, replace the codes or change the expiry of a share the caller
    created."""
    who = await caller(request)
    attributes, _ = await jsonapi.bind(request)
    sb = sandbox(request)
    doc = await run_in_threadpool(sb.shares.patch, who.instance, perm_id, who.kind,
                                  who.source_id, who.permissions, attributes)
    sb.forget_tokens()  # codes or expiry may have changed
    sb.journal.record(who.instance.id, who.client, who.kind, PERMISSIONS, "PATCH", "share", 1)
    return jsonapi.data(_share_object(doc, hide_codes=False))


@router.delete("/{perm_id}", status_code=204)
async def revoke(perm_id: str, request: Request) -> Response:
    """Revoke a share the caller created: its codes stop working."""
    who = await caller(request)
    sb = sandbox(request)
    await run_in_threadpool(sb.shares.revoke, who.instance, perm_id, who.kind, who.source_id,
                            who.permissions)
    sb.forget_tokens()
    sb.journal.record(who.instance.id, who.client, who.kind, PERMISSIONS, "DELETE", "share", 1)
    return Response(status_code=204)
