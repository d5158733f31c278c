"""A static app's index page through the app proxy (the path of installed apps and of
`selfdata dev`): every template variable of the stack filled with the right value, a fresh
token per page load, the stack's headers; pages Go refuses treated as the stack treats them;
python apps get the same values in their environment."""

from __future__ import annotations

import functools
import html
import json
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import pytest

from sandbox.apps.dev_installs import DevTarget
from sandbox.apps.records import DEV
from sandbox.contract.manifest import manifest_from_json
from sandbox.runtime.shim import StaticHandler
from sandbox.serving.page import CAPABILITIES, PageContext, page_env
from sandbox.settings import Settings
from tests.support.apps import manifest
from tests.support.served import LiveServer
from tests.support.stack_assets import stack_assets_dir

EVERY = """<!DOCTYPE html>
<html lang="{{.Locale}}">
<head>
<meta charset="utf-8">
<title>{{.AppName}}</title>
{{.CozyFonts}}
{{.ThemeCSS}}
{{.Favicon}}
{{.CozyClientJS}}
{{.CozyBar}}
</head>
<body>
<div role="application" id="app" data-cozy="{{.CozyData}}" data-cozy-token="{{.Token}}"
  data-cozy-domain="{{.Domain}}" data-cozy-locale="{{.Locale}}" data-cozy-app-slug="{{.AppSlug}}"
  data-cozy-app-name="{{.AppName}}" data-cozy-app-name-prefix="{{.AppNamePrefix}}"
  data-cozy-app-editor="{{.AppEditor}}" data-cozy-icon-path="{{.IconPath}}"
  data-cozy-sub-domain="{{.SubDomain}}" data-cozy-tracking="{{.Tracking}}"
  data-cozy-capabilities="{{.Capabilities}}" data-cozy-flags="{{.Flags}}"
  data-cozy-context="{{.ContextName}}" data-wallpaper="{{.DefaultWallpaper}}"></div>
<script>var cozyData = {{.CozyData}}; var tracking = {{.Tracking}};</script>
</body>
</html>
"""
NAME = 'L\'appli "Énergie" & <co>'


