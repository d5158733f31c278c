"""The modern ``cozy-client`` (npm) against a live sandbox, as a contestant's app uses it.

``tests/sandbox/js/cozy_client.js`` drives ``CozyClient`` with an installed app's token:
``Q()`` queries (``where``/``indexFields``/``sortBy``/``limitBy``, the missing-index flow),
``queryAll``, fetch policies, ``save`` (create, update, a stale ``_rev``), ``destroy``, a
has-many relationship, and ``fetchJSON`` on the stack's routes around ``/data``; then the
rights it lacks. It prints one JSON line per check (with the requests it sent, seen through
the global ``fetch``); the assertions live here, some against the server's own records (the
journal, the stored notification).
"""

from __future__ import annotations

import re

import httpx
import pytest

from sandbox.apps.records import STORE
from sandbox.contract.manifest import manifest_from_json
from sandbox.settings import Settings
from tests.support.apps import manifest
from tests.support.backends import BACKENDS, url_for_backend
from tests.support.node import check_result, node_packages, run_checks
from tests.support.served import LiveServer

pytestmark = pytest.mark.node

INSTANCE, SLUG = "jscozyclient", "cc-conformance"
DT_BIG, DT_RW, DT_POLICY, DT_BOOKS, DT_AUTHORS, DT_SECRET = (
    f"test.cc.{n}" for n in ("big", "rw", "policy", "books", "authors", "secret"))
REV = re.compile(r"^\d+-[0-9a-f]{32}$")
N = 260
ALL_IDS = [f"doc-{i:03d}" for i in range(N)]
FIND = f"POST /data/{DT_BIG}/_find"


@pytest.fixture(scope="module")
def js_dir():
    return node_packages()


