"""`selfdata dev` live reload in Chromium: a page of the dev app, left open, shows an edit of
the app folder without anyone reloading it."""

from __future__ import annotations

import re

import pytest

from sandbox.settings import Settings
from selfdata.dev import DevSession
from tests.support.apps import app_files, manifest
from tests.support.browser import browser, shot, wait_for_text
from tests.support.served import LiveServer

pytestmark = pytest.mark.browser

PAGE = "<!doctype html><html lang='en'><title>Reload</title><body><h1 id='msg'>{}</h1></body>"


def test_an_open_page_of_the_dev_app_reloads_when_a_file_changes(tmp_path):
    d = tmp_path / "reload-me"
    d.mkdir()
    for name, data in app_files(manifest(slug="reload-me"),
                                **{"index.html": PAGE.format("first").encode()}).items():
        (d / name).write_bytes(data)
    with LiveServer(Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}")) as live:
        live.sandbox.instances.create("alice")
        session = DevSession(live.app, live.port, d, "alice")
        session.start()
        try:
            assert session.wait_ready()
            with browser() as b:
                page = b.new_page()
                page.goto(session.url)
                assert page.text_content("#msg") == "first"
                page.evaluate("window.notReloaded = true")
                (d / "index.html").write_text(PAGE.format("second"))
                assert session.changed(timeout=10)   # what `selfdata dev`'s loop waits for
                assert session.reload()
                wait_for_text(page, "#msg", re.compile("^second$"))
                assert page.evaluate("window.notReloaded") is None   # a new page load
                shot(page, "dev-live-reload")
        finally:
            session.close()
