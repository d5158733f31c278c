"""The whole journey in a real browser (Debian's chromium, headless), as a new user takes it:
`selfdata up` generates and serves everything; a team submits a sample app through the form and
sees its checks pass; an organiser approves it; a judge scores it; a tester installs it with
consent, opens it and sees their own data, finds the reads in their access journal, and
uninstalls it. Screenshots go to var/screenshots/ (SELFDATA_SCREENSHOTS)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from app_store.packing import pack
from tests.support import docker
from tests.support.browser import (
    audit,
    browser,
    chromium_path,
    keyboard_reaches,
    shot,
    wait_for_text,
)
from tests.support.up import Up

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    chromium_path()
    docker.base_image()
    tmp = tmp_path_factory.mktemp("journey")
    up = Up(tmp, "--no-samples")
    text = up.start()
    port, store_port = up.port, up.store_port
    tokens = dict(re.findall(r"^\s+(Organiser|Team|Judge) token\s+(\S+)", text, re.M))
    first = re.search(r"http://([a-z0-9-]+)\.localhost:\d+/ \(2 testers\)", text).group(1)
    cli_token = re.search(r"export TOKEN=(\S+)", text).group(1)
    archive = tmp / "my-calls.tar.gz"
    archive.write_bytes(pack(ROOT / "sample_apps" / "my-calls"))
    yield {"port": port, "store": f"http://127.0.0.1:{store_port}", "tokens": tokens,
           "first": first, "cli_token": cli_token, "archive": archive}
    up.stop()


def sign_in(page, store: str, token: str) -> None:
    page.goto(f"{store}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def wait_text(page, selector: str, pattern: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.text_content(selector) or ""
        if re.search(pattern, text):
            return text
        time.sleep(1)
        page.reload()
    raise AssertionError(f"{selector} never matched {pattern!r}; last: {text!r}")


def test_the_whole_journey(event):
    store, port, first = event["store"], event["port"], event["first"]
    calls = httpx.get(f"http://127.0.0.1:{port}/data/fr.orange.phonecommunicationlog/"
                      "_all_docs?limit=0",
                      headers={"Authorization": f"Bearer {event['cli_token']}"}).json()
    n_calls = calls["total_rows"]
    assert n_calls > 100
    with browser() as b:
        team = b.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        team.goto(f"{store}/login")
        assert audit(team) == [] and keyboard_reaches(team, "#token")
        sign_in(team, store, event["tokens"]["Team"])
        assert "/team" in team.url
        assert audit(team) == [] and keyboard_reaches(team, "#file")
        team.set_input_files("#file", str(event["archive"]))
        team.click("form[action='/team/submit'] button[type=submit]")
        team.wait_for_url(re.compile(r"/submissions/\d+$"))
        sub_url = team.url
        wait_text(team, "#state", "awaiting-review")
        assert "All checks passed" in team.content()
        shot(team, "1-team-submission-ready")
        assert audit(team) == [], "1-team-submission-ready"

        org = b.new_context(locale="en-GB").new_page()
        sign_in(org, store, event["tokens"]["Organiser"])
        org.goto(sub_url)
        org.fill("#reason", "Clear, and asks only for the call log.")
        org.click("button[value=approve]")
        wait_text(org, "#state", "^approved$")
        shot(org, "2-organiser-approved")
        assert audit(org) == [], "2-organiser-approved"

        judge = b.new_context(locale="en-GB").new_page()
        sign_in(judge, store, event["tokens"]["Judge"])
        assert "/judge" in judge.url
        section = judge.locator("#app-my-calls")
        for i, radio in enumerate(section.locator("fieldset").all()):
            radio.locator(f"input[value='{4 + i % 2}']").check()
        section.locator("button[type=submit]").click()
        judge.wait_for_load_state()
        assert "Scores for my-calls saved" in judge.content()
        shot(judge, "3-judge-scored")
        assert audit(judge) == [], "3-judge-scored"
        org.goto(f"{store}/organiser")
        assert audit(org) == []
        board = org.text_content("#leaderboard")
        assert "my-calls" in board and "Sample apps" in board

        tester = b.new_context(viewport={"width": 390, "height": 844},   # a phone, in English
                               locale="en-GB").new_page()
        tester.goto(f"{store}/")
        assert audit(tester) == []
        tester.click("text=My calls")
        assert "Data use C" in tester.content()
        assert audit(tester) == [] and keyboard_reaches(tester, "#instance")
        tester.fill("#instance", first)
        tester.click("text=Get install link")
        tester.click(f"text=Install into {first}")
        tester.wait_for_url(re.compile(rf"{first}\.localhost:{port}/apps/install"))
        assert "phone calls" in tester.content()
        shot(tester, "4-tester-consent")
        assert audit(tester) == [], "4-tester-consent"
        tester.click("text=Install and allow")
        tester.wait_for_url(f"http://my-calls.{first}.localhost:{port}/")
        wait_for_text(tester, "#status", "read.", timeout_ms=60000)
        assert tester.text_content("#status") == f"{n_calls} calls and SMS read."
        shot(tester, "5-tester-app")

        tester.goto(f"http://{first}.localhost:{port}/")
        journal = tester.text_content("body")
        assert "my-calls" in journal.lower() or "My calls" in journal
        shot(tester, "6-tester-dashboard-journal")
        assert audit(tester) == [], "6-tester-dashboard-journal"
        tester.click("text=Uninstall My calls")       # asks first, says what it means
        tester.wait_for_url(re.compile(r"/apps/my-calls/uninstall$"))
        assert "its key will be cancelled" in tester.content()
        assert audit(tester) == [], "7-tester-confirm-uninstall"
        tester.click("#confirm-uninstall")
        tester.wait_for_url(re.compile(r"uninstalled=my-calls"))
        assert "Its key is cancelled" in tester.text_content("#uninstalled")
        assert "Uninstall My calls" not in tester.content()
        shot(tester, "7-tester-uninstalled")
