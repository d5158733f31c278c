"""``/files``: the stack's files API over an instance's files store, as cozy-stack-client's
FileCollection, cozy-client-js and cozy-konnector-libs call it (links, references and the disk
usage are in :mod:`sandbox.web.files_links`).

Every route checks the caller's permissions on io.cozy.files the way the stack does (rules
by id cover what is below a folder; see :mod:`sandbox.files.permissions`), records reads and
writes in the access journal, and answers errors as JSON:API objects with a string status.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandbox.errors import BadRequest, InvalidParameter, NoSuchFile
from sandbox.files import names
from sandbox.files.metadata import Content
from sandbox.files.names import DOCTYPE, ROOT_ID, TRASH_ID
from sandbox.files.tree import is_dir
from sandbox.instances import Instance
from sandbox.service import Caller
from sandbox.web import files_jsonapi as ja
from sandbox.web import files_links
from sandbox.web.context import sandbox
from sandbox.web.files_common import (
    CONTENT,
    CREATE,
    PAGE,
    REVISION,
    Body,
    FileId,
    JsonBody,
    Who,
    actor,
    checker,
    data_reply,
    dir_reply,
    files_of,
    if_match,
    readable,
    record,
    reply,
    send,
    whole,
)
from sandbox.web.responses import JSONAPI
from sandbox.webkit.api_docs import parameters, request_body

router = APIRouter(tags=["files"])
# first: /files/downloads and the /data/…/relationships/references routes must win over
# /files/{dir_id} here and /data/{doctype}/{doc_id} in the data API
router.include_router(files_links.router)
UNKNOWN_COUNT = 2**31 - 2           # the stack's "more than this page" count


# ---- reading -----------------------------------------------------------------------------------

@router.get("/files/download")
@router.head("/files/download", include_in_schema=False)
def download_by_path(request: Request, who: Who,
                     path: Annotated[str, Query(alias="Path", max_length=4096)] = "") -> Response:
    """Download a file of the Drive by its path (?Path=/Administrative/bill.pdf)."""
    return _download(request, who, files_of(request).by_path(who.instance, path))


@router.get("/files/download/{file_id}", openapi_extra=parameters(
    ("Dl", "query", "1 to download as an attachment, else shown inline", "1")))
@router.head("/files/download/{file_id}", include_in_schema=False)
def download(file_id: FileId, request: Request, who: Who) -> Response:
    """Download a file of the Drive by its id."""
    return _download(request, who, files_of(request).get(who.instance, file_id))


def _download(request: Request, who: Caller, doc: dict) -> Response:
    if is_dir(doc):
        raise NoSuchFile("file does not exist: this is a folder, download its files")
    readable(request, who, doc)
    record(request, who, "GET", "files.download")
    return send(files_of(request), who.instance, doc, request)


@router.post("/files/_find", openapi_extra=request_body(
    "A Mango query on the files", {"selector": {"class": "pdf"}, "limit": 10}))
def find(request: Request, who: Who, body: JsonBody) -> JSONAPI:
    """Find files with a Mango selector (io.cozy.files), as POST /data/:doctype/_find."""
    whole(request, who)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a Mango query: a JSON object with a selector")
    q = dict(body)
    include_path = True
    if isinstance(q.get("fields"), list):
        asked = [f for f in q["fields"] if isinstance(f, str)]
        include_path = "path" in asked
        q["fields"] = ["_id", "_rev", "type", "class", "size", "trashed",
                       *(["dir_id"] if include_path else []), *asked]
    limit = q.get("limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit > 1000 or limit < 0:
        limit = 100
    p = request.query_params
    limit = ja.page_limit(p.get("page[limit]"), limit, 1000)
    q["limit"] = limit
    if p.get("page[skip]"):
        q["skip"] = ja.page_limit(p["page[skip]"], 0, 2**31 - 1)
    if p.get("page[cursor]") or p.get("cursor"):
        q["bookmark"] = p.get("page[cursor]") or p.get("cursor")
    files = files_of(request)
    files.ensure(who.instance)
    res = sandbox(request).finder.find(who.instance.id, DOCTYPE, q)
    docs = [orjson.loads(orjson.dumps(d)) for d in res["docs"]]
    skip = q.get("skip") if isinstance(q.get("skip"), int) else 0
    out = [ja.obj(d, files.path_of(who.instance, d) if include_path and not is_dir(d)
                  else None) for d in docs]
    meta: dict = {"count": UNKNOWN_COUNT if len(docs) >= limit else skip + len(docs)}
    for key in ("warning", "execution_stats"):
        if key in res:
            meta[key] = res[key]
    links = {"next": f"/files/_find?page[cursor]={res['bookmark']}"} \
        if res.get("bookmark") and len(docs) >= limit else {}
    record(request, who, "GET", "files._find", len(docs))
    return JSONAPI({"data": out, "links": links, "meta": meta})


@router.post("/files/_all_docs", openapi_extra=request_body(
    "The ids of the files to read", {"keys": ["io.cozy.files.root-dir"]}))
def all_docs(request: Request, who: Who, body: JsonBody) -> JSONAPI:
    """List files and folders of the Drive, as _all_docs does for documents."""
    whole(request, who)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise BadRequest('the body must be {"keys": ["<file id>", ...]}')
    files, inst = files_of(request), who.instance
    found = [d for d in (files.find(inst, k) for k in keys[:1000])
             if d is not None and d["_id"] != TRASH_ID]
    record(request, who, "GET", "files._all_docs", len(found))
    return JSONAPI({"data": [ja.obj(d, None if is_dir(d) else files.path_of(inst, d))
                             for d in found], "links": {}, "meta": {"count": len(found)}})


@router.get("/files/metadata", openapi_extra=parameters(*PAGE))
def metadata_by_path(request: Request, who: Who,
                     path: Annotated[str, Query(alias="Path", max_length=4096)] = "") -> JSONAPI:
    """A file's or folder's metadata by its path (?Path=/Administrative)."""
    doc = readable(request, who, files_of(request).by_path(who.instance, path))
    if not is_dir(doc):
        record(request, who, "GET", "files.get")
    return reply(request, who, doc)


@router.get("/files/trash", openapi_extra=parameters(*PAGE))
def trash_listing(request: Request, who: Who) -> JSONAPI:
    """List what is in the Drive's trash."""
    files = files_of(request)
    files.ensure(who.instance)
    readable(request, who, files.get(who.instance, TRASH_ID))
    q = request.query_params
    children = files.children(who.instance, TRASH_ID)
    page, params = ja.paginate(children, ja.child_key, ja.page_limit(q.get("page[limit]")),
                               q.get("page[cursor]"), q.get("page[skip]"))
    record(request, who, "GET", "files.trash", len(page))
    links = {"next": f"/files/trash?{urlencode(params)}"} if params else {}
    return JSONAPI({"data": [ja.obj(d) for d in page], "links": links,
                    "meta": {"count": len(children)}})


