"""In Chromium (Debian's, headless): the API docs of both apps render from their own files
with every request outside the app refused; an organiser reviews a submission that asks for
a permission it never used, with its screenshot shown; a new account's token is at the top and
its Copy button copies it; form errors show in the form. Each page passes the audit."""

from __future__ import annotations

import re
import struct
import zlib
from urllib.parse import urlsplit

import pytest

from sandbox.settings import Settings
from sandbox.web.app import create_app as create_sandbox
from tests.support.apps import PY_RUNTIME, app_files, manifest, tar_gz
from tests.support.browser import audit, browser, chromium_path, shot, wait_for_text
from tests.support.served import Served
from tests.support.store import awaiting_review, live_store

pytestmark = pytest.mark.browser


def png(width: int = 40, height: int = 24) -> bytes:
    """A real (decodable) PNG: a blue rectangle."""
    raw = b"".join(b"\x00" + b"\x1f\x5c\xad" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    chromium_path()
    with live_store(tmp_path_factory.mktemp("store")) as (served, tokens):
        yield served, tokens


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sandbox")
    with Served(create_sandbox(Settings(database_url=f"sqlite:///{tmp / 's.db'}"))) as served:
        yield served


def offline(page, origin: str) -> list[str]:
    """Refuse every request that leaves ``origin``; the list fills with what was tried."""
    tried: list[str] = []

    def handle(route):
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == origin or parts.scheme == "data":
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    page.route("**/*", handle)
    return tried


@pytest.mark.parametrize("which,route,summary", [
    ("store", "/api/submissions", "Upload an app"),
    ("sandbox", "/data/{doctype}/_find", "Find documents of a doctype")])
def test_api_docs_render_offline_from_the_app_s_own_files(store, sandbox, which, route,
                                                          summary):
    origin = store[0].url if which == "store" else sandbox.url
    with browser() as b:
        page = b.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tried = offline(page, origin)
        page.goto(f"{origin}/api-docs")
        path = page.locator(".opblock-summary-path", has_text=route).first
        path.wait_for(timeout=30000)
        assert summary in page.locator(".opblock-summary", has=path).first.text_content()
        shot(page, f"api-docs-{which}")
        assert tried == [] and errors == [], (tried, errors)


def test_an_organiser_reviews_what_an_app_asks_for(store):
    served, tokens = store
    st = served.app.state.store
    m = manifest(runtime=PY_RUNTIME, screenshots=["shot.png"], permissions={
        "calls": {"type": "fr.orange.phonecommunicationlog", "verbs": ["GET"]},
        "places": {"type": "fr.orange.geopoint"}})
    smoke = {"ok": True, "health_seconds": 0.4, "detail": "", "read":
             ["fr.orange.phonecommunicationlog"], "written": [], "refused": [],
             "page_status": 200, "logs": "listening"}
    sid = awaiting_review(st, tokens["Blue"], m, smoke,
                          tar_gz(app_files(m, **{"shot.png": png()})))
    with browser() as b:
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{served.url}/login")
        page.fill("#token", tokens["Org"])
        page.click("button[type=submit]")
        page.wait_for_url("**/organiser")
        page.goto(f"{served.url}/submissions/{sid}")
        unused = page.locator("#permissions tr.unused")
        assert unused.count() == 1 and "where your phone was" in unused.text_content()
        assert unused.locator(".badge.warn").is_visible()
        assert "During the smoke run it read: your phone calls" in page.text_content(
            "#smoke-read")
        width = page.eval_on_selector("#screenshots img", "img => img.naturalWidth")
        assert width == 40
        assert page.locator("a[href$='/archive']").is_visible()
        shot(page, "review-page")
        assert audit(page) == []
        page.fill("#reason", "Why ALL on positions?")
        page.click("button[value=reject]")
        page.wait_for_load_state()
        assert page.text_content("#state") == "rejected"


def test_a_new_token_is_copied_and_a_form_error_stays_in_its_form(store):
    served, tokens = store
    with browser() as b:
        context = b.new_context(viewport={"width": 390, "height": 844})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.url)
        page = context.new_page()
        page.goto(f"{served.url}/login")
        page.fill("#token", tokens["Org"])
        page.click("button[type=submit]")
        page.wait_for_url("**/organiser")
        page.fill("#acc-name", "Ann Judge")
        page.select_option("#acc-role", "judge")
        page.select_option("#acc-team", "Blue")
        page.click("form[action='/organiser/accounts'] button[type=submit]")
        page.wait_for_load_state()
        token = page.text_content("#new-token")
        assert token.startswith("sd_j_")
        box = page.locator("#new-token").bounding_box()
        assert box is not None and box["y"] < 400          # at the top, not in small print
        page.click("button[data-copy=new-token]")
        wait_for_text(page, "[data-copied=new-token]", re.compile(".+"))
        assert page.evaluate("navigator.clipboard.readText()") == token
        shot(page, "organiser-new-token-phone")
        assert audit(page) == []
        page.fill("#acc-name", "Ann Judge")
        page.select_option("#acc-role", "judge")
        page.click("form[action='/organiser/accounts'] button[type=submit]")
        page.wait_for_load_state()
        error = page.locator("form[action='/organiser/accounts'] .form-error")
        assert "already exists" in error.text_content()
        assert page.input_value("#acc-name") == "Ann Judge"
        shot(page, "organiser-form-error-phone")
        assert audit(page) == []
        judge = b.new_page()
        judge.goto(f"{served.url}/login")
        judge.fill("#token", token)
        judge.click("button[type=submit]")
        judge.wait_for_url("**/judge")
        assert judge.locator("#conflict-team option").all_text_contents() == ["Red"]
        assert audit(judge) == []
