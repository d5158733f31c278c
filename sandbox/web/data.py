"""``/data``: the cozy-stack data API (CouchDB-like), with permissions and the journal."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from sandbox.contract import doctypes
from sandbox.errors import BadRequest, NotFound
from sandbox.service import Caller, Sandbox
from sandbox.storage.documents import with_type
from sandbox.storage.finder import project
from sandbox.web.context import caller, json_body, sandbox
from sandbox.web.responses import JSON
from sandbox.webkit.api_docs import parameters, request_body

router = APIRouter(prefix="/data", tags=["data"])
MAX_INT = 2**31 - 1     # bigger counts are nonsense here, and overflow SQL integers
Limit = Annotated[int | None, Query(ge=0, le=MAX_INT, description="At most this many rows.")]
Skip = Annotated[int, Query(ge=0, le=MAX_INT, description="Rows to skip first.")]
Flag = Annotated[bool, Query(description="true or false")]
Doctype = Annotated[str, Path(description="A doctype: dotted lowercase names",
                              examples=["io.cozy.bills"])]
DocId = Annotated[str, Path(description="A document id", examples=["b1"])]
Ddoc = Annotated[str, Path(description="A design document's name (after _design/)",
                           examples=["by_vendor"])]


DOCTYPES_DOCTYPE = "io.cozy.doctypes"


def _record(sb: Sandbox, who: Caller, doctype: str, verb: str, route: str, count: int) -> None:
    sb.journal.record(who.instance.id, who.client, who.kind, doctype, verb, route, count)


def _need_whole(who: Caller, verb: str, doctype: str) -> None:
    if not who.permissions.allow_whole_type(verb, doctype):
        raise doctypes.refusal(doctype)


async def _whole_type(request: Request, doctype: str, verb: str, write: bool = False) -> Caller:
    """The prologue of every route on a whole doctype: who calls, whether the doctype may be
    read (or written), and whether the caller's rights cover the whole type."""
    who = await caller(request)
    (doctypes.check_writable if write else doctypes.check_readable)(doctype)
    _need_whole(who, verb, doctype)
    return who


def _doc_id(doc_id: str) -> str:
    if doc_id.startswith("_") and not doc_id.startswith("_design/"):
        raise BadRequest("Only reserved document ids may start with underscore.", "bad_id")
    return doc_id


@router.get("/")
async def welcome() -> JSON:
    """The data API's welcome answer (as CouchDB's root)."""
    return JSON({"message": "welcome to a cozy API"})


# first: the hottest route (FastAPI tries routes in order)
@router.post("/{doctype}/_find", openapi_extra=request_body(
    "A Mango query", {"selector": {"vendor": "EDF"}, "limit": 10}))
async def find(doctype: Doctype, request: Request) -> JSON:
    """Find documents of a doctype with a Mango selector (fields, sort, limit, skip, bookmark)."""
    who = await _whole_type(request, doctype, "GET")
    body = await json_body(request)
    sb = sandbox(request)
    # An indexed conjunction returns at most `limit` rows in well under a millisecond: run it
    # here rather than pay two thread hops; anything else goes to the thread pool.
    res = sb.finder.find(who.instance.id, doctype, body, only_fast=True)
    if res is None:
        res = await run_in_threadpool(sb.finder.find, who.instance.id, doctype, body)
    _record(sb, who, doctype, "GET", "_find", len(res["docs"]))
    return JSON(res)


@router.get("/_all_doctypes")
async def all_doctypes(request: Request) -> JSON:
    """List the doctypes of this instance the token may read."""
    who = await caller(request)
    _need_whole(who, "GET", DOCTYPES_DOCTYPE)
    sb = sandbox(request)
    names = await run_in_threadpool(sb.documents.doctypes, who.instance.id)
    return JSON([n for n in names if n not in doctypes.HIDDEN])


