"""`selfdata up` for a large event: instances declared (nothing generated up front), the first
tester's loaded for the demo token, the others on their first use; from a population's files
when --data holds one."""

from __future__ import annotations

import re
from datetime import date

from click.testing import CliRunner

from sandbox.service import Sandbox
from sandbox.settings import Settings
from selfdata.cli import main
from synthetic_data.population import Options, generate_population


def _up(tmp_path, *extra: str):
    return CliRunner().invoke(main, [
        "up", "--data", str(tmp_path / "pop"), "--database", str(tmp_path / "var" / "s.db"),
        "--no-serve", "--no-samples", "--start", "2024-01-01", *extra])


def _sandbox(tmp_path) -> Sandbox:
    return Sandbox(Settings(database_url=f"sqlite:///{tmp_path / 'var' / 's.db'}",
                            live_engine=False))


def test_up_declares_the_households_and_loads_only_the_first(tmp_path):
    result = _up(tmp_path, "-n", "40", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "40 instances declared" in result.output
    assert "40 instances, households loaded on first use" in result.output
    assert not (tmp_path / "pop").exists()  # nothing generated up front
    token = re.search(r"export TOKEN=(\S+)", result.output)[1]
    sb = _sandbox(tmp_path)
    try:
        assert len(sb.instances.all()) == 40
        assert sb.ondemand.pending() == 39
        who = sb.authenticate(token)
        assert "io.cozy.bills" in sb.documents.doctypes(who.instance.id)
        assert sb.ondemand.pending() == 39
        last = sb.instances.all()[-1]
        assert last.profile["declared"]
        assert sb.instances.get(last.name).profile["occupants"] >= 1
        assert sb.ondemand.pending() == 38
    finally:
        sb.close()


def test_up_declares_the_households_of_an_existing_population(tmp_path):
    generate_population(Options(households=2, years=1, start=date(2024, 1, 1), seed=3,
                                out=tmp_path / "pop", workers=1))
    result = _up(tmp_path)
    assert result.exit_code == 0, result.output
    assert "Declaring the 2 households of" in result.output
    sb = _sandbox(tmp_path)
    try:
        assert sb.ondemand.pending() == 1
        second = sb.instances.all()[1]
        assert not second.profile.get("declared")  # the manifest's profile from the start
        assert sb.documents.doctypes(second.id) == []
        sb.instances.get(second.name)
        assert "io.cozy.bills" in sb.documents.doctypes(second.id)
    finally:
        sb.close()


def test_selfdata_token_for_a_declared_tester_loads_their_household(tmp_path):
    assert _up(tmp_path, "-n", "3").exit_code == 0
    sb = _sandbox(tmp_path)
    try:
        third = sb.instances.all()[2]
    finally:
        sb.close()
    db = f"sqlite:///{tmp_path / 'var' / 's.db'}"
    result = CliRunner().invoke(main, ["token", "--instance", third.name, "--scope",
                                       "io.cozy.bills:GET", "--database-url", db])
    assert result.exit_code == 0, result.output
    sb = _sandbox(tmp_path)
    try:
        assert sb.authenticate(result.output.strip()).instance.name == third.name
        assert sb.ondemand.pending() == 1
        assert "io.cozy.bills" in sb.documents.doctypes(third.id)
    finally:
        sb.close()


def test_up_refuses_a_household_count_it_cannot_declare(tmp_path):
    result = _up(tmp_path, "-n", "0")
    assert result.exit_code == 2 and "--households" in result.output
