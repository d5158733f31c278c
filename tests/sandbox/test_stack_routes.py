"""The stack's app-facing routes around /data: settings, apps and konnectors, permissions,
intents, notifications and jobs — the stack's shapes and statuses, and hostile callers
(no token, wrong tokens, another instance's token, bad JSON, rights they do not have)."""

from __future__ import annotations

import pytest

from sandbox.apps.records import STORE
from sandbox.auth import tokens
from sandbox.contract.manifest import manifest_from_json
from sandbox.errors import InvalidParameter
from sandbox.shares import parse_ttl
from tests.support.api import Api
from tests.support.apps import manifest

DT = "test.notes"
NOTIFY = {"balance": {"description": "Your balance is low", "collapsible": True},
          "state": {"description": "A state", "stateful": True}}


def install(sb, instance: str = "alice", **over) -> str:
    """Install an app in ``instance``; its token."""
    inst = sb.instances.get(instance)
    m = manifest(**{"slug": "my-calls", "permissions": {
        "apps": {"type": "io.cozy.apps", "verbs": ["GET"]},
        "notes": {"type": DT}}, **over})
    sb.installs.install(inst, manifest_from_json(m), STORE, sha256="ab" * 32)
    return sb.app_token(instance, m["slug"])


def jsonapi_error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    err = r.json()["errors"][0]
    assert err["status"] == str(status)
    return err


# ---- settings ---------------------------------------------------------------------------------

def test_instance_settings_come_from_the_household(sb, client):
    sb.instances.create("zoe", profile={"main_member": "Zoé Martin"})
    r = Api(client, sb.cli_token("zoe", "io.cozy.doctypes:GET")).get("/settings/instance")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.api+json"
    data = r.json()["data"]
    assert data["type"] == "io.cozy.settings" and data["id"] == "io.cozy.settings.instance"
    assert data["links"] == {"self": "/settings/instance"}
    a = data["attributes"]
    assert (a["locale"], a["tz"], a["public_name"]) == ("fr", "Europe/Paris", "Zoé Martin")
    assert a["context"] == "default" and a["auth_mode"] == "basic"
    assert data["meta"]["rev"].startswith("1-")


def test_any_token_reads_the_settings_none_is_401(sb, client, alice):
    narrow = Api(client, sb.cli_token("alice", "test.other:GET"))
    assert narrow.get("/settings/instance").status_code == 200
    jsonapi_error(client.get("/settings/instance"), 401)
    assert client.get("/settings/instance", headers={
        "Authorization": "Bearer x.y.z"}).status_code == 400


def test_put_instance_settings(sb, client):
    sb.instances.create("pat", profile={"main_member": "Pat"})
    api = Api(client, sb.cli_token("pat", "io.cozy.settings"))
    app = Api(client, install(sb, "pat", permissions={"s": {"type": "io.cozy.settings"}}))
    before = app.get("/settings/instance").json()["data"]
    body = {"data": {"type": "io.cozy.settings", "id": "io.cozy.settings.instance",
                     "meta": {"rev": before["meta"]["rev"]},
                     "attributes": {**before["attributes"], "tz": "Europe/London",
                                    "locale": "en", "email": "mallory@evil.example",
                                    "auth_mode": "two_factor_mail"}}}
    r = app.put("/settings/instance", body)
    assert r.status_code == 200, r.text
    a = r.json()["data"]["attributes"]
    # what an app may change changes; the e-mail and the computed fields do not
    assert (a["tz"], a["locale"], a["email"], a["auth_mode"]) == (
        "Europe/London", "en", "", "basic")
    stored = api.get("/data/io.cozy.settings/io.cozy.settings.instance").json()
    assert stored["tz"] == "Europe/London" and "auth_mode" not in stored
    # a stale revision is a conflict; nothing is lost
    jsonapi_error(app.put("/settings/instance", body), 409)
    assert app.get("/settings/instance").json()["data"]["attributes"]["tz"] == "Europe/London"


