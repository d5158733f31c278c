"""MAIF source: one document per doctype, coherence with the household and the timeline, rates."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import pytest

from synthetic_data import parameters, schemas
from synthetic_data.calendar_fr import Period
from synthetic_data.context import SourceContext
from synthetic_data.household import sample_household
from synthetic_data.seeding import household_seed, stream
from synthetic_data.sources import maif
from synthetic_data.timeline import build_timeline
from tests.support.households import docs_of, household, indices_where

MAIF_DOCTYPES = [d for d in maif.DOCTYPES if d.startswith("fr.maif.")]
SINGLE_DOCTYPES = [d for d in MAIF_DOCTYPES if d != maif.SINISTRE]  # claims: one per claim


def _one(data, doctype: str) -> dict:
    docs = docs_of(data, doctype)
    assert len(docs) == 1, f"{data.household.instance}: {len(docs)} {doctype} documents"
    return docs[0]


def _address(hh) -> dict:
    a = hh.address
    return {"street": f"{a.street_number} {a.street}", "postCode": a.postcode, "city": a.city,
            "country": "FRANCE", "numeroPays": "0"}


@cache
def _maif_only(seed: int, index: int, period: Period):
    """Household, timeline and the MAIF documents alone (fast, for rates over many households)."""
    s = household_seed(seed, index)
    hh = sample_household(index, stream(s, "household"), period.start)
    tl = build_timeline(hh, period, stream(s, "timeline"))
    zeros = np.zeros(period.n_days)
    ctx = SourceContext(hh, period, tl, zeros, zeros, s, seed)
    docs: dict[str, list[dict]] = {}
    for b in maif.generate(ctx):
        docs.setdefault(b.doctype, []).extend(b.dicts())
    return hh, tl, docs


@pytest.fixture(scope="module")
def population():
    period = Period.of_years(date(2016, 9, 1), 2)
    return period, [_maif_only(77, i, period) for i in range(800)]


def test_one_document_per_maif_doctype(households):
    for data in households:
        for doctype in SINGLE_DOCTYPES:
            _one(data, doctype)


def test_every_document_validates_and_schemas_are_documented(households):
    for doctype in MAIF_DOCTYPES:
        schema = schemas.load_schema(doctype)
        assert schemas.undocumented_fields(schema) == [], doctype
        for example in schema["examples"]:
            assert schemas.problems(doctype, example) == [], doctype
    for data in households:
        for doctype in MAIF_DOCTYPES:
            for doc in docs_of(data, doctype):
                assert schemas.problems(doctype, doc) == [], (data.household.instance, doctype)


def test_addresses_identical_to_the_household_address(households):
    for data in households:
        hh = data.household
        expected = _address(hh)
        contrat = _one(data, maif.CONTRAT)["contrat"]
        homes = [c for c in contrat if c["name"] == "NOR"]
        assert len(homes) == 1
        assert homes[0]["objects"]["lieu"] == [{"address": expected}]
        assert _one(data, maif.HOME)["home"][0]["address"] == expected
        foyer = _one(data, maif.FOYER)["foyer"]["address"]
        assert {k: foyer[k] for k in expected} == expected
        assert foyer["inseeCode"] == hh.address.insee
        for claim in docs_of(data, maif.SINISTRE):
            if claim["type"] == "Habitation":
                assert claim["address"] == {k: v for k, v in expected.items()
                                            if k != "numeroPays"}


def test_one_vam_contract_per_car(households):
    saw_no_car = saw_car = False
    carless = [household(i) for i in indices_where(lambda hh, _: not hh.cars, 2)]
    for data in [*households, *carless]:
        hh = data.household
        contrat = _one(data, maif.CONTRAT)["contrat"]
        plates = [c["objects"]["vehicule"][0]["immatriculationVehicule"]
                  for c in contrat if c["name"] == "VAM"]
        assert plates == hh.cars
        saw_car |= bool(hh.cars)
        saw_no_car |= not hh.cars
        for c in contrat:
            assert c["societaire"] == hh.maif_societaire
            assert c["startDate"] < data.timeline.period.start.isoformat()
            assert c["startDate"][:10] >= hh.main.birthdate.isoformat()
    assert saw_car and saw_no_car


def test_home_item_follows_the_dwelling(households):
    for data in households:
        d = data.household.dwelling
        item = _one(data, maif.HOME)["home"][0]
        assert item["natureLieu"] == d.kind
        assert item["situationJuridiqueLieu"].startswith("Propriétaire" if d.owner else "Locataire")


def test_foyer_lists_every_member_including_arrivals(households):
    saw_arrival = False
    for data in households:
        hh = data.household
        membres = _one(data, maif.FOYER)["foyer"]["membres"]
        assert [(m["name"]["given"], m["birthdate"]) for m in membres] == [
            (m.given.upper(), m.birthdate.isoformat()) for m in hh.members]
        assert [m["quality"] for m in membres] == [m.role for m in hh.members]
        assert membres[0]["quality"] == "Membre principal"
        for m, member in zip(membres, hh.members, strict=True):
            assert m.get("telMobile") == ("+" + member.msisdn if member.msisdn else None)
        saw_arrival |= any(m.arrives for m in hh.members)
        soc = _one(data, maif.SOCIETAIRE)["societaire"]
        assert soc["name"] == membres[0]["name"]
        assert soc["referenceClient"][:7] == hh.maif_societaire
        couple = any(m.role == "Conjoint" for m in hh.members)
        assert (soc["familySituation"] in ("marié(e)", "union libre", "pacsé(e)")) == couple
    if not saw_arrival:  # the twelve fixture households may have no birth: look further
        for i in range(200):
            hh, _, docs = _maif_only(5, i, Period.of_years(date(2024, 1, 1), 1))
            babies = [m for m in hh.members if m.arrives]
            if babies:
                names = [m["name"]["given"] for m in docs[maif.FOYER][0]["foyer"]["membres"]]
                assert babies[0].given.upper() in names
                return
        pytest.fail("no arrival in 200 households")


def test_claims_match_timeline_events_newest_first(households):
    for data in households:
        claims = docs_of(data, maif.SINISTRE)
        stamps = [c["timestamp"] for c in claims]
        assert stamps == sorted(stamps, reverse=True)
        events = [e for e in data.timeline.events if e.kind == "claim"]
        got = sorted((c["timestamp"][:10], c["type"], c.get("immatriculationVehicule"),
                      c["natureSinistre"]) for c in claims)
        want = sorted((e.start.isoformat(), e.details["type"], e.details.get("plate"),
                       e.details["cause"]) for e in events)
        assert got == want
        refs = [c["ref"] for c in claims]
        assert len(set(refs)) == len(refs)
        for c in claims:
            if c["type"] == "Vehicule":
                driver = f"{c['driver']['given']} {c['driver']['family']}"
                assert driver.upper() in {f"{m.given} {m.family}".upper()
                                          for m in data.household.members}


def test_claims_over_a_population_match_events(population):
    _, households = population
    n = 0
    for _, tl, docs in households:
        claims = docs.get(maif.SINISTRE, [])
        events = [e for e in tl.events if e.kind == "claim"]
        assert sorted(c["timestamp"][:10] for c in claims) == sorted(
            e.start.isoformat() for e in events)
        n += len(claims)
    assert n > 100


def test_water_damage_claim_after_each_burst_pipe(population):
    _, households = population
    bursts = 0
    for _, tl, docs in households:
        claims = docs.get(maif.SINISTRE, [])
        for leak in (e for e in tl.events if e.kind == "leak" and e.details["kind"] ==
                     "burst_pipe"):
            bursts += 1
            window = {(leak.start + timedelta(days=k)).isoformat() for k in range(0, 5)}
            assert any(c["type"] == "Habitation" and c["natureSinistre"] == "Dégât des eaux"
                       and c["timestamp"][:10] in window for c in claims), leak
    assert bursts >= 5


def test_claim_frequencies(population):
    period, households = population
    years = period.n_days / 365.25
    home = {"Appartement": [0, 0.0], "Maison": [0, 0.0]}
    cars = [0, 0.0]
    for hh, _, docs in households:
        claims = docs.get(maif.SINISTRE, [])
        home[hh.dwelling.kind][0] += sum(c["type"] == "Habitation" for c in claims)
        home[hh.dwelling.kind][1] += years
        cars[0] += sum(c["type"] == "Vehicule" for c in claims)
        cars[1] += years * len(hh.cars)
    all_home = (home["Appartement"][0] + home["Maison"][0]) / (
        home["Appartement"][1] + home["Maison"][1])
    assert 0.08 <= all_home <= 0.115
    assert home["Maison"][0] / home["Maison"][1] > home["Appartement"][0] / home[
        "Appartement"][1]
    rate = parameters.load("events")["car_claims"]["rate_per_car"]
    assert 0.75 * rate <= cars[0] / cars[1] <= 1.25 * rate


def test_water_damage_takes_its_published_share_of_home_claims(population):
    """≈ 44 % of home claims are water damage (France Assureurs 2024); those without a leak on
    the household's own meter say where the water came from instead."""
    _, households = population
    home = water = 0
    for _, tl, docs in households:
        claims = [c for c in docs.get(maif.SINISTRE, []) if c["type"] == "Habitation"]
        home += len(claims)
        water += sum(c["natureSinistre"] == "Dégât des eaux" for c in claims)
        leaks = [e for e in tl.events if e.kind == "leak"]
        for e in (e for e in tl.events if e.kind == "claim" and e.details["type"] == "Habitation"):
            if e.details["cause"] != "Dégât des eaux":
                assert not {"origin", "after_leak"} & set(e.details)
            elif "after_leak" in e.details:
                assert any(x.start.isoformat() == e.details["after_leak"] for x in leaks)
            else:
                assert e.details["origin"] in ("neighbour", "infiltration", "shared_pipe")
    share = parameters.load("events")["home_claims"]["cause_shares"][0]
    assert home >= 100
    assert abs(water / home - share) <= 3 * (share * (1 - share) / home) ** 0.5


