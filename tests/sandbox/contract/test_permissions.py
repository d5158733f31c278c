"""One permission parser: the store's checks and the sandbox's enforcement read manifests the
same way. A sweep over valid and hostile permission blocks asserts they agree, and that no
release in the catalogue, whatever its manifest, makes a store page answer 5xx."""

from __future__ import annotations

import pytest

from app_store.checks.run import check_upload
from sandbox.apps.records import STORE
from sandbox.contract import doctypes
from sandbox.contract.consent import usage_label
from sandbox.contract.manifest import InvalidManifest, manifest_from_json
from sandbox.contract.permissions import (
    ALL,
    InvalidPermissions,
    parse_permissions,
    parse_scope,
    rules_from_manifest,
)
from sandbox.errors import BadRequest
from tests.support.apps import app_files, manifest, tar_gz
from tests.support.store import NO_ENGINE, approve_directly, make_store

WHY = "To count the time spent on the phone per contact."


def rule(**over) -> dict:
    return {"calls": {"type": "fr.orange.phonecommunicationlog", "verbs": ["GET"],
                      "description": WHY, **over}}


# name → (permissions block, the parser's verdict: None when valid, else a path it names)
CASES: dict[str, tuple[object, str | None]] = {
    "read calls": (rule(), None),
    "verbs absent is every verb": ({"calls": {"type": "fr.orange.phonecommunicationlog",
                                              "description": WHY}}, None),
    "verbs ALL": (rule(verbs=["ALL"]), None),
    "verbs empty is every verb": (rule(verbs=[]), None),
    "values as a list": (rule(values=["a", "b"]), None),
    "values with a selector": (rule(values=["VOICE"], selector="type"), None),
    "wildcard of three dots": ({"all": {"type": "org.fing.mesinfos.*", "verbs": ["GET"],
                                        "description": WHY}}, None),
    "own doctype written": ({"mine": {"type": "fr.hackathon.my_calls.findings",
                                      "verbs": ["GET", "POST"], "description": WHY}}, None),
    "no permissions": ({}, None),
    "verbs as a string": (rule(verbs="GET"), "permissions.calls.verbs"),
    "verbs in lower case": (rule(verbs=["get"]), "permissions.calls.verbs"),
    "an unknown verb": (rule(verbs=["GET", "FETCH"]), "permissions.calls.verbs"),
    "verbs as numbers": (rule(verbs=[1]), "permissions.calls.verbs"),
    "values as a string": (rule(values="x"), "permissions.calls.values"),
    "values as numbers": (rule(values=[1, 2]), "permissions.calls.values"),
    "selector as a number": (rule(values=["a"], selector=5), "permissions.calls.selector"),
    "description as a number": (rule(description=5), "permissions.calls.description"),
    "type missing": ({"calls": {"verbs": ["GET"], "description": WHY}}, "permissions.calls.type"),
    "type empty": (rule(type=""), "permissions.calls.type"),
    "type in capitals": (rule(type="FR.ORANGE.GEOPOINT"), "permissions.calls.type"),
    "type with a space": (rule(type="fr.orange geopoint"), "permissions.calls.type"),
    "wildcard too wide": (rule(type="io.cozy.*"), "permissions.calls.type"),
    "star alone": (rule(type="*"), "permissions.calls.type"),
    "rule not an object": ({"calls": "GET"}, "permissions.calls"),
    "permissions a list": ([{"type": "io.cozy.bills"}], "permissions"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_store_and_the_sandbox_read_permissions_alike(name):
    perms, invalid_at = CASES[name]
    rules, problems = parse_permissions(perms)
    assert (problems == []) == (invalid_at is None), problems
    if invalid_at is not None:
        assert invalid_at in {p.path for p in problems}
        with pytest.raises(InvalidPermissions):
            rules_from_manifest(perms)
    report = check_upload(tar_gz(app_files(manifest(permissions=perms))), "app.tar.gz")
    store_invalid = [p for p in report.problems if p.check == "permissions.invalid"]
    # every problem the parser finds, the store reports, with the same path and words
    assert {(p.path, p.message) for p in store_invalid} == {(p.path, p.message)
                                                           for p in problems}
    if invalid_at is not None:
        assert not report.accepted and report.manifest is None
    if report.accepted:
        # what the store lets through, the sandbox enforces, rule for rule
        assert report.manifest is not None
        assert list(report.manifest.permissions) == rules_from_manifest(perms)
        assert usage_label(rules, "my-calls").grade in "ABCDE"


def test_absent_and_all_verbs_mean_every_verb_and_get_implies_head():
    (r,), _ = parse_permissions({"x": {"type": "io.cozy.bills"}})
    assert r.verbs == ALL
    (r,), _ = parse_permissions(rule())
    assert r.verb_matches("HEAD") and not r.verb_matches("POST")


def test_a_wildcard_covers_its_prefix_and_below_only():
    (r,), _ = parse_permissions({"w": {"type": "org.fing.mesinfos.*"}})
    assert r.type_matches("org.fing.mesinfos") and r.type_matches("org.fing.mesinfos.home")
    assert not r.type_matches("org.fing.mesinfoshome") and not r.type_matches("org.fing")
    assert doctypes.covers("org.fing.mesinfos.*", "org.fing.mesinfos.contract")


def test_scopes_use_the_same_rules():
    (r,) = parse_scope("io.cozy.bills:GET,POST:a,b:vendor")
    assert r.verbs == {"GET", "POST"} and r.values == ("a", "b") and r.selector == "vendor"
    assert parse_scope("io.cozy.bills")[0].verbs == ALL
    assert parse_scope("io.cozy.bills:get,post")[0].verbs == {"GET", "POST"}  # as before
    for bad in ("io.cozy.*:GET", "io.cozy.bills:FETCH", "io.cozy.bills:GET:a:b:c", "*"):
        with pytest.raises(BadRequest):
            parse_scope(bad)


ODD = [7, 1.5, True, None, "", "x" * 5000, [], [["x"], 1], {"a": 1}, "<script>1</script>"]
FIELDS = ("name", "editor", "short_description", "long_description", "license", "icon",
          "screenshots", "categories", "locales", "runtime", "version", "permissions")


def test_no_release_makes_a_store_page_answer_5xx(tmp_path):
    """Whatever manifest a release carries (even one the store would refuse today, as a row
    stored under older rules could), every catalogue and registry page answers below 500."""
    manifests = [manifest(slug=f"perm-{i:02d}", permissions=perms)
                 for i, (perms, _) in enumerate(CASES.values())]
    manifests += [manifest(slug=f"{field.replace('_', '-')}-{i}", **{field: value})
                  for field in FIELDS for i, value in enumerate(ODD)]
    manifests.append({"slug": "bare", "permissions": "nonsense"})
    with make_store(tmp_path, engine=NO_ENGINE) as store:
        for m in manifests:
            approve_directly(store, "Blue", m, tar_gz(app_files(m)))
        for path in ("/", "/registry", "/api/catalogue", "/?q=app", "/?category=x",
                     "/api/catalogue?category=x"):
            assert store.get(path).status_code == 200, path
        for m in manifests:
            slug = m["slug"]
            for path in (f"/registry/{slug}", f"/registry/{slug}/stable/latest",
                         f"/apps/{slug}", f"/registry/{slug}/icon",
                         f"/registry/{slug}/screenshots/x.png"):
                r = store.get(path)
                assert r.status_code < 500, (path, r.status_code, r.text[:200])


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_the_store_accepts_is_what_an_installed_app_gets(name, sb, client):
    """Through the sandbox's own install path: the record refuses what the parser refuses,
    and an installed app's token carries exactly the manifest's rules."""
    perms, invalid_at = CASES[name]
    inst = sb.instances.find("alice") or sb.instances.create("alice")
    raw = manifest(slug="sweep-app", permissions=perms)
    if invalid_at is not None:
        with pytest.raises(InvalidManifest):
            manifest_from_json(raw)
        return
    sb.installs.install(inst, manifest_from_json(raw), STORE)
    token = sb.app_token("alice", "sweep-app")
    got = client.get("/permissions/self", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    served = got.json()["data"]["attributes"]["permissions"]
    rules, _ = parse_permissions(perms)
    assert {k: (v["type"], sorted(v["verbs"])) for k, v in served.items()} == {
        r.title: (r.type, ["ALL"] if r.verbs == ALL else sorted(r.verbs)) for r in rules}
