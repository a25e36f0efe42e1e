"""The trend chart's geometry, by hand."""

from datetime import date

from checkins.charts import PAD_LEFT, PAD_RIGHT, WIDTH, trend_chart

START, END = date(2026, 10, 1), date(2026, 12, 31)


def test_chart_lines_and_forecast():
    series = [(date(2026, 10, 5), 760.0, 0.6), (date(2026, 10, 12), 700.0, 0.7), (date(2026, 10, 19), 640.0, 0.7)]
    chart = trend_chart(
        series=series, start=800, target=300, cycle_start=START, cycle_end=END, today=date(2026, 10, 20), unit="ms"
    )
    assert len(chart.dots) == 3 and len(chart.confidence_dots) == 3
    xs = [p.x for p in chart.dots]
    assert xs == sorted(xs) and xs[0] >= PAD_LEFT and xs[-1] <= WIDTH - PAD_RIGHT
    ys = [p.y for p in chart.dots]
    assert ys == sorted(ys)  # falling values are drawn lower and lower (SVG y grows downwards)
    assert chart.expected.startswith(f"{PAD_LEFT}.0,") or chart.expected.startswith(f"{PAD_LEFT},")
    assert chart.forecast and "reaches the target on" in chart.forecast_text
    assert "3 check-ins, latest 640 ms; target 300 ms" in chart.description


def test_chart_without_checkins_or_forecast():
    chart = trend_chart(series=[], start=0, target=10, cycle_start=START, cycle_end=END, today=date(2027, 1, 5))
    assert chart.values == "" and chart.forecast == "" and chart.today_x is None
    assert [label for _, label in chart.x_labels] == ["Oct", "Nov", "Dec"]