def test_premiums_in_range_and_houses_cost_more(population):
    _, households = population
    by_kind: dict[str, list[float]] = {"Appartement": [], "Maison": []}
    car = []
    for hh, _, docs in households:
        contrat = docs[maif.CONTRAT][0]["contrat"]
        by_kind[hh.dwelling.kind].append(contrat[0]["montantTarifTtc"])
        car += [c["montantTarifTtc"] for c in contrat[1:]]
        for c in contrat[1:]:
            assert 0.5 <= c["coefficientBonusMalus"] <= 3.5
    flats, houses = np.array(by_kind["Appartement"]), np.array(by_kind["Maison"])
    assert flats.min() >= 60 and houses.max() < 1500
    assert 150 <= flats.mean() <= 260
    assert 230 <= houses.mean() <= 420
    assert houses.mean() > flats.mean() * 1.2
    assert 300 <= np.mean(car) <= 600
    assert np.min(car) >= 100 and np.max(car) < 3500


def test_renter_flat_premium_profile(population):
    _, households = population
    small = [docs[maif.CONTRAT][0]["contrat"][0]["montantTarifTtc"]
             for hh, _, docs in households
             if hh.dwelling.kind == "Appartement" and not hh.dwelling.owner
             and hh.dwelling.surface <= 45 and len(hh.members) == 1]
    assert small and 80 <= float(np.median(small)) <= 160