@router.get("/{doctype}/")
async def db_info(doctype: Doctype, request: Request) -> JSON:
    """A doctype's database information (document count, update sequence)."""
    who = await _whole_type(request, doctype, "GET")
    sb = sandbox(request)
    return JSON(await run_in_threadpool(sb.documents.db_info, who.instance.id, doctype))


@router.put("/{doctype}/", status_code=201)
async def create_db(doctype: Doctype, request: Request) -> JSON:
    """Create the database of a doctype (answers as the stack does when it exists)."""
    who = await _whole_type(request, doctype, "POST", write=True)
    sb = sandbox(request)
    created = await run_in_threadpool(sb.documents.create_db, who.instance.id, doctype)
    if not created:
        raise BadRequest("The database could not be created, the file already exists.",
                         "file_exists")
    return JSON({"ok": True}, status_code=201)


@router.delete("/{doctype}/")
async def drop_db(doctype: Doctype, request: Request) -> JSON:
    """Delete every document of a doctype the app owns."""
    who = await _whole_type(request, doctype, "DELETE", write=True)
    await run_in_threadpool(sandbox(request).documents.drop_db, who.instance.id, doctype)
    return JSON({"ok": True, "deleted": True})


@router.post("/{doctype}/", status_code=201,
             openapi_extra=request_body("A new document", {"vendor": "EDF"}))
async def create_doc(doctype: Doctype, request: Request) -> JSON:
    """Create a document (its id and first revision are returned)."""
    who = await caller(request)
    doctypes.check_writable(doctype)
    doc = await json_body(request)
    if not isinstance(doc, dict):
        raise BadRequest("the document must be a JSON object", "bad_request")
    if "_id" in doc:
        raise BadRequest("document _id should be empty", "defined_id")
    if not who.permissions.allow("POST", doctype, doc):
        raise doctypes.refusal(doctype)
    sb = sandbox(request)
    res = await run_in_threadpool(sb.documents.create, who.instance.id, doctype, doc)
    _record(sb, who, doctype, "POST", "create", 1)
    return _write_reply(doctype, res, 201)


def _write_reply(doctype: str, res, status: int = 200) -> JSON:
    body = (b'{"ok":true,"id":' + orjson.dumps(res.id) + b',"rev":' + orjson.dumps(res.rev)
            + b',"type":' + orjson.dumps(doctype) + b',"data":' + with_type(res.body, doctype)
            + b"}")
    return JSON(body, status_code=status)


@router.get("/{doctype}/_all_docs")
@router.post("/{doctype}/_all_docs")
async def all_docs(doctype: Doctype, request: Request, limit: Limit = None, skip: Skip = 0,
                   include_docs: Flag = False, descending: Flag = False,
                   keys: Annotated[str | None, Query(description="A JSON array of ids")] = None,
                   startkey: str | None = None, endkey: str | None = None,
                   fields: Annotated[str | None, Query(alias="Fields")] = None,
                   design: Annotated[bool, Query(alias="DesignDocs")] = True) -> JSON:
    """Documents of a doctype by id, in id order (include_docs, keys, limit, skip)."""
    who = await _whole_type(request, doctype, "GET")
    wanted: Any = None
    if keys:
        try:
            wanted = orjson.loads(keys)
        except orjson.JSONDecodeError:
            raise BadRequest("keys must be a JSON array") from None
    if request.method == "POST":
        raw = await request.body()
        body = await json_body(request) if raw.strip() else {}
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object like {\"keys\": [...]}")
        wanted = body.get("keys", wanted)
    if wanted is not None and not isinstance(wanted, list):
        raise BadRequest("keys must be a JSON array")
    sb = sandbox(request)
    res = await run_in_threadpool(
        sb.documents.all_docs, who.instance.id, doctype, keys=wanted,
        include_docs=include_docs or bool(fields), limit=limit, skip=skip,
        descending=descending, startkey=_jsonish(startkey), endkey=_jsonish(endkey),
        design=design)
    if fields:
        names = [f for f in fields.split(",") if f]
        for row in res["rows"]:
            if row.get("doc") is not None:
                row["doc"] = project(orjson.loads(orjson.dumps(row["doc"])),
                                     ["_id", "_rev", *names])
    _record(sb, who, doctype, "GET", "_all_docs", sum(1 for r in res["rows"] if "value" in r))
    return JSON(res)


