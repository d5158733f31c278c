"""Households and timelines: plausible make-up and coherent latent state."""

from collections import Counter

import numpy as np

from synthetic_data import french, parameters
from synthetic_data.communes import all_communes, sample_commune
from synthetic_data.household import sample_household
from synthetic_data.realism_people import MISSING_ELISION, MSISDN_MOBILE
from synthetic_data.sources.orange_calls import _handset, released
from tests.support.households import latent


def test_households_are_diverse_and_plausible(households):
    kinds = Counter(h.household.dwelling.kind for h in households)
    assert set(kinds) == {"Appartement", "Maison"}
    for data in households:
        hh = data.household
        assert 15 <= hh.dwelling.surface <= 320
        assert hh.main.role == "Membre principal"
        assert hh.main.age_on(data.timeline.period.start) >= 18
        for m in hh.phones:
            assert m.msisdn[:3] in ("336", "337") and len(m.msisdn) == 11
        assert hh.contract.kva in (3, 6, 9, 12)
        assert len(hh.contract.pdl) == 14
        assert hh.commune.insee == hh.address.insee and hh.address.postcode == hh.commune.postcode
        assert hh.instance.isascii() and hh.instance == hh.instance.lower()


def test_communes_are_well_formed():
    communes = all_communes()
    assert len(communes) >= 40
    assert len({c.insee for c in communes}) == len(communes)
    for c in communes:
        assert len(c.insee) == 5 and len(c.postcode) == 5
        assert 41 < c.latitude < 51.5 and -5 < c.longitude < 9.6
        assert c.school_zone in "ABC" and c.gas_zone in "HB"
        assert c.climate_zone[:2] in ("H1", "H2", "H3")
        assert 0 < c.population <= c.city_population and c.sample_weight >= c.population


def test_communes_cover_villages_to_paris_in_their_real_proportions():
    communes = all_communes()
    assert min(c.population for c in communes) < 200  # hamlets are in the table
    assert sum(c.insee.startswith("751") for c in communes) == 20
    total = sum(c.sample_weight for c in communes)
    rural = sum(c.sample_weight for c in communes if c.size_class == "rural") / total
    paris = sum(c.sample_weight for c in communes if c.size_class == "paris") / total
    assert 0.21 < rural < 0.24 and 0.03 < paris < 0.035  # COG populations: 22.6 %, 3.2 %
    rng = np.random.default_rng(5)
    draws = Counter(sample_commune(rng).size_class for _ in range(4000))
    assert 0.20 < draws["rural"] / 4000 < 0.25


def test_dwellings_and_heating_follow_commune_size():
    start = np.datetime64("2024-01-01").astype(object)
    homes = [sample_household(i, np.random.default_rng(i), start) for i in range(1500)]
    by_class: dict[str, list] = {}
    for h in homes:
        by_class.setdefault(h.commune.size_class, []).append(h)
    flat = {k: np.mean([h.dwelling.kind == "Appartement" for h in v]) for k, v in by_class.items()}
    assert flat["rural"] < 0.2 < flat["small_town"] < flat["town"] < flat["city"]
    gas = {k: np.mean([h.dwelling.heating == "Gaz" for h in v]) for k, v in by_class.items()}
    wood = {k: np.mean([h.dwelling.heating == "Bois" for h in v]) for k, v in by_class.items()}
    assert gas["rural"] < gas["town"] and wood["rural"] > 2 * wood["town"]
    assert 0.40 < np.mean([h.dwelling.kind == "Appartement" for h in homes]) < 0.48
    assert 0.64 < np.mean([h.contract.kva == 6 for h in homes]) < 0.76
    shares = parameters.load("household")["dwelling"]["flat_share"]
    assert set(shares) == set(by_class)


