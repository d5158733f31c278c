"""Generated files into instances (the loader), and what an instance's files become when it
is cloned or deleted."""

from __future__ import annotations

import orjson
import pytest

from sandbox.files.importer import DatasetError
from sandbox.loader import load_population
from tests.support.api import Api
from tests.support.files import FakeFile, FakeHousehold, pdf, write_population

BILL = {"vendor": "EDF", "amount": 42.5, "date": "2024-02-01T00:00:00Z"}


def _population(tmp_path, fmt="ndjson"):
    return write_population(tmp_path / "pop", [
        FakeHousehold("h1", [FakeFile("/Administratif/EDF/2024-01.pdf", pdf("jan"), BILL),
                             FakeFile("/Administratif/EDF/2024-02.pdf", pdf("feb")),
                             FakeFile("/Administratif/MAIF/avis.pdf", pdf("maif"))]),
        FakeHousehold("h2", [FakeFile("/Factures/eau.pdf", pdf("eau"))]),
    ], fmt)


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_generated_files_are_served_by_files_and_data(sb, client, tmp_path, fmt):
    report = load_population(sb, _population(tmp_path, fmt))
    assert report.instances == ["h1", "h2"]
    api = Api(client, sb.cli_token("h1", "io.cozy.files io.cozy.bills"))
    folder = api.get("/files/metadata", params={"Path": "/Administratif/EDF"}).json()
    assert [x["attributes"]["name"] for x in folder["included"]] == ["2024-01.pdf",
                                                                     "2024-02.pdf"]
    bill = api.get("/data/io.cozy.bills/_all_docs", params={"include_docs": "true"}).json()
    invoice = bill["rows"][0]["doc"]["invoice"]
    file_id = invoice.removeprefix("io.cozy.files:")
    assert api.get(f"/files/download/{file_id}").content == pdf("jan")
    raw = api.get(f"/data/io.cozy.files/{file_id}").json()
    assert raw["size"] == str(len(pdf("jan"))) and "path" not in raw
    root = api.get("/files/io.cozy.files.root-dir").json()
    assert [x["attributes"]["name"] for x in root["included"]] == ["Administratif"]
    other = Api(client, sb.cli_token("h2", "io.cozy.files"))
    assert other.get(f"/files/download/{file_id}").status_code == 404


def test_a_blob_that_does_not_match_stops_the_load_and_names_the_file(sb, tmp_path):
    pop = _population(tmp_path)
    listing = pop / "h1" / "io.cozy.files.ndjson"
    docs = [orjson.loads(x) for x in listing.read_bytes().splitlines()]
    victim = next(d for d in docs if d["name"] == "2024-02.pdf")
    (pop / "h1" / "files" / victim["_id"]).write_bytes(pdf("fab"))  # same size, other bytes
    with pytest.raises(DatasetError) as err:
        load_population(sb, pop)
    assert victim["_id"] in str(err.value) and "'2024-02.pdf'" in str(err.value)
    assert "MD5" in str(err.value)
    assert sb.instances.find("h1") is None  # nothing of that household stored


@pytest.mark.parametrize("break_it, says", [
    (lambda d: d.update(size="1"), "size"),
    (lambda d: d.update(dir_id="nowhere"), "dir_id"),
    (lambda d: d.update(name="../evil"), "Invalid filename"),
    (lambda d: d.update(_id="../../etc/passwd"), "_id"),
])
def test_bad_documents_are_refused_with_a_clear_error(sb, tmp_path, break_it, says):
    pop = _population(tmp_path)
    listing = pop / "h2" / "io.cozy.files.ndjson"
    docs = [orjson.loads(x) for x in listing.read_bytes().splitlines()]
    break_it(docs[-1])
    listing.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    with pytest.raises(DatasetError, match=says):
        load_population(sb, pop)
    assert sb.instances.find("h2") is None


def test_a_missing_blob_is_named(sb, tmp_path):
    pop = _population(tmp_path)
    for blob in (pop / "h2" / "files").iterdir():
        blob.unlink()
    with pytest.raises(DatasetError, match="missing"):
        load_population(sb, pop)


def test_replacing_keeps_the_old_instance_when_the_new_files_are_wrong(sb, tmp_path):
    pop = _population(tmp_path)
    load_population(sb, pop)
    for blob in (pop / "h1" / "files").iterdir():
        blob.write_bytes(b"broken")
    with pytest.raises(DatasetError):
        load_population(sb, pop, replace=True)
    assert sb.instances.find("h1") is not None


def test_clone_copies_the_bytes_and_delete_removes_them(sb, client, tmp_path, settings):
    load_population(sb, _population(tmp_path))
    sb.instances.clone("h2", "h2copy")
    api = Api(client, sb.cli_token("h2copy", "io.cozy.files"))
    f = api.get("/files/metadata", params={"Path": "/Factures/eau.pdf"}).json()["data"]
    assert api.get(f"/files/download/{f['id']}").content == pdf("eau")
    folders = {p.name for p in settings.files_root().iterdir()}
    assert len(folders) == 3
    sb.instances.delete("h2")
    assert len({p.name for p in settings.files_root().iterdir()}) == 2
    assert api.get(f"/files/download/{f['id']}").content == pdf("eau")  # the copy stays