@router.get("/files/{file_id}/relationships/contents", openapi_extra=parameters(*PAGE))
def contents(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    """List the contents of a folder, paginated."""
    doc = readable(request, who, files_of(request).get(who.instance, file_id))
    if not is_dir(doc):
        raise BadRequest(f"cant read children of file {file_id}")
    reply = orjson.loads(dir_reply(request, who, doc).body)
    return JSONAPI({"data": reply["included"], "links": reply["links"],
                    "meta": reply["data"]["relationships"]["contents"]["meta"]})


@router.head("/files/{file_id}")
def head(file_id: FileId, request: Request, who: Who) -> Response:
    """Whether a file or folder exists (no body)."""
    readable(request, who, files_of(request).get(who.instance, file_id))
    return Response(status_code=200)


@router.get("/files/{file_id}", openapi_extra=parameters(*PAGE))
def get_file(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    """A file's or folder's metadata (a folder with its contents) by its id."""
    files = files_of(request)
    if file_id in names.FIXED:
        files.ensure(who.instance)
    doc = readable(request, who, files.get(who.instance, file_id))
    if not is_dir(doc):
        record(request, who, "GET", "files.get")
    return reply(request, who, doc)


# ---- writing -----------------------------------------------------------------------------------

def _flag(value: str | None) -> bool:
    return value == "true"


def _content(request: Request, inst: Instance, data: bytes) -> Content:
    q, h = request.query_params, request.headers
    created = names.parse_date(q.get("CreatedAt"), "CreatedAt") or _header_date(h.get("date"))
    meta = None
    if q.get("MetadataID"):
        meta = files_of(request).secrets.metadata(inst, q["MetadataID"])
    elif q.get("Metadata"):
        try:
            meta = orjson.loads(q["Metadata"])
        except orjson.JSONDecodeError:
            raise InvalidParameter("Metadata", "Metadata must be a JSON object") from None
        if not isinstance(meta, dict):
            raise InvalidParameter("Metadata", "Metadata must be a JSON object")
    return Content(data, h.get("content-type"), h.get("content-md5") or None,
                   q.get("Size") or None, created,
                   names.parse_date(q.get("UpdatedAt"), "UpdatedAt"),
                   [t.strip() for t in q.get("Tags", "").split(",") if t.strip()],
                   _flag(q.get("Executable")), _flag(q.get("Encrypted")), meta,
                   q.get("SourceAccount", ""), q.get("SourceAccountIdentifier", ""))


def _header_date(value: str | None) -> str | None:
    """The ``Date`` header (RFC 1123), which cozy-stack-client sends empty or as
    ``toGMTString()``; a value that does not parse is ignored, as the stack does."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return names.parse_date(when.isoformat(), "Date")


@router.post("/files/", status_code=201, openapi_extra=parameters(*CREATE, *CONTENT))
def create_at_root(request: Request, who: Who, data: Body) -> JSONAPI:
    """As ``POST /files/io.cozy.files.root-dir`` (and the only form for ``Path=``)."""
    return _create(request, who, data, ROOT_ID)


@router.post("/files/{dir_id}", status_code=201,
             openapi_extra=parameters(*CREATE, *CONTENT))
def create(dir_id: FileId, request: Request, who: Who, data: Body) -> JSONAPI:
    """``Type=directory`` (with ``Name``, or ``Path`` and ``Recursive=true``) or
    ``Type=file`` with the bytes as the body, in the folder ``dir_id``."""
    return _create(request, who, data, dir_id)


def _create(request: Request, who: Caller, data: bytes, dir_id: str) -> JSONAPI:
    files, inst, q = files_of(request), who.instance, request.query_params
    check, act = checker(request, who), actor(request, who)
    kind = q.get("Type")
    if kind == "directory":
        tags = [t.strip() for t in q.get("Tags", "").split(",") if t.strip()]
        created = names.parse_date(q.get("CreatedAt"), "CreatedAt") or \
            _header_date(request.headers.get("date"))
        meta = files.secrets.metadata(inst, q["MetadataID"]) if q.get("MetadataID") else None
        if q.get("Path"):
            path = q["Path"]
            if not path.startswith("/"):
                raise InvalidParameter("Path", "Path should be absolute")
            parent_path, _, name = path.rstrip("/").rpartition("/")
            if _flag(q.get("Recursive")):
                doc = files.mkdir_p(inst, path, act, check)
            else:
                parent = files.by_path(inst, parent_path or "/")
                doc = files.create_dir(inst, parent["_id"], name, act, tags=tags, check=check)
        else:
            doc = files.create_dir(inst, dir_id, q.get("Name", ""), act, created_at=created,
                                   updated_at=names.parse_date(q.get("UpdatedAt"), "UpdatedAt"),
                                   tags=tags, metadata=meta, check=check)
        record(request, who, "POST", "files.mkdir")
        return data_reply(doc, 201)
    if kind == "file":
        doc = files.create_file(inst, dir_id, q.get("Name", ""), _content(request, inst, data),
                                act, check)
        record(request, who, "POST", "files.upload")
        return data_reply(doc, 201)
    raise InvalidParameter("type", "Type must be file or directory")


@router.put("/files/{file_id}", openapi_extra=parameters(*REVISION, *CONTENT))
def put_content(file_id: FileId, request: Request, who: Who, data: Body) -> JSONAPI:
    """Replace the content of a file (its new bytes as the body)."""
    doc = files_of(request).replace(who.instance, file_id, _content(request, who.instance, data),
                                  actor(request, who), if_match(request),
                                  checker(request, who))
    record(request, who, "PUT", "files.content")
    return data_reply(doc)


def _patch_attrs(body: object) -> dict:
    data = body.get("data") if isinstance(body, dict) else None
    attrs = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attrs, dict):
        raise BadRequest('the body must be {"data": {"type": "io.cozy.files", "attributes": '
                         '{...}}}')
    parent = ((data.get("relationships") or {}).get("parent") or {}).get("data") \
        if isinstance(data.get("relationships"), dict) else None
    if isinstance(parent, dict) and isinstance(parent.get("id"), str):
        attrs = {**attrs, "dir_id": parent["id"]}
    return attrs


def _patch(request: Request, who: Caller, doc_id: str, body: object) -> Response:
    attrs = _patch_attrs(body)
    doc = files_of(request).patch(who.instance, doc_id, attrs, actor(request, who),
                                if_match(request), checker(request, who))
    record(request, who, "PATCH", "files.patch")
    if doc is None:
        return Response(status_code=204)
    return reply(request, who, doc)


@router.patch("/files/metadata", openapi_extra=request_body(
    "The attributes to change (name, dir_id, tags…)",
    {"data": {"type": "io.cozy.files", "attributes": {"name": "2017-03.pdf"}}}))
def patch_by_path(request: Request, who: Who, body: JsonBody,
                  path: Annotated[str, Query(alias="Path", max_length=4096)] = "") -> Response:
    """Rename, move or tag a file or folder found by its path."""
    return _patch(request, who, files_of(request).by_path(who.instance, path)["_id"], body)


@router.patch("/files/{file_id}", openapi_extra=parameters(*REVISION) | request_body(
    "The attributes to change (name, dir_id, tags…)",
    {"data": {"type": "io.cozy.files", "attributes": {"tags": ["bills"]}}}))
def patch(file_id: FileId, request: Request, who: Who, body: JsonBody) -> Response:
    """Rename, move or tag a file or folder by its id."""
    return _patch(request, who, file_id, body)


@router.post("/files/upload/metadata", status_code=201, openapi_extra=request_body(
    "Metadata to attach to a file uploaded next",
    {"data": {"type": "io.cozy.files.metadata", "attributes": {"category": "bill"}}}))
def upload_metadata(request: Request, who: Who, body: JsonBody) -> JSONAPI:
    """Store metadata to attach to a file uploaded next (returns its id)."""
    checker(request, who)("POST", {"type": "file"})
    data = body.get("data") if isinstance(body, dict) else None
    attrs = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attrs, dict):
        raise BadRequest('the body must be {"data": {"type": "io.cozy.files.metadata", '
                         '"attributes": {...}}}')
    secret = files_of(request).secrets.keep_metadata(who.instance, attrs)
    return JSONAPI({"data": {"type": "io.cozy.files.metadata", "id": secret,
                             "attributes": attrs, "meta": {}}}, status_code=201)


@router.delete("/files/trash", status_code=204)
def empty_trash(request: Request, who: Who) -> Response:
    """Empty the Drive's trash."""
    files_of(request).empty_trash(who.instance, checker(request, who))
    record(request, who, "DELETE", "files.empty_trash")
    return Response(status_code=204)


@router.post("/files/trash/{file_id}")
def restore(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    """Restore a file or folder from the trash."""
    doc = files_of(request).restore(who.instance, file_id, actor(request, who),
                                  checker(request, who))
    record(request, who, "PATCH", "files.restore")
    return reply(request, who, doc)


@router.delete("/files/trash/{file_id}")
def destroy(file_id: FileId, request: Request, who: Who) -> Response:
    """Delete a file or folder from the trash for good."""
    files_of(request).destroy(who.instance, file_id, if_match(request), checker(request, who))
    record(request, who, "DELETE", "files.destroy")
    return Response(status_code=204)


@router.delete("/files/{file_id}", openapi_extra=parameters(*REVISION))
def trash(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    """Move a file or folder to the trash."""
    doc = files_of(request).trash(who.instance, file_id, actor(request, who),
                                if_match(request), checker(request, who))
    record(request, who, "PATCH", "files.trash")
    return reply(request, who, doc)

