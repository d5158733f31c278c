"""A household: who lives there, where, in what dwelling, with what equipment and habits.

Drawn once per household from its ``"household"`` stream; every source reads it. First names
follow the birth cohort and street names the commune's size (``french.py``); Faker (fr_FR)
provides family names only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import numpy as np
from faker import Faker

from synthetic_data import french, parameters, plates, subscription
from synthetic_data.communes import Commune, same_department, sample_commune

EMAIL_DOMAINS = ("orange.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr")


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float


@dataclass
class Member:
    given: str
    family: str
    sex: str                 # "F" or "M"
    birthdate: date
    role: str                # "Membre principal", "Conjoint", "Enfant", "Colocataire"
    profession_code: str
    profession: str
    works: bool
    work_place: Place | None
    work_start: float        # local hour
    work_end: float
    msisdn: str | None       # "336…"/"337…", the mobile line, if any
    email: str | None
    arrives: date | None = None  # set for a new occupant who joins during the period

    @property
    def title(self) -> str:
        return "Mme" if self.sex == "F" else "M."

    def age_on(self, day: date) -> int:
        years = day.year - self.birthdate.year
        return years - ((day.month, day.day) < (self.birthdate.month, self.birthdate.day))


@dataclass
class Address:
    street_number: str
    street: str
    postcode: str
    city: str
    insee: str
    country: str = "FRANCE"

    @property
    def line(self) -> str:
        return f"{self.street_number} {self.street}"

    @property
    def formatted(self) -> str:
        return f"{self.street_number} {self.street}, {self.postcode} {self.city}"


@dataclass
class Dwelling:
    kind: str                 # "Appartement" or "Maison"
    surface: float            # m²
    rooms: int
    construction_period: str
    construction_year: int
    owner: bool
    heating: str              # "Électricité", "Gaz", "Fioul", "Bois", "Réseau de chaleur"
    heat_pump: bool
    hot_water: str            # "Électrique", "Gaz", "Thermodynamique"
    gas_cooking: bool
    garden: bool
    location: Place

    @property
    def uses_gas(self) -> bool:
        return self.heating == "Gaz" or self.hot_water == "Gaz" or self.gas_cooking

    @property
    def electric_heating(self) -> bool:
        return self.heating == "Électricité"


@dataclass
class EnergyContract:
    kva: int
    option: str               # "Base", "HPHC" or "Tempo"
    hc_window: tuple[float, float]  # off-peak local hours (start, end), for HPHC
    pdl: str                  # 14-digit Linky usage point id
    enedis_customer_id: str
    supplier_client_id: str
    supplier_contract_number: str
    gas_pce: str | None
    gas_contract_number: str | None
    start: date               # contract start (before the period)


@dataclass
class Habits:
    bedtime: float            # local hour
    wake: float
    vod_per_month: float      # mean VOD orders per month on the household box
    vod_series_share: float
    tv_evenings: float        # share of evenings with TV on
    orange_client_id: str


@dataclass(frozen=True)
class Partners:
    """Which partners hold data on the household besides MAIF, Enedis and the water utility (all
    households) and GRDF (homes with gas): by market share, ``params/household.toml [partners]``."""
    edf: bool = True            # EDF supplies the energy: client, contracts, bills, home profile
    orange_mobile: bool = True  # the mobile lines are with Orange: calls, positions, phone bills
    orange_box: bool = True     # an Orange box with TV
    vod: bool = True            # orders VOD on that box during the period (implies orange_box)


@dataclass
class Household:
    index: int
    instance: str             # sandbox instance name, DNS-safe
    commune: Commune
    address: Address
    dwelling: Dwelling
    members: list[Member]
    contract: EnergyContract
    cars: list[str]           # plates "AA-123-AA"
    habits: Habits
    maif_societaire: str      # 7 digits
    water_contract: str
    partners: Partners = Partners()
    # per car (as ``cars``): since when the household has had it with that plate (plates.py)
    cars_since: list[date] = field(default_factory=list)

    @property
    def main(self) -> Member:
        return self.members[0]

    @property
    def phones(self) -> list[Member]:
        return [m for m in self.members if m.msisdn]


def ascii_slug(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch if ch.isalnum() else "-" for ch in norm.lower()).strip("-")


@cache
def _faker() -> Faker:
    return Faker("fr_FR")


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _choice(rng: np.random.Generator, values, shares):
    p = np.asarray(shares, dtype=float)
    return values[int(rng.choice(len(values), p=p / p.sum()))]


def home_spread_km(population: int, arrondissement: bool = False) -> float:
    """Radius (km) of a commune's built-up area, where its homes are: a disc holding the
    population at a density that grows with the commune's size (≈ 800 inhabitants/km² for a
    village's bourg, ≈ 3,000 for a town of 50,000, 15,000 in an arrondissement of Paris, Lyon or
    Marseille; assumption from typical urban densities, no per-commune area in the table)."""
    density = 15_000.0 if arrondissement else 800.0 * (max(population, 100) / 500.0) ** 0.3
    return float(np.sqrt(max(population, 100) / (np.pi * density)))


def _home_place(rng: np.random.Generator, commune: Commune) -> Place:
    """A point uniform in the commune's built-up disc around its centre."""
    r = home_spread_km(commune.population, commune.population != commune.city_population)
    km = r * np.sqrt(rng.random())
    angle = rng.uniform(0.0, 2 * np.pi)
    lat = commune.latitude + km * np.cos(angle) / 111.32
    lon = commune.longitude + km * np.sin(angle) / (111.32 * np.cos(np.radians(commune.latitude)))
    return Place(round(lat, 6), round(lon, 6))


