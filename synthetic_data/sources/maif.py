"""MAIF: contracts, insured home, household, member, payment terms, claims and premium bills.

Every MAIF doctype holds **one document per policy holder** wrapping its payload under one key
(``{"contrat": [...]}``, ``{"foyer": {...}}``…), as the MAIF konnector stored the ``mes_infos`` API
body. Claims come from the timeline's ``claim`` events (so they agree with the ground truth, and a
burst pipe on the water meter is followed by its water-damage claim). Premiums follow the dwelling
(type, surface, owner or renter, contents band) and, for cars, the bonus-malus coefficient (CRM)
built from the main driver's years of licence and at-fault claims; the CRM is revised every
1 January with the at-fault claims of the year before.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.communes import Commune, sample_commune
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.household import Household, Member
from synthetic_data.invoices import INVOICE_DETAILS, InvoiceDetail, split_cents
from synthetic_data.ledger import publish_bill
from synthetic_data.sources import bills

CONTRAT = "fr.maif.maifuser.contrat"
HOME = "fr.maif.maifuser.home"
FOYER = "fr.maif.maifuser.foyer"
SOCIETAIRE = "fr.maif.maifuser.societaire"
PAYMENTTERMS = "fr.maif.maifuser.paymentterms"
SINISTRE = "fr.maif.maifuser.sinistre"
DOCTYPES = (CONTRAT, HOME, FOYER, SOCIETAIRE, PAYMENTTERMS, SINISTRE, bills.BILLS)

VENDOR = "MAIF"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _p() -> dict:
    return parameters.load("insurance")


def _pick(rng: np.random.Generator, shares) -> int:
    p = np.asarray(shares, dtype=float)
    return int(rng.choice(len(p), p=p / p.sum()))


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def _between(rng: np.random.Generator, lo: date, hi: date) -> date:
    if hi <= lo:
        return hi
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


# --- identifiers -----------------------------------------------------------------------------

def check_letter(societaire: str) -> str:
    """The member number's check letter ("1234567N"): letters cycled by number."""
    letters = _p()["membership"]["check_letters"]
    return letters[int(societaire) % len(letters)]


def rib_key(bank: str, branch: str, account: str) -> int:
    """French RIB key (clé RIB) of a numeric bank code, branch code and account number."""
    return 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97


def iban_fr(bank: str, branch: str, account: str) -> str:
    """A French IBAN (FRkk + 23-character BBAN) with valid RIB key and ISO 13616 check digits."""
    bban = f"{bank}{branch}{account}{rib_key(bank, branch, account):02d}"
    # ISO 13616: BBAN + "FR00" with letters as numbers (F = 15, R = 27), mod 97.
    check = 98 - int(bban + "152700") % 97
    return f"FR{check:02d}{bban}"


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (any country)."""
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", s):
        return False
    digits = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(digits) % 97 == 1


# --- addresses and people --------------------------------------------------------------------

def insured_address(hh: Household) -> dict:
    """The household address as every MAIF document writes it (same line as Enedis)."""
    codes = _p()["dwelling_codes"]
    a = hh.address
    return {"street": a.line, "postCode": a.postcode, "city": a.city, "country": a.country,
            "numeroPays": codes["numero_pays_france"]}


def place_name(commune: Commune) -> str:
    """"LYON 06" for an arrondissement (as in the kit), else the commune name in capitals."""
    m = re.match(r"(.+?) (\d+)(?:er|e) Arrondissement$", commune.name)
    if m:
        return f"{m.group(1).upper()} {int(m.group(2)):02d}"
    return commune.name.upper()


def tel_mobile(member: Member) -> str:
    """The kit's MAIF format, E.164: "+33" then the 9 digits after the national 0."""
    return f"+{member.msisdn}" if member.msisdn else ""


