"""``/files``: the stack's files API over an instance's files store, as cozy-stack-client's
FileCollection, cozy-client-js and cozy-konnector-libs call it; ``/settings/disk-usage``; and
the references between documents and files (``/data/:doctype/:id/relationships/references``).

Every route checks the caller's permissions on io.cozy.files the way the stack does (rules
by id cover what is below a folder; see :mod:`sandbox.files.permissions`), records reads and
writes in the access journal, and answers errors as JSON:API objects with a string status.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Annotated
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response

from sandbox.contract import addresses
from sandbox.errors import BadRequest, Forbidden, InvalidParameter, NoSuchFile
from sandbox.files import names
from sandbox.files.names import DOCTYPE, ROOT_ID, TRASH_ID
from sandbox.files.permissions import allows
from sandbox.files.store import Actor, Check, Content, Files
from sandbox.files.tree import is_dir
from sandbox.instances import Instance
from sandbox.service import Caller, Sandbox
from sandbox.web import files_jsonapi as ja
from sandbox.web.context import address, caller, json_body, sandbox
from sandbox.web.responses import JSONAPI

router = APIRouter(tags=["files"])
FileId = Annotated[str, Path(description="A file or folder id", examples=[ROOT_ID])]
Who = Annotated[Caller, Depends(caller)]
UNKNOWN_COUNT = 2**31 - 2           # the stack's "more than this page" count
DISK_USAGE_ID = "io.cozy.settings.disk-usage"


async def raw_body(request: Request) -> bytes:
    return await request.body()


Body = Annotated[bytes, Depends(raw_body)]
JsonBody = Annotated[object, Depends(json_body)]


# ---- who, what they may do, what they did ------------------------------------------------------

def _files(request: Request) -> Files:
    return sandbox(request).files


def _record(request: Request, who: Caller, verb: str, route: str, count: int = 1) -> None:
    sandbox(request).journal.record(who.instance.id, who.client, who.kind, DOCTYPE, verb,
                                    route, count)


def checker(request: Request, who: Caller) -> Check:
    """The permission check the store calls before each change (and reads call first)."""
    files, inst = _files(request), who.instance

    def path_of_id(folder_id: str) -> str | None:
        doc = files.find(inst, folder_id)
        return files.path_of(inst, doc) if doc is not None and is_dir(doc) else None

    def check(verb: str, doc: dict) -> None:
        if not allows(who.permissions, verb, doc, lambda d: files.path_of(inst, d),
                      lambda d: files.ancestors(inst, d), path_of_id):
            _record(request, who, "DENIED", f"{request.method} {request.url.path}"[:64], 0)
            raise Forbidden()

    return check


def _whole(request: Request, who: Caller, verb: str = "GET") -> None:
    if not who.permissions.allow_whole_type(verb, DOCTYPE):
        _record(request, who, "DENIED", f"{request.method} {request.url.path}"[:64], 0)
        raise Forbidden()


def actor(request: Request, who: Caller) -> Actor:
    sb: Sandbox = sandbox(request)
    url = f"http://{addresses.instance_host(who.instance.name, sb.settings.port)}/"
    if who.kind == "app":
        return Actor(url, who.client)
    if who.kind == "oauth":
        client = sb.oauth.get(who.instance, who.claims.sub)
        meta = client.metadata if client else {}
        software = str(meta.get("software_id", ""))
        slug = software.removeprefix("registry://") if software.startswith("registry://") \
            else ""
        return Actor(url, slug, str(meta.get("software_version", "")),
                     {"id": who.claims.sub, "kind": str(meta.get("client_kind", "")),
                      "name": str(meta.get("client_name", ""))})
    return Actor(url)


def _if_match(request: Request) -> str | None:
    """``If-Match`` (an empty one is no condition: cozy-stack-client always sends it), or
    ``?rev=``."""
    return (request.headers.get("if-match") or "").strip() or \
        request.query_params.get("rev") or None


def _data(doc: dict | None, status: int = 200) -> JSONAPI:
    return JSONAPI({"data": ja.obj(doc) if doc else None}, status_code=status)


def _dir_reply(request: Request, who: Caller, doc: dict, status: int = 200) -> JSONAPI:
    files = _files(request)
    q = request.query_params
    children = ja.visible(files.children(who.instance, doc["_id"]))
    page, params = ja.paginate(children, ja.child_key, ja.page_limit(q.get("page[limit]")),
                               q.get("page[cursor]"), q.get("page[skip]"))
    _record(request, who, "GET", "files.dir", len(page) + 1)
    return JSONAPI(ja.dir_data(doc, page, len(children), params, urlencode),
                   status_code=status)


def _reply(request: Request, who: Caller, doc: dict, status: int = 200) -> JSONAPI:
    if is_dir(doc):
        return _dir_reply(request, who, doc, status)
    return _data(doc, status)


def _readable(request: Request, who: Caller, doc: dict) -> dict:
    checker(request, who)("GET", doc)
    return doc


# ---- reading -----------------------------------------------------------------------------------

@router.get("/files/download")
@router.head("/files/download", include_in_schema=False)
def download_by_path(request: Request, who: Who,
                     path: Annotated[str, Query(alias="Path", max_length=4096)] = "") -> Response:
    return _download(request, who, _files(request).by_path(who.instance, path))


@router.get("/files/download/{file_id}")
@router.head("/files/download/{file_id}", include_in_schema=False)
def download(file_id: FileId, request: Request, who: Who) -> Response:
    return _download(request, who, _files(request).get(who.instance, file_id))


def _download(request: Request, who: Caller, doc: dict) -> Response:
    if is_dir(doc):
        raise NoSuchFile("file does not exist: this is a folder, download its files")
    _readable(request, who, doc)
    _record(request, who, "GET", "files.download")
    return _send(_files(request), who.instance, doc, request)


def _send(files: Files, inst: Instance, doc: dict, request: Request) -> Response:
    """The bytes, as the stack serves them: the type, inline (``Dl=1``: attachment), the
    MD5 as the ETag, ranges."""
    if is_dir(doc) or not doc.get("internal_vfs_id"):
        raise NoSuchFile("file does not exist: this is a folder, download its files")
    blob = files.blobs.path(inst, doc["internal_vfs_id"])
    if not blob.is_file():
        raise NoSuchFile("the bytes of this file are missing")
    disposition = "attachment" if request.query_params.get("Dl") == "1" else "inline"
    return FileResponse(blob, media_type=doc.get("mime") or names.DEFAULT_MIME,
                        filename=doc["name"], content_disposition_type=disposition,
                        headers={"Etag": f'"{doc.get("md5sum", "")}"'})


@router.post("/files/downloads")
def download_link(request: Request, who: Who,
                  id_: Annotated[str, Query(alias="Id", max_length=512)] = "",
                  path: Annotated[str, Query(alias="Path", max_length=4096)] = "",
                  filename: Annotated[str, Query(alias="Filename", max_length=1024)] = ""
                  ) -> JSONAPI:
    """A download link that needs no token (``links.related``), for a browser to open."""
    files = _files(request)
    doc = files.by_path(who.instance, path) if path else files.get(who.instance, id_)
    if is_dir(doc):
        raise NoSuchFile("file does not exist: this is a folder")
    _readable(request, who, doc)
    secret = files.keep_download(who.instance, doc["_id"])
    name = quote(filename or doc["name"], safe="%")  # the client sends it encoded already
    return JSONAPI({"data": ja.obj(doc), "links": {"related": f"/files/downloads/{secret}/{name}"}})


@router.get("/files/downloads/{secret}/{name}")
@router.head("/files/downloads/{secret}/{name}", include_in_schema=False)
def download_by_link(secret: str, name: str, request: Request) -> Response:
    """What a download link serves: the secret is the permission (it was made by a caller
    allowed to read the file), on the instance that made it."""
    sb: Sandbox = sandbox(request)
    instance_id, file_id = sb.files.download_of(secret)
    inst = sb.instances.by_id(instance_id)
    host = address(request).instance
    if host and host != inst.name:
        raise NoSuchFile("Wrong or expired download link: ask for a new one")
    doc = sb.files.get(inst, file_id)
    return _send(sb.files, inst, doc, request)


@router.post("/files/_find")
def find(request: Request, who: Who, body: JsonBody) -> JSONAPI:
    _whole(request, who)
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
    files = _files(request)
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
    _record(request, who, "GET", "files._find", len(docs))
    return JSONAPI({"data": out, "links": links, "meta": meta})


@router.post("/files/_all_docs")
def all_docs(request: Request, who: Who, body: JsonBody) -> JSONAPI:
    _whole(request, who)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise BadRequest('the body must be {"keys": ["<file id>", ...]}')
    files, inst = _files(request), who.instance
    found = [d for d in (files.find(inst, k) for k in keys[:1000])
             if d is not None and d["_id"] != TRASH_ID]
    _record(request, who, "GET", "files._all_docs", len(found))
    return JSONAPI({"data": [ja.obj(d, None if is_dir(d) else files.path_of(inst, d))
                             for d in found], "links": {}, "meta": {"count": len(found)}})


@router.get("/files/metadata")
def metadata_by_path(request: Request, who: Who,
                     path: Annotated[str, Query(alias="Path", max_length=4096)] = "") -> JSONAPI:
    doc = _readable(request, who, _files(request).by_path(who.instance, path))
    if not is_dir(doc):
        _record(request, who, "GET", "files.get")
    return _reply(request, who, doc)


@router.get("/files/trash")
def trash_listing(request: Request, who: Who) -> JSONAPI:
    files = _files(request)
    files.ensure(who.instance)
    _readable(request, who, files.get(who.instance, TRASH_ID))
    q = request.query_params
    children = files.children(who.instance, TRASH_ID)
    page, params = ja.paginate(children, ja.child_key, ja.page_limit(q.get("page[limit]")),
                               q.get("page[cursor]"), q.get("page[skip]"))
    _record(request, who, "GET", "files.trash", len(page))
    links = {"next": f"/files/trash?{urlencode(params)}"} if params else {}
    return JSONAPI({"data": [ja.obj(d) for d in page], "links": links,
                    "meta": {"count": len(children)}})


@router.get("/files/{file_id}/relationships/contents")
def contents(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    doc = _readable(request, who, _files(request).get(who.instance, file_id))
    if not is_dir(doc):
        raise BadRequest(f"cant read children of file {file_id}")
    reply = orjson.loads(_dir_reply(request, who, doc).body)
    return JSONAPI({"data": reply["included"], "links": reply["links"],
                    "meta": reply["data"]["relationships"]["contents"]["meta"]})


@router.head("/files/{file_id}")
def head(file_id: FileId, request: Request, who: Who) -> Response:
    _readable(request, who, _files(request).get(who.instance, file_id))
    return Response(status_code=200)


@router.get("/files/{file_id}")
def get_file(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    files = _files(request)
    if file_id in names.FIXED:
        files.ensure(who.instance)
    doc = _readable(request, who, files.get(who.instance, file_id))
    if not is_dir(doc):
        _record(request, who, "GET", "files.get")
    return _reply(request, who, doc)


# ---- writing -----------------------------------------------------------------------------------

def _flag(value: str | None) -> bool:
    return value == "true"


def _content(request: Request, inst: Instance, data: bytes) -> Content:
    q, h = request.query_params, request.headers
    created = names.parse_date(q.get("CreatedAt"), "CreatedAt") or _header_date(h.get("date"))
    meta = None
    if q.get("MetadataID"):
        meta = _files(request).metadata(inst, q["MetadataID"])
    elif q.get("Metadata"):
        try:
            meta = orjson.loads(q["Metadata"])
        except orjson.JSONDecodeError:
            raise InvalidParameter("Metadata must be a JSON object", "Metadata") from None
        if not isinstance(meta, dict):
            raise InvalidParameter("Metadata must be a JSON object", "Metadata")
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


@router.post("/files/", status_code=201)
def create_at_root(request: Request, who: Who, data: Body) -> JSONAPI:
    """As ``POST /files/io.cozy.files.root-dir`` (and the only form for ``Path=``)."""
    return _create(request, who, data, ROOT_ID)


@router.post("/files/{dir_id}", status_code=201)
def create(dir_id: FileId, request: Request, who: Who, data: Body) -> JSONAPI:
    """``Type=directory`` (with ``Name``, or ``Path`` and ``Recursive=true``) or
    ``Type=file`` with the bytes as the body, in the folder ``dir_id``."""
    return _create(request, who, data, dir_id)


def _create(request: Request, who: Caller, data: bytes, dir_id: str) -> JSONAPI:
    files, inst, q = _files(request), who.instance, request.query_params
    check, act = checker(request, who), actor(request, who)
    kind = q.get("Type")
    if kind == "directory":
        tags = [t.strip() for t in q.get("Tags", "").split(",") if t.strip()]
        created = names.parse_date(q.get("CreatedAt"), "CreatedAt") or \
            _header_date(request.headers.get("date"))
        meta = files.metadata(inst, q["MetadataID"]) if q.get("MetadataID") else None
        if q.get("Path"):
            path = q["Path"]
            if not path.startswith("/"):
                raise InvalidParameter("Path should be absolute", "Path")
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
        _record(request, who, "POST", "files.mkdir")
        return _data(doc, 201)
    if kind == "file":
        doc = files.create_file(inst, dir_id, q.get("Name", ""), _content(request, inst, data),
                                act, check)
        _record(request, who, "POST", "files.upload")
        return _data(doc, 201)
    raise InvalidParameter("Type must be file or directory", "type")


@router.put("/files/{file_id}")
def put_content(file_id: FileId, request: Request, who: Who, data: Body) -> JSONAPI:
    doc = _files(request).replace(who.instance, file_id, _content(request, who.instance, data),
                                  actor(request, who), _if_match(request),
                                  checker(request, who))
    _record(request, who, "PUT", "files.content")
    return _data(doc)


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
    doc = _files(request).patch(who.instance, doc_id, attrs, actor(request, who),
                                _if_match(request), checker(request, who))
    _record(request, who, "PATCH", "files.patch")
    if doc is None:
        return Response(status_code=204)
    return _reply(request, who, doc)


@router.patch("/files/metadata")
def patch_by_path(request: Request, who: Who, body: JsonBody,
                  path: Annotated[str, Query(alias="Path", max_length=4096)] = "") -> Response:
    return _patch(request, who, _files(request).by_path(who.instance, path)["_id"], body)


@router.patch("/files/{file_id}")
def patch(file_id: FileId, request: Request, who: Who, body: JsonBody) -> Response:
    return _patch(request, who, file_id, body)


@router.post("/files/upload/metadata", status_code=201)
def upload_metadata(request: Request, who: Who, body: JsonBody) -> JSONAPI:
    checker(request, who)("POST", {"type": "file"})
    data = body.get("data") if isinstance(body, dict) else None
    attrs = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attrs, dict):
        raise BadRequest('the body must be {"data": {"type": "io.cozy.files.metadata", '
                         '"attributes": {...}}}')
    secret = _files(request).keep_metadata(who.instance, attrs)
    return JSONAPI({"data": {"type": "io.cozy.files.metadata", "id": secret,
                             "attributes": attrs, "meta": {}}}, status_code=201)


@router.delete("/files/trash")
def empty_trash(request: Request, who: Who) -> Response:
    _files(request).empty_trash(who.instance, checker(request, who))
    _record(request, who, "DELETE", "files.empty_trash")
    return Response(status_code=204)


@router.post("/files/trash/{file_id}")
def restore(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    doc = _files(request).restore(who.instance, file_id, actor(request, who),
                                  checker(request, who))
    _record(request, who, "PATCH", "files.restore")
    return _reply(request, who, doc)


@router.delete("/files/trash/{file_id}")
def destroy(file_id: FileId, request: Request, who: Who) -> Response:
    _files(request).destroy(who.instance, file_id, _if_match(request), checker(request, who))
    _record(request, who, "DELETE", "files.destroy")
    return Response(status_code=204)


@router.delete("/files/{file_id}")
def trash(file_id: FileId, request: Request, who: Who) -> JSONAPI:
    doc = _files(request).trash(who.instance, file_id, actor(request, who),
                                _if_match(request), checker(request, who))
    _record(request, who, "PATCH", "files.trash")
    return _reply(request, who, doc)


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


@router.post("/files/{file_id}/relationships/referenced_by")
@router.delete("/files/{file_id}/relationships/referenced_by")
def referenced_by(file_id: FileId, request: Request, who: Who, body: JsonBody) -> JSONAPI:
    add = request.method == "POST"
    doc = _files(request).references(who.instance, file_id, _refs(body), add,
                                     actor(request, who), checker(request, who))
    _record(request, who, "PATCH", "files.referenced_by")
    refs = doc.get("referenced_by") or []
    return JSONAPI({"data": refs, "meta": {"rev": doc["_rev"], "count": len(refs)}})


def _ref_key(sort: str):
    if sort in ("", "id", "-id"):
        return lambda d: [d["_id"]]
    if sort in ("datetime", "-datetime"):
        return lambda d: [str((d.get("metadata") or {}).get("datetime")
                              or d.get("created_at") or ""), d["_id"]]
    raise BadRequest("Invalid sort parameter: use id, -id, datetime or -datetime")


@router.get("/data/{doctype}/{doc_id:path}/relationships/references")
def references_of(doctype: str, doc_id: str, request: Request, who: Who) -> JSONAPI:
    """The files a document references (konnectors' folders, an album's photos)."""
    if not (who.permissions.allow("GET", doctype, {}, doc_id=doc_id) or
            who.permissions.allow_whole_type("GET", DOCTYPE)):
        raise Forbidden()
    q = request.query_params
    sort = q.get("sort", "")
    key = _ref_key(sort)
    docs = sorted(_files(request).referenced_by(who.instance, doctype, doc_id), key=key,
                  reverse=sort.startswith("-"))
    page, params = ja.paginate(docs, key, ja.page_limit(q.get("page[limit]"), 100),
                               q.get("page[cursor]"), q.get("page[skip]"))
    out: dict = {"data": [{"type": DOCTYPE, "id": d["_id"]} for d in page],
                 "links": {"next": f"{request.url.path}?{urlencode(params)}"} if params else {},
                 "meta": {"count": len(docs)}}
    if q.get("include") == "files":
        out["included"] = [ja.obj(d) for d in page]
    _record(request, who, "GET", "references", len(page))
    return JSONAPI(out)


@router.post("/data/{doctype}/{doc_id:path}/relationships/references", status_code=204)
@router.delete("/data/{doctype}/{doc_id:path}/relationships/references", status_code=204)
def reference_files(doctype: str, doc_id: str, request: Request, who: Who,
                    body: JsonBody) -> Response:
    """Add (POST) or remove (DELETE) files from what a document references."""
    if not (who.permissions.allow("PUT", doctype, {}, doc_id=doc_id) or
            who.permissions.allow_whole_type("PATCH", DOCTYPE)):
        raise Forbidden()
    files, add = _files(request), request.method == "POST"
    targets = _refs(body)
    for ref in targets:
        if ref["type"] != DOCTYPE:
            raise BadRequest("only io.cozy.files can be referenced by a document")
    for ref in targets:
        files.references(who.instance, ref["id"], [{"type": doctype, "id": doc_id}], add,
                         actor(request, who))
    _record(request, who, "PATCH", "references", len(targets))
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
    files = _files(request)
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
