"""``/files``: folders, uploads, downloads, listings, rename and move, trash, as the stack
answers them (cozy-stack's web/files), with the hostile cases."""

from __future__ import annotations

import pytest

from tests.support.files import ROOT, TRASH, md5_b64, mkdir, pdf, upload


def _error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    err = r.json()["errors"][0]
    assert err["status"] == str(status)
    return err


def _names(r) -> list[str]:
    return [x["attributes"]["name"] for x in r.json()["included"]]


def test_a_new_instance_has_its_root_and_trash_readable_through_data(owner):
    root = owner.get(f"/files/{ROOT}").json()["data"]
    assert root["attributes"]["path"] == "/" and root["relationships"]["parent"] == {
        "data": None}
    assert root["relationships"]["contents"]["meta"]["count"] == 0  # the trash is hidden
    ids = [r["id"] for r in owner.get("/data/io.cozy.files/_all_docs").json()["rows"]]
    assert ids == [ROOT, TRASH]
    trash = owner.get(f"/data/io.cozy.files/{TRASH}").json()
    assert trash["path"] == "/.cozy_trash" and trash["dir_id"] == ROOT
    # read-only through /data, as the stack
    assert owner.post("/data/io.cozy.files/", {"type": "file"}).status_code == 403
    assert owner.put(f"/data/io.cozy.files/{ROOT}", {"_rev": trash["_rev"]}).status_code == 403


def test_upload_then_read_by_id_path_and_download(owner):
    folder = mkdir(owner, ROOT, "Administratif")
    assert folder["attributes"]["path"] == "/Administratif"
    data = pdf("EDF 2024-01")
    f = upload(owner, folder["id"], "facture.pdf", data, CreatedAt="2024-02-01T10:00:00Z")
    a = f["data"]["attributes"]
    assert a["size"] == str(len(data)) and a["md5sum"] == md5_b64(data)
    assert (a["mime"], a["class"], a["trashed"]) == ("application/pdf", "pdf", False)
    assert a["created_at"] == "2024-02-01T10:00:00Z" and "internal_vfs_id" not in a
    assert f["data"]["relationships"]["parent"]["data"]["id"] == folder["id"]
    by_path = owner.get("/files/metadata", params={"Path": "/Administratif/facture.pdf"})
    assert by_path.json()["data"]["id"] == f["data"]["id"]
    r = owner.get(f"/files/download/{f['data']['id']}")
    assert r.content == data and r.headers["content-type"] == "application/pdf"
    assert r.headers["etag"] == f'"{md5_b64(data)}"'
    assert r.headers["content-disposition"].startswith("inline")
    r = owner.get("/files/download", params={"Path": "/Administratif/facture.pdf", "Dl": "1"})
    assert r.content == data and r.headers["content-disposition"].startswith("attachment")
    assert owner.c.head(f"/files/{f['data']['id']}", headers=owner.h).status_code == 200
    ranged = owner.get(f"/files/download/{f['data']['id']}", headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.content == data[:4]
    # the bytes of the folder: no
    _error(owner.get(f"/files/download/{folder['id']}"), 404)
    # what the journal saw
    routes = {(e.route, e.verb) for e in owner.c.app.state.sandbox.journal.entries(
        owner.c.app.state.sandbox.instances.get("alice").id)}
    assert {("files.download", "GET"), ("files.upload", "POST")} <= routes


def test_directory_listing_is_paginated_with_cursors(owner):
    folder = mkdir(owner, ROOT, "Photos")
    for name in ("b", "a", "c"):
        upload(owner, folder["id"], f"{name}.pdf", pdf(name))
    mkdir(owner, folder["id"], "zz-sub")
    first = owner.get(f"/files/{folder['id']}", params={"page[limit]": "2"})
    body = first.json()
    assert _names(first) == ["zz-sub", "a.pdf"]  # folders first, then by name
    assert body["data"]["relationships"]["contents"]["meta"]["count"] == 4
    nxt = body["links"]["next"]
    assert nxt.startswith(f"/files/{folder['id']}?")
    second = owner.get(nxt)
    assert _names(second) == ["b.pdf", "c.pdf"] and second.json()["links"] == {}
    skipped = owner.get(f"/files/{folder['id']}", params={"page[limit]": "2",
                                                            "page[skip]": "2"})
    assert _names(skipped) == ["b.pdf", "c.pdf"]
    _error(owner.get(f"/files/{folder['id']}", params={"page[cursor]": "not json"}), 400)
    _error(owner.get(f"/files/{folder['id']}", params={"page[limit]": "x"}), 400)


@pytest.mark.parametrize("name", ["", ".", "..", "../../etc/passwd", "a/b", "/abs", "nul\x00l",
                                  "new\nline", "x" * 256, "é" * 200])
def test_bad_names_are_refused_and_nothing_is_stored(owner, name, settings):
    before = owner.get("/data/io.cozy.files/_all_docs").json()["total_rows"]
    err = _error(owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": name},
                              headers=owner.h, content=b"x"), 422)
    assert err["source"] == {"parameter": "name"}
    _error(owner.c.post(f"/files/{ROOT}", params={"Type": "directory", "Name": name},
                        headers=owner.h), 422)
    assert owner.get("/data/io.cozy.files/_all_docs").json()["total_rows"] == before
    blobs = [p for p in (settings.files_root()).rglob("*") if p.is_file()]
    assert blobs == []


