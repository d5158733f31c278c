"""Small server-side SVG charts: accessible (a visible title and unit, a label, a data table
beside), readable on a phone (a narrow view box, so axis text is not scaled down), with a zero
line, gaps where a period has no data, and numbers written as the page's language writes them.
No JS."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from html import escape

from sandbox.webkit.i18n import Language

WIDTH, HEIGHT = 400, 200            # view box: about a phone's width, so 13 units ≈ 11+ px
PAD_L, PAD_R, PAD_T, PAD_B = 52, 6, 14, 26
FONT = 13                           # axis text, in view-box units (.tick in site.css)
CHAR = 0.58 * FONT                  # an average glyph's width, to keep labels inside


@dataclass(frozen=True)
class Unit:
    """What a value counts: a symbol (``kWh``), or things counted (``%(n)s order``, with the
    plural), which are always whole and written without decimals."""

    one: str = ""
    many: str = ""
    symbol: str = ""
    money: bool = False              # euros, as the language writes prices (``€1,234.56``)

    def text(self, lang: Language, v: float, digits: int | None = None) -> str:
        if self.money:
            return lang.money(round(v, 2))
        if self.one:
            n = round(v)
            return lang.ngettext(self.one, self.many, n) % {"n": lang.number(n, 0)}
        return f"{lang.number(v, digits)} {self.symbol}"


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str                        # the caption's unit ("kWh per day")
    svg: str
    rows: list[tuple[str, ...]]      # the same data as text, for the table under the chart
    x_label: str                     # the table's first column
    columns: tuple[str, ...] = ()    # the table's other columns (one "Value" when empty)
    legend: tuple[tuple[str, str], ...] = ()   # (series name, its colour's class)


def daily(labels: list[str], values: list[float]) -> tuple[list[str], list[float | None]]:
    """Every day from the first to the last (ISO dates), None where a day has no value."""
    if not labels:
        return [], []
    have = dict(zip(labels, values, strict=True))
    day, last = dt.date.fromisoformat(labels[0][:10]), dt.date.fromisoformat(labels[-1][:10])
    out_l: list[str] = []
    out_v: list[float | None] = []
    while day <= last:
        out_l.append(day.isoformat())
        out_v.append(have.get(day.isoformat()))
        day += dt.timedelta(days=1)
    return out_l, out_v


def monthly(labels: list[str], values: list[float],
            period: tuple[str, str] | None = None) -> tuple[list[str], list[float]]:
    """Every month (``YYYY-MM``) of ``period`` (first and last month; else from the first
    label to the last), 0 where nothing happened."""
    ends = sorted([*labels[:1], *labels[-1:], *(period or ())])
    if not ends:
        return [], []
    have = dict(zip(labels, values, strict=True))
    y, m = int(ends[0][:4]), int(ends[0][5:7])
    ly, lm = int(ends[-1][:4]), int(ends[-1][5:7])
    out_l, out_v = [], []
    while (y, m) <= (ly, lm):
        key = f"{y:04d}-{m:02d}"
        out_l.append(key)
        out_v.append(have.get(key, 0.0))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out_l, out_v


def downsample(labels: list[str], values: list, most: int = 400) -> tuple[list[str], list]:
    """At most ``most`` points: consecutive values averaged (gaps left out; a bucket with no
    value stays a gap), each bucket labelled by its first."""
    if len(values) <= most:
        return labels, values
    step = -(-len(values) // most)
    out = []
    for i in range(0, len(values), step):
        known = [v for v in values[i:i + step] if v is not None]
        out.append(sum(known) / len(known) if known else None)
    return [labels[i] for i in range(0, len(values), step)], out


def nice_top(top: float) -> float:
    """The value axis' end: ``top`` rounded up to 1, 2, 2.5 or 5 × a power of ten."""
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(top))
    for f in (1, 2, 2.5, 5, 10):
        if top <= f * power * (1 + 1e-9):
            return f * power
    return 10 * power


def _digits(top: float) -> int:
    return 0 if top >= 10 else 1


