"""The app's HTML page: the daily water line with the findings shaded, and a table."""

from __future__ import annotations

from datetime import date
from html import escape

KIND_LABEL = {
    "burst": "Burst pipe (one day)",
    "leak": "Leak",
    "ongoing_rise": "Still high at the last reading",
    "lasting_increase": "Lasting increase (not a leak?)",
}
KIND_COLOUR = {"burst": "#d62728", "leak": "#ff7f0e", "ongoing_rise": "#bcbd22",
               "lasting_increase": "#9aa5b1"}


def water_chart(days: list[str], litres: list[float], findings: list[dict],
                width: int = 900, height: int = 220) -> str:
    """An inline SVG: litres per day, findings as shaded bands."""
    if not days:
        return "<p>No water readings.</p>"
    top = max(max(litres), 1.0)
    n = len(days)
    pad = 40

    def px(i: float) -> float:
        return pad + (width - pad - 10) * i / max(1, n - 1)

    def py(v: float) -> float:
        return height - 20 - (height - 40) * v / top

    first = date.fromisoformat(days[0])
    bands = []
    for f in findings:
        a = (date.fromisoformat(f["start"]) - first).days
        b = (date.fromisoformat(f["end"]) - first).days
        colour = KIND_COLOUR.get(f["kind"], "#999")
        bands.append(f'<rect x="{px(a) - 2:.1f}" y="10" width="{max(4.0, px(b) - px(a) + 4):.1f}"'
                     f' height="{height - 30}" fill="{colour}" opacity="0.25">'
                     f'<title>{escape(KIND_LABEL.get(f["kind"], f["kind"]))}: '
                     f'{escape(f["start"])} to {escape(f["end"])}</title></rect>')
    points = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(litres))
    months = []
    for i, d in enumerate(days):
        if d.endswith("-01"):
            months.append(f'<text x="{px(i):.1f}" y="{height - 4}" font-size="10" '
                          f'fill="#555">{d[:7]}</text>')
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="Litres of water per day">'
            f'{"".join(bands)}'
            f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="1.2"/>'
            f'<text x="2" y="{py(top) + 4:.1f}" font-size="10" fill="#555">{top:.0f} L</text>'
            f'<text x="2" y="{py(0):.1f}" font-size="10" fill="#555">0 L</text>'
            f'{"".join(months)}</svg>')


def render(summary: dict) -> str:
    rows = []
    for f in summary["findings"]:
        rows.append(
            "<tr>"
            f"<td>{escape(KIND_LABEL.get(f['kind'], f['kind']))}</td>"
            f"<td>{escape(f['start'])}</td><td>{escape(f['end'])}</td>"
            f"<td>{f['extra_litres_per_day']:.0f}</td><td>{f['flow_lph']:.1f}</td>"
            f"<td>{f['litres_lost']:.0f}</td>"
            f"<td>{'<br>'.join(escape(e) for e in f['evidence'])}</td></tr>")
    table = ("<table><thead><tr><th>What</th><th>From</th><th>To</th><th>Extra L/day</th>"
             "<th>L/h</th><th>Litres</th><th>Why we think so</th></tr></thead><tbody>"
             + "".join(rows) + "</tbody></table>") if rows else \
        "<p>Nothing unusual: no leak found in your readings.</p>"
    leaks = [f for f in summary["findings"] if f["isLeak"]]
    lost = sum(f["litres_lost"] for f in leaks)
    error = f'<p class="error">{escape(summary["error"])}</p>' if summary.get("error") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Leak watch</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 960px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3rem; text-align: left; vertical-align: top; }}
.kpi {{ display: inline-block; margin-right: 2rem; }}
.kpi b {{ font-size: 1.6rem; display: block; }}
.error {{ color: #b00; }}
</style></head><body>
<h1>Leak watch</h1>
{error}
<p>Your water meter's daily readings, {summary["days"]} days from {escape(summary["first"])}
to {escape(summary["last"])}. Shaded: what looks like a leak.</p>
<div class="kpi"><b>{len(leaks)}</b>leak(s) found</div>
<div class="kpi"><b>{lost / 1000:.1f} m³</b>lost to them (estimate)</div>
<div class="kpi"><b>{summary["stored"]}</b>finding(s) kept in your cloud</div>
{water_chart(summary["series"]["days"], summary["series"]["litres"], summary["findings"])}
<h2>Findings</h2>
{table}
<p><small>How: a day's reading is compared with your usual level for the season and the
weekday. Water drawn while nobody is home, one day far above the usual, or weeks above it that
end as suddenly as they began, are leaks; a rise that stays is reported apart (someone moved
in?). Findings are saved in your personal cloud (doctype fr.hackathon.leak_watch.findings).
</small></p>
</body></html>"""
