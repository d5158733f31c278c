"""Small server-side SVG charts: accessible (title, label, a data table beside), no JS."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Chart:
    svg: str
    rows: list[tuple[str, str]]  # the same data as text, for the table under the chart


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _empty(title: str, width: int, height: int) -> Chart:
    svg = (f'<svg viewBox="0 0 {width} {height // 3}" role="img" aria-label="{escape(title)}">'
           f'<title>{escape(title)}</title><text x="4" y="20" class="tick">No data yet.</text>'
           "</svg>")
    return Chart(svg, [])


def downsample(labels: list[str], values: list[float], most: int = 400
               ) -> tuple[list[str], list[float]]:
    """At most ``most`` points: consecutive values averaged, each bucket labelled by its first."""
    if len(values) <= most:
        return labels, values
    step = -(-len(values) // most)
    return ([labels[i] for i in range(0, len(values), step)],
            [sum(values[i:i + step]) / len(values[i:i + step])
             for i in range(0, len(values), step)])


def line(title: str, labels: list[str], values: list[float], unit: str,
         width: int = 640, height: int = 180) -> Chart:
    if not values:
        return _empty(title, width, height)
    labels, values = downsample(labels, values)
    pad_l, pad_b, pad_t = 48, 22, 10
    top = max(values) if values else 1.0
    top = top or 1.0
    n = max(len(values) - 1, 1)
    pts = " ".join(f"{pad_l + i * (width - pad_l - 8) / n:.1f},"
                   f"{pad_t + (height - pad_t - pad_b) * (1 - v / top):.1f}"
                   for i, v in enumerate(values))
    ticks = "".join(
        f'<text x="{pad_l + i * (width - pad_l - 8) / n:.0f}" y="{height - 6}" '
        f'class="tick">{escape(labels[i])}</text>'
        for i in range(0, len(labels), max(1, len(labels) // 6)))
    svg = (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
           f"<title>{escape(title)}</title>"
           f'<text x="4" y="{pad_t + 8}" class="tick">{_fmt(top)} {escape(unit)}</text>'
           f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - 8}" y2="{height - pad_b}" '
           f'class="axis"/><polyline points="{pts}" class="series"/>{ticks}</svg>')
    step = max(1, len(values) // 12)
    return Chart(svg, [(labels[i], f"{_fmt(values[i])} {unit}")
                       for i in range(0, len(values), step)])


def bars(title: str, labels: list[str], values: list[float], unit: str,
         width: int = 640, height: int = 180) -> Chart:
    if not values or not any(values):
        return _empty(title, width, height)
    pad_l, pad_b, pad_t = 48, 30, 10
    top = max(values) if values else 1.0
    top = top or 1.0
    n = max(len(values), 1)
    bw = (width - pad_l - 8) / n
    rects = "".join(
        f'<rect x="{pad_l + i * bw + 1:.1f}" '
        f'y="{pad_t + (height - pad_t - pad_b) * (1 - v / top):.1f}" '
        f'width="{max(bw - 2, 1):.1f}" height="{(height - pad_t - pad_b) * v / top:.1f}" '
        f'class="bar"><title>{escape(labels[i])}: {_fmt(v)} {escape(unit)}</title></rect>'
        for i, v in enumerate(values))
    ticks = "".join(f'<text x="{pad_l + i * bw + bw / 2:.0f}" y="{height - 8}" class="tick" '
                    f'text-anchor="middle">{escape(labels[i][:10])}</text>'
                    for i in range(0, n, max(1, n // 12)))
    svg = (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
           f"<title>{escape(title)}</title>"
           f'<text x="4" y="{pad_t + 8}" class="tick">{_fmt(top)} {escape(unit)}</text>'
           f"{rects}{ticks}</svg>")
    return Chart(svg, [(lbl, f"{_fmt(v)} {unit}") for lbl, v in zip(labels, values,
                                                                      strict=True)])
