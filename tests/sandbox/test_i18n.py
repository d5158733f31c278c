"""Every page in French and English: the catalogues are complete and current, no template has
text outside a translation, every page renders in both languages with nothing left in the other
one (data values included), and the language is chosen as promised (French by default for
testers, Accept-Language, a switch that persists)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from sandbox.settings import Settings
from sandbox.web.app import create_app
from sandbox.web.render import POLICY
from sandbox.webkit import i18n
from sandbox.webkit.i18n import DATA_VALUES, Language
from synthetic_data import parameters
from synthetic_data.population import describe
from tests.support.households import household
from tests.support.store import NO_ENGINE, approve_directly, awaiting_review, make_store

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2),
            "pgettext": ((1, "c"), 2), "Nn_": (1, 2), "Nc_": ((1, "c"), 2)}
METHODS = [("sandbox/**.py", "python"), ("app_store/**.py", "python"),
           ("sandbox/web/templates/**.html", "jinja2"),
           ("app_store/web/templates/**.html", "jinja2")]
TEMPLATES = [ROOT / "sandbox/web/templates", ROOT / "app_store/web/templates"]
ENGLISH = {"the", "and", "with", "your", "of", "to", "is", "are", "has", "not", "yet", "for",
           "from", "by", "this", "that", "will", "you", "read", "each", "every", "which",
           "who", "what", "when", "where", "no", "in", "its", "it", "there", "here", "save"}
FRENCH = {"le", "la", "les", "des", "du", "et", "avec", "vos", "votre", "pour", "est", "sont",
          "une", "un", "aucun", "aucune", "pas", "dans", "sur", "à", "de", "qui", "ou", "où"}


def catalogue(code: str):
    with (i18n.CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=i18n.LOCALES[code])


def extracted() -> set[tuple[str | None, str]]:
    out = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), METHODS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords=KEYWORDS):
        out.add((context, message[0] if isinstance(message, tuple | list) else message))
    return out


def test_every_message_of_the_code_has_a_french_translation_and_no_entry_is_stale():
    fr = catalogue("fr")
    entries = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in fr if m.id}
    found = extracted()
    missing = found - entries.keys()
    assert not missing, f"not in the catalogue (run scripts/messages.sh): {sorted(missing)[:5]}"
    assert not entries.keys() - found, "stale entries: run scripts/messages.sh"
    untranslated = [k for k, m in entries.items()
                    if m.fuzzy or not all(m.string if isinstance(m.string, tuple)
                                          else [m.string])]
    assert untranslated == [], f"no French for {untranslated[:5]}"
    # the placeholders of each translation are the message's own
    for (_, msgid), m in entries.items():
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set(re.findall(r"%\(\w+\)s", msgid))
        assert all(set(re.findall(r"%\(\w+\)s", s)) <= want | {"%(n)s", "%(count)s"}
                   for s in strings), msgid


def test_every_data_value_the_generator_writes_has_an_english_word():
    en = Language("en")
    events = parameters.load("events")
    produced = {"Appartement", "Maison", "Habitation", "Vehicule",
                *events["home_claims"]["causes"], *events["car_claims"]["causes"]}
    assert produced <= set(DATA_VALUES)
    for value in DATA_VALUES:
        assert en.value(value), value
    assert en.value("Appartement") == "Flat" and en.value("Gaz") == "Gas"
    assert Language("fr").value("Gaz") == "Gaz"


class Lexed(HTMLParser):
    """Literal text of a template outside translations (Jinja removed first)."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "pre", "script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.text.append(value)

    def handle_endtag(self, tag):
        if tag in ("code", "pre", "script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def literal_text(source: str) -> list[str]:
    # translations and expressions are not literal text; tags' own text is checked by name
    source = re.sub(r"\{%-? *trans.*?endtrans *-?%\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
    parser = Lexed()
    parser.feed(source)
    return [t for t in parser.text if re.search(r"[A-Za-zÀ-ÿ]{2,}", t)]


@pytest.mark.parametrize("template", [p for d in TEMPLATES for p in sorted(d.glob("*.html"))],
                         ids=lambda p: f"{p.parent.parent.parent.name}/{p.name}")
def test_no_template_has_text_outside_a_translation(template):
    assert literal_text(template.read_text()) == []


class Visible(HTMLParser):
    """A page's text a reader meets, with the language it is in (``lang``; ``translate="no"``
    data, code and the other language's switch left out)."""

    VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source", "col", "area",
                      "wbr"})

    def __init__(self, lang: str):
        super().__init__()
        self.stack: list[tuple[str, bool]] = [("", True)]
        self.lang = lang
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        keep = self.stack[-1][1] and tag not in ("code", "pre", "script", "style") \
            and a.get("translate") != "no" and a.get("lang", self.lang) == self.lang
        for name in ("alt", "title", "aria-label", "placeholder"):
            if keep and a.get(name):
                self.texts.append(a[name])
        if tag not in self.VOID:
            self.stack.append((tag, keep))

    def handle_endtag(self, tag):
        while len(self.stack) > 1:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack[-1][1] and data.strip():
            self.texts.append(data.strip())


