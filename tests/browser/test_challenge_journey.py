"""A challenge's journey in a real browser: `selfdata up` opens the example challenge; an
organiser defines a quick one and opens it from its page; a team submits leak-watch through the
team page, and the challenge page shows its score and its public households; the organiser
closes and reveals it, and the private leaderboard appears for everyone. Screenshots go to
var/screenshots/ (SELFDATA_SCREENSHOTS)."""

from __future__ import annotations

import re

import httpx
import pytest

from app_store.packing import pack
from tests.browser.test_journey import ROOT, sign_in, wait_text
from tests.support import docker
from tests.support.browser import audit, browser, chromium_path, shot
from tests.support.up import Up

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.slow]
QUICK = {"key": "leaks-quick", "title": "Leaks, quickly", "kind": "event-detection",
         "event_kinds": ["leak"], "public_households": 1, "hidden_households": 2,
         "time_limit_s": 60}


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    chromium_path()
    docker.base_image()
    tmp = tmp_path_factory.mktemp("challenge-journey")
    up = Up(tmp, "--no-samples")
    text = up.start()
    tokens = dict(re.findall(r"^\s+(Organiser|Team|Judge) token\s+(\S+)", text, re.M))
    archive = tmp / "leak-watch.tar.gz"
    archive.write_bytes(pack(ROOT / "sample_apps" / "leak-watch"))
    store = f"http://127.0.0.1:{up.store_port}"
    org = {"Authorization": f"Bearer {tokens['Organiser']}"}
    # one challenge to watch: the example is closed, a quick one is defined (a draft)
    assert httpx.post(f"{store}/api/challenges/leaks/close", headers=org).status_code == 200
    assert httpx.post(f"{store}/api/challenges", json=QUICK, headers=org).status_code == 201
    yield {"store": store, "tokens": tokens, "archive": archive, "up": up}
    up.stop()


def test_open_submit_score_and_reveal_a_challenge(event):
    store, tokens = event["store"], event["tokens"]
    page_url = f"{store}/challenges/leaks-quick"
    with browser() as b:
        org = b.new_context(locale="en-GB").new_page()
        sign_in(org, store, tokens["Organiser"])
        org.goto(page_url)
        assert org.text_content("#challenge-state") == "draft"
        assert "Organiser controls" in org.content() and audit(org) == []
        org.click("form[action='/challenges/leaks-quick/open'] button")
        org.wait_for_url(page_url)
        assert org.text_content("#challenge-state") == "open"
        shot(org, "challenge-1-opened")

        team = b.new_context(locale="en-GB").new_page()
        sign_in(team, store, tokens["Team"])
        team.goto(page_url)
        assert "What to produce" in team.content() and "POST /selfdata/challenge" in \
            team.content()
        team.goto(f"{store}/team")
        team.set_input_files("#file", str(event["archive"]))
        team.click("form[action='/team/submit'] button[type=submit]")
        team.wait_for_url(re.compile(r"/submissions/\d+$"))
        wait_text(team, "#state", "awaiting-review", timeout=300)
        team.goto(page_url)
        wait_text(team, "#runs .run-state", "^scored$", timeout=300)
        runs = team.text_content("#runs")
        assert "public-" in runs and "hidden-" not in runs
        assert "leak-watch" in team.text_content("#leaderboard")
        assert team.locator("#private-leaderboard").count() == 0
        shot(team, "challenge-2-scored")
        assert audit(team) == [], "challenge-2-scored"

        org.goto(page_url)
        org.click("form[action='/challenges/leaks-quick/close'] button")
        org.wait_for_url(page_url)
        assert org.text_content("#challenge-state") == "closed"
        assert "leak-watch" in org.text_content("#private-leaderboard")
        team.goto(page_url)
        assert team.locator("#private-leaderboard").count() == 0
        org.click("form[action='/challenges/leaks-quick/reveal'] button")
        org.wait_for_url(page_url)
        assert org.text_content("#challenge-state") == "revealed"
        shot(org, "challenge-3-revealed")

        org.goto(f"{store}/challenges")
        assert "Define a challenge" in org.content() and "Final ranking" in org.content()
        assert audit(org) == [], "challenge-list-organiser"

        visitor = b.new_context(locale="fr-FR").new_page()
        visitor.goto(page_url)
        assert "leak-watch" in visitor.text_content("#private-leaderboard")
        assert "Classement privé" in visitor.content()
        shot(visitor, "challenge-4-revealed-fr")
        assert audit(visitor) == [], "challenge-4-revealed-fr"
