"""A bill as a one-page PDF, the way a vendor's customer area hands it to a konnector.

:class:`Invoice` holds every printed value, already decided by the caller (the Drive step reads
them from the ``io.cozy.bills`` document, the household and the source's
:class:`InvoiceDetail`); :func:`layout` places them on an A4 page and ``pdfpage`` draws it
with ReportLab. Rendering is deterministic: ReportLab's invariant mode (no clock, no random file
id), the PDF creation date set to the bill's issue date, so the same invoice gives the same bytes
on every run and machine (with the same ReportLab release).

Numbers are printed the French way (``91,95 €``, ``05/01/2026``) without thousands separators, so
``fr_amount(bill["amount"])`` is found verbatim in the extracted text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4

from synthetic_data.pdfpage import Info, Page, Shape, Text, render

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
    lines (they add up to the bill's amount to the cent, negative for a refund) and extra
    references (PDL, line...); ``title`` replaces the vendor's usual document title ("Échéance"
    for an instalment rather than "Facture")."""

    lines: tuple[InvoiceLine, ...]
    references: tuple[tuple[str, str], ...] = ()
    title: str = ""


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
BLACK, WHITE = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
GREY, LIGHT = (0.35, 0.35, 0.35), (0.93, 0.93, 0.93)
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"


def render_pdf(inv: Invoice) -> bytes:
    """The invoice as PDF bytes (one A4 page, standard Helvetica, WinAnsi text)."""
    info = Info(title=f"{inv.title} {inv.vendor}", author=inv.vendor,
                subject=f"{inv.title} {inv.vendor}", created=inv.issued)
    return render(layout(inv), info)


class _Layout:
    def __init__(self) -> None:
        self.page = Page()

    def text(self, x: float, y: float, text: str, *, font: str = REGULAR, size: float = 10,
             colour: tuple = BLACK, align: str = "left", fixed: bool = False) -> None:
        self.page.texts.append(Text(font, size, colour, x, y, align, text, fixed))

    def rect(self, x: float, y: float, w: float, h: float, colour: tuple) -> None:
        self.page.shapes.append(Shape("rect", colour, (x, y, w, h)))

    def rule(self, y: float, colour: tuple, width: float) -> None:
        self.page.shapes.append(Shape("line", colour, (LEFT, y, RIGHT, y, width)))


def layout(inv: Invoice) -> Page:
    """Where each value goes. Texts that do not change from bill to bill of a vendor are
    ``fixed`` (they shape the page's template, see ``pdfpage``)."""
    p = _Layout()
    accent = _rgb(inv.accent)
    p.rect(0, HEIGHT - 96, WIDTH, 96, accent)
    p.text(LEFT, HEIGHT - 50, inv.vendor, font=BOLD, size=24, colour=WHITE, fixed=True)
    for i, text in enumerate(inv.vendor_lines[:2]):
        p.text(LEFT, HEIGHT - 68 - 11 * i, text, size=9, colour=WHITE, fixed=True)
    p.text(RIGHT, HEIGHT - 48, inv.title, font=BOLD, size=18, colour=WHITE, align="right",
           fixed=True)
    p.text(RIGHT, HEIGHT - 64, f"N° {inv.number}", colour=WHITE, align="right")
    p.text(RIGHT, HEIGHT - 78, f"du {fr_date(inv.issued)}", colour=WHITE, align="right")

    y = HEIGHT - 150
    for i, text in enumerate(inv.customer):
        p.text(330, y, text, font=BOLD if i == 0 else REGULAR, size=11)
        y -= 15

    y = _heading(p, "Vos références", y - 24)
    rows = [*inv.references,
            ("Période facturée", f"du {fr_date(inv.period[0])} au {fr_date(inv.period[1])}")]
    for label, value in rows:
        p.text(LEFT, y, f"{label} :", colour=GREY, fixed=True)
        p.text(LEFT + 170, y, value)
        y -= 15

    y = _heading(p, "Détail de votre facture", y - 24)
    p.rect(LEFT, y - 5, RIGHT - LEFT, 17, LIGHT)
    p.text(LEFT + 6, y, "Libellé", font=BOLD, fixed=True)
    p.text(QTY, y, "Quantité", font=BOLD, fixed=True)
    p.text(RIGHT - 6, y, "Montant TTC", font=BOLD, align="right", fixed=True)
    y -= 20
    for line in inv.lines:
        p.text(LEFT + 6, y, line.label)
        p.text(QTY, y, line.quantity)
        p.text(RIGHT - 6, y, fr_amount(line.euros), align="right")
        y -= 16
    p.rule(y + 6, accent, 1.2)
    y -= 12
    p.text(LEFT + 6, y, "Montant total TTC", font=BOLD, size=12, fixed=True)
    p.text(RIGHT - 6, y, fr_amount(inv.total), font=BOLD, size=12, align="right")

    y = _heading(p, "Paiement", y - 28)
    for text in inv.payment:
        p.text(LEFT, y, text)
        y -= 15

    y = 40 + 11 * (len(inv.footer) - 1)
    for text in inv.footer:
        p.text(WIDTH / 2, y, text, size=8, colour=GREY, align="centre", fixed=True)
        y -= 11
    return p.page


def _heading(p: _Layout, text: str, y: float) -> float:
    p.text(LEFT, y, text, font=BOLD, size=12, fixed=True)
    p.rule(y - 5, GREY, 0.5)
    return y - 22


@cache
def _rgb(hex_code: str) -> tuple[float, float, float]:
    return HexColor(hex_code).rgb()
