"""One latent timeline per household that every source follows.

Per local day: at home or away (and where), how many people live there, any leak flowing. Plus the
dated events that organisers score detectors against (vacations, leaks, claims, new occupants,
tariff changes), written as ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household, Member
from synthetic_data.trips import Journey, clock, plan_trips


@dataclass
class Event:
    kind: str          # vacation, leak, claim, new_occupant, tariff_change, new_car, ...
    start: date
    end: date          # inclusive last day (== start for one-day events)
    details: dict = field(default_factory=dict)


@dataclass
class Timeline:
    period: Period
    # A trip's first and last days are away (and in ``trip``) although the household is at home
    # before leaving on the first and after coming back on the last (``journeys``: hours): meters
    # treat them as away days (water as half days), positions follow the journey.
    away: np.ndarray          # bool per day: nobody home (for part of the day on travel days)
    trip: np.ndarray          # int per day: index into ``trips`` or -1
    trips: list[Event]
    occupants: np.ndarray     # int per day: people living there
    leak_lph: np.ndarray      # float per day: leak flow in L/h (0 when none)
    hc_option: np.ndarray     # object per day: "Base", "HPHC" or "Tempo" in force that day
    events: list[Event]
    journeys: list[Journey] = field(default_factory=list)  # per trip: how it is travelled

    def day_index(self, day: date) -> int:
        return (day - self.period.start).days


def _day(period: Period, i: int) -> date:
    return period.start + timedelta(days=int(i))


def build_timeline(hh: Household, period: Period, rng: np.random.Generator) -> Timeline:
    ev = parameters.load("events")
    n = period.n_days
    away = np.zeros(n, dtype=bool)
    trip = np.full(n, -1, dtype=np.int64)
    trips: list[Event] = []
    journeys: list[Journey] = []
    events: list[Event] = []
    for plan in plan_trips(hh, period, rng):
        first, last = plan.first, plan.first + plan.nights
        if away[max(0, first - 2):last + 3].any():
            continue
        d, j = plan.destination, plan.journey
        e = Event("vacation", _day(period, first), _day(period, last),
                  {"destination": d.name, "abroad": d.abroad, "latitude": d.latitude,
                   "longitude": d.longitude, "destination_kind": d.kind, "mode": j.mode,
                   "leaves_at": clock(float(j.out_hours[0])),
                   "back_at": clock(float(j.back_hours[-1]))})
        away[first:last + 1] = True
        trip[first:last + 1] = len(trips)
        trips.append(e)
        journeys.append(j)
    order = sorted(range(len(trips)), key=lambda k: trips[k].start)
    trips, journeys = [trips[k] for k in order], [journeys[k] for k in order]
    rank = np.argsort(order)
    trip = np.where(trip >= 0, rank[np.maximum(trip, 0)] if order else trip, -1)

    occupants = np.full(n, sum(1 for m in hh.members if m.arrives is None), dtype=np.int64)
    _new_occupants(hh, period, rng, ev["new_occupant"], occupants, events)
    leak = np.zeros(n)
    _leaks(period, rng, ev["leaks"], leak, events, hh)
    _claims(hh, period, rng, ev, events)
    events.extend(Event("new_car", since, since, {"plate": plate})
                  for plate, since in zip(hh.cars, hh.cars_since, strict=False)
                  if since >= period.start)
    option = np.full(n, hh.contract.option, dtype=object)
    _tariff_changes(hh, period, rng, ev["tariff_change"], option, events)
    events.extend(trips)
    events.sort(key=lambda e: (e.start, e.kind))
    return Timeline(period, away, trip, trips, occupants, leak, option, events, journeys)


def _new_occupants(hh: Household, period: Period, rng, cfg: dict, occupants, events) -> None:
    years = period.n_days / 365.25
    main = hh.main
    adults = [m for m in hh.members if m.role in ("Membre principal", "Conjoint")]
    if len(adults) == 2 and 25 <= main.age_on(period.start) <= 42:
        if rng.random() < 1 - np.exp(-cfg["birth_rate"] * years):
            i = int(rng.integers(30, period.n_days))
            day = _day(period, i)
            baby = Member(given=_baby_name(rng), family=main.family, sex="F" if rng.random() < .5
                          else "M", birthdate=day, role="Enfant", profession_code="84",
                          profession="Élève, étudiant", works=False, work_place=None,
                          work_start=0.0, work_end=0.0, msisdn=None, email=None, arrives=day)
            hh.members.append(baby)
            occupants[i:] += 1
            events.append(Event("new_occupant", day, day, {"reason": "naissance",
                                                           "given": baby.given}))
    elif len(hh.members) == 1 and rng.random() < 1 - np.exp(-cfg["partner_moves_in_rate"] * years):
        i = int(rng.integers(30, period.n_days))
        occupants[i:] += 1
        events.append(Event("new_occupant", _day(period, i), _day(period, i),
                            {"reason": "emménagement d'un conjoint"}))


def _baby_name(rng) -> str:
    names = ("Léa", "Louise", "Jade", "Emma", "Gabriel", "Léo", "Raphaël", "Arthur", "Alba", "Noé")
    return names[int(rng.integers(0, len(names)))]


def _leaks(period: Period, rng, cfg: dict, leak, events, hh: Household) -> None:
    years = period.n_days / 365.25
    for _ in range(rng.poisson(cfg["rate_per_year"] * years)):
        k = int(rng.choice(len(cfg["kinds"]), p=cfg["kind_shares"]))
        lo, hi = cfg["flow_lph"][k]
        dlo, dhi = cfg["duration_days"][k]
        flow = round(float(rng.uniform(lo, hi)), 1)
        dur = int(rng.integers(dlo, dhi + 1))
        i = int(rng.integers(0, max(1, period.n_days - dur)))
        if leak[i:i + dur].any():
            continue
        hours = float(rng.uniform(3, 10)) if cfg["kinds"][k] == "burst_pipe" else 24.0
        leak[i:i + dur] = flow * hours / 24.0
        start, end = _day(period, i), _day(period, min(period.n_days - 1, i + dur - 1))
        events.append(Event("leak", start, end, {"kind": cfg["kinds"][k], "flow_lph": flow,
                                                 "hours_per_day": round(hours, 1)}))
        if rng.random() < cfg["claim_probability"][k]:
            claim_day = min(end + timedelta(days=int(rng.integers(0, 4))),
                            period.end - timedelta(days=1))
            events.append(Event("claim", claim_day, claim_day, {
                "type": "Habitation", "cause": "Dégât des eaux", "after_leak": start.isoformat(),
                "amount": _severity(rng, 1215 if hh.dwelling.kind == "Appartement" else 2238)}))


def _severity(rng, mean: float) -> float:
    # Lognormal with the reported mean and a heavy tail (sigma assumption).
    sigma = 0.9
    return round(float(rng.lognormal(np.log(mean) - sigma**2 / 2, sigma)), 2)


def leak_claim_rate(cfg: dict) -> float:
    """Water-damage claims per household-year that follow a metered leak (``_leaks``)."""
    return cfg["rate_per_year"] * sum(s * p for s, p in zip(cfg["kind_shares"],
                                                            cfg["claim_probability"], strict=True))


def _claims(hh: Household, period: Period, rng, ev: dict, events) -> None:
    years = period.n_days / 365.25
    home = ev["home_claims"]
    rate = home["rate_flat"] if hh.dwelling.kind == "Appartement" else home["rate_house"]
    causes, shares = home["causes"], np.asarray(home["cause_shares"], dtype=float)
    shares = shares / shares.sum()
    # Water damage takes its published share of the claims. Part of it follows a leak on the
    # household's own meter (drawn in _leaks); the rest comes from elsewhere (a neighbour's flat,
    # rain through the roof or a wall, a shared pipe) and leaves no trace on the meter.
    water = causes.index("Dégât des eaux")
    elsewhere = max(0.0, rate * shares[water] - leak_claim_rate(ev["leaks"]))
    origins = home["water_elsewhere_origins"]
    for _ in range(rng.poisson(elsewhere * years)):
        day = _day(period, int(rng.integers(0, period.n_days)))
        origin = origins[int(rng.integers(0, len(origins)))]
        events.append(Event("claim", day, day, {
            "type": "Habitation", "cause": causes[water], "origin": origin,
            "amount": _severity(rng, 1215 if hh.dwelling.kind == "Appartement" else 2238)}))
    others = np.delete(np.arange(len(causes)), water)
    for _ in range(rng.poisson(rate * (1 - shares[water]) * years)):
        cause = causes[int(rng.choice(others, p=shares[others] / shares[others].sum()))]
        day = _day(period, int(rng.integers(0, period.n_days)))
        events.append(Event("claim", day, day, {
            "type": "Habitation", "cause": cause,
            "amount": _severity(rng, 12387 if cause == "Incendie" else 1761)}))
    car = ev["car_claims"]
    for k, plate in enumerate(hh.cars):
        since = hh.cars_since[k] if k < len(hh.cars_since) else period.start
        first = max(0, (since - period.start).days)  # a car bought in the period: from then
        for _ in range(rng.poisson(car["rate_per_car"] * years)):
            cause = car["causes"][int(rng.choice(len(car["causes"]), p=car["cause_shares"]))]
            day = _day(period, int(rng.integers(first, period.n_days)))
            drivers = [m for m in hh.members if m.role != "Enfant" or m.age_on(day) >= 18]
            driver = drivers[int(rng.integers(0, len(drivers)))]
            events.append(Event("claim", day, day, {
                "type": "Vehicule", "cause": cause, "plate": plate,
                "driver": f"{driver.given} {driver.family}", "amount": _severity(rng, 1400)}))


def _tariff_changes(hh: Household, period: Period, rng, cfg: dict, option, events) -> None:
    years = period.n_days / 365.25
    if rng.random() < 1 - np.exp(-cfg["option_change_rate"] * years) and period.n_days > 60:
        i = int(rng.integers(30, period.n_days))
        old = option[i]
        new = "HPHC" if old == "Base" else "Base"
        option[i:] = new
        day = _day(period, i)
        events.append(Event("tariff_change", day, day, {"from": old, "to": new}))