def _jsonish(v: str | None) -> str | None:
    if v is None:
        return None
    try:
        parsed = orjson.loads(v)
        return parsed if isinstance(parsed, str) else v
    except orjson.JSONDecodeError:
        return v


def _lenient(text: str | None, default: int, top: int) -> int:
    """The stack's reading of _normal_docs' limit and skip: anything unusable is the default."""
    try:
        n = int(text) if text is not None else default
    except ValueError:
        return default
    return n if 0 <= n <= top else default


@router.get("/{doctype}/_normal_docs")
async def normal_docs(doctype: Doctype, request: Request,
                      bookmark: Annotated[str | None, Query(max_length=512)] = None) -> JSON:
    """Documents of a doctype without design documents, paginated with a bookmark."""
    who = await _whole_type(request, doctype, "GET")
    q = request.query_params
    sb = sandbox(request)
    limit = _lenient(q.get("limit"), sb.settings.find_default_limit, sb.settings.find_max_limit)
    skip = _lenient(q.get("skip"), 0, MAX_INT)
    res = await run_in_threadpool(sb.documents.normal_docs, who.instance.id, doctype, limit=limit,
                                  skip=skip, bookmark=bookmark or None)
    if not res["bookmark"] and len(res["rows"]) < limit:
        res["total_rows"] = skip + len(res["rows"]) if not bookmark else res["total_rows"]
    _record(sb, who, doctype, "GET", "_normal_docs", len(res["rows"]))
    return JSON(res)


@router.post("/{doctype}/_index", openapi_extra=request_body(
    "An index definition", {"index": {"fields": ["vendor"]}, "ddoc": "by_vendor"}))
async def define_index(doctype: Doctype, request: Request) -> JSON:
    """Create a Mango index on fields of a doctype (a real SQL index)."""
    who = await _whole_type(request, doctype, "GET")
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object with an index", "bad_request")
    return JSON(await run_in_threadpool(sandbox(request).indexes.define_index, who.instance.id,
                                        doctype, body))


@router.get("/{doctype}/_design_docs")
async def design_docs(doctype: Doctype, request: Request, include_docs: Flag = False) -> JSON:
    """List the design documents (indexes) of a doctype."""
    who = await _whole_type(request, doctype, "GET")
    return JSON(await run_in_threadpool(sandbox(request).indexes.design_docs, who.instance.id,
                                        doctype, include_docs))


@router.get("/{doctype}/_design/{ddoc}")
async def get_design(doctype: Doctype, ddoc: Ddoc, request: Request) -> JSON:
    """One design document (an index definition) of a doctype."""
    who = await _whole_type(request, doctype, "GET")
    body = await run_in_threadpool(sandbox(request).documents.get, who.instance.id, doctype,
                                   f"_design/{ddoc}")
    return JSON(body)


@router.delete("/{doctype}/_design/{ddoc}", openapi_extra=parameters(
    ("rev", "query", "The design document's current revision", "1-abc")))
async def delete_design(doctype: Doctype, ddoc: Ddoc, request: Request) -> JSON:
    """Delete a design document (an index) of a doctype."""
    who = await _whole_type(request, doctype, "GET")
    rev = request.query_params.get("rev")
    if not rev:
        raise BadRequest("delete without revision", "bad_request")
    return JSON(await run_in_threadpool(sandbox(request).indexes.delete_design, who.instance.id,
                                        doctype, f"_design/{ddoc}", rev))


@router.post("/{doctype}/_design/{ddoc}/copy", status_code=201, openapi_extra=parameters(
    ("rev", "query", "The design document's current revision", "1-abc"),
    ("Destination", "header", "The new design document's id", "_design/by_amount")))
