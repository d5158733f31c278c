"""The MesInfos client record (``org.fing.mesinfos.client``): who holds a utility contract.

The kit's only sample is EDF's; the pilot's catalogue lists the same doctype for the water
utility ("Client Eau du Grand Lyon") and for GRDF ("Client GrDF"). Every supplier's record is
built here in that one shape, so they differ only by what each supplier knows.
"""

from __future__ import annotations

from synthetic_data.household import Household

CLIENT = "org.fing.mesinfos.client"


def client_record(hh: Household, *, vendor: str, client_id: str, account: str,
                  contact: dict) -> dict:
    """The holder (the household's main member, the spouse as co-holder), the dwelling's address
    and the supplier's customer service ``contact`` (``title``, ``phone``, ``address`` with
    ``street``, ``postcode``, ``city``), in the kit's field order and upper-case style."""
    a, m = hh.address, hh.main
    given, family = m.given.upper(), m.family.upper()
    doc = {
        "vendor": vendor,
        "clientId": client_id,
        "numeroAcc": account,
        "address": {"street": a.line, "city": a.city, "postcode": a.postcode,
                    "country": a.country, "formated": f"{a.line}\n{a.postcode} {a.city}"},
        "name": {"prefix": m.title.rstrip(".").upper(), "family": family, "given": given,
                 "formated": f"{given} {family}"},
    }
    if m.email:
        doc["email"] = m.email
        doc["loginEmail"] = m.email
    if m.msisdn:
        doc["telMobile"] = "0" + m.msisdn[2:]
    partner = next((x for x in hh.members if x.role == "Conjoint"), None)
    if partner:
        doc["coHolder"] = {"family": partner.family.upper(), "given": partner.given.upper(),
                           "formated": f"{partner.given} {partner.family}".upper()}
    ca = contact["address"]
    doc["commercialContact"] = {
        "title": contact["title"], "phone": contact["phone"],
        "address": {"formated": f"{ca['street']}\n{ca['postcode']} {ca['city']}", **ca}}
    return doc
