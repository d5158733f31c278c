"""The bank statement: every bill and ledger payment as its operation, balances, labels, income
and housing coherent with the household, and cozy-banks' bill matching finding each debit."""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import pytest

from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.ledger import Payment, payments, publish
from synthetic_data.population import household_context
from synthetic_data.sources import bank, modules_for
from synthetic_data.sources.maif import iban_valid
from tests.support.households import SEED, YEAR, first_index, indices_where

ACCOUNTS, OPERATIONS, BILLS = bank.ACCOUNTS, bank.OPERATIONS, "io.cozy.bills"

# cozy-banks' category tree at HEAD (crossing-sources §1.3): every id an operation may carry.
TREE = {"0", "100", "200", "300", *(f"2001{k}0" for k in range(1, 10)),
        "400110", "400111", "400112", *(f"4001{k}0" for k in range(2, 10)),
        *(f"4002{k}" for k in ("05", "10", "20", "30", "40", "50", "60", "70", "80", "90")),
        *(f"4003{k}0" for k in range(1, 6)), *(f"4004{k}0" for k in range(1, 8)),
        *(f"4005{k}0" for k in range(1, 5)), "400610", "400620",
        *(f"4007{k}0" for k in range(1, 7)), *(f"4008{k}0" for k in range(1, 6)),
        *(f"4009{k}0" for k in range(1, 5)), *(f"4010{k}0" for k in range(1, 9)),
        *(f"6001{k}0" for k in range(1, 8))}
HEALTH = {"400610", "400620"}
# cozy-banks brands.json regexes for the vendors our bills carry; others fall back to the vendor.
BRANDS = {"EDF": r"\bedf\b", "Orange": r"\borange\b", "MAIF": r"\bmaif\b", "Sosh": r"\bsosh\b"}

# Statement lines as each bank family prints them (woob's parsers, crossing-sources §2.1),
# written independently of params/bank.toml.
FAMILY_LINES = {
    "bnp": [r"FACTURE CARTE DU \d{6} .+ CARTE \d{4}X{8}\d{4}",
            r"PRLV SEPA .+ ECH/\d{6} ID EMETTEUR/FR\d{2}ZZZ\d{6} MDT/.+",
            r"VIR SEPA RECU /DE .+ /MOTIF .+ /REF .+", r"VIREMENT SEPA EMIS /MOTIF .+ /BEN .+",
            r"VIR CPTE A CPTE (EMIS|RECU) /MOTIF .+",
            r"RETRAIT DAB \d{2}/\d{2}/\d{2} \d{2}h\d{2} \d+ BNP .+", r"COMMISSIONS .+",
            r"ECHEANCEPRET .+"],
    "sg": [r"CARTE X\d{4} \d{2}/\d{2} .+", r"PRELEVEMENT EUROPEEN .+ DE: .+ ID: FR\d{2}ZZZ\d+ .*",
           r"VIR RECU .+ DE: .+ MOTIF: .+", r"VIR POUR: .+ MOTIF: .+",
           r"CARTE X\d{4} RETRAIT DAB \d{2}/\d{2} \d{2}h\d{2} .+", r"FRAIS .+",
           r"ECHEANCE PRET .+"],
    "lbp": [r"ACHAT CB .+ \d{2}\.\d{2}\.\d{2} \d{4}", r"PRELEVEMENT DE .+",
            r"VIREMENT (DE|POUR) .+",
            r"RETRAIT DAB \d{2}/\d{2}/\d{2} \d{2}h\d{2} .+", r"FRAIS DE TENUE DE COMPTE.*",
            r"ECHEANCE PRET .+"],
    "cm": [r"PAIEMENT CB \d{4} .+ CARTE \d{4}", r"PRLV .+", r"VIR .+",
           r"RETRAIT DAB \d{4} .+ CARTE \*{4}\d{4}", r"F COTIS .+", r"REMBOURSEMENT PRET .+"],
    "ce": [r"CB .+ FACT \d{6}", r"PRLV .+", r"VIR .+", r"RET DAB \d{2}-\d{2} .+", r"FRAIS .+",
           r"ECH PRET .+ DU \d{2}/\d{2}/\d{2}"],
    "ca": [r"PAIEMENT PAR CARTE .+ \d{2}/\d{2}", r"PRELEVEMENT .+",
           r"VIREMENT (EN VOTRE FAVEUR|EMIS) .+", r"RETRAIT AU DISTRIBUTEUR .+ \d{2}/\d{2}",
           r"COTISATION .+", r"REMBOURSEMENT DE PRET .+"],
    "bourso": [r"CARTE \d{2}/\d{2}/\d{2} .+ CB\*\d{4}", r"PRLV SEPA .+", r"VIR SEPA .+",
               r"RETRAIT DAB \d{2}/\d{2}/\d{2} .+", r"FRAIS .+", r"Ech pret .+"],
}
SAVINGS_LINES = [r"VIR CPTE A CPTE (RECU|EMIS)", r"INTERETS \d{4} LIVRET A"]