def test_put_instance_settings_hostile(sb, client, alice):
    reader = Api(client, sb.cli_token("alice", "io.cozy.settings:GET"))
    body = {"data": {"type": "io.cozy.settings", "attributes": {"tz": "UTC"}}}
    jsonapi_error(reader.put("/settings/instance", body), 403)
    writer = Api(client, sb.cli_token("alice", "io.cozy.settings"))
    err = jsonapi_error(writer.put("/settings/instance", {"data": {"attributes": {
        "locale": "not a locale"}}}), 422)
    assert err["title"] == "Invalid Attribute"
    assert err["source"] == {"pointer": "/data/attributes/locale"}
    jsonapi_error(writer.put("/settings/instance", {"attributes": {}}), 400)
    r = writer.c.put("/settings/instance", content=b"{no", headers=writer.h)
    jsonapi_error(r, 400)
    assert writer.get("/settings/instance").json()["data"]["attributes"]["locale"] == "fr"


def test_capabilities_context_flags(sb, client, alice):
    r = alice.get("/settings/capabilities").json()["data"]
    assert r["id"] == "io.cozy.settings.capabilities" and r["meta"] == {}
    assert r["attributes"]["flat_subdomains"] is False
    assert alice.get("/settings/context").json()["data"]["id"] == "io.cozy.settings.context"
    flags = alice.get("/settings/flags?include=source").json()
    assert flags["data"]["attributes"] == {} and len(flags["included"]) == 5
    jsonapi_error(client.get("/settings/context"), 403)   # the stack's 403, not 401
    jsonapi_error(client.get("/settings/flags"), 403)
    jsonapi_error(client.get("/settings/capabilities"), 401)


def test_settings_are_readable_through_data_with_a_permission(sb, client, alice):
    assert alice.get("/data/io.cozy.settings/io.cozy.settings.instance").status_code == 403
    api = Api(client, sb.cli_token("alice", "io.cozy.settings:GET"))
    doc = api.get("/data/io.cozy.settings/io.cozy.settings.instance").json()
    assert doc["_id"] == "io.cozy.settings.instance" and doc["locale"] == "fr"


def test_a_clone_keeps_its_source_settings(sb, client, alice):
    sb.instances.clone("alice", "alice-copy")
    api = Api(client, sb.cli_token("alice-copy", "io.cozy.settings:GET"))
    assert api.get("/settings/instance").json()["data"]["attributes"]["locale"] == "fr"


def test_an_instance_created_before_settings_existed_gets_them_on_first_use(sb, client):
    inst = sb.instances._create("old", {"main_member": "Old Timer"})  # no creation hooks
    assert sb.documents.get_dict(inst.id, "io.cozy.settings", "io.cozy.settings.instance") \
        is None
    api = Api(client, sb.cli_token("old", "io.cozy.settings:GET"))
    assert api.get("/settings/instance").json()["data"]["attributes"]["public_name"] == \
        "Old Timer"


# ---- apps and konnectors ---------------------------------------------------------------------

def test_apps_listing_and_one_app(sb, client, alice):
    token = install(sb, intents=[{"action": "PICK", "type": ["io.cozy.files"], "href": "/pick"}])
    app = Api(client, token)
    r = app.get("/apps/")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.api+json"
    body = r.json()
    assert body["meta"] == {"count": 1} and body["links"] == {}
    item = body["data"][0]
    assert item["type"] == "io.cozy.apps" and item["id"] == "io.cozy.apps/my-calls"
    a = item["attributes"]
    assert (a["slug"], a["state"], a["version"], a["name"]) == ("my-calls", "ready", "1.0.0",
                                                                "My calls")
    assert a["source"] == "registry://my-calls/stable" and a["checksum"] == "ab" * 32
    assert a["notifications"] is None and a["permissions"]["notes"]["type"] == DT
    assert item["meta"]["rev"].startswith("1-")
    assert item["links"] == {"self": "/apps/my-calls", "icon": "/apps/my-calls/icon/1.0.0",
                             "related": "http://my-calls.alice.localhost/"}
    one = app.get("/apps/my-calls").json()["data"]
    assert one == item
    err = jsonapi_error(app.get("/apps/nope"), 404)
    assert err["detail"] == "Application is not installed"
    assert app.get("/konnectors/").status_code == 403  # no right on io.cozy.konnectors


def test_apps_pagination(sb, client, alice):
    for slug in ("app-a", "app-b", "app-c"):
        install(sb, slug=slug)
    api = Api(client, sb.cli_token("alice", "io.cozy.apps:GET"))
    first = api.get("/apps/?limit=2").json()
    assert [d["id"] for d in first["data"]] == ["io.cozy.apps/app-a", "io.cozy.apps/app-b"]
    assert first["links"]["next"] == \
        "http://testserver/apps/?limit=2&start_key=io.cozy.apps%2Fapp-c"
    rest = api.get("/apps/?limit=2&start_key=io.cozy.apps%2Fapp-c").json()
    assert [d["id"] for d in rest["data"]] == ["io.cozy.apps/app-c"] and rest["links"] == {}
    assert api.get("/apps/?limit=0").status_code == 400