def _jitter(rng: np.random.Generator, place: Place, km: float) -> Place:
    dlat = rng.normal(0, km / 111.0)
    dlon = rng.normal(0, km / (111.0 * np.cos(np.radians(place.latitude))))
    return Place(round(place.latitude + dlat, 6), round(place.longitude + dlon, 6))


def sample_household(index: int, rng: np.random.Generator, start: date) -> Household:
    """Draw household ``index`` with its own generator; ``start`` fixes ages and contract dates."""
    hp = parameters.load("household")
    fake = _faker()
    fake.seed_instance(int(rng.integers(0, 2**31)))
    commune = sample_commune(rng)

    comp = hp["composition"]
    size = int(_choice(rng, comp["size_values"], comp["size_shares"]))
    adults = 1 if size == 1 else (2 if rng.random() < comp["couple_share"] else 1)
    children = size - adults
    if size >= 2 and adults == 1 and rng.random() < 0.3:
        adults, children = size, 0  # flatmates
    family = fake.last_name()
    main_age = int(rng.integers(24, 80)) if children == 0 else int(rng.integers(28, 52))
    members: list[Member] = []
    for i in range(adults):
        sex = "F" if (rng.random() < 0.5 if i == 0 else members[0].sex == "M") else "M"
        age = main_age if i == 0 else int(np.clip(main_age + rng.normal(0, 3), 20, 90))
        role = "Membre principal" if i == 0 else ("Colocataire" if children == 0 and size > 2
                                                    else "Conjoint")
        fam = family if role != "Colocataire" else fake.last_name()
        members.append(_member(rng, fake, hp, sex, age, role, fam, start, commune))
    for _ in range(children):
        age = int(rng.integers(0, 18))
        members.append(_member(rng, fake, hp, "F" if rng.random() < 0.5 else "M", age, "Enfant",
                               family, start, commune))

    dwelling = _dwelling(rng, hp, commune, size)
    neighbours = same_department(commune)
    nearby = neighbours[int(rng.integers(0, len(neighbours)))].city
    street = french.street_name(rng, commune.size_class, nearby)
    address = Address(str(int(rng.integers(1, 120))), street.upper(), commune.postcode,
                      commune.city.upper(), commune.insee)
    contract = _contract(rng, hp, dwelling, size, start)
    cars_cfg = hp["cars"]
    n_cars = 0
    car_share = cars_cfg["car_share_city"] if commune.is_city else cars_cfg["car_share_town"]
    if rng.random() < car_share:
        n_cars = 1 + int(adults > 1 and rng.random() < cars_cfg["second_car_share"])
    habits = Habits(
        bedtime=float(np.clip(rng.normal(23.2, 0.8), 21.5, 25.5)),
        wake=float(np.clip(rng.normal(7.0, 0.7), 5.5, 9.5)),
        vod_per_month=float(rng.lognormal(np.log(2.5), 0.7)) if rng.random() < 0.8 else 0.3,
        vod_series_share=float(rng.uniform(0.1, 0.6)),
        tv_evenings=float(rng.uniform(0.5, 0.95)),
        orange_client_id=_digits(rng, 9),
    )
    cars = [plates.car(rng, start) for _ in range(n_cars)]
    main = members[0]
    instance = f"{ascii_slug(main.given)}-{ascii_slug(main.family)}-{index}"
    hh = Household(
        index=index, instance=instance, commune=commune, address=address, dwelling=dwelling,
        members=members, contract=contract, cars=[plate for plate, _ in cars],
        habits=habits, maif_societaire=str(int(rng.integers(1_000_000, 9_999_999))),
        water_contract=_digits(rng, 10),
        partners=_partners(rng, hp["partners"], start.year, index),
        cars_since=[since for _, since in cars],
    )
    if n_cars == 1 and adults > 1:  # drawn last: no other draw moves
        bought = plates.car_bought_during(rng, start)
        if bought:
            hh.cars.append(bought[0])
            hh.cars_since.append(bought[1])
    return hh