def _frame(title: str, body: str) -> str:
    return (f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>{body}</svg>")


def _value_axis(lang: Language, top: float, bottom: float = 0.0) -> str:
    """Zero, half-way and the top, with their lines; zero's line is the axis. With values
    below zero (``bottom`` < 0), the bottom too, and zero's line drawn where zero is."""
    out = []
    marks = (0.0, 0.5, 1.0) if bottom == 0 else (bottom, 0.0, top)
    span = top - bottom
    for mark in marks:
        v = top * mark if bottom == 0 else mark
        y = PAD_T + (HEIGHT - PAD_T - PAD_B) * (top - v) / span
        cls = "axis zero" if v == 0 else "grid"
        out.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{WIDTH - PAD_R}" y2="{y:.1f}" '
                   f'class="{cls}"/><text x="{PAD_L - 5}" y="{y + FONT * 0.35:.1f}" '
                   f'class="tick" text-anchor="end">'
                   f"{escape(lang.number(v, _digits(max(top, -bottom))))}</text>")
    return "".join(out)


def _tick(x: float, text: str) -> str:
    """An x-axis label centred under ``x`` but kept inside the view box (never cut)."""
    half = len(text) * CHAR / 2
    x = min(max(x, PAD_L + half - 20), WIDTH - PAD_R - half)
    return (f'<text x="{x:.1f}" y="{HEIGHT - 7}" class="tick" text-anchor="middle">'
            f"{escape(text)}</text>")