def test_bonus_malus_rules():
    crm = maif.Crm(1.0)
    for _ in range(13):
        crm.year(0)
    assert crm.value == 0.5
    crm.year(1)  # not yet 3 years at 0.50: counts
    assert crm.value == 0.62
    crm.year(0)
    crm.year(2)
    assert crm.value == 0.9  # 0.62 → 0.58 → ×1.25² = 0.906, truncated
    crm = maif.Crm(1.0)
    crm.year(1)
    assert crm.value == 1.25
    crm.year(0)
    crm.year(0)
    assert crm.value == 1.0  # two claim-free years wipe the malus
    crm = maif.Crm(0.5, years_at_floor=3)
    crm.year(1)
    assert crm.value == 0.5  # first at-fault claim after 3 years at 0.50 is forgiven
    crm = maif.Crm(3.4)
    crm.year(3)
    assert crm.value == 3.5


def test_payment_terms_and_iban(households, population):
    _, pop = population
    modes = set()
    for data in households:
        pt = _one(data, maif.PAYMENTTERMS)["paymentterms"]
        assert maif.iban_valid(pt["rib"]["iban"])
        assert pt["societaire"] == data.household.maif_societaire
        modes.add(pt["modePaiement"])
    for _, _, docs in pop[:100]:
        assert maif.iban_valid(docs[maif.PAYMENTTERMS][0]["paymentterms"]["rib"]["iban"])
    assert maif.iban_valid("FR1420041010050500013M02606")
    assert not maif.iban_valid("FR1420041010050500013M02607")
    assert modes


