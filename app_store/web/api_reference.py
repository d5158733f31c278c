"""What the store's API docs say beyond its routes' docstrings: each parameter's meaning and
an example (when the route's signature does not say), the token a route needs, and the 4xx
statuses each route can answer, all in the store's one envelope (owned by ``errors``)."""

from __future__ import annotations

from app_store.web.errors import SCHEMAS, error_media
from sandbox.webkit.api_docs import ErrorDocs

PARAMETERS: dict[str, tuple[str, object]] = {
    "filename": ("The archive's name: its extension tells tar.gz from zip", "my-bills.tar.gz"),
    "state": ("Only the submissions in this state", "awaiting_review"),
    "sub_id": ("A submission's id", 1),
    "q": ("Words to find in the apps' names and descriptions", "bills"),
    "category": ("Only the apps of this category", "finance"),
    "limit": ("At most this many apps", 20),
    "cursor": ("Where the page starts (next_cursor of the previous page)", 0),
    "latestChannelVersion": ("The channel whose latest version each app shows", "stable"),
    "versionsChannel": ("The channel whose versions are listed", "stable"),
    "filter[editor]": ("Only the apps of this editor (team)", "Blue"),
    "filter[type]": ("Only apps of this type (webapp or konnector)", "webapp"),
    "slug": ("An app's slug", "my-bills"),
    "path": ("A screenshot's path inside the app's archive", "screenshots/home.png"),
    "channel": ("A channel: stable, beta or dev", "stable"),
    "version": ("A version number (semver)", "1.0.0"),
    "key": ("A challenge's key", "leaks"),
    "kind": ("Only the challenges of this kind", "event-detection"),
    "action": ("The organiser's control: open, close or reveal", "open"),
    "run_id": ("A scoring run's id", 1),
    "board": ("leaderboard (public) or private (once revealed)", "leaderboard"),
}

# Routes anyone may call; the rest need a store token (Bearer, or the sign-in cookie).
OPEN_PREFIXES = ("/registry", "/api/catalogue", "/status")
WRITES = {"put", "post", "patch", "delete"}
SECURITY = {
    "bearer": {"type": "http", "scheme": "bearer", "description":
               "An account's store token (the sign-in cookie works too)"},
    "editor": {"type": "apiKey", "in": "header", "name": "Authorization", "description":
               "`Token <the team's store token>`, as cozy-app-publish sends it"}}


def secured(method: str, path: str) -> list[dict]:
    if path.startswith("/registry"):
        return [{"editor": []}] if method == "post" else []
    open_ = path.startswith(OPEN_PREFIXES) or (method, path) == ("get", "/api/criteria") or \
        (method == "get" and path.startswith("/api/challenges") and "/runs" not in path)
    return [] if open_ else [{"bearer": []}]


def statuses(method: str, path: str, op: dict) -> dict[int, str]:
    """The 4xx statuses the route can answer, from what it takes and does."""
    found: dict[int, str] = {}
    if op.get("parameters") or method in WRITES:
        found[400] = "A parameter or the body is not valid (each problem with its path)"
    if secured(method, path):
        found[401] = "No token, or not one of the store's accounts"
        if not path.startswith("/registry"):
            found[403] = "This account's role may not do this"
    if "{" in path:
        found[404] = "No such submission, app, version or file"
    if path == "/api/challenges/{key}/leaderboard":
        found[403] = "The private leaderboard, before the organisers reveal it"
    if method in WRITES and path != "/api/scores":
        found[409] = "It conflicts with what exists (a name, a version, a state)"
    if path in ("/api/submissions", "/registry/{slug}"):
        found[413] = "The archive is over the store's size limit"
        found[415] = "The body is not an archive (or JSON) of a kind the store reads"
    return found


DOCS = ErrorDocs(schemas=SCHEMAS, media=error_media, statuses=statuses,
                 parameters=PARAMETERS, security=SECURITY, secured=secured)