def edf_share(year: int) -> float:
    """EDF's share of homes in ``year``: given for some years, interpolated between them and
    constant outside."""
    by_year = parameters.load("household")["partners"]["edf_share_by_year"]
    years = sorted(int(y) for y in by_year)
    return float(np.interp(year, years, [by_year[str(y)] for y in years]))


def is_showcase(index: int) -> bool:
    """One of the first households, which every partner holds data on (``showcase_households``)."""
    return index < parameters.load("household")["partners"]["showcase_households"]


def _partners(rng: np.random.Generator, p: dict, year: int, index: int) -> Partners:
    """Drawn last, so that adding them left every earlier draw of the household unchanged."""
    u = rng.random(4)
    if is_showcase(index):
        return Partners()
    box = bool(u[2] < p["orange_box_share"])
    return Partners(edf=bool(u[0] < edf_share(year)),
                    orange_mobile=bool(u[1] < p["orange_mobile_share"]), orange_box=box,
                    vod=box and bool(u[3] < p["vod_share_of_box"]))


def _member(rng, fake: Faker, hp: dict, sex: str, age: int, role: str, family: str,
            start: date, commune: Commune) -> Member:
    birth = start - timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
    given = french.first_name(rng, sex, birth.year)
    prof = hp["professions"]
    works = False
    code, label = "", prof["student_label"] if age < 20 else prof["unemployed_label"]
    if age >= prof["retirement_age"]:
        code, label = "78", prof["retired_label"]
    elif age >= 20 and rng.random() < prof["employment_rate"]:
        i = int(rng.choice(len(prof["codes"]), p=np.array(prof["weights"]) / sum(prof["weights"])))
        code, label, works = prof["codes"][i], prof["labels"][i], True
    elif age < 20:
        code = "84"
    home = Place(commune.latitude, commune.longitude)
    work_place = _jitter(rng, home, 6.0) if works else None
    if age >= 11 and not works and age < 25:
        work_place = _jitter(rng, home, 2.0)  # school or university
    start_h = float(np.clip(rng.normal(8.6, 0.6), 6.5, 10.5))
    msisdn = email = None
    if age >= hp["phones"]["min_age_for_phone"]:
        msisdn = _msisdn(rng, hp["phones"], birth.year)
    if age >= 15:
        dom = EMAIL_DOMAINS[int(rng.integers(0, len(EMAIL_DOMAINS)))]
        email = f"{ascii_slug(given)}.{ascii_slug(family)}{int(rng.integers(1, 99))}@{dom}"
    return Member(given=given, family=family.upper(), sex=sex, birthdate=birth, role=role,
                  profession_code=code, profession=label, works=works, work_place=work_place,
                  work_start=round(start_h, 2), work_end=round(start_h + rng.uniform(7.5, 9.5), 2),
                  msisdn=msisdn, email=email)