async def copy_design(doctype: Doctype, ddoc: Ddoc, request: Request) -> JSON:
    """Copy a design document of a doctype under another name."""
    who = await _whole_type(request, doctype, "GET")
    rev = request.query_params.get("rev")
    dest = request.headers.get("destination")
    if not rev or not dest:
        raise BadRequest("copy needs ?rev= and a Destination header", "bad_request")
    res = await run_in_threadpool(sandbox(request).indexes.copy_design, who.instance.id, doctype,
                                  f"_design/{ddoc}", rev, dest)
    return JSON(res, status_code=201)


CHANGES_PARAMS = {"feed", "style", "since", "limit", "timeout", "include_docs", "heartbeat",
                  "_nonce", "seq_interval", "descending", "filter"}


@router.get("/{doctype}/_changes")
@router.post("/{doctype}/_changes")
async def changes(doctype: Doctype, request: Request, limit: Limit = None,
                  since: Annotated[str | None, Query(max_length=128)] = None,
                  include_docs: Flag = False, descending: Flag = False) -> JSON:
    """The changes feed of a doctype since a sequence (normal or longpoll)."""
    who = await _whole_type(request, doctype, "GET")
    q = request.query_params
    unknown = sorted(set(q) - CHANGES_PARAMS)
    if unknown:
        raise BadRequest(f"Unsupported query parameter '{unknown[0]}'", "bad_request")
    if q.get("feed", "normal") != "normal":
        raise BadRequest("Only the normal feed is supported", "bad_request")
    doc_ids = None
    filt = q.get("filter")
    if filt:
        if request.method != "POST" or filt != "_doc_ids":
            raise BadRequest("filter is only supported as POST with filter=_doc_ids",
                             "bad_request")
        body = await json_body(request)
        doc_ids = body.get("doc_ids") if isinstance(body, dict) else None
        if not isinstance(doc_ids, list):
            raise BadRequest("doc_ids must be an array", "bad_request")
    sb = sandbox(request)
    res = await run_in_threadpool(
        sb.documents.changes, who.instance.id, doctype, since=since, limit=limit,
        include_docs=include_docs, doc_ids=doc_ids, descending=descending)
    _record(sb, who, doctype, "GET", "_changes", len(res["results"]))
    return JSON(res)


@router.post("/{doctype}/_bulk_docs", status_code=201, openapi_extra=request_body(
    "Documents to write", {"docs": [{"vendor": "EDF"}, {"_id": "b1", "_rev": "1-x",
                                                        "_deleted": True}]}))
async def bulk_docs(doctype: Doctype, request: Request) -> JSON:
    """Create, update or delete many documents of a doctype in one request."""
    who = await _whole_type(request, doctype, "POST", write=True)
    body = await json_body(request)
    docs = body.get("docs") if isinstance(body, dict) else None
    if not isinstance(docs, list):
        raise BadRequest("body must be {\"docs\": [...]}", "bad_request")
    sb = sandbox(request)
    # Stricter than the stack, which checks POST on the whole type only: each document is
    # checked for what it does (create, change, delete).
    res = await run_in_threadpool(sb.documents.bulk_docs, who.instance.id, doctype, docs,
                                  lambda verb, doc: who.permissions.allow(verb, doctype, doc))
    _record(sb, who, doctype, "POST", "_bulk_docs", sum(1 for r in res if r.get("ok")))
    refused = sum(1 for r in res if r.get("error") == "forbidden")
    if refused:
        _record(sb, who, doctype, "DENIED", "_bulk_docs", refused)
    return JSON(res, status_code=201)


