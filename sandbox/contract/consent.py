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

from collections.abc import Callable
from dataclasses import dataclass

from sandbox.contract import doctypes
from sandbox.contract.permissions import ALL, Rule

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a message for the pages' catalogues (sandbox/webkit/locales); the callers pass
    their language's ``gettext`` to the functions below (English without one)."""
    return message


def _same(message: str) -> str:
    return message


DOCTYPES = {
    "fr.orange.phonecommunicationlog": N_("your phone calls and text messages (Orange)"),
    "fr.orange.geopoint": N_("where your phone was, about every 30 minutes (Orange)"),
    "fr.orange.videostream": N_("the videos you ordered and watched on your TV box (Orange)"),
    "fr.enedis.api.meteringdata.loadcurve": N_("your electricity use every half-hour (Linky)"),
    "fr.enedis.api.meteringdata.energy": N_("your electricity use per day (Linky)"),
    "fr.enedis.api.meteringdata.maxpower": N_("your peak electrical power per day (Linky)"),
    "fr.enedis.api.customers.identity": N_("your name as Enedis knows it"),
    "fr.enedis.api.customers.usagepointaddress": N_("the address of your electricity meter"),
    "fr.enedis.api.customers.usagepoints": N_("your electricity meter and subscribed power"),
    "org.fing.mesinfos.consumptionstatement": N_("your electricity, gas and water readings"),
    "org.fing.mesinfos.client": N_("your customer records at your energy, gas and water suppliers"),
    "org.fing.mesinfos.contract": N_("your energy contracts"),
    "org.fing.mesinfos.paymentterms": N_("how you pay your energy bills"),
    "org.fing.mesinfos.home": N_("your home's energy profile (type, surface, heating)"),
    "io.cozy.bills": N_("your bills (energy, water, phone and internet, insurance)"),
    "fr.maif.maifuser.contrat": N_("your insurance contracts (MAIF)"),
    "fr.maif.maifuser.home": N_("your insured home (MAIF)"),
    "fr.maif.maifuser.foyer": N_("the members of your household (MAIF)"),
    "fr.maif.maifuser.societaire": N_("your member record (MAIF)"),
    "fr.maif.maifuser.paymentterms": N_("how you pay your insurance (MAIF, includes your IBAN)"),
    "fr.maif.maifuser.sinistre": N_("your insurance claims (MAIF)"),
    "org.selfdata.transport.validation": N_(
        "where and when you took public transport (TCL card validations)"),
    "org.selfdata.receipt": N_(
        "your grocery receipts: what you bought, where and when, and what you paid"),
    "org.selfdata.laposte.parcel": N_(
        "the tracking of the parcels sent to you (Colissimo), with your address"),
    "org.selfdata.groundtruth.event": N_("the organisers' answer key of events in your data"),
    "io.cozy.doctypes": N_("the list of the kinds of data in your cloud"),
    "io.cozy.journal": N_("the journal of who read your data"),
    # the stack's doctypes that apps may ask for (sandbox.contract.doctypes.STACK)
    "io.cozy.files": N_("files in your Drive (bills as PDFs, documents you keep)"),
    "io.cozy.notifications": N_("notifications to you from the app"),
    "io.cozy.settings": N_("your cloud's settings (language, time zone, your name and e-mail)"),
    "io.cozy.apps": N_("the list of apps installed in your cloud"),
    "io.cozy.apps.suggestions": N_("the apps suggested to you"),
    "io.cozy.konnectors": N_("the list of connectors installed in your cloud"),
    "io.cozy.jobs": N_("background tasks of your cloud (e-mails to you, connector runs)"),
    "io.cozy.triggers": N_("schedules of background tasks (when connectors run)"),
    "io.cozy.accounts": N_("your connector accounts (which services your cloud collects from)"),
    "io.cozy.bank.operations": N_("your bank transactions"),
    "io.cozy.bank.accounts": N_("your bank accounts and their balances"),
    "io.cozy.bank.accounts.stats": N_("statistics on your bank accounts"),
    "io.cozy.bank.balancehistories": N_("the daily balances of your bank accounts"),
    "io.cozy.bank.groups": N_("your groups of bank accounts"),
    "io.cozy.bank.recurrence": N_("your recurring bank transactions"),
    "io.cozy.bank.recipients": N_("the recipients of your bank transfers"),
    "io.cozy.bank.settings": N_("the settings of your banking app"),
    "io.cozy.contacts": N_("your contacts (names, phone numbers, addresses)"),
    "io.cozy.contacts.groups": N_("your groups of contacts"),
    "io.cozy.identities": N_("who you are, as your connectors found it (name, address)"),
    "io.cozy.tags": N_("the tags on your documents"),
    "io.cozy.photos.albums": N_("your photo albums"),
    "io.cozy.timeseries.geojson": N_("your trips, as time series of places"),
}

