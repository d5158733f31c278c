"""``selfdata realism``: statistics of a generated population beside targets from the reference.

Reads the population one household at a time (memory stays flat), computes per-source figures and
checks them against ``params/realism.toml``. Means are checked against their range; event rates
(claims) against a Poisson interval around the range for the exposure observed, so a small
population fails only on evidence. Shares of households (dwelling, heating, kVA, commune size)
and of claims (water damage) are judged the same way: in range unless over three standard errors
outside it. Coherence checks (Σ half-hours = daily energy = Δ index, Pmax under the subscribed
power, no VOD while away, nothing dated after the data's end, bills as the payment terms say: see
``realism_billing``) must hold exactly.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthetic_data import (
    parameters,
    realism_bank,
    realism_billing,
    realism_equipment,
    realism_linky,
    realism_mobility,
    realism_people,
    realism_shopping,
    realism_transport,
    realism_usage,
    realism_weather,
)
from synthetic_data.calendar_fr import Period, local_hour
from synthetic_data.household import edf_share
from synthetic_data.population import read_manifest
from synthetic_data.reading import iter_documents

STATEMENTS = "org.fing.mesinfos.consumptionstatement"
CALLS = "fr.orange.phonecommunicationlog"


@dataclass
class Result:
    source: str
    metric: str
    value: float | None
    low: float
    high: float
    reference: str
    ok: bool
    detail: str = ""


def _poisson_quantile(mean: float, q: float) -> int:
    """Smallest k with P(X <= k) >= q for X ~ Poisson(mean)."""
    term = cdf = math.exp(-mean)
    k = 0
    while cdf < q and k < 100_000:
        k += 1
        term *= mean / k
        cdf += term
    return k


def _rate_ok(count: int, exposure: float, low: float, high: float) -> bool:
    if exposure <= 0:
        return True
    return (_poisson_quantile(low * exposure, 0.0005) <= count
            <= _poisson_quantile(high * exposure, 0.9995))


def _share_ok(count: int, n: int, low: float, high: float) -> bool:
    """A share of ``n`` draws is in range unless it is over 3 standard errors outside it."""
    if n <= 0:
        return True
    se = lambda p: math.sqrt(max(p * (1 - p), 1e-9) / n)  # noqa: E731
    return low - 3 * se(low) <= count / n <= high + 3 * se(high)


class _Acc:
    """Everything measured, accumulated household by household."""

    def __init__(self) -> None:
        self.kwh: dict[str, list[float]] = defaultdict(list)
        self.gas_kwh: list[float] = []
        self.gas_ratio: list[float] = []
        self.water_lpd: list[float] = []
        self.calls_day: list[float] = []
        self.out_min_day: list[float] = []
        self.sms_day: list[float] = []
        self.durations: list[np.ndarray] = []
        self.top3: list[float] = []
        self.night = [0, 0]
        self.geo_gaps: list[np.ndarray] = []
        self.vod_month: list[float] = []
        self.vod_evening = [0, 0]
        self.home_claims = 0
        self.car_claims = 0
        self.home_years = 0.0
        self.car_years = 0.0
        self.premiums: list[float] = []
        self.broken: Counter = Counter()
        self.people = realism_people.People()
        self.weather = realism_weather.Weather()
        self.linky = realism_linky.Linky()
        self.usage = realism_usage.Usage()
        self.billing = realism_billing.Billing()
        self.bank = realism_bank.Bank()
        self.equipment = realism_equipment.Equipment()
        self.mobility = realism_mobility.Mobility()
        self.shopping = realism_shopping.Shopping()
        self.transport = realism_transport.Transport()
        self.households = 0
        self.call_households = 0  # lines cluster in households: judged by households, not lines
        # households holding each partner's data (from the documents), and with an Orange box
        self.held: Counter = Counter()


def _household(acc: _Acc, hh: dict, files: dict[str, list[dict]], days: int,
               period: Period, seed: int) -> None:
    years = days / 365.25
    acc.households += 1
    realism_people.measure_household(acc.people, files, period.start.year)
    daily = _electricity(acc, hh, files, years)
    realism_weather.measure_household(acc.weather, hh, daily, seed, period)
    realism_linky.measure_household(acc.linky, files)
    realism_usage.measure_household(acc.usage, files, period)
    realism_billing.measure_household(acc.billing, files, period.end)
    realism_bank.measure_household(acc.bank, hh, files, period)
    realism_equipment.measure_household(acc.equipment, hh, files, period)
    realism_mobility.measure_household(acc.mobility, hh, files, period)
    realism_shopping.measure_household(acc.shopping, hh, files, days)
    realism_transport.measure_household(acc.transport, files, period)
    stm = files.get(STATEMENTS, [])
    gas = [d for d in stm if d.get("statementCategory") == "gazpar"
           and d.get("statementReason") == "GazparDailyGazConsumption"]
    if gas and hh["heating"] == "Gaz":
        acc.gas_kwh.append(sum(float(d["value"]) for d in gas) / years)
        by_month = defaultdict(list)
        for d in gas:
            by_month[d["period"][5:7]].append(float(d["value"]))
        if by_month.get("01") and by_month.get("07"):
            acc.gas_ratio.append(np.mean(by_month["01"]) / max(np.mean(by_month["07"]), 0.1))
    for d in stm:
        if d.get("statementReason") == "GazparMonthlyGazConsumption" and abs(
                float(d["value"]) - float(d["volume"]) * float(d["volumeToEnergyCoefficient"])
        ) > 0.5:
            acc.broken["gas month kWh ≠ m³ × coefficient"] += 1
    water = [float(d["value"]) for d in stm if d.get("statementCategory") == "eau"]
    if water:
        acc.water_lpd.append(sum(water) / len(water) / max(hh["occupants"], 1))
    _calls(acc, files.get(CALLS, []), days)
    _geo(acc, files.get("fr.orange.geopoint", []))
    vod = files.get("fr.orange.videostream", [])
    orders = [d for d in vod if d.get("action") == "Commande"]
    _partners(acc, hh, files, bool(orders))
    if orders:  # per VOD user, as the published figure
        acc.vod_month.append(len(orders) / (days / 30.44))
    for d in orders:
        h = local_hour(d["timestamp"])
        acc.vod_evening[0] += h >= 18 or h < 2
        acc.vod_evening[1] += 1
    _insurance(acc, hh, files, years)


def _partners(acc: _Acc, hh: dict, files: dict[str, list[dict]], vod: bool) -> None:
    acc.held["maif"] += bool(files.get("fr.maif.maifuser.foyer"))
    box = "orange_box" in hh.get("partners", ())
    acc.held["vod_without_box"] += vod and not box
    if hh.get("showcase"):
        return  # every partner by design: not a draw of the shares
    acc.held["drawn"] += 1
    acc.held["edf"] += any(d.get("vendor") == "EDF"  # water and GRDF write client records too
                           for d in files.get("org.fing.mesinfos.client", []))
    acc.held["orange_mobile"] += bool(files.get(CALLS) or files.get("fr.orange.geopoint"))
    acc.held["orange_box"] += box
    acc.held["vod_on_box"] += box and vod


def _electricity(acc: _Acc, hh: dict, files: dict[str, list[dict]], years: float
                 ) -> dict[str, int]:
    energy = files.get("fr.enedis.api.meteringdata.energy", [])
    daily = {}
    for d in energy:
        mr = d["usage_point"][0]["meter_reading"]
        daily[mr["reading_type"]["start_measurement_period"]] = int(
            mr["interval_block"][0]["value"])
    if not daily:
        return daily
    key = "electric" if hh["heating"] == "Électricité" else "other"
    acc.kwh[key].append(sum(daily.values()) / 1000 / years)
    halves: dict[str, int] = defaultdict(int)
    index: dict[str, list[int]] = defaultdict(list)
    for d in files.get(STATEMENTS, []):
        if d.get("statementCategory") == "linky":
            day = d["start"][:10]
            halves[day] += int(d["value"])
            index[day].append(int(d["index"]))
    prev_end = None
    for day in sorted(daily):
        if halves.get(day) != daily[day]:
            acc.broken["Σ half-hours ≠ daily energy"] += 1
        ends = index.get(day)
        if ends and prev_end is not None and ends[-1] - prev_end != daily[day]:
            acc.broken["daily energy ≠ Δ index"] += 1
        if ends:
            prev_end = ends[-1]
    for d in files.get("fr.enedis.api.meteringdata.maxpower", []):
        pmax = int(d["usage_point"][0]["meter_reading"]["interval_block"][0]["value"])
        if pmax > int(d["contract_power"]) * 1000:
            acc.broken["Pmax above subscribed power"] += 1
    return daily


def _calls(acc: _Acc, docs: list[dict], days: int) -> None:
    acc.call_households += bool(docs)
    by_line: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        by_line[d["msisdn"]].append(d)
    for line in by_line.values():
        calls = [d for d in line if d["chipType"] == "s"]
        out = [d for d in calls if d["type"] == "appel sortant"]
        acc.calls_day.append(len(calls) / days)
        acc.out_min_day.append(sum(d["length"] for d in out) / 60 / days)
        acc.sms_day.append(sum(1 for d in line if d["type"] == "SMS sortant") / days)
        answered = [d["length"] for d in calls if "boite vocale" not in d["type"]]
        acc.durations.append(np.asarray(answered, dtype=float))
        partners = Counter(d["partner"] for d in calls)
        if calls:
            acc.top3.append(sum(c for _, c in partners.most_common(3)) / len(calls))
        for d in line:
            h = local_hour(d["timestamp"])
            acc.night[0] += 1 <= h < 7
            acc.night[1] += 1


def _geo(acc: _Acc, docs: list[dict]) -> None:
    by_line: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        by_line[d["msisdn"]].append(d["timestamp"])
    for stamps in by_line.values():
        t = np.array(sorted(s.rstrip("Z") for s in stamps), dtype="datetime64[s]")
        if t.size > 1:
            acc.geo_gaps.append(np.diff(t).astype(np.int64) / 60.0)


def _insurance(acc: _Acc, hh: dict, files: dict[str, list[dict]], years: float) -> None:
    for claim in files.get("fr.maif.maifuser.sinistre", []):  # one document per claim
        if claim.get("type") == "Vehicule":
            acc.car_claims += 1
        else:
            acc.home_claims += 1
    acc.home_years += years
    acc.car_years += hh.get("cars", 0) * years
    for doc in files.get("fr.maif.maifuser.contrat", []):
        for c in doc.get("contrat", []):
            if not (c.get("objects") or {}).get("vehicule"):
                acc.premiums.append(float(c["montantTarifTtc"]))


def measure(directory: Path) -> list[Result]:
    manifest = read_manifest(Path(directory))
    by_instance = {h["instance"]: h for h in manifest["households"]}
    start = np.datetime64(manifest["start"], "D")
    days = int((np.datetime64(manifest["end"], "D") - start).astype(int))
    period = Period(start.astype(object), np.datetime64(manifest["end"], "D").astype(object))
    seed = int(manifest.get("seed", 0))
    acc = _Acc()
    current, files = None, {}
    for instance, doctype, docs in iter_documents(Path(directory)):
        if instance != current:
            if current is not None:
                _household(acc, by_instance[current], files, days, period, seed)
            current, files = instance, {}
        files[doctype] = docs
    if current is not None:
        _household(acc, by_instance[current], files, days, period, seed)
    return _results(acc, manifest["households"], seed, period)


def _results(acc: _Acc, households: list[dict], seed: int, period: Period) -> list[Result]:
    targets = parameters.load("realism")
    min_n = targets["judging"]["min_sample"]
    out: list[Result] = []

    def mean_metric(source: str, name: str, values, required: bool = True,
                    n: int | None = None) -> None:
        # required: every population has this data; optional ones depend on its make-up.
        # n: how many households, lines or documents the value rests on; below the minimum the
        # value is shown but not judged (one household is no evidence about a population).
        t = targets[name]
        vals = [v for v in values if v is not None]
        value = float(np.mean(vals)) if vals else None
        lo, hi = t["range"]
        count = len(vals) if n is None else n
        need = t.get("min_sample", min_n)  # a dispersion or a tail needs more than a mean
        detail = f"n={count}" if vals else "no data in this population"
        if value is None:
            ok = not required
        elif count < need:
            ok, detail = True, f"n={count}, too few to judge (needs {need})"
        else:
            ok = lo <= value <= hi
        out.append(Result(source, name, value, lo, hi, t["reference"], ok, detail))

    def share_metric(source: str, name: str, pair) -> None:
        mean_metric(source, name, [pair[0] / pair[1]] if pair[1] else [], n=pair[1])

    def rate_metric(source: str, name: str, count: int, exposure: float) -> None:
        t = targets[name]
        lo, hi = t["range"]
        value = count / exposure if exposure else None
        out.append(Result(source, name, value, lo, hi, t["reference"],
                          _rate_ok(count, exposure, lo, hi), f"{count} in {exposure:.1f}"))

    def manifest_share(source: str, name: str, test) -> None:
        # Shares over the population's households (dwelling, contract, commune), from the
        # manifest; the range is the published figure's, judged with the sampling error of n.
        count_share(source, name, sum(1 for h in households if test(h)), len(households))

    def count_share(source: str, name: str, k: int, n: int,
                    target: tuple[float, float, str] | None = None) -> None:
        # k of n, judged with the sampling error of n; the target (low, high, reference) is
        # the metric's in realism.toml unless given (one that depends on the period's year)
        lo, hi, reference = target or (*targets[name]["range"], targets[name]["reference"])
        value = k / n if n else None
        ok = n < min_n or _share_ok(k, n, lo, hi)
        detail = f"{k} of {n}" + (f", too few to judge (needs {min_n})" if n < min_n else "")
        if ok and n >= min_n and not lo <= k / n <= hi:
            detail += ", outside the range by less than 3 standard errors"
        out.append(Result(source, name, value, lo, hi, reference, ok, detail))

    held, n_hh = acc.held, acc.households
    edf = edf_share(period.start.year)
    count_share("Partners", "edf_customer_share", held["edf"], held["drawn"],
                (edf - 0.05, edf + 0.05, f"EDF supplies {edf:.0%} of homes in "
                 f"{period.start.year} (CRE; params/household.toml [partners])"))
    count_share("Partners", "orange_mobile_share", held["orange_mobile"], held["drawn"])
    count_share("Partners", "vod_ordering_share_of_box_households", held["vod_on_box"],
                held["orange_box"])
    for what, n, ref in (("households without MAIF data", n_hh - held["maif"],
                          "the pilot's testers were all MAIF members"),
                         ("households with VOD but no Orange box", held["vod_without_box"],
                          "VOD is ordered on the box")):
        out.append(Result("Coherence", what, float(n), 0, 0, ref, n == 0, "households"))
    manifest_share("Geography", "households_in_rural_communes",
                   lambda h: h.get("commune_population", 0) < 2_000)
    manifest_share("Geography", "households_in_cities_over_100k",
                   lambda h: h.get("commune_population", 0) >= 100_000)
    manifest_share("Dwelling", "flat_share", lambda h: h["dwelling"] == "Appartement")
    manifest_share("Dwelling", "heating_electric_share", lambda h: h["heating"] == "Électricité")
    manifest_share("Dwelling", "heating_gas_share", lambda h: h["heating"] == "Gaz")
    manifest_share("Dwelling", "heating_wood_share", lambda h: h["heating"] == "Bois")
    manifest_share("Enedis", "kva_6_share", lambda h: h.get("kva") == 6)
    mean_metric("Enedis", "electricity_kwh_all_homes", acc.kwh["other"] + acc.kwh["electric"])
    mean_metric("Enedis", "electricity_kwh_no_electric_heating", acc.kwh["other"], False)
    mean_metric("Enedis", "electricity_kwh_electric_heating", acc.kwh["electric"], False)
    mean_metric("GRDF", "gas_kwh_gas_heating", acc.gas_kwh, False)
    mean_metric("GRDF", "gas_january_july_ratio",
                [float(np.median(acc.gas_ratio))] if acc.gas_ratio else [], False,
                n=len(acc.gas_ratio))
    mean_metric("Water", "water_litres_per_person_day", acc.water_lpd)
    mean_metric("Orange", "calls_per_line_day", acc.calls_day, n=acc.call_households)
    mean_metric("Orange", "outgoing_minutes_per_line_day", acc.out_min_day, n=acc.call_households)
    mean_metric("Orange", "sms_sent_per_line_day", acc.sms_day, n=acc.call_households)
    durations = np.concatenate(acc.durations) if acc.durations else np.array([])
    mean_metric("Orange", "call_duration_median_s",
                [float(np.median(durations))] if durations.size else [], n=acc.call_households)
    mean_metric("Orange", "call_duration_mean_s",
                [float(durations.mean())] if durations.size else [], n=acc.call_households)
    mean_metric("Orange", "top3_contacts_share", acc.top3, n=acc.call_households)
    share_metric("Orange", "night_share_calls", acc.night)
    gaps = np.concatenate(acc.geo_gaps) if acc.geo_gaps else np.array([])
    mean_metric("Orange", "geopoint_interval_median_min",
                [float(np.median(gaps))] if gaps.size else [], n=gaps.size)
    mean_metric("Orange", "vod_orders_per_month", acc.vod_month)
    share_metric("Orange", "vod_evening_share", acc.vod_evening)
    rate_metric("MAIF", "home_claims_per_year", acc.home_claims, acc.home_years)
    rate_metric("MAIF", "car_claims_per_car_year", acc.car_claims, acc.car_years)
    mean_metric("MAIF", "home_premium_mean_eur", acc.premiums)
    share_metric("People", "young_people_with_postwar_names", acc.people.young)
    mean_metric("Orange", "handset_age_years_mean", acc.people.handset_ages,
                n=acc.call_households)
    for name, (value, n) in realism_weather.population_figures(households, seed, period).items():
        mean_metric("Weather", name, [value] if value is not None else [], False, n=n)
    lk = acc.linky
    share_metric("Enedis", "odd_watt_values_share", lk.watts)
    share_metric("Enedis", "pmax_above_max_halfhour_share", lk.pmax_above)
    mean_metric("Enedis", "pmax_over_max_halfhour_median",
                [float(np.median(lk.ratios))] if lk.ratios else [], n=len(lk.ratios))
    mean_metric("Enedis", "morning_peak_same_halfhour_share", lk.same_slot, False)
    mean_metric("Enedis", "weekend_morning_peak_delay_h", lk.weekend_delay, False)
    for name, (source, values, n) in realism_usage.figures(acc.usage, period).items():
        mean_metric(source, name, values, name != "water_away_day_litres_over_home_mean", n=n)
    count_share("MAIF", "water_damage_share_of_home_claims", *acc.usage.water_claims)
    for name, (source, values, n) in realism_equipment.figures(acc.equipment, period).items():
        mean_metric(source, name, values, n=n)
    mean_metric("Enedis", "electric_heating_r2_kwh_vs_degree_days",
                [float(np.median(acc.weather.r2))] if acc.weather.r2 else [], False,
                n=len(acc.weather.r2))
    bl = acc.billing
    mean_metric("Billing", "edf_instalment_max_over_min_in_a_year",
                [max(bl.instalment_ratio)] if bl.instalment_ratio else [], False,
                n=len(bl.instalment_ratio))
    mean_metric("Billing", "edf_instalments_per_billing_year", bl.instalments_per_year, False)
    mean_metric("Billing", "edf_regularisation_share_of_year_cost_median",
                [float(np.median(bl.regularisation_share))] if bl.regularisation_share else [],
                False, n=len(bl.regularisation_share))
    share_metric("Billing", "edf_regularisations_refunded_share", bl.refunds)
    share_metric("Billing", "maif_premiums_due_on_the_1st_share", bl.maif_due)
    for name, (source, values, n) in realism_shopping.figures(acc.shopping).items():
        mean_metric(source, name, values, n=n)
    count_share("Transport", "tcl_commuters_share_of_lyon_workers", *acc.transport.workers)
    for name, (source, values, n) in realism_transport.figures(acc.transport).items():
        mean_metric(source, name, values, False, n=n)
    for name, (source, values, n) in realism_bank.figures(acc.bank).items():
        mean_metric(source, name, values, name != "bank_housing_share_of_spending", n=n)
    count_share("Bank", "bank_mortgage_share_of_owners", *acc.bank.mortgage)
    mb = acc.mobility
    count_share("Mobility", "households_without_long_trip_share", *mb.no_long_trip)
    mean_metric("Mobility", "distinct_destinations_per_100_trips",
                [100.0 * len(mb.places) / mb.friday[1]] if mb.friday[1] else [], n=mb.friday[1])
    count_share("Mobility", "trips_starting_on_friday_share", *mb.friday)
    for check, n, ref, unit in (
            ("positions over 200 km/h apart on the ground", mb.jumps["ground"],
             f"no jump faster than a train (fastest seen {mb.max_kmh['ground']:.0f} km/h)",
             "pairs of consecutive positions"),
            ("positions over 900 km/h apart on flight days", mb.jumps["air"],
             f"no jump faster than a plane (fastest seen {mb.max_kmh['air']:.0f} km/h)",
             "pairs of consecutive positions"),
            ("coastal lodgings seaward of the resort centre", mb.lodging_seaward[0],
             "lodging inland (params/destinations.csv inland_bearing)",
             f"of {mb.lodging_seaward[1]} coastal stays"),
            ("homes outside their commune's built-up area", mb.home_outside[0],
             "home within household.home_spread_km of the commune centre",
             f"of {mb.home_outside[1]} households with positions")):
        detail = unit + (f", e.g. {'; '.join(mb.examples[:2])}" if n and "km/h" in check
                         and mb.examples else "")
        out.append(Result("Coherence", check, float(n), 0, 0, ref, n == 0, detail))
    missing = acc.households - len(acc.kwh["other"]) - len(acc.kwh["electric"])
    out.append(Result("Coherence", "households without Linky data", float(missing), 0, 0,
                      "every household has a Linky meter", missing == 0, "households"))
    for check, unit in (("Σ half-hours ≠ daily energy", "days"), ("daily energy ≠ Δ index", "days"),
                        ("Pmax above subscribed power", "days"),
                        ("gas month kWh ≠ m³ × coefficient", "months")):
        n = acc.broken.get(check, 0)
        out.append(Result("Coherence", check, float(n), 0, 0, "must never happen", n == 0,
                          unit))
    for check, n, unit in (
            ("documents dated after the data's end", bl.after_end, "documents"),
            ("paid EDF instalments missing from bills", bl.schedule_mismatch, "schedule rows"),
            ("MAIF premiums called after their period began", bl.maif_paid_after, "bills")):
        detail = unit + (f", e.g. {'; '.join(bl.examples[:2])}" if n and bl.examples
                         and check.startswith("documents") else "")
        out.append(Result("Coherence", check, float(n), 0, 0, "must never happen", n == 0,
                          detail))
    n = realism_weather.tempo_mismatches(seed, period)
    out.append(Result("Coherence", "Tempo red days ≠ RTE's published ones", float(n), 0, 0,
                      "RTE calendars 2023-24, 2024-25 (params/tempo_seasons.toml)", n == 0, "days"))
    for check, (n, unit) in realism_equipment.checks(acc.equipment).items():
        out.append(Result("Coherence", check, float(n), 0, 0, "must never happen", n == 0, unit))
    for check, (n, unit) in realism_bank.checks(acc.bank).items():
        out.append(Result("Coherence", check, float(n), 0, 0, "must never happen", n == 0, unit))
    for check in realism_people.CHECKS:
        n = acc.people.broken.get(check, 0)
        out.append(Result("Coherence", check, float(n), 0, 0, "must never happen", n == 0,
                          "documents or lines"))
    return out


def render(results: list[Result]) -> str:
    lines = [f"{'source':<10} {'metric':<38} {'value':>10}  {'target':<17} {'':<4} reference"]
    for r in results:
        value = "—" if r.value is None else (f"{r.value:,.3f}" if abs(r.value) < 10
                                             else f"{r.value:,.0f}")
        target = f"{r.low:g}–{r.high:g}"
        flag = "ok" if r.ok else "OUT"
        lines.append(f"{r.source:<10} {r.metric:<38} {value:>10}  {target:<17} {flag:<4} "
                     f"{r.reference} ({r.detail})")
    failed = [r for r in results if not r.ok]
    unjudged = [r for r in results if "too few to judge" in r.detail]
    judged = len(results) - len(unjudged)
    lines.append("")
    lines.append(f"{judged - len(failed)} of {judged} judged metrics within range"
                 + (f" ({len(unjudged)} not judged: too few households)" if unjudged else "")
                 + (": out of range: " + ", ".join(r.metric for r in failed) if failed else ""))
    return "\n".join(lines)
