"""The generated Drive: every bill as a PDF where its konnector saved it, linked by ``invoice``,
the same bytes on every run, and the PDF saying what the bill document says."""

import hashlib
import io
import re
from datetime import date
from functools import cache
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from synthetic_data.calendar_fr import Period
from synthetic_data.cli import validate
from synthetic_data.documents import Batch
from synthetic_data.drive import FILES, ROOT_ID, add_drive, md5sum
from synthetic_data.errors import OutputError
from synthetic_data.invoices import fr_amount, fr_date, fr_number, split_cents
from synthetic_data.population import Options, generate_population, household_context
from synthetic_data.reading import iter_documents, iter_drive
from synthetic_data.writers import FILES_FOLDER
from tests.support.households import YEAR, docs_of, latent

BILLS = "io.cozy.bills"
START = date(2024, 1, 1)


def _population(out: Path, **kw) -> Path:
    opts = {"households": 3, "years": 1, "start": START, "seed": 1, "out": out,
            "format": "ndjson", "workers": 1, **kw}
    generate_population(Options(**opts))
    return out


def _every_vendor_seed(households: int = 3) -> int:
    """The first seed whose households include an EDF client, an Orange line and a gas home
    (with MAIF and water everywhere, every vendor's bills then have PDFs to check)."""
    for seed in range(1, 200):
        homes = [latent(i, seed, YEAR)[0] for i in range(households)]
        partners = [h.partners for h in homes]
        if any(p.edf for p in partners) and any(p.orange_mobile for p in partners) and any(
                h.dwelling.uses_gas and h.partners.edf for h in homes):
            return seed
    raise LookupError("no seed below 200 covers every vendor")


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> Path:
    return _population(tmp_path_factory.mktemp("drive") / "pop", seed=_every_vendor_seed())


def _docs(pop: Path) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, list[dict]]] = {}
    for instance, doctype, docs in iter_documents(pop):
        out.setdefault(instance, {})[doctype] = docs
    return out