def check_page(html: str, lang: str, where: str) -> None:
    assert f'<html lang="{lang}">' in html, where
    parser = Visible(lang)
    parser.feed(html)
    # identifiers (doctypes, addresses) are no words of either language
    texts = [re.sub(r"\S+[.:/]\S+", " ", t) for t in parser.texts]
    words = {w.lower() for t in texts for w in re.findall(r"[A-Za-zÀ-ÿ’']+", t)}
    words = {w.split("’")[0].split("'")[0] for w in words} | words
    other = ENGLISH if lang == "fr" else FRENCH
    assert not words & other, f"{where} ({lang}): {sorted(words & other)} in " + repr(
        [t for t in parser.texts if set(re.findall(r"\w+", t.lower())) & other][:4])
    if lang == "en":
        french_values = {v for v in DATA_VALUES if Language("en").value(v) != v}
        left = [t for t in parser.texts for v in french_values if re.search(
            rf"(?<!\w){re.escape(v)}(?!\w)", t, re.I)]
        assert not left, f"{where}: French data left in English: {left[:3]}"


@pytest.fixture(scope="module")
def sandbox_pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'sb.db'}", live_engine=False,
                              files_dir=str(tmp / "files"), live_admin_token="org-secret"))
    sb = app.state.sandbox
    data = household(0)
    inst = sb.instances.create("tester", profile=describe(data))
    for batch in data.batches:
        docs = batch.dicts()
        if docs and batch.doctype != "io.cozy.files":
            sb.documents.load(inst.id, batch.doctype, docs)
    client = TestClient(app)
    token = sb.cli_token("tester", "fr.orange.phonecommunicationlog:GET")
    client.get("/data/fr.orange.phonecommunicationlog/_normal_docs?limit=3",
               headers={"Authorization": f"Bearer {token}"})
    client.get("/data/fr.orange.geopoint/_all_docs", headers={"Authorization": f"Bearer {token}"})
    reg = client.post("/auth/register", headers={"Host": "tester.localhost"}, json={
        "redirect_uris": ["http://127.0.0.1:9/cb"], "client_name": "Coach",
        "software_id": "coach"}).json()
    consent = ("/auth/authorize?" + "&".join(f"{k}={v}" for k, v in {
        "client_id": reg["client_id"], "redirect_uri": "http://127.0.0.1:9/cb", "state": "s",
        "response_type": "code", "scope": "fr.orange.geopoint:GET io.cozy.bills"}.items()))
    pages = [("", "/"), ("tester.localhost", "/"), ("tester.localhost", "/browse/"),
             ("tester.localhost", "/browse/org.fing.mesinfos.home"),
             ("tester.localhost", "/browse/fr.orange.geopoint"),
             ("tester.localhost", consent), ("", "/admin/live"),
             ("tester.localhost", "/browse/no.such.doctype"), ("nobody.localhost", "/")]
    yield client, pages
    sb.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_tester_page_is_wholly_in_its_language(sandbox_pages, lang):
    client, pages = sandbox_pages
    for host, path in pages:
        headers = {"Accept-Language": lang, **({"Host": host} if host else {})}
        r = client.get(path, headers=headers)
        assert r.status_code in (200, 404), (path, r.status_code)
        check_page(r.text, lang, f"{host}{path}")


def test_the_dashboard_says_the_home_in_each_language_with_its_numbers(sandbox_pages):
    client, _ = sandbox_pages
    host = {"Host": "tester.localhost"}
    fr = client.get("/", headers=host).text                       # French by default
    en = client.get("/", headers={**host, "Accept-Language": "en-GB,en;q=0.8"}).text
    profile = describe(household(0))
    kind, heating = profile["dwelling"], profile["heating"]
    en_kind, en_heating = Language("en").value(kind), Language("en").value(heating)
    assert f"{kind} de " in fr and f"chauffage : {heating.lower()}" in fr
    assert f"{en_kind} of " in en and f"heated with {en_heating.lower()}" in en
    assert f"{kind} of" not in en
    # figures and prices as each language writes them
    assert re.search(r"\d,\d\d\xa0€", fr) and re.search(r"€\d[\d,]*\.\d\d", en)
    assert "Électricité par jour" in fr and "Electricity per day" in en


