"""A forecast challenge end to end on a real Docker engine: the held-out month is not in the
app's instance, a simple forecaster (the last four weeks' mean day) beats the baseline (the
mean day of the data so far), an app that answers ten times too much does not."""

from __future__ import annotations

import time

import pytest

from tests.support.apps import app_files, manifest, tar_gz
from tests.support.challenges import challenge_store

pytestmark = pytest.mark.docker

FORECAST = {"key": "next-month", "title": "Next month's electricity", "kind": "forecast",
            "target": "electricity", "public_households": 1, "hidden_households": 2,
            "time_limit_s": 60}
ENERGY = "fr.enedis.api.meteringdata.energy"


def forecaster(slug: str, factor: float) -> bytes:
    """Reads its daily energy, forecasts the month after its last day as the mean of the last
    28 days times 31, times ``factor``."""
    doctype = f"fr.hackathon.{slug.replace('-', '_')}.findings"
    server = f"""
import datetime, json, os, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
URL, TOKEN = os.environ["COZY_URL"], os.environ["COZY_TOKEN"]
def call(method, path, body=None):
    req = urllib.request.Request(URL + path, method=method, data=None if body is None else
                                 json.dumps(body).encode(), headers={{
                                 "Authorization": "Bearer " + TOKEN,
                                 "Content-Type": "application/json"}})
    return json.load(urllib.request.urlopen(req, timeout=30))
def forecast():
    rows = call("GET", "/data/{ENERGY}/_all_docs?include_docs=true")["rows"]
    days = {{}}
    for r in rows:
        doc = r.get("doc") or {{}}
        if "usage_point" not in doc:
            continue
        m = doc["usage_point"][0]["meter_reading"]
        day = m["reading_type"]["start_measurement_period"][:10]
        days[day] = sum(float(v["value"]) for v in m["interval_block"]) / 1000
    last = sorted(days)[-28:]
    nxt = datetime.date.fromisoformat(last[-1]) + datetime.timedelta(days=1)
    value = sum(days[d] for d in last) / len(last) * 31 * {factor}
    call("POST", "/data/{doctype}/", {{"target": "electricity",
                                       "month": nxt.strftime("%Y-%m"), "value": value}})
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        forecast()
        self.send_response(200); self.end_headers(); self.wfile.write(b"done")
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
""".encode()
    m = manifest(slug=slug, runtime={"type": "python", "command": ["python3", "server.py"],
                                     "health": "/health"},
                 permissions={"energy": {"type": ENERGY, "verbs": ["GET"],
                                         "description": "To read the daily energy."},
                              "findings": {"type": doctype, "verbs": ["GET", "POST"],
                                           "description": "To keep its forecast."}})
    return tar_gz(app_files(m, **{"server.py": server}))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with challenge_store(tmp_path_factory.mktemp("forecast"), FORECAST) as harness:
        yield harness


def scored(store, archive: bytes, who: str) -> dict:
    info = store.settle(store.submit(archive, who), who)
    assert info["state"] == "awaiting-review", info["reason"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        runs = store.get("/api/challenges/next-month/runs", headers=store.auth(who)).json()
        if runs["data"] and runs["data"][0]["state"] in ("done", "failed"):
            return runs["data"][0]
        store.store.wake.wait(0.5)
    raise AssertionError("the scoring run did not finish in 5 minutes")


def test_a_simple_forecaster_beats_the_baseline_and_a_wild_one_does_not(store):
    good = scored(store, forecaster("last-weeks", 1.0), "Blue")
    assert good["state"] == "done", good["reason"]
    board = good["totals"]["leaderboard"]
    assert board["errors"] == 0 and board["score"] < board["baseline"], board
    # the month forecast is the month after the last day the app saw: December, so the
    # held-out month was not in its instance
    (public,) = good["households"]
    assert public["result"]["forecast"] and public["result"]["actual"] > 0
    wild = scored(store, forecaster("ten-times", 10.0), "Red")
    assert wild["totals"]["leaderboard"]["score"] > wild["totals"]["leaderboard"]["baseline"]
    rows = store.get("/api/challenges/next-month/leaderboard").json()["data"]
    assert [r["app"] for r in rows] == ["last-weeks", "ten-times"]
