"""A sandbox database written before the one-writer redesign opens and works: installed apps
keep their image and sha256 (now columns); a row whose manifest no longer reads is shown as
needing a reinstall, answers no token and never a 5xx."""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sandbox.contract.addresses import dev_key
from sandbox.contract.manifest import manifest_from_json
from sandbox.service import Sandbox
from sandbox.web.app import create_app
from tests.support.apps import manifest

OLD_TABLE = """CREATE TABLE installed_apps (instance_id INTEGER NOT NULL, slug VARCHAR(64) NOT NULL,
    manifest TEXT NOT NULL, permissions TEXT NOT NULL, state VARCHAR(16) NOT NULL,
    installed_at FLOAT NOT NULL, PRIMARY KEY (instance_id, slug))"""


def test_an_earlier_database_is_upgraded_and_keeps_its_installs(settings):
    sb = Sandbox(settings)
    inst = sb.instances.create("alice")
    good = dict(manifest(slug="good-app"), selfdata_image="sha256:img", selfdata_sha256="ab" * 32)
    bad = manifest(slug="old-app", permissions={"x": {"type": "io.cozy.bills", "verbs": "get"}})
    with sb.db.write() as conn:
        conn.exec_driver_sql("DROP TABLE installed_apps")
        conn.exec_driver_sql(OLD_TABLE)
        for m, state in ((good, "installed"), (bad, "dev")):
            conn.exec_driver_sql(
                "INSERT INTO installed_apps VALUES (%s, %s, %s, %s, %s, %s)".replace(
                    "%s", sb.db.ph), (inst.id, m["slug"], orjson.dumps(m).decode(),
                                      orjson.dumps(m["permissions"]).decode(), state, 1.0))
    sb.close()

    app = create_app(settings)   # upgrades at start
    sb = app.state.sandbox
    try:
        got = {a.slug: a for a in sb.installs.listing(inst)}
        assert got["good-app"].image_id == "sha256:img" and got["good-app"].sha256 == "ab" * 32
        assert got["good-app"].source == "store" and not got["good-app"].broken
        assert "selfdata_image" not in got["good-app"].manifest.raw
        assert got["old-app"].broken and got["old-app"].source == "dev"
        client = TestClient(app)
        token = sb.app_token("alice", "good-app")
        r = client.get("/data/fr.orange.phonecommunicationlog/_all_docs",
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code in (200, 404)  # authenticated (no database yet is a 404)
        old = sb.app_token("alice", "old-app")
        r = client.get("/data/io.cozy.bills/_all_docs", headers={"Authorization": f"Bearer {old}"})
        assert r.status_code == 400
        page = client.get("/", headers={"Host": "alice.localhost", "Accept-Language": "en"})
        assert page.status_code == 200 and "reinstall needed" in page.text
        r = client.get("/", headers={"Host": "old-app.alice.localhost"})
        assert r.status_code == 503 and "reinstall" in r.text
    finally:
        sb.close()


BEFORE_DEV_KEYS = """CREATE TABLE installed_apps (instance_id INTEGER NOT NULL,
    slug VARCHAR(64) NOT NULL, manifest TEXT NOT NULL, version VARCHAR(64) NOT NULL,
    source VARCHAR(16) NOT NULL, registry VARCHAR(255), sha256 VARCHAR(64),
    image_id VARCHAR(80), installed_at FLOAT NOT NULL, PRIMARY KEY (instance_id, slug))"""


def test_a_database_from_before_dev_keys_takes_them_and_offers_a_reinstall(settings):
    """Written when `selfdata dev` replaced the store install: the row it left stays (and
    says it needs a reinstall from the store); dev records, keyed ``dev.<63-char slug>``, fit."""
    sb = Sandbox(settings)
    inst = sb.instances.create("alice")
    m = manifest(slug="my-calls")
    with sb.db.write() as conn:
        conn.exec_driver_sql("DROP TABLE installed_apps")
        conn.exec_driver_sql(BEFORE_DEV_KEYS)
        conn.exec_driver_sql(
            "INSERT INTO installed_apps VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)".replace(
                "%s", sb.db.ph), (inst.id, "my-calls", orjson.dumps(m).decode(), "1.0.0", "dev",
                                  None, None, None, 1.0))
    sb.close()
    app = create_app(settings)
    sb = app.state.sandbox
    try:
        (old,) = sb.installs.listing(inst)
        assert old.source == "dev" and not old.dev and old.served_by is None
        assert old.cannot_run and "earlier `selfdata dev`" in old.cannot_run
        page = TestClient(app).get("/", headers={"Host": "alice.localhost",
                                                 "Accept-Language": "en"}).text
        assert "reinstall needed" in page and "Reinstall My calls from the store" in page
        long = manifest(slug="a" * 63)
        rec = sb.installs.install(inst, manifest_from_json(orjson.dumps(long)), "dev",
                                  key=dev_key("a" * 63), served_by="host 1 2")
        assert sb.installs.get(inst, dev_key("a" * 63)) == rec
    finally:
        sb.close()


OLD_PENDING = """CREATE TABLE live_pending (id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id INTEGER NOT NULL, due FLOAT NOT NULL, source VARCHAR(64) NOT NULL,
    op VARCHAR(8) NOT NULL, doctype VARCHAR(255) NOT NULL, doc_id VARCHAR(512) NOT NULL,
    body TEXT NOT NULL)"""


def test_live_deliveries_planned_by_an_earlier_version_are_still_made(settings):
    old = OLD_PENDING if settings.database_url.startswith("sqlite") else OLD_PENDING.replace(
        "INTEGER PRIMARY KEY AUTOINCREMENT", "SERIAL PRIMARY KEY").replace(
        "FLOAT", "DOUBLE PRECISION")
    sb = Sandbox(settings)
    inst = sb.instances.create("alice")
    with sb.db.write() as conn:   # a pending create as the earlier version kept it: no rev
        conn.exec_driver_sql("DROP TABLE live_pending")
        conn.exec_driver_sql(old)
        conn.execute(sa.text(
            "INSERT INTO live_pending (instance_id, due, source, op, doctype, doc_id, body) "
            "VALUES (:i, :due, 'enedis', 'create', 'test.notes', 'n1', :body)"),
            {"i": inst.id, "due": 100.0, "body": orjson.dumps({"_id": "n1", "v": 1}).decode()})
    sb.close()
    sb = Sandbox(settings)
    try:
        sb.live.clocks.set(at=50.0, paused=True)
        sb.live.deliveries.tick()
        assert sb.documents.get_dict(inst.id, "test.notes", "n1") is None
        sb.live.clocks.set(at=200.0)
        assert sb.live.deliveries.tick().documents == 1
        doc = sb.documents.get_dict(inst.id, "test.notes", "n1")
        assert doc is not None and doc["v"] == 1 and doc["_rev"].startswith("1-")
        assert sb.live.deliveries.pending() == 0
    finally:
        sb.close()