@router.get("/{doctype}/{doc_id:path}")
async def get_doc(doctype: Doctype, doc_id: DocId, request: Request) -> JSON:
    """One document by its id (optionally a given revision)."""
    who = await caller(request)
    doctypes.check_readable(doctype)
    _doc_id(doc_id)
    sb = sandbox(request)
    try:
        body = await run_in_threadpool(sb.documents.get, who.instance.id, doctype, doc_id)
    except NotFound:
        if not who.permissions.allow("GET", doctype, {}, doc_id=doc_id):
            raise doctypes.refusal(doctype) from None
        raise
    doc = orjson.loads(body)
    if not who.permissions.allow("GET", doctype, doc):
        raise doctypes.refusal(doctype)
    _record(sb, who, doctype, "GET", "get", 1)
    return JSON(with_type(body, doctype))


@router.put("/{doctype}/{doc_id:path}", openapi_extra=request_body(
    "The document (with its _rev to change it)", {"_id": "b1", "vendor": "EDF"}))
async def put_doc(doctype: Doctype, doc_id: DocId, request: Request) -> JSON:
    """Create or update a document by its id (updates need the current _rev, else 409)."""
    who = await caller(request)
    doctypes.check_writable(doctype)
    _doc_id(doc_id)
    doc = await json_body(request)
    if not isinstance(doc, dict):
        raise BadRequest("the document must be a JSON object", "bad_request")
    doc.pop("_type", None)
    has_id, has_rev = "_id" in doc, "_rev" in doc
    sb = sandbox(request)
    if has_id and doc["_id"] != doc_id:
        raise BadRequest("document _id doesnt match url", "bad_request")
    if not has_id and not has_rev:
        if not who.permissions.allow("POST", doctype, {**doc, "_id": doc_id}):
            raise doctypes.refusal(doctype)
        res = await run_in_threadpool(sb.documents.create, who.instance.id, doctype, doc, doc_id)
        _record(sb, who, doctype, "POST", "create", 1)
        return _write_reply(doctype, res, 200)
    if has_id != has_rev:
        raise BadRequest("You must either provide an _id and _rev in document (update) or "
                         "neither (create with fixed id).", "bad_request")
    stored = await run_in_threadpool(sb.documents.get_dict, who.instance.id, doctype, doc_id)
    if not who.permissions.allow("PUT", doctype, doc) or (
            stored is not None and not who.permissions.allow("PUT", doctype, stored)):
        raise doctypes.refusal(doctype)
    res = await run_in_threadpool(sb.documents.update, who.instance.id, doctype, doc_id, doc)
    _record(sb, who, doctype, "PUT", "update", 1)
    return _write_reply(doctype, res, 200)


@router.delete("/{doctype}/{doc_id:path}", openapi_extra=parameters(
    ("rev", "query", "The document's current revision (or If-Match)", "1-abc"),
    ("If-Match", "header", "The document's current revision (or ?rev=)", "1-abc")))
async def delete_doc(doctype: Doctype, doc_id: DocId, request: Request) -> JSON:
    """Delete a document by its id and current revision (?rev=)."""
    who = await caller(request)
    doctypes.check_writable(doctype)
    _doc_id(doc_id)
    rev_q = request.query_params.get("rev")
    rev_h = request.headers.get("if-match")
    if rev_q and rev_h and rev_q != rev_h.strip('"'):
        raise BadRequest("The revision in the query string and in If-Match differ", "bad_request")
    rev = rev_q or (rev_h.strip('"') if rev_h else None)
    if not rev:
        raise BadRequest("delete without revision", "bad_request")
    sb = sandbox(request)
    stored = await run_in_threadpool(sb.documents.get_dict, who.instance.id, doctype, doc_id)
    if not who.permissions.allow("DELETE", doctype, stored or {}, doc_id=doc_id):
        raise doctypes.refusal(doctype)
    res = await run_in_threadpool(sb.documents.delete, who.instance.id, doctype, doc_id, rev)
    _record(sb, who, doctype, "DELETE", "delete", 1)
    return JSON({"ok": True, "id": res.id, "rev": res.rev, "type": doctype, "deleted": True})