SENSITIVE = frozenset({"fr.orange.geopoint", "fr.orange.phonecommunicationlog",
                       "fr.maif.maifuser.paymentterms", "io.cozy.bank.operations",
                       "io.cozy.bank.accounts", "io.cozy.bank.recipients", "io.cozy.contacts",
                       "io.cozy.files", "io.cozy.timeseries.geojson",
                       "org.selfdata.transport.validation"})
# Writes that act rather than change data: the stack sends the notification itself.
ACTIONS = {"io.cozy.notifications": N_("Send you notifications")}
_ACTIONS = ("read", "create", "change", "delete")
_WORDS = {"GET": N_("read"), "POST": N_("create"), "PUT": N_("change"),
          "PATCH": N_("change"), "DELETE": N_("delete")}


@dataclass(frozen=True)
class RuleInWords:
    sentence: str
    doctype: str
    sensitive: bool
    writes: bool


def doctype_in_words(doctype: str, _: Gettext = _same) -> str:
    if doctype in DOCTYPES:
        return _(DOCTYPES[doctype])
    if doctypes.is_wildcard(doctype):
        return _("every kind of data under %(prefix)s") % {"prefix": doctype[:-2]}
    return _("data of type %(doctype)s") % {"doctype": doctype}


def rule_in_words(rule: Rule, _: Gettext = _same) -> RuleInWords:
    """The sentence a tester reads for ``rule``, in the language of ``_`` (a gettext)."""
    if rule.type in ACTIONS and rule.verbs <= {"GET", "POST"}:
        sentence = _(ACTIONS[rule.type])
        if "GET" in rule.verbs:
            sentence = _("%(action)s and read them") % {"action": sentence}
        return RuleInWords(sentence, rule.type, False, rule.writes)
    if rule.verbs == ALL:
        action = _("Read, create, change and delete")
    elif rule.verbs == {"GET"}:
        action = _("Read")
    else:
        parts = sorted({_WORDS[v] for v in rule.verbs}, key=_ACTIONS.index)
        action = ", ".join(_(p) for p in parts).capitalize()
    scope = ""
    if rule.values:
        values = ", ".join(rule.values[:5])
        scope = (_(" where %(field)s is %(values)s") % {"field": rule.selector, "values": values}
                 if rule.selector else _(" with id %(values)s") % {"values": values})
    sentence = _("%(action)s %(data)s") % {"action": action,
                                           "data": doctype_in_words(rule.type, _)}
    return RuleInWords(sentence + scope, rule.type, rule.type in SENSITIVE, rule.writes)


@dataclass(frozen=True)
class UsageLabel:
    grade: str
    summary: str
    sentences: tuple[str, ...]

    @property
    def registry_label(self) -> int:
        """The grade as cozy-apps-registry's ``label`` number (A = 5 ... E = 1)."""
        return 5 - "ABCDE".index(self.grade)


def usage_label(rules: list[Rule], slug: str, _: Gettext = _same) -> UsageLabel:
    reads = {r.type for r in rules if "GET" in r.verbs}
    writes = {r.type for r in rules if r.writes}
    foreign_writes = {d for d in writes if not doctypes.is_own(d, slug) and d not in ACTIONS}
    sensitive = reads & SENSITIVE
    sentences = tuple(rule_in_words(r, _).sentence for r in rules)
    if any(r.wildcard for r in rules):
        return UsageLabel("E", _("asks for whole families of data at once"), sentences)
    if len(sensitive) >= 2 or foreign_writes:
        why = (N_("changes data it does not own") if foreign_writes
               else N_("reads several kinds of sensitive data"))
        return UsageLabel("D", _(why), sentences)
    if sensitive:
        return UsageLabel("C", _("reads one kind of sensitive data"), sentences)
    ordinary = reads - SENSITIVE
    if len(ordinary) >= 3 or writes:
        own, notifies = bool(writes - ACTIONS.keys()), bool(writes & ACTIONS.keys())
        summary = (N_("reads several kinds of data, stores its own results, sends you "
                      "notifications") if own and notifies else
                   N_("reads several kinds of data, stores its own results") if own else
                   N_("reads several kinds of data, sends you notifications") if notifies else
                   N_("reads several kinds of data"))
        return UsageLabel("B", _(summary), sentences)
    return UsageLabel("A", _("reads little data and changes nothing"), sentences)
