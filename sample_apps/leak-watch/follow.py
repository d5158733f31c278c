"""Follow the water readings as they arrive and tell the tester of a new leak.

The app reads the ``_changes`` feed of the statements from the sequence it last saw (from
"now" at start: what was there before is the page's business). When new water readings
arrive, it runs the detector again; a leak it had not stored yet becomes a notification
(``POST /notifications``, category "leak" of the manifest). In a live run that is within the
day the burst's reading is delivered.
"""

from __future__ import annotations

import threading
import urllib.parse

import analysis
import watch
from cozy import Cozy, CozyError

NOTIFY_CATEGORY = "leak"


def changes_since(cozy: Cozy, since: str) -> tuple[str, list[dict]]:
    """(the new last sequence, the documents written since ``since``)."""
    q = urllib.parse.urlencode({"since": since, "include_docs": "true"})
    try:
        feed = cozy.request("GET", f"/data/{watch.WATER_DOCTYPE}/_changes?{q}")
    except CozyError as exc:
        if exc.status == 404:   # no statement yet
            return since, []
        raise
    docs = [r["doc"] for r in feed.get("results", []) if r.get("doc") and not r.get("deleted")]
    return str(feed.get("last_seq", since)), docs


def notify(cozy: Cozy, finding: dict) -> None:
    title = "Possible water leak" if finding["kind"] == "leak" else "Burst pipe?"
    message = (f"{finding['litres_lost']:.0f} L more than usual from {finding['start']} to "
               f"{finding['end']}: {finding.get('evidence', '')}")
    cozy.request("POST", "/notifications", {"data": {"type": "io.cozy.notifications",
                                                     "attributes": {
                                                         "category": NOTIFY_CATEGORY,
                                                         "title": title, "message": message,
                                                         "data": {"key": finding["key"]}}}})


def step(cozy: Cozy, since: str) -> tuple[str, list[dict]]:
    """One look at the feed: the new sequence and the leaks notified."""
    seq, docs = changes_since(cozy, since)
    if not any(d.get("statementCategory") == analysis.WATER_CATEGORY for d in docs):
        return seq, []
    summary = watch.run(cozy)
    leaks = [f for f in summary["new"] if f["isLeak"]]
    for f in leaks:
        notify(cozy, f)
    return seq, leaks


def follow(cozy: Cozy, every: float, stop: threading.Event) -> None:
    """Look at the feed every ``every`` seconds until ``stop`` is set."""
    since = "now"
    while not stop.is_set():
        try:
            since, _ = step(cozy, since)
        except (CozyError, OSError, KeyError, ValueError) as exc:
            print(f"leak-watch: following the readings failed: {exc}", flush=True)
        stop.wait(every)
