"""The coach's HTML page: inline SVG charts and tables, no external assets."""

from __future__ import annotations

from html import escape

COLOURS = {"base": "#7f7f7f", "weather": "#d62728", "evening_peak": "#ff7f0e",
           "other": "#1f77b4"}
LABELS = {"base": "Base load (always on)", "evening_peak": "Evening peak 18-22 h",
          "other": "Everything else (daytime, appliances, hot water…)"}
OPTION_NAMES = {"Base": "Base", "HPHC": "Heures pleines / heures creuses", "Tempo": "Tempo"}


def _eur(v: float) -> str:
    return f"{v:,.0f} €".replace(",", " ")


def _kwh(v: float) -> str:
    return f"{v:,.0f} kWh".replace(",", " ")


def split_bar(split: dict[str, float], weather_label: str, width: int = 860) -> str:
    total = sum(split.values()) or 1.0
    x, rects, legend = 0.0, [], []
    for i, (key, v) in enumerate(split.items()):
        w = width * v / total
        label = weather_label.capitalize() if key == "weather" else LABELS[key]
        rects.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="34" '
                     f'fill="{COLOURS[key]}"><title>{escape(label)}: {_kwh(v)}</title></rect>')
        legend.append(f'<rect x="0" y="{48 + 18 * i}" width="12" height="12" '
                      f'fill="{COLOURS[key]}"/><text x="18" y="{58 + 18 * i}" font-size="12">'
                      f'{escape(label)}: {_kwh(v)} ({100 * v / total:.0f} %)</text>')
        x += w
    return (f'<svg viewBox="0 0 {width} {56 + 18 * len(split)}" width="100%" role="img" '
            f'aria-label="Where your electricity goes">{"".join(rects)}{"".join(legend)}</svg>')


def bars(series: dict[str, dict[str, float]], width: int = 860, height: int = 200) -> str:
    """Grouped monthly bars, one colour per series."""
    palette = ["#1f77b4", "#2ca02c"]
    months = sorted({m for s in series.values() for m in s})
    if not months:
        return ""
    top = max((v for s in series.values() for v in s.values()), default=1.0) or 1.0
    slot = (width - 40) / len(months)
    bar_w = slot * 0.8 / len(series)
    parts = []
    for j, (name, s) in enumerate(series.items()):
        for i, m in enumerate(months):
            v = s.get(m, 0.0)
            h = (height - 40) * v / top
            x = 40 + i * slot + j * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{height - 20 - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{palette[j % 2]}"><title>{escape(name)} '
                         f'{m}: {_kwh(v)}</title></rect>')
        parts.append(f'<rect x="{width - 200}" y="{4 + 16 * j}" width="10" height="10" '
                     f'fill="{palette[j % 2]}"/><text x="{width - 186}" y="{13 + 16 * j}" '
                     f'font-size="11">{escape(name)}</text>')
    for i, m in enumerate(months):
        parts.append(f'<text x="{40 + i * slot:.1f}" y="{height - 5}" font-size="10">'
                     f'{m[5:]}</text>')
    parts.append(f'<text x="0" y="24" font-size="10">{top:.0f}</text>'
                 f'<text x="0" y="{height - 20}" font-size="10">0 kWh</text>')
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">{"".join(parts)}</svg>'


def profile(lines: dict[str, list[float]], width: int = 860, height: int = 200) -> str:
    """Average power through the day (W), one line per season."""
    palette = {"winter": "#1f77b4", "summer": "#ff7f0e"}
    top = max((v for s in lines.values() for v in s), default=1.0) or 1.0
    parts = []
    for name, vals in lines.items():
        if not any(vals):
            continue
        pts = " ".join(f"{40 + (width - 50) * i / 47:.1f},"
                       f"{height - 20 - (height - 40) * v / top:.1f}" for i, v in enumerate(vals))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{palette[name]}" '
                     f'stroke-width="2"><title>{name}</title></polyline>')
    for h in range(0, 24, 3):
        parts.append(f'<text x="{40 + (width - 50) * h / 24:.1f}" y="{height - 4}" '
                     f'font-size="10">{h} h</text>')
    for i, name in enumerate(palette):
        parts.append(f'<rect x="{60 + 90 * i}" y="0" width="10" height="10" '
                     f'fill="{palette[name]}"/><text x="{74 + 90 * i}" y="9" '
                     f'font-size="11">{name}</text>')
    parts.append(f'<text x="0" y="24" font-size="10">{top:.0f} W</text>')
    x0, x1 = 40 + (width - 50) * 18 / 24, 40 + (width - 50) * 22 / 24
    parts.insert(0, f'<rect x="{x0:.1f}" y="10" width="{x1 - x0:.1f}" height="{height - 30}" '
                    'fill="#ff7f0e" opacity="0.08"/>')
    return f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">{"".join(parts)}</svg>'


