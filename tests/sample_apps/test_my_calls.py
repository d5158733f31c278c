"""My calls (static): the page's placeholders and scripts, its data logic under Node against
totals computed here, and its query against a live sandbox with the app's token."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import FLAGS
from tests.support.households import full_household
from tests.support.requirements import require
from tests.support.sample_apps import APPS, docs, manifest_of

APP = APPS / "my-calls"
CALLS = "fr.orange.phonecommunicationlog"
NODE_TEST = Path(__file__).parent / "js" / "my_calls.test.js"
HOUSEHOLD = full_household()  # Orange lines
PARIS = ZoneInfo("Europe/Paris")


def test_index_has_the_placeholders_and_only_local_scripts() -> None:
    html = (APP / "index.html").read_text()
    assert "{{.Token}}" in html and "{{.Domain}}" in html
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == ["calls.js", "app.js"]
    assert all((APP / s).exists() for s in scripts)
    assert not re.search(r"(?:https?:)?//[a-z0-9]", html.replace('"//"', ""))
    app_js = (APP / "app.js").read_text()
    assert 'location.protocol + "//" + domain' in app_js  # the cloud's address, from the page
    assert "Bearer" in app_js and "_find" in app_js and "bookmark" in app_js


def expected_totals(log: list[dict], line: str = "") -> dict:
    """What the page should show, computed independently (zoneinfo for French local time)."""
    log = [d for d in log if not line or d["msisdn"] == line]
    contacts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    seconds = [[0] * 24 for _ in range(7)]
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    calls = call_seconds = sms = 0
    for d in log:
        local = datetime.fromisoformat(d["timestamp"].replace("Z", "+00:00")).astimezone(PARIS)
        month = months[local.strftime("%Y-%m")]
        if d["chipType"] == "M":
            contacts[d["partner"]][2] += 1
            month[2] += 1
            sms += 1
        else:
            contacts[d["partner"]][0] += 1
            contacts[d["partner"]][1] += d["length"]
            seconds[local.weekday()][local.hour] += d["length"]
            month[0] += 1
            month[1] += d["length"]
            calls += 1
            call_seconds += d["length"]
    return {"calls": calls, "callSeconds": call_seconds, "sms": sms,
            "contacts": dict(contacts), "seconds": seconds,
            "months": [[m, *v] for m, v in sorted(months.items())]}


@pytest.mark.parametrize("line", ["", "first"])
@pytest.mark.node
def test_node_aggregation_matches_python(tmp_path, line: str) -> None:
    require(shutil.which("node") is not None, "node is not installed")
    log = docs(HOUSEHOLD, CALLS)
    assert len(log) > 500
    if line == "first":
        line = sorted({d["msisdn"] for d in log})[0]
    fixture = tmp_path / "calls.json"
    fixture.write_text(json.dumps({"docs": log, "line": line,
                                   "expected": expected_totals(log, line)}))
    done = subprocess.run(["node", "--test", str(NODE_TEST)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MY_CALLS_FIXTURE": str(fixture)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# pass 4" in done.stdout and "# fail 0" in done.stdout


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_live_the_pages_query_reads_the_whole_log(live_sandbox) -> None:
    """The request app.js sends (an _id selector, pages of 1,000, the bookmark) returns every
    call of the household with the app's token, and nothing else is readable with it."""
    instance = live_sandbox.instance_for(HOUSEHOLD)
    token = live_sandbox.install(instance, manifest_of(APP))
    url = f"{live_sandbox.url}/data/{CALLS}/_find"
    got: list[dict] = []
    bookmark = ""
    pages = 0
    while True:
        body: dict = {"selector": {"_id": {"$gt": None}}, "limit": 1000}
        if bookmark:
            body["bookmark"] = bookmark
        status, page = _post(url, token, body)
        assert status == 200, page
        got.extend(page["docs"])
        pages += 1
        bookmark = page["bookmark"]
        if len(page["docs"]) < 1000 or not bookmark:
            break
    expected = docs(HOUSEHOLD, CALLS)
    assert pages >= 2 and len(got) == len(expected)
    assert sorted(d["timestamp"] + d["msisdn"] for d in got) == \
        sorted(d["timestamp"] + d["msisdn"] for d in expected)
    status, _ = _post(f"{live_sandbox.url}/data/fr.orange.geopoint/_find", token,
                      {"selector": {"_id": {"$gt": None}}})
    assert status == 403


@pytest.mark.browser
def test_live_the_page_renders_in_a_browser(live_sandbox, tmp_path) -> None:
    """Headless chromium opens the page on the app's own origin (the placeholders filled in as
    the platform does) and the page reads the log from the instance's API through CORS."""
    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium is not installed")
    instance = live_sandbox.instance_for(HOUSEHOLD)
    token = live_sandbox.install(instance, manifest_of(APP))
    domain = f"{instance}.localhost:{live_sandbox.server.port}"
    values = {"{{.Token}}": token, "{{.Domain}}": domain, "{{.Locale}}": "en",
              "{{.AppName}}": "My calls"}
    for f in APP.iterdir():
        if not f.is_file() or f.suffix not in (".html", ".js", ".svg"):
            continue
        data = f.read_text()
        if f.name == "index.html":
            for k, v in values.items():
                data = data.replace(k, v)
        (tmp_path / f.name).write_text(data)
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    files = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    try:
        url = f"http://my-calls.{instance}.localhost:{files.server_port}/index.html"
        done = subprocess.run([chromium, "--headless", *FLAGS, f"--user-data-dir={tmp_path}/p",
                               "--virtual-time-budget=20000", "--dump-dom", url],
                              capture_output=True, text=True, timeout=120)
    finally:
        files.shutdown()
        files.server_close()
    dom = done.stdout
    log = docs(HOUSEHOLD, CALLS)
    assert f"{len(log)} calls and SMS read." in dom, dom[-2000:]
    e = expected_totals(log)
    assert f"<b>{e['calls']}</b>calls" in dom and f"<b>{e['sms']}</b>SMS" in dom
    assert dom.count("<rect") > 7 * 24


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass
