"""Live time: what an instance shows at a given "now", deliveries on the partners' cadences
through the normal write paths, jobs and triggers, faults and their labels, determinism, the
clock's rules and its admin API."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient

from sandbox.live.clock import EVENT, Clocks
from sandbox.live.plan import CREATE, ERROR, UPDATE, schedule
from sandbox.live.sources import STATEMENTS, cadences, data_day, next_banking_day
from sandbox.settings import Settings
from sandbox.web.app import create_app
from tests.sandbox.live.households import EVERY_SOURCE, PERIOD, TZ, at, household_docs

START = at(date(2024, 2, 15))
ENERGY = "fr.enedis.api.meteringdata.energy"
CALLS = "fr.orange.phonecommunicationlog"
JOBS, TRIGGERS = "io.cozy.jobs", "io.cozy.triggers"


@pytest.fixture
def app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}",
                              files_dir=str(tmp_path / "files"), live_engine=False,
                              live_admin_token="organiser-secret"))
    yield app
    app.state.sandbox.close()


@pytest.fixture
def sb(app):
    return app.state.sandbox


def _ids(sb, inst, doctype: str) -> set[str]:
    try:
        rows = sb.documents.all_docs(inst.id, doctype, design=False)["rows"]
    except Exception:
        return set()
    return {r["id"] for r in rows}


def _days(sb, inst, doctype: str, **match) -> set[date]:
    rows = sb.documents.all_docs(inst.id, doctype, include_docs=True, design=False)["rows"]
    docs = [r["doc"] for r in rows]
    docs = [orjson.loads(orjson.dumps(d)) for d in docs]
    return {data_day(doctype, d, TZ) for d in docs
            if all(d.get(k) == v for k, v in match.items())}


def _live(sb, profile: str = "clean", seed: int = 1, name: str = "lea"):
    inst = sb.instances.create(name)
    sb.live.schedule(inst, household_docs(EVERY_SOURCE), START, profile, seed)
    return inst


def test_an_instance_shows_exactly_what_each_source_delivered_by_its_now(sb) -> None:
    inst = _live(sb)
    # Linky: day D arrives on D+1 at 08:00; Gazpar: D+2 at 10:00; water: D+1 at 07:00
    assert max(_days(sb, inst, ENERGY)) == date(2024, 2, 13)
    assert max(_days(sb, inst, STATEMENTS, statementCategory="gazpar",
                     statementReason="GazparDailyGazConsumption")) == date(2024, 2, 12)
    assert max(_days(sb, inst, STATEMENTS, statementCategory="eau")) == date(2024, 2, 13)
    assert max(_days(sb, inst, CALLS)) == date(2024, 2, 13)
    # the first day is there in full: no hole before the clock
    assert len(_days(sb, inst, ENERGY)) == (date(2024, 2, 14) - PERIOD.start).days
    # undated documents (contracts, identity) are there from the start
    assert _ids(sb, inst, "org.fing.mesinfos.contract")
    # the konnectors are scheduled, as a stack's triggers
    triggers = _ids(sb, inst, TRIGGERS)
    assert {"konnector-enedis", "konnector-grdf", "konnector-water", "konnector-orange"} \
        <= triggers


def test_advancing_the_clock_delivers_the_next_batch_through_changes_jobs_and_journal(sb):
    inst = _live(sb)
    before = sb.documents.changes(inst.id, STATEMENTS, since=None, limit=None,
                                  include_docs=False)["last_seq"]
    sb.live.clocks.set(EVENT, at=START, paused=True)
    assert sb.live.deliveries.tick().documents == 0   # nothing due yet at the start
    sb.live.clocks.set(EVENT, at=at(date(2024, 2, 15), 9))   # past Linky's and water's runs
    report = sb.live.deliveries.tick()
    assert report.runs >= 3 and report.documents > 48
    feed = sb.documents.changes(inst.id, STATEMENTS, since=before, limit=None,
                                include_docs=True)["results"]
    new = [orjson.loads(orjson.dumps(r["doc"])) for r in feed]
    categories = {(d["statementCategory"], data_day(STATEMENTS, d, TZ)) for d in new}
    assert categories == {("linky", date(2024, 2, 14)), ("eau", date(2024, 2, 14))}
    assert sum(d["statementCategory"] == "linky" for d in new) == 48
    assert max(_days(sb, inst, ENERGY)) == date(2024, 2, 14)
    # gazpar's run of the 15th is at 10:00: not yet
    assert max(_days(sb, inst, STATEMENTS, statementCategory="gazpar",
                     statementReason="GazparDailyGazConsumption")) == date(2024, 2, 12)
    runs = sb.live.recent_runs(inst, 20)
    assert {r["message"]["konnector"] for r in runs} >= {"enedis", "water", "orange"}
    assert all(r["state"] == "done" and r["worker"] == "konnector" for r in runs)
    enedis = sb.documents.get_dict(inst.id, TRIGGERS, "konnector-enedis")
    assert enedis["current_state"]["status"] == "done"
    assert enedis["current_state"]["last_success"] == "2024-02-15T07:00:00Z"
    # the journal names the konnector that wrote
    entries = sb.journal.entries(inst.id)
    assert any(e.client == "enedis" and e.client_kind == "konnector" and e.doctype == ENERGY
               for e in entries)
    assert sb.live.deliveries.tick().documents == 0   # delivered once


def test_a_tick_never_splits_a_konnector_run(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", live_engine=False,
                              live_max_rows=100, files_dir=str(tmp_path / "f")))
    sb = app.state.sandbox
    try:
        inst = _live(sb)
        sb.live.clocks.set(EVENT, at=at(date(2024, 2, 20)), paused=True)
        sb.live.deliveries.tick()
        runs = sb.live.recent_runs(inst, 100)
        enedis = [r for r in runs if r["message"]["konnector"] == "enedis"]
        assert len(enedis) == 5   # one job per daily run of the 15th to the 19th
        assert all(r["delivered"][STATEMENTS] == 48 for r in enedis)   # whole, though > 100
        assert sb.live.deliveries.pending(inst.id) > 0
    finally:
        sb.close()


def test_the_same_seed_plans_the_same_deliveries_in_the_same_order() -> None:
    cad = cadences()
    a = schedule("lea", household_docs(EVERY_SOURCE), START, cad, "hostile", 7)
    b = schedule("lea", household_docs(EVERY_SOURCE), START, cad, "hostile", 7)
    c = schedule("lea", household_docs(EVERY_SOURCE), START, cad, "hostile", 8)
    key = [(d.due, d.source, d.op, d.doctype, d.doc_id, d.body) for d in a.pending]
    assert key == [(d.due, d.source, d.op, d.doctype, d.doc_id, d.body) for d in b.pending]
    assert a.labels == b.labels and a.labels != c.labels
    assert [d.due for d in a.pending] == sorted(d.due for d in a.pending)


def test_faults_happen_as_their_labels_say(sb) -> None:
    inst = _live(sb, "hostile", 3)
    labels = sb.live.labels(inst)
    kinds = {lb["details"]["fault"] for lb in labels}
    assert kinds == {"missing_day", "late_batch", "duplicate", "corrected", "connector_error"}
    assert all(lb["kind"] == "delivery_fault" and lb["eventId"].startswith("lea-live-")
               and lb["start"] <= lb["end"] and lb["affects"] for lb in labels)
    plan = schedule("lea", household_docs(EVERY_SOURCE), START, cadences(), "hostile", 3)
    sb.live.clocks.set(EVENT, at=at(PERIOD.end + timedelta(days=10)), paused=True)
    sb.live.deliveries.tick()
    assert sb.live.deliveries.pending(inst.id) == 0
    delivered = {dt: _ids(sb, inst, dt) for dt in {d.doctype for d in plan.pending if d.doctype}}
    planned_ids = {d.doc_id for d in plan.pending if d.op == CREATE}
    everything = set().union(*delivered.values())
    assert planned_ids <= everything
    # duplicated: the twins are there too, under their own ids
    dup = next(lb for lb in labels if lb["details"]["fault"] == "duplicate")
    assert set(dup["details"]["ids"]) <= everything
    # corrected: first a wrong value, then the right one, as an update
    fixes = [d for d in plan.pending if d.op == UPDATE]
    assert fixes
    fixed = fixes[0]
    stored = sb.documents.get_dict(inst.id, fixed.doctype, fixed.doc_id)
    assert stored["_rev"].startswith("2-")
    assert {k: v for k, v in stored.items() if k != "_rev"} == fixed.body
    # missing: planned for nobody, so never delivered; the label counts them
    missing = [lb for lb in labels if lb["details"]["fault"] == "missing_day"]
    assert sum(lb["details"]["documents"] for lb in missing) == \
        sum(len(v) for v in household_docs_dated(EVERY_SOURCE).values()) - len(planned_ids
                                                                           - _twins(plan))
    # the konnector in error: failed runs, then a catch-up
    errors = [d for d in plan.pending if d.op == ERROR]
    assert errors
    runs = sb.live.recent_runs(inst, 10_000)
    failed = [r for r in runs if r["state"] == "errored"]
    assert failed and all(r["error"] == "VENDOR_DOWN" for r in failed)
    down = next(lb for lb in labels if lb["details"]["fault"] == "connector_error")
    trig = sb.documents.get_dict(inst.id, TRIGGERS, f"konnector-{down['details']['source']}")
    assert trig["current_state"]["last_failure"]


def _twins(plan) -> set[str]:
    return {d.doc_id for d in plan.pending if d.op == CREATE and d.doc_id.endswith("-dup")}


def household_docs_dated(index: int) -> dict[str, list]:
    """Documents dated after START by their source's cadence (what the live run delivers)."""
    cad = cadences()
    out: dict[str, list] = {}
    for doctype, docs in household_docs(index):
        for d in docs:
            src = cad.source_of(doctype, d)
            due = cad.due(src, doctype, d) if src else None
            if due is not None and due > START:
                out.setdefault(doctype, []).append(d)
    return out


