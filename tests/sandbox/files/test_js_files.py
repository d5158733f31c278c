"""cozy-stack-client's files API (FileCollection, from npm) against a live sandbox: upload
(bytes, a File, a chunked stream), list, statByPath, download, rename, move, find, trash,
restore, destroy. ``tests/sandbox/js/stack_files.js`` prints one JSON line per check."""

from __future__ import annotations

import pytest

from sandbox.settings import Settings
from tests.support.backends import BACKENDS, url_for_backend
from tests.support.files import ROOT, md5_b64
from tests.support.node import check_result, node_packages, run_checks
from tests.support.served import LiveServer

pytestmark = pytest.mark.node
CONTENT = b"%PDF-1.4 bill of January"


@pytest.fixture(scope="module")
def js_dir():
    return node_packages()


@pytest.fixture(scope="module", params=BACKENDS)
def run(request, tmp_path_factory, js_dir):
    folder = tmp_path_factory.mktemp("js-files")
    url = url_for_backend(request, folder, "jsfiles")
    with LiveServer(Settings(database_url=url, files_dir=str(folder / "files"))) as server:
        sb = server.sandbox
        sb.instances.create("jsfiles")
        env = {"SANDBOX_URL": server.url,
               "SANDBOX_TOKEN": sb.cli_token("jsfiles", "io.cozy.files", ttl=3600),
               "SANDBOX_TOKEN_READ": sb.cli_token("jsfiles", "io.cozy.files:GET", ttl=3600)}
        yield run_checks(js_dir, "stack_files.js", env), sb


def result(run, name):
    return check_result(run[0], "stack_files.js", name)


def refused(run, name, status):
    err = result(run, name)
    assert err["threw"] is True and err["status"] == status, err
    assert err["reason"]["errors"][0]["status"] == str(status)


def test_root_and_directories(run):
    root = result(run, "root")
    assert root["data"]["id"] == ROOT and root["data"]["path"] == "/" and root["included"] == []
    assert result(run, "create_directory")["path"] == "/Docs"
    assert result(run, "create_directory_by_path")["path"] == "/Docs/2024/Janvier"


def test_uploads(run):
    up = result(run, "upload")
    assert (up["name"], up["size"], up["mime"]) == ("facture.pdf", str(len(CONTENT)),
                                                    "application/pdf")
    assert up["md5sum"] == md5_b64(CONTENT) and up["created_at"] == "2024-02-01T10:00:00Z"
    assert result(run, "upload_by_dir_path")["mime"] == "text/plain"
    stream = result(run, "upload_stream")
    assert stream["size"] == "13" and stream["text"] == "chunk1-chunk2"
    refused(run, "upload_wrong_md5", 412)
    refused(run, "upload_conflict", 409)
    refused(run, "upload_read_only", 403)


def test_listing_and_paths(run):
    listing = result(run, "list_directory")
    assert [f["name"] for f in listing["included"]] == ["2024", "facture.pdf", "stream.txt"]
    assert result(run, "list_paginated") == {"first": ["2024", "facture.pdf"],
                                             "second": ["stream.txt"], "more": False}
    assert result(run, "stat_by_path")["name"] == "facture.pdf"
    refused(run, "stat_by_path_missing", 404)
    got = result(run, "get_directory_or_create")
    assert got["again"]["path"] == "/Docs/2024" and got["fresh"]["path"] == "/Docs/2025"


def test_download_rename_move_find(run):
    assert result(run, "download") == {"status": 200, "type": "application/pdf",
                                       "text": CONTENT.decode()}
    assert result(run, "download_link") == {
        "path": "/files/downloads/SECRET/copie%20facture.pdf", "status": 200,
        "disposition": 'attachment; filename="facture.pdf"', "text": CONTENT.decode()}
    assert result(run, "rename")["name"] == "facture-janvier.pdf"
    moved = result(run, "move")
    assert moved["dir_id"] == result(run, "list_directory")["included"][0]["id"]
    refused(run, "move_dir_into_itself", 412)
    assert result(run, "find") == {"names": ["facture-janvier.pdf"],
                                   "paths": ["/Docs/2024/facture-janvier.pdf"]}


def test_trash_restore_destroy(run):
    trashed = result(run, "trash")
    assert trashed["trashed"] is True and trashed["dir_id"] == "io.cozy.files.trash-dir"
    assert result(run, "trash_listing") == ["facture-janvier.pdf"]
    restored = result(run, "restore")
    assert restored["trashed"] is False and restored["dir_id"] == result(run, "move")["dir_id"]
    refused(run, "destroy", 404)  # gone for good: stat answers 404
    emptied = result(run, "empty_trash")
    assert emptied["trash"] == 0 and emptied["gone"]["status"] == 404
    sb = run[1]
    inst = sb.instances.get("jsfiles")
    usage = sb.files.usage(inst)
    assert usage.count == 1 and usage.trash == 0  # second.txt is all that is left
