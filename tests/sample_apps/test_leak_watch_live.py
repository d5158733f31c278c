"""Leak watch in a live run: the burst pipe's water reading arrives on the water utility's
cadence, the app (following ``_changes``) raises a notification within one simulated day of
the burst, and the tester's dashboard shows it with the cloud's "today" (Chromium)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from sandbox.live.clock import EVENT
from sandbox.settings import Settings
from tests.sandbox.live.households import BURST_DAY, BURSTY, TZ, at, household_docs, truth
from tests.support.browser import browser, chromium_path, shot
from tests.support.sample_apps import APPS, LiveSandbox, manifest_of, running_app
from tests.support.served import LiveServer
from tests.support.stack_assets import ASSETS_DIR

pytestmark = [pytest.mark.browser, pytest.mark.slow]
APP = APPS / "leak-watch"


def test_a_burst_pipe_is_notified_within_a_simulated_day_and_shown(tmp_path, monkeypatch):
    chromium_path()
    burst = [t for t in truth(BURSTY) if t["kind"] == "leak"]
    assert burst and burst[0]["start"] == BURST_DAY.isoformat()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lw.db'}",
                        files_dir=str(tmp_path / "files"), assets_dir=str(ASSETS_DIR),
                        live_tick_s=0.05)
    monkeypatch.setenv("LEAK_WATCH_POLL_S", "0.1")
    with LiveServer(settings) as server:
        sb = server.sandbox
        inst = sb.instances.create("lea")
        sb.live.schedule(inst, household_docs(BURSTY), at(BURST_DAY - timedelta(days=2)))
        token = LiveSandbox(server).install("lea", manifest_of(APP))
        sb.live.clocks.set(EVENT, at=at(BURST_DAY - timedelta(days=2)), paused=True)
        with running_app(APP, server.url, token, "lea"):
            # a simulated day every 4 seconds from now on
            sb.live.clocks.set(EVENT, speed=86_400 / 4, paused=False)
            deadline = time.monotonic() + 60
            while not sb.notifications.recent(inst):
                assert time.monotonic() < deadline, "no notification after 15 simulated days"
                time.sleep(0.05)   # the app's own thread posts it: no other signal to wait on
            sb.live.clocks.set(EVENT, paused=True)
            note = sb.notifications.recent(inst)[0]
            raised = datetime.fromisoformat(note["created_at"].replace("Z", "+00:00"))
            burst_ends = datetime.combine(BURST_DAY + timedelta(days=1), datetime.min.time(), TZ)
            assert note["slug"] == "leak-watch" and note["category"] == "leak"
            assert BURST_DAY.isoformat() in note["message"]
            # the day's reading comes the next morning; the app raises it within a day
            assert burst_ends < raised <= burst_ends + timedelta(days=1), raised
            with browser() as b:
                page = b.new_page(viewport={"width": 1100, "height": 900})
                page.goto(f"http://lea.localhost:{server.port}/")
                today = page.get_attribute("#today-date", "datetime") or ""  # ISO, UTC
                notes = page.text_content("ul.notifications") or ""
                arrivals = page.text_content("#arrivals") or ""
                shot(page, "live-leak-watch-dashboard")
    assert today.startswith((BURST_DAY + timedelta(days=1)).isoformat()) or \
        today.startswith((BURST_DAY + timedelta(days=2)).isoformat())
    assert note["title"] in notes and "leak-watch" in notes
    assert "water" in arrivals and "enedis" in arrivals