def test_clocks_go_forward_pause_and_follow_the_event_unless_they_have_their_own(sb):
    wall = [1000.0]
    clocks = Clocks(sb.db, wall=lambda: wall[0])
    with pytest.raises(Exception, match="has not started"):
        clocks.set(EVENT, speed=10)
    clocks.set(EVENT, at=START, speed=1440)
    wall[0] += 60
    assert clocks.now(5) == pytest.approx(START + 86_400)   # no own clock: the event's
    clocks.set(EVENT, paused=True)
    wall[0] += 60
    assert clocks.now(5) == pytest.approx(START + 86_400)
    with pytest.raises(Exception, match="only go forward"):
        clocks.set(EVENT, at=START)
    clocks.set(5, at=START + 10 * 86_400, paused=False, speed=1)
    wall[0] += 5
    assert clocks.now(5) == pytest.approx(START + 10 * 86_400 + 5)
    assert clocks.now(6) == pytest.approx(START + 86_400)
    clocks.follow_event(5)
    assert clocks.now(5) == pytest.approx(START + 86_400)


def test_banking_days_skip_weekends_and_french_holidays() -> None:
    assert next_banking_day(date(2024, 12, 25)) == date(2024, 12, 26)
    assert next_banking_day(date(2024, 3, 30)) == date(2024, 4, 2)   # Sat, Sun, Easter Monday
    assert next_banking_day(date(2024, 3, 29)) == date(2024, 3, 29)


