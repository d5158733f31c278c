"""What every ``/files`` route shares: who calls and what they may do (the stack's VFS
permission rule, :mod:`sandbox.files.permissions`), the journal, the writer recorded in
``cozyMetadata``, and the JSON:API replies."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Path, Request
from fastapi.responses import FileResponse, Response

from sandbox.contract import addresses
from sandbox.errors import Forbidden, NoSuchFile
from sandbox.files import names
from sandbox.files.metadata import Actor
from sandbox.files.names import DOCTYPE, ROOT_ID
from sandbox.files.permissions import allows
from sandbox.files.store import Check, Files
from sandbox.files.tree import is_dir
from sandbox.instances import Instance
from sandbox.service import Caller, Sandbox
from sandbox.web import files_jsonapi as ja
from sandbox.web.context import caller, json_body, sandbox
from sandbox.web.responses import JSONAPI

FileId = Annotated[str, Path(description="A file or folder id", examples=[ROOT_ID])]
Who = Annotated[Caller, Depends(caller)]


async def raw_body(request: Request) -> bytes:
    return await request.body()


Body = Annotated[bytes, Depends(raw_body)]
JsonBody = Annotated[object, Depends(json_body)]


def files_of(request: Request) -> Files:
    return sandbox(request).files


def record(request: Request, who: Caller, verb: str, route: str, count: int = 1) -> None:
    sandbox(request).journal.record(who.instance.id, who.client, who.kind, DOCTYPE, verb,
                                    route, count)


def may(request: Request, who: Caller, verb: str, doc: dict) -> bool:
    """Whether the caller's rights allow ``verb`` on the file or folder ``doc`` (the stack's
    VFS rule: rules by id cover what is below a folder)."""
    files, inst = files_of(request), who.instance

    def path_of_id(folder_id: str) -> str | None:
        found = files.find(inst, folder_id)
        return files.path_of(inst, found) if found is not None and is_dir(found) else None

    return allows(who.permissions, verb, doc, lambda d: files.path_of(inst, d),
                  lambda d: files.ancestors(inst, d), path_of_id)


def denied(request: Request, who: Caller) -> Forbidden:
    """A refusal, recorded in the tester's journal."""
    record(request, who, "DENIED", f"{request.method} {request.url.path}"[:64], 0)
    return Forbidden()


def checker(request: Request, who: Caller) -> Check:
    """The permission check the store calls before each change (and reads call first)."""

    def check(verb: str, doc: dict) -> None:
        if not may(request, who, verb, doc):
            raise denied(request, who)

    return check


def whole(request: Request, who: Caller, verb: str = "GET") -> None:
    if not who.permissions.allow_whole_type(verb, DOCTYPE):
        raise denied(request, who)


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


def if_match(request: Request) -> str | None:
    """``If-Match`` (an empty one is no condition: cozy-stack-client always sends it), or
    ``?rev=``."""
    return (request.headers.get("if-match") or "").strip() or \
        request.query_params.get("rev") or None


def data_reply(doc: dict | None, status: int = 200) -> JSONAPI:
    return JSONAPI({"data": ja.obj(doc) if doc else None}, status_code=status)


def dir_reply(request: Request, who: Caller, doc: dict, status: int = 200) -> JSONAPI:
    files = files_of(request)
    q = request.query_params
    children = ja.visible(files.children(who.instance, doc["_id"]))
    page, params = ja.paginate(children, ja.child_key, ja.page_limit(q.get("page[limit]")),
                               q.get("page[cursor]"), q.get("page[skip]"))
    record(request, who, "GET", "files.dir", len(page) + 1)
    return JSONAPI(ja.dir_data(doc, page, len(children), params, urlencode),
                   status_code=status)


def reply(request: Request, who: Caller, doc: dict, status: int = 200) -> JSONAPI:
    if is_dir(doc):
        return dir_reply(request, who, doc, status)
    return data_reply(doc, status)


