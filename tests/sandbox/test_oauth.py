"""OAuth 2: register, consent page, code (with PKCE), tokens, refresh, revocation."""

import base64
import hashlib
from urllib.parse import parse_qs, urlparse

HOST = {"Host": "alice.localhost"}
REDIRECT = "http://127.0.0.1:9999/callback"


def _register(client):
    r = client.post("/auth/register", headers=HOST, json={
        "redirect_uris": [REDIRECT], "client_name": "Energy coach", "software_id": "coach"})
    assert r.status_code == 201
    return r.json()


def test_registration_reports_every_problem(client, alice):
    r = client.post("/auth/register", headers=HOST, json={"redirect_uris": "nope"})
    assert r.status_code == 400
    msg = r.json()["error"]
    assert "client_name is required" in msg and "software_id is required" in msg
    assert "absolute URIs" in msg
    assert client.post("/auth/register", json={}).status_code == 400  # no instance


def test_full_code_flow_with_pkce_refresh_and_revocation(client, alice):
    reg = _register(client)
    assert reg["client_secret"] and reg["registration_access_token"]
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode() \
        .rstrip("=")
    params = {"client_id": reg["client_id"], "redirect_uri": REDIRECT, "state": "s1",
              "response_type": "code", "scope": "test.notes:GET fr.orange.geopoint:GET",
              "code_challenge": challenge, "code_challenge_method": "S256"}
    page = client.get("/auth/authorize", headers={**HOST, "Accept-Language": "en"},
                      params=params)
    assert page.status_code == 200
    assert "Energy coach" in page.text and "where your phone was" in page.text
    french = client.get("/auth/authorize", headers=HOST, params=params).text
    assert "Energy coach" in french and "où était votre téléphone" in french
    assert "sensitive" in page.text
    r = client.post("/auth/authorize", headers=HOST, data={**params, "decision": "accept"},
                    follow_redirects=False)
    assert r.status_code == 302
    q = parse_qs(urlparse(r.headers["location"]).query)
    assert q["state"] == ["s1"] and q["code"] == q["access_code"]
    form = {"grant_type": "authorization_code", "code": q["code"][0],
            "client_id": reg["client_id"], "client_secret": reg["client_secret"]}
    bad = client.post("/auth/access_token", headers=HOST, data={**form, "code_verifier": "x"})
    assert bad.status_code == 400 and "code_verifier" in bad.json()["error"]
    # a code is single-use: the failed attempt consumed it; get a fresh one
    r = client.post("/auth/authorize", headers=HOST, data={**params, "decision": "accept"},
                    follow_redirects=False)
    code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    tok = client.post("/auth/access_token", headers=HOST,
                      data={**form, "code": code, "code_verifier": verifier}).json()
    assert tok["token_type"] == "bearer" and tok["scope"].startswith("test.notes:GET")
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    alice.put("/data/test.notes/n1", {"v": 1})
    assert client.get("/data/test.notes/n1", headers=h).status_code == 200
    assert client.post("/data/test.notes/", headers=h, json={"v": 2}).status_code == 403
    again = client.post("/auth/access_token", headers=HOST, data={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
        "client_id": reg["client_id"], "client_secret": reg["client_secret"]}).json()
    assert again["access_token"] and again["scope"] == tok["scope"]
    # the journal names the client
    entries = alice.get("/journal/").json()["data"]
    assert any(e["attributes"]["client"] == "Energy coach" for e in entries)
    # revoking the client invalidates its tokens
    bearer = {"Authorization": f"Bearer {reg['registration_access_token']}"}
    r = client.delete(f"/auth/register/{reg['client_id']}", headers={**HOST, **bearer})
    assert r.status_code == 204
    assert client.get("/data/test.notes/n1", headers=h).status_code == 400


def test_refusal_and_wrong_secret_and_bad_redirect(client, alice):
    reg = _register(client)
    params = {"client_id": reg["client_id"], "redirect_uri": REDIRECT, "state": "z",
              "response_type": "code", "scope": "test.notes:GET"}
    r = client.post("/auth/authorize", headers=HOST, data={**params, "decision": "refuse"},
                    follow_redirects=False)
    assert "error=access_denied" in r.headers["location"]
    r = client.get("/auth/authorize", headers=HOST,
                   params={**params, "redirect_uri": "http://evil.example/cb"})
    assert r.status_code == 400 and "redirect_uri" in r.json()["error"]
    r = client.post("/auth/access_token", headers=HOST, data={
        "grant_type": "authorization_code", "code": "x", "client_id": reg["client_id"],
        "client_secret": "wrong"})
    assert r.status_code == 400 and r.json()["error"] == "invalid client_secret"
