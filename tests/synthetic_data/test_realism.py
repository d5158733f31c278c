"""The realism report on a generated population: in range, and failing when data is off."""

from datetime import date

import orjson
import pytest
from click.testing import CliRunner

from selfdata.cli import main
from synthetic_data.population import Options, generate_population
from synthetic_data.realism import measure, render
from synthetic_data.realism_billing import Billing, measure_household


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    out = tmp_path_factory.mktemp("realism") / "pop"
    generate_population(Options(households=16, years=1, start=date(2024, 1, 1), seed=42,
                                out=out, workers=2))
    return out


def test_a_generated_population_is_within_every_judged_range(population):
    results = measure(population)
    assert all(r.ok for r in results), render(results)
    judged = [r for r in results if "too few" not in r.detail and r.value is not None]
    assert len(judged) >= 15  # most metrics rest on enough households to be judged
    coherence = [r for r in results if r.source == "Coherence"]
    assert coherence and all(r.value == 0 for r in coherence)
    result = CliRunner().invoke(main, ["realism", str(population)])
    assert result.exit_code == 0 and "judged metrics within range" in result.output


def test_the_report_fails_when_the_data_is_off(population, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(population, broken)
    # triple every household's water readings: litres per person per day leaves its range
    for path in broken.glob("*/org.fing.mesinfos.consumptionstatement.ndjson"):
        lines = []
        for line in path.read_bytes().splitlines():
            doc = orjson.loads(line)
            if doc.get("statementCategory") == "eau":
                doc["value"] *= 3
            lines.append(orjson.dumps(doc))
        path.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(main, ["realism", str(broken)])
    assert result.exit_code == 1
    assert "water_litres_per_person_day" in result.output.split("out of range:")[-1]


def test_billing_figures_catch_varying_instalments_and_late_premiums():
    def edf(day: str, amount: float, rank: int, title: str = "ECHEANCE", **kw) -> dict:
        return {"vendor": "EDF", "title": title, "date": f"{day}T00:00:00.000Z",
                "amount": amount, "periodStart": "2023-06-15", "instalmentNumber": rank, **kw}

    bills = [edf(f"2024-{m:02d}-10", 80.0 if m < 5 else 296.0, m + 6) for m in (1, 2, 3, 4, 5)]
    bills.append(edf("2024-06-22", 40.0, 0, "FACTURE_REGUL_ECHEANCIER", isRefund=True))
    bills.append({"vendor": "MAIF", "date": "2025-01-05T00:00:00.000Z", "amount": 300.0,
                  "recurrence": "yearly", "periodStart": "2024-01-01"})
    terms = {"paymentSchedules": [{"scheduleDate": "2024-05-10", "paid": True, "amount": 80}]}
    acc = Billing()
    measure_household(acc, {"io.cozy.bills": bills,
                            "org.fing.mesinfos.paymentterms": [terms]}, date(2025, 1, 1))
    assert acc.instalment_ratio == [3.7]
    assert acc.instalments_per_year == [11] and acc.refunds == [1, 1]
    assert acc.regularisation_share == [40.0 / (11 * 80.0 - 40.0)]
    assert acc.schedule_mismatch == 1          # the schedule's 80 € is not what was debited
    assert acc.maif_due == [0, 1] and acc.maif_paid_after == 1
    assert acc.after_end == 1 and "io.cozy.bills date" in acc.examples[0]
