"""The contestant tutorial's app, exactly as the tutorial builds it: cozy-client-js from npm in
vendor/, run with `selfdata dev`, shows the tester's bills in chromium, and passes the store's
checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from app_store.checks.run import check_upload
from app_store.packing import pack
from sandbox.settings import Settings
from selfdata.dev import DevSession
from tests.support.browser import browser, shot, wait_for_text
from tests.support.households import docs_of, full_household, household
from tests.support.node import js_packages
from tests.support.served import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.node]
TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial" / "my-bills"


@pytest.fixture
def app_dir(tmp_path) -> Path:
    d = tmp_path / "my-bills"
    shutil.copytree(TUTORIAL, d)
    # the tutorial's step: npm install cozy-client-js, copy its browser bundle to vendor/
    modules = js_packages() / "node_modules"
    (d / "vendor").mkdir()
    shutil.copy(modules / "cozy-client-js" / "dist" / "cozy-client.min.js", d / "vendor")
    return d


def test_the_tutorial_app_passes_the_store_checks(app_dir):
    report = check_upload(pack(app_dir), "my-bills.tar.gz")
    assert report.accepted, [p.to_json() for p in report.problems]


def test_the_tutorial_app_shows_the_testers_bills(app_dir, tmp_path):
    bills = docs_of(household(full_household()), "io.cozy.bills")
    with LiveServer(Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}")) as live:
        inst = live.sandbox.instances.create("alice")
        live.sandbox.documents.load(inst.id, "io.cozy.bills", bills)
        session = DevSession(live.app, live.port, app_dir, "alice")
        session.start()
        try:
            assert session.wait_ready()
            assert httpx.get(live.url, headers={"Host": f"dev.my-bills.alice.localhost:{live.port}"}
                             ).status_code == 200
            with browser() as b:
                page = b.new_page()
                page.goto(session.url)
                wait_for_text(page, "#total", "in all")
                total = sum(x["amount"] for x in bills)
                assert page.text_content("#total") == f"{len(bills)} bills, {total:.2f} € in all."
                vendors = {x["vendor"] for x in bills}
                assert page.locator("#vendors tr").count() == len(vendors)
                shot(page, "tutorial-my-bills")
        finally:
            session.stop()