def test_konnectors_are_listed_apart(sb, client, alice):
    install(sb, slug="edf-konn", type="konnector")
    api = Api(client, sb.cli_token("alice", "io.cozy.apps:GET io.cozy.konnectors:GET"))
    k = api.get("/konnectors/").json()["data"]
    assert [i["id"] for i in k] == ["io.cozy.konnectors/edf-konn"]
    assert k[0]["links"]["permissions"] == "/permissions/konnectors/edf-konn"
    assert "related" not in k[0]["links"]
    assert api.get("/apps/").json()["data"] == []
    assert api.get("/konnectors/edf-konn").json()["data"]["type"] == "io.cozy.konnectors"
    jsonapi_error(api.get("/apps/edf-konn"), 404)


def test_apps_hostile(sb, client, alice, bob):
    jsonapi_error(client.get("/apps/"), 401)
    jsonapi_error(alice.get("/apps/"), 403)  # no right on io.cozy.apps
    install(sb)
    bobs = Api(client, sb.cli_token("bob", "io.cozy.apps:GET"))
    assert bobs.get("/apps/").json()["data"] == []  # bob sees his own cloud only
    jsonapi_error(bobs.get("/apps/my-calls", headers={"host": "alice.localhost"}), 400)
    one = Api(client, sb.cli_token("alice", "io.cozy.apps:GET:io.cozy.apps/my-calls"))
    assert one.get("/apps/my-calls").status_code == 200
    jsonapi_error(one.get("/apps/"), 403)


def test_apps_install_stays_the_consent_page_without_a_token(sb, client, alice):
    # the consent page ran (this sandbox has no registry to read the release from)
    page = client.get("/apps/install?slug=x&registry=", headers={"host": "alice.localhost"})
    assert "no app registry is configured" in page.json()["errors"][0]["detail"]
    api = Api(client, sb.cli_token("alice", "io.cozy.apps:GET"))
    err = jsonapi_error(api.get("/apps/install"), 404)   # the API: no app named "install"
    assert err["detail"] == "Application is not installed"


# ---- permissions -------------------------------------------------------------------------------

def share_body(rules: dict, **attrs) -> dict:
    return {"data": {"type": "io.cozy.permissions", "attributes": {"permissions": rules,
                                                                   **attrs}}}


def test_self_of_an_app(sb, client, alice):
    app = Api(client, install(sb))
    data = app.get("/permissions/self").json()["data"]
    assert data["type"] == "io.cozy.permissions" and data["attributes"]["type"] == "app"
    assert data["attributes"]["source_id"] == "io.cozy.apps/my-calls"
    assert app.get(f"/permissions/{data['id']}").json()["data"] == data


def test_share_by_link_is_a_working_subset(sb, client, alice):
    app = Api(client, install(sb))
    alice.put(f"/data/{DT}/n1", {"text": "shared"})
    alice.put(f"/data/{DT}/n2", {"text": "private"})
    r = app.post("/permissions?codes=email,link&ttl=1D", share_body(
        {"one": {"type": DT, "verbs": ["GET"], "values": ["n1"]}}))
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    a = data["attributes"]
    assert a["type"] == "share" and a["source_id"] == "io.cozy.apps/my-calls"
    assert set(a["codes"]) == {"email", "link"} and len(a["shortcodes"]["link"]) == 12
    assert a["expires_at"].endswith("Z") and data["meta"]["rev"].startswith("1-")
    share = Api(client, a["codes"]["link"])
    assert share.get(f"/data/{DT}/n1").json()["text"] == "shared"
    assert share.get(f"/data/{DT}/n2").status_code == 403
    assert share.get("/permissions/self").json()["data"]["attributes"]["type"] == "share"
    shown = app.get(f"/permissions/{data['id']}").json()["data"]["attributes"]
    assert "codes" not in shown and "shortcodes" not in shown
    listed = app.get(f"/permissions/doctype/{DT}/shared-by-link").json()
    assert [d["id"] for d in listed["data"]] == [data["id"]]
    exists = app.post("/permissions/exists", {"data": [{"type": DT, "id": "n1"},
                                                       {"type": DT, "id": "n2"}]}).json()
    assert exists == {"data": [{"id": "n1", "type": DT, "verbs": ["GET"]}]}
    # revoked: the code stops working
    assert app.delete(f"/permissions/{data['id']}").status_code == 204
    assert share.get(f"/data/{DT}/n1").status_code == 400


