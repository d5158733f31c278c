"""The access journal and the pages a tester sees."""

import html
import json
from pathlib import Path

from sandbox.contract.manifest import parse_manifest
from tests.support.api import Api

DT = "test.notes"


def test_reads_and_writes_are_journaled_with_counts(sb, client, alice):
    for i in range(5):
        alice.put(f"/data/{DT}/d{i}", {"i": i})
    alice.get(f"/data/{DT}/_normal_docs?limit=3")
    alice.get(f"/data/{DT}/d1")
    entries = alice.get("/journal/").json()["data"]
    routes = [(e["attributes"]["verb"], e["attributes"]["route"], e["attributes"]["count"])
              for e in entries]
    assert ("GET", "_normal_docs", 3) in routes and ("GET", "get", 1) in routes
    assert routes.count(("POST", "create", 1)) == 5
    summary = sb.journal.summary(sb.instances.get("alice").id)
    row = next(r for r in summary if r["doctype"] == DT)
    assert row["reads"] == 2 and row["docs_read"] == 4 and row["writes"] == 5
    no_right = Api(client, sb.cli_token("alice", DT))
    assert no_right.get("/journal/").status_code == 403


def test_other_instances_journal_is_separate(sb, alice, bob):
    alice.put(f"/data/{DT}/a", {"v": 1})
    assert bob.get("/journal/").json()["data"] == []


def test_instance_list_dashboard_and_browser(sb, client, alice):
    alice.put(f"/data/{DT}/a", {"v": 1})
    home = client.get("/")
    assert home.status_code == 200 and "alice" in home.text
    dash = client.get("/", headers={"Host": "alice.localhost", "Accept-Language": "en"})
    assert dash.status_code == 200 and "Who read your data" in dash.text
    assert '<html lang="en">' in dash.text
    # a tester's pages are in French unless asked otherwise (the cloud's locale, as the pilot's)
    french = client.get("/", headers={"Host": "alice.localhost"}).text
    assert '<html lang="fr">' in french and "Qui a lu vos données" in french
    assert "<svg" in dash.text and 'role="img"' in dash.text
    browse = client.get("/browse/", headers={"Host": "alice.localhost"})
    assert DT in browse.text
    page = client.get("/browse/fr.orange.geopoint", headers={"Host": "alice.localhost"})
    assert page.status_code == 200 and "radius" in page.text  # field docs from the schema
    # the token command as it runs: the venv's path, and this sandbox's database (SQLite,
    # by its absolute path) or none (a server URL may hold a password)
    url = sb.settings.database_url
    command = ('.venv/bin/selfdata token --instance alice --scope "fr.orange.geopoint:GET"'
               + (f" --database-url {url})" if url.startswith("sqlite:///") else ")"))
    assert command in html.unescape(page.text)
    assert "await" not in page.text and "postgresql" not in page.text
    assert client.get("/browse/no.such.type", headers={"Host": "alice.localhost"}) \
        .status_code == 404
    assert client.get("/", headers={"Host": "nobody.localhost"}).status_code == 404
    assert client.get("/browse/").status_code == 404
    assert client.get("/api-docs").status_code == 200
    assert "/data/{doctype}/_find" in client.get("/openapi.json").json()["paths"]


def test_refused_requests_are_journaled_and_shown_to_the_tester(sb, client, alice):
    alice.put(f"/data/{DT}/a", {"v": 1})
    nosy = Api(client, sb.cli_token("alice", f"{DT}:GET"))
    assert nosy.get("/data/fr.orange.geopoint/_all_docs").status_code == 403
    assert nosy.put(f"/data/{DT}/b", {"v": 2}).status_code == 403
    summary = {r["doctype"]: r for r in sb.journal.summary(sb.instances.get("alice").id)
               if r["client"] == "cli"}
    assert summary["fr.orange.geopoint"]["denied"] == 1
    assert summary[DT]["denied"] == 1 and summary[DT]["writes"] == 1  # alice's own write
    # a refused request is neither a read nor a write
    assert summary["fr.orange.geopoint"]["reads"] == 0
    # no token at all: nothing to attribute, nothing journaled
    assert client.get("/data/fr.orange.geopoint/_all_docs").status_code == 401
    dash = client.get("/", headers={"Host": "alice.localhost", "Accept-Language": "en"}).text
    assert "Refused" in dash and '<strong class="error">1</strong>' in dash
    dash = client.get("/", headers={"Host": "alice.localhost"}).text
    assert "Refusées" in dash and '<strong class="error">1</strong>' in dash


def test_uninstall_asks_first_in_both_languages(sb, client, alice):
    """The confirmation page (the journey's only way to uninstall) renders with the app's
    name and says what uninstalling means; a slug that is not installed answers 404."""
    root = Path(__file__).resolve().parents[2]
    manifest, problems = parse_manifest(json.loads(
        (root / "sample_apps" / "my-calls" / "manifest.webapp").read_text()))
    assert manifest and not problems
    sb.installs.install(sb.instances.get("alice"), manifest, "registry")
    for lang, words in (("en", "its key will be cancelled"), ("fr", "sa clé sera annulée")):
        page = client.get("/apps/my-calls/uninstall",
                          headers={"Host": "alice.localhost", "Accept-Language": lang})
        assert page.status_code == 200, page.text[:300]
        text = html.unescape(page.text)
        assert words in text and manifest.name in text and 'id="confirm-uninstall"' in text
    missing = client.get("/apps/nope/uninstall", headers={"Host": "alice.localhost"})
    assert missing.status_code == 404
