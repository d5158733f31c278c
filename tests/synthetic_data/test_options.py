"""Bad options: every problem reported at once, exit code 2, nothing stored is lost."""

from datetime import date

import pytest
from click.testing import CliRunner

from selfdata.cli import main
from synthetic_data.errors import OptionsError
from synthetic_data.population import Options


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(OptionsError) as exc:
        Options(households=-1, years=0, start=date(2024, 1, 1), seed=-5, out=tmp_path / "x",
                format="xml", workers=-1).validated()
    options = [opt for opt, _ in exc.value.problems]
    assert options == ["--households", "--years", "--seed", "--format", "--workers"]


@pytest.mark.parametrize(("args", "message"), [
    (["--households", "-3"], "--households: must be between 1"),
    (["--years", "0"], "--years: must be between 1 and 30"),
    (["--format", "xml"], "--format: must be one of json, ndjson, csv, parquet"),
    (["--start", "2024-13-01"], "is not a date; write it as YYYY-MM-DD"),
    (["--start", "tomorrow"], "is not a date"),
    (["--households", "many"], "'many' is not a valid integer"),
    (["--seed", "-1"], "--seed: must be zero or positive"),
])
def test_cli_bad_options_exit_2_with_a_clear_message(tmp_path, args, message):
    result = run("generate", "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_non_empty_output_and_keeps_its_content(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = run("generate", "--out", str(out), "-n", "1", "-q")
    assert result.exit_code == 2
    assert "is not empty; pass --force" in result.output
    assert (out / "precious.txt").read_text() == "keep me"


def test_cli_refuses_a_file_as_output(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    result = run("generate", "--out", str(f), "-n", "1")
    assert result.exit_code == 2 and "is not a directory" in result.output


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root can write anywhere")
def test_cli_refuses_an_unwritable_output(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run("generate", "--out", str(locked / "out"), "-n", "1")
    assert result.exit_code == 2 and "cannot write" in result.output


def test_cli_refuses_an_output_under_a_read_only_filesystem():
    result = run("generate", "--out", "/proc/selfdata-out", "-n", "1", "-q")
    assert result.exit_code == 2
    assert "--out" in result.output


def test_cli_generates_and_prints_a_summary(tmp_path):
    out = tmp_path / "out"
    result = run("generate", "--out", str(out), "-n", "2", "--start", "2024-06-01",
                 "--seed", "3", "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    assert "org.fing.mesinfos.consumptionstatement" in result.output
    assert "2 households x 1 year(s)" in result.output and "documents/s" in result.output
    assert (out / "manifest.json").is_file()
    assert run("validate", str(out)).exit_code == 0


def test_validate_and_realism_refuse_a_directory_that_is_not_a_population(tmp_path):
    for cmd in ("validate", "realism"):
        result = run(cmd, str(tmp_path))
        assert result.exit_code == 2
        assert "no manifest.json" in result.output
