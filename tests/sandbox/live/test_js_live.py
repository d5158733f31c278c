"""The real ``cozy-realtime`` (npm) hears a live run's next delivery: the organiser moves the
clock and the subscriber receives ``CREATED`` for exactly the documents due by then, and the
konnectors' triggers ``UPDATED``."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
import sqlalchemy as sa

from sandbox.apps.records import STORE
from sandbox.contract.manifest import manifest_from_json
from sandbox.live.clock import EVENT
from sandbox.live.delivery import TRIGGERS
from sandbox.settings import Settings
from sandbox.storage.tables import live_pending
from tests.sandbox.live.households import EVERY_SOURCE, at, household_docs
from tests.support.apps import manifest
from tests.support.node import node_packages, run_checks
from tests.support.served import LiveServer

pytestmark = pytest.mark.node
STATEMENTS, ENERGY = "org.fing.mesinfos.consumptionstatement", "fr.enedis.api.meteringdata.energy"
START = at(date(2024, 2, 15))


def test_a_cozy_realtime_subscriber_receives_the_next_batch(tmp_path) -> None:
    js_dir = node_packages()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'rt.db'}",
                        files_dir=str(tmp_path / "files"), live_tick_s=0.05,
                        live_admin_token="organiser-secret")
    with LiveServer(settings) as server:
        sb = server.sandbox
        inst = sb.instances.create("lea")
        sb.live.schedule(inst, household_docs(EVERY_SOURCE), START, "clean", 1)
        sb.live.clocks.set(EVENT, at=START, paused=True)
        m = manifest(slug="live-listener", permissions={
            "statements": {"type": STATEMENTS, "verbs": ["GET"]},
            "energy": {"type": ENERGY, "verbs": ["GET"]},
            "triggers": {"type": "io.cozy.triggers", "verbs": ["GET"]}})
        sb.installs.install(inst, manifest_from_json(m), STORE, sha256="ab" * 32)
        target = at(date(2024, 2, 16), 9)   # Linky's and water's runs of the 16th, gazpar's
        with sb.db.read() as conn:          # of the 15th, and the 15th's of Linky and water
            due = conn.execute(sa.select(live_pending.c.doctype, live_pending.c.doc_id).where(
                live_pending.c.due <= target,
                live_pending.c.doctype.in_([STATEMENTS, ENERGY]))).all()
        expect = [[t, i] for t, i in due]
        assert len(expect) >= 100  # two days of half-hours (96), of daily energy and of water
        before = sb.documents.changes(inst.id, STATEMENTS, since=None, limit=None,
                                      include_docs=False)["last_seq"]
        out = run_checks(js_dir, "live.js", {
            "SANDBOX_URL": server.url, "SANDBOX_TOKEN": sb.app_token("lea", "live-listener"),
            "ADMIN_TOKEN": "organiser-secret", "DOCTYPES": f"{STATEMENTS},{ENERGY}",
            "TARGET": "2024-02-16T09:00",
            # the deliveries, and the enedis trigger's state after its run
            "EXPECT": orjson.dumps([*expect, [TRIGGERS, "konnector-enedis"]]).decode()},
            timeout=120)
        line = out["delivery"]
        assert "error" not in line, line
        result = line["result"]
        assert result["status"] == 200 and result["clock"]["paused"] is True
        assert result["before"] == 0   # nothing before the clock moved
        heard = [tuple(c[:2]) for c in result["calls"] if c[0] != "io.cozy.triggers"]
        assert sorted(heard) == sorted((t, i) for t, i in expect)   # each once, nothing else
        triggers = {c[1]: c[2] for c in result["calls"] if c[0] == "io.cozy.triggers"}
        assert triggers.get("konnector-enedis") == "done"
        # and _changes since the last sequence tells the same
        feed = sb.documents.changes(inst.id, STATEMENTS, since=before, limit=None,
                                    include_docs=False)["results"]
        assert sorted(r["id"] for r in feed) == sorted(i for t, i in expect if t == STATEMENTS)
