"""Pages in French and English: which language a request is answered in, its gettext catalogue,
and numbers, dates and money written as that language writes them (Babel's CLDR data).

Messages are written in English in the code and templates (the msgids); the French catalogue
translates every one of them. The data itself is French (MesInfos households: "Appartement",
"Gaz", claim causes), so the English catalogue translates data values, under the context
``data`` (``Language.value``).

The catalogues' sources (``locales/<lang>/LC_MESSAGES/messages.po``) are compiled in memory
the first time a language is used: nothing to build, and never a stale ``.mo``.
Update them with ``scripts/messages.sh`` after changing a message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

LANGUAGES = ("fr", "en")
NAMES = {"fr": "Français", "en": "English"}
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
COOKIE = "selfdata_lang"          # the language a visitor chose with the switch
PARAM = "lang"                    # ?lang=en on any page: choose English (kept in the cookie)
CATALOGUES = Path(__file__).parent / "locales"
DATA = "data"                     # the gettext context of data values (French in the data)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with its plural for extraction (``Language.ngettext`` picks one)."""
    return singular, plural


def Nc_(context: str, message: str) -> str:
    """Mark a message with its context for extraction."""
    return message


# The data's own words (French, from synthetic_data's parameters) that pages show as they are
# in French and translated in English: dwellings, heating energies, tariff options, claims.
DATA_VALUES = (
    Nc_("data", "Appartement"), Nc_("data", "Maison"),
    Nc_("data", "Électricité"), Nc_("data", "Gaz"), Nc_("data", "Fioul"), Nc_("data", "Bois"),
    Nc_("data", "Réseau de chaleur"), Nc_("data", "Électrique"),
    Nc_("data", "Thermodynamique"),
    Nc_("data", "Base"), Nc_("data", "HPHC"), Nc_("data", "Tempo"),
    Nc_("data", "Habitation"), Nc_("data", "Vehicule"),
    Nc_("data", "Dégât des eaux"), Nc_("data", "Tempête, grêle, neige"),
    Nc_("data", "Incendie"), Nc_("data", "Vol"), Nc_("data", "Bris de glace"),
    Nc_("data", "Dommages électriques"), Nc_("data", "Collision"),
    Nc_("data", "Stationnement"), Nc_("data", "Vandalisme"),
)


def _as_float(value: float | int | str | None) -> float | str:
    """A value to format as a number, or the text to show as it is ("" for nothing)."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def primary(tag: str | None) -> str | None:
    """``fr`` for ``fr-FR``, ``fr_CA`` or ``FR``; None for a language we do not speak."""
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def accepted(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header we speak, by its q-values."""
    if not header:
        return None
    ranked = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((-q, i, tag))
    for q, _, tag in sorted(ranked):
        if q < 0 and primary(tag):
            return primary(tag)
    return None


def choose(query: str | None, cookie: str | None, accept_language: str | None,
           default: str) -> str:
    """The page's language: asked for in the URL, else chosen before (cookie), else the
    browser's (``Accept-Language``), else the app's default."""
    return (primary(query) or primary(cookie) or accepted(accept_language)
            or primary(default) or LANGUAGES[0])


@lru_cache(maxsize=len(LANGUAGES))
def translations(code: str) -> Translations:
    """The catalogue of ``code``, compiled from its ``.po`` (fuzzy entries left out)."""
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=LOCALES[code])
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf)


def _date(value: str | dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) <= 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Language:
    """One language's messages and formats (``fr``: ``1 234,56 €``; ``en``: ``€1,234.56``)."""

    code: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(LOCALES[self.code])

    @property
    def name(self) -> str:
        return NAMES[self.code]

    def gettext(self, message: str) -> str:
        return translations(self.code).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.code).ngettext(singular, plural, n)

    def value(self, text: object) -> str:
        """A data value (``Gaz``, ``Appartement``) in this language."""
        if not isinstance(text, str) or not text:
            return "" if text is None else str(text)
        return translations(self.code).pgettext(DATA, text)

    def number(self, value: float | int | str | None, digits: int | None = None) -> str:
        """``value`` with this language's separators; ``digits`` fixed decimals (default:
        integers as integers, others to at most two decimals)."""
        v = _as_float(value)
        if not isinstance(v, float):
            return v
        if digits is None:
            fmt = "#,##0" if v == int(v) else "#,##0.##"
        else:
            fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(v, format=fmt, locale=self.locale)

    def money(self, value: float | int | str | None, currency: str = "EUR") -> str:
        v = _as_float(value)
        return format_currency(v, currency, locale=self.locale) if isinstance(v, float) else v

    def size(self, n: int | None) -> str:
        """Bytes as Cozy's Drive shows them, in powers of 1024 (``1.5 KB``, ``1,5 Ko``)."""
        units = (N_("B"), N_("KB"), N_("MB"), N_("GB"), N_("TB"))
        value = float(n or 0)
        for unit in units:
            if value < 1024 or unit == units[-1]:
                return f"{self.number(value, 0 if unit == 'B' else 1)} {self.gettext(unit)}"
            value /= 1024
        return ""  # pragma: no cover - the loop always returns

    def date(self, value: str | dt.date | None, form: str = "medium") -> str:
        """A date (``12 mars 2024`` / ``12 Mar 2024``); text that is no date as it is."""
        if not value:
            return ""
        try:
            d = _date(value)
        except ValueError:
            return str(value)
        return format_date(d, form, locale=self.locale)

    def datetime(self, value: str | float | dt.datetime | None, zone: str = "UTC") -> str:
        """A moment to the minute, with its zone (``12 mars 2024 14:30 UTC``)."""
        if value in (None, ""):
            return ""
        try:
            if isinstance(value, int | float):
                d = dt.datetime.fromtimestamp(float(value), dt.UTC)
            else:
                d = _date(value)  # type: ignore[arg-type]
        except (ValueError, OverflowError, OSError):
            return str(value)
        if not isinstance(d, dt.datetime):
            return self.date(d)
        return (f"{format_date(d, 'medium', locale=self.locale)} "
                f"{format_time(d, 'HH:mm', locale=self.locale)} {zone}").rstrip()

    def month(self, value: str) -> str:
        """``2024-03`` as ``mars 2024`` / ``Mar 2024``."""
        try:
            d = dt.date.fromisoformat(value[:7] + "-01")
        except ValueError:
            return value
        return format_datetime(dt.datetime(d.year, d.month, 1), "LLL yyyy", locale=self.locale)

    def switch(self, url: str, query: dict[str, str], method: str) -> list[dict]:
        """The other languages, as links to this page in them (or the home page, after a
        form was sent)."""
        out = []
        for code in LANGUAGES:
            if code == self.code:
                continue
            params = {**query, PARAM: code} if method in ("GET", "HEAD") else {PARAM: code}
            path = url if method in ("GET", "HEAD") else "/"
            out.append({"code": code, "name": NAMES[code],
                        "href": f"{path}?{urlencode(params)}"})
        return out
