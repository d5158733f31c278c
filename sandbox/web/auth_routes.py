"""``/auth``: OAuth 2 registration, authorization (a consent page) and tokens."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sandbox.contract.consent import rule_in_words
from sandbox.contract.permissions import parse_scope
from sandbox.errors import BadRequest, NotFound
from sandbox.instances import Instance
from sandbox.oauth import OAuthError, UnknownInstance, describe
from sandbox.web.context import address, json_body, sandbox
from sandbox.web.render import language, render
from sandbox.web.responses import JSON
from sandbox.webkit.api_docs import request_body

router = APIRouter(prefix="/auth", tags=["auth"])


def _instance(request: Request) -> Instance:
    """The instance from the Host (``alice.localhost``) or, for clients that cannot set a
    Host, the ``instance`` query parameter."""
    name = address(request).instance or request.query_params.get("instance")
    if not name:
        raise OAuthError("unknown instance: call /auth on <instance>.localhost or add "
                         "?instance=<name>")
    try:
        return sandbox(request).instances.get(name)
    except NotFound:
        raise UnknownInstance(f"no instance named {name!r}") from None


def _fields(form) -> dict[str, str]:
    """A form's text fields; a file where text is expected is refused."""
    out = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise OAuthError(f"{key} must be text, not a file")
        out.setdefault(key, value)
    return out


@router.post("/register", status_code=201, openapi_extra=request_body(
    "The OAuth client to register",
    {"redirect_uris": ["http://localhost:3000/callback"], "client_name": "My bills",
        "software_id": "github.com/me/my-bills"}))
async def register(request: Request) -> JSON:
    """Register an OAuth client (RFC 7591), as cozy-client does for a remote app."""
    inst = await run_in_threadpool(_instance, request)  # may load it (ondemand)
    try:
        body = await json_body(request)
    except BadRequest as exc:
        raise OAuthError(exc.reason) from None
    return JSON(await run_in_threadpool(sandbox(request).oauth.register, inst, body),
                status_code=201)


@router.get("/register/{client_id}")
def read_client(client_id: str, request: Request) -> JSON:
    """The client, for the bearer of its registration token (cozy-client-js asks before
    each OAuth session, and takes a 401 or 404 as "revoked")."""
    inst = _instance(request)
    client = sandbox(request).oauth.registered(inst, client_id,
                                               request.headers.get("authorization", ""))
    return JSON(describe(client))


@router.delete("/register/{client_id}", status_code=204)
def unregister(client_id: str, request: Request) -> Response:
    """Remove an OAuth client with its registration token."""
    inst = _instance(request)
    sb = sandbox(request)
    sb.oauth.registered(inst, client_id, request.headers.get("authorization", ""))
    sb.oauth.delete(inst, client_id)
    sb.forget_tokens()
    return Response(status_code=204)


@router.get("/authorize", response_class=HTMLResponse)
def authorize_page(request: Request) -> HTMLResponse:
    """The page where the tester consents to an OAuth client's scope."""
    inst = _instance(request)
    q = request.query_params
    sb = sandbox(request)
    client = sb.oauth.check_authorize(inst, q.get("client_id"), q.get("redirect_uri"),
                                      q.get("scope"), q.get("response_type"))
    rules = parse_scope(q["scope"])
    return render(request, "consent.html", instance=inst, client=client.metadata,
                  client_id=client.client_id,
                  rules=[rule_in_words(r, language(request, inst).gettext) for r in rules],
                  params={k: v for k, v in q.items() if k != "lang"})


@router.post("/authorize")
async def authorize(request: Request) -> Response:
    """The tester's consent to an OAuth client: redirects back with a code."""
    inst = await run_in_threadpool(_instance, request)  # may load it (ondemand)
    # The app's SameOriginForms middleware has refused this form if it came from an app's
    # page or another site: they cannot accept on the tester's behalf.
    form = _fields(await request.form())
    sb = sandbox(request)
    client = await run_in_threadpool(sb.oauth.check_authorize, inst, form.get("client_id"),
                                     form.get("redirect_uri"), form.get("scope"),
                                     form.get("response_type"))
    redirect = str(form["redirect_uri"])
    sep = "&" if "?" in redirect else "?"
    state = form.get("state") or ""
    if form.get("decision") != "accept":
        refused = urlencode({"state": state, "error": "access_denied"})
        return RedirectResponse(f"{redirect}{sep}{refused}", status_code=302)
    challenge = form.get("code_challenge") or None
    if challenge and form.get("code_challenge_method") not in (None, "", "S256"):
        raise OAuthError("code_challenge_method must be S256")
    code = await run_in_threadpool(sb.oauth.grant, inst, client, str(form["scope"]), challenge)
    query = urlencode({"state": state, "code": code, "access_code": code})
    return RedirectResponse(f"{redirect}{sep}{query}", status_code=302)


@router.post("/access_token")
async def access_token(request: Request) -> JSON:
    """Exchange an authorization code or a refresh token for an access token."""
    inst = await run_in_threadpool(_instance, request)  # may load it (ondemand)
    form = _fields(await request.form())
    sb = sandbox(request)
    return JSON(await run_in_threadpool(sb.oauth.exchange, inst, form,
                                        sb.settings.access_token_ttl_s))
