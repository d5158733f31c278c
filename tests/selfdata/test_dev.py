"""``selfdata dev``: the app from disk, at its installed address, with its own token, reloaded."""

from __future__ import annotations

import httpx
import orjson
import pytest
from click.testing import CliRunner

from sandbox.settings import Settings
from selfdata.cli import dev
from selfdata.dev import DevSession
from tests.support.apps import app_files, manifest
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
        assert s.url == f"http://dev-app.alice.localhost:{live.port}/"
        r = get(live, "dev-app.alice.localhost")
        assert r.status_code == 200 and r.text.startswith("VERSION ")
        assert "fr.orange.phonecommunicationlog" in r.text  # its manifest's permission
        assert not s.changed()
        (d / "server.py").write_text(SERVER.replace("VERSION ", "VERSION2 "))
        assert s.changed(timeout=10)  # seen by inotify, not by a timer
        s.reload()
        assert s.wait_ready()
        assert get(live, "dev-app.alice.localhost").text.startswith("VERSION2 ")
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
        page = get(live, "static-dev.alice.localhost").text
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
    assert res.exit_code == 2 and "no instance 'nobody'" in res.output and "alice" in res.output
    res = runner.invoke(dev, [str(d), "--instance", "alice", "--database-url",
                              live.settings.database_url, "--port", str(live.port)])
    assert res.exit_code == 2 and "is taken" in res.output
    bad = manifest()
    bad["permissions"]["x"] = {"type": "io.cozy.permissions", "verbs": ["GET"]}
    (d / "manifest.webapp").write_bytes(orjson.dumps(bad))
    res = runner.invoke(dev, [str(d), "--instance", "nobody", "--database-url",
                              live.settings.database_url])
    assert "permissions.reserved_doctype" in res.output
