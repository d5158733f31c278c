"""The household's bank: ``io.cozy.bank.accounts`` and ``io.cozy.bank.operations``, as cozy-banks
reads them (crossing-sources.md §1–3).

Runs after every source that publishes payments into the ledger (``ledger.py``): each published
payment becomes one operation, to the cent, on its day (card purchases: ``realisationDate`` the
purchase day, ``date`` the posting day 1–3 days later). The bank adds what only it knows
(``bank_flows.py``: pay, pensions, benefits, rent or mortgage, taxes, health cover, cash, fees, a
one-off expense) and the moves between the checking and the savings account, which its own
simulation sizes so the checking account stays above a small floor when savings allow.

Labels: ``originalBankLabel`` is the raw statement line in the shape of the household's bank
(``params/bank.toml [labels]``); ``label`` is the cleaned name aggregators show, and for a payment
that settles a bill it is the bill's vendor, so cozy-banks' matcher (``\\b<vendor>\\b`` or the
brand regex, on ``label``) finds it. The bank is the one MAIF debits (``maif.payment_account``):
the checking account's IBAN is the one in MAIF's payment terms.
"""

from __future__ import annotations

import string
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic_data import parameters
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col
from synthetic_data.drive import doc_id
from synthetic_data.ledger import Payment, payments
from synthetic_data.sources import bank_flows, maif
from synthetic_data.sources.bank_flows import Flow

ACCOUNTS = "io.cozy.bank.accounts"
OPERATIONS = "io.cozy.bank.operations"
DOCTYPES = (ACCOUNTS, OPERATIONS)
BANK = "bank"  # ctx.shared key: what the statement holds, for the sources and tests after it

# ledger kind → io.cozy.bank.operations ``type`` (DT's list) and label template
OPTYPES = {"direct_debit": "direct debit", "card": "credit card", "transfer_in": "transfer",
           "transfer_out": "transfer", "atm": "cash", "check": "check"}


@dataclass(frozen=True)
class Opening:
    checking: int   # cents
    savings: int


def _p() -> dict:
    return parameters.load("bank")