@cache
def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _drive_digest(pop: Path) -> dict[str, str]:
    return {str(p.relative_to(pop)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(pop.rglob("*"))
            if p.is_file() and (p.parent.name == FILES_FOLDER or p.name.startswith(FILES))}


def test_two_runs_with_the_same_seed_give_the_same_drive_byte_for_byte(population, tmp_path):
    again = _population(tmp_path / "again", workers=2, seed=_every_vendor_seed())
    first, second = _drive_digest(population), _drive_digest(again)
    assert first == second
    assert sum(name.endswith(f"/{FILES}.ndjson") for name in first) == 3
    assert sum(f"/{FILES_FOLDER}/" in name for name in first) > 60


def test_another_seed_gives_other_pdfs(population, tmp_path):
    other = _population(tmp_path / "other", households=1, seed=12)
    mine = {v for k, v in _drive_digest(population).items() if f"/{FILES_FOLDER}/" in k}
    theirs = {v for k, v in _drive_digest(other).items() if f"/{FILES_FOLDER}/" in k}
    assert theirs and not mine & theirs


def test_every_bill_links_a_pdf_that_says_its_amount_date_vendor_and_references(population):
    checked, vendors = 0, set()
    for instance, docs in _docs(population).items():
        drive = {doc["_id"]: (doc, data) for doc, data in iter_drive(population, instance)}
        bills = docs[BILLS]
        files = [d for d, data in drive.values() if data is not None]
        assert len(files) == len(bills)
        linked = [b["invoice"].removeprefix(f"{FILES}:") for b in bills]
        assert sorted(linked) == sorted(f["_id"] for f in files)  # one file per bill, no stray
        for bill in bills:
            doc, data = drive[bill["invoice"].removeprefix(f"{FILES}:")]
            text = _text(data)
            issued = date.fromisoformat(bill["date"][:10])
            assert fr_amount(bill["amount"]) in text, (bill, text)
            assert fr_date(issued) in text
            assert bill["vendor"] in text
            assert bill["contractNumber"] in text
            if "clientId" in bill:
                assert bill["clientId"] in text
            first, last = (date.fromisoformat(bill[k]) for k in ("periodStart", "periodEnd"))
            assert f"du {fr_date(first)} au {fr_date(last)}" in text
            assert doc["metadata"]["issueDate"] == bill["date"]
            assert doc["metadata"]["contentAuthor"] == bill["vendor"]
            checked += 1
            vendors.add(bill["vendor"])
    assert checked > 50
    assert {"EDF", "MAIF", "Orange"} <= vendors


def test_the_pdf_lines_add_up_to_the_bill_and_show_its_consumption(population):
    seen = set()
    for instance, docs in _docs(population).items():
        drive = {doc["_id"]: data for doc, data in iter_drive(population, instance)}
        litres = {d["period"]: d["value"] for d in docs["org.fing.mesinfos.consumptionstatement"]
                  if d.get("statementReason") == "WaterDailyConsumption"}
        for bill in docs[BILLS]:
            text = _text(drive[bill["invoice"].removeprefix(f"{FILES}:")])
            block = text.split("Montant TTC", 1)[1].split("Montant total TTC", 1)[0]
            amounts = re.findall(r"(-?\d+,\d{2}) €(?= *(?:\n|$))", block)
            cents = [int(a.replace(",", "")) for a in amounts]
            signed = -bill["amount"] if bill.get("isRefund") else bill["amount"]
            assert cents and sum(cents) == round(signed * 100), (bill, block)
            if "consumptionWh" in bill:
                assert f"{fr_number(bill['consumptionWh'] / 1000, 3)} kWh" in text
                seen.add("electricity")
            if "consumptionKwh" in bill:
                assert f"{bill['consumptionKwh']} kWh ({fr_number(bill['volumeM3'], 2)} m³)" \
                    in text
                seen.add("gas")
            if bill["type"] == "water":  # the m³ billed are the daily statements' litres
                total = sum(v for day, v in litres.items()
                            if bill["periodStart"] <= day <= bill["periodEnd"])
                assert f"{fr_number(total / 1000, 3)} m³" in text
                seen.add("water")
    assert seen == {"electricity", "gas", "water"}


def test_folders_follow_the_konnectors_conventions(population):
    for docs in _docs(population).values():
        drive = docs[FILES]
        dirs = [d for d in drive if d["type"] == "directory"]
        files = [d for d in drive if d["type"] == "file"]
        assert drive == dirs + files  # directories first
        base = dirs[0]
        assert (base["path"], base["dir_id"], base["name"]) == \
            ("/Administratif", ROOT_ID, "Administratif")
        assert base["referenced_by"] == [{"type": "io.cozy.apps",
                                          "id": "io.cozy.apps/administrative"}]
        by_id = {d["_id"]: d for d in dirs}
        vendors = {b["vendor"] for b in docs[BILLS]}
        assert {d["path"] for d in dirs[1:]} == {f"/Administratif/{v}" for v in vendors}
        for d in dirs[1:]:
            assert d["dir_id"] == base["_id"]
            assert d["referenced_by"][0]["type"] == "io.cozy.konnectors"
            assert d["created_at"] == min(f["created_at"] for f in files
                                          if f["dir_id"] == d["_id"])
        bills = {b["invoice"].removeprefix(f"{FILES}:"): b for b in docs[BILLS]}
        for f in files:
            bill = bills[f["_id"]]
            assert "path" not in f
            assert by_id[f["dir_id"]]["name"] == bill["vendor"]
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}_.+_\d+\.\d{2}EUR_.+\.pdf", f["name"])
            assert f["name"].startswith(bill["date"][:10])
            assert f["created_at"][:10] > bill["date"][:10]  # collected after it was issued
            assert f["cozyMetadata"]["createdByApp"] == by_id[f["dir_id"]]["referenced_by"][0][
                "id"].removeprefix("io.cozy.konnectors/")
            assert (f["mime"], f["class"], f["size"].isdigit()) == ("application/pdf", "pdf", True)
        assert len({(f["dir_id"], f["name"]) for f in files}) == len(files)
        assert all(re.fullmatch(r"[0-9a-f]{32}", d["_id"]) for d in drive)


