"""The dashboard's charts of the bank, receipts, parcels and public transport: each value as the
documents give it (computed here again, another way), each chart only when its data exists, in
both languages."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from sandbox import dashboard
from sandbox.settings import Settings
from sandbox.web.app import create_app
from sandbox.webkit.i18n import Language
from synthetic_data.calendar_fr import local_hour
from synthetic_data.population import describe
from tests.support.households import docs_of, every_partner, first_index, household, tcl_worker

NEW = ("io.cozy.bank.operations", "io.cozy.bank.accounts", "org.selfdata.receipt",
       "org.selfdata.laposte.parcel", "org.selfdata.transport.validation",
       "fr.enedis.api.meteringdata.energy")
# cozy-banks' parents (tree.json), written out here rather than by the code's prefixes
GROUP = {"401020": "housing", "401040": "housing", "401080": "housing", "401070": "housing",
         "401050": "housing", "401010": "housing", "400110": "daily", "400112": "daily",
         "400150": "daily", "400130": "daily", "400280": "transport", "400230": "transport",
         "400250": "transport", "400610": "health", "400620": "health", "400510": "taxes",
         "400540": "taxes", "400810": "leisure", "400750": "leisure", "400840": "leisure",
         "300": "other", "400340": "other", "0": "other"}


def _shown_category(op: dict) -> str:
    return op.get("manualCategoryId") or (
        op["cozyCategoryId"] if op.get("cozyCategoryProba", 0) > 0.15
        else op["automaticCategoryId"])


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'sb.db'}", live_engine=False,
                              files_dir=str(tmp / "files")))
    sb = app.state.sandbox
    names = {}
    for name, index in (("shopper", first_index(every_partner)),
                        ("commuter", first_index(tcl_worker))):
        data = household(index)
        inst = sb.instances.create(name, profile=describe(data))
        for doctype in NEW:
            docs = docs_of(data, doctype)
            if docs:
                sb.documents.load(inst.id, doctype, docs)
        names[name] = (inst, data)
    yield sb, TestClient(app), names
    sb.close()


def test_spending_per_month_by_group_is_the_debits_of_each_group(cloud):
    sb, _, names = cloud
    inst, data = names["shopper"]
    want: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    seen_out_of_budget = 0
    for op in docs_of(data, "io.cozy.bank.operations"):
        cat = _shown_category(op)
        if op["amount"] >= 0:
            continue
        if cat.startswith("6"):
            seen_out_of_budget += 1          # transfers to savings are not spending
            continue
        want[op["date"][:7]][GROUP[cat]] += -op["amount"]
    assert seen_out_of_budget, "a household saving nothing tests less than it should"
    got = dashboard.overview(sb, inst).spending
    assert set(got) == set(want)
    for month, groups in want.items():
        assert got[month] == pytest.approx(dict(groups), abs=0.01), month
    assert {"housing", "daily"} <= {g for m in got.values() for g in m}


def test_the_balance_ends_at_the_accounts_balance_and_follows_every_operation(cloud):
    sb, _, names = cloud
    inst, data = names["shopper"]
    checking = next(a for a in docs_of(data, "io.cozy.bank.accounts")
                    if a["type"] == "Checkings")
    ops = [o for o in docs_of(data, "io.cozy.bank.operations")
           if o["account"] == checking["_id"]]
    labels, values = dashboard.overview(sb, inst).balance
    first = min(o["date"][:10] for o in ops)
    last = max(o["date"][:10] for o in ops)
    days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    assert labels[0] == first and labels[-1] == last and len(labels) == days  # no day left out
    assert values[-1] == pytest.approx(checking["balance"], abs=0.005)
    # a day's balance: the final balance less what came after that day
    mid = (date.fromisoformat(first) + timedelta(days=days // 2)).isoformat()
    after = sum(o["amount"] for o in ops if o["date"][:10] > mid)
    assert values[labels.index(mid)] == pytest.approx(checking["balance"] - after, abs=0.01)


def test_receipts_and_parcels_per_month(cloud):
    sb, _, names = cloud
    inst, data = names["shopper"]
    ov = dashboard.overview(sb, inst)
    receipts: dict[str, list[float]] = defaultdict(list)
    for r in docs_of(data, "org.selfdata.receipt"):
        receipts[r["date"][:7]].append(r["total"])
    assert ov.receipts.keys() == receipts.keys()
    for month, totals in receipts.items():
        assert ov.receipts[month][0] == len(totals)
        assert ov.receipts[month][1] == pytest.approx(sum(totals), abs=0.01)
    parcels: dict[str, Counter] = defaultdict(Counter)
    for p in docs_of(data, "org.selfdata.laposte.parcel"):
        codes = [e["code"] for e in sorted(p["event"], key=lambda e: e["order"])]
        kind = ("returned" if "RE1" in codes else "post_office" if "AG1" in codes
                else "home" if codes[-1] == "DI1" else "on_the_way")
        parcels[max(e["date"] for e in p["event"])[:7]][kind] += 1
    assert ov.parcels == {m: dict(c) for m, c in parcels.items()}
    assert sum(c["post_office"] for c in parcels.values()) > 0   # a notice left, somewhere


def test_validations_by_local_hour_and_only_for_who_has_any(cloud):
    sb, _, names = cloud
    inst, data = names["commuter"]
    validations = docs_of(data, "org.selfdata.transport.validation")
    assert validations
    hours = Counter(int(local_hour(v["timestamp"])) for v in validations)
    assert dashboard.overview(sb, inst).validations_by_hour == [float(hours[h])
                                                                for h in range(24)]
    shopper, shopper_data = names["shopper"]
    if not docs_of(shopper_data, "org.selfdata.transport.validation"):
        assert dashboard.overview(sb, shopper).validations_by_hour == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_new_charts_on_the_page(cloud, lang):
    _, client, names = cloud
    words = {"en": ("Spending per month, by kind", "Checking account balance",
                    "Grocery receipts per month", "Parcels per month",
                    "Housing (rent, energy, water, insurance)",
                    "notice left, collected at the post office"),
             "fr": ("Dépenses par mois, par poste", "Solde du compte courant",
                    "Courses par mois", "Colis par mois", "Logement (loyer, énergie, eau, "
                    "assurance)", "avisé, retiré au bureau de poste")}[lang]
    page = client.get("/", headers={"Host": "shopper.localhost", "Accept-Language": lang}).text
    for text in words:
        assert text in page, text
    bank = page[page.index('aria-labelledby="bank"'):]
    bank = bank[:bank.index("</section>")]
    # prices as the language writes them, in the table under the chart
    price = r"<td>€[\d,]+\.\d\d</td>" if lang == "en" else r"<td>[\d\u202f ]+,\d\d\xa0€</td>"
    assert re.search(price, bank)
    assert 'class="legend"' in bank and 'class="bar s0"' in bank
    commuter = client.get("/", headers={"Host": "commuter.localhost",
                                        "Accept-Language": lang}).text
    title = {"en": "Public transport validations by hour of the day",
             "fr": "Validations en transports en commun par heure"}[lang]
    assert title in commuter
    if not docs_of(names["shopper"][1], "org.selfdata.transport.validation"):
        assert 'aria-labelledby="transport"' not in page
    assert Language(lang).month("2024-03") in page          # month ticks in the language


def test_a_cloud_without_bank_or_shopping_shows_none_of_their_charts(cloud):
    sb, client, _ = cloud
    sb.instances.create("empty")
    page = client.get("/", headers={"Host": "empty.localhost", "Accept-Language": "en"}).text
    for section in ("bank", "shopping", "transport"):
        assert f'aria-labelledby="{section}"' not in page


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "your grocery receipts: what you bought"),
    ("fr", "vos tickets de caisse : ce que vous avez acheté")])
def test_the_data_browser_names_the_new_doctypes_and_documents_them(cloud, lang, words):
    _, client, _ = cloud
    headers = {"Host": "shopper.localhost", "Accept-Language": lang}
    listing = client.get("/browse/", headers=headers).text
    assert words in listing and "org.selfdata.laposte.parcel" in listing
    page = client.get("/browse/org.selfdata.receipt", headers=headers).text
    assert 'id="schema-description"' in page and "till receipt" in page   # from the schema
    assert "receiptId" in page