def readable(request: Request, who: Caller, doc: dict) -> dict:
    checker(request, who)("GET", doc)
    return doc



# What a file's bytes may do once a browser shows them on the tester's own origin, where
# the dashboard and the data browser answer without a token and forms pass the same-origin
# check: nothing active. An HTML or SVG file an app uploaded runs no script, submits no form
# and gets an opaque origin (``sandbox``); images, media and inline styles still show. PDFs
# keep their origin: Chromium refuses to show a PDF in a sandboxed document, and a PDF's
# scripts never reach the page's.
PASSIVE = ("default-src 'none'; img-src 'self' data: blob:; media-src 'self' blob:; "
           "style-src 'unsafe-inline'; font-src 'self' data:; form-action 'none'")


def file_headers(doc: dict) -> dict[str, str]:
    """Headers for serving a stored file's bytes (API downloads, links, the dashboard)."""
    csp = PASSIVE if doc.get("mime") == "application/pdf" else f"{PASSIVE}; sandbox"
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"}


def send(files: Files, inst: Instance, doc: dict, request: Request) -> Response:
    """The bytes, as the stack serves them: the type, inline (``Dl=1``: attachment), the
    MD5 as the ETag, ranges; never active on the instance's origin (:data:`PASSIVE`)."""
    if is_dir(doc) or not doc.get("internal_vfs_id"):
        raise NoSuchFile("file does not exist: this is a folder, download its files")
    blob = files.blobs.path(inst, doc["internal_vfs_id"])
    if not blob.is_file():
        raise NoSuchFile("the bytes of this file are missing")
    disposition = "attachment" if request.query_params.get("Dl") == "1" else "inline"
    return FileResponse(blob, media_type=doc.get("mime") or names.DEFAULT_MIME,
                        filename=doc["name"], content_disposition_type=disposition,
                        headers={"Etag": f'"{doc.get("md5sum", "")}"', **file_headers(doc)})


# Parameters the files API reads by hand, for its API docs.
PAGE = (("page[limit]", "query", "At most this many entries (up to 1000)", "30"),
        ("page[cursor]", "query", "Where the next page starts (links.next)", "f30"),
        ("page[skip]", "query", "Entries to skip first", "0"))
REVISION = (("If-Match", "header", "The file's current revision (or ?rev=)", "1-abc"),
            ("rev", "query", "The file's current revision (or If-Match)", "1-abc"))
CONTENT = (("Content-MD5", "header", "The base64 MD5 of the content, checked on arrival",
            "1B2M2Y8AsgTpgAmY7PhCfg=="),
           ("Date", "header", "When the content was made (HTTP date), if no CreatedAt",
            "Tue, 05 Mar 2024 10:00:00 GMT"),
           ("CreatedAt", "query", "When the file was created (RFC 3339)",
            "2024-03-05T10:00:00Z"),
           ("UpdatedAt", "query", "When the file was last changed (RFC 3339)",
            "2024-03-05T10:00:00Z"),
           ("Tags", "query", "Comma-separated tags", "bills,edf"),
           ("Size", "query", "The content's size in bytes, checked on arrival", "1024"),
           ("Executable", "query", "true for an executable file", "false"),
           ("Encrypted", "query", "true for an encrypted file", "false"),
           ("MetadataID", "query", "Metadata sent before by POST /files/upload/metadata",
            "m1"),
           ("Metadata", "query", "The file's metadata as a JSON object", '{"category":"bill"}'),
           ("SourceAccount", "query", "The account of the konnector that made the file",
            "acc1"),
           ("SourceAccountIdentifier", "query", "That account's login", "alice@example.org"))
CREATE = (("Type", "query", "file or directory", "file"),
          ("Name", "query", "The new file's or folder's name", "2024-03.pdf"),
          ("Path", "query", "A folder path to create (with Type=directory)",
           "/Administrative/EDF"),
          ("Recursive", "query", "true to create the missing parent folders", "true"))

