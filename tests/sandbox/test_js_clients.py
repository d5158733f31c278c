"""The real Cozy JS clients against a live sandbox (reference §6: what they send and parse).

``tests/sandbox/js/stack_client.js`` drives cozy-stack-client's DocumentCollection and
``client_js.js`` the older cozy-client-js used by the MesInfos apps. Each prints one JSON line per
check; the assertions live here. The Node packages are installed by the module fixture from the
committed lock (``npm ci``, see :func:`tests.support.node.js_packages`); without Node or
npm the tests skip locally and fail in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from sandbox.settings import Settings
from tests.support.backends import BACKENDS, url_for_backend
from tests.support.node import JsSetupError, check_result, js_packages
from tests.support.requirements import require
from tests.support.served import LiveServer

pytestmark = pytest.mark.node

DT_BIG, DT_RW, DT_BULK, DT_NONE, DT_OLD = (f"test.js.{n}" for n in
                                           ("big", "rw", "bulk", "none", "old"))
REV = re.compile(r"^\d+-[0-9a-f]{32}$")
N = 260  # > 250: three pages of 100 for all(), two bookmarks for findAll
ALL_IDS = [f"doc-{i:03d}" for i in range(N)]


@pytest.fixture(scope="module")
def js_dir() -> Path:
    try:
        return js_packages()
    except JsSetupError as exc:
        require(False, str(exc))
        raise


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    url = url_for_backend(request, tmp_path_factory.mktemp("js-live"), "js")
    with LiveServer(Settings(database_url=url)) as server:
        yield server


def seed(server: LiveServer) -> dict[str, str]:
    """An instance, two tokens and 260 docs in DT_BIG; the scripts' environment."""
    sb = server.sandbox
    sb.instances.create("jsclient")
    token = sb.cli_token("jsclient", " ".join((DT_BIG, DT_RW, DT_BULK, DT_NONE, DT_OLD)))
    docs = [{"_id": f"doc-{i:03d}", "n": i, "group": "abc"[i % 3], "label": f"Label {i}"}
            for i in range(N)]
    r = httpx.post(f"{server.url}/data/{DT_BIG}/_bulk_docs", json={"docs": docs},
                   headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert r.status_code == 201 and all(row.get("ok") for row in r.json()), r.text[:500]
    return {"SANDBOX_URL": server.url, "SANDBOX_TOKEN": token,
            "SANDBOX_TOKEN_NARROW": sb.cli_token("jsclient", f"{DT_RW}:GET"),
            "DT_BIG": DT_BIG, "DT_RW": DT_RW, "DT_BULK": DT_BULK, "DT_NONE": DT_NONE,
            "DT_OLD": DT_OLD}


def run_script(js_dir: Path, script: str, env: dict[str, str]) -> dict[str, dict]:
    done = subprocess.run(["node", script], cwd=js_dir, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    out = {line["check"]: line for line in lines}
    assert done.returncode == 0 and "fatal" not in out, (
        f"node {script} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return out


@pytest.fixture(scope="module")
def runs(js_dir, server) -> dict[str, dict[str, dict]]:
    env = seed(server)
    stack = run_script(js_dir, "stack_client.js", env)
    legacy = run_script(js_dir, "client_js.js", env)
    return {"stack": stack, "legacy": legacy}


def result(runs, script: str, check: str):
    return check_result(runs[script], script, check)


def stack(runs, check):
    return result(runs, "stack", check)


def legacy(runs, check):
    return result(runs, "legacy", check)


def refused(err: dict, status: int) -> None:
    assert err["threw"] is True, f"expected an error {status}, got {err.get('value')!r}"
    assert err["status"] == status, err


# ---- cozy-stack-client: all() -----------------------------------------------------------------

def test_all_first_page_is_100_normalised_docs(runs):
    r = stack(runs, "all_default")
    assert r["ids"] == ALL_IDS[:100]
    assert r["count"] == N and r["next"] is True and r["typed"] is True


def test_all_with_skip_walks_three_pages(runs):
    pages = stack(runs, "all_skip")
    assert [p["ids"] for p in pages] == [ALL_IDS[:100], ALL_IDS[100:200], ALL_IDS[200:]]
    assert [p["next"] for p in pages] == [True, True, False]
    assert all(p["count"] == N for p in pages)


def test_all_with_bookmarks_returns_every_doc_once(runs):
    pages = stack(runs, "all_bookmark")
    assert [len(p["ids"]) for p in pages] == [100, 100, 60]
    assert [i for p in pages for i in p["ids"]] == ALL_IDS
    assert [p["next"] for p in pages] == [True, True, False]


def test_all_with_keys_and_without_limit_use_all_docs(runs):
    assert stack(runs, "all_keys")["ids"] == ["doc-001", "doc-002"]
    assert stack(runs, "all_keys")["count"] == 2
    assert stack(runs, "all_limit_null")["ids"] == ALL_IDS


def test_all_on_a_doctype_without_database_is_empty(runs):
    assert stack(runs, "all_no_database") == {"data": [], "count": 0, "next": False}


# ---- get / getAll -----------------------------------------------------------------------------

def test_get_returns_the_normalised_document(runs):
    doc = stack(runs, "get")
    assert REV.match(doc.pop("_rev"))
    assert doc == {"id": "doc-007", "_id": "doc-007", "_type": DT_BIG, "n": 7, "group": "b",
                   "label": "Label 7"}


def test_get_of_a_missing_doc_or_database_gives_null(runs):
    assert stack(runs, "get_missing") == {"data": None}
    assert stack(runs, "get_no_database") == {"data": None}


def test_get_all_keeps_found_docs_only(runs):
    assert stack(runs, "getAll") == {"ids": ["doc-001", "doc-005"], "count": 2, "ns": [1, 5]}
    assert stack(runs, "getAll_no_database") == {"data": []}


# ---- find ---------------------------------------------------------------------------------------

def test_find_creates_its_missing_index_and_succeeds_first_time(runs):
    r = stack(runs, "find_missing_index")
    assert r["before"] == []
    assert "_design/by_group" in r["after"]
    assert sorted(r["ids"]) == ALL_IDS[0::3] and r["next"] is False


def test_find_with_sort_and_fields(runs):
    r = stack(runs, "find_sort_fields")
    assert [d["n"] for d in r["docs"]] == [259, 256, 253, 250, 247]
    # fields + the _id/_rev the client adds; id and _type come from normalizeDoc
    assert all(d["keys"] == ["_id", "_rev", "_type", "group", "id", "n"] for d in r["docs"])
    assert r["next"] is True


def test_find_pagination_by_bookmark_and_skip(runs):
    r = stack(runs, "find_pagination")
    group_c = ALL_IDS[2::3]
    assert len(r["first"]["ids"]) == 50 and r["first"]["next"] is True
    assert sorted(r["first"]["ids"] + r["second"]["ids"]) == group_c
    assert r["second"]["next"] is False
    assert r["skipped"]["ids"] == r["second"]["ids"]


def test_find_all_follows_bookmarks_over_260_docs(runs):
    r = stack(runs, "findAll")
    assert r["unique"] == N and sorted(r["ids"]) == ALL_IDS


def test_find_on_a_doctype_without_database_is_empty(runs):
    assert stack(runs, "find_no_database") == {"data": [], "next": False}


def test_index_helpers_create_list_copy_destroy(runs):
    r = stack(runs, "indexes")
    assert r["created"]["id"].startswith("_design/") and r["created"]["fields"] == ["label"]
    assert r["again"]["id"] == r["created"]["id"]
    assert r["named"] == {"id": "_design/by_custom", "fields": ["n", "group"]}
    listed = {i["_id"]: i for i in r["listed"]}
    assert {"_design/by_custom", "_design/by_group", r["created"]["id"]} <= set(listed)
    assert all(i["hasRev"] and i["language"] == "query" and len(i["views"]) == 1
               for i in listed.values())
    assert r["copy"] == {"ok": True, "id": "_design/by_copy", "hasRev": True}
    assert "_design/by_copy" in r["withCopy"]
    assert r["viaCopy"] == ALL_IDS[251:]
    assert r["destroyed"] == {"ok": True, "id": "_design/by_copy"}
    assert "_design/by_copy" not in r["afterDestroy"] and "_design/by_custom" in r["afterDestroy"]


# ---- writes -----------------------------------------------------------------------------------

def test_create_without_and_with_id(runs):
    doc = stack(runs, "create_without_id")
    assert re.fullmatch(r"[0-9a-f]{32}", doc["_id"]) and doc["id"] == doc["_id"]
    assert doc["_rev"].startswith("1-") and REV.match(doc["_rev"])
    assert doc["_type"] == DT_RW and doc["title"] == "hello" and doc["nested"] == {"a": [1, 2]}
    fixed = stack(runs, "create_with_id")
    assert fixed["_id"] == "fixed-1" and fixed["_rev"].startswith("1-")
    assert fixed["title"] == "fixed" and fixed["_type"] == DT_RW
    refused(stack(runs, "create_duplicate_id"), 409)


def test_update_then_stale_update_conflicts(runs):
    r = stack(runs, "update")
    assert r["updated"]["_rev"].startswith("2-") and r["updated"]["title"] == "changed"
    assert r["reread"]["_rev"] == r["updated"]["_rev"] and r["reread"]["title"] == "changed"
    err = stack(runs, "conflict")
    refused(err, 409)
    assert err["reason"]["error"] == "conflict" and "conflict" in err["message"]


def test_destroy_then_get_is_null_and_stale_destroy_conflicts(runs):
    r = stack(runs, "destroy")
    assert r["destroyed"]["_deleted"] is True and r["destroyed"]["_rev"].startswith("3-")
    assert r["after"] == {"data": None}
    refused(stack(runs, "destroy_stale"), 409)


def test_update_all_and_destroy_all_use_bulk_docs(runs):
    r = stack(runs, "updateAll")
    assert [x["ok"] for x in r["first"]] == [True] * 3
    assert [x["id"] for x in r["first"]][:2] == ["b1", "b2"]
    assert all(REV.match(x["rev"]) and x["rev"].startswith("1-") for x in r["first"])
    assert all(x["ok"] and x["rev"].startswith("2-") for x in r["second"])
    assert r["stale"] == [{"id": "b1", "error": "conflict", "reason": "Document update conflict."}]
    assert [d["v"] for d in r["after"]] == [10, 20, 30]
    assert r["empty"] == []
    d = stack(runs, "destroyAll")
    assert len(d["res"]) == 3 and all(x["ok"] and x["rev"].startswith("3-") for x in d["res"])
    assert d["after"] == [] and d["count"] == 0


def test_fetch_changes(runs):
    r = stack(runs, "fetchChanges")
    destroyed = stack(runs, "create_without_id")["_id"]
    assert r["all"]["ids"] == ["fixed-1"]  # the destroyed doc is filtered out by the client
    assert r["since"]["ids"] == [r["created"]]
    assert r["since"]["lastSeq"] != r["all"]["lastSeq"]
    assert r["byIds"] == ["fixed-1"]
    assert r["raw"]["keys"] == ["last_seq", "pending", "results"]
    assert destroyed in r["raw"]["deleted"]
    assert {"id", "seq", "changes", "doc"} <= set(r["raw"]["rowKeys"])


def test_tokens_without_the_doctype_or_verb_get_403(runs):
    r = stack(runs, "forbidden")
    for what in ("all", "get", "find", "create"):
        refused(r[what], 403)
    assert r["allowedGet"] == "fixed-1"


def test_bad_token_gives_400_that_the_client_reads_as_invalid_token(runs):
    err = stack(runs, "bad_token")
    refused(err, 400)
    assert re.search(r"Invalid JWT token|Invalid token|Expired token", err["message"])


# ---- cozy-client-js ---------------------------------------------------------------------------

def test_legacy_client_sees_a_v3_stack(runs):
    assert legacy(runs, "isV2") is False


def test_legacy_create_find_update_delete(runs):
    created = legacy(runs, "create")
    assert created["_type"] == DT_OLD and created["title"] == "a" and REV.match(created["_rev"])
    fixed = legacy(runs, "create_with_id")
    assert fixed["_id"] == "old-1" and fixed["keep"] == "me"
    found = legacy(runs, "find")
    assert found == fixed
    refused(legacy(runs, "find_missing"), 404)
    updated = legacy(runs, "update")
    # cozy-client-js sends {_id, _rev, ...changes} only: "keep" is gone
    assert updated["title"] == "c" and "keep" not in updated and updated["_rev"].startswith("2-")
    refused(legacy(runs, "update_stale"), 409)
    merged = legacy(runs, "updateAttributes")
    assert merged["title"] == "c" and merged["extra"] == 1 and merged["_rev"].startswith("3-")
    deleted = legacy(runs, "delete")
    assert deleted["r"]["ok"] is True and deleted["r"]["rev"].startswith("2-")
    refused(deleted["after"], 404)
    assert deleted["after"]["reason"]["reason"] == "deleted"


def test_legacy_find_many_and_find_all(runs):
    many = legacy(runs, "findMany")
    assert many["doc-001"]["doc"]["n"] == 1 and many["nope"] == {"error": "not_found"}
    assert legacy(runs, "findMany_no_database") == {"keys": ["a"], "status": 404}
    r = legacy(runs, "findAll")
    assert r["ids"] == ALL_IDS  # design docs (indexes exist by now) are left out
    assert legacy(runs, "findAll_no_database") == []


def test_legacy_changes_feed(runs):
    r = legacy(runs, "changesFeed")
    deleted = legacy(runs, "create")["_id"]
    assert r["keys"] == ["last_seq", "pending", "results"]
    assert sorted(r["ids"]) == sorted(["old-1", deleted]) and r["deleted"] == [deleted]


def test_legacy_define_index_and_query(runs):
    r = legacy(runs, "defineIndex_query")
    assert r["ref"]["type"] == "mango" and r["ref"]["name"].startswith("_design/")
    assert r["again"] == r["ref"]
    assert r["docs"] == [{"label": "Label 98", "n": 98}, {"label": "Label 99", "n": 99}]
    assert r["desc"] == ["Label 99", "Label 98", "Label 97"]
    assert r["whole"] == {"keys": ["bookmark", "docs", "limit", "next"], "n": 10, "next": True}


def test_legacy_bad_token(runs):
    err = legacy(runs, "bad_token")
    refused(err, 400)
    assert "Invalid JWT token" in err["reason"]["error"]