def _tariff_table(t: dict, current: str) -> str:
    if not t:
        return "<p>No electricity readings.</p>"
    rows = []
    for option in ("Base", "HPHC", "Tempo"):
        c = t[option]
        mark = " (yours)" if option == current else ""
        best = ' class="best"' if option == t["cheapest"] else ""
        rows.append(f"<tr{best}><td>{OPTION_NAMES[option]}{mark}</td>"
                    f"<td>{_eur(c['energy_eur'])}</td><td>{_eur(c['standing_eur'])}</td>"
                    f"<td><b>{_eur(c['total_eur'])}</b></td></tr>")
    days = t["Tempo"]["days"]
    hc = t["hc_window"]
    return ("<table><tr><th>Option</th><th>Energy</th><th>Standing charge</th><th>Total</th>"
            "</tr>" + "".join(rows) + "</table>"
            f"<p><small>Off-peak hours used for HP/HC: {hc[0]:g} h to {hc[1]:g} h. Tempo days "
            f"assumed: {days['blue']} blue, {days['white']} white, {days['red']} red, the red and "
            "white ones on your heaviest days (close to the worst case for Tempo: the data does "
            "not give the real colours).</small></p>")


def _comparison(s: dict) -> str:
    sim, cmp_ = s.get("similar"), s.get("comparison")
    if not sim:
        return "<p>The home profile (surface, heating) is missing: no comparison.</p>"
    e, g = s["electricity"], s["gas"]
    rows = [f"<tr><td>Electricity</td><td>{_kwh(e['kwh_per_year'])}</td>"
            f"<td>{_kwh(sim['electricity_kwh'])}</td><td>× {cmp_['electricity_ratio']}</td></tr>"]
    if g and sim["gas_kwh"]:
        rows.append(f"<tr><td>Gas</td><td>{_kwh(g['kwh_per_year'])}</td>"
                    f"<td>{_kwh(sim['gas_kwh'])}</td><td>× {cmp_['gas_ratio']}</td></tr>")
    sources = "".join(f"<li>[{escape(k)}] {escape(v)}</li>" for k, v in sim["sources"].items())
    return (f"<p>Homes heated with <b>{escape(sim['heating'])}</b> of "
            f"{sim['surface_min']}–{sim['surface_max'] if sim['surface_max'] < 10000 else '…'} m²"
            " use on average:</p><table><tr><th></th><th>You, per year</th><th>Average</th>"
            "<th>Ratio</th></tr>" + "".join(rows) + f"</table><ul class='src'>{sources}</ul>")


def render(s: dict) -> str:
    if s.get("error"):
        body = f'<p class="error">{escape(s["error"])}</p>'
    else:
        e, g, h = s["electricity"], s["gas"], s["home"]
        series = {"Electricity": e["monthly_kwh"]}
        if g:
            series["Gas"] = g["monthly_kwh"]
        gas_kpi = (f'<div class="kpi"><b>{_kwh(g["kwh"])}</b>gas, heating '
                   f'{100 * g["heating_kwh"] / max(1, g["kwh"]):.0f} %</div>') if g else ""
        body = f"""
<p>{escape(h['type'])} of {h['surface']:g} m², heated with {escape(h['heating'] or '?')},
{h['occupants'] or '?'} occupant(s); {e['days']} days of readings from {e['first']} to
{e['last']}; {h['kva']} kVA, option {escape(h['option'])}.</p>
<div class="kpi"><b>{_kwh(e['kwh'])}</b>electricity</div>{gas_kpi}
<div class="kpi"><b>{e['base_load_w']} W</b>always on</div>
<h2>Where your electricity goes</h2>
{split_bar(e['split_kwh'], e['weather_label'])}
<p><small>The {escape(e['weather_label'])} part follows the degree-days of your département:
{e['weather_slope_kwh_per_dd']:g} kWh per degree-day (r² {e['weather_r2']:g}).</small></p>
<h2>Your average day</h2>{profile(e['profile_w'])}
<h2>Month by month</h2>{bars(series)}
<h2>Homes like yours</h2>{_comparison(s)}
<h2>What each option would have cost</h2>{_tariff_table(s['tariffs'], h['option'])}
<h2>Assumptions</h2><ul>{''.join(f'<li>{escape(a)}</li>' for a in s['assumptions'] if a)}</ul>
"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Energy coach</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 960px; }}
table {{ border-collapse: collapse; }} th, td {{ border-bottom: 1px solid #ddd;
padding: 0.3rem 0.8rem; text-align: left; }} tr.best td {{ background: #e7f6e7; }}
.kpi {{ display: inline-block; margin-right: 2rem; }} .kpi b {{ display: block;
font-size: 1.5rem; }} .error {{ color: #b00; }} .src {{ font-size: 0.8rem; color: #555; }}
</style></head><body><h1>Energy coach</h1>{body}</body></html>"""
