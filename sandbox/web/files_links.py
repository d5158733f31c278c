"""``/files`` beside the tree: download links that need no token, the references between
documents and files (``/files/:id/relationships/referenced_by`` and
``/data/:doctype/:id/relationships/references``, which konnectors' saveFiles reads), and
``/settings/disk-usage``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandbox.errors import BadRequest, Forbidden, NoSuchFile
from sandbox.files.names import DOCTYPE
from sandbox.files.tree import is_dir
from sandbox.service import Sandbox
from sandbox.web import files_jsonapi as ja
from sandbox.web.context import address, sandbox
from sandbox.web.files_common import (
    PAGE,
    FileId,
    JsonBody,
    Who,
    actor,
    checker,
    denied,
    files_of,
    may,
    readable,
    record,
    send,
)
from sandbox.web.responses import JSONAPI
from sandbox.webkit.api_docs import parameters, request_body

router = APIRouter(tags=["files"])
DISK_USAGE_ID = "io.cozy.settings.disk-usage"


@router.post("/files/downloads")
def download_link(request: Request, who: Who,
                  id_: Annotated[str, Query(alias="Id", max_length=512)] = "",
                  path: Annotated[str, Query(alias="Path", max_length=4096)] = "",
                  filename: Annotated[str, Query(alias="Filename", max_length=1024)] = ""
                  ) -> JSONAPI:
    """A download link that needs no token (``links.related``), for a browser to open."""
    files = files_of(request)
    doc = files.by_path(who.instance, path) if path else files.get(who.instance, id_)
    if is_dir(doc):
        raise NoSuchFile("file does not exist: this is a folder")
    readable(request, who, doc)
    secret = files.secrets.keep_download(who.instance, doc["_id"])
    name = quote(filename or doc["name"], safe="%")  # the client sends it encoded already
    return JSONAPI({"data": ja.obj(doc), "links": {"related": f"/files/downloads/{secret}/{name}"}})


@router.get("/files/downloads/{secret}/{name}")
@router.head("/files/downloads/{secret}/{name}", include_in_schema=False)
def download_by_link(secret: str, name: str, request: Request) -> Response:
    """What a download link serves: the secret is the permission (it was made by a caller
    allowed to read the file), on the instance that made it."""
    sb: Sandbox = sandbox(request)
    instance_id, file_id = sb.files.secrets.download_of(secret)
    inst = sb.instances.by_id(instance_id)
    host = address(request).instance
    if host and host != inst.name:
        raise NoSuchFile("Wrong or expired download link: ask for a new one")
    doc = sb.files.get(inst, file_id)
    return send(sb.files, inst, doc, request)



# ---- references ----------------------------------------------------------------------------------

def _refs(body: object) -> list[dict]:
    data = body.get("data") if isinstance(body, dict) else None
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if items is None or not all(isinstance(r, dict) and isinstance(r.get("type"), str) and
                                isinstance(r.get("id"), str) and r["type"] and r["id"]
                                for r in items):
        raise BadRequest('the body must be {"data": [{"type": "<doctype>", "id": "<id>"}]}')
    if len(items) > 1000:
        raise BadRequest("at most 1000 references at once")
    return [{"type": r["type"], "id": r["id"]} for r in items]


@router.post("/files/{file_id}/relationships/referenced_by", openapi_extra=request_body(
    "The documents that reference the file", {"data": [{"type": "io.cozy.bills", "id": "b1"}]}))
@router.delete("/files/{file_id}/relationships/referenced_by")
def referenced_by(file_id: FileId, request: Request, who: Who, body: JsonBody) -> JSONAPI:
    """Add or remove documents that reference a file (its referenced_by relationship)."""
    add = request.method == "POST"
    doc = files_of(request).references(who.instance, file_id, _refs(body), add,
                                     actor(request, who), checker(request, who))
    record(request, who, "PATCH", "files.referenced_by")
    refs = doc.get("referenced_by") or []
    return JSONAPI({"data": refs, "meta": {"rev": doc["_rev"], "count": len(refs)}})


def _ref_key(sort: str):
    if sort in ("", "id", "-id"):
        return lambda d: [d["_id"]]
    if sort in ("datetime", "-datetime"):
        return lambda d: [str((d.get("metadata") or {}).get("datetime")
                              or d.get("created_at") or ""), d["_id"]]
    raise BadRequest("Invalid sort parameter: use id, -id, datetime or -datetime")


@router.get("/data/{doctype}/{doc_id:path}/relationships/references",
            openapi_extra=parameters(("sort", "query", "datetime or -datetime (newest first); "
                                      "else by id", "-datetime"), *PAGE))
def references_of(doctype: str, doc_id: str, request: Request, who: Who) -> JSONAPI:
    """The files a document references (konnectors' folders, an album's photos)."""
    if not (who.permissions.allow("GET", doctype, {}, doc_id=doc_id) or
            who.permissions.allow_whole_type("GET", DOCTYPE)):
        raise Forbidden()
    q = request.query_params
    sort = q.get("sort", "")
    key = _ref_key(sort)
    docs = sorted(files_of(request).referenced_by(who.instance, doctype, doc_id), key=key,
                  reverse=sort.startswith("-"))
    page, params = ja.paginate(docs, key, ja.page_limit(q.get("page[limit]"), 100),
                               q.get("page[cursor]"), q.get("page[skip]"))
    out: dict = {"data": [{"type": DOCTYPE, "id": d["_id"]} for d in page],
                 "links": {"next": f"{request.url.path}?{urlencode(params)}"} if params else {},
                 "meta": {"count": len(docs)}}
    if q.get("include") == "files":
        out["included"] = [ja.obj(d) for d in page]
    record(request, who, "GET", "references", len(page))
    return JSONAPI(out)


@router.post("/data/{doctype}/{doc_id:path}/relationships/references", status_code=204,
             openapi_extra=request_body("The files the document references",
                                        {"data": [{"type": "io.cozy.files", "id": "f1"}]}))
@router.delete("/data/{doctype}/{doc_id:path}/relationships/references", status_code=204)
def reference_files(doctype: str, doc_id: str, request: Request, who: Who,
                    body: JsonBody) -> Response:
    """Add (POST) or remove (DELETE) files from what a document references."""
    if not (who.permissions.allow("PUT", doctype, {}, doc_id=doc_id) or
            who.permissions.allow_whole_type("PATCH", DOCTYPE)):
        raise Forbidden()
    files, add = files_of(request), request.method == "POST"
    targets = _refs(body)
    for ref in targets:
        if ref["type"] != DOCTYPE:
            raise BadRequest("only io.cozy.files can be referenced by a document")

    def named(_verb: str, doc: dict) -> None:
        # Stricter than the stack, which checks only the document: naming a file needs a
        # right on that file (reading or changing it). Else a right to write one's own
        # document would pull any file of the cloud into "files referenced by it", which
        # `?include=files` lists and a referenced_by rule on io.cozy.files then reads.
        if not (may(request, who, "GET", doc) or may(request, who, "PATCH", doc)):
            raise denied(request, who)

    for ref in targets:     # all of them before any is changed
        named("GET", files.get(who.instance, ref["id"]))
    for ref in targets:
        files.references(who.instance, ref["id"], [{"type": doctype, "id": doc_id}], add,
                         actor(request, who), named)
    record(request, who, "PATCH", "references", len(targets))
    return Response(status_code=204)



# ---- disk usage ----------------------------------------------------------------------------------

@router.get("/settings/disk-usage", tags=["settings"])
def disk_usage(request: Request, who: Who,
               include: Annotated[str, Query(max_length=32)] = "") -> JSONAPI:
    """Bytes used (files and trash), the quota and the number of files. Apps' own tokens may
    read it (cozy-bar shows it in every app), as the stack lets the tester's apps."""
    if who.kind != "app" and not who.permissions.allow("GET", "io.cozy.settings", {},
                                                       doc_id=DISK_USAGE_ID):
        raise Forbidden()
    files = files_of(request)
    use = files.usage(who.instance)
    attrs = {"used": str(use.files), "files": str(use.files), "versions": "0",
             "count": str(use.count)}
    if files.quota:
        attrs["quota"] = str(files.quota)
    if include == "trash":
        attrs["trash"] = str(use.trash)
    return JSONAPI({"data": {"type": "io.cozy.settings", "id": DISK_USAGE_ID,
                             "attributes": attrs, "meta": {},
                             "links": {"self": "/settings/disk-usage"}}})
