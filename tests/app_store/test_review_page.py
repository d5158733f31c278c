"""The review page shows organisers and judges everything about a submission: the manifest
(escaped), its permissions in plain words with the data-use label, the ones never used in the
smoke run flagged, the description, screenshots (images only), the archive (reviewers only),
and how to try it; the review form answers errors inline, keeping what was typed."""

from __future__ import annotations

import pytest

from app_store.smoke import SmokeReport
from tests.support.apps import PY_RUNTIME, app_files, manifest, tar_gz
from tests.support.store import NO_ENGINE, awaiting_review, make_store

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CALLS, PLACES = "fr.orange.phonecommunicationlog", "fr.orange.geopoint"


@pytest.fixture
def store(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as harness:
        yield harness


def awaiting(store, m: dict, smoke: dict | None, files: dict | None = None,
             team: str = "Blue") -> int:
    return awaiting_review(store.store, store.tokens[team], m, smoke,
                           tar_gz(files if files is not None else app_files(m)))


def python_app(**over) -> dict:
    return manifest(runtime=PY_RUNTIME, permissions={
        "calls": {"type": CALLS, "verbs": ["GET"], "description": "count calls"},
        "places": {"type": PLACES, "description": "where you went"}}, **over)


SMOKE = {"ok": True, "health_seconds": 0.4, "detail": "", "read": [CALLS], "written": [],
         "refused": [], "page_status": 200, "logs": ""}


def page(store, who: str, path: str):
    store.cookies.set("selfdata_store_token", store.tokens[who])
    try:
        return store.get(path)
    finally:
        store.cookies.clear()


def test_the_review_page_shows_what_the_app_asks_for_and_flags_what_it_never_used(store):
    m = python_app(long_description="Who you call <script>alert(1)</script> and when.",
                   screenshots=["shots/one.png"])
    sid = awaiting(store, m, SMOKE, app_files(m, **{"shots/one.png": PNG}))
    r = page(store, "Org", f"/submissions/{sid}")
    assert r.status_code == 200
    html = r.text
    # the data-use label and each permission in the words testers read
    assert "Data use D" in html and "changes data it does not own" in html
    assert "Read your phone calls and text messages (Orange)" in html
    assert "Read, create, change and delete where your phone was" in html
    # geopoint (ALL) was never used in the smoke run: flagged, calls were used: not
    unused = html.split('id="unused"')[1].split("</p>")[0]
    assert "1 permission never used in the smoke run" in unused
    row = next(x for x in html.split("<tr") if PLACES in x)
    assert "never used" in row
    row = next(x for x in html.split("<tr") if f"<code class=\"muted\">{CALLS}" in x)
    assert "never used" not in row and ">yes<" in row
    # the smoke run's reads in words, not "read -"
    assert "During the smoke run it read: your phone calls and text messages (Orange)" in html
    assert "It wrote nothing." in html
    # description and manifest, escaped
    assert "Who you call &lt;script&gt;alert(1)&lt;/script&gt; and when." in html
    assert "<script>alert(1)" not in html
    assert '&#34;slug&#34;: &#34;my-calls&#34;' in html or '&quot;slug&quot;' in html
    # screenshots from the archive, the archive link, and what trying it takes
    assert f'src="/submissions/{sid}/screenshots/shots/one.png"' in html
    assert f'href="/submissions/{sid}/archive"' in html
    assert "selfdata dev FOLDER --instance NAME" in html


def test_a_judge_sees_the_same_and_a_team_sees_its_permissions_without_the_archive(store):
    sid = awaiting(store, python_app(), SMOKE)
    judge = page(store, "Jo", f"/submissions/{sid}").text
    assert "never used" in judge and f"/submissions/{sid}/archive" in judge
    team = page(store, "Blue", f"/submissions/{sid}")
    assert team.status_code == 200 and "never used" in team.text
    assert f"/submissions/{sid}/archive" not in team.text
    assert page(store, "Red", f"/submissions/{sid}").status_code == 403


def test_whether_a_permission_is_used_is_not_guessed_when_the_smoke_run_cannot_tell(store):
    static = manifest(permissions={"places": {"type": PLACES, "verbs": ["GET"]}})
    html = page(store, "Org", f"/submissions/{awaiting(store, static, SMOKE)}").text
    assert "cannot tell" in html and "never used" not in html
    assert "static app reads data from the tester&#39;s browser" in html
    failed = page(store, "Org", f"/submissions/"
                                f"{awaiting(store, python_app(version='1.0.1'), None)}").text
    assert "no smoke run yet" in failed and "never used" not in failed


def test_the_archive_goes_to_reviewers_only_as_it_was_sent(store):
    m = python_app()
    files = app_files(m)
    sid = awaiting(store, m, SMOKE, files)
    for who in ("Org", "Jo"):
        r = page(store, who, f"/submissions/{sid}/archive")
        assert r.status_code == 200 and r.content == tar_gz(files)
        assert r.headers["content-disposition"] == 'attachment; filename="my-calls-1.0.0.tar.gz"'
    for who, status in (("Blue", 403), ("Red", 403)):
        assert page(store, who, f"/submissions/{sid}/archive").status_code == status
    assert store.get(f"/submissions/{sid}/archive", follow_redirects=False).status_code == 303
    assert page(store, "Org", "/submissions/999/archive").status_code == 404


def test_screenshots_are_served_as_images_only(store):
    m = python_app(screenshots=["one.png", "page.html", "gone.png", "icon.svg"])
    files = app_files(m, **{"one.png": PNG, "page.html": b"<html><script>x()</script>",
                            "secret.png": PNG})
    sid = awaiting(store, m, SMOKE, files)
    r = page(store, "Jo", f"/submissions/{sid}/screenshots/one.png")
    assert r.status_code == 200 and r.content == PNG and r.headers["content-type"] == "image/png"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    svg = page(store, "Jo", f"/submissions/{sid}/screenshots/icon.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "default-src 'none'" in svg.headers["content-security-policy"]
    for path in ("page.html", "gone.png", "secret.png", "../secret.png", "%2e%2e/one.png"):
        r = page(store, "Jo", f"/submissions/{sid}/screenshots/{path}")
        assert r.status_code == 404, path
    assert page(store, "Red", f"/submissions/{sid}/screenshots/one.png").status_code == 403


def test_a_review_error_is_shown_in_the_review_form_with_the_reason_kept(store):
    sid = awaiting(store, python_app(), SMOKE)
    store.cookies.set("selfdata_store_token", store.tokens["Org"])
    r = store.post(f"/organiser/review/{sid}", data={"decision": "reject", "reason": "  "})
    assert r.status_code == 400
    form = r.text.split('id="review"')[1]
    assert "Not saved:" in form and "say why the app is rejected" in form
    assert "Something is wrong" not in r.text and "never used" in r.text
    r = store.post(f"/organiser/review/{sid}", data={"decision": "maybe",
                                                     "reason": "Why <b>ALL</b> on places?"})
    assert r.status_code == 400
    assert "Why &lt;b&gt;ALL&lt;/b&gt; on places?</textarea>" in r.text
    r = store.post(f"/organiser/review/{sid}", data={"decision": "reject",
                                                     "reason": "places never used"},
                   follow_redirects=False)
    assert r.status_code == 303
    assert store.get(f"/api/submissions/{sid}", headers=store.auth("Org")).json()["state"] \
        == "rejected"
    r = store.post(f"/organiser/review/{sid}", data={"decision": "retry", "reason": "x"})
    assert r.status_code == 409 and "cannot become queued" in r.text.split('id="review"')[1]
    store.cookies.clear()


def test_the_smoke_step_says_what_was_read_in_words():
    report = SmokeReport(True, 0.4, "", read=[CALLS, PLACES])
    assert report.reads_in_words() == (
        "it read 2 kinds of data: your phone calls and text messages (Orange) "
        f"({CALLS}); where your phone was, about every 30 minutes (Orange) ({PLACES})")
    assert SmokeReport(True, 0.4, "").reads_in_words() == "it read no data during the smoke run"
