"""The stack's assets under /assets: the pinned npm files and the built-in ones, at the stack's
names with sums, cached as the stack caches them, on every instance host; nothing else served
(no file of node_modules, no traversal); a clear answer when set-up was not run."""

from __future__ import annotations

import gzip
import hashlib
import logging

import pytest
from fastapi.testclient import TestClient

from sandbox.serving.assets import NPM_FILES, StackAssets, extract_asset_id, name_with_sum
from sandbox.serving.builtin import files as builtin_files
from sandbox.settings import Settings
from sandbox.web.app import create_app
from tests.support.stack_assets import stack_assets_dir

pytestmark = pytest.mark.node  # npm ci of the committed lock


@pytest.fixture(scope="module")
def assets_dir():
    return stack_assets_dir()


@pytest.fixture
def client(tmp_path, assets_dir):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}",
                              assets_dir=str(assets_dir)))
    app.state.sandbox.instances.create("alice")
    with TestClient(app) as c:
        yield c


def test_names_carry_the_sum_after_the_first_dot() -> None:
    digest = "0123456789abcdef" * 4
    assert name_with_sum("/js/cozy-bar.min.js", digest) == "/js/cozy-bar.0123456789.min.js"
    assert name_with_sum("/favicon.ico", digest) == "/favicon.0123456789.ico"
    assert name_with_sum("/fonts/fonts.css", digest) == "/fonts/fonts.0123456789.css"
    assert extract_asset_id("/js/cozy-bar.0123456789.min.js") == ("/js/cozy-bar.min.js",
                                                                  "0123456789")
    assert extract_asset_id("/js/cozy-bar.immutable.min.js") == ("/js/cozy-bar.min.js",
                                                                 "immutable")
    assert extract_asset_id("/js/cozy-bar.min.js") == ("/js/cozy-bar.min.js", "")
    assert extract_asset_id("/js/x.012345678.js") == ("/js/x.012345678.js", "")  # 9 hex: no


def test_the_installed_files_are_the_ones_the_stack_pins(assets_dir) -> None:
    store = StackAssets(assets_dir)
    assert store.missing() == []
    for f in NPM_FILES:
        asset = store.get(f.name)
        assert asset is not None and hashlib.sha256(asset.data).hexdigest() == f.sha256
    assert store.get("/js/cozy-client.min.js").data.startswith(b"!function")