def _profession(member: Member, on: date) -> tuple[str, str]:
    """(code, "code label"), as the kit writes them; people without a job get the INSEE code
    for pupils and students (under 25) or for others without a professional activity."""
    code, label = member.profession_code, member.profession
    if not code:
        none = _p()["people"]["no_profession"]
        key = "young" if member.age_on(on) < none["young_below_age"] else "other"
        code, label = none[f"{key}_code"], none[f"{key}_label"]
    return code, f"{code} {label}"


def _contact(member: Member) -> dict:
    """email and telMobile when the member has them (the kit's member has both; we omit a
    missing one rather than write an empty string the kit never shows)."""
    out = {}
    if member.email:
        out["email"] = member.email
    if member.msisdn:
        out["telMobile"] = tel_mobile(member)
    return out


def _mixed_case(name: str) -> str:
    """"LE GALL-PRIGENT" -> "Le Gall-Prigent" (the kit's claim drivers are written so)."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), name)


@dataclass
class People:
    situation_code: str
    situation: str
    maiden: dict[int, str]            # member index -> maiden name
    birthplaces: list[dict]


def _people(ctx: SourceContext) -> People:
    p = _p()
    hh = ctx.household
    rng = ctx.rng("maif-people")
    fs = p["family_situation"]
    couple = any(m.role == "Conjoint" for m in hh.members)
    if couple:
        i = _pick(rng, fs["couple_shares"])
        code, label = fs["couple_codes"][i], fs["couple_labels"][i]
    else:
        old = hh.main.age_on(ctx.period.start) >= 60
        i = _pick(rng, fs["single_shares_over_60" if old else "single_shares_under_60"])
        code, label = fs["single_codes"][i], fs["single_labels"][i]
    maiden: dict[int, str] = {}
    names = [n for n in p["people"]["maiden_names"] if n != hh.main.family]
    for k, m in enumerate(hh.members):
        if code == "M" and m.sex == "F" and m.role in ("Membre principal", "Conjoint"):
            maiden[k] = names[int(rng.integers(0, len(names)))]
    country = p["dwelling_codes"]["country"]
    numero = p["dwelling_codes"]["numero_pays_france"]
    places = []
    for m in hh.members:
        local = m.arrives is not None or rng.random() < p["people"]["born_locally_share"]
        c = hh.commune if local else sample_commune(rng)
        places.append({"city": c.city.upper(), "country": country, "numeroPays": numero,
                       "region": c.department})
    return People(code, label, maiden, places)


def _name(m: Member, maiden: str) -> dict:
    pp = _p()["people"]
    return {"codeTitrePersonne": pp["title_codes"][m.sex], "prefix": pp["prefixes"][m.sex],
            "family": m.family.upper(), "given": m.given.upper(), "maiden": maiden}


# --- bonus-malus -----------------------------------------------------------------------------

@dataclass
class Crm:
    """Coefficient de réduction-majoration and the state its rules need."""

    value: float
    years_at_floor: int = 0
    claim_free_years: int = 0

    def year(self, at_fault: int) -> None:
        """Apply one insurance year with ``at_fault`` at-fault claims (art. A121-1)."""
        bm = _p()["bonus_malus"]
        trunc = lambda x: math.floor(x * 100 + 1e-9) / 100  # noqa: E731 (2 decimals, rounded down)
        if at_fault == 0:
            self.claim_free_years += 1
            if self.value > bm["start"] and self.claim_free_years >= bm["malus_reset_years"]:
                self.value = bm["start"]
            else:
                self.value = max(bm["floor"], trunc(self.value * bm["claim_free_factor"]))
            self.years_at_floor = self.years_at_floor + 1 if self.value <= bm["floor"] else 0
            return
        self.claim_free_years = 0
        if self.value <= bm["floor"] and self.years_at_floor >= bm["forgiveness_years_at_floor"]:
            at_fault -= 1  # the first at-fault claim after 3 years at 0.50 is forgiven
        if at_fault:
            self.value = min(bm["ceiling"], trunc(self.value * bm["at_fault_factor"] ** at_fault))
        self.years_at_floor = 0


def at_fault_rate() -> float:
    """At-fault claims per car-year implied by the timeline's car-claim rate and causes."""
    car = parameters.load("events")["car_claims"]
    fault = _p()["fault"]
    prob = dict(zip(fault["causes"], fault["at_fault_probability"], strict=True))
    return car["rate_per_car"] * sum(s * prob[c] for c, s in zip(car["causes"],
                                                                 car["cause_shares"], strict=True))