def test_a_share_cannot_grow_the_creators_rights(sb, client, alice):
    app = Api(client, install(sb))
    for rules in ({"x": {"type": "test.other"}},
                  {"x": {"type": "io.cozy.apps", "verbs": ["POST"]}},
                  {"x": {"type": "test.notes.sub.*"}}):
        err = jsonapi_error(app.post("/permissions?codes=a", share_body(rules)), 403)
        assert err["detail"] == "Attempt to create a larger permission set"
    narrow = Api(client, sb.cli_token("alice", f"{DT}:GET:n1"))
    # the stack's loophole: a rule without values "inside" one limited to values
    err = jsonapi_error(narrow.post("/permissions?codes=a", share_body(
        {"x": {"type": DT, "verbs": ["GET"]}})), 403)
    assert err["detail"] == "Attempt to create a larger permission set"
    assert narrow.post("/permissions?codes=a", share_body(
        {"x": {"type": DT, "verbs": ["GET"], "values": ["n1"]}})).status_code == 200
    jsonapi_error(app.post("/permissions?codes=a", share_body(
        {"x": {"type": "io.cozy.permissions", "verbs": ["GET"]}})), 403)


def test_shares_hostile(sb, client, alice):
    app = Api(client, install(sb))
    jsonapi_error(app.post("/permissions?codes=a", share_body(
        {"x": {"type": DT, "verbs": "GET"}})), 400)                 # verbs must be a list
    err = jsonapi_error(app.post("/permissions?codes=a&ttl=soon", share_body({})), 422)
    assert err["source"] == {"parameter": "ttl"}
    err = jsonapi_error(app.post("/permissions?codes=a", share_body(
        {}, password="secret")), 422)
    assert err["source"] == {"pointer": "/data/attributes/password"}
    jsonapi_error(app.post("/permissions?codes=a%20b", share_body({})), 422)
    jsonapi_error(app.post("/permissions", [1]), 400)
    r = app.c.post("/permissions", content=b"{", headers=app.h)
    jsonapi_error(r, 400)
    jsonapi_error(app.get("/permissions/nope"), 404)
    # a share cannot make shares; the command line can make but not revoke (as the stack)
    code = app.post("/permissions?codes=a", share_body(
        {"x": {"type": DT, "verbs": ["GET"]}})).json()["data"]
    share = Api(client, code["attributes"]["codes"]["a"])
    jsonapi_error(share.post("/permissions?codes=b", share_body({})), 403)
    cli = Api(client, sb.cli_token("alice", DT))
    assert cli.post("/permissions?codes=b", share_body(
        {"x": {"type": DT, "verbs": ["GET"]}})).status_code == 200
    jsonapi_error(cli.delete(f"/permissions/{code['id']}"), 403)
    jsonapi_error(cli.get(f"/permissions/{code['id']}"), 403)  # not its share
    jsonapi_error(app.patch("/permissions/apps/my-calls", share_body({})), 403)


def test_patch_a_share(sb, client, alice):
    app = Api(client, install(sb))
    made = app.post("/permissions?codes=a,b", share_body(
        {"one": {"type": DT, "verbs": ["GET"], "values": ["n1"]}})).json()["data"]
    pid, codes = made["id"], made["attributes"]["codes"]
    r = app.patch(f"/permissions/{pid}", {"data": {"attributes": {"permissions": {
        "two": {"type": DT, "verbs": ["GET"], "values": ["n2"]}}}}})
    assert r.status_code == 200, r.text
    assert set(r.json()["data"]["attributes"]["permissions"]) == {"one", "two"}
    r = app.patch(f"/permissions/{pid}", {"data": {"attributes": {"codes": {"a": codes["a"]}}}})
    assert set(r.json()["data"]["attributes"]["codes"]) == {"a"}
    alice.put(f"/data/{DT}/n2", {"t": 2})
    assert Api(client, codes["a"]).get(f"/data/{DT}/n2").status_code == 200
    assert Api(client, codes["b"]).get(f"/data/{DT}/n2").status_code == 400  # dropped code
    jsonapi_error(app.patch(f"/permissions/{pid}", {"data": {"attributes": {
        "permissions": {"x": {"type": "test.other"}}}}}), 403)
    jsonapi_error(app.patch(f"/permissions/{pid}", {"data": {"attributes": {}}}), 400)
    past = "2000-01-01T00:00:00Z"
    app.patch(f"/permissions/{pid}", {"data": {"attributes": {"expires_at": past}}})
    assert Api(client, codes["a"]).get(f"/data/{DT}/n2").status_code == 400  # expired
    # another app may only if it holds every right of the share (the stack's rule)
    other = Api(client, install(sb, slug="other-app", permissions={
        "one": {"type": DT, "verbs": ["GET"], "values": ["n1"]}}))
    jsonapi_error(other.patch(f"/permissions/{pid}", {"data": {"attributes": {
        "expires_at": ""}}}), 403)


