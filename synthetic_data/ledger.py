"""The household's money movements, as the sources that cause them publish them.

A source that bills the household (a supplier's bill, an insurance premium, a season pass) or
that records a purchase (a till receipt, an online order) publishes one :class:`Payment` per
movement into ``ctx.shared[LEDGER]``. The bank source runs after all of them and turns every
published payment into an ``io.cozy.bank.operations`` document, so each bill, premium and receipt
has its debit, to the cent, on the day the payment terms say. Sources never write bank documents
themselves: the bank owns the statement (labels, accounts, balances, categories).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from synthetic_data.context import SourceContext

LEDGER = "ledger"

# How the money moved; the bank source labels each kind the way French statements do
# (``PRLV SEPA <creditor>``, ``CB <merchant> <dd/mm>``, ``VIR SEPA <name>``, ``RETRAIT DAB``).
KINDS = ("direct_debit", "card", "transfer_in", "transfer_out", "atm", "check")


@dataclass(slots=True)
class Payment:
    """One movement on the household's checking account, from the household's side. Not
    frozen: a household publishes hundreds, and a frozen dataclass costs four times as much to
    build; no one changes one once published."""

    day: date                 # the day the account is debited or credited (``date`` of the op)
    amount: float             # signed euros, 2 decimals: debit < 0, credit > 0
    kind: str                 # one of KINDS
    counterparty: str         # creditor or merchant as the statement prints it: "EDF", "ORANGE"
    category: str             # cozy-banks category id ("401080" energy, "400150" telecom...)
    source: str               # the publishing source module ("energy_supplier", "water"...)
    reference: str = ""       # what the payment settles: a bill's vendorRef, a receipt id...
    vendor: str = ""          # the ``io.cozy.bills`` vendor it settles, when it settles a bill
    when: datetime | None = None  # local instant of a card purchase (realisationDate), if any
    city: str = ""            # where a card purchase happened, as the label prints it
    latitude: float | None = None   # the merchant's position, for card purchases
    longitude: float | None = None
    member: int = 0           # index in ``household.members`` of the card holder / payer


def publish(ctx: SourceContext, payment: Payment) -> None:
    """Add ``payment`` to the household's ledger (checked: a bad payment is a generator bug)."""
    if payment.kind not in KINDS:
        raise ValueError(f"unknown payment kind {payment.kind!r}; expected one of {KINDS}")
    if round(payment.amount, 2) != payment.amount or payment.amount == 0:
        raise ValueError(f"payment amount must be non-zero whole cents, got {payment.amount!r}")
    ctx.shared.setdefault(LEDGER, []).append(payment)


def payments(ctx: SourceContext) -> list[Payment]:
    """Everything published so far, in publication order."""
    return list(ctx.shared.get(LEDGER, ()))


# The cozy-banks category of a bill's debit, by ``io.cozy.bills`` type (crossing-sources §1.3).
BILL_CATEGORIES = {
    "energy": "401080",     # Electricité, gaz, chauffage
    "water": "401070",      # Eau
    "phone": "400150",      # Internet, TV, télécom
    "insurance": "401040",  # Assurance habitation (MAIF's home and car premiums are one debit)
}


def publish_bill(ctx: SourceContext, bill: dict, *, source: str, day: date | None = None,
                 counterparty: str | None = None) -> None:
    """The direct debit (or, for a refund, the transfer) that settles ``bill``: its amount to the
    cent on ``day`` (default: the bill's ``date``, the debit date as konnectors save it). Nothing
    is published when that day is past the data's end: the bank has not moved the money yet."""
    day = day or date.fromisoformat(bill["date"][:10])
    if not ctx.period.start <= day < ctx.period.end:
        return
    refund = bool(bill.get("isRefund"))
    publish(ctx, Payment(
        day=day, amount=round(bill["amount"] if refund else -bill["amount"], 2),
        kind="transfer_in" if refund else "direct_debit",
        counterparty=counterparty or bill["vendor"].upper(),
        category=BILL_CATEGORIES.get(bill.get("type", ""), "0"), source=source,
        reference=bill.get("vendorRef", ""), vendor=bill["vendor"]))
