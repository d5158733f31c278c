"""Tokens and permissions: the stack's status codes, instance binding, rule matching."""

import time

import jwt
import pytest

from sandbox.auth import tokens
from sandbox.contract.permissions import (
    ALL,
    PermissionSet,
    Rule,
    parse_scope,
    rules_from_manifest,
)
from sandbox.errors import BadRequest
from tests.support.api import Api

DT = "test.notes"


def test_no_token_is_401_and_garbage_is_400(client, alice):
    r = client.get(f"/data/{DT}/x")
    assert r.status_code == 401 and r.json() == {"error": "code=401, message=No token in request"}
    r = client.get(f"/data/{DT}/x", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 400 and "Invalid JWT token" in r.json()["error"]
    assert r.headers["www-authenticate"].startswith("Bearer error=\"invalid_token\"")


# The forger's key is short on purpose; PyJWT warns about it.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_forged_token_is_refused(sb, client, alice):
    forged = jwt.encode({"aud": "cli", "iss": "alice", "sub": "cli", "iat": int(time.time()),
                         "scope": DT}, "not-the-key", algorithm="HS512")
    r = client.get(f"/data/{DT}/_normal_docs", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 400 and "Invalid JWT token" in r.text


def test_expired_token_says_so(sb, client, alice):
    inst = sb.instances.get("alice")
    old = tokens.issue(inst.secret, aud="cli", instance="alice", sub="cli", scope=DT,
                       now=time.time() - 3600)  # cli tokens live 30 minutes
    r = client.get(f"/data/{DT}/_normal_docs", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 400 and "Expired token" in r.json()["error"]
    assert "The access token expired" in r.headers["www-authenticate"]
    short = tokens.issue(inst.secret, aud="cli", instance="alice", sub="cli", scope=DT, ttl=-1)
    r = client.get(f"/data/{DT}/_normal_docs", headers={"Authorization": f"Bearer {short}"})
    assert "Expired token" in r.json()["error"]


def test_unknown_audience_is_refused(sb, client, alice):
    inst = sb.instances.get("alice")
    t = jwt.encode({"aud": "weird", "iss": "alice", "sub": "x", "iat": int(time.time())},
                   inst.secret, algorithm="HS512")
    r = client.get(f"/data/{DT}/_normal_docs", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 400 and "Unrecognized token audience" in r.text


def test_a_token_serves_only_its_own_instance(sb, client, alice, bob):
    alice.put(f"/data/{DT}/secret", {"who": "alice"})
    assert bob.get(f"/data/{DT}/secret").status_code == 404
    r = bob.post(f"/data/{DT}/_find", {"selector": {"_id": {"$gt": None}}})
    assert r.status_code == 404  # bob has no such database at all
    # alice's token presented on bob's host is refused
    r = client.get(f"/data/{DT}/secret", headers={**alice.h, "Host": "bob.localhost"})
    assert r.status_code == 400
    assert alice.get(f"/data/{DT}/secret", headers={"Host": "alice.localhost"}).json()[
        "who"] == "alice"


def test_token_also_accepted_as_basic_password_or_query(sb, client, alice):
    import base64

    alice.put(f"/data/{DT}/a", {"v": 1})
    token = alice.h["Authorization"][7:]
    basic = base64.b64encode(f"x:{token}".encode()).decode()
    assert client.get(f"/data/{DT}/a", headers={"Authorization": f"Basic {basic}"}).status_code \
        == 200
    assert client.get(f"/data/{DT}/a?bearer_token={token}").status_code == 200


def test_insufficient_rights_are_403_and_listing_needs_the_whole_type(sb, client, alice):
    alice.put(f"/data/{DT}/mine", {"owner": "me"})
    alice.put(f"/data/{DT}/theirs", {"owner": "them"})
    reader = Api(client, sb.cli_token("alice", f"{DT}:GET"))
    assert reader.get(f"/data/{DT}/mine").status_code == 200
    assert reader.post(f"/data/{DT}/", {"x": 1}).status_code == 403
    assert reader.get("/data/other.type/x").status_code == 403
    one = Api(client, sb.cli_token("alice", f"{DT}:GET:mine"))
    assert one.get(f"/data/{DT}/mine").status_code == 200
    assert one.get(f"/data/{DT}/theirs").status_code == 403
    assert one.get(f"/data/{DT}/missing-one").status_code == 403  # restricted: 403, not 404
    for path in ("_normal_docs", "_all_docs", "_changes", "_design_docs"):
        assert one.get(f"/data/{DT}/{path}").status_code == 403, path
    assert one.post(f"/data/{DT}/_find", {"selector": {}}).status_code == 403
    by_owner = Api(client, sb.cli_token("alice", f"{DT}:GET,PUT:me:owner"))
    assert by_owner.get(f"/data/{DT}/mine").status_code == 200
    assert by_owner.get(f"/data/{DT}/theirs").status_code == 403
    doc = by_owner.get(f"/data/{DT}/mine").json()
    assert by_owner.put(f"/data/{DT}/mine", {**doc, "owner": "them"}).status_code == 403
    assert by_owner.put(f"/data/{DT}/mine", {**doc, "n": 1}).status_code == 200


def test_a_refused_doctype_typo_names_the_known_doctype_in_the_stacks_shape(sb, client):
    """An app asking io.cozy.bill (no such doctype) learns which one it likely meant; a
    known doctype outside its rights keeps the stack's bare answer."""
    sb.instances.create("carol")
    app = Api(client, sb.cli_token("carol", "io.cozy.bills:GET"))
    for r in (app.get("/data/io.cozy.bill/_all_docs"), app.get("/data/io.cozy.bill/x"),
              app.post("/data/io.cozy.bill/_find", {"selector": {}}),
              app.post("/data/fr.orange.phonecommunicationlogs/", {"a": 1})):
        assert r.status_code == 403
        message = r.json()["error"]
        assert message.startswith("code=403, message=Forbidden: ") and "did you mean" in message
    assert app.get("/data/io.cozy.bill/_all_docs").json() == {
        "error": "code=403, message=Forbidden: io.cozy.bill is not a known doctype; "
                 "did you mean io.cozy.bills?"}
    for plain in ("/data/fr.orange.geopoint/_all_docs", "/data/com.example.stuff/x",
                  "/data/fr.hackathon.my_bills.result/x"):
        assert app.get(plain).json() == {"error": "code=403, message=Forbidden"}, plain
    assert app.get("/data/io.cozy.bills/_all_docs").status_code == 404  # no bills yet


def test_reserved_and_invalid_doctypes(alice):
    r = alice.get("/data/io.cozy.permissions/x")
    assert r.status_code == 403 and "reserved" in r.text
    r = alice.post("/data/io.cozy.apps/", {"a": 1})
    assert r.status_code == 403 and "unwritable" in r.text
    for bad in ("Bad.Type", "a..b", ".a", "a.", "with-dash"):
        r = alice.get(f"/data/{bad}/x")
        assert r.status_code == 403 and "not a valid doctype name" in r.text, bad


def test_scope_strings_and_wildcards():
    rules = parse_scope("org.fing.mesinfos.* io.cozy.files:GET:a,b io.cozy.jobs:POST:mail:worker")
    assert [(r.type, sorted(r.verbs), r.values, r.selector) for r in rules] == [
        ("org.fing.mesinfos.*", sorted(ALL), (), ""), ("io.cozy.files", ["GET"], ("a", "b"), ""),
        ("io.cozy.jobs", ["POST"], ("mail",), "worker")]
    ps = PermissionSet(rules)
    assert ps.allow_whole_type("GET", "org.fing.mesinfos.contract")
    assert ps.allow_whole_type("DELETE", "org.fing.mesinfos")
    assert not ps.allow_whole_type("GET", "org.fing.mesinfosx")
    assert ps.allow("HEAD", "io.cozy.files", doc_id="a")
    with pytest.raises(BadRequest, match="at least 3 dots"):
        parse_scope("fr.orange.*")
    with pytest.raises(BadRequest, match="unknown verb"):
        parse_scope("a.b:FETCH")


def test_manifest_permissions():
    rules = rules_from_manifest({"calls": {"type": "fr.orange.phonecommunicationlog",
                                           "verbs": ["GET"], "description": "Read calls"}})
    assert rules == [Rule("fr.orange.phonecommunicationlog", frozenset({"GET"}),
                          description="Read calls")]
    with pytest.raises(BadRequest):
        rules_from_manifest({"x": {"verbs": ["GET"]}})


def test_permissions_self(alice):
    r = alice.get("/permissions/self")
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    perms = r.json()["data"]["attributes"]["permissions"]
    assert {p["type"] for p in perms.values()} >= {DT, "io.cozy.doctypes"}