def test_wrong_or_malformed_md5_stores_nothing(owner, settings):
    data = pdf("x")
    err = _error(owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "a.pdf"},
                              headers={**owner.h, "Content-MD5": md5_b64(b"other")},
                              content=data), 412)
    assert err["source"] == {"parameter": "Content-MD5"}
    err = _error(owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "a.pdf"},
                              headers={**owner.h, "Content-MD5": "not-base64!!"},
                              content=data), 422)
    assert err["source"] == {"parameter": "Content-MD5"}
    _error(owner.get("/files/metadata", params={"Path": "/a.pdf"}), 404)
    assert not [p for p in settings.files_root().rglob("*") if p.is_file()]


def test_chunked_upload_without_length(owner):
    data = pdf("chunked") * 100

    def chunks():
        for i in range(0, len(data), 100):
            yield data[i:i + 100]

    r = owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "c.pdf", "Size": ""},
                     headers={**owner.h, "Content-Type": "application/pdf"}, content=chunks())
    assert r.status_code == 201, r.text
    assert r.json()["data"]["attributes"]["size"] == str(len(data))
    bad = owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "d.pdf",
                                                 "Size": "3"},
                       headers=owner.h, content=chunks())
    assert _error(bad, 412)["source"] == {"parameter": "Content-Length"}


def test_name_conflicts_and_types(owner):
    upload(owner, ROOT, "a.pdf", pdf("1"))
    err = _error(owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "a.pdf"},
                              headers=owner.h, content=b"2"), 409)
    assert err["title"] == "Conflict"
    mkdir(owner, ROOT, "D")
    _error(owner.c.post(f"/files/{ROOT}", params={"Type": "directory", "Name": "D"},
                        headers=owner.h), 409)
    _error(owner.c.post(f"/files/{ROOT}", params={"Type": "bogus", "Name": "x"},
                        headers=owner.h), 422)
    _error(owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "x.bin"},
                        headers={**owner.h, "Content-Type": "not a type"}, content=b"1"), 422)
    guessed = upload(owner, ROOT, "notes.txt", b"hello", content_type="application/octet-stream")
    assert guessed["data"]["attributes"]["mime"] == "text/plain"


def test_unknown_ids_and_paths_answer_404_json_api(owner):
    for r in (owner.get("/files/nope"), owner.get("/files/download/nope"),
              owner.get("/files/metadata", params={"Path": "/no/where"}),
              owner.get("/files/metadata", params={"Path": "relative"}),
              owner.c.patch("/files/nope", headers=owner.h,
                            json={"data": {"attributes": {"name": "x"}}}),
              owner.delete("/files/nope"), owner.post("/files/trash/nope"),
              owner.delete("/files/trash/nope"),
              owner.c.post("/files/nope?Type=file&Name=a", headers=owner.h, content=b"1"),
              owner.c.post("/files/nope?Type=directory&Name=a", headers=owner.h)):
        _error(r, 404)
    assert owner.c.head("/files/nope", headers=owner.h).status_code == 404