def test_timeline_absences_match_their_events(households):
    for data in households:
        tl = data.timeline
        away_days = set(np.flatnonzero(tl.away).tolist())
        from_events = set()
        for e in tl.trips:
            first = tl.day_index(e.start)
            from_events.update(range(first, tl.day_index(e.end) + 1))
        assert away_days == from_events
        assert (tl.trip >= 0).sum() == len(away_days)


def test_summer_holidays_are_common(households):
    summer = sum(any(e.start.month in (7, 8) for e in h.timeline.trips) for h in households)
    assert summer >= len(households) // 2


def test_leak_days_carry_flow_and_events(households):
    leaks = 0
    for i in range(60):
        tl = latent(i)[1]
        for e in (e for e in tl.events if e.kind == "leak"):
            leaks += 1
            a, b = tl.day_index(e.start), tl.day_index(e.end)
            assert (tl.leak_lph[a:b + 1] > 0).all()
        assert (tl.leak_lph > 0).sum() == sum(
            tl.day_index(e.end) - tl.day_index(e.start) + 1 for e in tl.events if e.kind == "leak")
    assert 2 <= leaks <= 25  # 0.15 per household-year on 60 household-years


def test_new_occupants_raise_the_occupant_count(households):
    seen = 0
    for i in range(400):
        tl = latent(i)[1]
        for e in (e for e in tl.events if e.kind == "new_occupant"):
            seen += 1
            k = tl.day_index(e.start)
            assert tl.occupants[k] == tl.occupants[k - 1] + 1
    assert seen >= 1


def test_first_names_follow_the_birth_cohort():
    rng = np.random.default_rng(3)
    kids = Counter(french.first_name(rng, "M", 2015) for _ in range(3000))
    elders = Counter(french.first_name(rng, "M", 1950) for _ in range(3000))
    top_2010s = set(french.ranked_first_names("M", 2015)[:50])
    assert sum(kids[n] for n in top_2010s) / 3000 > 0.3
    assert kids["Jean"] < 30 < elders["Jean"]  # Jean leads the 1941-1960 bins, not the 2010s
    assert "Gabriel" in kids and elders["Gabriel"] < kids["Gabriel"]
    assert 0.03 < french.first_name_share("M", 1950, 1) < 0.08


def test_phone_numbers_are_french_mobiles():
    start = np.datetime64("2024-01-01").astype(object)
    numbers = [m.msisdn for i in range(400)
               for m in sample_household(i, np.random.default_rng(i), start).members if m.msisdn]
    assert all(MSISDN_MOBILE.match(n) for n in numbers)
    sevens = sum(n.startswith("337") for n in numbers) / len(numbers)
    assert 0.2 < sevens < 0.6


def test_street_names_elide_and_follow_commune_size():
    assert french.of("Église", "l") == "de l'Église" and french.of("Moulin", "m") == "du Moulin"
    assert french.of("Écoles", "pl") == "des Écoles" and french.of("Gare", "f") == "de la Gare"
    assert french.elide_de("Orléans") == "d'Orléans" and french.elide_de("Paris") == "de Paris"
    rng = np.random.default_rng(8)
    paris = [french.street_name(rng, "paris", "Vincennes") for _ in range(500)]
    rural = [french.street_name(rng, "rural", "Aubenas") for _ in range(500)]
    assert not any(s.startswith(("Chemin", "Route", "Le Bourg")) for s in paris)
    assert sum(s.startswith(("Chemin", "Route")) for s in rural) > 80
    assert not any(MISSING_ELISION.search(s) for s in paris + rural)
    assert "Route d'Aubenas" in rural and "Rue de l'Église" in rural


def test_handsets_were_on_sale_by_the_period():
    from datetime import date


    rng = np.random.default_rng(1)
    for year in (2016, 2020, 2024):
        day = date(year, 1, 1)
        picks = [_handset(rng, day, 40) for _ in range(300)]
        assert all(year - 8 <= h["year"] <= year and released(h) < day for h in picks)
        assert np.mean([year - h["year"] for h in picks]) < 3.5
