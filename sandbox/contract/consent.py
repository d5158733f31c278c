"""What an app asks for, in the words a tester reads before consenting, and its data-use label.

The label grades an app's permissions (after Cozy's A-E labels):
- A: reads one or two ordinary kinds of data, writes nothing;
- B: reads three or more ordinary kinds, writes only its own data, or sends notifications;
- C: reads one sensitive kind (where the phone was, calls and texts, bank details, contacts,
  the files of the Drive);
- D: reads several sensitive kinds, or changes data it does not own;
- E: asks for a whole family of doctypes at once (a wildcard).
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.contract import doctypes
from sandbox.contract.permissions import ALL, Rule

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
    # the stack's doctypes that apps may ask for (sandbox.contract.doctypes.STACK)
    "io.cozy.files": "files in your Drive (bills as PDFs, documents you keep)",
    "io.cozy.notifications": "notifications to you from the app",
    "io.cozy.settings": "your cloud's settings (language, time zone, your name and e-mail)",
    "io.cozy.apps": "the list of apps installed in your cloud",
    "io.cozy.apps.suggestions": "the apps suggested to you",
    "io.cozy.konnectors": "the list of connectors installed in your cloud",
    "io.cozy.jobs": "background tasks of your cloud (e-mails to you, connector runs)",
    "io.cozy.triggers": "schedules of background tasks (when connectors run)",
    "io.cozy.accounts": "your connector accounts (which services your cloud collects from)",
    "io.cozy.bank.operations": "your bank transactions",
    "io.cozy.bank.accounts": "your bank accounts and their balances",
    "io.cozy.bank.accounts.stats": "statistics on your bank accounts",
    "io.cozy.bank.balancehistories": "the daily balances of your bank accounts",
    "io.cozy.bank.groups": "your groups of bank accounts",
    "io.cozy.bank.recurrence": "your recurring bank transactions",
    "io.cozy.bank.recipients": "the recipients of your bank transfers",
    "io.cozy.bank.settings": "the settings of your banking app",
    "io.cozy.contacts": "your contacts (names, phone numbers, addresses)",
    "io.cozy.contacts.groups": "your groups of contacts",
    "io.cozy.identities": "who you are, as your connectors found it (name, address)",
    "io.cozy.tags": "the tags on your documents",
    "io.cozy.photos.albums": "your photo albums",
    "io.cozy.timeseries.geojson": "your trips, as time series of places",
}

SENSITIVE = frozenset({"fr.orange.geopoint", "fr.orange.phonecommunicationlog",
                       "fr.maif.maifuser.paymentterms", "io.cozy.bank.operations",
                       "io.cozy.bank.accounts", "io.cozy.bank.recipients", "io.cozy.contacts",
                       "io.cozy.files", "io.cozy.timeseries.geojson"})
# Writes that act rather than change data: the stack sends the notification itself.
ACTIONS = {"io.cozy.notifications": "Send you notifications"}
_ACTIONS = ("read", "create", "change", "delete")
_WORDS = {"GET": "read", "POST": "create", "PUT": "change", "PATCH": "change",
          "DELETE": "delete"}


@dataclass(frozen=True)
class RuleInWords:
    sentence: str
    doctype: str
    sensitive: bool
    writes: bool


def doctype_in_words(doctype: str) -> str:
    if doctype in DOCTYPES:
        return DOCTYPES[doctype]
    if doctypes.is_wildcard(doctype):
        return f"every kind of data under {doctype[:-2]}"
    return f"data of type {doctype}"


def rule_in_words(rule: Rule) -> RuleInWords:
    if rule.type in ACTIONS and rule.verbs <= {"GET", "POST"}:
        sentence = ACTIONS[rule.type] + (" and read them" if "GET" in rule.verbs else "")
        return RuleInWords(sentence, rule.type, False, rule.writes)
    if rule.verbs == ALL:
        action = "Read, create, change and delete"
    elif rule.verbs == {"GET"}:
        action = "Read"
    else:
        parts = sorted({_WORDS[v] for v in rule.verbs}, key=_ACTIONS.index)
        action = ", ".join(parts).capitalize()
    scope = ""
    if rule.values:
        scope = (f" where {rule.selector} is " if rule.selector else " with id ") + \
            ", ".join(rule.values[:5])
    return RuleInWords(f"{action} {doctype_in_words(rule.type)}{scope}", rule.type,
                       rule.type in SENSITIVE, rule.writes)


@dataclass(frozen=True)
class UsageLabel:
    grade: str
    summary: str
    sentences: tuple[str, ...]

    @property
    def registry_label(self) -> int:
        """The grade as cozy-apps-registry's ``label`` number (A = 5 ... E = 1)."""
        return 5 - "ABCDE".index(self.grade)


def usage_label(rules: list[Rule], slug: str) -> UsageLabel:
    reads = {r.type for r in rules if "GET" in r.verbs}
    writes = {r.type for r in rules if r.writes}
    foreign_writes = {d for d in writes if not doctypes.is_own(d, slug) and d not in ACTIONS}
    sensitive = reads & SENSITIVE
    sentences = tuple(rule_in_words(r).sentence for r in rules)
    if any(r.wildcard for r in rules):
        return UsageLabel("E", "asks for whole families of data at once", sentences)
    if len(sensitive) >= 2 or foreign_writes:
        why = ("changes data it does not own" if foreign_writes
               else "reads several kinds of sensitive data")
        return UsageLabel("D", why, sentences)
    if sensitive:
        return UsageLabel("C", "reads one kind of sensitive data", sentences)
    ordinary = reads - SENSITIVE
    if len(ordinary) >= 3 or writes:
        extra = [", stores its own results" if writes - ACTIONS.keys() else "",
                 ", sends you notifications" if writes & ACTIONS.keys() else ""]
        return UsageLabel("B", "reads several kinds of data" + "".join(extra), sentences)
    return UsageLabel("A", "reads little data and changes nothing", sentences)
