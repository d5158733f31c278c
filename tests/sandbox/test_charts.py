"""The dashboard's charts: readable (visible title and unit, zero on the value axis, labels
inside the view box), gaps for missing periods, counts as integers, in both languages."""

import re

import pytest

from sandbox.web.charts import (
    HEIGHT,
    WIDTH,
    Unit,
    bars,
    daily,
    downsample,
    line,
    monthly,
    stacked,
)
from sandbox.webkit.i18n import Language

EN, FR = Language("en"), Language("fr")
ORDERS = Unit("%(n)s order", "%(n)s orders")


def test_downsample_averages_buckets_keeps_gaps_and_short_series():
    labels = [f"d{i}" for i in range(1000)]
    values = [float(i) for i in range(1000)]
    lab, val = downsample(labels, values, most=400)
    assert len(val) <= 400 and lab[0] == "d0" and val[0] == 1.0  # buckets of 3: (0+1+2)/3
    assert lab[1] == "d3" and val[1] == 4.0
    assert downsample(labels[:10], values[:10]) == (labels[:10], values[:10])
    gappy = [None] * 6 + [3.0] * 994
    assert downsample(labels, gappy, most=400)[1][:3] == [None, None, 3.0]


def test_missing_days_and_months_are_kept_as_gaps():
    assert daily(["2024-01-30", "2024-02-02"], [1.0, 2.0]) == (
        ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"], [1.0, None, None, 2.0])
    assert monthly(["2023-11", "2024-02"], [1.0, 3.0]) == (
        ["2023-11", "2023-12", "2024-01", "2024-02"], [1.0, 0.0, 0.0, 3.0])


def test_a_line_has_a_visible_title_zero_and_breaks_at_gaps():
    chart = line(EN, "Water per day", "litres per day", *daily(
        ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"], [100.0, 120.0, 90.0, 95.0]),
        Unit(symbol="L"), "Day")
    assert chart.title == "Water per day" and chart.unit == "litres per day"
    assert 'role="img"' in chart.svg and "<title>Water per day</title>" in chart.svg
    assert chart.svg.count("<polyline") == 2          # two runs: the missing days are a gap
    assert '>0</text>' in chart.svg                   # the value axis starts at zero
    assert ("3 Jan 2024", "no data") in chart.rows and ("1 Jan 2024", "100 L") in chart.rows


def test_labels_stay_inside_the_view_box():
    labels = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    chart = line(FR, "Électricité par jour", "kWh par jour", labels,
                 [float(i % 17) for i in range(len(labels))], Unit(symbol="kWh"), "Jour")
    for x, anchor, text in re.findall(
            r'<text x="([\d.]+)" y="[\d.]+" class="tick" text-anchor="(\w+)">([^<]*)</text>',
            chart.svg):
        half = len(text) * 13 * 0.58 / 2
        left = float(x) - (half if anchor == "middle" else 2 * half if anchor == "end" else 0)
        right = left + 2 * half
        assert left >= 0 and right <= WIDTH, (text, left, right)
    assert "janv. 2024" in chart.svg or "févr. 2024" in chart.svg   # French month names
    assert f'viewBox="0 0 {WIDTH} {HEIGHT}"' in chart.svg


def test_counts_are_integers_and_numbers_follow_the_language():
    chart = bars(EN, "Videos ordered per month", "orders per month",
                 *monthly(["2024-01", "2024-03"], [1.0, 1234.0]), ORDERS, "Month")
    rows = dict(chart.rows)
    assert rows == {"2024-01": "1 order", "2024-02": "0 orders", "2024-03": "1,234 orders"}
    assert chart.svg.count("<rect") == 2               # February: an empty slot, not missing
    french = bars(FR, "Vidéos", "commandes", ["2024-01"], [1234.0],
                  Unit("%(n)s order", "%(n)s orders"), "Mois")
    assert french.rows == [("2024-01", "1\u202f234 commandes")]
    assert "1.0" not in chart.svg and "orders" in chart.svg


def test_empty_charts_say_so_in_the_page_language():
    assert "No data yet" in bars(EN, "Calls", "calls", [], [], ORDERS, "Hour").svg
    assert "Pas encore de données" in bars(FR, "Appels", "appels", ["0h"], [0.0], ORDERS,
                                          "Heure").svg


def test_stacked_bars_add_up_name_each_series_and_leave_out_empty_ones():
    chart = stacked(EN, "Spending", "euros per month", ["2024-01", "2024-02"],
                    [("Housing", [500.0, 480.0]), ("Health", [0.0, 0.0]),
                     ("Daily life", [120.5, 0.0])], Unit(money=True), "Month", total="Total")
    assert chart.columns == ("Total", "Housing", "Daily life")     # Health: nothing, left out
    assert chart.legend == (("Housing", "s0"), ("Daily life", "s1"))
    assert chart.rows == [("2024-01", "€620.50", "€500.00", "€120.50"),
                          ("2024-02", "€480.00", "€480.00", "€0.00")]
    assert chart.svg.count("<rect") == 3                # no zero-height part drawn
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" class="bar', chart.svg)]
    tops = [float(y) for y in re.findall(r'y="([\d.]+)" width="[\d.]+" height', chart.svg)]
    # January's parts stack: the second starts where the first ends
    assert tops[1] + heights[1] == pytest.approx(tops[0], abs=0.15)
    assert '>0</text>' in chart.svg
    assert "No data yet" in stacked(EN, "S", "u", ["2024-01"], [("A", [0.0])], Unit(money=True),
                                    "Month").svg


def test_a_line_below_zero_draws_its_axis_below_zero():
    chart = line(FR, "Solde", "euros", ["2024-01-01", "2024-01-02", "2024-01-03"],
                 [300.0, -120.0, 50.0], Unit(money=True), "Jour")
    ticks = re.findall(r'class="tick" text-anchor="end">([^<]+)</text>', chart.svg)
    assert ticks == ["-200", "0", "500"]           # the bottom, zero where it is, the top
    ys = [float(y) for _, y in (p.split(",") for p in re.search(
        r'points="([^"]+)"', chart.svg).group(1).split())]
    assert all(14 <= y <= HEIGHT - 26 for y in ys)          # every point inside the plot
    assert ("2 janv. 2024", "-120,00\xa0€") in chart.rows
