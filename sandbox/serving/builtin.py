"""The stack's own small files under ``/assets`` (fonts.css, the empty theme, the favicons, the
web manifest, the bar's home image), written here: the stack's are Cozy's brand, so the sandbox
serves plain ones of its own at the same names. The icons are drawn in code (a PNG needs only
zlib), so every byte is the same on every machine and their sums never move."""

from __future__ import annotations

import struct
import zlib

# Inter, variable weight, as the stack's fonts.css declares it (the file comes from npm).
FONTS_CSS = b"""@font-face {
  font-family: Inter;
  font-style: normal;
  font-weight: 100 900;
  src: url("InterVariable.woff2");
  font-display: fallback;
}
"""
THEME_CSS = b"/* The sandbox's theme: empty, as the stack's default one. */\n"
ICON_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#1d5fb4"/>
<path d="M8 21a5 5 0 0 1 3-9.6A7 7 0 0 1 24.5 13 4.5 4.5 0 0 1 24 22H9z" fill="#fff"/>
</svg>
"""
# The bar's "home" button draws this stack image.
HOME_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<circle cx="16" cy="16" r="16" fill="#1d5fb4"/>
<path d="M8 16 16 9l8 7v8h-5v-5h-6v5H8z" fill="#fff"/>
</svg>
"""
MANIFEST = b"""{
  "name": "Selfdata Sandbox",
  "short_name": "Sandbox",
  "icons": [{"src": "/assets/apple-touch-icon.png", "sizes": "180x180", "type": "image/png"}],
  "display": "browser"
}
"""
BLUE = (0x1D, 0x5F, 0xB4)


def _png(size: int) -> bytes:
    """A square PNG of ``size`` pixels: the sandbox's blue with a white disc."""
    rows = bytearray()
    c, r2 = (size - 1) / 2, (size * 0.3) ** 2
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows += bytes((255, 255, 255) if (x - c) ** 2 + (y - c) ** 2 <= r2 else BLUE)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + \
        chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def _ico(png: bytes, size: int) -> bytes:
    """An ICO file holding one PNG image (browsers have read those for years)."""
    return struct.pack("<HHH", 0, 1, 1) + \
        struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 22) + png


def files() -> dict[str, bytes]:
    """Built-in assets by their name under ``/assets``."""
    return {"/fonts/fonts.css": FONTS_CSS, "/styles/theme.css": THEME_CSS,
            "/icon.svg": ICON_SVG, "/favicon.ico": _ico(_png(32), 32),
            "/apple-touch-icon.png": _png(180), "/manifest.webmanifest": MANIFEST,
            "/images/icon-cozy-home.svg": HOME_SVG}
