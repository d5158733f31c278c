"""Number plates issued in the SIV sequence, coherent with the cars' MAIF contract dates."""

from __future__ import annotations

from datetime import date

from synthetic_data import plates
from synthetic_data.realism_equipment import PLATE_AFTER, Equipment, checks, measure_household
from tests.support.households import YEAR, docs_of, household, indices_where, latent

CONTRACTS = "fr.maif.maifuser.contrat"


def test_plates_follow_the_issuing_sequence():
    order = ["AA-001-AA", "AA-999-AA", "AA-001-AB", "AA-999-ZZ", "AB-001-AA", "GA-001-AA"]
    ranks = [plates.position(p) for p in order]
    assert ranks == sorted(ranks) and ranks[0] == 0
    assert all(plates.plate_at(plates.position(p)) == p for p in order)


def test_the_series_starts_in_april_2009_and_reaches_g_in_2024():
    assert plates.reached_on(date(2009, 4, 14)) == -1
    assert plates.plate_at(plates.reached_on(date(2009, 4, 15)))[:2] == "AA"
    assert plates.plate_at(plates.reached_on(date(2024, 1, 1)))[0] == "F"
    assert plates.plate_at(plates.reached_on(date(2024, 6, 1)))[0] == "G"


def test_household_plates_existed_when_the_household_got_the_car():
    homes = [latent(i)[0] for i in indices_where(lambda hh, tl: bool(hh.cars), 200)]
    firsts = set()
    for hh in homes:
        assert len(hh.cars_since) == len(hh.cars)
        for plate, since in zip(hh.cars, hh.cars_since, strict=True):
            assert plates.position(plate) <= plates.reached_on(since)
            # held since before the period, or a second car bought in its first year
            assert since < YEAR.start or (
                since < YEAR.start.replace(year=YEAR.start.year + 1) and len(hh.cars) == 2
                and hh.cars_since[0] < YEAR.start and since == hh.cars_since[1])
            firsts.add(plate[0])
    assert firsts <= set("ABCDEFG") and {"A", "B", "E", "F"} <= firsts  # old and recent cars


def test_car_contracts_start_once_the_plate_existed():
    def two_cars(hh, tl):
        """a household with two cars"""
        return len(hh.cars) == 2
    acc = Equipment()
    for i in indices_where(two_cars, 3):
        data = household(i)
        measure_household(acc, {}, {CONTRACTS: docs_of(data, CONTRACTS)}, YEAR)
        for doc in docs_of(data, CONTRACTS):
            for c in doc["contrat"]:
                for car in (c.get("objects") or {}).get("vehicule") or []:
                    k = data.household.cars.index(car["immatriculationVehicule"])
                    assert c["startDate"][:10] >= data.household.cars_since[k].isoformat()
    assert acc.plates == 6 and acc.broken[PLATE_AFTER] == 0


def test_the_check_catches_a_plate_from_the_future():
    doc = {"contrat": [{"name": "VAM", "startDate": "2015-03-01T00:00:00",
                        "objects": {"vehicule": [{"immatriculationVehicule": "GA-123-AB"}]}}]}
    acc = Equipment()
    measure_household(acc, {}, {CONTRACTS: [doc]}, YEAR)
    assert acc.broken[PLATE_AFTER] == 1 and checks(acc)[PLATE_AFTER][0] == 1
