"""A bill as a one-page PDF, the way a vendor's customer area hands it to a konnector.

:class:`Invoice` holds every printed value, already decided by the caller (the Drive step reads
them from the ``io.cozy.bills`` document, the household and the source's
:class:`InvoiceDetail`); :func:`render_pdf` only lays them out with ReportLab. Rendering is
deterministic: ReportLab's invariant mode (no clock, no random file id) with the PDF creation date
set to the bill's issue date, so the same invoice gives the same bytes on every run and machine
(with the same ReportLab release).

Numbers are printed the French way (``91,95 €``, ``05/01/2026``) without thousands separators, so
``fr_amount(bill["amount"])`` is found verbatim in the extracted text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import cache

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PRODUCER = "Selfdata Sandbox synthetic_data"
# ``ctx.shared`` key where a source leaves the :class:`InvoiceDetail` of each bill, by
# (vendor, vendorRef).
INVOICE_DETAILS = "invoice_details"


@dataclass(frozen=True)
class InvoiceLine:
    """One priced line of a bill: what, how much (printed as is, may be empty), euros TTC."""

    label: str
    quantity: str
    euros: float


@dataclass(frozen=True)
class InvoiceDetail:
    """What a source knows about one of its bills beyond the ``io.cozy.bills`` fields: the priced
    lines (they add up to the bill's amount to the cent) and extra references (PDL, line...)."""

    lines: tuple[InvoiceLine, ...]
    references: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Invoice:
    vendor: str
    vendor_lines: tuple[str, ...]        # under the vendor's name (what it is, service address)
    accent: str                          # "#rrggbb", the vendor's band colour
    title: str                           # "Facture", "Avis d'échéance"
    number: str
    issued: date
    customer: tuple[str, ...]            # addressee: name, street, postcode and city
    references: tuple[tuple[str, str], ...]
    period: tuple[date, date]            # first and last day billed, inclusive
    lines: tuple[InvoiceLine, ...]
    total: float
    payment: tuple[str, ...]
    footer: tuple[str, ...]


def fr_amount(euros: float) -> str:
    """``91.95`` → ``"91,95 €"`` (two decimals, comma, no thousands separator)."""
    return f"{euros:.2f}".replace(".", ",") + " €"


def fr_number(value: float, decimals: int = 0) -> str:
    """``391.989`` → ``"391,989"``; integers stay integers."""
    return f"{value:.{decimals}f}".replace(".", ",")


def fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def split_cents(parts: list[tuple[str, str, float]], total: float) -> tuple[InvoiceLine, ...]:
    """Round each line to the cent and put the rounding remainder on the largest line, so the
    printed lines add up exactly to ``total`` (itself rounded to the cent)."""
    cents = [round(e * 100) for _, _, e in parts]
    target = round(total * 100)
    if cents:
        biggest = max(range(len(cents)), key=lambda i: (abs(cents[i]), -i))
        cents[biggest] += target - sum(cents)
    return tuple(InvoiceLine(label, qty, c / 100) for (label, qty, _), c in zip(parts, cents,
                                                                                 strict=True))


# --- layout (points on an A4 page: 595 × 842) ------------------------------------------------

WIDTH, HEIGHT = A4
LEFT, RIGHT = 50.0, WIDTH - 50.0
QTY = 300.0                 # x of the quantity column
BLACK, WHITE = Color(0, 0, 0), Color(1, 1, 1)
GREY = Color(0.35, 0.35, 0.35)
LIGHT = Color(0.93, 0.93, 0.93)
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"


class _Page:
    """Shapes and text runs of one page, drawn at the end with one text object (ReportLab's
    per-string ``drawString`` costs a text object each; the page has about 40 strings)."""

    def __init__(self) -> None:
        self.shapes: list[tuple] = []
        self.texts: list[tuple[str, float, Color, float, float, str]] = []

    def text(self, x: float, y: float, text: str, *, font: str = REGULAR, size: float = 10,
             color: Color = BLACK, align: str = "left") -> None:
        if align != "left":
            width = stringWidth(text, font, size)
            x -= width if align == "right" else width / 2
        self.texts.append((font, size, color, x, y, text))

    def rect(self, x: float, y: float, w: float, h: float, color: Color) -> None:
        self.shapes.append(("rect", color, x, y, w, h))

    def line(self, y: float, color: Color, width: float) -> None:
        self.shapes.append(("line", color, width, y))

    def draw(self, c: Canvas) -> None:
        for shape in self.shapes:
            if shape[0] == "rect":
                _, color, x, y, w, h = shape
                c.setFillColor(color)
                c.rect(x, y, w, h, stroke=0, fill=1)
            else:
                _, color, width, y = shape
                c.setStrokeColor(color)
                c.setLineWidth(width)
                c.line(LEFT, y, RIGHT, y)
        t = c.beginText()
        state: tuple = ()
        for font, size, color, x, y, text in self.texts:
            if state[:2] != (font, size):
                t.setFont(font, size)
            if state[2:] != (color,):
                t.setFillColor(color)
            state = (font, size, color)
            t.setTextOrigin(x, y)
            t.textOut(text)
        c.drawText(t)


def render_pdf(inv: Invoice) -> bytes:
    """The invoice as PDF bytes (one A4 page, standard Helvetica, WinAnsi text)."""
    rl_config.useA85 = 0  # binary page streams: smaller and faster than ASCII85 text
    page = _Page()
    _header(page, inv)
    y = _addressee(page, inv)
    y = _references(page, inv, y - 24)
    y = _lines(page, inv, y - 24)
    _payment(page, inv, y - 28)
    _footer(page, inv)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    stamp = inv.issued.strftime("D:%Y%m%d000000+00'00'")
    c.setDateFormatter(lambda *_: stamp)
    c.setTitle(f"{inv.title} {inv.vendor} n° {inv.number} du {fr_date(inv.issued)}")
    c.setAuthor(inv.vendor)
    c.setSubject(f"{inv.title} du {fr_date(inv.period[0])} au {fr_date(inv.period[1])}")
    c.setCreator(PRODUCER)
    c.setKeywords(["facture", inv.vendor])
    page.draw(c)
    c.showPage()
    c.save()
    return buf.getvalue()


@cache
def _colour(hex_code: str) -> Color:
    return HexColor(hex_code)


def _header(p: _Page, inv: Invoice) -> None:
    p.rect(0, HEIGHT - 96, WIDTH, 96, _colour(inv.accent))
    p.text(LEFT, HEIGHT - 50, inv.vendor, font=BOLD, size=24, color=WHITE)
    for i, text in enumerate(inv.vendor_lines[:2]):
        p.text(LEFT, HEIGHT - 68 - 11 * i, text, size=9, color=WHITE)
    p.text(RIGHT, HEIGHT - 48, inv.title, font=BOLD, size=18, color=WHITE, align="right")
    p.text(RIGHT, HEIGHT - 64, f"N° {inv.number}", color=WHITE, align="right")
    p.text(RIGHT, HEIGHT - 78, f"du {fr_date(inv.issued)}", color=WHITE, align="right")


def _addressee(p: _Page, inv: Invoice) -> float:
    y = HEIGHT - 150
    for i, text in enumerate(inv.customer):
        p.text(330, y, text, font=BOLD if i == 0 else REGULAR, size=11)
        y -= 15
    return y


def _heading(p: _Page, text: str, y: float) -> float:
    p.text(LEFT, y, text, font=BOLD, size=12)
    p.line(y - 5, GREY, 0.5)
    return y - 22


def _references(p: _Page, inv: Invoice, y: float) -> float:
    y = _heading(p, "Vos références", y)
    rows = [*inv.references,
            ("Période facturée", f"du {fr_date(inv.period[0])} au {fr_date(inv.period[1])}")]
    for label, value in rows:
        p.text(LEFT, y, f"{label} :", color=GREY)
        p.text(LEFT + 170, y, value)
        y -= 15
    return y


def _lines(p: _Page, inv: Invoice, y: float) -> float:
    y = _heading(p, "Détail de votre facture", y)
    p.rect(LEFT, y - 5, RIGHT - LEFT, 17, LIGHT)
    p.text(LEFT + 6, y, "Libellé", font=BOLD)
    p.text(QTY, y, "Quantité", font=BOLD)
    p.text(RIGHT - 6, y, "Montant TTC", font=BOLD, align="right")
    y -= 20
    for line in inv.lines:
        p.text(LEFT + 6, y, line.label)
        p.text(QTY, y, line.quantity)
        p.text(RIGHT - 6, y, fr_amount(line.euros), align="right")
        y -= 16
    p.line(y + 6, _colour(inv.accent), 1.2)
    y -= 12
    p.text(LEFT + 6, y, "Montant total TTC", font=BOLD, size=12)
    p.text(RIGHT - 6, y, fr_amount(inv.total), font=BOLD, size=12, align="right")
    return y


def _payment(p: _Page, inv: Invoice, y: float) -> None:
    y = _heading(p, "Paiement", y)
    for text in inv.payment:
        p.text(LEFT, y, text)
        y -= 15


def _footer(p: _Page, inv: Invoice) -> None:
    y = 40 + 11 * (len(inv.footer) - 1)
    for text in inv.footer:
        p.text(WIDTH / 2, y, text, size=8, color=GREY, align="center")
        y -= 11
