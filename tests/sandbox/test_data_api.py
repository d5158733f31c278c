"""The /data API against the stack's conformance checklist (reference §6.6), on both backends."""

import re

DT = "test.notes"
REV = re.compile(r"^\d+-[0-9a-f]{32}$")


def test_status_has_no_datasystem_key(client):
    r = client.get("/status/")
    assert r.status_code == 200 and r.json()["status"] == "OK"
    assert "datasystem" not in r.json()
    assert r.headers["content-type"].startswith("application/json")


def test_create_returns_201_with_data_and_type(alice):
    r = alice.post(f"/data/{DT}/", {"title": "hello"})
    assert r.status_code == 201
    body = r.json()
    assert body["ok"] is True and body["type"] == DT
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"]) and REV.match(body["rev"])
    assert body["data"] == {"_id": body["id"], "_rev": body["rev"], "_type": DT,
                            "title": "hello"}


def test_create_refuses_an_id_and_bad_json(alice):
    r = alice.post(f"/data/{DT}/", {"_id": "x"})
    assert r.status_code == 400 and r.json()["error"] == "defined_id"
    r = alice.c.post(f"/data/{DT}/", headers=alice.h, content=b"{not json")
    assert r.status_code == 400 and "invalid UTF-8 JSON" in r.json()["reason"]
    r = alice.post(f"/data/{DT}/", ["not", "an", "object"])
    assert r.status_code == 400


def test_get_returns_the_bare_doc_with_type_and_404_shapes(alice):
    assert alice.get(f"/data/{DT}/nope").json() == {
        "ok": False, "status": "404", "error": "not_found", "reason": "wrong_doctype"}
    created = alice.post(f"/data/{DT}/", {"a": 1}).json()
    r = alice.get(f"/data/{DT}/{created['id']}")
    assert r.status_code == 200
    assert r.json() == {"_id": created["id"], "_rev": created["rev"], "_type": DT, "a": 1}
    missing = alice.get(f"/data/{DT}/nope")
    assert missing.status_code == 404 and missing.json()["reason"] == "missing"
    assert alice.get(f"/data/{DT}/_weird").json()["error"] == "bad_id"


def test_put_fixed_id_create_update_conflict_and_mismatch(alice):
    r = alice.put(f"/data/{DT}/my-id", {"v": 1})
    assert r.status_code == 200 and r.json()["id"] == "my-id"
    rev1 = r.json()["rev"]
    assert rev1.startswith("1-")
    assert alice.put(f"/data/{DT}/my-id", {"v": 9}).status_code == 409  # exists, no rev
    r = alice.put(f"/data/{DT}/my-id", {"_id": "my-id", "_rev": rev1, "v": 2})
    assert r.status_code == 200 and r.json()["rev"].startswith("2-")
    assert r.json()["data"]["v"] == 2
    stale = alice.put(f"/data/{DT}/my-id", {"_id": "my-id", "_rev": rev1, "v": 3})
    assert stale.status_code == 409
    assert stale.json() == {"ok": False, "status": "409", "error": "conflict",
                            "reason": "Document update conflict."}
    assert alice.put(f"/data/{DT}/my-id", {"_id": "other", "_rev": rev1}).status_code == 400
    only_rev = alice.put(f"/data/{DT}/my-id", {"_rev": rev1})
    assert only_rev.status_code == 400 and "either provide" in only_rev.json()["reason"]
    # a full replacement, not a merge
    r = alice.put(f"/data/{DT}/my-id", {"_id": "my-id", "_rev": r.json()["rev"], "w": 1})
    assert "v" not in alice.get(f"/data/{DT}/my-id").json()


def test_type_in_a_put_body_is_dropped_and_slash_ids_work(alice):
    r = alice.put(f"/data/{DT}/with%2Fslash", {"_type": "other", "v": 1})
    assert r.status_code == 200
    doc = alice.get(f"/data/{DT}/with%2Fslash").json()
    assert doc["_id"] == "with/slash" and doc["_type"] == DT


def test_delete_needs_a_rev_and_leaves_a_tombstone(alice):
    c = alice.post(f"/data/{DT}/", {"a": 1}).json()
    r = alice.delete(f"/data/{DT}/{c['id']}")
    assert r.status_code == 400 and "delete without revision" in r.text
    assert alice.delete(f"/data/{DT}/{c['id']}?rev=1-{'0' * 32}").status_code == 409
    r = alice.delete(f"/data/{DT}/{c['id']}", headers={**alice.h, "If-Match": c["rev"]})
    assert r.status_code == 200
    body = r.json()
    assert body["deleted"] is True and body["rev"].startswith("2-") and body["id"] == c["id"]
    gone = alice.get(f"/data/{DT}/{c['id']}")
    assert gone.status_code == 404 and gone.json()["reason"] == "deleted"
    # the id can be used again; the generation continues from the tombstone
    again = alice.put(f"/data/{DT}/{c['id']}", {"b": 2})
    assert again.status_code == 200 and again.json()["rev"].startswith("3-")