def test_rename_and_move_with_revisions(owner):
    a = mkdir(owner, ROOT, "A")
    b = mkdir(owner, a["id"], "B")
    f = upload(owner, b["id"], "f.pdf", pdf("f"))["data"]

    def patch(id_, attrs, **headers):
        return owner.c.patch(f"/files/{id_}", headers={**owner.h, **headers},
                             json={"data": {"type": "io.cozy.files", "id": id_,
                                            "attributes": attrs}})

    _error(patch(f["id"], {"name": "g.pdf"}, **{"If-Match": "1-deadbeef"}), 412)
    r = patch(f["id"], {"name": "g.pdf"}, **{"If-Match": ""})  # empty: no condition
    assert r.status_code == 200 and r.json()["data"]["attributes"]["name"] == "g.pdf"
    rev = r.json()["data"]["meta"]["rev"]
    r = patch(f["id"], {"dir_id": a["id"]}, **{"If-Match": rev})
    assert r.status_code == 200
    assert owner.get("/files/metadata", params={"Path": "/A/g.pdf"}).status_code == 200
    # a folder into itself, or below itself: refused, nothing moves
    assert _error(patch(a["id"], {"dir_id": a["id"]}), 412)["source"] == {
        "parameter": "dir-id"}
    _error(patch(a["id"], {"dir_id": b["id"]}), 412)
    assert owner.get(f"/files/{b['id']}").json()["data"]["attributes"]["path"] == "/A/B"
    # moving a folder moves the paths below it
    c = mkdir(owner, ROOT, "C")
    r = patch(a["id"], {"dir_id": c["id"], "name": "A2"})
    assert r.status_code == 200 and r.json()["data"]["attributes"]["path"] == "/C/A2"
    assert owner.get(f"/files/{b['id']}").json()["data"]["attributes"]["path"] == "/C/A2/B"
    # clashes, bad names, bad types, the fixed folders
    upload(owner, c["id"], "taken.pdf", pdf("t"))
    _error(patch(f["id"], {"dir_id": c["id"], "name": "taken.pdf"}), 409)
    _error(patch(f["id"], {"name": "x/y"}), 422)
    _error(patch(f["id"], {"tags": "not-a-list"}), 422)
    _error(patch(f["id"], {"dir_id": "nowhere"}), 404)
    _error(patch(ROOT, {"name": "x"}), 400)
    _error(owner.c.patch(f"/files/{f['id']}", headers=owner.h, content=b"{"), 400)
    _error(owner.c.patch(f"/files/{f['id']}", headers=owner.h, json={"data": []}), 400)
    by_path = owner.c.patch("/files/metadata", params={"Path": "/C/taken.pdf"},
                            headers=owner.h,
                            json={"data": {"attributes": {"tags": ["bill"]}}})
    assert by_path.json()["data"]["attributes"]["tags"] == ["bill"]


def test_new_content_replaces_the_old_bytes(owner, settings):
    f = upload(owner, ROOT, "a.pdf", pdf("v1"))["data"]
    r = owner.c.put(f"/files/{f['id']}", headers={**owner.h, "Content-Type": "application/pdf",
                                                  "If-Match": f["meta"]["rev"]},
                    content=pdf("version 2"))
    assert r.status_code == 200, r.text
    assert owner.get(f"/files/download/{f['id']}").content == pdf("version 2")
    blobs = [p for p in settings.files_root().rglob("*") if p.is_file()]
    assert len(blobs) == 1  # the old bytes went with the old version
    _error(owner.c.put(f"/files/{f['id']}", headers={**owner.h, "If-Match": "1-x"},
                       content=b"3"), 412)
    _error(owner.c.put(f"/files/{f['id']}", headers={**owner.h, "Content-MD5": md5_b64(b"4")},
                       content=b"3"), 412)
    assert owner.get(f"/files/download/{f['id']}").content == pdf("version 2")


