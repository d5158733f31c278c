"""The store's HTML pages carry a strict Content-Security-Policy that still lets them work
(their own stylesheet, copy button, icons; forms posting to the store)."""

import re

from app_store.web.pages import POLICY
from tests.support.store import NO_ENGINE, approve_directly, make_store


def test_every_store_page_has_a_strict_policy_its_own_assets_fit(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as store:
        approve_directly(store, "Blue", {"slug": "coach", "name": "Coach", "version": "1.0.0",
                                         "permissions": {}})
        pages = [store.get("/"), store.get("/login"), store.get("/apps/coach"),
                 store.get("/apps/nothing-here"), store.get("/submissions/1")]
        store.cookies.set("selfdata_store_token", store.tokens["Org"])
        pages += [store.get("/organiser"), store.get("/submissions/1")]
        for r in pages:
            assert r.headers["content-security-policy"] == POLICY, r.url
            assert "'unsafe-inline'" not in POLICY and "default-src 'none'" in POLICY
            html = r.text
            # nothing the policy would block: no inline script or style, no other origin
            assert not re.search(r"<script(?![^>]*\bsrc=\"/)", html), r.url
            assert "style=" not in html and "<style" not in html and "javascript:" not in html
            assert not re.search(r'(src|href)="https?://(?!127\.0\.0\.1|localhost)', html) \
                or "/apps/" in str(r.url)
            for form in re.findall(r'<form[^>]*action="([^"]*)"', html):
                assert form.startswith("/"), form