def test_normal_docs_pagination_and_limits(alice):
    for i in range(25):
        alice.put(f"/data/{DT}/d{i:02d}", {"i": i})
    alice.post(f"/data/{DT}/_index", {"index": {"fields": ["i"]}, "ddoc": "by_i"})
    r = alice.get(f"/data/{DT}/_normal_docs?limit=10").json()
    assert [d["i"] for d in r["rows"]] == list(range(10))
    assert r["total_rows"] == 25 and r["bookmark"]
    assert all("_type" not in d for d in r["rows"])
    r2 = alice.get(f"/data/{DT}/_normal_docs?limit=10&bookmark={r['bookmark']}").json()
    assert [d["i"] for d in r2["rows"]] == list(range(10, 20))
    r3 = alice.get(f"/data/{DT}/_normal_docs?limit=10&skip=20").json()
    assert [d["i"] for d in r3["rows"]] == list(range(20, 25)) and r3["bookmark"] == ""
    assert len(alice.get(f"/data/{DT}/_normal_docs?limit=5000").json()["rows"]) == 25  # → 100
    assert len(alice.get(f"/data/{DT}/_normal_docs?limit=-3").json()["rows"]) == 25


def test_all_docs_get_and_post_with_keys_and_missing_rows(alice):
    alice.put(f"/data/{DT}/a", {"v": 1})
    b = alice.put(f"/data/{DT}/b", {"v": 2}).json()
    alice.delete(f"/data/{DT}/b?rev={b['rev']}")
    r = alice.post(f"/data/{DT}/_all_docs?include_docs=true", {"keys": ["a", "b", "zz"]}).json()
    rows = r["rows"]
    assert rows[0]["doc"]["v"] == 1 and rows[0]["value"]["rev"].startswith("1-")
    assert rows[1]["value"]["deleted"] is True and rows[1]["doc"] is None
    assert rows[2] == {"key": "zz", "error": "not_found"}
    r = alice.get(f'/data/{DT}/_all_docs?include_docs=true&keys=["a"]').json()
    assert [row["id"] for row in r["rows"]] == ["a"]
    r = alice.post(f"/data/{DT}/_all_docs?include_docs=true", {}).json()
    assert [row["id"] for row in r["rows"]] == ["a"] and r["total_rows"] == 1


def test_find_index_flow_sort_fields_limit_and_bookmarks(alice):
    for i in range(30):
        alice.post(f"/data/{DT}/", {"n": i, "kind": "even" if i % 2 == 0 else "odd",
                                    "nested": {"x": i % 3}})
    q = {"selector": {"kind": "even"}, "use_index": "_design/by_kind"}
    r = alice.post(f"/data/{DT}/_find", q)
    assert r.status_code == 400 and r.json()["error"] == "no_index"
    r = alice.post(f"/data/{DT}/_index", {"index": {"fields": ["kind", "n"]},
                                         "ddoc": "by_kind_and_n"})
    assert r.json() == {"result": "created", "id": "_design/by_kind_and_n",
                        "name": r.json()["name"]}
    assert alice.post(f"/data/{DT}/_index", {"index": {"fields": ["kind", "n"]},
                                            "ddoc": "by_kind_and_n"}).json()["result"] == "exists"
    r = alice.post(f"/data/{DT}/_find", {
        "selector": {"kind": "even", "n": {"$gte": 10}}, "use_index": "_design/by_kind_and_n",
        "sort": [{"kind": "desc"}, {"n": "desc"}], "fields": ["n"], "limit": 3, "skip": 0}).json()
    assert [d["n"] for d in r["docs"]] == [28, 26, 24]
    assert set(r["docs"][0]) == {"n"} and r["next"] is True and r["limit"] == 3
    seen, bookmark = [], None
    while True:
        body = {"selector": {"kind": "odd", "n": {"$gt": None}}, "limit": 4,
                "use_index": "_design/by_kind_and_n"}
        if bookmark:
            body["bookmark"] = bookmark
        page = alice.post(f"/data/{DT}/_find", body).json()
        seen += [d["n"] for d in page["docs"]]
        bookmark = page["bookmark"]
        if not page["next"]:
            break
    assert seen == list(range(1, 30, 2))
    big = alice.post(f"/data/{DT}/_find", {"selector": {"kind": "odd", "n": {"$gte": 0}},
                                          "limit": 5000}).json()
    assert big["limit"] == 100 and len(big["docs"]) == 15
    # an index whose columns the selector does not require cannot serve it
    r = alice.post(f"/data/{DT}/_find", {"selector": {"kind": "odd"}})
    assert r.status_code == 400 and r.json()["error"] == "no_index"
    r = alice.post(f"/data/{DT}/_find", {"selector": {"kind": "odd"}, "sort": ["nested.x"]})
    assert r.status_code == 400 and r.json()["error"] == "no_usable_index"
    wrong = alice.post(f"/data/{DT}/_find", {"selector": {"nested.x": 1},
                                            "use_index": "_design/by_kind_and_n"}).json()
    assert "was not used because it does not contain a valid index" in wrong.get(
        "warning", "") or wrong.get("error") == "no_index"