def test_trash_restore_destroy_and_empty(owner, settings):
    docs = mkdir(owner, ROOT, "Docs")
    inner = upload(owner, docs["id"], "in.pdf", pdf("in"))["data"]
    lone = upload(owner, ROOT, "lone.pdf", pdf("lone"))["data"]
    r = owner.delete(f"/files/{docs['id']}")
    assert r.status_code == 200
    assert r.json()["data"]["attributes"]["path"] == "/.cozy_trash/Docs"
    assert owner.get(f"/files/{inner['id']}").json()["data"]["attributes"]["trashed"] is True
    _error(owner.delete(f"/files/{docs['id']}"), 400)  # already there
    # a new Docs where the old one was; the trashed one comes back as "Docs (2)"
    mkdir(owner, ROOT, "Docs")
    listing = owner.get("/files/trash").json()
    assert [d["attributes"]["name"] for d in listing["data"]] == ["Docs"]
    assert listing["meta"]["count"] == 1
    r = owner.post(f"/files/trash/{docs['id']}")
    assert r.status_code == 200 and r.json()["data"]["attributes"]["path"] == "/Docs (2)"
    assert owner.get(f"/files/{inner['id']}").json()["data"]["attributes"]["trashed"] is False
    _error(owner.post(f"/files/trash/{docs['id']}"), 400)  # not in the trash
    # a file alone, then destroyed for good
    owner.delete(f"/files/{lone['id']}")
    trashed = owner.get(f"/files/{lone['id']}").json()["data"]["attributes"]
    assert trashed["trashed"] is True and trashed["restore_path"] == "/"
    usage = owner.get("/settings/disk-usage", params={"include": "trash"}).json()["data"]
    assert usage["attributes"]["trash"] == str(len(pdf("lone")))
    assert owner.delete(f"/files/trash/{lone['id']}").status_code == 204
    _error(owner.get(f"/files/{lone['id']}"), 404)
    owner.delete(f"/files/{inner['id']}")
    assert owner.delete("/files/trash").status_code == 204
    assert owner.get("/files/trash").json()["data"] == []
    blobs = [p for p in settings.files_root().rglob("*") if p.is_file()]
    assert blobs == []
    usage = owner.get("/settings/disk-usage").json()["data"]["attributes"]
    assert usage["used"] == "0" and usage["count"] == "0"


def test_permanent_delete_and_trash_through_patch(owner):
    f = upload(owner, ROOT, "a.pdf", pdf("a"))["data"]
    r = owner.c.patch(f"/files/{f['id']}", headers=owner.h,
                      json={"data": {"attributes": {"move_to_trash": True}}})
    assert r.json()["data"]["attributes"]["dir_id"] == TRASH
    r = owner.c.patch(f"/files/{f['id']}", headers=owner.h,
                      json={"data": {"attributes": {"permanent_delete": True}}})
    assert r.status_code == 204
    _error(owner.get(f"/files/{f['id']}"), 404)


def test_disk_usage_needs_a_permission(owner, token_for):
    upload(owner, ROOT, "a.pdf", pdf("a"))
    attrs = owner.get("/settings/disk-usage").json()["data"]["attributes"]
    assert attrs["used"] == attrs["files"] == str(len(pdf("a"))) and attrs["count"] == "1"
    assert attrs["quota"] == str(5 * 1024**3) and "trash" not in attrs
    assert token_for("io.cozy.files").get("/settings/disk-usage").status_code == 403
    narrow = token_for("io.cozy.settings:GET:io.cozy.settings.disk-usage")
    assert narrow.get("/settings/disk-usage").status_code == 200


def test_upload_metadata_then_metadata_id(owner):
    r = owner.post("/files/upload/metadata", {"data": {"type": "io.cozy.files.metadata",
                                                       "attributes": {"datetime": "2024",
                                                                      "qualification": {}}}})
    assert r.status_code == 201
    secret = r.json()["data"]["id"]
    f = upload(owner, ROOT, "m.pdf", pdf("m"), MetadataID=secret)
    assert f["data"]["attributes"]["metadata"] == {"datetime": "2024", "qualification": {}}
    err = _error(owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "n.pdf",
                                                        "MetadataID": "forged"},
                              headers=owner.h, content=b"1"), 422)
    assert err["source"] == {"parameter": "MetadataID"}
    upload(owner, ROOT, "e.pdf", pdf("e"), MetadataID="")  # cozy-stack-client sends it empty


