"""Budget: spending per category and month from the bank operations, each bill against its
debit, the bills against the meters; the app live, with missing permissions and no data.

Until the bank source generates ``io.cozy.bank.operations``, :func:`bank_operations` builds
them from the household's ledger (``synthetic_data.ledger.payments``: exactly the debits the bank
will write) in cozy-banks' documented shape (crossing-sources §1.2). It is a fixture of the data,
not of the app: once generated operations exist, the live tests load those instead.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import pytest

from synthetic_data import ledger
from synthetic_data.calendar_fr import Period
from synthetic_data.population import household_context
from synthetic_data.sources import modules_for
from tests.support.households import SEED, YEAR, docs_of, first_index, full_household, household
from tests.support.sample_apps import APPS, docs, get, load_module, manifest_of, running_app

budget = load_module("budget", "analysis")
page = load_module("budget", "page")

APP = APPS / "budget"
OPS = "io.cozy.bank.operations"
BILLS = "io.cozy.bills"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
ENERGY = "fr.enedis.api.meteringdata.energy"
GROUPS = {"401080": "energy", "401070": "water", "400150": "phone", "401040": "insurance",
          "400230": "insurance"}
TWO_YEARS = Period.of_years(date(2023, 1, 1), 2)
LABEL = {"direct_debit": "PRLV SEPA", "transfer_in": "VIR SEPA RECU /DE", "card": "CB"}


def _op(i: int, day: date, amount: float, label: str, category: str | None, **extra) -> dict:
    doc = {"_id": f"fixture-op-{i:05d}", "account": "fixture-checkings", "amount": amount,
           "currency": "EUR", "date": f"{day.isoformat()}T00:00:00.000Z",
           "realisationDate": f"{day.isoformat()}T00:00:00.000Z", "label": label,
           "originalBankLabel": f"{label} ECH/{day:%d%m%y}", "type": "direct debit"}
    if category is not None:
        doc.update(automaticCategoryId=category, cozyCategoryId=category,
                   cozyCategoryProba=0.92)
    doc.update(extra)
    return doc


def bank_operations(index: int, period: Period = YEAR) -> tuple[list[dict], dict[str, str]]:
    """The household's operations (its ledger's payments as bank operations, and four more that
    exercise the category rule) and, for the tests, each bill reference's operation id."""
    ctx = household_context(SEED, index, period)
    for mod in modules_for(ctx.household.partners):
        mod.generate(ctx)
    ops, refs = [], {}
    for i, p in enumerate(ledger.payments(ctx)):
        ops.append(_op(i, p.day, p.amount, f"{LABEL[p.kind]} {p.counterparty}", p.category))
        refs[p.reference] = ops[-1]["_id"]
    d = period.start
    ops += [  # not a budget line; the user's own category; an unsure model; not categorised yet
        _op(90001, d.replace(day=3), -61.37, "CB CARREFOUR MARKET", "400110"),
        _op(90002, d.replace(day=4), -35.99, "CB FNAC", "400740", manualCategoryId="400150"),
        _op(90003, d.replace(day=5), -12.5, "PRLV SEPA ENERCOOP", "401080",
            cozyCategoryId="400110", cozyCategoryProba=0.1),
        {**_op(90004, d.replace(day=6), -20.0, "PRLV SEPA EDF", None),
         "automaticCategoryId": "401080"},
    ]
    return ops, refs