def test_share_codes_of_another_instance_or_forged_fail(sb, client, alice, bob):
    app = Api(client, install(sb))
    code = app.post("/permissions?codes=a", share_body(
        {"x": {"type": DT, "verbs": ["GET"]}})).json()["data"]["attributes"]["codes"]["a"]
    r = client.get(f"/data/{DT}/_all_docs", headers={"Authorization": f"Bearer {code}",
                                                     "host": "bob.localhost"})
    assert r.status_code == 400
    inst = sb.instances.get("alice")
    forged = tokens.issue(inst.secret, aud="share", instance="alice", sub="a", scope="nope")
    assert Api(client, forged).get(f"/data/{DT}/_all_docs").status_code == 400


def test_shared_by_link_needs_the_whole_doctype(sb, client, alice):
    narrow = Api(client, sb.cli_token("alice", f"{DT}:GET:n1"))
    jsonapi_error(narrow.get(f"/permissions/doctype/{DT}/shared-by-link"), 403)
    assert alice.get(f"/permissions/doctype/{DT}/sharedByLink").json()["data"] == []
    for _ in range(3):
        alice.post("/permissions?codes=a", share_body({"x": {"type": DT, "verbs": ["GET"]}}))
    page = alice.get(f"/permissions/doctype/{DT}/shared-by-link?page[limit]=2").json()
    assert len(page["data"]) == 2 and "page[cursor]=" in page["links"]["next"]
    rest = alice.get(page["links"]["next"]).json()
    assert len(rest["data"]) == 1 and rest["links"] == {}


# ---- intents -----------------------------------------------------------------------------------

def test_intent_without_a_service(sb, client, alice):
    app = Api(client, install(sb))
    r = app.post("/intents", {"data": {"type": "io.cozy.intents", "attributes": {
        "action": "PICK", "type": "io.cozy.contacts", "permissions": ["GET"], "data": {}}}})
    assert r.status_code == 200
    data = r.json()["data"]
    a = data["attributes"]
    assert (a["action"], a["type"], a["services"], a["availableApps"]) == (
        "PICK", "io.cozy.contacts", None, None)
    assert a["client"] == "http://my-calls.alice.localhost/"
    assert data["links"]["self"] == f"/intents/{data['id']}"
    assert data["links"]["permissions"] == "/permissions/my-calls"


def test_intent_served_by_an_installed_app(sb, client, alice):
    client_app = Api(client, install(sb))
    service = Api(client, install(sb, slug="picker", intents=[
        {"action": "pick", "type": ["image/*"], "href": "/services/pick#top"}]))
    data = client_app.post("/intents", {"data": {"attributes": {
        "action": "PICK", "type": "image/png"}}}).json()["data"]
    services = data["attributes"]["services"]
    assert services == [{"slug": "picker", "href": "http://picker.alice.localhost/services/pick"
                         f"?intent={data['id']}#top"}]
    got = service.get(f"/intents/{data['id']}").json()["data"]
    assert got["attributes"]["action"] == "PICK"
    jsonapi_error(client_app.get(f"/intents/{data['id']}"), 403)  # only the service reads it


def test_intents_hostile(sb, client, alice):
    err = jsonapi_error(alice.post("/intents", {"data": {"attributes": {"type": "x"}}}), 422)
    assert (err["title"], err["detail"], err["source"]) == (
        "Invalid Parameter", "Action is missing", {"parameter": "action"})
    err = jsonapi_error(alice.post("/intents", {"data": {"attributes": {"action": "X"}}}), 422)
    assert err["detail"] == "Type is missing"
    jsonapi_error(client.post("/intents", json={"data": {}}), 401)
    jsonapi_error(alice.get("/intents/nope"), 404)