@lru_cache(maxsize=4096)
def ascii_upper(text: str) -> str:
    """As a statement prints a name: upper-case ASCII, accents dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def _h(text: str, digits: int) -> str:
    """Stable digits from a text (creditor ids, mandate references)."""
    return f"{zlib.crc32(text.encode()) % 10**digits:0{digits}d}"


@lru_cache(maxsize=1024)
def ics(creditor: str) -> str:
    """A SEPA creditor identifier of the French form FRkkZZZnnnnnn (check digits not computed)."""
    return f"FR{_h(creditor + 'k', 2)}ZZZ{_h(creditor, 6)}"


def bank_of(ctx: SourceContext) -> tuple[str, dict, str, str]:
    """The household's bank code, its params entry, and the checking account's branch and
    number: the account MAIF debits."""
    _, k, branch, account = maif.payment_account(ctx)
    code = parameters.load("insurance")["payment"]["bank_codes"][k]
    return code, _p()["banks"][code], branch, account


@lru_cache(maxsize=8192)
def _day_fields(t: date) -> dict[str, str]:
    """A day as the labels print it (cached: a statement repeats its days)."""
    d, m, y = f"{t.day:02d}", f"{t.month:02d}", f"{t.year % 100:02d}"  # f-strings: no strftime
    return {"d6": d + m + y, "dm": f"{d}/{m}", "d8": f"{d}/{m}/{y}", "d8p": f"{d}.{m}.{y}",
            "dd4": d + m, "ddash": f"{d}-{m}"}


def _date_fields(day: date, when: datetime | None) -> dict[str, str]:
    if when is None:
        return {**_day_fields(day), "hm": "00h00"}
    return {**_day_fields(when.date()), "hm": f"{when.hour:02d}h{when.minute:02d}"}


DATE_KEYS = frozenset(_date_fields(date(2000, 1, 1), None))


@lru_cache(maxsize=256)
def _keys(template: str) -> tuple[frozenset[str], bool]:
    """The placeholders a label template uses (only those are worked out per line), and
    whether any is a date."""
    keys = frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
    return keys, bool(keys & DATE_KEYS)


def statement_label(templates: dict, template: str, *, day: date, when: datetime | None,
                    who: str = "", merchant: str = "", city: str = "", motif: str = "",
                    ref: str = "", card: str = "", bin4: str = "") -> str:
    tpl = templates[template]
    keys, dated = _keys(tpl)
    values = _date_fields(day, when) if dated else {}
    if "who" in keys:
        values["who"] = ascii_upper(who)
    if "merchant" in keys:
        values["merchant"] = ascii_upper(merchant or who)
    if "city" in keys:
        values["city"] = ascii_upper(city)
    if "motif" in keys:
        values["motif"] = ascii_upper(motif)
    if "ics" in keys:
        values["ics"] = ics(who)
    values["ref"], values["card"], values["bin"] = ref, card, bin4
    text = tpl.format_map(values)
    if "  " in text or text[:1] == " " or text[-1:] == " ":  # an empty field: one space
        return " ".join(text.split())
    return text


def _row(day: date, amount: float, account: str, label: str, original: str, optype: str,
         category: str, realised: date | None = None) -> tuple:
    return (day, round(amount * 100), account, label, original, optype, category, realised)


def _ledger_rows(ctx: SourceContext, templates: dict, card: str, bin4: str,
                 rng: np.random.Generator) -> list[tuple]:
    lo, hi = _p()["card"]["posting_days"]
    last = ctx.period.end - timedelta(days=1)
    pays = payments(ctx)
    posting = rng.integers(lo, hi + 1, len(pays)).tolist()
    rows: list = [None] * len(pays)
    cards = [i for i, pay in enumerate(pays) if pay.kind == "card"]
    for i, row in zip(cards, _card_rows([pays[i] for i in cards], [posting[i] for i in cards],
                                        templates["card"], card, bin4, last), strict=True):
        rows[i] = row
    for i, pay in enumerate(pays):
        if rows[i] is None:
            rows[i] = _payment_row(pay, templates, card, bin4)
    return rows


def _card_field(name: str, pays: list[Payment], realised: list[date], card: str,
                bin4: str) -> list[str] | str:
    """One placeholder of the card label template, for every card payment (as
    :func:`statement_label` fills it)."""
    if name in DATE_KEYS and name != "hm":
        return [_day_fields(r)[name] for r in realised]
    match name:
        case "hm":
            return [f"{p.when.hour:02d}h{p.when.minute:02d}" if p.when else "00h00"
                    for p in pays]
        case "who" | "merchant":
            return [ascii_upper(p.counterparty) for p in pays]
        case "city":
            return [ascii_upper(p.city) for p in pays]
        case "motif":
            return [ascii_upper(p.reference or p.counterparty) for p in pays]
        case "ref":
            return [p.reference or _h(p.counterparty, 8) for p in pays]
        case "ics":
            return [ics(p.counterparty) for p in pays]
        case "card":
            return card
        case "bin":
            return bin4
    raise KeyError(f"card label template: unknown placeholder {{{name}}}")


def _card_rows(pays: list[Payment], posting: list[int], template: str, card: str, bin4: str,
               last: date) -> list[tuple]:
    """The rows of card payments (what :func:`_payment_row` gives, for a whole year's at once:
    their statement labels are joined in Arrow from the template's pieces)."""
    if not pays:
        return []
    realised = [p.when.date() if p.when else p.day for p in pays]
    days = []
    for p, r, k in zip(pays, realised, posting, strict=True):
        day = p.day
        if day <= r:  # the publisher gave the purchase day: the bank posts it later
            day = min(r + timedelta(days=k), max(last, r))
        days.append(day)
    pieces: list = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if spec or conversion:
            raise ValueError(f"card label template {template!r}: plain {{name}} fields only")
        if literal:
            pieces.append(literal)
        if name:
            value = _card_field(name, pays, realised, card, bin4)
            pieces.append(value if isinstance(value, str) else pa.array(value, pa.string()))
    if not any(isinstance(x, pa.Array) for x in pieces):
        pieces.append(pa.array([""] * len(pays), pa.string()))
    text = pc.binary_join_element_wise(*pieces, "")
    originals = [" ".join(t.split()) if "  " in t or t[:1] == " " or t[-1:] == " " else t
                 for t in text.to_pylist()]  # an empty field: one space
    optype = OPTYPES["card"]
    return [(day, round(p.amount * 100), "checking",
             p.vendor or (f"{p.counterparty} {ascii_upper(p.city)}" if p.city
                          else p.counterparty),
             original, optype, p.category, r)
            for p, day, r, original in zip(pays, days, realised, originals, strict=True)]


TEMPLATE_OF = {"transfer_out": "transfer_out", "transfer_in": "transfer_in",
               "atm": "atm", "check": "fee"}


def _payment_row(pay: Payment, templates: dict, card: str, bin4: str) -> tuple:
    """The row of a payment other than by card (those are :func:`_card_rows`')."""
    template = TEMPLATE_OF.get(pay.kind, "direct_debit")
    motif = pay.reference or pay.counterparty
    original = statement_label(templates, template, day=pay.day, when=pay.when,
                               who=pay.counterparty, merchant=pay.counterparty, city=pay.city,
                               motif=motif, ref=pay.reference or _h(motif, 8), card=card,
                               bin4=bin4)
    if pay.kind == "check":
        original = f"CHEQUE {_h(pay.reference or motif, 7)}"
    return _row(pay.day, pay.amount, "checking", pay.vendor or pay.counterparty, original,
                OPTYPES[pay.kind], pay.category)


def _flow_row(f: Flow, templates: dict, card: str, bin4: str) -> tuple:
    original = statement_label(templates, f.template, day=f.when.date() if f.when else f.day,
                               when=f.when, who=f.who, merchant=f.merchant, city=f.city,
                               motif=f.motif, ref=f.ref or _h(f.who + f.motif, 8), card=card,
                               bin4=bin4)
    return _row(f.day, f.amount, "checking", f.label, original, f.optype, f.category,
                f.when.date() if f.when and f.template in ("card", "atm") else None)


def _savings_moves(ctx: SourceContext, rows: list[tuple], income: float, opening: Opening,
                   rng: np.random.Generator, templates: dict) -> list[tuple]:
    """The standing order to savings on the 2nd of each month, resized when the checking account
    would drop under the floor (money back from savings, as far as it goes) or sit above
    ``high_months`` of income; then the yearly interest on the savings account."""
    s = _p()["savings"]
    n = ctx.period.n_days
    start = ctx.period.start.toordinal()
    idx = np.array([r[0].toordinal() for r in rows], dtype=np.int64) - start
    cents = np.array([r[1] for r in rows], dtype=np.int64)
    daily = np.bincount(idx, weights=cents, minlength=n).astype(np.int64) if len(rows) else \
        np.zeros(n, dtype=np.int64)
    cum = np.concatenate([[0], np.cumsum(daily)])  # cum[i]: flows of days < i
    standing = int(round(income * float(rng.uniform(*s["standing_share"])) / 10) * 1000)
    floor, high = int(s["floor"] * 100), int(income * s["high_months"] * 100)
    on = ctx.period.days  # datetime64[D]: the day of the month is the offset from its first
    days = np.flatnonzero((on - on.astype("datetime64[M]")).astype(np.int64)
                          == s["day"] - 1).tolist()
    moved, saved = 0, opening.savings
    out, savings_day = [], np.zeros(n, dtype=np.int64)
    for k, t in enumerate(days):
        end = days[k + 1] if k + 1 < len(days) else n
        bal = opening.checking + moved + int(cum[t])
        rel = cum[t + 1:end + 1] - cum[t]
        low, close = min(0, int(rel.min())), int(rel[-1])
        x = standing
        if bal - x + close > high:
            x = bal + close - high
        x = min(x, bal + low - floor)
        x = (x // 1000) * 1000  # whole tens of euros
        x = max(x, -saved)
        if x == 0:
            continue
        moved -= x
        saved += x
        savings_day[t] += x
        day = ctx.period.start + timedelta(days=t)
        ym = f"{day:%m/%Y}"
        if x > 0:
            out.append((day, -x, "checking", "VIREMENT VERS LIVRET A",
                        statement_label(templates, "internal_out", day=day, when=None,
                                        who="LIVRET A", motif=f"EPARGNE {ym}", ref=_h(ym, 8)),
                        "internal transfer", "600110", None))
            out.append((day, x, "savings", "VIREMENT DU COMPTE COURANT", "VIR CPTE A CPTE RECU",
                        "internal transfer", "600110", None))
        else:
            out.append((day, -x, "checking", "VIREMENT DU LIVRET A",
                        statement_label(templates, "internal_in", day=day, when=None,
                                        who="LIVRET A", motif=f"RETRAIT EPARGNE {ym}",
                                        ref=_h(ym, 8)),
                        "internal transfer", "600110", None))
            out.append((day, x, "savings", "VIREMENT VERS COMPTE COURANT", "VIR CPTE A CPTE EMIS",
                        "internal transfer", "600110", None))
    out.extend(_interest(ctx, savings_day, opening.savings))
    return out


def _interest(ctx: SourceContext, moves: np.ndarray, opening: int) -> list[tuple]:
    """Interest credited on 31 December on each day's balance at that day's rate (the
    fortnightly rule of the Livret A is not modelled)."""
    s = _p()["savings"]
    per = ctx.period
    days = per.days
    starts = np.array(s["rate_from"], dtype="datetime64[D]")
    rate = np.asarray(s["rate_values"])[np.searchsorted(starts, days, side="right") - 1]
    balance = opening + np.cumsum(moves)
    out = []
    for y in range(per.start.year, per.end.year + 1):
        credit = date(y, 12, 31)
        if not per.start <= credit < per.end:
            continue
        in_year = (days >= np.datetime64(date(y, 1, 1))) & (days <= np.datetime64(credit))
        cents = round(float(np.sum(balance[in_year] * rate[in_year]) / 365.0))
        if cents > 0:
            balance[per.days >= np.datetime64(credit)] += cents
            out.append((credit, cents, "savings", "INTERETS CREDITEURS",
                        f"INTERETS {y} LIVRET A", "deposit", "200130", None))
    return out


def _iso(day: date) -> str:
    return f"{day.isoformat()}T12:00:00.000Z"


OPERATION_SPEC = {
    "_id": Col("id"), "account": Col("account"), "amount": Col("amount", "cents"),
    "currency": "EUR", "date": Col("date"), "label": Col("label", "text"),
    "originalBankLabel": Col("original", "text"), "type": Col("type"),
    "automaticCategoryId": Col("category"), "cozyCategoryId": Col("category"),
    "cozyCategoryProba": Col("proba", "float"), "vendorId": Col("vendor_id"),
    "vendorAccountId": Col("vendor_account"),
    "realisationDate": Col("realised", optional=True),  # card purchases and withdrawals
}


def generate(ctx: SourceContext) -> list[Batch]:
    hh = ctx.household
    code, bank, branch, number = bank_of(ctx)
    templates = _p()["labels"][bank["family"]]
    rng = ctx.rng("bank")
    card = f"{int(rng.integers(0, 10000)):04d}"
    flows = bank_flows.draw(ctx, bank)
    rows = _ledger_rows(ctx, templates, card, bank["card_bin"], rng)
    rows += [_flow_row(f, templates, card, bank["card_bin"]) for f in flows.flows]
    s = _p()["savings"]
    income = max(flows.monthly_income, 800.0)
    opening = Opening(
        checking=round(income * float(rng.uniform(*s["opening_months"])) / 10) * 1000,
        savings=round(float(rng.lognormal(np.log(s["opening_median"] * income
                                                 / s["opening_median_income"]),
                                          s["opening_sigma"])) / 10) * 1000)
    rows += _savings_moves(ctx, rows, income, opening, rng, templates)
    rows.sort(key=lambda r: (r[0], r[2], -r[1], r[3]))

    savings_number = "".join(str(x) for x in rng.integers(0, 10, 11))
    accounts = {"checking": (number, "Checkings", "COMPTE CHEQUES", opening.checking),
                "savings": (savings_number, "Savings", "LIVRET A", opening.savings)}
    ids = {k: doc_id(ctx, f"bank/accounts/{v[0]}") for k, v in accounts.items()}
    proba = np.round(rng.uniform(0.55, 0.99, len(rows)), 3)
    (days, cents, account, label, original, optype, category, realised) = (
        zip(*rows, strict=True) if rows else ((),) * 8)
    amounts = np.array(cents, dtype=np.int64)
    totals = {k: v[3] + int(amounts[np.array(account) == k].sum()) if rows else v[3]
              for k, v in accounts.items()}
    iso: dict[date, str] = {}
    for d in (*days, *(r for r in realised if r is not None)):
        if d not in iso:
            iso[d] = _iso(d)
    prefix = _h(hh.instance, 6)
    base = doc_id(ctx, "bank/operations")[:24]  # + 8 hex digits of the line: unique, stable
    n = len(rows)
    ops = Batch.from_columns(OPERATIONS, OPERATION_SPEC, {
        "id": [f"{base}{i:08x}" for i in range(n)],
        "account": [ids[a] for a in account], "amount": amounts,
        "date": [iso[d] for d in days], "label": label, "original": original, "type": optype,
        "category": category, "proba": proba,
        "vendor_id": [f"{prefix}{i:06d}" for i in range(n)],
        "vendor_account": [accounts[a][0] for a in account],
        "realised": [None if r is None else iso[r] for r in realised]})
    docs = []
    for k, (acct, kind, name, _) in accounts.items():
        iban = maif.iban_fr(code, branch, acct)
        docs.append({
            "_id": ids[k], "label": f"{name} (x{acct[-4:]})", "shortLabel": name,
            "institutionLabel": bank["institution"], "type": kind,
            "balance": totals[k] / 100, "comingBalance": totals[k] / 100, "currency": "EUR",
            "number": acct, "iban": iban, "vendorId": f"{_h(hh.instance + k, 9)}",
            "cozyMetadata": {"createdByApp": bank["slug"]}})
    ctx.shared[BANK] = {"opening": opening, "accounts": ids, "events": flows.events,
                        "bank": bank["name"], "family": bank["family"]}
    ctx.timeline.events.extend(flows.events)
    ctx.timeline.events.sort(key=lambda e: (e.start, e.kind))
    return [Batch.from_dicts(ACCOUNTS, docs), ops]
