"""The organiser console's Live time panel drives a real sandbox's clock over its admin API:
pause, resume, speed, jump, the faults planned; a sandbox that is down, a bad date, a wrong
token, a team or a judge, and a form from another site each get a clear answer."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.live.clock import EVENT
from sandbox.settings import Settings
from tests.sandbox.live.households import EVERY_SOURCE, at, household_docs
from tests.support.served import LiveServer, nowhere
from tests.support.store import NO_ENGINE, make_store

START = at(date(2024, 2, 15))
ADMIN = "organiser-secret"


@pytest.fixture
def sandbox(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}",
                        files_dir=str(tmp_path / "files"), live_engine=False,
                        live_admin_token=ADMIN)
    with LiveServer(settings) as server:
        inst = server.sandbox.instances.create("lea")
        server.sandbox.live.schedule(inst, household_docs(EVERY_SOURCE), START, "hostile", 3)
        server.sandbox.live.clocks.set(EVENT, at=START, speed=1440, paused=True)
        yield server


def _store(tmp_path, url: str, token: str = ADMIN):
    return make_store(tmp_path / "store", engine=NO_ENGINE, workers=0, sandbox_url=url,
                      live_admin_token=token, live_faults="hostile")


def _as(store, who: str):
    store.cookies.set("selfdata_store_token", store.tokens[who])


def _text(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}">')[1].split("<")[0]


def test_the_organiser_drives_the_event_clock_from_the_console(sandbox, tmp_path):
    clocks = sandbox.sandbox.live.clocks
    with _store(tmp_path, sandbox.url) as store:
        _as(store, "Org")
        page = store.get("/organiser").text
        assert _text(page, "live-now") == "2024-02-14T23:00:00Z"
        assert _text(page, "live-state") == "paused"
        assert _text(page, "live-profile") == "hostile"

        r = store.post("/organiser/live", data={"action": "resume"})
        assert r.status_code == 200 and "Done: the event&#39;s clock runs." in r.text
        assert clocks.all()[EVENT].paused is False
        r = store.post("/organiser/live", data={"action": "pause"})
        assert clocks.all()[EVENT].paused is True and _text(r.text, "live-state") == "paused"
        r = store.post("/organiser/live", data={"action": "speed", "speed": "2880"})
        assert clocks.all()[EVENT].speed == 2880 and "×2,880" in r.text  # English by default
        french = store.get("/organiser", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
        assert "×2\u202f880" in french and "Vitesse" in french  # the same, in French
        r = store.post("/organiser/live", data={"action": "jump", "at": "2024-03-01"})
        assert r.status_code == 200
        assert clocks.all()[EVENT].sim_anchor == at(date(2024, 3, 1))
        assert _text(r.text, "live-now") == "2024-02-29T23:00:00Z"

        # the faults planned for an instance, as the sandbox labels them
        page = store.get("/organiser/live", params={"instance": "lea"}).text
        labels = sandbox.sandbox.live.labels(sandbox.sandbox.instances.get("lea"))
        assert labels and all(lb["eventId"] in page for lb in labels)


def test_bad_input_is_answered_inline_and_changes_nothing(sandbox, tmp_path):
    clocks = sandbox.sandbox.live.clocks
    before = clocks.all()[EVENT]
    with _store(tmp_path, sandbox.url) as store:
        _as(store, "Org")
        r = store.post("/organiser/live", data={"action": "jump", "at": "2024-13-45"})
        assert r.status_code == 400
        assert "is not a date" in _text(r.text, "live-form-error")
        assert _text(r.text, "live-now") == "2024-02-14T23:00:00Z"   # the panel is still there
        r = store.post("/organiser/live", data={"action": "speed", "speed": "fast"})
        assert r.status_code == 400 and "not a number" in r.text
        # the sandbox's own refusal: clocks only go forward
        r = store.post("/organiser/live", data={"action": "jump", "at": "2023-01-01"})
        assert r.status_code == 409 and "only go forward" in _text(r.text, "live-form-error")
        r = store.get("/organiser/live", params={"instance": "Not a name!"})
        assert r.status_code == 400 and "name is lowercase" in _text(r.text, "live-form-error")
        assert 'lang="en" id="live-form-error"' not in r.text      # the page's own words
        r = store.get("/organiser/live", params={"instance": "Not a name!"},
                      headers={"Accept-Language": "fr"})
        assert "Le nom d’une instance" in _text(r.text, "live-form-error")
        r = store.get("/organiser/live", params={"instance": "nobody"})
        assert r.status_code == 200 and "nobody" in _text(r.text, "live-error")
        assert clocks.all()[EVENT] == before


def test_a_sandbox_that_is_down_or_refuses_the_token_gets_a_clear_message(sandbox, tmp_path):
    sock, url = nowhere()
    with sock, _store(tmp_path / "down", url) as store:
        _as(store, "Org")
        r = store.get("/organiser")
        assert r.status_code == 200   # the rest of the console works
        assert "does not answer" in _text(r.text, "live-error") and url in r.text
        r = store.post("/organiser/live", data={"action": "pause"})
        assert r.status_code == 200 and "does not answer" in _text(r.text, "live-error")
    with _store(tmp_path / "wrong", sandbox.url, token="not-the-token") as store:
        _as(store, "Org")
        r = store.post("/organiser/live", data={"action": "resume"})
        assert r.status_code == 403
        assert "SELFDATA_STORE_LIVE_ADMIN_TOKEN" in _text(r.text, "live-form-error")
        assert sandbox.sandbox.live.clocks.all()[EVENT].paused is True
    with _store(tmp_path / "none", sandbox.url, token="") as store:
        _as(store, "Org")
        assert "not set up" in store.get("/organiser").text


def test_teams_judges_and_other_sites_cannot_touch_the_clock(sandbox, tmp_path):
    clocks = sandbox.sandbox.live.clocks
    with _store(tmp_path, sandbox.url) as store:
        for who in ("Blue", "Jo"):
            _as(store, who)
            r = store.post("/organiser/live", data={"action": "resume"})
            assert r.status_code == 403 and "organiser" in r.text
            assert store.get("/organiser/live", params={"instance": "lea"}).status_code == 403
        _as(store, "Org")
        r = store.post("/organiser/live", data={"action": "resume"},
                       headers={"Origin": "http://evil.example"})
        assert r.status_code == 403 and "store's own pages" in r.text
        store.cookies.clear()
        assert store.post("/organiser/live", data={"action": "resume"}).status_code == 401
        assert clocks.all()[EVENT].paused is True
