"""``selfdata dev``: the app from disk, at its installed address, with its own token, reloaded."""

from __future__ import annotations

import sys

import httpx
import orjson
import pytest
from click.testing import CliRunner

from sandbox import cli as sandbox_cli
from sandbox.settings import Settings
from selfdata.cli import dev
from selfdata.dev import DevSession
from tests.support.apps import app_files, manifest
from tests.support.lines import Lines
from tests.support.served import LiveServer

SERVER = '''import os, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        req = urllib.request.Request(os.environ["COZY_URL"] + "/permissions/self",
            headers={"Authorization": "Bearer " + os.environ["COZY_TOKEN"]})
        perms = urllib.request.urlopen(req).read()
        self.send_response(200); self.end_headers()
        self.wfile.write(b"VERSION " + perms)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'''


@pytest.fixture
def live(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}")
    with LiveServer(settings) as server:
        inst = server.sandbox.instances.create("alice")
        server.sandbox.documents.load(inst.id, "fr.orange.phonecommunicationlog",
                                  [{"type": "VOICE", "length": 60}])
        yield server


def write_app(d, files):
    d.mkdir(exist_ok=True)
    for name, data in files.items():
        (d / name).write_bytes(data)


def get(server, host: str, path: str = "/") -> httpx.Response:
    return httpx.get(server.url + path, headers={"Host": f"{host}:{server.port}"}, timeout=30)


def test_a_python_app_runs_with_its_manifest_token_and_reloads(live, tmp_path):
    m = manifest(slug="dev-app", runtime={"type": "python", "command": ["python3", "server.py"],
                                          "health": "/health"})
    d = tmp_path / "dev-app"
    write_app(d, app_files(m, **{"server.py": SERVER.encode()}))
    s = DevSession(live.app, live.port, d, "alice")
    s.start()
    try:
        assert s.wait_ready()
        assert s.url == f"http://dev.dev-app.alice.localhost:{live.port}/"
        r = get(live, "dev.dev-app.alice.localhost")
        assert r.status_code == 200 and r.text.startswith("VERSION ")
        assert "fr.orange.phonecommunicationlog" in r.text  # its manifest's permission
        assert not s.changed()
        (d / "server.py").write_text(SERVER.replace("VERSION ", "VERSION2 "))
        assert s.changed(timeout=10)  # seen by inotify, not by a timer
        s.reload()
        assert s.wait_ready()
        assert get(live, "dev.dev-app.alice.localhost").text.startswith("VERSION2 ")
    finally:
        s.close()


def test_a_static_app_gets_the_template_values(live, tmp_path):
    d = tmp_path / "static"
    write_app(d, app_files(manifest(slug="static-dev"), **{
        "index.html": b"<div data-cozy-token='{{.Token}}' data-cozy-domain='{{.Domain}}'>"}))
    s = DevSession(live.app, live.port, d, "alice")
    s.start()
    try:
        assert s.wait_ready()
        page = get(live, "dev.static-dev.alice.localhost").text
        assert f"data-cozy-domain='alice.localhost:{live.port}'" in page
        token = page.split("data-cozy-token='")[1].split("'")[0]
        r = httpx.get(live.url + "/data/fr.orange.phonecommunicationlog/_all_docs",
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        r = httpx.get(live.url + "/data/fr.orange.geopoint/_all_docs",
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403
    finally:
        s.close()


def test_the_command_refuses_bad_input_clearly(live, tmp_path):
    runner = CliRunner()
    res = runner.invoke(dev, [str(tmp_path), "--instance", "alice"])
    assert res.exit_code == 2 and "no manifest.webapp" in res.output
    d = tmp_path / "app"
    write_app(d, app_files(manifest()))
    res = runner.invoke(dev, [str(d), "--instance", "nobody", "--database-url",
                              live.settings.database_url])
    assert res.exit_code == 2 and "no instance named 'nobody'" in res.output
    assert "instances there: alice" in res.output and live.settings.database_url in res.output
    res = runner.invoke(dev, [str(d), "--instance", "alice", "--database-url",
                              live.settings.database_url, "--port", str(live.port)])
    assert res.exit_code == 2 and "is taken" in res.output
    bad = manifest()
    bad["permissions"]["x"] = {"type": "io.cozy.permissions", "verbs": ["GET"]}
    (d / "manifest.webapp").write_bytes(orjson.dumps(bad))
    res = runner.invoke(dev, [str(d), "--instance", "nobody", "--database-url",
                              live.settings.database_url])
    assert "permissions.reserved_doctype" in res.output


def test_the_command_prints_the_address_and_the_environment_to_copy(live, tmp_path):
    """`selfdata dev` as a developer runs it: the address, then COZY_URL and COZY_TOKEN to
    paste into a shell; the token works for the manifest's permissions and keeps working
    across reloads until the manifest changes (then the new one is printed)."""
    d = tmp_path / "env-app"
    write_app(d, app_files(manifest(slug="env-app")))
    dev_run = Lines([sys.executable, "-m", "selfdata.cli", "dev", str(d), "--instance", "alice",
                     "--port", "0"], cwd=tmp_path,
                    env={"SELFDATA_DATABASE_URL": live.settings.database_url})
    try:
        address = dev_run.wait_for(r"on (http://dev\.env-app\.alice\.localhost:(\d+)/)")
        url = dev_run.wait_for(r"^export COZY_URL=(\S+)$")[1]
        token = dev_run.wait_for(r"^export COZY_TOKEN=(\S+)$")[1]
        port = int(address[2])
        assert port != 0 and url == f"http://127.0.0.1:{port}"

        def status(doctype: str, tok: str) -> int:
            return httpx.get(f"{url}/data/{doctype}/_all_docs",
                             headers={"Authorization": f"Bearer {tok}"}).status_code

        assert status("fr.orange.phonecommunicationlog", token) == 200
        assert status("fr.orange.geopoint", token) == 403
        page = httpx.get(url + "/", headers={"Host": f"dev.env-app.alice.localhost:{port}"})
        assert page.status_code == 200
        seen = len(dev_run.lines)
        (d / "app.js").write_text("// changed")
        dev_run.wait_for("Change seen", after=seen)
        assert status("fr.orange.phonecommunicationlog", token) == 200  # the same install
        seen = len(dev_run.lines)
        m = manifest(slug="env-app")
        m["permissions"]["pos"] = {"type": "fr.orange.geopoint", "verbs": ["GET"],
                                   "description": "Where calls were made from"}
        (d / "manifest.webapp").write_bytes(orjson.dumps(m))
        dev_run.wait_for("The manifest changed", after=seen)
        new = dev_run.wait_for(r"^export COZY_TOKEN=(\S+)$", after=seen)[1]
        assert new != token and status("fr.orange.geopoint", new) == 404  # allowed, none there
        assert status("fr.orange.phonecommunicationlog", token) in (400, 401)
    finally:
        dev_run.stop()


def test_the_command_with_no_database_says_so_and_creates_none(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_cli, "CHECKOUT", tmp_path / "checkout")
    monkeypatch.delenv("SELFDATA_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "app"
    write_app(d, app_files(manifest()))
    res = CliRunner().invoke(dev, [str(d), "--instance", "alice"])
    assert res.exit_code == 2 and "no sandbox database at" in res.output
    assert not (tmp_path / "var").exists()
