"""One-page PDFs drawn with ReportLab, fast enough for every bill of every household.

A :class:`Page` is a list of shapes and text runs at fixed positions. Drawing a page with ReportLab
costs about a millisecond and a half, and a household-year has ~40 bills, as much CPU as all its
other documents together. So pages of the same *form* (same shapes, same fixed texts, same
positions; only the variable texts differ) share a template: ReportLab draws the form once per
process, with a fixed-width marker in place of each variable text (and of the x of each
right-aligned or centred one), uncompressed; each page is then the template with its values
written into those slots, space-padded to the same width. Every byte offset of the file stays
where ReportLab put it, so the cross-reference table stays valid. Each file gets its own id (the
MD5 of its bytes) and the creation date of its :class:`Info`.

If the installed ReportLab writes something the template cannot find its slots in, pages are drawn
one by one (:func:`draw`): slower, still deterministic.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

RGB = tuple[float, float, float]
X_WIDTH = 8                     # bytes of an x slot: f"{x:8.3f}"
DATE_MARKER = "D:99991231235959+00'00'"
ID = re.compile(rb"\[<([0-9a-fA-F]{32})><\1>\]")
MAX_TEMPLATES = 2048            # forms kept per process (a population has a few hundred)


class Text(NamedTuple):
    font: str
    size: float
    colour: RGB
    anchor: float               # x given by the layout; the text starts there, ends or is
    y: float                    # centred on it, by ``align``
    align: str                  # "left", "right", "centre"
    text: str
    fixed: bool                 # part of the form (headings, labels), not a value

    @property
    def x(self) -> float:
        if self.align == "left":
            return self.anchor
        width = stringWidth(self.text, self.font, self.size)
        return self.anchor - (width if self.align == "right" else width / 2)

    def form(self) -> tuple:
        return (*self[:6], self.text if self.fixed else None)


@dataclass(frozen=True)
class Shape:
    kind: str                   # "rect" (filled) or "line" (stroked)
    colour: RGB
    box: tuple[float, ...]      # rect: x, y, width, height; line: x1, y1, x2, y2, line width


@dataclass(frozen=True)
class Info:
    """The document properties: the same for every page of a form, except the date."""

    title: str
    author: str
    subject: str
    created: date


@dataclass
class Page:
    shapes: list[Shape] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)

    def form(self, info: Info, width: int) -> tuple:
        return (tuple(self.shapes), tuple(t.form() for t in self.texts), info.title,
                info.author, info.subject, width)


_SPECIAL = re.compile(rb"[()\\\x00-\x1f\x7f-\xff]")


def _escaped(m: re.Match) -> bytes:
    b = m.group()[0]
    return b"\\" + m.group() if b in b"()\\" else b"\\%03o" % b


def escape(text: str) -> bytes:
    """``text`` as the bytes of a PDF literal string for the standard fonts (WinAnsi, octal
    escapes outside printable ASCII, as ReportLab writes them)."""
    return _SPECIAL.sub(_escaped, text.encode("cp1252", errors="replace"))


def render(page: Page, info: Info) -> bytes:
    """The page as PDF bytes, from its form's template when the form has one."""
    values = [escape(t.text) for t in page.texts if not t.fixed]
    width = max(32, -(-max(map(len, values), default=0) // 16) * 16)
    key = page.form(info, width)
    template = _TEMPLATES.get(key)
    if template is None:
        if len(_TEMPLATES) >= MAX_TEMPLATES:
            _TEMPLATES.clear()
        template = _TEMPLATES[key] = _Template.build(page, info, width)
    if template is False:
        return draw(page, info)
    return template.fill(page, values, info.created)


_TEMPLATES: dict[tuple, _Template | bool] = {}


def draw(page: Page, info: Info, *, compress: bool = True, date_text: str | None = None,
         texts: list[tuple[Text, str, float]] | None = None) -> bytes:
    """Draw ``page`` with ReportLab. ``texts`` overrides each text run's (string, x)."""
    rl_config.useA85 = 0  # binary streams: smaller and faster than ASCII85 text
    stamp = date_text or info.created.strftime("D:%Y%m%d000000+00'00'")
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, pageCompression=int(compress))
    c.setDateFormatter(lambda *_: stamp)
    c.setTitle(info.title)
    c.setAuthor(info.author)
    c.setSubject(info.subject)
    c.setCreator("Selfdata Sandbox synthetic_data")
    for s in page.shapes:
        if s.kind == "rect":
            c.setFillColor(Color(*s.colour))
            c.rect(*s.box, stroke=0, fill=1)
        else:
            c.setStrokeColor(Color(*s.colour))
            c.setLineWidth(s.box[4])
            c.line(*s.box[:4])
    t = c.beginText()
    state: tuple = ()
    for run, text, x in texts or [(r, r.text, r.x) for r in page.texts]:
        if state[:2] != (run.font, run.size):
            t.setFont(run.font, run.size)
        if state[2:] != (run.colour,):
            t.setFillColor(Color(*run.colour))
        state = (run.font, run.size, run.colour)
        t.setTextOrigin(x, run.y)
        t.textOut(text)
    c.drawText(t)
    c.showPage()
    c.save()
    return buf.getvalue()


@dataclass
class _Template:
    """ReportLab's bytes for a form, cut at its slots: text values, x positions, dates."""

    pieces: list[bytes]
    slots: list[tuple[str, int]]    # ("text", i) / ("x", i) / ("date", 0), between the pieces
    width: int
    id_at: int                      # offset of the file id in the joined bytes, or -1

    @classmethod
    def build(cls, page: Page, info: Info, width: int) -> _Template | bool:
        """The template of ``page``'s form, or False if ReportLab's output hides a slot."""
        runs, found = [], []
        k = 0
        for run in page.texts:
            if run.fixed:
                runs.append((run, run.text, run.x))
                continue
            marker = f"@{k:03d}@".ljust(width, "~")
            x = run.anchor if run.align == "left" else 8000 + k + 0.125
            runs.append((run, marker, x))
            found.append((marker.encode(), ("text", k)))
            if run.align != "left":
                found.append((f"{x:.3f} ".encode(), ("x", k)))
            k += 1
        data = draw(page, info, compress=False, date_text=DATE_MARKER, texts=runs)
        cuts = []
        for needle, slot in found:
            at = data.find(needle)
            if at < 0 or data.find(needle, at + 1) >= 0:
                return False
            cuts.append((at, X_WIDTH if slot[0] == "x" else len(needle), slot))
        at = -1
        while (at := data.find(DATE_MARKER.encode(), at + 1)) >= 0:
            cuts.append((at, len(DATE_MARKER), ("date", 0)))
        cuts.sort()
        pieces, slots, pos = [], [], 0
        for at, size, slot in cuts:
            pieces.append(data[pos:at])
            slots.append(slot)
            pos = at + size
        pieces.append(data[pos:])
        ids = list(ID.finditer(data))
        return cls(pieces, slots, width, ids[0].start() + 2 if len(ids) == 1 else -1)

    def fill(self, page: Page, values: list[bytes], created: date) -> bytes:
        variable = [t for t in page.texts if not t.fixed]
        stamp = created.strftime("D:%Y%m%d000000+00'00'").encode()
        out = [self.pieces[0]]
        for (kind, k), piece in zip(self.slots, self.pieces[1:], strict=True):
            if kind == "text":
                out.append(values[k].ljust(self.width))
            elif kind == "x":
                out.append(b"%8.3f" % min(max(variable[k].x, 0.0), 999.0))
            else:
                out.append(stamp)
            out.append(piece)
        data = b"".join(out)
        if self.id_at < 0:
            return data
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest().encode()
        return b"%s%s><%s%s" % (data[:self.id_at], digest, digest, data[self.id_at + 66:])
