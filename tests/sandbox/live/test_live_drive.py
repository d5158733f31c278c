"""Live time and the Drive: a bill's PDF (its io.cozy.files document, its bytes) arrives
with the bill, in the same konnector run, never before."""

from __future__ import annotations

from datetime import date

import orjson

from sandbox.live.clock import EVENT
from sandbox.loader import LiveLoad, load_population
from tests.sandbox.live.households import at
from tests.support.api import Api
from tests.support.files import FakeFile, FakeHousehold, pdf, write_population

FILES, BILLS, JOBS = "io.cozy.files", "io.cozy.bills", "io.cozy.jobs"
START = at(date(2024, 2, 15))


def _bill(day: str, amount: float) -> dict:
    return {"vendor": "EDF", "type": "energy", "amount": amount, "currency": "EUR",
            "date": f"{day}T00:00:00.000Z"}


def _population(tmp_path):
    return write_population(tmp_path / "pop", [FakeHousehold("h1", [
        FakeFile("/Administratif/EDF/2024-02-05.pdf", pdf("feb"), _bill("2024-02-05", 80.5)),
        FakeFile("/Administratif/EDF/2024-03-05.pdf", pdf("mar"), _bill("2024-03-05", 70.25)),
        FakeFile("/Administratif/EDF/2024-04-05.pdf", pdf("apr"), _bill("2024-04-05", 60.0)),
        FakeFile("/Administratif/EDF/conditions.pdf", pdf("cgv")),   # no bill: there at once
    ])])


def _docs(sb, inst, doctype: str) -> list[dict]:
    rows = sb.documents.all_docs(inst.id, doctype, include_docs=True, design=False)["rows"]
    return [orjson.loads(orjson.dumps(r["doc"])) for r in rows]


def _names(sb, inst) -> set[str]:
    return {d["name"] for d in _docs(sb, inst, FILES) if d.get("type") == "file"}


def _amounts(sb, inst) -> set[float]:
    return {d["amount"] for d in _docs(sb, inst, BILLS)}


def test_a_bills_pdf_is_not_in_the_drive_before_its_bill_and_arrives_with_it(sb, client,
                                                                            tmp_path):
    report = load_population(sb, _population(tmp_path), live=LiveLoad(START))
    inst = sb.instances.get("h1")
    # at the start: the February bill and its PDF, the unbilled PDF; nothing dated later
    assert _amounts(sb, inst) == {80.5}
    assert _names(sb, inst) == {"2024-02-05.pdf", "conditions.pdf"}
    assert report.pending == 4   # two bills and their two PDFs
    api = Api(client, sb.cli_token("h1", "io.cozy.files io.cozy.bills"))
    assert api.get("/files/metadata", params={"Path": "/Administratif/EDF/2024-03-05.pdf"}
                   ).status_code == 404
    seq = sb.documents.changes(inst.id, FILES, since=None, limit=None,
                               include_docs=False)["last_seq"]

    # the day before the March bill: still nothing; on its day (EDF runs at 11:00): both
    sb.live.clocks.set(EVENT, at=at(date(2024, 3, 5), 10), paused=True)
    sb.live.deliveries.tick()
    assert _amounts(sb, inst) == {80.5}
    assert _names(sb, inst) == {"2024-02-05.pdf", "conditions.pdf"}
    sb.live.clocks.set(EVENT, at=at(date(2024, 3, 5), 12))
    sb.live.deliveries.tick()
    assert _amounts(sb, inst) == {80.5, 70.25}
    assert _names(sb, inst) == {"2024-02-05.pdf", "conditions.pdf", "2024-03-05.pdf"}
    # the bill's invoice opens, with its bytes, through the files API
    march = next(d for d in _docs(sb, inst, BILLS) if d["amount"] == 70.25)
    file_id = march["invoice"].removeprefix("io.cozy.files:")
    assert api.get(f"/files/download/{file_id}").content == pdf("mar")
    meta = api.get("/files/metadata", params={"Path": "/Administratif/EDF/2024-03-05.pdf"})
    assert meta.status_code == 200 and meta.json()["data"]["id"] == file_id
    # _changes of the Drive shows it, and it came in the bill's run (one job for both)
    feed = sb.documents.changes(inst.id, FILES, since=seq, limit=None, include_docs=False)
    assert [r["id"] for r in feed["results"]] == [file_id]
    runs = [j for j in _docs(sb, inst, JOBS) if j["message"]["konnector"] == "edf"]
    assert [r["delivered"] for r in runs] == [{BILLS: 1, FILES: 1}]
    # the April one is still to come, with its PDF
    assert "2024-04-05.pdf" not in _names(sb, inst)
    assert sb.live.deliveries.pending(inst.id) == 2
