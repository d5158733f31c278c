"""A file an app uploads is served on the tester's own origin (``alice.localhost``), where the
dashboard and the data browser answer without a token and the consent forms pass the
same-origin check. So a file's bytes must never be active there: an HTML or SVG file that a
create-only token uploaded must not run a script, whether opened through the API, a download
link (``POST /files/downloads``) or the dashboard's ``/drive/download/{id}``."""

from __future__ import annotations

import httpx
import pytest

from sandbox.settings import Settings
from tests.support.api import Api
from tests.support.browser import browser
from tests.support.served import LiveServer

ROOT = "io.cozy.files.root-dir"
HOST = {"Host": "alice.localhost"}
PAGE = (b"<html><body><h1>hello</h1><script>document.title = 'pwned:' + "
        b"document.domain</script></body></html>")
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>document.title = "pwned"</script>'
       b"</svg>")


def _upload(api: Api, name: str, mime: str, data: bytes) -> str:
    r = api.c.post(f"/files/{ROOT}", params={"Type": "file", "Name": name}, content=data,
                   headers={**api.h, **HOST, "Content-Type": mime})
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


def _served(client, owner: Api, file_id: str) -> list:
    """The answers of the three ways a browser gets a file's bytes."""
    link = owner.post(f"/files/downloads?Id={file_id}", headers=HOST).json()["links"]["related"]
    return [owner.get(f"/files/download/{file_id}", headers=HOST),
            client.get(link, headers=HOST),
            client.get(f"/drive/download/{file_id}", headers=HOST)]


def test_an_uploaded_page_or_svg_is_served_without_scripts_or_origin(sb, client, owner,
                                                                      token_for):
    create_only = token_for("io.cozy.files:POST")
    for name, mime, data in (("x.html", "text/html", PAGE), ("x.svg", "image/svg+xml", SVG)):
        file_id = _upload(create_only, name, mime, data)
        for r in _served(client, owner, file_id):
            assert r.status_code == 200 and r.content == data
            csp = [d.strip() for d in r.headers["content-security-policy"].split(";")]
            assert "default-src 'none'" in csp and "sandbox" in csp
            assert "form-action 'none'" in csp
            assert r.headers["x-content-type-options"] == "nosniff"


def test_a_pdf_keeps_showing_inline(sb, client, owner):
    file_id = _upload(owner, "bill.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")
    for r in _served(client, owner, file_id):
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"].startswith("inline")
        csp = [d.strip() for d in r.headers["content-security-policy"].split(";")]
        assert "default-src 'none'" in csp and "sandbox" not in csp   # Chromium's viewer


@pytest.mark.browser
def test_no_script_of_an_uploaded_page_runs_in_a_browser(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 't.db'}",
                        files_dir=str(tmp_path / "files"))
    with LiveServer(settings) as live, browser() as b:
        sb = live.sandbox
        sb.instances.create("alice")
        origin = f"http://alice.localhost:{live.port}"
        with httpx.Client(base_url=live.url, headers={"Host": f"alice.localhost:{live.port}"},
                          trust_env=False) as http:
            create_only = sb.cli_token("alice", "io.cozy.files:POST")
            up = http.post(f"/files/{ROOT}", params={"Type": "file", "Name": "x.html"},
                           content=PAGE, headers={"Authorization": f"Bearer {create_only}",
                                                  "Content-Type": "text/html"})
            file_id = up.json()["data"]["id"]
            link = http.post(f"/files/downloads?Id={file_id}", headers={
                "Authorization": f"Bearer {sb.cli_token('alice', 'io.cozy.files')}"}
            ).json()["links"]["related"]
        page = b.new_page()
        for url in (f"{origin}{link}", f"{origin}/drive/download/{file_id}"):
            page.goto(url)
            assert page.inner_text("h1") == "hello"     # it shows
            assert not page.title().startswith("pwned")  # but runs nothing
