"""What the sandbox's API docs say beyond its routes' docstrings: each parameter's meaning and
an example (when the route's signature does not say), the token a route needs, and the 4xx
statuses each route can answer, with the stack's error shapes (owned by ``errors``)."""

from __future__ import annotations

from sandbox.web import errors
from sandbox.webkit.api_docs import ErrorDocs

PARAMETERS: dict[str, tuple[str, object]] = {
    "doctype": ("A doctype: dotted lowercase names", "io.cozy.bills"),
    "doc_id": ("A document id", "b1"),
    "Id": ("The id of a file to download (or Path)", "bill-2017-03"),
    "Path": ("A file's or folder's path from the root of the Drive",
             "/Administrative/EDF/2017-03.pdf"),
    "Filename": ("The name to download the file under", "2017-03.pdf"),
    "secret": ("The secret of a download link, from POST /files/downloads", "0f3c2a9e"),
    "name": ("The file's name, as in the link", "2017-03.pdf"),
    "include": ("What to add to the answer: `trash` for disk usage, `source` for flags",
                "source"),
    "client_id": ("An OAuth client's id, from its registration", "c0ffee"),
    "slug": ("An app's or konnector's slug", "my-bills"),
    "codes": ("Comma-separated names for share codes to make, one per recipient", "bob"),
    "ttl": ("How long the permission lasts, as a Go duration", "1h"),
    "page[limit]": ("At most this many permissions per page", 30),
    "page[cursor]": ("Where the next page starts (links.next)", "30"),
    "perm_id": ("A permission set's id", "p1"),
    "intent_id": ("An intent's id, from POST /intents", "i1"),
    "worker": ("A worker's name (service, konnector, sendmail…)", "service"),
    "Worker": ("Only the triggers that start this worker", "service"),
    "Type": ("Only the triggers of this type (@cron, @event, @at, @in, @every…)", "@cron"),
    "trigger_id": ("A trigger's id, from POST /jobs/triggers", "t1"),
    "job_id": ("A job's id", "j1"),
    "instance": ("An instance's name; none for the sandbox's shared clock", "alice"),
    "limit": ("At most this many rows", 20),
    "keys": (None, '["b1","b2"]'),
    "start_key": (None, "my-bills"),
    "startkey": ("The id (JSON string) to start from", '"b1"'),
    "endkey": ("The id (JSON string) to stop at", '"b9"'),
    "Fields": ("Comma-separated fields to keep in each document", "vendor,amount"),
    "DesignDocs": ("Whether design documents are listed too", True),
    "bookmark": ("Where the next page starts: the bookmark of the previous answer", "b20"),
    "since": ("The sequence to start after (the last_seq of the previous answer)", "0"),
}

# Routes that need no token (the rest answer 401 without one, 403 beyond their permissions).
OPEN = {("get", "/status"), ("get", "/status/"), ("get", "/data/"),
        ("get", "/files/downloads/{secret}/{name}"), ("post", "/auth/register"),
        ("post", "/auth/access_token"), ("get", "/auth/authorize"),
        ("post", "/auth/authorize")}
# ...and those the registration token of an OAuth client opens.
REGISTRATION = "/auth/register/{client_id}"
WRITES = {"put", "post", "patch", "delete"}
UPLOADS = {("post", "/files/"), ("post", "/files/{dir_id}"), ("put", "/files/{file_id}")}

SECURITY = {"bearer": {"type": "http", "scheme": "bearer", "description":
                       "A token of one instance: an app's, an OAuth client's or from "
                       "`selfdata token` (Basic auth with the token as password, or a "
                       "`bearer_token` query parameter, work too)"}}


def secured(method: str, path: str) -> list[dict]:
    return [] if (method, path) in OPEN else [{"bearer": []}]   # /admin/: the organiser's


def statuses(method: str, path: str, op: dict) -> dict[int, str]:
    """The 4xx statuses the route can answer, from what it takes and does."""
    found: dict[int, str] = {}
    takes = op.get("parameters") or "requestBody" in op or method in WRITES
    if takes or path.startswith("/auth"):
        found[400] = "A parameter or the body is malformed or missing"
    if path.startswith("/admin/"):
        found[403] = "Not the organiser's token, or none is set for this sandbox"
    elif (method, path) not in OPEN:
        found[401] = ("No token, or not one of this instance" if path != REGISTRATION
                      else "No registration token, or not this client's")
        found[403] = "The token's permissions do not allow this"
    if "{" in path or path.startswith(("/data/{", "/files/", "/auth/", "/admin/")):
        found[404] = "No such instance, document, file or doctype"
    if method in WRITES and path.startswith(("/data/{doctype}/{doc_id}", "/files/")):
        found[409] = "The revision is not the current one, or the name is taken"
    if (method, path) == ("put", "/data/{doctype}/{doc_id}") or path.endswith("/_bulk_docs"):
        found[409] = "The revision is not the current one"
    if path.startswith("/files/") and method in {"put", "patch", "delete", "post"}:
        found[412] = "The If-Match revision or the Content-MD5 does not match"
    if (method, path) in UPLOADS:
        found[413] = "The file is larger than allowed, or the Drive's quota is reached"
    if path.startswith(("/files", "/permissions", "/settings", "/jobs", "/intents",
                        "/notifications")) and takes:
        found[422] = "An attribute or parameter has a value the stack refuses"
    return found


DOCS = ErrorDocs(schemas=errors.SCHEMAS, media=errors.error_media, statuses=statuses,
                 parameters=PARAMETERS, security=SECURITY, secured=secured)
