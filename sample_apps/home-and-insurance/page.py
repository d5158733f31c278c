"""The page: monthly home costs as stacked bars, and claims on a timeline over the meters."""

from __future__ import annotations

from datetime import date
from html import escape

COLOURS = {"electricity": "#ff7f0e", "gas": "#2ca02c", "water": "#1f77b4",
           "home insurance": "#9467bd"}


def _eur(v: float) -> str:
    return f"{v:,.2f} €".replace(",", " ")


def cost_bars(months: dict[str, dict[str, float]], width: int = 900, height: int = 240) -> str:
    if not months:
        return "<p>No bills.</p>"
    top = max(sum(r.values()) for r in months.values()) or 1.0
    slot = (width - 50) / len(months)
    parts = []
    for i, (m, row) in enumerate(months.items()):
        y = height - 20.0
        for cat, v in row.items():
            h = (height - 50) * max(0.0, v) / top
            y -= h
            parts.append(f'<rect x="{50 + i * slot:.1f}" y="{y:.1f}" width="{slot * 0.75:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS[cat]}"><title>{m} {cat}: '
                         f'{_eur(v)}</title></rect>')
        parts.append(f'<text x="{50 + i * slot:.1f}" y="{height - 5}" font-size="10">{m}</text>')
    for j, (cat, colour) in enumerate(COLOURS.items()):
        parts.append(f'<rect x="{60 + 130 * j}" y="2" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{74 + 130 * j}" y="11" font-size="11">{cat}</text>')
    parts.append(f'<text x="0" y="34" font-size="10">{top:.0f} €</text>')
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">{"".join(parts)}</svg>'


def timeline(series: dict[str, dict[str, float]], claims: list[dict], width: int = 900) -> str:
    """Two panels (water, electricity) on one time axis, a vertical mark per claim."""
    days = sorted(set(series["water_l"]) | set(series["electricity_kwh"]))
    if not days:
        return "<p>No meter readings.</p>"
    d0, d1 = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    span = max(1, (d1 - d0).days)

    def px(day: str) -> float:
        return 50 + (width - 60) * (date.fromisoformat(day) - d0).days / span

    parts, panel_h = [], 110
    for k, (key, label, colour) in enumerate((("water_l", "water, L/day", "#1f77b4"),
                                              ("electricity_kwh", "electricity, kWh/day",
                                               "#ff7f0e"))):
        s = series[key]
        top = max(s.values(), default=1.0) or 1.0
        y0 = 20 + k * (panel_h + 20)
        pts = " ".join(f"{px(d):.1f},{y0 + panel_h - panel_h * v / top:.1f}"
                       for d, v in sorted(s.items()))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                     'stroke-width="1"/>'
                     f'<text x="0" y="{y0 + 10}" font-size="10">{top:.0f}</text>'
                     f'<text x="55" y="{y0 + 10}" font-size="11" fill="{colour}">{label}</text>')
    bottom = 20 + 2 * (panel_h + 20)
    for c in claims:
        colour = "#d62728" if c["type"] == "Habitation" else "#7f7f7f"
        x = px(c["day"])
        parts.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{bottom - 10}" '
                     f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 2">'
                     f'<title>{escape(c["day"])} {escape(c["type"])}: {escape(c["nature"])} '
                     f'({_eur(c["amount"])})</title></line>'
                     f'<text x="{x + 3:.1f}" y="{bottom - 12}" font-size="10" fill="{colour}">'
                     f'{escape(c["nature"])}</text>')
    for d in days:
        if d.endswith("-01"):
            parts.append(f'<text x="{px(d):.1f}" y="{bottom + 4}" font-size="10">{d[:7]}</text>')
    return (f'<svg viewBox="0 0 {width} {bottom + 10}" width="100%" role="img" '
            f'aria-label="Claims beside the meters">{"".join(parts)}</svg>')


def _claim_rows(claims: list[dict]) -> str:
    if not claims:
        return "<p>No claim over the period.</p>"
    rows = []
    for c in claims:
        w = c.get("water")
        meter = (f"water {w['ratio']:g}× usual in the 14 days before (peak {w['peak']:.0f} L)"
                 if w else "")
        rows.append(f"<tr><td>{escape(c['day'])}</td><td>{escape(c['type'])}</td>"
                    f"<td>{escape(c['nature'])}</td><td>{_eur(c['amount'])}</td>"
                    f"<td>{escape(meter)}</td></tr>")
    return ("<table><tr><th>Day</th><th>Home or car</th><th>What</th><th>Cost</th>"
            "<th>Meter before</th></tr>" + "".join(rows) + "</table>")


def render(s: dict) -> str:
    if s.get("error"):
        body = f'<p class="error">{escape(s["error"])}</p>'
    else:
        h, p, t = s["home"], s["premiums"], s["totals"]
        month_rows = "".join(
            f"<tr><td>{m}</td>" + "".join(f"<td>{_eur(v)}</td>" for v in r.values())
            + f"<td><b>{_eur(sum(r.values()))}</b></td></tr>" for m, r in s["months"].items())
        head = "".join(f"<th>{c}</th>" for c in COLOURS)
        body = f"""
<p>{escape(h['kind'])}, {escape(h['rooms'])}, {escape(h['city'])} ({escape(h['status'])});
contents insured: {escape(h['contents_value'])} €.</p>
<div class="kpi"><b>{_eur(s['per_month'])}</b>a month on average</div>
<div class="kpi"><b>{_eur(s['total'])}</b>over {len(s['months'])} months</div>
<div class="kpi"><b>{s['home_claims']}</b>home claim(s)</div>
<h2>What the home costs each month</h2>
{cost_bars(s['months'])}
<table><tr><th>Month</th>{head}<th>Total</th></tr>{month_rows}
<tr><td><b>Total</b></td>{''.join(f'<td><b>{_eur(v)}</b></td>' for v in t.values())}
<td><b>{_eur(s['total'])}</b></td></tr></table>
<p><small>Home insurance: {_eur(p['home_yearly'])} a year ({escape(p['home_formula'])}),
{100 * p['home_share']:.0f} % of your MAIF premiums ({_eur(p['all_yearly'])} with the cars);
that share of each MAIF bill is counted. Bills are spread over the days they cover.</small></p>
<h2>Claims beside the meters</h2>
{timeline(s['series'], s['claims'])}
{_claim_rows(s['claims'])}
"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Home and insurance</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 960px; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }} th, td {{ border-bottom: 1px solid
#ddd; padding: 0.25rem 0.6rem; text-align: right; }} th:first-child, td:first-child
{{ text-align: left; }} .kpi {{ display: inline-block; margin-right: 2rem; }}
.kpi b {{ display: block; font-size: 1.5rem; }} .error {{ color: #b00; }}
</style></head><body><h1>Home and insurance</h1>{body}</body></html>"""