def test_premiums_are_called_in_advance(households):
    """MAIF's terms: the year's premium due on 1 January, or a twelfth on the 1st of each month
    (realism-additions §6), each for the time ahead."""
    for data in households:
        bills = docs_of(data, "io.cozy.bills", vendor="MAIF")
        pt = _one(data, maif.PAYMENTTERMS)["paymentterms"]
        contrat = _one(data, maif.CONTRAT)["contrat"]
        yearly = sum(c["montantTarifTtc"] for c in contrat)
        assert bills and all(b["type"] == "insurance" for b in bills)
        assert {b["contractNumber"] for b in bills} == {data.household.maif_societaire}
        for b in bills:
            due = date.fromisoformat(b["date"][:10])
            assert due.day == 1 and b["periodStart"] == due.isoformat()
        if pt["modePaiement"] == "Prélèvement (1 fois)":
            assert [(b["recurrence"], b["date"][:10], b["periodEnd"]) for b in bills] == \
                [("yearly", "2024-01-01", "2024-12-31")]
        else:
            assert [b["date"][:10] for b in bills] == [f"2024-{m:02d}-01" for m in range(1, 13)]
            assert {b["recurrence"] for b in bills} == {"monthly"}
            # equal twelfths, December with the cents of the rounding
            assert all(b["amount"] == pytest.approx(yearly / 12, abs=0.01) for b in bills[:11])
            assert bills[11]["amount"] == pytest.approx(yearly / 12, abs=0.12)
        assert sum(b["amount"] for b in bills) == pytest.approx(yearly, abs=0.001)


def test_no_premium_is_called_before_the_data_or_for_a_year_already_running():
    per = Period(date(2024, 3, 15), date(2025, 3, 15))
    assert maif.due_dates(per, 12) == [(date(2025, 1, 1), date(2025, 12, 31))]
    monthly = maif.due_dates(per, 1)
    assert monthly[0] == (date(2024, 4, 1), date(2024, 4, 30))
    assert monthly[-1] == (date(2025, 3, 1), date(2025, 3, 31)) and len(monthly) == 12
    twelfths = [maif.instalment(100.0, date(2024, m, 1), 1) for m in range(1, 13)]
    assert twelfths[0] == 8.33 and sum(twelfths) == pytest.approx(100.0, abs=1e-9)


def test_deterministic():
    period = Period.of_years(date(2017, 3, 1), 1)
    a = _maif_only.__wrapped__(3, 11, period)[2]
    b = _maif_only.__wrapped__(3, 11, period)[2]
    assert a == b