@dataclass
class Run:
    ctx: SourceContext
    docs: dict[str, list[dict]]

    @property
    def ops(self) -> list[dict]:
        return self.docs[OPERATIONS]

    def account(self, kind: str) -> dict:
        return next(a for a in self.docs[ACCOUNTS] if a["type"] == kind)


def run(index: int, extra: tuple[Payment, ...] = ()) -> Run:
    """Every source of household ``index``, with ``extra`` payments published before the bank."""
    ctx = household_context(SEED, index, YEAR)
    batches: list[Batch] = []
    for mod in modules_for(ctx.household.partners):
        if mod is bank:
            for p in extra:
                publish(ctx, p)
        batches.extend(mod.generate(ctx))
    docs: dict[str, list[dict]] = {}
    for b in batches:
        docs.setdefault(b.doctype, []).extend(b.dicts())
    return Run(ctx, docs)


def _renter(hh, tl) -> bool:
    """a renter"""
    return not hh.dwelling.owner


def _owner(hh, tl) -> bool:
    """an owner"""
    return hh.dwelling.owner


def _retired(hh, tl) -> bool:
    """a retired member"""
    return any(m.profession_code == "78" for m in hh.members)


def _two_children(hh, tl) -> bool:
    """two children or more"""
    return sum(m.role == "Enfant" for m in hh.members) >= 2


def _two_earners(hh, tl) -> bool:
    """two working members"""
    return sum(m.works for m in hh.members) >= 2


@cache
def sweep() -> tuple[int, ...]:
    picks = {*indices_where(_renter, 2), *indices_where(_owner, 3), first_index(_retired),
             first_index(_two_children), first_index(_two_earners)}
    return tuple(sorted(picks))


@cache
def cached(index: int) -> Run:
    return run(index)


def _day(iso: str) -> date:
    return date.fromisoformat(iso[:10])


def _cents(x: float) -> int:
    return round(x * 100)


def linker_debit(bill: dict, ops: list[dict]) -> list[dict]:
    """cozy-banks' Linker (crossing-sources §1.5): the operations it may link ``bill`` to, best
    first (0.7 × |Δdays| + 0.3 × |Δamount|)."""
    refund = bool(bill.get("isRefund"))
    target = bill["amount"] if refund else -bill.get("originalAmount", bill["amount"])
    when = _day(bill.get("originalDate", bill["date"]) if not refund else bill["date"])
    vendor = bill["vendor"]
    # JavaScript's \b is ASCII-only; its /i flag folds accented letters too
    regex = re.compile(BRANDS.get(vendor, rf"\b{vendor}\b"), re.IGNORECASE)
    found = []
    for op in ops:
        d = _day(op.get("realisationDate") or op["date"])
        if ((op["amount"] > 0) != refund or abs(op["amount"] - target) > 0.001
                or not when - timedelta(days=15) <= d <= when + timedelta(days=29)
                or op["cozyCategoryId"] in HEALTH or not regex.search(op["label"])):
            continue
        found.append((0.7 * abs((d - when).days) + 0.3 * abs(op["amount"] - target), op))
    return [op for _, op in sorted(found, key=lambda x: x[0])]