def test_references_both_ways(owner):
    f = upload(owner, ROOT, "bill.pdf", pdf("b"))["data"]
    folder = mkdir(owner, ROOT, "EDF")
    ref = {"type": "io.cozy.konnectors", "id": "io.cozy.konnectors/edf"}
    r = owner.post(f"/files/{folder['id']}/relationships/referenced_by", {"data": [ref]})
    assert r.status_code == 200 and r.json()["meta"]["count"] == 1
    r = owner.post(f"/files/{f['id']}/relationships/referenced_by", {"data": ref})
    assert r.json()["data"] == [ref]
    owner_all = owner.c.app.state.sandbox.cli_token("alice", "io.cozy.files io.cozy.konnectors")
    h = {"Authorization": f"Bearer {owner_all}"}
    r = owner.c.get("/data/io.cozy.konnectors/io.cozy.konnectors%2Fedf/relationships/"
                    "references", params={"include": "files", "sort": "datetime"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {d["id"] for d in body["data"]} == {f["id"], folder["id"]}
    assert body["meta"]["count"] == 2 and len(body["included"]) == 2
    # the file's own shape: references in relationships, not attributes
    got = owner.get(f"/files/{f['id']}").json()["data"]
    assert got["relationships"]["referenced_by"]["data"] == [ref]
    assert "referenced_by" not in got["attributes"]
    r = owner.c.request("DELETE", f"/files/{f['id']}/relationships/referenced_by",
                        headers=owner.h, json={"data": [ref]})
    assert r.json()["meta"]["count"] == 0
    # the other way: a document references files
    r = owner.c.post("/data/io.cozy.bills/b1/relationships/references", headers=h,
                     json={"data": [{"type": "io.cozy.files", "id": f["id"]}]})
    assert r.status_code == 204
    got = owner.get(f"/files/{f['id']}").json()["data"]["relationships"]["referenced_by"]
    assert got["data"] == [{"type": "io.cozy.bills", "id": "b1"}]
    narrow = owner.c.app.state.sandbox.cli_token("alice", "io.cozy.files:GET")
    assert owner.c.post("/data/io.cozy.bills/b1/relationships/references",
                        headers={"Authorization": f"Bearer {narrow}"},
                        json={"data": [{"type": "io.cozy.files", "id": f["id"]}]}
                        ).status_code == 403
    _error(owner.post(f"/files/{f['id']}/relationships/referenced_by", {"data": "x"}), 400)


def test_find_over_files_with_the_index_flow_and_paths(owner):
    d = mkdir(owner, ROOT, "D")
    upload(owner, d["id"], "a.pdf", pdf("a"))
    q = {"selector": {"class": "pdf"}}
    r = owner.post("/files/_find", q)
    assert r.status_code == 400 and "no_index" in r.text
    assert owner.post("/data/io.cozy.files/_index",
                      {"index": {"fields": ["class"]}}).status_code == 200
    r = owner.post("/files/_find", q)
    body = r.json()
    assert r.status_code == 200 and body["meta"]["count"] == 1
    assert body["data"][0]["attributes"]["path"] == "/D/a.pdf"
    only = owner.post("/files/_find", {**q, "fields": ["name"]}).json()["data"][0]
    assert set(only["attributes"]) == {"name", "type", "class", "size", "trashed"}
    raw = owner.post("/data/io.cozy.files/_find", q).json()["docs"][0]
    assert raw["size"] == str(len(pdf("a"))) and "path" not in raw
    _error(owner.post("/files/_find", [1]), 400)
    found = owner.post("/files/_all_docs", {"keys": [d["id"], "nope", TRASH]}).json()
    assert [x["id"] for x in found["data"]] == [d["id"]]


def test_download_links_need_no_token_but_a_reader_to_make_them(owner, token_for, sb, client):
    f = upload(owner, ROOT, "a.pdf", pdf("a"))["data"]
    r = owner.post("/files/downloads", params={"Id": f["id"]})
    assert r.status_code == 200
    link = r.json()["links"]["related"]
    assert link.startswith("/files/downloads/") and link.endswith("/a.pdf")
    assert client.get(link).content == pdf("a")
    assert client.get(link, headers={"Host": "alice.localhost"}).status_code == 200
    sb.instances.create("mallory")
    _error(client.get(link, headers={"Host": "mallory.localhost"}), 404)
    _error(client.get("/files/downloads/forged/a.pdf"), 404)
    by_path = owner.post("/files/downloads", params={"Path": "/a.pdf"}).json()
    assert client.get(by_path["links"]["related"]).content == pdf("a")
    folder = mkdir(owner, ROOT, "F")
    _error(owner.post("/files/downloads", params={"Id": folder["id"]}), 404)
    other = token_for(f"io.cozy.files:GET:{folder['id']}")
    assert other.post("/files/downloads", params={"Id": f["id"]}).status_code == 403


def test_an_app_page_may_call_files_across_origins(owner):
    app_origin = "http://notes.alice.localhost"
    pre = owner.c.options(f"/files/{ROOT}", headers={
        "Host": "alice.localhost", "Origin": app_origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-md5, if-match"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == app_origin
    assert "PATCH" in pre.headers["access-control-allow-methods"]
    allowed = pre.headers["access-control-allow-headers"].lower()
    assert "content-md5" in allowed and "if-match" in allowed
    r = owner.get(f"/files/{ROOT}", headers={"Host": "alice.localhost", "Origin": app_origin})
    assert r.headers["access-control-allow-origin"] == app_origin
    usage = owner.get("/settings/disk-usage", headers={"Host": "alice.localhost",
                                                        "Origin": app_origin})
    assert usage.headers["access-control-allow-origin"] == app_origin


def test_a_document_may_only_reference_files_its_writer_may_name(owner, token_for):
    """The stack lets a right to write a document attach any file of the cloud to it
    (``POST /data/:doctype/:id/relationships/references``). With a ``referenced_by`` rule on
    io.cozy.files ("the photos of my albums"), that was a read of every file whose id the app
    learnt (a bill's ``invoice`` names its PDF); and ``?include=files`` listed their metadata.
    Here naming a file needs a right on it; nothing is changed when one is refused."""
    secret = upload(owner, ROOT, "payslip.pdf", pdf("salary"))["data"]["id"]
    mine = upload(owner, ROOT, "photo.pdf", pdf("photo"))["data"]["id"]
    owner.post(f"/files/{mine}/relationships/referenced_by",
               {"data": {"type": "test.albums", "id": "a1"}})
    app = token_for("test.albums io.cozy.files:GET:test.albums/a1:referenced_by")
    assert app.get(f"/files/{mine}").status_code == 200
    assert app.get(f"/files/{secret}").status_code == 403
    both = {"data": [{"type": "io.cozy.files", "id": mine},
                     {"type": "io.cozy.files", "id": secret}]}
    for method in ("POST", "DELETE"):
        r = app.c.request(method, "/data/test.albums/a1/relationships/references",
                          headers=app.h, json=both)
        assert r.status_code == 403, r.text
    assert app.get(f"/files/download/{secret}").status_code == 403
    listed = app.get("/data/test.albums/a1/relationships/references",
                     params={"include": "files"}).json()
    assert [d["id"] for d in listed["data"]] == [mine]       # nothing changed, not even mine
    refs = owner.get(f"/files/{secret}").json()["data"]["relationships"]["referenced_by"]
    assert not refs["data"]
    # a file it may read or change, it may reference (photos, konnectors' folders)
    other = upload(owner, ROOT, "other.pdf", pdf("o"))["data"]["id"]
    writer = token_for("test.albums io.cozy.files:PATCH")
    assert writer.post("/data/test.albums/a1/relationships/references",
                       {"data": [{"type": "io.cozy.files", "id": other}]}).status_code == 204
