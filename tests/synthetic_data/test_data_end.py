"""Nothing is dated after the data's end, in any doctype; and the CLI says when the data run past
today (the days after it are simulated at frozen prices)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from selfdata.cli import main
from synthetic_data.calendar_fr import Period
from synthetic_data.population import future_warning, generate_household
from synthetic_data.realism_billing import ALLOWED_AFTER, after_end
from synthetic_data.sources import all_doctypes
from tests.support.households import SEED

MID_YEAR = Period(date(2024, 3, 15), date(2025, 3, 15))


def _sweep(data) -> tuple[list[str], set[str]]:
    end = data.timeline.period.end
    bad, doctypes = [], set()
    for batch in data.batches:
        doctypes.add(batch.doctype)
        for doc in batch.dicts():
            bad += [f"{batch.doctype} {path} = {value}"
                    for path, value in after_end(batch.doctype, doc, end)]
    return bad, doctypes


def test_no_document_of_any_doctype_is_dated_after_the_data(households):
    seen: set[str] = set()
    for data in households:
        bad, doctypes = _sweep(data)
        assert not bad, bad[:10]
        seen |= doctypes
    assert seen == set(all_doctypes())  # the sweep covered every doctype


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_period_that_ends_mid_year_has_nothing_after_it_either(index):
    data = generate_household(SEED, index, MID_YEAR)
    bad, _ = _sweep(data)
    assert not bad, bad[:10]
    bills = [d for b in data.batches if b.doctype == "io.cozy.bills" for d in b.dicts()]
    assert bills and max(b["date"][:10] for b in bills) <= "2025-03-14"
    maif = [b for b in bills if b["vendor"] == "MAIF"]
    # premiums are called in advance: none for the year already running when the data begin
    assert maif and min(b["date"][:10] for b in maif) >= "2024-04-01"


def test_the_sweep_catches_a_late_date_but_not_a_forecast():
    end = date(2025, 1, 1)
    bill = {"date": "2025-01-05T00:00:00.000Z", "periodEnd": "2025-06-30"}
    assert after_end("io.cozy.bills", bill, end) == [("date", "2025-01-05T00:00:00.000Z")]
    late_utc = {"created_at": "2024-12-31T23:30:00Z"}  # 00:30 in Paris on 1 January
    assert after_end("io.cozy.files", late_utc, end) == [("created_at", late_utc["created_at"])]
    assert after_end("io.cozy.files", {"created_at": "2024-12-31T22:30:00Z"}, end) == []
    half_hour = {"start": "2024-12-31T23:30:00", "end": "2025-01-01T00:00:00"}
    assert after_end("org.fing.mesinfos.consumptionstatement", half_hour, end) == []
    terms = {"nextBillDate": "2025-08-03", "paymentSchedules": [
        {"scheduleDate": "2025-01-10", "paid": False},
        {"scheduleDate": "2025-02-10", "paid": True}]}
    assert after_end("org.fing.mesinfos.paymentterms", terms, end) == [
        ("paymentSchedules[].scheduleDate", "2025-02-10")]  # paid in the future: wrong
    assert all(reason for reason in ALLOWED_AFTER.values())


def test_future_warning_says_what_the_future_days_are():
    today = date(2026, 11, 30)
    assert future_warning(date(2025, 1, 1), date(2026, 1, 1), today) is None
    assert future_warning(date(2025, 12, 1), date(2026, 12, 1), today) is None  # ends today
    text = future_warning(date(2026, 1, 1), date(2027, 1, 1), today)
    assert text is not None
    assert "2026-12-31" in text and "31 day(s)" in text and "frozen prices" in text


def _generate(tmp_path, start: date):
    return CliRunner().invoke(main, ["generate", "-n", "1", "--start", start.isoformat(),
                                     "--out", str(tmp_path / "pop"), "-q", "-j", "1"])


def test_generate_warns_on_stderr_when_the_data_run_past_today(tmp_path):
    result = _generate(tmp_path, date.today() - timedelta(days=200))
    assert result.exit_code == 0, result.output
    assert "past today" in result.stderr and "frozen prices" in result.stderr
    assert "past today" not in result.stdout


def test_generate_says_nothing_for_data_in_the_past(tmp_path):
    result = _generate(tmp_path, date(2024, 1, 1))
    assert result.exit_code == 0 and "past today" not in result.stderr


def test_up_warns_for_the_population_it_serves(tmp_path):
    start = date.today() - timedelta(days=100)
    assert _generate(tmp_path, start).exit_code == 0
    result = CliRunner().invoke(main, [
        "up", "--data", str(tmp_path / "pop"), "--database", str(tmp_path / "s.db"),
        "--no-serve", "--no-samples"])
    assert "past today" in result.stderr and "frozen prices" in result.stderr, result.output