def test_find_on_id_needs_no_index_and_the_pilots_queries_work(alice):
    alice.put(f"/data/{DT}/x1", {"statementCategory": "linky"})
    alice.put(f"/data/{DT}/x2", {"statementCategory": "edelia"})
    r = alice.post(f"/data/{DT}/_find", {"selector": {"_id": {"$gte": None}}}).json()
    assert [d["_id"] for d in r["docs"]] == ["x1", "x2"]
    alice.post(f"/data/{DT}/_index", {"index": {"fields": ["_id", "statementCategory"]}})
    r = alice.post(f"/data/{DT}/_find", {"selector": {
        "_id": {"$gte": None}, "statementCategory": {"$ne": "edelia"}}}).json()
    assert [d["_id"] for d in r["docs"]] == ["x1"]


def test_design_docs_delete_and_copy(alice):
    alice.post(f"/data/{DT}/", {"label": "a"})
    alice.post(f"/data/{DT}/_index", {"index": {"fields": ["label"]}, "ddoc": "by_label"})
    rows = alice.get(f"/data/{DT}/_design_docs?include_docs=true").json()["rows"]
    assert len(rows) == 1 and rows[0]["doc"]["language"] == "query"
    view = next(iter(rows[0]["doc"]["views"].values()))
    assert list(view["map"]["fields"]) == ["label"]
    rev = rows[0]["value"]["rev"]
    r = alice.c.post(f"/data/{DT}/_design/by_label/copy?rev={rev}",
                     headers={**alice.h, "Destination": "_design/by_label2"})
    assert r.status_code == 201 and r.json()["id"] == "_design/by_label2"
    assert alice.delete(f"/data/{DT}/_design/by_label").status_code == 400
    assert alice.delete(f"/data/{DT}/_design/by_label?rev={rev}").status_code == 200
    q = {"selector": {"label": "a"}, "use_index": "_design/by_label2"}
    assert len(alice.post(f"/data/{DT}/_find", q).json()["docs"]) == 1


def test_bulk_docs_creates_updates_deletes_and_reports_per_doc(alice):
    d = alice.put(f"/data/{DT}/keep", {"v": 1}).json()
    r = alice.post(f"/data/{DT}/_bulk_docs", {"docs": [
        {"v": 10}, {"_id": "keep", "_rev": d["rev"], "v": 2},
        {"_id": "keep", "_rev": d["rev"], "v": 3}, "not a doc"]})
    assert r.status_code == 201
    res = r.json()
    assert res[0]["ok"] and res[1]["ok"] and res[2]["error"] == "conflict"
    assert "error" in res[3]
    r = alice.post(f"/data/{DT}/_bulk_docs", {"docs": [
        {"_id": "keep", "_rev": res[1]["rev"], "_deleted": True}]})
    assert r.json()[0]["ok"] and alice.get(f"/data/{DT}/keep").json()["reason"] == "deleted"
    assert alice.post(f"/data/{DT}/_bulk_docs", {"nope": []}).status_code == 400


def test_changes_feed(alice):
    a = alice.put(f"/data/{DT}/a", {"v": 1}).json()
    alice.put(f"/data/{DT}/b", {"v": 1})
    alice.delete(f"/data/{DT}/a?rev={a['rev']}")
    r = alice.get(f"/data/{DT}/_changes?include_docs=true").json()
    assert [x["id"] for x in r["results"]] == ["b", "a"]
    assert r["results"][1]["deleted"] is True and r["results"][0]["doc"]["v"] == 1
    since = r["results"][0]["seq"]
    r2 = alice.get(f"/data/{DT}/_changes?since={since}").json()
    assert [x["id"] for x in r2["results"]] == ["a"] and r2["last_seq"] == r["last_seq"]
    r3 = alice.get(f"/data/{DT}/_changes?limit=1").json()
    assert len(r3["results"]) == 1 and r3["pending"] == 1
    assert alice.get(f"/data/{DT}/_changes?bogus=1").status_code == 400
    r4 = alice.c.post(f"/data/{DT}/_changes?include_docs=true&filter=_doc_ids",
                      headers=alice.h, json={"doc_ids": ["b"]}).json()
    assert [x["id"] for x in r4["results"]] == ["b"]