class Static:
    """A folder served as the shim serves a static app, wired to the proxy as an installed
    app (the same path as `selfdata dev`)."""

    def __init__(self, server: LiveServer, directory: Path, m: dict, instance: str = "alice"):
        sb = server.sandbox
        sb.installs.install(sb.instances.get(instance), manifest_from_json(m), DEV)
        handler = functools.partial(type("H", (StaticHandler,), {"index": m["runtime"]["index"],
                                                                "log_message": _quiet}),
                                    directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        server.app.state.apps.dev_targets[(instance, m["slug"])] = \
            DevTarget(f"http://127.0.0.1:{self.httpd.server_port}")
        self.server, self.host = server, f"{m['slug']}.{instance}.localhost:{server.port}"

    def get(self, path: str = "/", method: str = "GET") -> httpx.Response:
        return httpx.request(method, self.server.url + path, headers={"Host": self.host},
                             timeout=30)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _quiet(*_args) -> None:
    pass


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    settings = Settings(database_url=f"sqlite:///{tmp / 'p.db'}",
                        assets_dir=str(stack_assets_dir()))
    with LiveServer(settings) as server:
        server.sandbox.instances.create("alice")
        server.sandbox.documents.load(server.sandbox.instances.get("alice").id,
                                      "fr.orange.phonecommunicationlog", [{"length": 60}])
        yield server


def app_dir(tmp_path: Path, m: dict, index: str, **files: str) -> Path:
    d = tmp_path / m["slug"]
    d.mkdir()
    (d / "manifest.webapp").write_bytes(orjson.dumps(m))
    (d / m["runtime"]["index"]).write_text(index)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


def attr(page: str, name: str) -> str:
    return html.unescape(page.split(f'{name}="', 1)[1].split('"', 1)[0])


@pytest.mark.node
def test_every_template_variable_is_filled_with_its_value(live, tmp_path) -> None:
    m = manifest(slug="every-var", name="Every var", name_prefix="Selfdata",
                 editor="Équipe \"Bleue\" & co", icon="icons/app.svg",
                 locales={"fr": {"name": NAME}})
    app = Static(live, app_dir(tmp_path, m, EVERY), m)
    try:
        r = app.get()
        again = app.get("/index.html")
    finally:
        app.close()
    assert r.status_code == 200 and again.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=UTF-8"
    assert r.headers["cache-control"] == "private, no-store, must-revalidate"
    page = r.text
    assert "{{" not in page, page
    port = live.port
    domain = f"alice.localhost:{port}"
    store = live.app.state.stack_assets
    # each value, read back as the browser reads it
    token = attr(page, "data-cozy-token")
    assert httpx.get(f"{live.url}/data/fr.orange.phonecommunicationlog/_all_docs",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert attr(again.text, "data-cozy-token") != "" and '<html lang="fr">' in page
    assert attr(page, "data-cozy-domain") == domain
    assert attr(page, "data-cozy-app-slug") == "every-var"
    assert attr(page, "data-cozy-app-name") == NAME   # localised, escaped, read back whole
    assert "<title>L&#39;appli &#34;Énergie&#34; &amp; &lt;co&gt;</title>" in page
    assert attr(page, "data-cozy-app-name-prefix") == "Selfdata"
    assert attr(page, "data-cozy-app-editor") == "Équipe \"Bleue\" & co"
    assert attr(page, "data-cozy-icon-path") == "icons/app.svg"
    assert attr(page, "data-cozy-sub-domain") == "nested"
    assert attr(page, "data-cozy-tracking") == "false"
    assert attr(page, "data-cozy-context") == "default"
    assert json.loads(attr(page, "data-cozy-capabilities")) == CAPABILITIES
    assert json.loads(attr(page, "data-cozy-flags")) == {}
    assert attr(page, "data-wallpaper") == f"//{domain}/assets/images/default-wallpaper.jpg"
    data = json.loads(attr(page, "data-cozy"))
    assert data == {"app": {"editor": "Équipe \"Bleue\" & co", "icon": "icons/app.svg",
                            "name": NAME, "prefix": "Selfdata", "slug": "every-var"},
                    "capabilities": CAPABILITIES, "domain": domain, "flags": {},
                    "isLoggedIn": True, "locale": "fr", "subdomain": "nested", "token": token,
                    "tracking": False}
    # the exact forms cozy-stack-client's refreshToken and the bar depend on
    assert 'data-cozy="{&#34;app&#34;:{&#34;editor&#34;:&#34;Équipe \\&#34;Bleue\\&#34; \\u0026' \
        in page
    assert "var tracking =  false ;" in page
    assert json.loads(json.loads(page.split("var cozyData = ", 1)[1].split(";", 1)[0])) == data
    # the asset tags, with the sums of the installed files
    for name in ("/js/cozy-client.min.js", "/js/cozy-bar.min.js", "/css/cozy-bar.min.css",
                 "/fonts/fonts.css", "/styles/theme.css", "/favicon.ico", "/icon.svg",
                 "/apple-touch-icon.png", "/manifest.webmanifest"):
        url = store.url(domain, name)
        assert f".{store.get(name).sum}." in url and url in page, name
        got = httpx.get(f"{live.url}{url.split(str(port), 1)[1]}", headers={"Host": domain})
        assert got.status_code == 200 and got.content == store.get(name).data, name
    assert f'<script src="{store.url(domain, "/js/cozy-client.min.js")}"></script>' in page
    link = '<link rel="stylesheet" type="text/css" href="{}">'
    bar = (f'\n{link.format(store.url(domain, "/fonts/fonts.css"))}'
           f'\n{link.format(store.url(domain, "/css/cozy-bar.min.css"))}\n'
           f'<script src="{store.url(domain, "/js/cozy-bar.min.js")}"></script>')
    assert bar in page
    assert "\n\n\n\n\n</head>" in page  # {{.Warnings}} injected before </head>, as the stack does


@pytest.mark.node
def test_only_the_index_of_a_static_app_is_a_template(live, tmp_path) -> None:
    m = manifest(slug="only-index", runtime={"type": "static", "index": "app.html"})
    app = Static(live, app_dir(tmp_path, m, "<p>{{.AppSlug}}</p>", **{
        "other.html": "<p>{{.AppSlug}}</p>", "app.js": "var t = '{{.Token}}';"}), m)
    try:
        assert app.get("/").text == "<p>only-index</p>"
        assert app.get("/app.html").text == "<p>only-index</p>"
        assert app.get("/other.html").text == "<p>{{.AppSlug}}</p>"
        assert app.get("/app.js").text == "var t = '{{.Token}}';"
        head = app.get("/", method="HEAD")
        assert head.status_code == 200 and head.content == b""
        assert app.get("/sub/").status_code == 404  # no folder listings
    finally:
        app.close()


@pytest.mark.node
def test_pages_go_refuses_are_treated_as_the_stack_treats_them(live, tmp_path) -> None:
    vue = '<div id="app">{{ message }}</div><p>{{.Token}}</p>'
    m = manifest(slug="vue-page")
    app = Static(live, app_dir(tmp_path, m, vue), m)
    try:
        assert app.get().text == vue  # Go cannot parse it: served as it is
    finally:
        app.close()
    m = manifest(slug="bad-field")
    app = Static(live, app_dir(tmp_path, m, "<p>{{.CozyToken}}</p>"), m)
    try:
        r = app.get()
        assert r.status_code == 500 and "Application not supported" in r.text
        assert "CozyToken" in r.text and "{{.Token}}" in r.text  # says what exists
    finally:
        app.close()


def test_a_page_renders_when_the_assets_are_not_installed(tmp_path, caplog) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}",
                        assets_dir=str(tmp_path / "not-installed"))
    with LiveServer(settings) as server:
        server.sandbox.instances.create("alice")
        m = manifest(slug="no-assets")
        app = Static(server, app_dir(tmp_path, m, "<head>{{.CozyClientJS}}</head><p>"
                                                  "{{.AppSlug}}</p>"), m)
        try:
            r = app.get()
        finally:
            app.close()
        assert r.status_code == 200 and "<p>no-assets</p>" in r.text
        src = f"//alice.localhost:{server.port}/assets/js/cozy-client.min.js"
        assert f'<script src="{src}"></script>' in r.text  # no sum, as the stack writes it
        missing = httpx.get(f"{server.url}/assets/js/cozy-client.min.js",
                            headers={"Host": f"alice.localhost:{server.port}"})
        assert missing.status_code == 404 and "make install" in missing.text