@pytest.mark.parametrize("index", sweep())
def test_every_paid_bill_links_to_its_own_debit(index):
    r = cached(index)
    paid = {(p.vendor, p.reference): p for p in payments(r.ctx) if p.vendor}
    linked: set[str] = set()
    checked = 0
    for bill in r.docs.get(BILLS, []):
        pay = paid.get((bill["vendor"], bill.get("vendorRef", "")))
        if pay is None:  # debited after the data's end
            assert _day(bill["date"]) + timedelta(days=5) >= YEAR.end or bill["amount"] == 0
            continue
        best = linker_debit(bill, r.ops)
        assert best, f"no debit for {bill['vendor']} {bill['amount']} {bill['date'][:10]}"
        op = best[0]
        assert _day(op["date"]) == pay.day and _cents(op["amount"]) == _cents(pay.amount)
        assert op["_id"] not in linked, "two bills linked to one debit"
        linked.add(op["_id"])
        checked += 1
    assert checked >= 12  # a year of monthly bills at least


@pytest.mark.parametrize("index", sweep())
def test_every_ledger_payment_is_one_operation_same_cents_same_day(index):
    r = cached(index)
    _every_payment_has_its_operation(r)


def _every_payment_has_its_operation(r: Run) -> None:
    """Each ledger payment is one operation of the same cents and type, on its day (a card
    purchase: realisationDate its purchase day, date on or after the payment's day), labelled
    with its vendor or counterparty."""
    ops = Counter((_cents(o["amount"]), (o.get("realisationDate") or o["date"])[:10],
                   o["type"]) for o in r.ops)
    want = Counter((_cents(p.amount), (p.when.date() if p.kind == "card" and p.when else p.day)
                    .isoformat(), bank.OPTYPES[p.kind]) for p in payments(r.ctx))
    assert want and not want - ops
    for p in payments(r.ctx):
        day = (p.when.date() if p.kind == "card" and p.when else p.day).isoformat()
        assert any(_cents(o["amount"]) == _cents(p.amount)
                   and (o.get("realisationDate") or o["date"])[:10] == day
                   and _day(o["date"]) >= p.day and (p.vendor or p.counterparty) in o["label"]
                   for o in r.ops)


def test_a_published_card_payment_posts_after_the_purchase_with_its_merchant():
    index = sweep()[0]
    when = datetime(2024, 5, 17, 18, 42)
    pay = Payment(day=when.date(), amount=-63.27, kind="card", counterparty="CARREFOUR MARKET",
                  category="400110", source="test", when=when, city="Villeurbanne",
                  latitude=45.77, longitude=4.88)
    posted = Payment(day=date(2024, 6, 5), amount=-18.4, kind="card", counterparty="TOTAL",
                     category="400250", source="test", when=datetime(2024, 6, 3, 10, 5),
                     city="Lyon")
    r = run(index, (pay, posted))
    [fuel] = [o for o in r.ops if o["amount"] == -18.4 and o["label"].startswith("TOTAL")]
    assert fuel["date"][:10] == "2024-06-05" and fuel["realisationDate"][:10] == "2024-06-03"
    [op] = [o for o in r.ops if o["amount"] == -63.27 and "CARREFOUR MARKET" in o["label"]]
    assert op["realisationDate"][:10] == "2024-05-17"
    assert 1 <= (_day(op["date"]) - when.date()).days <= 3
    assert op["type"] == "credit card" and op["cozyCategoryId"] == "400110"
    assert "CARREFOUR MARKET" in op["originalBankLabel"]
    family = r.ctx.shared[bank.BANK]["family"]
    assert any(re.fullmatch(line, op["originalBankLabel"]) for line in FAMILY_LINES[family])
    assert op["account"] == r.account("Checkings")["_id"]
    _every_payment_has_its_operation(r)


