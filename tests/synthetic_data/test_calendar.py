from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from synthetic_data.calendar_fr import (
    Period,
    dst_bounds_utc,
    local_midnight_utc,
    school_holidays,
    utc_offset_minutes,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("year", range(1996, 2040, 3))
def test_dst_bounds_match_the_tz_database(year):
    start, end = dst_bounds_utc(year)
    for instant, before, after in ((start, 60, 120), (end, 120, 60)):
        t = instant.astype(datetime).replace(tzinfo=ZoneInfo("UTC"))
        assert t.astimezone(PARIS).utcoffset() == timedelta(minutes=after)
        assert (t - timedelta(minutes=1)).astimezone(PARIS).utcoffset() == timedelta(minutes=before)


def test_offsets_agree_with_zoneinfo_over_a_year_hour_by_hour():
    utc = np.arange(np.datetime64("2024-01-01T00:00"), np.datetime64("2025-01-01T00:00"),
                    np.timedelta64(60, "m"))
    ours = utc_offset_minutes(utc)
    ref = [int(t.astype(datetime).replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)
               .utcoffset().total_seconds() // 60) for t in utc]
    assert ours.tolist() == ref


def test_local_midnight():
    assert local_midnight_utc(date(2024, 1, 15)) == np.datetime64("2024-01-14T23:00")
    assert local_midnight_utc(date(2024, 7, 15)) == np.datetime64("2024-07-14T22:00")


def test_half_hour_grid_has_46_and_50_slots_on_dst_days():
    period = Period(date(2024, 3, 29), date(2024, 11, 1))
    grid = period.halfhours
    per_day = dict(zip(period.days.astype(str), grid.slots_per_day.tolist(), strict=True))
    assert per_day["2024-03-31"] == 46
    assert per_day["2024-10-27"] == 50
    assert per_day["2024-06-01"] == 48
    assert grid.slots_per_day.sum() == grid.start_utc.size
    # local hours of the fall-back day repeat 02:00 and 02:30
    hours = grid.local_hour[grid.day_index == (date(2024, 10, 27) - period.start).days]
    assert list(hours[:8]) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 2.0, 2.5]


def test_period_of_years_and_calendar_arrays():
    p = Period.of_years(date(2024, 2, 29), 1)
    assert p.end == date(2025, 2, 28)
    p = Period.of_years(date(2024, 1, 1), 1)
    assert p.n_days == 366 and p.weekday[0] == 0  # 1 January 2024 was a Monday
    holidays = set(p.days[p.public_holiday].astype(str))
    assert {"2024-01-01", "2024-05-01", "2024-07-14", "2024-08-15", "2024-12-25",
            "2024-04-01"} <= holidays  # Easter Monday 2024 was 1 April


@pytest.mark.parametrize("zone", ["A", "B", "C"])
def test_school_holidays_cover_summer_and_christmas_and_rotate_by_zone(zone):
    p = Period.of_years(date(2024, 1, 1), 1)
    flags = school_holidays(p, zone)
    on = set(p.days[flags].astype(str))
    assert {"2024-07-20", "2024-08-15", "2024-12-25", "2024-01-02"} <= on
    assert "2024-06-10" not in on and "2024-09-15" not in on
    assert 100 <= flags.sum() <= 130


def test_winter_breaks_differ_between_zones():
    p = Period.of_years(date(2024, 1, 1), 1)
    feb = (p.month == 2)
    zones = {z: tuple(np.flatnonzero(school_holidays(p, z) & feb)) for z in "ABC"}
    assert len(set(zones.values())) == 3