def _bulk(server: LiveServer, token: str, doctype: str, docs: list[dict]) -> None:
    r = httpx.post(f"{server.url}/data/{doctype}/_bulk_docs", json={"docs": docs},
                   headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert r.status_code == 201 and all(row.get("ok") for row in r.json()), r.text[:500]


def _install(server: LiveServer) -> str:
    """The app the script speaks for; its token."""
    sb = server.sandbox
    m = manifest(slug=SLUG, permissions={
        "big": {"type": DT_BIG}, "rw": {"type": DT_RW}, "policy": {"type": DT_POLICY},
        "books": {"type": DT_BOOKS}, "authors": {"type": DT_AUTHORS},
        "apps": {"type": "io.cozy.apps", "verbs": ["GET"]},
        "konnectors": {"type": "io.cozy.konnectors", "verbs": ["GET"]},
        "triggers": {"type": "io.cozy.triggers", "verbs": ["GET"]},
        "files": {"type": "io.cozy.files"},
        "notifications": {"type": "io.cozy.notifications", "verbs": ["GET"]}},
        notifications={"balance": {"description": "Your balance is low"}})
    sb.installs.install(sb.instances.get(INSTANCE), manifest_from_json(m), STORE,
                        sha256="ab" * 32)
    return sb.app_token(INSTANCE, SLUG, ttl=3600)


@pytest.fixture(scope="module", params=BACKENDS)
def run(request, tmp_path_factory, js_dir):
    folder = tmp_path_factory.mktemp("js-cozy-client")
    url = url_for_backend(request, folder, "jscc")
    with LiveServer(Settings(database_url=url, files_dir=str(folder / "files"))) as server:
        sb = server.sandbox
        sb.instances.create(INSTANCE)
        seeder = sb.cli_token(INSTANCE, f"{DT_BIG} {DT_POLICY} {DT_SECRET}", ttl=3600)
        _bulk(server, seeder, DT_BIG, [{"_id": f"doc-{i:03d}", "n": i, "group": "abc"[i % 3],
                                        "label": f"Label {i}"} for i in range(N)])
        _bulk(server, seeder, DT_POLICY, [{"_id": f"p{i}", "n": i} for i in range(1, 6)])
        _bulk(server, seeder, DT_SECRET, [{"_id": "secret-1", "n": 1}])
        env = {"SANDBOX_URL": server.url, "SANDBOX_TOKEN": _install(server),
               "SANDBOX_TOKEN_READ": sb.cli_token(INSTANCE, f"{DT_RW}:GET", ttl=3600),
               "APP_SLUG": SLUG, "DT_BIG": DT_BIG, "DT_RW": DT_RW, "DT_POLICY": DT_POLICY,
               "DT_BOOKS": DT_BOOKS, "DT_AUTHORS": DT_AUTHORS, "DT_SECRET": DT_SECRET}
        yield run_checks(js_dir, "cozy_client.js", env), sb


def result(run, name):
    return check_result(run[0], "cozy_client.js", name)


def refused(err: dict, status: int) -> None:
    assert err["threw"] is True, f"expected an error {status}, got {err.get('value')!r}"
    assert err["name"] == "FetchError" and err["status"] == status, err


def journal(run, doctype: str, route: str) -> list:
    sb = run[1]
    inst = sb.instances.get(INSTANCE)
    return [e for e in sb.journal.entries(inst.id, doctype=doctype, limit=10_000)
            if e.route == route]


# ---- queries ------------------------------------------------------------------------------------

def test_query_creates_its_missing_index_then_finds(run):
    r = result(run, "query_where_index_sort_limit")
    assert r["ns"] == [259, 256, 253, 250, 247] and r["types"] == [DT_BIG]
    assert r["next"] is True
    assert r["before"] == []
    # the missing-index flow: a find naming the index (404), a look for the same fields under
    # another name, the index created, a probe (limit 1) usable at once (no retry after a
    # sleep), the find again
    assert r["requests"] == [FIND, f"GET /data/{DT_BIG}/_design_docs",
                             f"POST /data/{DT_BIG}/_index", FIND, FIND]
    assert r["after"] == [{"id": "_design/by_group_and_n",
                           "fields": {"group": "asc", "n": "asc"}}]


def test_a_second_query_on_the_same_fields_reuses_the_index(run):
    r = result(run, "query_index_reused")
    assert r["ns"] == [0, 3, 6, 9] and r["requests"] == [FIND]


def test_a_partial_index_is_created_and_probed_without_a_stray_index(run):
    r = result(run, "query_partial_index")
    assert r["ns"] == [2, 5, 8]
    # the probe after creating it ({n: {$gt: null}} naming the index) uses it at once, as
    # CouchDB does: no second index without the filter
    assert r["requests"] == [FIND, f"GET /data/{DT_BIG}/_design_docs",
                             f"POST /data/{DT_BIG}/_index", FIND, FIND]
    assert r["indexes"] == ["_design/by_group_and_n", "_design/by_n_filter_(group_c)"]


def test_get_by_id_and_ids(run):
    r = result(run, "query_get_by_id")
    assert r["one"] == {"_id": "doc-042", "n": 42, "type": DT_BIG}
    assert r["many"] == ["doc-001", "doc-003"]


def test_limit_by_pages_and_query_all_walks_them(run):
    assert result(run, "query_all_pages_of_query") == {"count": 50, "next": True}
    r = result(run, "queryAll_where")
    assert r["count"] == r["unique"] == len(ALL_IDS[2::3]) and r["ids"] == ALL_IDS[2::3]
    whole = result(run, "queryAll_whole_doctype")
    assert whole["count"] == N and sorted(whole["ids"]) == ALL_IDS


# ---- fetch policies -----------------------------------------------------------------------------

def test_fetch_policy_serves_from_the_store_within_its_window(run):
    r = result(run, "fetch_policy")
    find = f"POST /data/{DT_POLICY}/_find"
    assert r["first"]["ns"] == [1, 2, 3, 4, 5] and r["first"]["requests"][-1] == find
    assert r["state1"]["status"] == "loaded" and r["state1"]["ns"] == [1, 2, 3, 4, 5]
    # within the window: no request at all, the store keeps the result and its time
    assert r["second"] == {"returned": None, "requests": []}
    assert r["state2"] == r["state1"]
    assert r["never"] == {"returned": None, "requests": []}
    # past the window: fetched again
    assert r["third"] == {"ns": [1, 2, 3, 4, 5], "requests": [find]}
    assert r["state3"] == {"status": "loaded", "newer": True}
    # the server saw the index probe (1 doc) and two queries (5 docs), not a third
    finds = sorted(journal(run, DT_POLICY, "_find"), key=lambda e: e.at)
    assert [e.count for e in finds] == [1, 5, 5] and {e.client for e in finds} == {SLUG}


# ---- save / destroy -----------------------------------------------------------------------------

def test_save_creates_with_post(run):
    r = result(run, "save_create")
    doc = r["doc"]
    assert r["requests"] == [f"POST /data/{DT_RW}/"]
    assert (doc["_type"], doc["title"], doc["amount"]) == (DT_RW, "Facture EDF", 42.5)
    assert doc["id"] == doc["_id"] and REV.match(doc["_rev"]) and doc["_rev"].startswith("1-")


def test_save_updates_with_put(run):
    created = result(run, "save_create")["doc"]
    r = result(run, "save_update")
    assert r["requests"] == [f"PUT /data/{DT_RW}/{created['_id']}"]
    assert r["doc"]["_id"] == created["_id"] and r["doc"]["_rev"].startswith("2-")
    assert r["stored"]["amount"] == 43 and r["stored"]["_rev"] == r["doc"]["_rev"]


def test_save_with_a_stale_rev_is_a_conflict(run):
    r = result(run, "save_stale_rev")
    refused(r["err"], 409)
    assert r["storedAmount"] == 43 and r["storedRev"].startswith("2-")


def test_save_with_an_id_then_again_conflicts(run):
    r = result(run, "save_with_id")
    assert r["doc"]["_id"] == "fixed-id" and r["doc"]["rev"].startswith("1-")
    refused(r["again"], 409)


def test_destroy_deletes_with_the_rev(run):
    updated = result(run, "save_update")["doc"]
    r = result(run, "destroy")
    assert r["requests"] == [f"DELETE /data/{DT_RW}/{updated['_id']}"]
    assert r["gone"]["_deleted"] is True and r["gone"]["_rev"].startswith("3-")
    refused(r["after"], 404)
    assert r["fromQuery"] in ({"data": None}, {"status": 404})
    stale = result(run, "destroy_stale")
    refused(stale["err"], 409)
    assert stale["still"] is True


def test_has_many_relationship_is_included_and_hydrated(run):
    r = result(run, "relationships_has_many")
    assert r["title"] == "Lettres" and r["authors"] == ["Victor Hugo", "George Sand"]
    assert r["stored"] == {"authors": {"data": [{"_id": i, "_type": DT_AUTHORS}
                                                for i in r["ids"]]}}
    # the book, then its authors in one request
    assert len(r["requests"]) == 2 and r["requests"][0].startswith(f"GET /data/{DT_BOOKS}/")
    assert r["requests"][1] == f"POST /data/{DT_AUTHORS}/_all_docs"


# ---- fetchJSON on the stack's routes ------------------------------------------------------------

def test_settings_routes(run):
    inst = result(run, "settings_instance")
    assert (inst["type"], inst["id"]) == ("io.cozy.settings", "io.cozy.settings.instance")
    assert (inst["attributes"]["locale"], inst["attributes"]["tz"]) == ("fr", "Europe/Paris")
    assert inst["links"] == {"self": "/settings/instance"}
    caps = result(run, "settings_capabilities")
    assert caps["id"] == "io.cozy.settings.capabilities"
    assert caps["attributes"]["file_versioning"] is False
    assert caps["attributes"]["flat_subdomains"] is False
    ctx = result(run, "settings_context")
    assert ctx["id"] == "io.cozy.settings.context"
    assert ctx["attributes"]["default_redirection"] == "home/"
    disk = result(run, "settings_disk_usage")
    assert disk["id"] == "io.cozy.settings.disk-usage"
    assert disk["attributes"]["used"] == "0" and int(disk["attributes"]["quota"]) > 0


def test_apps_konnectors_triggers_files_permissions(run):
    apps = result(run, "apps")
    assert apps["ids"] == [f"io.cozy.apps/{SLUG}"] and apps["slugs"] == [SLUG]
    assert result(run, "app") == {"type": "io.cozy.apps", "id": f"io.cozy.apps/{SLUG}",
                                  "slug": SLUG, "state": "ready"}
    assert result(run, "konnectors") == {"data": [], "links": {}, "meta": {"count": 0}}
    assert result(run, "triggers") == {"data": [], "links": {}, "meta": {"count": 0}}
    assert result(run, "root_dir") == {"type": "io.cozy.files", "id": "io.cozy.files.root-dir",
                                       "attrType": "directory", "path": "/"}
    perms = result(run, "permissions_self")
    assert perms["type"] == "io.cozy.permissions"
    assert perms["sourceId"] == f"io.cozy.apps/{SLUG}"
    assert perms["types"] == sorted([DT_BIG, DT_RW, DT_POLICY, DT_BOOKS, DT_AUTHORS,
                                     "io.cozy.apps", "io.cozy.konnectors",
                                     "io.cozy.triggers", "io.cozy.files",
                                     "io.cozy.notifications"])


def test_a_notification_is_stored_and_readable(run):
    r = result(run, "notification")
    posted = r["posted"]
    a = posted["attributes"]
    assert posted["type"] == "io.cozy.notifications"
    assert (a["category"], a["title"], a["slug"], a["originator"]) == (
        "balance", "Solde bas", SLUG, "app")
    assert r["stored"]["_id"] == posted["id"] and r["stored"]["message"] == \
        "Votre solde est de 12 €"
    sb = run[1]
    shown = sb.notifications.recent(sb.instances.get(INSTANCE))
    assert [(n["_id"], n["title"]) for n in shown] == [(posted["id"], "Solde bas")]
    refused(result(run, "notification_unknown_category"), 403)


def test_q_on_settings_reads_the_stack_route(run):
    r = result(run, "q_settings")
    assert r["requests"] == ["GET /settings/instance", "GET /settings/capabilities"]
    assert (r["id"], r["type"], r["locale"], r["tz"]) == (
        "io.cozy.settings.instance", "io.cozy.settings", "fr", "Europe/Paris")
    assert r["flat"] is False


def test_q_on_apps_konnectors_triggers(run):
    r = result(run, "q_apps_konnectors_triggers")
    assert r["requests"] == ["GET /apps/", f"GET /apps/{SLUG}", "GET /konnectors/",
                             "GET /jobs/triggers"]
    assert r["apps"] == [f"io.cozy.apps/{SLUG}"]
    assert r["app"] == {"_id": f"io.cozy.apps/{SLUG}", "slug": SLUG}
    assert r["konnectors"] == {"data": [], "next": False}
    assert r["triggers"] == {"data": [], "next": False}


def test_files_saved_and_queried_through_cozy_client(run):
    r = result(run, "q_files")
    assert r["made"] == ["POST /files/io.cozy.files.root-dir"]
    dir_ = r["dir"]
    assert (dir_["name"], dir_["path"], dir_["dirId"]) == ("Factures", "/Factures",
                                                           "io.cozy.files.root-dir")
    # FileCollection.find: /files/_find, its index made through /data/io.cozy.files
    assert r["requests"] == ["POST /files/_find", "GET /data/io.cozy.files/_design_docs",
                             "POST /data/io.cozy.files/_index", "POST /files/_find",
                             "POST /files/_find", "GET /files/io.cozy.files.root-dir"]
    # a Mango query sees the trash (a directory of the root); the root's listing hides it
    assert r["found"] == [{"_id": dir_["_id"], "name": "Factures"},
                          {"_id": "io.cozy.files.trash-dir", "name": ".cozy_trash"}]
    assert r["root"] == {"_id": "io.cozy.files.root-dir", "path": "/",
                         "contents": [dir_["_id"]]}


# ---- hostile: rights the token does not have ----------------------------------------------------

def test_a_doctype_the_app_lacks_is_a_403_error(run):
    r = result(run, "forbidden_query")
    refused(r["err"], 403)
    assert r["status"] == "failed"
    refused(result(run, "forbidden_find"), 403)
    refused(result(run, "forbidden_get"), 403)
    refused(result(run, "forbidden_save"), 403)
    refused(result(run, "forbidden_fetchJSON"), 403)
    sb = run[1]
    denied = [e for e in sb.journal.entries(sb.instances.get(INSTANCE).id, doctype=DT_SECRET)
              if e.client == SLUG]
    assert denied and all(e.verb == "DENIED" for e in denied)


def test_notifications_are_written_only_through_their_route(run):
    # as on the stack (its blockList): /data/io.cozy.notifications is read-only
    refused(result(run, "notification_through_data"), 403)


def test_a_read_only_token_reads_but_cannot_write(run):
    r = result(run, "read_only_token")
    assert r["read"] == ["fixed-id"] and r["settings"] == "io.cozy.settings.instance"
    refused(r["save"], 403)
    refused(r["destroy"], 403)
    refused(r["triggers"], 403)