@pytest.mark.parametrize("index", sweep())
def test_balances_are_the_opening_plus_every_operation_to_the_cent(index):
    r = cached(index)
    opening = r.ctx.shared[bank.BANK]["opening"]
    for kind, start in (("Checkings", opening.checking), ("Savings", opening.savings)):
        acc = r.account(kind)
        total = start + sum(_cents(o["amount"]) for o in r.ops if o["account"] == acc["_id"])
        assert _cents(acc["balance"]) == total
    assert {o["account"] for o in r.ops} <= {a["_id"] for a in r.docs[ACCOUNTS]}


@pytest.mark.parametrize("index", sweep())
def test_checking_account_overdraft_is_rare_and_shallow(index):
    r = cached(index)
    acc = r.account("Checkings")
    balance = r.ctx.shared[bank.BANK]["opening"].checking
    low, days_below = balance, 0
    by_day: dict[str, int] = Counter()
    for o in r.ops:
        if o["account"] == acc["_id"]:
            by_day[o["date"][:10]] += _cents(o["amount"])
    for day in sorted(by_day):
        balance += by_day[day]
        low = min(low, balance)
        days_below += balance < 0
    assert low > -50_000 and days_below <= 10


@pytest.mark.parametrize("index", sweep())
def test_accounts_have_valid_ibans_and_the_checking_one_is_maifs(index):
    r = cached(index)
    for acc in r.docs[ACCOUNTS]:
        assert iban_valid(acc["iban"]) and acc["iban"][14:25] == acc["number"]
        assert acc["label"].endswith(f"(x{acc['number'][-4:]})")
    terms = r.docs["fr.maif.maifuser.paymentterms"][0]["paymentterms"]
    assert terms["rib"]["iban"] == r.account("Checkings")["iban"]


@pytest.mark.parametrize("index", sweep())
def test_salaries_for_members_who_work_pensions_for_the_retired(index):
    r = cached(index)
    hh = r.ctx.household
    salaries = [o for o in r.ops if o["cozyCategoryId"] == "200110"]
    pensions = [o for o in r.ops if o["cozyCategoryId"] == "200190"]
    workers = sum(m.works for m in hh.members)
    retired = sum(m.profession_code == "78" for m in hh.members)
    assert len(salaries) == 12 * workers  # one pay a month each
    assert all(o["amount"] > 0 and "SALAIRE" in o["originalBankLabel"] for o in salaries)
    assert len(pensions) == 2 * 12 * retired  # basic and complementary, monthly
    kids = [m for m in hh.members if m.role == "Enfant" and m.age_on(YEAR.start) < 19]
    caf = [o for o in r.ops if o["cozyCategoryId"] == "200160"]
    assert bool(caf) == (len(kids) >= 2)


@pytest.mark.parametrize("index", sweep())
def test_rent_for_renters_mortgage_only_for_owners(index):
    r = cached(index)
    hh = r.ctx.household
    rent = [o for o in r.ops if o["cozyCategoryId"] == "401020"]
    loan = [o for o in r.ops if o["cozyCategoryId"] == "401010"]
    if hh.dwelling.owner:
        assert not rent
        assert len(loan) in (0, 12)
        if loan:  # bought at 50 at the latest, on 25 years at most
            assert hh.main.age_on(YEAR.start) < 50 + 25
        assert [o for o in r.ops if o["cozyCategoryId"] == "400540"]  # taxe foncière
    else:
        assert len(rent) == 12 and not loan
        assert len({o["amount"] for o in rent}) == 1
        assert 4 * hh.dwelling.surface < -rent[0]["amount"] < 40 * hh.dwelling.surface


@pytest.mark.parametrize("index", sweep())
def test_categories_are_in_cozy_banks_tree_and_shown(index):
    r = cached(index)
    for o in r.ops:
        assert o["automaticCategoryId"] in TREE and o["cozyCategoryId"] in TREE
        assert o["cozyCategoryProba"] > 0.15 and o["currency"] == "EUR"


