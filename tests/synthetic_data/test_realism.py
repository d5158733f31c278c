"""The realism report on a generated population: in range, and failing when data is off."""

from datetime import date

import orjson
import pytest
from click.testing import CliRunner

from selfdata.cli import main
from synthetic_data.population import Options, generate_population
from synthetic_data.realism import measure, render


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
