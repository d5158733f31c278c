"""Identity figures for ``selfdata realism``: names by cohort, phone numbers, streets, handsets.

Read from the documents as a contestant sees them; field paths are looked up wherever they sit in
a document (``birthdate`` beside ``name.given``, ``telMobile``, ``street``), so the checks do not
depend on one doctype's nesting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from synthetic_data import french, parameters

E164_MOBILE = re.compile(r"^\+33(6\d{8}|7[3-9]\d{7})$")
MSISDN_MOBILE = re.compile(r"^33(6\d{8}|7[3-9]\d{7})$")
# "DE" or "DU" before a vowel, "DE LE", "DE LES": French elides or contracts these.
MISSING_ELISION = re.compile(r"\b(DE|DU) [AEIOUYÀÂÉÈÊÎÔ]|\bDE LES? ", re.IGNORECASE)
RURAL_TYPES = ("CHEMIN ", "ROUTE ", "LE BOURG", "LIEU-DIT")


@dataclass
class People:
    young: list[int] = field(default_factory=lambda: [0, 0])  # post-war names among born 2007+
    handset_ages: list[float] = field(default_factory=list)
    broken: dict[str, int] = field(default_factory=dict)

    def flag(self, what: str, n: int = 1) -> None:
        self.broken[what] = self.broken.get(what, 0) + n


@cache
def _postwar_only_names() -> frozenset[str]:
    """Names in the top 100 of the 1951-1970 births and outside the top 1,000 of 2001-2018."""
    old, new = set(), set()
    for sex in ("F", "M"):
        for year in (1955, 1965):
            old.update(n.upper() for n in french.ranked_first_names(sex, year)[:100])
        for year in (2005, 2015):
            new.update(n.upper() for n in french.ranked_first_names(sex, year)[:1000])
    return frozenset(old - new)


@cache
def _handset_years() -> dict[str, tuple[int, int]]:
    return {h["label"]: (h["year"], h["generation"])
            for h in parameters.load("telecom")["handsets"]}


def _walk(doc, key: str):
    """Every dict in ``doc`` (nested) that has ``key``."""
    stack = [doc]
    while stack:
        d = stack.pop()
        if isinstance(d, dict):
            if key in d:
                yield d
            stack.extend(d.values())
        elif isinstance(d, list):
            stack.extend(d)


def measure_household(acc: People, files: dict[str, list[dict]], year: int) -> None:
    postwar = _postwar_only_names()
    seen = set()
    for doctype, docs in files.items():
        if not doctype.startswith("fr.maif."):
            continue
        for person in (p for doc in docs for p in _walk(doc, "birthdate")):
            given = ((person.get("name") or {}).get("given") or "").upper()
            born = str(person.get("birthdate") or "")[:4]
            if not given or not born.isdigit() or (given, born) in seen:
                continue
            seen.add((given, born))
            if int(born) >= 2007:
                acc.young[1] += 1
                acc.young[0] += given in postwar
        for d in (d for doc in docs for d in _walk(doc, "telMobile")):
            if d["telMobile"] and not E164_MOBILE.match(d["telMobile"]):
                acc.flag("phone number not E.164 (+33 and 9 digits)")
        for d in (d for doc in docs for d in _walk(doc, "street")):
            street = str(d["street"])
            if MISSING_ELISION.search(street):
                acc.flag("street name without elision")
            postcode = str(d.get("postCode") or d.get("postcode") or d.get("postal_code") or "")
            if postcode.startswith("75") and any(t in street.upper() for t in RURAL_TYPES):
                acc.flag("Paris address on a rural street type")
    for d in files.get("fr.orange.videostream", []):
        title = str((d.get("content") or {}).get("title") or "")
        if MISSING_ELISION.search(title):
            acc.flag("VOD title without elision")
    lines: dict[str, tuple[str, set]] = {}
    for d in files.get("fr.orange.phonecommunicationlog", []):
        msisdn = str(d.get("msisdn", ""))
        label, nets = lines.setdefault(msisdn, (str(d.get("deviceLabel", "")), set()))
        nets.add(d.get("networkType"))
    for msisdn, (label, nets) in lines.items():
        if not MSISDN_MOBILE.match(msisdn):
            acc.flag("MSISDN not a French mobile (33 6… / 33 73-79…)")
        known = _handset_years().get(label)
        if known is None:
            continue
        acc.handset_ages.append(year - known[0])
        if known[0] > year:
            acc.flag("handset logged before the model came out")
        if known[1] < 4 and "4G" in nets:
            acc.flag("3G-only handset logging 4G")


CHECKS = ("phone number not E.164 (+33 and 9 digits)",
          "MSISDN not a French mobile (33 6… / 33 73-79…)", "street name without elision",
          "Paris address on a rural street type",
          "VOD title without elision", "handset logged before the model came out",
          "3G-only handset logging 4G")