def test_the_admin_api_drives_the_clock_with_the_organisers_token_only(app, sb) -> None:
    client = TestClient(app)
    _live(sb)
    good = {"Authorization": "Bearer organiser-secret"}
    assert client.get("/admin/live/clock").status_code == 403
    assert client.get("/admin/live/clock", headers={"Authorization": "Bearer x"}
                      ).status_code == 403
    r = client.put("/admin/live/clock", json={"at": "2024-02-15", "speed": 1440,
                                              "paused": True}, headers=good)
    assert r.status_code == 200 and r.json()["now"] == "2024-02-14T23:00:00Z"
    assert r.json()["paused"] is True
    assert client.put("/admin/live/clock", json={"at": "2024-02-01"}, headers=good
                      ).status_code == 409
    for bad in ({"at": "yesterday"}, {"speed": -1}, {"speed": "fast"}, {"colour": 1},
                {"follow_event": True}):
        assert client.put("/admin/live/clock", json=bad, headers=good).status_code in (400, 422)
    assert client.put("/admin/live/clock", json={"instance": "nobody", "paused": True},
                      headers=good).status_code == 404
    r = client.put("/admin/live/clock", json={"instance": "lea", "at": "2024-03-01T12:00"},
                   headers=good)
    assert r.status_code == 200 and r.json()["own_clock"] is True
    faults = client.get("/admin/live/faults", params={"instance": "lea"}, headers=good)
    assert faults.status_code == 200 and faults.json()["events"] == []   # clean profile
    # an app or client of the instance reads its cloud's clock
    token = sb.cli_token("lea", "io.cozy.jobs:GET")
    mine = client.get("/live/clock", headers={"Authorization": f"Bearer {token}"}).json()
    assert mine["now"] == "2024-03-01T11:00:00Z" and mine["pending"] > 0
    assert client.get("/live/clock").status_code == 401
    # the page's form does the same
    page = client.post("/admin/live", data={"token": "organiser-secret", "action": "resume"},
                       headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Done: the clock runs." in page.text
    assert client.post("/admin/live", data={"token": "nope", "action": "resume"}
                       ).status_code == 403
    assert client.post("/admin/live", data={"token": "organiser-secret", "action": "speed",
                                            "speed": "fast"}).status_code == 400


def test_without_an_organiser_token_the_admin_api_is_closed(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", live_engine=False,
                              files_dir=str(tmp_path / "f")))
    try:
        r = TestClient(app).get("/admin/live/clock", headers={"Authorization": "Bearer "})
        assert r.status_code == 403 and "SELFDATA_LIVE_ADMIN_TOKEN" in r.text
    finally:
        app.state.sandbox.close()


def test_the_dashboard_shows_today_what_arrived_and_notifications_dated_by_the_clock(app, sb):
    inst = _live(sb)
    sb.live.clocks.set(EVENT, at=at(date(2024, 2, 15), 9), paused=True)
    sb.live.deliveries.tick()
    page = TestClient(app).get("/", headers={"Host": "lea.localhost", "Accept-Language": "en"})
    assert page.status_code == 200
    today = '<time id="today-date" datetime="2024-02-15T08:00:00Z">'
    assert f"Today in this cloud: {today}15 Feb 2024 08:00 UTC" in page.text
    french = TestClient(app).get("/", headers={"Host": "lea.localhost"}).text
    assert f"Aujourd’hui dans ce cloud : {today}15 févr. 2024 08:00 UTC" in french
    assert "enedis" in page.text and "org.fing.mesinfos.consumptionstatement" in page.text
    doc = sb.notifications.push(inst, "app", "x", {"alert": {}}, {"category": "alert",
                                                                  "title": "Hi"})
    assert doc["created_at"].startswith("2024-02-15T08:00")
