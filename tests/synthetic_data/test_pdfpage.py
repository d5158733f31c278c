"""PDF pages filled from a per-form template against ReportLab drawing each page itself: the
same text, at the same places, in a file readers accept (offsets, file id, dates)."""

from __future__ import annotations

import io
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from synthetic_data.pdfpage import DATE_MARKER, Info, Page, Text, draw, render

INFO = Info(title="Facture Test", author="Test", subject="Facture Test", created=date(2024, 3, 5))
# what the invoices print: WinAnsi text, PDF's special characters included
VALUE = st.text(st.sampled_from(list("abcXYZ 0123456789,.€é()\\/-'\"%")), max_size=40)


def page(values: list[str]) -> Page:
    p = Page()
    p.texts.append(Text("Helvetica-Bold", 14, (0, 0, 0), 50, 800, "left", "Facture", True))
    for i, (v, align) in enumerate(zip(values, ("left", "right", "centre") * 4, strict=False)):
        p.texts.append(Text("Helvetica", 10, (0.35, 0.35, 0.35), 300, 700 - 20 * i, align, v,
                            False))
    return p


def id_of(data: bytes) -> bytes:
    return re.search(rb"/ID \s*\[<([0-9a-f]{32})><\1>\]", data).group(1)


def positioned(data: bytes) -> list[tuple[str, float, float]]:
    """Each text run as a reader places it: (text, x, y), trailing spaces dropped."""
    runs: list[tuple[str, float, float]] = []

    def visit(text, _cm, tm, _font, _size):
        if text.strip():
            runs.append((text.rstrip(), round(tm[4], 2), round(tm[5], 2)))

    PdfReader(io.BytesIO(data), strict=True).pages[0].extract_text(visitor_text=visit)
    return runs


@settings(max_examples=60, deadline=None)
@given(st.lists(VALUE, min_size=1, max_size=6))
def test_a_filled_template_reads_as_the_page_drawn_directly(values) -> None:
    filled, drawn = render(page(values), INFO), draw(page(values), INFO)
    assert positioned(filled) == positioned(drawn)
    # one file id, derived from the filled bytes (see the next test)
    assert len(id_of(filled)) == 32
    assert b"D:20240305000000+00'00'" in filled and DATE_MARKER.encode() not in filled


def test_the_same_page_gives_the_same_bytes_and_another_page_another_id() -> None:
    a1, a2 = render(page(["12,50 €", "Alice"]), INFO), render(page(["12,50 €", "Alice"]), INFO)
    b = render(page(["12,51 €", "Alice"]), INFO)
    assert a1 == a2 and a1 != b
    assert id_of(a1) != id_of(b)