# ---- notifications -------------------------------------------------------------------------------

def notification(**attrs) -> dict:
    return {"data": {"type": "io.cozy.notifications", "attributes": {
        "category": "balance", "title": "Solde bas", "message": "Votre solde est bas", **attrs}}}


def test_a_declared_category_is_stored_and_shown(sb, client, alice):
    app = Api(client, install(sb, notifications=NOTIFY))
    r = app.post("/notifications", notification(category_id="acc-1", priority="high",
                                                preferred_channels=["mobile"],
                                                data={"k": "v"}))
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    a = data["attributes"]
    assert data["type"] == "io.cozy.notifications" and a["_id"] == data["id"]
    assert a["source_id"] == "cozy/app/my-calls/balance/acc-1"
    assert (a["originator"], a["slug"], a["title"], a["data"]) == ("app", "my-calls",
                                                                  "Solde bas", {"k": "v"})
    assert "preferred_channels" not in a and a["created_at"].endswith("Z")
    assert data["links"] == {"self": f"/notifications/{data['id']}"}
    page = client.get("/", headers={"host": "alice.localhost"}).text
    assert "Solde bas" in page and "Votre solde est bas" in page
    reader = Api(client, sb.cli_token("alice", "io.cozy.notifications:GET"))
    assert reader.get(f"/data/io.cozy.notifications/{data['id']}").json()["title"] == \
        "Solde bas"


def test_a_stateful_category_collapses_the_same_state(sb, client, alice):
    app = Api(client, install(sb, notifications=NOTIFY))
    first = app.post("/notifications", notification(category="state", state="low"))
    again = app.post("/notifications", notification(category="state", state="low"))
    changed = app.post("/notifications", notification(category="state", state="ok"))
    assert first.status_code == again.status_code == changed.status_code == 201
    assert first.json()["data"]["id"] and changed.json()["data"]["id"]
    assert again.json()["data"]["id"] == ""  # not stored, as the stack answers
    assert len(sb.notifications.recent(sb.instances.get("alice"))) == 2


def test_notifications_hostile(sb, client, alice):
    no_block = Api(client, install(sb))
    err = jsonapi_error(no_block.post("/notifications", notification()), 403)
    assert err["detail"] == "No category for this app"
    app = Api(client, install(sb, slug="notifier", notifications=NOTIFY))
    err = jsonapi_error(app.post("/notifications", notification(category="other")), 403)
    assert err["detail"] == "Notification category does not exist"
    err = jsonapi_error(app.post("/notifications", notification(title="")), 400)
    assert err["detail"] == "Notification is not valid"
    jsonapi_error(app.post("/notifications", notification(title=["x"])), 400)
    err = jsonapi_error(alice.post("/notifications", notification()), 403)  # the command line
    assert err["detail"] == "Not authorized to send notification"
    jsonapi_error(app.post("/notifications", {"data": "x"}), 400)
    jsonapi_error(client.post("/notifications", json=notification()), 401)
    assert sb.notifications.recent(sb.instances.get("alice")) == []


# ---- jobs --------------------------------------------------------------------------------------

def test_jobs_listings_are_empty_and_pushing_says_no_worker_runs(sb, client, alice):
    api = Api(client, sb.cli_token("alice", "io.cozy.jobs io.cozy.triggers"))
    assert api.get("/jobs/triggers").json() == {"data": [], "links": {}, "meta": {"count": 0}}
    assert api.get("/jobs/queue/konnector").json()["data"] == []
    err = jsonapi_error(api.post("/jobs/queue/konnector", {"data": {"attributes": {
        "arguments": {"konnector": "edf"}}}}), 404)
    assert err["detail"].startswith("jobs: could not find worker 'konnector'")
    assert "runs no job workers" in err["detail"]
    err = jsonapi_error(api.post("/jobs/triggers", {"data": {"attributes": {
        "type": "@cron", "arguments": "0 0 0 * * *", "worker": "konnector"}}}), 404)
    assert "could not find worker" in err["detail"]
    err = jsonapi_error(api.post("/jobs/triggers", {"data": {"attributes": {
        "type": "@sometimes", "worker": "konnector"}}}), 422)
    assert err["source"] == {"pointer": "/data/attributes/Type"}
    err = jsonapi_error(api.get("/jobs/triggers/nope"), 404)
    assert err["detail"] == "Trigger with specified ID does not exist"
    jsonapi_error(api.get("/jobs/nope"), 404)