def test_statement_lines_parse_in_each_bank_family_format():
    seen = set()
    for index in range(60):
        family = bank.bank_of(household_context(SEED, index, YEAR))[1]["family"]
        if family in seen:
            continue
        seen.add(family)
        r = run(index)
        checking = r.account("Checkings")["_id"]
        for o in r.ops:
            lines = FAMILY_LINES[family] if o["account"] == checking else SAVINGS_LINES
            assert any(re.fullmatch(line, o["originalBankLabel"]) for line in lines), \
                (family, o["originalBankLabel"])
            assert o["originalBankLabel"].isascii()
    assert len(seen) >= 5


def test_same_seed_gives_the_same_bytes():
    index = sweep()[0]

    def render(r: Run) -> list[bytes]:
        return [Batch.from_dicts(t, r.docs[t]).ndjson() for t in (ACCOUNTS, OPERATIONS)]

    assert render(run(index)) == render(run(index))


def test_ground_truth_events_are_on_the_statement():
    checked = Counter()
    for index in range(40):
        r = cached(index)
        events = r.docs["org.selfdata.groundtruth.event"]
        for e in events:
            d = e["details"]
            if e["kind"] == "unusual_expense":
                assert "io.cozy.bank.operations" in e["affects"]
                assert any(o["amount"] == -d["amount"] and o["label"] == d["merchant"]
                           and o["realisationDate"][:10] == e["start"] for o in r.ops)
                checked["unusual_expense"] += 1
            elif e["kind"] == "salary_change":
                pay = sorted((o["date"][:10], o["amount"]) for o in r.ops
                             if o["label"] == f"SALAIRE {d['employer']}")
                before = [a for day, a in pay if day < e["start"]]
                after = [a for day, a in pay if day >= e["start"]]
                # the first pay at the new level is on the event's day; a new job's employer
                # (usually another) paid nothing before
                assert after and (not before or after[0] != before[-1])
                assert pay and any(day == e["start"] for day, _ in pay)
                checked["salary_change"] += 1
    assert checked["unusual_expense"] >= 3 and checked["salary_change"] >= 3


def _nobody_earns(hh, tl) -> bool:
    """no member working or retired"""
    return not any(m.works or m.profession_code == "78" for m in hh.members)


def test_a_household_without_pay_or_pension_lives_on_benefits_it_can_afford():
    r = run(first_index(_nobody_earns))
    income = sum(o["amount"] for o in r.ops if o["cozyCategoryId"] in ("200120", "200160"))
    assert income > 11 * 635  # at least the RSA, from benefits
    housing = -sum(o["amount"] for o in r.ops if o["cozyCategoryId"] in ("401010", "401020"))
    assert housing <= 0.4 * income + 1


@pytest.mark.parametrize("family", sorted(bank._p()["labels"]))
def test_card_labels_made_for_the_year_at_once_are_those_of_one_line_at_a_time(family):
    templates = bank._p()["labels"][family]
    pays = [Payment(day=date(2024, 3, 1), amount=-12.5, kind="card", counterparty="CAFÉ DU PARC",
                    category="400110", source="test", when=datetime(2024, 3, 1, 9, 7),
                    city="Saint-Étienne"),
            Payment(day=date(2024, 3, 2), amount=-40.0, kind="card", counterparty="AMAZON",
                    category="400100", source="test", reference="CMD0001",
                    when=datetime(2024, 3, 1, 23, 59)),
            Payment(day=date(2024, 3, 5), amount=-3.2, kind="card", counterparty="BOULANGERIE",
                    category="400110", source="test")]
    rows = bank._card_rows(pays, [2, 3, 1], templates["card"], "1234", "4974",
                           date(2024, 12, 31))
    for pay, row in zip(pays, rows, strict=True):
        realised = pay.when.date() if pay.when else pay.day
        motif = pay.reference or pay.counterparty
        assert row[4] == bank.statement_label(
            templates, "card", day=realised, when=pay.when, who=pay.counterparty,
            merchant=pay.counterparty, city=pay.city, motif=motif,
            ref=pay.reference or bank._h(motif, 8), card="1234", bin4="4974")
        assert row[7] == realised and row[0] > realised  # posted after the purchase
