"""A screenshot review in Chromium, as a test: the tester's, the contestant's, the organiser's
and the judge's pages in French and English, at desktop (1280 px) and phone (390 px) widths.
Each page is saved to var/screenshots/<user>-<lang>-<width>-<page>.png and checked for what a
reviewer would catch: its language, no sideways scrolling, the journal's columns inside the
screen, chart labels inside their charts and axis text at least 10 px as rendered, and the
accessibility audit."""

from __future__ import annotations

import pytest

from app_store import accounts
from app_store.settings import StoreSettings
from app_store.web.app import create_app as create_store
from sandbox.settings import Settings
from synthetic_data.population import describe
from tests.support.browser import audit, browser, chromium_path, shot
from tests.support.households import household
from tests.support.served import LiveServer, Served
from tests.support.store import NO_ENGINE, approve_directly_in, awaiting_review

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)
LANGS = ("fr", "en")
MANIFEST = {"slug": "coach", "name": "Coach", "version": "1.0.0", "editor": "Blue",
            "short_description": "Energy at a glance", "licence": "MIT",
            "permissions": {"energy": {"type": "fr.enedis.api.meteringdata.energy"}}}

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
CHART_TEXT = """() => [...document.querySelectorAll('svg text.tick')].map((t) => {
  const svg = t.ownerSVGElement, vb = svg.viewBox.baseVal, b = t.getBBox();
  return {text: t.textContent, inside: b.x >= -0.5 && b.y >= -0.5 &&
          b.x + b.width <= vb.width + 0.5 && b.y + b.height <= vb.height + 0.5,
          px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a};
})"""
JOURNAL_CELLS = """() => [...document.querySelectorAll('#journal-table td')].map((td) => {
  const r = td.getBoundingClientRect();
  return {text: td.textContent.trim().slice(0, 20), left: r.left, right: r.right};
})"""


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    chromium_path()
    tmp = tmp_path_factory.mktemp("review")
    sandbox = LiveServer(Settings(database_url=f"sqlite:///{tmp / 'sb.db'}", live_engine=False,
                                  files_dir=str(tmp / "files")))
    sb = sandbox.app.state.sandbox
    data = household(0)
    inst = sb.instances.create("tester", profile=describe(data))
    for batch in data.batches:
        if batch.doctype != "io.cozy.files":
            sb.documents.load(inst.id, batch.doctype, batch.dicts())
    token = sb.cli_token("tester", "fr.orange.phonecommunicationlog:GET")
    store_app = create_store(StoreSettings(database_url=f"sqlite:///{tmp / 'store.db'}",
                                           data_dir=tmp / "store", workers=0),
                             engine=NO_ENGINE)
    st = store_app.state.store
    tokens = {name: accounts.create(st.db, name, role, team)[1] for name, role, team in (
        ("Org", "organiser", None), ("Blue", "team", None), ("Jo", "judge", None))}
    approve_directly_in(st, tokens["Blue"], MANIFEST)
    waiting = awaiting_review(st, tokens["Blue"], {**MANIFEST, "version": "1.1.0"},
                              {"ok": True, "read": [], "written": [], "health_seconds": 0.5,
                               "page_status": 200, "logs": ""}, b"x")
    with sandbox, Served(store_app) as store:
        import httpx
        httpx.get(f"{sandbox.url}/data/fr.orange.phonecommunicationlog/_normal_docs?limit=5",
                  headers={"Authorization": f"Bearer {token}"})
        yield {"sandbox": f"http://tester.localhost:{sandbox.port}", "store": store.url,
               "tokens": tokens, "waiting": waiting}
    sb.close()


def review(page, user: str, lang: str, width: int, name: str) -> None:
    """The checks every page gets, then its screenshot."""
    where = f"{user}-{lang}-{width}-{name}"
    assert page.evaluate("document.documentElement.lang") == lang, where
    assert page.evaluate(OVERFLOW) <= 0, f"{where}: the page scrolls sideways"
    for t in page.evaluate(CHART_TEXT):
        assert t["inside"], f"{where}: chart label {t['text']!r} is cut"
        assert t["px"] >= 10, f"{where}: chart text {t['text']!r} is {t['px']:.1f} px"
    shot(page, where)
    assert audit(page) == [], where


def sign_in(page, store: str, token: str) -> None:
    page.goto(f"{store}/login")
    page.fill("#token", token)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", LANGS)
def test_each_user_s_pages_read_well_in_both_languages_and_widths(event, lang):
    with browser() as b:
        for width in WIDTHS:
            ctx = b.new_context(locale=lang, viewport={"width": width, "height": 900})
            tester = ctx.new_page()
            tester.goto(event["sandbox"] + "/")
            tester.click("#latest summary")
            review(tester, "tester", lang, width, "dashboard")
            assert tester.locator("figure.chart figcaption").count() >= 6  # visible titles
            for cell in tester.evaluate(JOURNAL_CELLS):
                assert cell["left"] >= 0 and cell["right"] <= width, f"journal cut: {cell}"
            for path, name in (("/browse/", "browser"),
                               ("/browse/org.fing.mesinfos.home", "doctype")):
                tester.goto(event["sandbox"] + path)
                review(tester, "tester", lang, width, name)
            tester.goto(event["store"] + "/apps/coach?instance=tester")
            review(tester, "tester", lang, width, "store-app")

            for user, token, paths in (
                    ("contestant", "Blue", ["/team", f"/submissions/{event['waiting']}"]),
                    ("organiser", "Org", ["/organiser", f"/submissions/{event['waiting']}"]),
                    ("judge", "Jo", ["/judge"])):
                page = b.new_context(locale=lang, viewport={"width": width,
                                                            "height": 900}).new_page()
                sign_in(page, event["store"], event["tokens"][token])
                for path in paths:
                    page.goto(event["store"] + path)
                    review(page, user, lang, width, path.strip("/").split("/")[0])
                page.context.close()
            ctx.close()


def test_the_switch_changes_the_language_and_it_stays(event):
    with browser() as b:
        page = b.new_context(locale="fr", viewport={"width": 390, "height": 800}).new_page()
        page.goto(event["sandbox"] + "/browse/")
        assert page.evaluate("document.documentElement.lang") == "fr"
        page.click("#lang-en")
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == "en"
        page.goto(event["sandbox"] + "/")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert "Who read your data" in page.content()
