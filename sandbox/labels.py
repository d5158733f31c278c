"""Doctypes and permission rules in plain words, for consent pages and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.auth.permissions import VERBS, Rule

DOCTYPES = {
    "fr.orange.phonecommunicationlog": "your phone calls and text messages (Orange)",
    "fr.orange.geopoint": "where your phone was, about every 30 minutes (Orange)",
    "fr.orange.videostream": "the videos you ordered and watched on your TV box (Orange)",
    "fr.enedis.api.meteringdata.loadcurve": "your electricity use every half-hour (Linky)",
    "fr.enedis.api.meteringdata.energy": "your electricity use per day (Linky)",
    "fr.enedis.api.meteringdata.maxpower": "your peak electrical power per day (Linky)",
    "fr.enedis.api.customers.identity": "your name as Enedis knows it",
    "fr.enedis.api.customers.usagepointaddress": "the address of your electricity meter",
    "fr.enedis.api.customers.usagepoints": "your electricity meter and subscribed power",
    "org.fing.mesinfos.consumptionstatement": "your electricity, gas and water readings",
    "org.fing.mesinfos.client": "your customer record at your energy supplier",
    "org.fing.mesinfos.contract": "your energy contracts",
    "org.fing.mesinfos.paymentterms": "how you pay your energy bills",
    "org.fing.mesinfos.home": "your home's energy profile (type, surface, heating)",
    "io.cozy.bills": "your bills (energy, water, phone, insurance)",
    "fr.maif.maifuser.contrat": "your insurance contracts (MAIF)",
    "fr.maif.maifuser.home": "your insured home (MAIF)",
    "fr.maif.maifuser.foyer": "the members of your household (MAIF)",
    "fr.maif.maifuser.societaire": "your member record (MAIF)",
    "fr.maif.maifuser.paymentterms": "how you pay your insurance (MAIF, includes your IBAN)",
    "fr.maif.maifuser.sinistre": "your insurance claims (MAIF)",
    "org.selfdata.groundtruth.event": "the organisers' answer key of events in your data",
    "io.cozy.doctypes": "the list of the kinds of data in your cloud",
    "io.cozy.journal": "the journal of who read your data",
}

SENSITIVE = {"fr.orange.geopoint", "fr.orange.phonecommunicationlog",
             "fr.maif.maifuser.paymentterms"}


@dataclass(frozen=True)
class RuleInWords:
    sentence: str
    doctype: str
    sensitive: bool
    writes: bool


def doctype_in_words(doctype: str) -> str:
    if doctype in DOCTYPES:
        return DOCTYPES[doctype]
    if doctype.endswith(".*"):
        return f"every kind of data under {doctype[:-2]}"
    return f"data of type {doctype}"


def rule_in_words(rule: Rule) -> RuleInWords:
    verbs = rule.verbs
    if verbs == frozenset(VERBS):
        action = "Read, create, change and delete"
    elif verbs == {"GET"}:
        action = "Read"
    else:
        words = {"GET": "read", "POST": "create", "PUT": "change", "PATCH": "change",
                 "DELETE": "delete"}
        parts = sorted({words[v] for v in verbs}, key=["read", "create", "change",
                                                       "delete"].index)
        action = ", ".join(parts).capitalize()
    scope = ""
    if rule.values:
        scope = (f" where {rule.selector} is " if rule.selector else " with id ") + \
            ", ".join(rule.values[:5])
    return RuleInWords(f"{action} {doctype_in_words(rule.type)}{scope}", rule.type,
                       rule.type in SENSITIVE, bool(verbs - {"GET"}))