def _msisdn(rng: np.random.Generator, ph: dict, birth_year: int) -> str:
    """"33" and the 9 digits of a French mobile number without its 0: 6xxxxxxxx or 7[3-9]xxxxxxx."""
    if rng.random() < np.interp(birth_year, ph["share_06_birth_years"], ph["share_06"]):
        return "336" + _digits(rng, 8)
    seventh = ph["seventh_digit_07"]
    return f"337{seventh[int(rng.integers(0, len(seventh)))]}" + _digits(rng, 7)


def _dwelling(rng, hp: dict, commune: Commune, size: int) -> Dwelling:
    d = hp["dwelling"]
    flat = rng.random() < d["flat_share"][commune.size_class]
    median = d["surface_median_flat"] if flat else d["surface_median_house"]
    surface = float(np.clip(median * (0.75 + 0.12 * size) * rng.lognormal(0, d["surface_sigma"]),
                            15, 320))
    rooms = int(np.clip(round(surface / 22 + rng.normal(0, 0.5)), 1, 10))
    i = int(rng.choice(len(d["construction_periods"]), p=d["construction_shares"]))
    lo, hi = d["construction_years"][i]
    heat = hp["heating"]
    heating = _choice(rng, heat["energies"],
                      heat["flat_shares" if flat else "house_shares"][commune.size_class])
    hw = hp["hot_water"]
    if heating == "Gaz" and rng.random() < hw["gas_if_gas_heating"]:
        hot_water = "Gaz"
    else:
        hot_water = "Électrique" if rng.random() < hw["electric_otherwise"] else "Thermodynamique"
    heat_pump = heating == "Électricité" and rng.random() < heat[
        "heat_pump_share_flat" if flat else "heat_pump_share_house"]
    owner = rng.random() < d["owner_share_flat" if flat else "owner_share_house"]
    home = _home_place(rng, commune)
    return Dwelling(
        kind="Appartement" if flat else "Maison", surface=round(surface, 0), rooms=rooms,
        construction_period=d["construction_periods"][i],
        construction_year=int(rng.integers(lo, hi + 1)), owner=bool(owner), heating=heating,
        heat_pump=bool(heat_pump), hot_water=hot_water,
        gas_cooking=heating == "Gaz" and rng.random() < heat["gas_cooking_share"],
        garden=not flat and rng.random() < 0.8, location=home,
    )


def _contract(rng, hp: dict, dwelling: Dwelling, size: int, start: date) -> EnergyContract:
    c = hp["electricity_contract"]
    band = int(np.searchsorted(c["kva_surface_bands"], dwelling.surface))
    kva_shares = c["kva_shares_by_surface"][band]  # the default choice, raised to fit the peak
    kva = subscription.fitted_kva(dwelling, size, int(_choice(rng, c["kva_values"], kva_shares)))
    shares = c["option_shares_electric_heating" if dwelling.electric_heating
               else "option_shares_other"]
    option = _choice(rng, list(shares), list(shares.values()))
    window = c["hc_windows"][int(rng.integers(0, len(c["hc_windows"])))]
    uses_gas = dwelling.uses_gas
    return EnergyContract(
        kva=int(kva), option=option, hc_window=(float(window[0]), float(window[1])),
        pdl="0" + _digits(rng, 13), enedis_customer_id=_digits(rng, 11),
        supplier_client_id=_digits(rng, 10), supplier_contract_number=_digits(rng, 10),
        gas_pce=_digits(rng, 14) if uses_gas else None,
        gas_contract_number=_digits(rng, 10) if uses_gas else None,
        start=start - timedelta(days=int(rng.integers(200, 4000))),
    )
