"""The challenges' pages in both languages: the list, a challenge's page (schema, example,
metric, hook, leaderboards, a team's public households), the organisers' controls and final
ranking; nothing private before the reveal and the hidden seed on no page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app_store.tables import challenges as challenges_table
from tests.app_store.challenges.test_api import LEAKS
from tests.app_store.challenges.test_ranking import scored_run
from tests.sandbox.test_i18n import check_page
from tests.support.store import NO_ENGINE, make_store


@pytest.fixture
def store(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as harness:
        org = harness.auth("Org")
        harness.post("/api/challenges", json={**LEAKS, "description": "Trouvez les fuites."},
                     headers=org)
        harness.post("/api/challenges/leaks/open", headers=org)
        scored_run(harness, "1.0.1", found=True)
        yield harness


def page(store, who: str | None, path: str, lang: str = "en"):
    store.cookies.clear()
    if who:
        store.cookies.set("selfdata_store_token", store.tokens[who])
    return store.get(path, headers={"Accept-Language": lang})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_challenge_page_is_wholly_in_its_language(store, lang):
    for who in (None, "Blue", "Red", "Org"):
        for path in ("/challenges", "/challenges/leaks"):
            r = page(store, who, path, lang)
            assert r.status_code == 200, (who, path)
            check_page(r.text, lang, f"{who}:{path}")


def test_the_challenge_page_says_what_to_produce_and_the_team_sees_its_public_households(store):
    text = page(store, None, "/challenges/leaks").text
    for words in ("What to produce", "POST /selfdata/challenge", "&#34;required&#34;",
                  "Public leaderboard", "leak-finder"):
        assert words in text, words
    assert "Organiser controls" not in text and "Private leaderboard" not in text
    mine = page(store, "Blue", "/challenges/leaks").text
    assert "public-" in mine and "hidden-" not in mine and "Your scoring runs" in mine
    assert "Your scoring runs" not in page(store, "Red", "/challenges/leaks").text


def test_organisers_open_close_and_reveal_from_the_page_and_see_the_final_ranking(store):
    org = page(store, "Org", "/challenges/leaks").text
    assert "Organiser controls" in org and "Private leaderboard" not in org
    store.post("/challenges/leaks/close", follow_redirects=False)
    closed = page(store, "Org", "/challenges/leaks").text
    assert 'id="challenge-state">closed' in closed and "Private leaderboard" in closed
    assert "Private leaderboard" not in page(store, "Blue", "/challenges/leaks").text
    store.cookies.set("selfdata_store_token", store.tokens["Org"])
    r = store.post("/challenges/leaks/reveal", follow_redirects=False)
    assert r.status_code == 303
    assert "Private leaderboard" in page(store, None, "/challenges/leaks").text
    ranking = page(store, "Org", "/challenges").text
    assert "Final ranking" in ranking and "/api/ranking.csv" in ranking
    assert "Final ranking" not in page(store, "Blue", "/challenges").text
    store.cookies.set("selfdata_store_token", store.tokens["Blue"])
    assert store.post("/challenges/leaks/open", follow_redirects=False).status_code == 403


def test_drafts_and_the_hidden_seed_are_on_no_page(store):
    store.post("/api/challenges", json={**LEAKS, "key": "later", "title": "Later"},
               headers=store.auth("Org"))
    assert page(store, "Blue", "/challenges/later").status_code == 404
    assert "Later" not in page(store, None, "/challenges").text
    with store.store.db.read() as conn:
        seeds = [str(s) for s in conn.execute(sa.select(challenges_table.c.hidden_seed))
                 .scalars()]
    for who in (None, "Blue", "Org"):
        for path in ("/challenges", "/challenges/leaks", "/challenges/later", "/team",
                     "/organiser"):
            text = page(store, who, path).text
            assert not [s for s in seeds if s in text], (who, path)


def test_organisers_define_a_challenge_from_the_console_with_every_problem_shown(store):
    page(store, "Org", "/challenges")
    r = store.post("/challenges/new", data={"definition": '{"key": "X", "kind": "guess"}'},
                   headers={"Accept-Language": "en"})
    assert r.status_code == 400
    for words in ("Not saved:", "<code>key</code>", "<code>title</code>", "<code>kind</code>",
                  "&#34;key&#34;: &#34;X&#34;"):          # the definition is kept as typed
        assert words in r.text, words
    r = store.post("/challenges/new", data={"definition": "{not json"})
    assert r.status_code == 400 and "not JSON" in r.text
    r = store.post("/challenges/new", data={"definition": '{"key": "fc", "title": "Next '
                   'month", "kind": "forecast", "target": "water"}'}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/challenges/fc"
    assert store.get("/api/challenges/fc", headers=store.auth("Org")).json()["state"] == "draft"
    store.cookies.set("selfdata_store_token", store.tokens["Blue"])
    assert store.post("/challenges/new", data={"definition": "{}"}).status_code == 403
    assert "Define a challenge" not in page(store, "Blue", "/challenges").text
