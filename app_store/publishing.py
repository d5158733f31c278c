"""Publishing as Cozy's registry takes it: ``cozy-app-publish`` posts a version's URL, the
store downloads the build from there and submits it through the same pipeline as
``selfdata submit`` (checks, claims, build, smoke run, review).

What cozy-apps-registry does and where the store differs (docs/contestant-tutorial.md):
- the editor token is the team's store token (``Authorization: Token <token>``); the
  manifest's ``editor`` is not compared with it: the team owns the slug (its first accepted
  submission claims it), so another team's slug is refused with the registry's 401;
- no master token creates apps first: the first publish of a slug is its creation;
- the build is downloaded from **this machine only** (``http(s)://127.0.0.1``, ``[::1]`` or
  ``localhost``, any port), with no redirect followed, at most the store's upload limit and
  ``DOWNLOAD_SECONDS`` in all (headers included): a team serves its build locally
  (``python3 -m http.server``) and no submission can make the store fetch from, or probe,
  another host. ``file://`` URLs, which the registry reads from its own disk, are refused for
  the same reason;
- the version must be the manifest's (the store lists what the manifest says) and go up, as
  ``selfdata submit`` requires;
- a version is published once an organiser approves it (the registry's pending queue).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from app_store.accounts import Account
from app_store.errors import Conflict, Invalid, Unauthorized, Unprocessable
from app_store.submissions import Submissions, next_version_problem
from sandbox.contract.bundle import read_archive
from sandbox.contract.manifest import read_manifest

LOCAL = {"127.0.0.1", "::1", "localhost"}
SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
DOWNLOAD_SECONDS = 60.0
MAX_BODY = 100 * 1024          # the registry's BodyLimit("100K")


@dataclass(frozen=True)
class Request:
    version: str
    url: str
    sha256: str


def parse_request(body: dict) -> Request:
    """The fields the registry reads from a publish request (``VersionOptions``); every
    problem at once (400, as the registry's ``validateVersionRequest``)."""
    problems = []
    version = body.get("version")
    if isinstance(version, str):
        version = version.removeprefix("v")
    if not isinstance(version, str) or not version:
        problems.append({"path": "version", "message": "the version to publish, e.g. 1.2.0 "
                         "(cozy-app-publish --manual-version 1.2.0)"})
    url = body.get("url")
    if not isinstance(url, str) or not url:
        problems.append({"path": "url", "message": "the URL of the build archive (.tar.gz), "
                         "e.g. http://127.0.0.1:8000/app.tar.gz"})
    else:
        why = url_problem(url)
        if why:
            problems.append({"path": "url", "message": why})
    sha = body.get("sha256")
    if not isinstance(sha, str) or not SHA256.match(sha.lower()):
        problems.append({"path": "sha256", "message": "the sha256 of the archive, 64 hex "
                         "digits (cozy-app-publish computes it)"})
    if problems:
        raise Invalid("Invalid version: " + ", ".join(p["path"] for p in problems), problems)
    return Request(str(version), str(url), str(sha).lower())


def url_problem(url: str) -> str | None:
    """Why the store will not download from ``url`` (None: it will)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{url[:200]!r} is not a URL"
    if parts.scheme not in ("http", "https"):
        return (f"the store downloads builds over http(s) from this machine only, not "
                f"{parts.scheme or 'a relative'} URLs: serve the build locally, e.g. "
                "python3 -m http.server 8000, and give http://127.0.0.1:8000/app.tar.gz")
    if (parts.hostname or "") not in LOCAL or parts.username or parts.password:
        return (f"the store downloads builds from this machine only (127.0.0.1 or localhost), "
                f"not {parts.hostname or 'nowhere'}: serve the build locally, e.g. "
                "python3 -m http.server 8000, and give http://127.0.0.1:8000/app.tar.gz, or "
                "upload it with selfdata submit")
    if port == 0:
        return "the URL's port must be 1-65535"
    return None


def download(url: str, limit: int, seconds: float = DOWNLOAD_SECONDS) -> bytes:
    """The archive at ``url`` (checked by :func:`url_problem`), never more than ``limit``
    bytes nor ``seconds`` long in all, headers included (a server trickling its headers a
    byte at a time, each within the read timeout, once held a worker for hours); 422 (the
    registry's answer) when it cannot be had. Called from a worker thread (no running loop)."""
    try:
        return asyncio.run(asyncio.wait_for(_fetch(url, limit), seconds))
    except TimeoutError:
        raise Unprocessable(f"Could not reach version on specified url {url}: it took more "
                            f"than {seconds:.0f} s") from None


async def _fetch(url: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                     timeout=10) as client, \
                client.stream("GET", url) as resp:
            if resp.status_code != 200:
                raise Unprocessable(f"Could not reach version on specified url {url}: server "
                                    f"responded with code {resp.status_code}")
            async for chunk in resp.aiter_raw(65536):
                size += len(chunk)
                if size > limit:
                    raise Unprocessable(f"Application is larger than max allowed {limit:,} bytes: "
                                   "leave build output and data files out of the archive")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise Unprocessable(f"Could not reach version on specified url {url}: {exc}") from exc
    return b"".join(chunks)


def publish(subs: Submissions, team: Account, slug: str, req: Request
            ) -> tuple[int, bytes, dict]:
    """Check the request against the slug's owner and versions, download, check the archive
    is that app at that version, submit it. The submission's id, the archive and its
    manifest. The pipeline's claim stays the authority (two publishes at once)."""
    owner, earlier = subs.slug_state(slug)
    if owner is not None and owner != team.id:
        raise Unauthorized(f"the app {slug!r} belongs to another team: this token may not "
                           "publish it; choose another slug in manifest.webapp")
    if req.version in earlier:
        raise Conflict(f"Version already exists: {slug} {req.version} was already "
                            "submitted; raise the version in manifest.webapp")
    why = next_version_problem(earlier, req.version)
    if why:
        raise Conflict(why)
    data = download(req.url, subs.limits.upload_bytes)
    got = hashlib.sha256(data).hexdigest()
    if got != req.sha256:
        raise Unprocessable(f"Checksum does not match the calculated one (expecting "
                            f"{req.sha256!r}, got {got!r})")
    manifest = _manifest(data, req.url)
    if manifest.get("slug") != slug or manifest.get("version") != req.version:
        raise Unprocessable(f"Content of the manifest does not match: manifest.webapp says "
                            f"{manifest.get('slug')!r} {manifest.get('version')!r}, the request "
                            f"{slug!r} {req.version!r}; publish with --manual-version "
                            f"{manifest.get('version')}")
    name = urlsplit(req.url).path.rsplit("/", 1)[-1] or f"{slug}.tar.gz"
    return subs.submit(team, data, name), data, manifest


def _manifest(data: bytes, url: str) -> dict:
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "app.tar.gz"
    archive = read_archive(data, name if name.endswith((".zip", ".tgz", ".tar.gz")) else
                           "app.tar.gz")
    raw, _ = read_manifest(archive.files)
    if not isinstance(raw, dict):
        raise Unprocessable("Application tarball does not contain a manifest.webapp (a JSON "
                            "object at the root of the archive)")
    return raw