def crm_at(years_licensed: int, rng: np.random.Generator) -> Crm:
    """The CRM after ``years_licensed`` years of driving with random at-fault claims."""
    crm = Crm(_p()["bonus_malus"]["start"])
    rate = at_fault_rate()
    for n in rng.poisson(rate, max(0, years_licensed)):
        crm.year(int(n))
    return crm


# --- claims ----------------------------------------------------------------------------------

def _claims(ctx: SourceContext, people_index: dict[str, int]) -> tuple[list[dict], dict]:
    """Claims, one flat document each as in the kit (newest first), and per plate the at-fault
    claim dates."""
    p = _p()
    cp = p["claims"]
    hh = ctx.household
    tl = ctx.timeline
    rng = ctx.rng("maif-claims")
    fault = dict(zip(p["fault"]["causes"], p["fault"]["at_fault_probability"], strict=True))
    place_home = place_name(hh.commune)
    at_fault: dict[str, list[date]] = {plate: [] for plate in hh.cars}
    items = []
    seen: set[str] = set()
    for e in (e for e in tl.events if e.kind == "claim"):
        d = e.details
        vehicle = d["type"] == "Vehicule"
        hour = _pick(rng, cp["car_hour_weights" if vehicle else "home_hour_weights"])
        minute = int(rng.integers(0, 60 // cp["minute_step"])) * cp["minute_step"]
        ref = ""
        while not ref or ref in seen:
            ref = (f"F{e.start.year % 100:02d}" + "".join(str(x) for x in rng.integers(0, 10, 7))
                   + ALNUM[int(rng.integers(0, 26))])
        seen.add(ref)
        item = {"docTypeVersion": cp["doc_type_version"], "type": d["type"],
                "societaire": hh.maif_societaire + check_letter(hh.maif_societaire),
                "timestamp": f"{e.start.isoformat()}T{hour:02d}:{minute:02d}"}
        if vehicle:
            k = _pick(rng, cp["car_place_shares"])
            trip = int(tl.trip[tl.day_index(e.start)])
            lieu = tl.trips[trip].details["destination"].upper() if trip >= 0 else place_home
            member_i = people_index[d["driver"]]
            driver = hh.members[member_i]
            name = _name(driver, "")
            responsible = bool(rng.random() < fault[d["cause"]])
            if responsible:
                at_fault[d["plate"]].append(e.start)
            item |= {"lieuSurvenance": lieu, "ref": ref,
                     "typeLieuSurvenance": cp["place_labels"][k],
                     "immatriculationVehicule": d["plate"],
                     "driver": {"prefix": cp["driver_prefixes"][driver.sex],
                                "family": _mixed_case(name["family"]),
                                "given": _mixed_case(name["given"])},
                     "driverNumber": str(member_i + 1),
                     "natureSinistre": d["cause"],
                     "responsabilite": "Responsable" if responsible else "Non responsable",
                     "montantSinistre": float(d["amount"])}
        else:
            address = {k: v for k, v in insured_address(hh).items() if k != "numeroPays"}
            item |= {"lieuSurvenance": place_home, "ref": ref,
                     "typeLieuSurvenance": cp["place_labels"][0],
                     "natureLieu": hh.dwelling.kind,
                     "address": address,
                     "natureSinistre": d["cause"],
                     "montantSinistre": float(d["amount"])}
        items.append(item)
    items.sort(key=lambda c: (c["timestamp"], c["ref"]), reverse=True)
    return items, at_fault


# --- premiums --------------------------------------------------------------------------------

def _years(ctx: SourceContext) -> list[int]:
    last = ctx.period.end - timedelta(days=1)
    return list(range(ctx.period.start.year, last.year + 1))


def contents_band(hh: Household, rng: np.random.Generator) -> int:
    c = _p()["contents"]
    value = (c["per_m2"] * hh.dwelling.surface + c["per_person"] * len(hh.members)) * float(
        rng.lognormal(0.0, c["sigma"]))
    return int(np.searchsorted(c["upper_bounds"], value, side="left"))


def home_premium(hh: Household, band: int, formula: int, rng: np.random.Generator) -> float:
    """Annual home premium TTC in force at the start of the period."""
    p = _p()
    hp = p["home_premium"]
    key = ("flat" if hh.dwelling.kind == "Appartement" else "house") + (
        "_owner" if hh.dwelling.owner else "_renter")
    amount = hp["intercept"][key] + hp["per_m2"][key] * hh.dwelling.surface
    amount *= p["contents"]["premium_factors"][band] * p["home_formulas"]["factors"][formula]
    amount *= hp["city_factor"] if hh.commune.is_city else 1.0
    amount *= float(rng.lognormal(0.0, hp["sigma"]))
    return max(hp["minimum"], amount)


def due_dates(per: Period, months: int) -> list[tuple[date, date]]:
    """(due date, last day covered) of each premium called within the data, in advance: every
    1 January for the year when paying in one go, the 1st of each month for the month when paying
    monthly (MAIF's terms: annual due date 1 January, monthly ones on the 1st [I3])."""
    out = []
    first = date(per.start.year, per.start.month if months == 1 else 1, 1)
    while first < per.end:
        m = first.month - 1 + months
        nxt = date(first.year + m // 12, m % 12 + 1, 1)
        if first >= per.start:
            out.append((first, nxt - timedelta(days=1)))
        first = nxt
    return out


def instalment(yearly: float, due: date, months: int) -> float:
    """The premium called on ``due``: the year's, or a twelfth of it (December takes the cents
    the rounding left, so the twelve add up to the year's premium)."""
    if months == 12:
        return round(yearly, 2)
    twelfth = round(yearly / 12, 2)
    return round(yearly - 11 * twelfth, 2) if due.month == 12 else twelfth


# --- the source ------------------------------------------------------------------------------

@dataclass
class _HomeTerms:
    band: int                 # contents band (index into the contents codes)
    formula: int              # index into the home formulas
    yearly: dict[int, float]  # premium TTC per calendar year


def _membership(ctx: SourceContext) -> tuple[date, date]:
    """Membership date (as an adult) and home-contract start (on moving in, or on joining if
    later), both before the period."""
    ms = _p()["membership"]
    hh, per = ctx.household, ctx.period
    rng = ctx.rng("maif-membership")
    adult_at = hh.main.birthdate + timedelta(days=int(ms["min_age"] * 365.25))
    member_since = max(adult_at, per.start - timedelta(
        days=int(rng.uniform(ms["years_min"], ms["years_max"]) * 365.25)))
    member_since = min(member_since, per.start - timedelta(days=30))
    home_start = min(max(hh.contract.start, member_since), per.start - timedelta(days=1))
    return member_since, home_start


def _home_terms(ctx: SourceContext, years: list[int]) -> _HomeTerms:
    p = _p()
    rng = ctx.rng("maif-home")
    band = contents_band(ctx.household, rng)
    formula = _pick(rng, p["home_formulas"]["shares"])
    home0 = home_premium(ctx.household, band, formula, rng)
    yearly = {y: round(home0 * (1 + p["home_premium"]["yearly_increase"]) ** (y - years[0]), 2)
              for y in years}
    return _HomeTerms(band, formula, yearly)


def _home_contract(hh: Household, terms: _HomeTerms, start: date, address: dict,
                   last_year: int) -> dict:
    hf = _p()["home_formulas"]
    return {
        "societaire": hh.maif_societaire, "name": "NOR", "formuleBase": hf["labels"][terms.formula],
        "codeFormuleReference": hf["codes"][terms.formula], "startDate": _midnight(start),
        "montantTarifTtc": terms.yearly[last_year],
        "objects": {"startDate": _midnight(start), "lieu": [{"address": address}]},
    }


@dataclass(frozen=True)
class Amendment:
    """A car insured during the period: the rest of its first year billed the day it starts."""

    day: date
    amount: float
    plate: str


def _cars(ctx: SourceContext, years: list[int], member_since: date,
          at_fault: dict[str, list[date]],
          ) -> tuple[list[dict], dict[int, float], list[Amendment]]:
    """Car contracts, their premiums summed per year, and the amendments of cars bought during
    the period (insured from that day: the year's remainder billed then, whole years after);
    cars go to the adults in turn."""
    per = ctx.period
    rng = ctx.rng("maif-cars")
    licence_age = _p()["bonus_malus"]["licence_age"]
    adults = [m for m in ctx.household.members
              if m.arrives is None and m.age_on(per.start) >= licence_age]
    contracts = []
    yearly: dict[int, float] = dict.fromkeys(years, 0.0)
    hh = ctx.household
    amendments = []
    for k, plate in enumerate(hh.cars):
        since = hh.cars_since[k] if k < len(hh.cars_since) else member_since
        contract, premiums = _car(ctx, rng, adults[k % len(adults)], plate, years,
                                  max(member_since, since), at_fault[plate])
        contracts.append(contract)
        for y, premium in zip(years, premiums, strict=True):
            if since < per.start or y > since.year:
                yearly[y] += premium
            elif y == since.year:  # bought during the period: the year's rest, that day
                rest = (date(y + 1, 1, 1) - since).days / (date(y + 1, 1, 1) - date(y, 1, 1)).days
                amendments.append(Amendment(since, round(premium * rest, 2), plate))
    return contracts, yearly, amendments


def _car(ctx: SourceContext, rng: np.random.Generator, driver: Member, plate: str,
         years: list[int], earliest: date, at_fault: list[date]) -> tuple[dict, list[float]]:
    """One car's contract and its premium per year: the main driver's CRM at the start of the
    period, revised each 1 January with the at-fault claims of the year before. Insured from
    ``earliest`` at the soonest: membership, and the day the household got the car with its
    plate."""
    p = _p()
    bm, cp, cf = p["bonus_malus"], p["car_premium"], p["car_formulas"]
    per = ctx.period
    age = driver.age_on(per.start)
    delay = int(rng.integers(0, bm["max_licence_delay"] + 1))
    licence_age = min(age, bm["licence_age"] + delay)
    licensed = driver.birthdate + timedelta(days=int(licence_age * 365.25))
    crm = crm_at(age - licence_age, rng)
    f = _pick(rng, cf["shares"])
    factor = cp["base"] * cf["factors"][f] * float(rng.lognormal(0.0, cp["sigma"]))
    start = _between(rng, max(earliest, licensed), per.start - timedelta(days=30))
    if earliest >= per.start:  # bought during the period: insured from the day it was bought
        start = earliest
    premiums = []
    for j, y in enumerate(years):
        if j:
            crm.year(sum(1 for d in at_fault if d.year == y - 1))
        premiums.append(round(max(cp["minimum"], factor * crm.value
                                  * (1 + cp["yearly_increase"]) ** j), 2))
    contract = {
        "societaire": ctx.household.maif_societaire, "name": "VAM", "formuleBase": cf["labels"][f],
        "codeFormuleReference": cf["codes"][f], "startDate": _midnight(start),
        "montantTarifTtc": premiums[-1], "coefficientBonusMalus": crm.value,
        "objects": {"startDate": _midnight(start),
                    "vehicule": [{"immatriculationVehicule": plate}]},
    }
    return contract, premiums


def _insured_home(hh: Household, band: int, address: dict) -> dict:
    p = _p()
    codes = p["dwelling_codes"]
    rooms = p["rooms"]
    r = int(np.searchsorted(rooms["max_rooms"], hh.dwelling.rooms, side="left"))
    flat = hh.dwelling.kind == "Appartement"
    owner = hh.dwelling.owner
    return {"home": [{
        "address": address, "societaire": hh.maif_societaire,
        "codeNatureLieuRisque": codes["nature_flat" if flat else "nature_house"],
        "natureLieu": hh.dwelling.kind,
        "codeJuridique": codes["owner_code" if owner else "renter_code"],
        "situationJuridiqueLieu": codes["owner_label" if owner else "renter_label"],
        "codePieceLieuRisque": rooms["codes"][r], "nombrePieces": rooms["labels"][r],
        "codeTrancheMobilier": p["contents"]["codes"][band],
        "patrimoineMobilier": p["contents"]["labels"][band],
    }]}


def _foyer(hh: Household, rng: np.random.Generator, people: People, address: dict,
           on: date) -> dict:
    quality_codes = _p()["people"]["quality_codes"]
    name = "1-" + "".join(ALNUM[i] for i in rng.integers(0, len(ALNUM), 7))
    membres = []
    for k, m in enumerate(hh.members):
        code, profession = _profession(m, on)
        membres.append({
            "name": _name(m, people.maiden.get(k, "")), **_contact(m),
            "birthdate": m.birthdate.isoformat(),
            "birthplace": people.birthplaces[k], "codeProfessionSocietaire": code,
            "profession": profession, "codeQualitePersonne": quality_codes[m.role],
            "quality": m.role,
        })
    return {"foyer": {
        "name": name,
        "address": {**address, "deliveryOffice": hh.address.city, "inseeCode": hh.address.insee,
                    "residence": ""},
        "membres": membres,
    }}


def _societaire(ctx: SourceContext, rng: np.random.Generator, people: People,
                member_since: date) -> dict:
    """The main member's record, last modified on the latest arrival of a member (else some day
    since joining)."""
    pp = _p()["people"]
    hh = ctx.household
    societaire = hh.maif_societaire
    main = hh.main
    code, profession = _profession(main, ctx.period.start)
    arrivals = [m.arrives for m in hh.members if m.arrives is not None]
    modified = max(arrivals) if arrivals else _between(rng, member_since, ctx.period.start)
    return {"societaire": {
        "name": _name(main, people.maiden.get(0, "")), **_contact(main),
        "birthdate": main.birthdate.isoformat(),
        "birthplace": people.birthplaces[0], "codeProfessionSocietaire": code,
        "profession": profession, "codeSituationFamiliale": people.situation_code,
        "familySituation": people.situation,
        "codeActif": pp["codeActif_retired" if code == pp["retired_profession_code"]
                        else "codeActif_active"],
        "codeEtat": "", "dateEtat": "",
        "referenceClient": societaire + check_letter(societaire),
        "timestampModification": modified.strftime("%d/%m/%Y"),
    }}


def payment_account(ctx: SourceContext) -> tuple[int, int, str, str]:
    """How MAIF is paid: the payment mode's index, and the bank (index into ``[payment]
    bank_codes``), branch and account number of the account it debits: the household's checking
    account, which the bank source builds from the same draws."""
    pay = _p()["payment"]
    rng = ctx.rng("maif-payment")
    mode = _pick(rng, pay["shares"])
    bank = _pick(rng, pay["bank_shares"])
    branch = "".join(str(x) for x in rng.integers(0, 10, 5))
    account = "".join(str(x) for x in rng.integers(0, 10, 11))
    return mode, bank, branch, account


def _payment_terms(ctx: SourceContext) -> tuple[dict, int]:
    """The payment-terms document and the months between two debits (1 or 12)."""
    pay = _p()["payment"]
    mode, bank, branch, account = payment_account(ctx)
    doc = {"paymentterms": {
        "rib": {"bic": pay["bics"][bank],
                "iban": iban_fr(pay["bank_codes"][bank], branch, account)},
        "modePaiement": pay["modes"][mode], "societaire": ctx.household.maif_societaire,
    }}
    return doc, int(pay["months"][mode])


def _premium_bills(ctx: SourceContext, home: dict[int, float], cars: dict[int, float],
                   months: int, formula: str, amendments: list[Amendment]) -> Batch:
    """The premiums called within the data, each on its due date for the time ahead: home and car
    contracts together (one line each on the PDF)."""
    details = ctx.shared.setdefault(INVOICE_DETAILS, {})
    societaire = ctx.household.maif_societaire
    plates = ctx.household.cars
    docs = []
    for due, last in due_dates(ctx.period, months):
        home_part = instalment(home[due.year], due, months)
        amount = round(home_part + instalment(cars[due.year], due, months), 2)
        doc = {"vendor": VENDOR, "type": "insurance", "date": f"{due.isoformat()}T00:00:00.000Z",
               "amount": amount, "currency": "EUR",
               "recurrence": "yearly" if months == 12 else "monthly",
               "periodStart": due.isoformat(), "periodEnd": last.isoformat(),
               "contractNumber": societaire, "vendorRef": f"{societaire}-{due:%Y%m}",
               "isRefund": False}
        lines = [(f"Contrat habitation, formule {formula}", "", home_part)]
        if plates:
            lines.append((f"Contrat{'s' if len(plates) > 1 else ''} automobile",
                          ", ".join(plates), amount - home_part))
        details[(VENDOR, doc["vendorRef"])] = InvoiceDetail(
            split_cents(lines, amount), (("N° de sociétaire", societaire),))
        publish_bill(ctx, doc, source="maif")  # called on its due date
        docs.append(doc)
    for a in amendments:
        last = date(a.day.year, 12, 31)
        doc = {"vendor": VENDOR, "type": "insurance", "date": f"{a.day.isoformat()}T00:00:00.000Z",
               "amount": a.amount, "currency": "EUR", "recurrence": "yearly",
               "periodStart": a.day.isoformat(), "periodEnd": last.isoformat(),
               "contractNumber": societaire, "vendorRef": f"{societaire}-AV{a.day:%Y%m%d}",
               "isRefund": False}
        details[(VENDOR, doc["vendorRef"])] = InvoiceDetail(
            split_cents([(f"Avenant : ajout du véhicule {a.plate}, jusqu'au {last:%d/%m/%Y}",
                          a.plate, a.amount)], a.amount),
            (("N° de sociétaire", societaire),))
        publish_bill(ctx, doc, source="maif")
        docs.append(doc)
    docs.sort(key=lambda d: d["date"])
    return Batch.from_dicts(bills.BILLS, docs)


def generate(ctx: SourceContext) -> list[Batch]:
    hh = ctx.household
    address = insured_address(hh)
    years = _years(ctx)
    member_since, home_start = _membership(ctx)
    home_terms = _home_terms(ctx, years)
    # People, then claims (which fix the at-fault claims the CRM needs).
    people = _people(ctx)
    claims, at_fault = _claims(ctx, {f"{m.given} {m.family}": k for k, m in enumerate(hh.members)})
    car_contracts, car_yearly, amendments = _cars(ctx, years, member_since, at_fault)
    home_contract = _home_contract(hh, home_terms, home_start, address, years[-1])
    rng = ctx.rng("maif-foyer")  # shared: the foyer's name, then the modification date
    foyer = _foyer(hh, rng, people, address, ctx.period.start)
    societaire = _societaire(ctx, rng, people, member_since)
    paymentterms, months = _payment_terms(ctx)
    return [
        Batch.from_dicts(CONTRAT, [{"contrat": [home_contract, *car_contracts]}]),
        Batch.from_dicts(HOME, [_insured_home(hh, home_terms.band, address)]),
        Batch.from_dicts(FOYER, [foyer]),
        Batch.from_dicts(SOCIETAIRE, [societaire]),
        Batch.from_dicts(PAYMENTTERMS, [paymentterms]),
        Batch.from_dicts(SINISTRE, claims),
        _premium_bills(ctx, {y: home_terms.yearly[y] for y in years}, car_yearly, months,
                       _p()["home_formulas"]["labels"][home_terms.formula], amendments),
    ]