def test_builtin_icons_are_real_images() -> None:
    files = builtin_files()
    assert files["/apple-touch-icon.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert files["/favicon.ico"][:4] == b"\0\0\1\0" and b"PNG" in files["/favicon.ico"][:40]
    assert files["/icon.svg"].startswith(b"<svg")
    assert builtin_files() == files  # the same bytes every time: sums never move


@pytest.mark.parametrize("name", [f.name for f in NPM_FILES] + sorted(builtin_files()))
def test_each_asset_is_served_with_its_sum_cached_for_a_year(client, name) -> None:
    store: StackAssets = client.app.state.stack_assets
    asset = store.get(name)
    url = store.url("alice.localhost:8080", name)
    assert url.startswith("//alice.localhost:8080/assets/") and f".{asset.sum}." in url
    r = client.get(url.split("8080", 1)[1], headers={"Host": "alice.localhost:8080",
                                                     "Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.content == asset.data
    assert r.headers["cache-control"] == "max-age=31536000, public, immutable"
    assert r.headers["vary"] == "Origin, Accept-Encoding"
    assert r.headers["content-type"].split(";")[0] in (
        "application/javascript", "text/css", "application/json", "font/woff2", "image/png",
        "image/x-icon", "image/svg+xml", "application/manifest+json")


def test_without_a_sum_it_revalidates_with_an_etag(client) -> None:
    host = {"Host": "alice.localhost:8080"}
    r = client.get("/assets/js/cozy-client.min.js", headers=host)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache, public"
    etag = r.headers["etag"]
    again = client.get("/assets/js/cozy-client.min.js", headers={**host, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/assets/js/cozy-client.min.js", headers={**host, "If-None-Match": '"x"'})
    assert other.status_code == 200


def test_gzip_when_accepted_head_and_other_methods(client) -> None:
    host = {"Host": "alice.localhost:8080"}
    data = client.app.state.stack_assets.get("/js/cozy-bar.min.js").data
    r = client.get("/assets/js/cozy-bar.min.js", headers={**host, "Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.content == data  # httpx decodes it
    assert int(r.headers["content-length"]) == len(gzip.compress(data, 6, mtime=0))
    head = client.head("/assets/js/cozy-bar.min.js", headers=host)
    assert head.status_code == 200 and head.content == b""
    assert client.post("/assets/js/cozy-bar.min.js", headers=host).status_code == 405
    assert client.delete("/assets/js/cozy-bar.min.js", headers=host).status_code == 405


@pytest.mark.parametrize("path", [
    "/assets/node_modules/cozy-bar/package.json", "/assets/cozy-bar/dist/cozy-bar.js",
    "/assets/../sandbox.db", "/assets/%2e%2e/%2e%2e/etc/passwd", "/assets/js/../../package.json",
    "/assets/js/cozy-bar.js", "/assets/package-lock.json", "/assets/", "/assets/js/",
    "/assets/ext/default/js/cozy-bar.min.js", "/assets//etc/passwd", "/assets/images/"
    "default-wallpaper.jpg"])
def test_nothing_but_the_listed_assets(client, path) -> None:
    r = client.get(path, headers={"Host": "alice.localhost:8080"})
    assert r.status_code == 404, path
    assert "not" in r.text.lower() and "found" in r.text.lower() and len(r.content) < 200


def test_served_on_every_instance_host_with_cors_for_its_apps(client) -> None:
    client.app.state.sandbox.instances.create("bob")
    for host in ("alice.localhost:8080", "bob.localhost:8080", "127.0.0.1:8080"):
        assert client.get("/assets/fonts/fonts.css", headers={"Host": host}).status_code == 200
    origin = "http://my-app.alice.localhost:8080"
    font = client.get("/assets/fonts/InterVariable.woff2",
                      headers={"Host": "alice.localhost:8080", "Origin": origin})
    assert font.headers["access-control-allow-origin"] == origin  # fonts load in CORS mode
    other = client.get("/assets/fonts/InterVariable.woff2",
                       headers={"Host": "alice.localhost:8080",
                                "Origin": "http://x.bob.localhost:8080"})
    assert "access-control-allow-origin" not in other.headers


def test_missing_assets_are_named_with_what_to_run(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="sandbox.serving")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}",
                              assets_dir=str(tmp_path / "nowhere")))
    try:
        assert "make install" in caplog.text and "selfdata sandbox assets" in caplog.text
        store = app.state.stack_assets
        assert sorted(store.missing()) == sorted(f.name for f in NPM_FILES)
        # the address as the stack writes it for an asset it cannot find: no sum
        assert store.url("alice.localhost:8080", "/js/cozy-bar.min.js") == \
            "//alice.localhost:8080/assets/js/cozy-bar.min.js"
        r = TestClient(app).get("/assets/js/cozy-bar.min.js")
        assert r.status_code == 404 and "make install" in r.text
        assert TestClient(app).get("/assets/fonts/fonts.css").status_code == 200  # built in
    finally:
        app.state.sandbox.close()


def test_a_file_that_is_not_the_pinned_one_is_not_served(tmp_path, assets_dir, caplog) -> None:
    fake = tmp_path / "node_modules" / "cozy-client-js" / "dist"
    fake.mkdir(parents=True)
    (fake / "cozy-client.min.js").write_text("alert('not the pinned file')")
    caplog.set_level(logging.WARNING, logger="sandbox.serving")
    store = StackAssets(tmp_path)
    assert store.get("/js/cozy-client.min.js") is None
    assert "not the pinned file" in caplog.text