def expected_spending(ops: list[dict]) -> dict[str, dict[str, float]]:
    """Σ −amount per month and budget line, with cozy-banks' rule written out again here."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(
        ("energy", "water", "phone", "insurance"), 0.0))
    for op in ops:
        if op.get("manualCategoryId"):
            cat = op["manualCategoryId"]
        elif "cozyCategoryId" in op and op["cozyCategoryProba"] > 0.15:
            cat = op["cozyCategoryId"]
        elif "cozyCategoryId" not in op:
            continue  # still being categorised
        else:
            cat = op["automaticCategoryId"]
        if cat in GROUPS:
            out[op["date"][:7]][GROUPS[cat]] -= op["amount"]
    return {m: {g: round(v, 2) for g, v in out[m].items()} for m in sorted(out)}


FULL = full_household()


def summary_of(index: int, ops: list[dict], period: Period = YEAR) -> dict:
    data = household(index, SEED, period)
    return budget.summarise(ops, docs_of(data, BILLS), docs_of(data, STATEMENTS),
                            docs_of(data, ENERGY))


def test_the_category_shown_is_the_users_then_a_sure_model_then_the_banks() -> None:
    op = {"automaticCategoryId": "400110", "cozyCategoryId": "401080", "cozyCategoryProba": 0.5}
    assert budget.category_of(op) == "401080"
    assert budget.category_of({**op, "cozyCategoryProba": 0.15}) == "400110"
    assert budget.category_of({**op, "manualCategoryId": "400150"}) == "400150"
    assert budget.category_of({"automaticCategoryId": "401080"}) is None  # not categorised yet
    assert budget.category_of({"automaticCategoryId": "401080", "localCategoryId": "0"}) == \
        "401080"


def test_spending_per_month_and_line_is_the_sum_of_the_operations() -> None:
    ops, _ = bank_operations(FULL)
    s = budget.spending(ops)
    expected = expected_spending(ops)
    assert s["months"] == expected and len(expected) == 12
    assert all(s["years"]["2024"][g] > 0 for g in ("energy", "water", "phone", "insurance"))
    assert s["years"]["2024"] == {g: pytest.approx(sum(m[g] for m in expected.values()),
                                                   abs=0.005) for g in expected["2024-01"]}
    assert s["awaiting"] == 1
    # the user's phone category counts, the unsure model's grocery guess gives way to the bank
    jan = expected["2024-01"]
    assert jan["phone"] >= 35.99 and jan["energy"] >= 12.5


def test_every_bill_is_matched_once_to_its_own_debit() -> None:
    ops, refs = bank_operations(FULL)
    bills = docs(FULL, BILLS)
    m = budget.match_bills(bills, ops)
    assert {b["vendor"] for b in bills} >= {"EDF", "MAIF", "Orange"}
    paid = [b for b in bills if b["vendorRef"] in refs]
    assert len(paid) >= len(bills) - 2  # a bill issued at the data's end is debited after it
    by_ref = {r["vendorRef"]: r["operation"] for r in m["matched"]}
    assert len(m["matched"]) == len(paid) and len(set(by_ref.values())) == len(by_ref)
    assert all(by_ref[b["vendorRef"]] == refs[b["vendorRef"]] for b in paid)
    assert {r["vendorRef"] for r in m["bills_without_debit"]} == \
        {b["vendorRef"] for b in bills} - set(refs)
    # the fixture's user-categorised FNAC purchase and the two extra energy debits have no bill
    assert sorted(o["operation"] for o in m["debits_without_bill"]) == [
        "fixture-op-90002", "fixture-op-90003"]


def test_a_debit_outside_the_amount_date_or_label_rules_is_not_a_bills() -> None:
    bill = {"vendor": "Eau du Grand Lyon", "type": "water", "amount": 80.0,
            "date": "2024-04-05T00:00:00.000Z", "vendorRef": "W1"}
    good = _op(1, date(2024, 4, 20), -80.0, "PRLV SEPA EAU DU GRAND LYON", "401070")
    assert budget.match_bills([bill], [good])["matched"][0]["operation"] == good["_id"]
    for bad in (_op(2, date(2024, 4, 20), -80.01, good["label"], "401070"),
                _op(3, date(2024, 5, 5), -80.0, good["label"], "401070"),      # +30 days
                _op(4, date(2024, 3, 20), -80.0, good["label"], "401070"),     # -16 days
                _op(5, date(2024, 4, 20), -80.0, "PRLV SEPA VEOLIA", "401070"),
                _op(6, date(2024, 4, 20), -80.0, good["label"], "400610"),     # health
                _op(7, date(2024, 4, 20), -80.0, good["label"], "0")):         # uncategorised
        assert budget.match_bills([bill], [bad])["bills_without_debit"], bad["_id"]
    # two candidates: the closer in days wins; a bank that strips accents still names the vendor
    near = _op(8, date(2024, 4, 6), -80.0, "PRLV SEPA EAU DU GRAND LYON", "401070")
    assert budget.match_bills([bill], [good, near])["matched"][0]["operation"] == near["_id"]
    sem = {**bill, "vendor": "Société des Eaux de Marseille Métropole"}
    folded = _op(9, date(2024, 4, 20), -80.0, "PRLV SEPA SOCIETE DES EAUX DE MARSEILLE "
                 "METROPOLE", "401070")
    assert budget.match_bills([sem], [folded])["matched"]


def test_water_bills_agree_with_the_meter_at_the_utilitys_price() -> None:
    s = summary_of(FULL, [])["water"]
    assert len(s["bills"]) >= 3 and s["flagged"] == 0
    assert s["price_per_m3"] == pytest.approx(4.14, abs=0.01)       # params/water.toml
    assert s["standing_per_year"] == pytest.approx(55.0, abs=1.0)
    # a bill the meter does not explain is flagged
    bills = docs(FULL, BILLS, type="water")
    bills[1] = {**bills[1], "amount": bills[1]["amount"] + 15.0}
    series = budget.daily_series(docs(FULL, STATEMENTS, statementCategory="eau"), [])
    off = budget.water_costs(bills, series["water_l"])
    assert [b["flag"] for b in off["bills"]].count("amount_off_meter") >= 1


def _edf_gas(hh, tl) -> bool:
    """An EDF client with gas (one bill for both energies)"""
    return hh.partners.edf and hh.contract.gas_pce is not None


EDF_GAS_2Y = first_index(_edf_gas, period=TWO_YEARS)


@pytest.mark.parametrize("energy,low,high", [("electricity", 0.1, 0.5), ("gas", 0.05, 0.3)])
def test_a_yearly_statement_counts_the_kwh_the_meter_counted(energy, low, high) -> None:
    s = summary_of(EDF_GAS_2Y, [], TWO_YEARS)
    judged = [y for y in s[energy]["years"] if y["flag"] != "partly_read"]
    assert judged and all(y["flag"] is None for y in judged)
    for y in judged:
        assert y["billed_kwh"] == pytest.approx(y["metered_kwh"], abs=1.0)
    priced = [y for y in s[energy]["years"] if y["eur_per_kwh"] is not None]
    assert priced and all(low < y["eur_per_kwh"] < high for y in priced)
    # a statement that bills more than the meter counted is flagged
    data = household(EDF_GAS_2Y, SEED, TWO_YEARS)
    bills = docs_of(data, BILLS, vendor="EDF")
    key = "consumptionWh" if energy == "electricity" else "consumptionKwh"
    regular = next(i for i, b in enumerate(bills) if key in b
                   and b["periodStart"] == judged[0]["periodStart"])
    bills[regular] = {**bills[regular], key: bills[regular][key] * 1.1}
    series = budget.daily_series(docs_of(data, STATEMENTS), docs_of(data, ENERGY))
    off = budget.energy_costs(bills, series[f"{energy}_kwh"], energy)
    assert off["flagged"] == 1


def test_the_page_speaks_french_or_english() -> None:
    ops, _ = bank_operations(FULL)
    s = summary_of(FULL, ops)
    assert page.language("", "en-GB,en;q=0.9") == "en"
    assert page.language("", "de-DE") == "fr" and page.language("en", "fr") == "en"
    en, fr = page.render(s, "en"), page.render(s, "fr")
    assert "Month by month" in en and 'lang="en"' in en
    assert "Mois par mois" in fr and 'lang="fr"' in fr
    assert en.count("<svg") == fr.count("<svg") == 1


# ---- live --------------------------------------------------------------------------------------

def _instance_with_operations(live_sandbox, index: int) -> tuple[str, list[dict]]:
    """The household's instance; the fixture's operations are added when the generator wrote
    none (once the bank source exists, its own operations are used)."""
    instance = live_sandbox.instance_for(index)
    inst = live_sandbox.sb.instances.get(instance)
    generated = docs(index, OPS)
    if generated:
        return instance, generated
    ops, _ = bank_operations(index)
    if OPS not in live_sandbox.sb.documents.doctypes(inst.id):
        live_sandbox.sb.documents.load(inst.id, OPS, ops)
    return instance, ops


def test_live_app_shows_the_sums_of_the_operations_in_the_cloud(live_sandbox) -> None:
    instance, ops = _instance_with_operations(live_sandbox, FULL)
    token = live_sandbox.install(instance, manifest_of(APP))
    with running_app(APP, live_sandbox.url, token, instance) as base:
        status, body, ctype = get(base + "/api/summary")
        assert status == 200 and ctype.startswith("application/json")
        s = json.loads(body)
        assert s["spending"]["months"] == expected_spending(ops)
        assert s["denied"] == [] and s["counts"]["operations"] == len(ops)
        assert not s["matching"]["bills_without_debit"] or all(
            b["date"] >= "2024-12-01" for b in s["matching"]["bills_without_debit"])
        status, html, _ = get(base + "/?lang=en")
        assert status == 200 and b"Month by month" in html and b"http" not in html
    journal = [r for r in live_sandbox.sb.journal.summary(
        live_sandbox.sb.instances.get(instance).id) if r["client"] == "budget"]
    declared = {r["type"] for r in manifest_of(APP)["permissions"].values()}
    assert {r["doctype"] for r in journal} == declared
    assert all(r["denied"] == 0 and r["writes"] == 0 for r in journal)


def test_a_missing_permission_leaves_its_part_empty_not_an_error(live_sandbox) -> None:
    instance, _ = _instance_with_operations(live_sandbox, FULL)
    m = manifest_of(APP)
    m["permissions"].pop("operations")
    token = live_sandbox.install(instance, m)
    with running_app(APP, live_sandbox.url, token, instance) as base:
        status, body, _ = get(base + "/api/summary")
        s = json.loads(body)
        assert status == 200 and s["denied"] == ["operations"]
        assert s["spending"]["months"] == {} and s["water"]["bills"]
        status, html, _ = get(base + "/?lang=en")
        assert status == 200 and b"Not allowed to read: operations" in html


def test_an_empty_cloud_gets_the_empty_state(live_sandbox) -> None:
    sb = live_sandbox.sb
    if sb.instances.find("budget-empty") is None:
        sb.instances.create("budget-empty")
    token = live_sandbox.install("budget-empty", manifest_of(APP))
    with running_app(APP, live_sandbox.url, token, "budget-empty") as base:
        status, body, _ = get(base + "/api/summary")
        s = json.loads(body)
        assert status == 200 and s["spending"]["months"] == {} and s["denied"] == []
        assert s["matching"] == {"matched": [], "bills_without_debit": [],
                                 "debits_without_bill": []}
        status, html, _ = get(base + "/")
        assert status == 200 and b'class="empty"' in html and b'lang="fr"' in html
