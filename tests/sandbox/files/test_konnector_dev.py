"""A konnector written with cozy-konnector-libs, run from the command line by cozy-jobs-cli's
dev mode (``cozy-konnector-dev``) against a sandbox instance, as a konnector developer runs it
against a local stack: the OAuth flow (register, the consent page accepted in a "browser",
the access code, the token), then ``saveBills`` with two PDFs (one downloaded from a local
server, one given as a stream). The bills land as io.cozy.bills documents, each linked to its
PDF in the konnector's folder; a second run adds nothing.

The browser is ``tests/sandbox/js/konnector/fake-browser.js`` (xdg-open runs ``$BROWSER``):
it reads the consent page, presses Accept and follows the redirect, as a tester would. Node
resolves ``*.localhost`` through ``localhost-dns.js`` (browsers and systemd-resolved do it
natively). cozy-client's CLI flow listens on port 3333, so runs take a file lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.dashboard import documents
from sandbox.settings import Settings
from tests.support.backends import BACKENDS, url_for_backend
from tests.support.node import node_packages
from tests.support.served import LiveServer

pytestmark = pytest.mark.node
FIRST_PDF = b"%PDF-1.4\n% January: 42.50 EUR\n%%EOF\n"
SECOND_PDF = "%PDF-1.4 février 38.10 EUR"
FOLDER = "/cozy-konnector-dev-root"
DESKTOP = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION",
           "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID")


class _Bills(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/bills/F-2024-01.pdf":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(FIRST_PDF)))
        self.end_headers()
        self.wfile.write(FIRST_PDF)

    def log_message(self, *_args) -> None:
        pass


@contextmanager
def bills_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bills)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def callback_port() -> Iterator[None]:
    """cozy-client's CLI OAuth flow always listens on localhost:3333: one run at a time."""
    with open(Path(tempfile.gettempdir()) / "selfdata-oauth-3333.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_konnector(js_dir: Path, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    cli = js_dir / "node_modules" / ".bin" / "cozy-konnector-dev"
    with callback_port():
        return subprocess.run([str(cli), "-m", "manifest.konnector",
                               str(js_dir / "konnector" / "index.js")], cwd=work, env=env,
                              capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module", params=BACKENDS)
def runs(request, tmp_path_factory):
    js_dir = node_packages()
    folder = tmp_path_factory.mktemp("konnector")
    url = url_for_backend(request, folder, "konn")
    work = folder / "konnector-dev"
    work.mkdir()
    shutil.copy(js_dir / "konnector" / "manifest.konnector", work)
    with LiveServer(Settings(database_url=url, files_dir=str(folder / "files"))) as server, \
            bills_server() as bills:
        server.sandbox.instances.create("alice")
        (work / "konnector-dev-config.json").write_text(json.dumps(
            {"COZY_URL": f"http://alice.localhost:{server.port}", "fields": {}}))
        env = {k: v for k, v in os.environ.items() if k not in DESKTOP}
        env.update(NODE_OPTIONS=f"--require {js_dir / 'konnector' / 'localhost-dns.js'}",
                   BROWSER=f"node {js_dir / 'konnector' / 'fake-browser.js'}",
                   FAKE_BROWSER_LOG=str(work / "browser.log"), NODE_ENV="development",
                   BILLS_SERVER=bills, SECOND_PDF=SECOND_PDF)
        first = run_konnector(js_dir, work, env)
        after_first = snapshot(server.sandbox)
        second = run_konnector(js_dir, work, env)
        yield {"first": first, "second": second, "after_first": after_first,
               "after_second": snapshot(server.sandbox), "sb": server.sandbox, "work": work}


def snapshot(sb) -> dict:
    inst = sb.instances.get("alice")
    files = {sb.files.path_of(inst, f): f for f in sb.files.select(inst, {"type": "file"})}
    return {"bills": documents(sb, inst, "io.cozy.bills"), "files": files,
            "clients": len(sb.oauth.clients(inst))}


def _ok(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    assert "critical" not in run.stdout, run.stdout[-4000:]


def test_the_dev_oauth_flow_goes_through_the_consent_page(runs):
    _ok(runs["first"])
    lines = [json.loads(x) for x in (runs["work"] / "browser.log").read_text().splitlines()]
    assert len(lines) == 1, lines  # one authorization; the second run reused .token.json
    seen = lines[0]
    assert (seen.get("consent"), seen.get("accepted"), seen.get("done")) == (200, 302, 200), seen
    assert seen["callback"].startswith("http://localhost:3333/do_access?")
    assert "access_code=" in seen["callback"]
    token = json.loads((runs["work"] / ".token.json").read_text())
    assert token["token"]["scope"].split() == ["io.cozy.bills", "io.cozy.files",
                                               "io.cozy.accounts:GET", "io.cozy.accounts"]
    assert runs["after_first"]["clients"] == runs["after_second"]["clients"] == 1


def test_save_bills_lands_as_bills_linked_to_their_pdf(runs):
    _ok(runs["first"])
    snap = runs["after_first"]
    bills = sorted(snap["bills"], key=lambda b: b["date"])
    assert [(b["vendor"], b["amount"], b["currency"]) for b in bills] == [
        ("Selfdata Énergie", 42.5, "EUR"), ("Selfdata Énergie", 38.1, "EUR")]
    assert all(b["cozyMetadata"]["createdByApp"] == "selfdata-test-bills" for b in bills)
    by_id = {f["_id"]: (path, f) for path, f in snap["files"].items()}
    sb = runs["sb"]
    inst = sb.instances.get("alice")
    expected = [FIRST_PDF, SECOND_PDF.encode()]
    for bill, content in zip(bills, expected, strict=True):
        assert bill["invoice"].startswith("io.cozy.files:")
        path, f = by_id[bill["invoice"].removeprefix("io.cozy.files:")]
        assert path == f"{FOLDER}/{bill['filename']}"
        assert (f["mime"], f["class"], f["size"]) == ("application/pdf", "pdf",
                                                      str(len(content)))
        assert f["metadata"]["fileIdAttributes"] == bill["vendorRef"]
        assert f["cozyMetadata"]["sourceAccountIdentifier"] == "tester@example.org"
        blob = sb.files.blobs.path(inst, f["internal_vfs_id"])
        assert blob.read_bytes() == content


def test_a_second_run_adds_nothing(runs):
    _ok(runs["second"])
    first, second = runs["after_first"], runs["after_second"]
    assert sorted(second["files"]) == sorted(first["files"])
    assert {f["_rev"] for f in second["files"].values()} == {
        f["_rev"] for f in first["files"].values()}
    assert sorted(b["_id"] for b in second["bills"]) == sorted(b["_id"] for b in first["bills"])
    assert "saveFiles created 0 files for 2 entries" in runs["second"].stdout


def test_the_journal_names_the_konnector_client(runs):
    sb = runs["sb"]
    inst = sb.instances.get("alice")
    rows = {(r["client"], r["doctype"]) for r in sb.journal.summary(inst.id)}
    assert ("cli-client", "io.cozy.files") in rows and ("cli-client", "io.cozy.bills") in rows