def _date_ticks(labels: list[str], lang: Language, most: int = 4) -> list[tuple[int, str]]:
    """Where to label a date axis: month starts on a long series, else a few days."""
    if not labels or len(labels[0]) < 10:
        return []
    try:
        days = [dt.date.fromisoformat(lb[:10]) for lb in labels]
    except ValueError:
        return []
    span = (days[-1] - days[0]).days
    if span > 62:
        idx = [i for i, d in enumerate(days) if d.day == 1 and (i == 0 or days[i - 1] != d)]
        idx = idx[::-(-len(idx) // most)] if idx else [0]
        return [(i, lang.month(labels[i][:7])) for i in idx]
    idx = [i for i in range(len(days)) if i == 0 or days[i] != days[i - 1]]
    idx = idx[::-(-len(idx) // most)]
    return [(i, lang.date(days[i], "d MMM")) for i in idx]


def _empty(title: str, unit: str, lang: Language, x_label: str) -> Chart:
    nothing = lang.gettext("No data yet.")
    svg = (f'<svg viewBox="0 0 {WIDTH} 40" role="img" aria-label="{escape(title)}">'
           f'<title>{escape(title)}</title><text x="4" y="24" class="tick">'
           f"{escape(nothing)}</text></svg>")
    return Chart(title, unit, svg, [], x_label)


def line(lang: Language, title: str, unit_label: str, labels: list[str],
         values: list[float | None], unit: Unit, x_label: str,
         row_label=None) -> Chart:
    """A line over dates (ISO labels), broken where a value is missing (None)."""
    if not any(v is not None for v in values):
        return _empty(title, unit_label, lang, x_label)
    labels, values = downsample(labels, values)
    known = [v for v in values if v is not None]
    top = nice_top(max(known)) if max(known) > 0 else 0.0
    low = min(known)
    bottom = -nice_top(-low) if low < 0 else 0.0   # a balance in the red: the axis goes below 0
    if top == 0:
        top = -bottom / 4 if bottom else 1.0
    n = max(len(values) - 1, 1)
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def xy(i: int, v: float) -> str:
        return f"{PAD_L + i * plot_w / n:.1f},{PAD_T + plot_h * (top - v) / (top - bottom):.1f}"

    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(xy(i, v))
    series = "".join(f'<polyline points="{" ".join(r)}" class="series"/>' if len(r) > 1 else
                     f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="1.5" '
                     'class="dot"/>' for r in runs if r)
    ticks = "".join(_tick(PAD_L + i * plot_w / n, text)
                    for i, text in _date_ticks(labels, lang))
    svg = _frame(title, _value_axis(lang, top, bottom) + series + ticks)
    step = max(1, len(values) // 12)
    name = row_label or (lambda lb: lang.date(lb) if len(lb) == 10 else lb)
    digits = _digits(max(top, -bottom))
    rows = [(name(labels[i]), unit.text(lang, values[i], digits) if values[i] is not None
             else lang.gettext("no data")) for i in range(0, len(values), step)]
    return Chart(title, unit_label, svg, rows, x_label)


def bars(lang: Language, title: str, unit_label: str, labels: list[str], values: list[float],
         unit: Unit, x_label: str, tick_label=None, every: int | None = None) -> Chart:
    """One bar per label; a zero is an empty slot (a gap), never a missing one."""
    if not values or not any(values):
        return _empty(title, unit_label, lang, x_label)
    top = nice_top(max(values))
    n = len(values)
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    bw = plot_w / n
    name = tick_label or (lambda lb: lb)
    rects = "".join(
        f'<rect x="{PAD_L + i * bw + bw * 0.1:.1f}" y="{PAD_T + plot_h * (1 - v / top):.1f}" '
        f'width="{max(bw * 0.8, 1):.1f}" height="{plot_h * v / top:.1f}" class="bar">'
        f"<title>{escape(name(labels[i]))}: {escape(unit.text(lang, v))}</title></rect>"
        for i, v in enumerate(values) if v)
    widest = max(len(name(lb)) for lb in labels) * CHAR + 6
    step = every or max(1, -(-int(widest) // max(int(bw), 1)))
    ticks = "".join(_tick(PAD_L + i * bw + bw / 2, name(labels[i])) for i in range(0, n, step))
    svg = _frame(title, _value_axis(lang, top) + rects + ticks)
    return Chart(title, unit_label, svg,
                 [(name(lb), unit.text(lang, v)) for lb, v in zip(labels, values, strict=True)],
                 x_label)


def stacked(lang: Language, title: str, unit_label: str, labels: list[str],
            series: list[tuple[str, list[float]]], unit: Unit, x_label: str,
            tick_label=None, total: str = "") -> Chart:
    """One bar per label, made of each series' part stacked from zero (all values ≥ 0), a
    colour per series with its name in the legend; the table has a column per series (and a
    total first when ``total`` names it). Series that are zero everywhere are left out."""
    series = [(name, vals) for name, vals in series if any(vals)]
    if not series:
        return _empty(title, unit_label, lang, x_label)
    sums = [sum(vals[i] for _, vals in series) for i in range(len(labels))]
    top = nice_top(max(sums))
    n = len(labels)
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    bw = plot_w / n
    name = tick_label or (lambda lb: lb)
    rects = []
    for i, lb in enumerate(labels):
        base = 0.0
        for k, (sname, vals) in enumerate(series):
            v = vals[i]
            if not v:
                continue
            y = PAD_T + plot_h * (1 - (base + v) / top)
            rects.append(
                f'<rect x="{PAD_L + i * bw + bw * 0.1:.1f}" y="{y:.1f}" '
                f'width="{max(bw * 0.8, 1):.1f}" height="{plot_h * v / top:.1f}" '
                f'class="bar s{k}"><title>{escape(name(lb))}, {escape(sname)}: '
                f"{escape(unit.text(lang, v))}</title></rect>")
            base += v
    widest = max(len(name(lb)) for lb in labels) * CHAR + 6
    step = max(1, -(-int(widest) // max(int(bw), 1)))
    ticks = "".join(_tick(PAD_L + i * bw + bw / 2, name(labels[i])) for i in range(0, n, step))
    svg = _frame(title, _value_axis(lang, top) + "".join(rects) + ticks)
    rows = [(name(lb), *([unit.text(lang, sums[i])] if total else []),
             *(unit.text(lang, vals[i]) for _, vals in series)) for i, lb in enumerate(labels)]
    columns = ((total,) if total else ()) + tuple(sname for sname, _ in series)
    return Chart(title, unit_label, svg, rows, x_label, columns,
                 tuple((sname, f"s{k}") for k, (sname, _) in enumerate(series)))
