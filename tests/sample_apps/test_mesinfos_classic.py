"""MesInfos classic (static, written the MesInfos way): its page relies on {{.CozyClientJS}} and
{{.CozyBar}}, boots in Chromium at its installed address against a loaded household (through
`selfdata dev`, the proxy path of installed static apps) and shows that household's data."""

from __future__ import annotations

import re

import pytest

from selfdata.dev import DevSession
from tests.support.browser import browser
from tests.support.households import full_household
from tests.support.sample_apps import APPS, docs
from tests.support.stack_assets import stack_assets_dir

APP = APPS / "mesinfos-classic"
HOUSEHOLD = full_household()  # every source: calls, positions, VOD, energy


def test_the_page_is_written_the_mesinfos_way() -> None:
    page = (APP / "index.html").read_text()
    assert "{{.CozyClientJS}}" in page and "{{.CozyBar}}" in page
    assert 'data-cozy-token="{{.Token}}"' in page and 'data-cozy-domain="{{.Domain}}"' in page
    code = (APP / "app.js").read_text()
    assert 'cozy.client.init({ cozyURL: "//" + data.cozyDomain, token: data.cozyToken })' in code
    assert "cozy.client.data.defineIndex(doctype" in code and "cozy.client.data.query(" in code
    assert "cozy.bar.init(" in code


@pytest.mark.browser
@pytest.mark.node
def test_it_boots_in_chromium_and_shows_the_households_data(live_sandbox) -> None:
    stack_assets_dir()  # installed at set-up (make install); here if the test runs alone
    instance = live_sandbox.instance_for(HOUSEHOLD)
    server = live_sandbox.server
    session = DevSession(server.app, server.port, APP, instance, say=lambda _m: None)
    session.start()
    errors: list[str] = []
    assets: dict[str, int] = {}
    try:
        assert session.wait_ready()
        with browser() as b:
            page = b.new_page(viewport={"width": 1024, "height": 800})
            page.on("pageerror", lambda e: errors.append(f"{e.name}: {e.message}"))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" and
                    "is not defined" in m.text else None)
            page.on("response", lambda r: assets.__setitem__(r.url, r.status)
                    if "/assets/" in r.url else None)
            page.goto(session.url)
            page.wait_for_function("document.getElementById('status').textContent"
                                   ".startsWith('Read') || document.getElementById('status')"
                                   ".className === 'error'", timeout=90_000)
            status = page.text_content("#status")
            geo = page.text_content("#geopoints .summary")
            calls = page.text_content("#calls .summary")
            videos = page.text_content("#videos .summary")
            booted = page.evaluate("typeof cozy.client.data.query === 'function' && "
                                   "typeof cozy.bar.init === 'function'")
            bar_name = page.text_content("[role=banner]") or ""
    finally:
        session.close()
    assert status == "Read from your personal cloud.", status
    assert booted and "MesInfos classique" in bar_name  # the bar, with the localised name
    assert not [e for e in errors if "ReferenceError" in e or "is not defined" in e], errors
    loaded = {re.sub(r"\.[0-9a-f]{10}\.", ".", u.split("/assets", 1)[1]): s
              for u, s in assets.items()}
    assert loaded.get("/js/cozy-client.min.js") == 200 and loaded.get("/js/cozy-bar.min.js") == 200
    assert loaded.get("/css/cozy-bar.min.css") == 200 and loaded.get("/fonts/fonts.css") == 200
    assert all(s == 200 for s in loaded.values()), loaded
    geopoints = docs(HOUSEHOLD, "fr.orange.geopoint")
    log = docs(HOUSEHOLD, "fr.orange.phonecommunicationlog")
    sms = sum(d["chipType"] == "M" for d in log)
    minutes = round(sum(d["length"] for d in log if d["chipType"] != "M") / 60)
    vod = docs(HOUSEHOLD, "fr.orange.videostream")
    assert geo.startswith(f"{len(geopoints)} positions from ")
    assert calls.startswith(f"{len(log) - sms} calls ({minutes} minutes) and {sms} SMS")
    assert videos == f"{len(vod)} videos, {sum(d['price'] for d in vod):.2f} € in all"