def test_databases_create_info_drop_and_all_doctypes(alice):
    assert alice.put(f"/data/{DT}/").status_code == 201
    assert alice.put(f"/data/{DT}/").status_code == 400
    alice.post(f"/data/{DT}/", {"a": 1})
    info = alice.get(f"/data/{DT}/").json()
    assert info["doc_count"] == 1 and info["db_name"] == DT
    # every instance has its settings document and io.cozy.files (its root and trash
    # folders), as on the stack
    assert alice.get("/data/_all_doctypes").json() == ["io.cozy.files", "io.cozy.settings", DT]
    assert alice.delete(f"/data/{DT}/").json() == {"ok": True, "deleted": True}
    assert alice.get(f"/data/{DT}/_normal_docs").status_code == 404
    r = alice.post(f"/data/{DT}/_find", {"selector": {"_id": {"$gt": None}}})
    assert r.status_code == 404 and "not_found" in r.text


def test_welcome(client):
    assert client.get("/data/").json() == {"message": "welcome to a cozy API"}


def test_bulk_docs_batch_of_new_documents_keeps_order_and_reports_duplicates(alice):
    t = alice.put(f"/data/{DT}/tomb", {"v": 1}).json()
    alice.delete(f"/data/{DT}/tomb?rev={t['rev']}")
    alice.put(f"/data/{DT}/live", {"v": 1})
    docs = [{"n": 0}, {"_id": "x", "n": 1}, {"_id": "x", "n": 2}, {"_id": "live", "n": 3},
            {"_id": "tomb", "n": 4}, {"_id": "_bad", "n": 5}, {"n": 6}]
    res = alice.post(f"/data/{DT}/_bulk_docs", {"docs": docs}).json()
    assert [("ok" in r, r.get("error")) for r in res] == [
        (True, None), (True, None), (False, "conflict"), (False, "conflict"), (True, None),
        (False, "illegal_docid"), (True, None)]
    assert res[4]["rev"].startswith("3-")  # recreated over the tombstone: history kept
    assert alice.get(f"/data/{DT}/x").json()["n"] == 1
    ids = {d["_id"] for d in alice.get(f"/data/{DT}/_normal_docs").json()["rows"]}
    assert ids == {res[0]["id"], "x", "live", "tomb", res[6]["id"]}


def test_find_ranges_in_any_order_with_other_conditions_between(alice):
    for i in range(20):
        alice.post(f"/data/{DT}/", {"n": i, "kind": "even" if i % 2 == 0 else "odd",
                                    "s": f"k{i:02d}"})
    alice.post(f"/data/{DT}/_index", {"index": {"fields": ["kind", "n"]}})
    alice.post(f"/data/{DT}/_index", {"index": {"fields": ["kind", "s"]}})
    queries = [
        {"kind": "even", "n": {"$gte": 5, "$lt": 12}},
        {"$and": [{"n": {"$gte": 5}}, {"kind": "even"}, {"n": {"$lt": 12}}]},
        {"$and": [{"n": {"$lt": 12}}, {"kind": "even"}, {"n": {"$gte": 5}}]},
        {"kind": "even", "s": {"$gt": "k05", "$lte": "k11"}},
    ]
    for q in queries:
        r = alice.post(f"/data/{DT}/_find", {"selector": q, "execution_stats": True}).json()
        assert sorted(d["n"] for d in r["docs"]) == [6, 8, 10], q
        assert r["execution_stats"]["plan"] == "fast"



def test_a_path_with_a_control_character_is_refused_before_routing(alice):
    """Found by schemathesis: ``PUT /data/x/%0A`` reached ``PUT /data/{doctype}/`` (a route
    pattern's ``$`` matches before a final newline) and answered 201."""
    for path in (f"/data/{DT}/%0A", f"/data/{DT}/a%0D", f"/data/{DT}%00/x", "/files/%0A"):
        for method in ("GET", "PUT", "DELETE"):
            r = alice.c.request(method, path, headers=alice.h, content=b"{}")
            assert r.status_code == 400, (method, path, r.status_code)
            assert "control character" in r.json()["error"]
    assert alice.post(f"/data/{DT}/", {"title": "still fine"}).status_code == 201
