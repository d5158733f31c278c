from sandbox.web.charts import bars, downsample, line


def test_downsample_averages_buckets_and_keeps_short_series():
    labels = [f"d{i}" for i in range(1000)]
    values = [float(i) for i in range(1000)]
    lab, val = downsample(labels, values, most=400)
    assert len(val) <= 400 and lab[0] == "d0" and val[0] == 1.0  # buckets of 3: (0+1+2)/3
    assert lab[1] == "d3" and val[1] == 4.0
    assert downsample(labels[:10], values[:10]) == (labels[:10], values[:10])


def test_charts_are_accessible_and_handle_empty_data():
    chart = line("Water per day", ["a", "b"], [1.0, 3.0], "L")
    assert 'role="img"' in chart.svg and "<title>Water per day</title>" in chart.svg
    assert chart.rows == [("a", "1.0 L"), ("b", "3.0 L")]
    assert "No data yet" in bars("Calls", [], [], "calls").svg
    assert "No data yet" in bars("Calls", ["0h"], [0.0], "calls").svg