@pytest.mark.node
def test_python_apps_get_the_page_values_in_their_environment(live) -> None:
    m = manifest_from_json(manifest(slug="py-page", runtime={
        "type": "python", "command": ["python3", "server.py"]}))
    env = page_env(PageContext.of(m, "alice.localhost:8080", "TOKEN"),
                   live.app.state.stack_assets)
    assert env["COZY_LOCALE"] == "fr"
    values = json.loads(env["SELFDATA_TEMPLATE_VALUES"])
    assert values["Token"] == "TOKEN" and values["Domain"] == "alice.localhost:8080"
    assert values["CozyClientJS"].startswith('<script src="//alice.localhost:8080/assets/js/'
                                             "cozy-client.")
    assert json.loads(values["CozyData"])["app"]["slug"] == "py-page"
    assert values["Tracking"] == "false" and "Warnings" not in values


@pytest.mark.node
def test_the_page_follows_the_instances_settings(live, tmp_path) -> None:
    """Locale from the instance's io.cozy.settings (changed by the tester), capabilities as
    /settings/capabilities answers them: one owner for both."""
    sb = live.sandbox
    sb.instances.create("bob")
    bob = sb.instances.get("bob")
    m = manifest(slug="locale-page", name="Énergie",
                 locales={"en": {"name": "Energy"}, "fr": {"name": "Énergie"}})
    app = Static(live, app_dir(tmp_path, m, EVERY), m, instance="bob")
    try:
        fr = app.get().text
        current = sb.instance_settings.stored(bob)
        sb.instance_settings.update(bob, {**current, "locale": "en"}, current["_rev"], cli=True)
        en = app.get().text
    finally:
        app.close()
    assert '<html lang="fr">' in fr and attr(fr, "data-cozy-app-name") == "Énergie"
    assert '<html lang="en">' in en and attr(en, "data-cozy-app-name") == "Energy"
    assert json.loads(attr(en, "data-cozy"))["locale"] == "en"
    token = attr(en, "data-cozy-token")
    caps = httpx.get(f"{live.url}/settings/capabilities", headers={
        "Authorization": f"Bearer {token}", "Host": f"bob.localhost:{live.port}"})
    assert caps.status_code == 200, caps.text
    assert json.loads(attr(en, "data-cozy-capabilities")) == caps.json()["data"]["attributes"]