def test_jobs_permissions(sb, client, alice):
    konn = Api(client, sb.cli_token("alice", "io.cozy.triggers:GET:konnector:worker "
                                             "io.cozy.jobs:GET:konnector:worker"))
    assert konn.get("/jobs/triggers?Worker=konnector").status_code == 200
    jsonapi_error(konn.get("/jobs/triggers"), 403)
    jsonapi_error(konn.get("/jobs/triggers?Worker=konnector,service"), 403)
    assert konn.get("/jobs/queue/konnector").status_code == 200
    jsonapi_error(konn.get("/jobs/queue/sendmail"), 403)
    jsonapi_error(konn.post("/jobs/queue/konnector", {"data": {"attributes": {}}}), 403)
    jsonapi_error(alice.get("/jobs/triggers"), 403)
    jsonapi_error(client.get("/jobs/triggers"), 401)


def test_stored_triggers_are_listed(sb, client, alice):
    inst = sb.instances.get("alice")
    sb.documents.create(inst.id, "io.cozy.triggers", {"type": "@cron", "worker": "konnector",
                                                      "arguments": "0 0 0 * * *"}, "t1")
    api = Api(client, sb.cli_token("alice", "io.cozy.triggers"))
    items = api.get("/jobs/triggers?Type=@cron").json()["data"]
    assert [i["id"] for i in items] == ["t1"] and items[0]["meta"] == {}
    assert items[0]["attributes"]["current_state"] == {"trigger_id": "t1", "status": ""}
    assert api.get("/jobs/triggers?Type=@at").json()["data"] == []
    assert api.get("/jobs/triggers/t1").json()["data"]["attributes"]["worker"] == "konnector"
    jsonapi_error(api.post("/jobs/triggers/t1/launch"), 404)
    assert api.delete("/jobs/triggers/t1").status_code == 204
    assert api.get("/jobs/triggers").json()["data"] == []


def test_share_durations_read_as_the_stack_reads_them():
    assert parse_ttl("1D") == 86400 and parse_ttl("2h30m") == 9000
    assert parse_ttl("1Y") > parse_ttl("1M") > parse_ttl("1W")
    for bad in ("1 day", "", "D", "1D-"):
        with pytest.raises(InvalidParameter, match="not a duration"):
            parse_ttl(bad)


def test_shared_by_link_shows_codes_only_to_whom_they_give_nothing_more(sb, client, alice):
    """The stack lists every share's codes to any app that may read the whole doctype; a share
    that also writes, or reaches another doctype, would then hand a read-only app its way up.
    Codes go to the app that made the share, or to a caller holding every right it grants."""
    maker = Api(client, install(sb, slug="drive-like", permissions={
        "notes": {"type": DT}, "other": {"type": "test.other"}}))
    alice.put(f"/data/{DT}/n1", {"text": "mine"})
    wide = maker.post("/permissions?codes=link", share_body({
        "notes": {"type": DT}, "other": {"type": "test.other", "verbs": ["GET"]}})).json()
    narrow = maker.post("/permissions?codes=link", share_body(
        {"notes": {"type": DT, "verbs": ["GET"]}})).json()
    reader = Api(client, install(sb, slug="reader", permissions={
        "notes": {"type": DT, "verbs": ["GET"]}}))
    listed = {d["id"]: d["attributes"] for d in
              reader.get(f"/permissions/doctype/{DT}/shared-by-link").json()["data"]}
    assert set(listed) == {wide["data"]["id"], narrow["data"]["id"]}
    assert "codes" not in listed[wide["data"]["id"]]           # write and another doctype
    assert "shortcodes" not in listed[wide["data"]["id"]]
    assert listed[narrow["data"]["id"]]["codes"] == narrow["data"]["attributes"]["codes"]
    # what the hidden code would have given the read-only app: writes
    code = wide["data"]["attributes"]["codes"]["link"]
    assert Api(client, code).put(f"/data/{DT}/n2", {"text": "written"}).status_code == 200
    assert reader.put(f"/data/{DT}/n3", {"text": "written"}).status_code == 403
    # the maker still sees all its codes (Drive shows the links it made)
    mine = maker.get(f"/permissions/doctype/{DT}/shared-by-link").json()["data"]
    assert all("link" in d["attributes"]["codes"] for d in mine)