def test_pdf_properties_come_from_the_bill(population):
    instance = next(iter(_docs(population)))
    for doc, data in iter_drive(population, instance):
        if data is None:
            continue
        info = PdfReader(io.BytesIO(data)).metadata
        issued = doc["metadata"]["issueDate"]
        assert info.creation_date.date().isoformat() == issued[:10]
        assert info.author == doc["metadata"]["contentAuthor"]
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert md5sum(data) == doc["md5sum"] and str(len(data)) == doc["size"]


def test_a_tampered_or_missing_file_is_named_in_the_error(population, tmp_path):
    pop = _population(tmp_path / "pop", households=1)
    instance = next(iter(_docs(pop)))
    files = sorted((pop / instance / FILES_FOLDER).iterdir())
    files[0].write_bytes(files[0].read_bytes()[:-1] + b"X")
    with pytest.raises(OutputError, match=files[0].name):
        list(iter_drive(pop, instance))
    files[0].unlink()
    with pytest.raises(OutputError, match="missing"):
        list(iter_drive(pop, instance))
    result = CliRunner().invoke(validate, [str(pop)])
    assert result.exit_code == 1 and files[0].name in result.output


def test_tabular_formats_keep_the_file_rows_but_no_bytes(tmp_path):
    pop = _population(tmp_path / "pop", households=1, format="csv")
    rows = list((pop / FILES).iterdir())
    assert len(rows) == 1 and rows[0].suffix == ".csv"
    header = rows[0].read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith('"household","_id","type","name"') and '"md5sum"' in header
    assert not list(pop.rglob(FILES_FOLDER))
    bills = (pop / BILLS).iterdir().__next__().read_text(encoding="utf-8")
    assert '"invoice"' in bills.splitlines()[0]
    with pytest.raises(OutputError, match="--format ndjson"):
        list(iter_drive(pop, "anyone"))


def test_a_vendor_with_no_settings_still_gets_its_pdf_and_folder():
    ctx = household_context(11, 0, YEAR)
    bill = {"vendor": "Free Mobile", "type": "phone", "date": "2024-03-04T00:00:00.000Z",
            "amount": 1234.5, "currency": "EUR", "contractNumber": "0612345678"}
    batches, blobs = add_drive(ctx, [Batch.from_dicts(BILLS, [bill])])
    (linked,) = batches[0].dicts()
    files = batches[1].dicts()
    assert [d["path"] for d in files if d["type"] == "directory"] == \
        ["/Administratif", "/Administratif/Free Mobile"]
    (pdf,) = [d for d in files if d["type"] == "file"]
    assert linked == {**bill, "invoice": f"{FILES}:{pdf['_id']}"}
    assert pdf["name"] == "2024-03-04_Free Mobile_1234.50EUR.pdf"
    assert pdf["cozyMetadata"]["createdByApp"] == "freemobile"
    text = _text(blobs[pdf["_id"]])
    assert "1234,50 €" in text and "04/03/2024" in text and "0612345678" in text


def test_a_household_without_bills_has_no_drive():
    ctx = household_context(11, 0, Period.of_years(START, 1))
    batches, blobs = add_drive(ctx, [Batch.from_dicts("org.fing.mesinfos.home", [{"a": 1}])])
    assert [b.doctype for b in batches] == ["org.fing.mesinfos.home"] and blobs == {}


def test_split_cents_adds_up_exactly():
    lines = split_cents([("a", "", 10.004), ("b", "", 0.004), ("c", "", 5.0049)], 15.01)
    assert [x.euros for x in lines] == [10.01, 0.0, 5.0]
    assert split_cents([("a", "", 1 / 3), ("b", "", 2 / 3)], 1.0)[1].euros == 0.67
    lines = split_cents([("a", "", 33.333)] * 3, 99.99)
    assert round(sum(x.euros for x in lines), 2) == 99.99


def test_the_shared_households_link_every_bill(households):
    for data in households[:4]:
        files = {d["_id"]: d for d in docs_of(data, FILES) if d["type"] == "file"}
        for bill in docs_of(data, BILLS):
            file_id = bill["invoice"].removeprefix(f"{FILES}:")
            assert files[file_id]["md5sum"] == md5sum(data.blobs[file_id])
        assert orjson.dumps(sorted(files)) == orjson.dumps(sorted(data.blobs))
