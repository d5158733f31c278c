"""What a token may do with files (rules by id cover a folder's subtree, selectors, verbs),
tokens of another instance, and the disk quota."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sandbox.web.app import create_app
from tests.support.api import Api
from tests.support.files import ROOT, md5_b64, mkdir, pdf, upload


@pytest.fixture
def tree(owner):
    """/Bills/EDF/a.pdf, /Bills/b.pdf, /Photos/p.pdf"""
    bills = mkdir(owner, ROOT, "Bills")
    edf = mkdir(owner, bills["id"], "EDF")
    photos = mkdir(owner, ROOT, "Photos")
    return {"bills": bills["id"], "edf": edf["id"], "photos": photos["id"],
            "a": upload(owner, edf["id"], "a.pdf", pdf("a"))["data"]["id"],
            "b": upload(owner, bills["id"], "b.pdf", pdf("b"))["data"]["id"],
            "p": upload(owner, photos["id"], "p.pdf", pdf("p"))["data"]["id"]}


def test_a_read_only_token_reads_but_cannot_write(token_for, tree):
    reader = token_for("io.cozy.files:GET")
    assert reader.get(f"/files/download/{tree['a']}").status_code == 200
    r = reader.c.post(f"/files/{ROOT}", params={"Type": "directory", "Name": "X"},
                      headers=reader.h)
    assert r.status_code == 403 and r.json()["errors"][0]["status"] == "403"
    assert reader.delete(f"/files/{tree['a']}").status_code == 403
    assert reader.c.patch(f"/files/{tree['a']}", headers=reader.h,
                          json={"data": {"attributes": {"name": "z.pdf"}}}).status_code == 403
    assert reader.get("/files/download/" + tree["a"]).status_code == 200  # nothing changed


def test_a_rule_on_a_folder_covers_its_subtree_only(token_for, tree, owner):
    bills = token_for(f"io.cozy.files:ALL:{tree['bills']}")
    assert bills.get(f"/files/download/{tree['a']}").status_code == 200   # below Bills/EDF
    assert bills.get(f"/files/{tree['edf']}").status_code == 200
    assert bills.get(f"/files/download/{tree['p']}").status_code == 403  # Photos: no
    assert bills.get(f"/files/{tree['photos']}").status_code == 403
    # it may add inside its folder, not elsewhere, and not move things out of reach
    upload(bills, tree["edf"], "new.pdf", pdf("n"))
    upload(bills, tree["photos"], "no.pdf", pdf("n"), status=403)
    r = bills.c.patch(f"/files/{tree['a']}", headers=bills.h,
                      json={"data": {"attributes": {"dir_id": tree["photos"]}}})
    assert r.status_code == 403
    assert owner.get("/files/metadata", params={"Path": "/Bills/EDF/a.pdf"}).status_code == 200
    # whole-type routes need a whole-type rule
    assert bills.post("/files/_find", {"selector": {"_id": tree["a"]}}).status_code == 403
    refused = [e for e in owner.c.app.state.sandbox.journal.entries(
        owner.c.app.state.sandbox.instances.get("alice").id) if e.verb == "DENIED"]
    assert refused, "refusals go in the journal"


def test_selectors_on_attributes(token_for, tree, owner):
    owner.c.patch(f"/files/{tree['bills']}", headers=owner.h,
                  json={"data": {"attributes": {"tags": ["money"]}}})
    tagged = token_for("io.cozy.files:GET:money:tags")
    assert tagged.get(f"/files/download/{tree['a']}").status_code == 200  # under a tagged dir
    assert tagged.get(f"/files/download/{tree['p']}").status_code == 403
    by_mime = token_for("io.cozy.files:GET:application/pdf:mime")
    assert by_mime.get(f"/files/download/{tree['p']}").status_code == 200
    assert by_mime.get(f"/files/{tree['photos']}").status_code == 403  # a folder has no mime


def test_another_instance_cannot_reach_alice_files(sb, client, tree):
    sb.instances.create("bob")
    bob = Api(client, sb.cli_token("bob", "io.cozy.files"))
    r = bob.get(f"/files/download/{tree['a']}")
    assert r.status_code == 404 and r.json()["errors"][0]["status"] == "404"
    assert bob.get(f"/files/{tree['bills']}").status_code == 404
    assert bob.delete(f"/files/{tree['a']}").status_code == 404
    # bob's token on alice's address: refused before anything
    r = client.get(f"/files/download/{tree['a']}", headers={**bob.h, "Host": "alice.localhost"})
    assert r.status_code in (400, 401)
    assert bob.get("/settings/disk-usage").status_code == 403
    nobody = client.get(f"/files/{ROOT}")
    assert nobody.status_code == 401


def test_quota_refuses_what_does_not_fit_and_keeps_what_is_there(settings, tmp_path):
    app = create_app(settings.model_copy(update={"files_quota_bytes": 100}))
    try:
        sb = app.state.sandbox
        sb.instances.create("carol")
        api = Api(TestClient(app), sb.cli_token("carol", "io.cozy.files io.cozy.settings:GET"))
        first = upload(api, ROOT, "a.bin", b"x" * 60, content_type="application/octet-stream")
        r = api.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "b.bin"},
                       headers={**api.h, "Content-MD5": md5_b64(b"y" * 50)}, content=b"y" * 50)
        assert r.status_code == 413 and r.json()["errors"][0]["status"] == "413"
        assert api.get("/files/metadata", params={"Path": "/b.bin"}).status_code == 404
        r = api.c.put(f"/files/{first['data']['id']}", headers=api.h, content=b"z" * 101)
        assert r.status_code == 413
        assert api.get(f"/files/download/{first['data']['id']}").content == b"x" * 60
        usage = api.get("/settings/disk-usage").json()["data"]["attributes"]
        assert usage == {"used": "60", "files": "60", "versions": "0", "count": "1",
                         "quota": "100"}
        blobs = [p for p in settings.files_root().rglob("*") if p.is_file()]
        assert len(blobs) == 1
        # the trash counts: free room by destroying, not by trashing
        api.delete(f"/files/{first['data']['id']}")
        upload(api, ROOT, "c.bin", b"c" * 50, status=413,
               content_type="application/octet-stream")
        assert api.delete("/files/trash").status_code == 204
        upload(api, ROOT, "c.bin", b"c" * 50, content_type="application/octet-stream")
    finally:
        sb.close()


def test_a_body_over_the_request_limit_is_refused(owner, settings):
    big = b"0" * (settings.max_body_bytes + 1)
    r = owner.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": "big.bin"},
                     headers=owner.h, content=big)
    assert r.status_code == 413
    assert owner.get("/files/metadata", params={"Path": "/big.bin"}).status_code == 404