def test_the_language_switch_persists_and_accept_language_is_followed(sandbox_pages):
    client, _ = sandbox_pages
    host = {"Host": "tester.localhost"}
    client.cookies.clear()
    fr = client.get("/browse/", headers=host)
    assert '<html lang="fr">' in fr.text and 'hreflang="en"' in fr.text
    switched = client.get("/browse/?lang=en", headers=host)
    assert '<html lang="en">' in switched.text
    assert switched.cookies.get(i18n.COOKIE) == "en" or client.cookies.get(i18n.COOKIE) == "en"
    later = client.get("/", headers={**host, "Accept-Language": "fr"})  # the choice wins
    assert '<html lang="en">' in later.text and later.headers["content-language"] == "en"
    client.cookies.clear()
    assert '<html lang="en">' in client.get("/", headers={
        **host, "Accept-Language": "de-DE, en;q=0.7, fr;q=0.5"}).text
    assert i18n.choose(None, None, "fr-CA,fr;q=0.9", "en") == "fr"
    assert i18n.choose("xx", "yy", "de", "en") == "en"


def test_every_store_page_is_wholly_in_its_language(tmp_path):
    manifest = {"slug": "coach", "name": "Coach", "version": "1.0.0", "editor": "Blue",
                "short_description": "Energy at a glance", "licence": "MIT",
                "permissions": {"energy": {"type": "fr.enedis.api.meteringdata.energy"},
                                "calls": {"type": "fr.orange.phonecommunicationlog"}}}
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as store:
        approve_directly(store, "Blue", manifest)
        waiting = awaiting_review(store.store, store.tokens["Blue"],
                                  {**manifest, "version": "1.1.0"},
                                  {"ok": True, "read": ["fr.enedis.api.meteringdata.energy"],
                                   "written": [], "health_seconds": 0.4, "page_status": 200,
                                   "logs": ""}, b"x")
        pages = {None: ["/", "/login", "/apps/coach", "/apps/coach?instance=tester"],
                 "Blue": ["/team", f"/submissions/{waiting}"],
                 "Org": ["/organiser", f"/submissions/{waiting}"], "Jo": ["/judge"]}
        for lang in ("fr", "en"):
            for who, paths in pages.items():
                store.cookies.clear()
                if who:
                    store.cookies.set("selfdata_store_token", store.tokens[who])
                for path in paths:
                    r = store.get(path, headers={"Accept-Language": lang})
                    assert r.status_code == 200, (path, r.status_code)
                    check_page(r.text, lang, f"{who}:{path}")
        store.cookies.clear()
        assert '<html lang="en">' in store.get("/").text   # the store's default (settings)
        for token, lang, words in (("nope", "fr", "Ce jeton est inconnu du store"),
                                   ("", "fr", "Collez d’abord votre jeton"),
                                   ("nope", "en", "This token is not known to the store")):
            r = store.post("/login", data={"token": token}, headers={"Accept-Language": lang})
            assert r.status_code == 401 and words in r.text, (token, lang)
            check_page(r.text, lang, f"/login refused, {lang}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_video_chart_shows_every_month_of_the_period(sandbox_pages, lang):
    """A household ordering videos in January and February only, over a year of data: the
    chart on the rendered dashboard has a slot for each of the 12 months (empty ones drawn
    as nothing, listed as zero), not two bars as wide as the chart."""
    client, _ = sandbox_pages
    sb = client.app.state.sandbox
    name = f"vod-{lang}"
    data = household(0)
    inst = sb.instances.create(name, profile=describe(data))
    for batch in data.batches:
        docs = [d for d in batch.dicts() if batch.doctype != "fr.orange.videostream"
                or d["timestamp"][:7] in ("2024-01", "2024-02")]
        if docs and batch.doctype != "io.cozy.files":
            sb.documents.load(inst.id, batch.doctype, docs)
    html = client.get("/", headers={"Host": f"{name}.localhost", "Accept-Language": lang}).text
    section = html[html.index('aria-labelledby="vod"'):]
    section = section[:section.index("</section>")]
    months = [Language(lang).month(f"2024-{m:02d}") for m in range(1, 13)]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', section)
    assert [label for label, _ in rows] == months
    empty = "0 commande" if lang == "fr" else "0 orders"
    assert [v for _, v in rows][2:] == [empty] * 10
    widths = {float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"[^>]*class="bar"',
                                           section)}
    assert len(re.findall(r'class="bar"', section)) == 2 and len(widths) == 1
    assert widths.pop() < 400 / 12            # one twelfth of the plot, not half of it
    ticks = re.findall(r"<text[^>]*>([^<]+)</text>", section)
    assert months[0] in ticks and any(m in ticks for m in months[6:])   # the axis spans it


def test_every_tester_page_runs_no_script_and_loads_only_its_own_files(sandbox_pages):
    """The sandbox's pages carry a policy under which nothing they need is blocked."""
    client, pages = sandbox_pages
    for host, path in pages:
        r = client.get(path, headers={"Host": host} if host else {})
        assert r.headers["content-security-policy"] == POLICY, path
        assert "script-src 'none'" in POLICY and "frame-ancestors 'none'" in POLICY
        html = r.text
        assert "<script" not in html and "javascript:" not in html, path
        assert not re.search(r'<(img|link|iframe)[^>]*(src|href)="(https?:)?//', html), path
