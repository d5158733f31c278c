"""Judging that cannot be silently wrong, through the API and the pages: teams and conflicts
name existing teams (a typo is refused, inline), incomplete score sets are flagged and kept
out of the ranking unless the event counts them, numbers read the same on the page and in the
CSV; the console never says "Nothing submitted yet" above submissions; a new account's token
is shown at the top with a copy button; form errors are shown in the form, inputs kept."""

from __future__ import annotations

import re

import pytest

from app_store import accounts
from app_store.tables import accounts as accounts_table
from tests.support.apps import app_files, tar_gz
from tests.support.store import NO_ENGINE, approve_directly, make_store


@pytest.fixture
def store(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as harness:
        yield harness


def signed_in(store, who: str):
    store.cookies.clear()
    store.cookies.set("selfdata_store_token", store.tokens[who])
    return store


def two_criteria(store):
    r = store.put("/api/criteria", json={"data": [{"key": "use", "label": "Useful", "weight": 3},
                                                  {"key": "ux", "label": "Clear", "weight": 1}]},
                  headers=store.auth("Org"))
    assert r.status_code == 200


def test_a_judge_team_or_conflict_that_is_no_team_is_refused(store):
    r = store.post("/api/accounts", json={"name": "Ann", "role": "judge", "team": "Team Blu"},
                   headers=store.auth("Org"))
    assert r.status_code == 400
    problem = r.json()["problems"][0]
    assert problem["path"] == "team" and "no team is called 'Team Blu'" in problem["message"]
    assert "Blue, Red" in problem["message"]
    r = store.post("/api/accounts", json={"name": "Teal", "role": "team", "team": "Blue"},
                   headers=store.auth("Org"))
    assert r.status_code == 400 and "only a judge" in r.json()["problems"][0]["message"]
    r = store.post("/api/accounts", json={"name": "Ann", "role": "judge", "team": "Blue"},
                   headers=store.auth("Org"))
    assert r.status_code == 201 and r.json()["team"] == "Blue"
    r = store.post("/api/me/conflicts", json={"team": "Nobody"}, headers=store.auth("Jo"))
    assert r.status_code == 400 and "no team is called 'Nobody'" in r.json()["problems"][0][
        "message"]
    r = store.post("/api/me/conflicts", json={"team": "Blue"}, headers=store.auth("Jo"))
    assert r.status_code == 201 and r.json()["conflicts"] == ["Blue"]


def test_the_account_form_offers_existing_teams_and_answers_a_typo_inline(store):
    signed_in(store, "Org")
    html = store.get("/organiser").text
    team_select = html.split('id="acc-team"')[1].split("</select>")[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", team_select)[1:] == ["Blue", "Red"]
    r = store.post("/organiser/accounts", data={"name": "Ann <b>", "role": "judge",
                                                "team": "Team Blu"})
    assert r.status_code == 400 and "Something is wrong" not in r.text
    form = r.text.split('action="/organiser/accounts"')[1].split("</form>")[0]
    assert "Not saved:" in form and "no team is called &#39;Team Blu&#39;" in form
    assert 'value="Ann &lt;b&gt;"' in form
    assert '<option value="judge" selected>judge</option>' in form
    assert "new-token" not in r.text
    r = store.post("/organiser/accounts", data={"name": "Blue", "role": "team"})
    assert r.status_code == 409 and "already exists" in r.text.split(
        'action="/organiser/accounts"')[1]


def test_a_new_token_is_at_the_top_with_a_copy_button_and_no_inline_script(store):
    signed_in(store, "Org")
    r = store.post("/organiser/accounts", data={"name": "Ann", "role": "judge", "team": "Blue"})
    assert r.status_code == 200
    main = r.text.split("<main>")[1]
    assert main.index('id="new-token"') < main.index("<h1>Organiser console")
    assert 'data-copy="new-token"' in main and "shown only once" in main
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text) == []   # CSP-friendly
    js = store.get("/static/copy.js")
    assert js.status_code == 200 and "navigator.clipboard.writeText" in js.text


def test_a_judge_declares_conflicts_from_the_teams_and_a_forged_one_is_refused_inline(store):
    approve_directly(store, "Blue", {"slug": "blue-app", "permissions": {}})
    signed_in(store, "Jo")
    html = store.get("/judge").text
    options = re.findall(r"<option[^>]*>([^<]+)</option>",
                         html.split('id="conflict-team"')[1].split("</select>")[0])
    assert options == ["Blue"]          # Jo's own team Red is a conflict already
    r = store.post("/judge/conflicts", data={"team": "Bleu"})
    assert r.status_code == 400
    assert "no team is called &#39;Bleu&#39;" in r.text.split('id="conflicts"')[1]
    r = store.post("/judge/conflicts", data={"team": "Blue"}, follow_redirects=False)
    assert r.status_code == 303
    html = store.get("/judge").text
    assert "You declared a conflict with: Blue." in html
    assert "not yours to score" in html.split('id="app-blue-app"')[1]


def test_a_bad_score_is_answered_in_that_app_s_form_with_the_choices_kept(store):
    two_criteria(store)
    approve_directly(store, "Blue", {"slug": "blue-app", "permissions": {}})
    signed_in(store, "Jo")
    r = store.post("/judge/blue-app", data={"use": "4", "ux": "9", "comment": "nice <i>"})
    assert r.status_code == 400
    section = r.text.split('id="app-blue-app"')[1]
    assert "Not saved:" in section and "1 to 5" in section
    assert 'name="use" value="4" checked' in section
    assert "nice &lt;i&gt;</textarea>" in section


def test_incomplete_sets_are_flagged_and_kept_out_of_the_ranking(store):
    two_criteria(store)
    approve_directly(store, "Blue", {"slug": "blue-app", "permissions": {}})
    approve_directly(store, "Red", {"slug": "red-app", "permissions": {}})
    store.post("/api/scores", json={"slug": "blue-app", "scores": {"use": 4}},
               headers=store.auth("Jo"))
    board = store.get("/api/leaderboard", headers=store.auth("Org")).json()
    assert board["data"] == [] and board["partial_scores"] == "exclude"
    assert board["incomplete"] == {"blue-app": {"Jo": ["ux"]}}
    html = signed_in(store, "Org").get("/organiser").text
    lb = html.split('id="leaderboard"')[1].split("</section>")[0]
    assert "No app has a complete set of scores yet." in lb
    assert "Jo has not scored ux; not ranked until complete" in lb
    # Jo finishes the set: ranked, numbers alike on the page and in the CSV
    store.post("/api/scores", json={"slug": "blue-app", "scores": {"ux": 5}},
               headers=store.auth("Jo"))
    html = store.get("/organiser").text
    lb = html.split('id="leaderboard"')[1].split("</section>")[0]
    assert '<td class="num">4.25</td><td class="num">-0.50</td>' in lb
    assert 'id="incomplete"' not in lb
    french = store.get("/organiser", headers={"Accept-Language": "fr"}).text
    lb_fr = french.split('id="leaderboard"')[1].split("</section>")[0]
    assert '<td class="num">4,25</td><td class="num">-0,50</td>' in lb_fr  # as French writes
    csv = store.get("/api/leaderboard.csv", headers=store.auth("Org")).text.splitlines()
    assert csv[1].startswith("1,blue-app,Blue,4.25,-0.50,1,4.00,5.00,")


def test_the_event_may_count_incomplete_sets_and_still_names_them(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0, partial_scores="count") as store:
        approve_directly(store, "Blue", {"slug": "blue-app", "permissions": {}})
        store.post("/api/scores", json={"slug": "blue-app", "scores": {"usefulness": 4}},
                   headers=store.auth("Jo"))
        board = store.get("/api/leaderboard", headers=store.auth("Org")).json()
        assert [r["app"] for r in board["data"]] == ["blue-app"]
        assert board["data"][0]["incomplete"] == {"Jo": ["crossing", "privacy", "design"]}
        csv = store.get("/api/leaderboard.csv", headers=store.auth("Org")).text
        assert "Jo lacks crossing, privacy, design" in csv
        lb = signed_in(store, "Org").get("/organiser").text.split('id="leaderboard"')[1]
        assert "<strong>counted</strong>" in lb and "1 counted" in lb


def test_the_console_never_says_nothing_was_submitted_above_submissions(store):
    for i in range(12):
        store.submit(tar_gz(app_files()), name=f"app{i}.tar.gz")
    html = signed_in(store, "Org").get("/organiser").text
    assert "Nothing submitted yet" not in html
    assert "Nothing is awaiting review." in html and "All submissions (12)" in html


def test_criteria_errors_are_shown_in_the_criteria_form_with_the_rows_kept(store):
    signed_in(store, "Org")
    r = store.post("/organiser/criteria", data={"key": ["use", "ux"], "label": ["Useful", ""],
                                                "weight": ["lots", "1"]})
    assert r.status_code == 400
    form = r.text.split('action="/organiser/criteria"')[1].split("</form>")[0]
    assert "Not saved:" in form and "must be a number, got &#39;lots&#39;" in form
    assert 'value="lots"' in form and 'value="Useful"' in form
    r = store.post("/organiser/criteria", data={"key": ["use"], "label": [""], "weight": ["2"]})
    assert r.status_code == 400 and "needs a label" in r.text
    r = store.post("/organiser/criteria", data={"key": ["use"], "label": ["Useful"],
                                                "weight": ["2,5"]}, follow_redirects=False)
    assert r.status_code == 303
    assert store.get("/api/criteria").json()["data"][0]["weight"] == 2.5


def test_a_missing_upload_is_answered_in_the_upload_form(store):
    signed_in(store, "Blue")
    r = store.post("/team/submit", data={"x": "1"})
    assert r.status_code == 400
    form = r.text.split('action="/team/submit"')[1].split("</form>")[0]
    assert "choose a .tar.gz or .zip file" in form and 'aria-invalid="true"' in form


def test_a_judge_team_recorded_before_the_rule_is_flagged(store):
    with store.store.db.write() as conn:     # as an earlier version let it be typed
        conn.execute(accounts_table.update().where(accounts_table.c.name == "Jo").values(
            team="Team Blu"))
    html = signed_in(store, "Org").get("/organiser").text
    row = next(r for r in html.split("<tr>") if "<td>Jo</td>" in r)
    assert "Team Blu" in row and "no such team" in row


@pytest.mark.parametrize("path", ["/judge/conflicts", "/organiser/criteria",
                                  "/organiser/review/1", "/organiser/accounts"])
def test_the_new_forms_refuse_other_sites(store, path):
    signed_in(store, "Org" if path.startswith("/organiser") else "Jo")
    r = store.post(path, data={"team": "Blue", "key": "x", "name": "X", "role": "team"},
                   headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "store's own pages" in r.json()["error"]
    names = [a["name"] for a in store.get("/api/accounts", headers=store.auth("Org")).json()[
        "data"]]
    assert "X" not in names
    jo = accounts.authenticate(store.store.db, store.tokens["Jo"])
    assert accounts.conflicts_of(store.store.db, jo.id) == set()
