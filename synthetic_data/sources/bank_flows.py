"""What only the bank knows: income, housing, taxes, health cover, cash and one-off spending.

Every other payer publishes into the ledger (bills, premiums, receipts, passes); these flows have
no other source, so the bank source draws them here from the household (professions, ages,
dwelling, owner or renter, children) with its own streams. Amounts and days come from
``params/bank.toml``, each with its source or marked as an assumption. Groceries, fuel and leisure
are the shopping source's, not drawn here.
"""

from __future__ import annotations

import calendar
import math
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.context import SourceContext
from synthetic_data.timeline import Event


@dataclass(slots=True)
class Flow:
    """One movement the bank itself knows of; ``template`` picks the statement-label shape."""

    day: date
    amount: float             # signed euros, 2 decimals
    template: str             # a key of params/bank.toml [labels.<family>]
    who: str                  # creditor, payer or payee (as the statement prints it)
    category: str             # cozy-banks category id
    label: str                # the cleaned label aggregators show
    optype: str               # io.cozy.bank.operations type
    motif: str = ""
    ref: str = ""
    when: datetime | None = None
    city: str = ""
    merchant: str = ""


@dataclass
class BankFlows:
    flows: list[Flow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    monthly_income: float = 0.0   # € a month credited from work, pensions and benefits


def _p() -> dict:
    return parameters.load("bank")


def months(ctx: SourceContext) -> list[tuple[int, int]]:
    """(year, month) of every month the period touches."""
    out, (y, m) = [], (ctx.period.start.year, ctx.period.start.month)
    while date(y, m, 1) < ctx.period.end:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _on(y: int, m: int, day: int) -> date:
    return date(y, m, min(day, calendar.monthrange(y, m)[1]))


def _weekday_before(d: date) -> date:
    return d - timedelta(days=max(0, d.weekday() - 4))


def _weekday_after(d: date) -> date:
    return d + timedelta(days=(7 - d.weekday()) % 7 if d.weekday() >= 5 else 0)


def pas_rate(net: float) -> float:
    """The default withholding rate of a monthly net pay (params [salary] grid)."""
    s = _p()["salary"]
    return float(s["pas_rates"][bisect_right(s["pas_bounds"], net)])


def _lognormal(rng: np.random.Generator, mean: float, sigma: float) -> float:
    return float(rng.lognormal(math.log(mean) - sigma**2 / 2, sigma))


class _Drawer:
    def __init__(self, ctx: SourceContext) -> None:
        self.ctx = ctx
        self.p = _p()
        self.out = BankFlows()
        self.months = months(ctx)

    def add(self, day: date, amount: float, template: str, who: str, category: str, label: str,
            optype: str, **kw) -> None:
        if self.ctx.period.start <= day < self.ctx.period.end and round(amount, 2) != 0:
            self.out.flows.append(Flow(day, round(amount, 2), template, who, category, label,
                                       optype, **kw))

    # --- income ------------------------------------------------------------------------------
    def salaries(self) -> None:
        s, ch = self.p["salary"], self.p["salary_change"]
        rng = self.ctx.rng("bank-salary")
        years = self.ctx.period.n_days / 365.25
        for k, m in enumerate(self.ctx.household.members):
            if not m.works:
                continue
            net = max(_lognormal(rng, s["mean_by_profession"].get(m.profession_code, 2735),
                                 s["sigma"]), s["floor"])
            employer = self._employer(rng)
            pay_day = int(rng.integers(s["pay_day_range"][0], s["pay_day_range"][1] + 1))
            change = None
            if (rng.random() < 1 - math.exp(-ch["rate_per_member_year"] * years)
                    and len(self.months) > 3):
                new_job = bool(rng.random() < ch["new_job_share"])
                lo, hi = ch["new_job_factor" if new_job else "raise_factor"]
                change = (int(rng.integers(2, len(self.months))), new_job,
                          float(rng.uniform(lo, hi)))
            new_employer = self._employer(rng)
            for i, (y, mo) in enumerate(self.months):
                pay, who = net, employer
                if change and i >= change[0]:
                    pay = max(net * change[2], s["floor"])
                    who = new_employer if change[1] else employer
                credited = round(pay * (1 - pas_rate(pay)), 2)
                day = _weekday_before(_on(y, mo, pay_day))
                self.add(day, credited, "transfer_in", who, "200110", f"SALAIRE {who}",
                         "transfer", motif=f"SALAIRE {mo:02d}/{y}", ref=f"PAIE{y}{mo:02d}{k}")
                self.out.monthly_income += credited / len(self.months)
            if change:
                y, mo = self.months[change[0]]
                day = _weekday_before(_on(y, mo, pay_day))
                after = max(net * change[2], s["floor"])
                self.out.events.append(Event("salary_change", day, day, {
                    "member": f"{m.given} {m.family}",
                    "change": "new_job" if change[1] else "raise",
                    "employer": new_employer if change[1] else employer,
                    "previous_employer": employer,
                    "net_before": round(net, 2), "net_after": round(after, 2)}))

    def _employer(self, rng: np.random.Generator) -> str:
        s = self.p["salary"]
        if rng.random() < s["public_share"]:
            name = s["public_employers"][int(rng.integers(0, len(s["public_employers"])))]
            return f"{name} {_ascii(self.ctx.household.commune.name).split(' ')[0]}" \
                if name in ("MAIRIE", "CENTRE HOSPITALIER") else name
        return s["employers"][int(rng.integers(0, len(s["employers"])))]

    def pensions_and_benefits(self) -> None:
        p, u = self.p["pension"], self.p["unemployment"]
        rng = self.ctx.rng("bank-pension")
        hh = self.ctx.household
        retire_age = parameters.load("household")["professions"]["retirement_age"]
        for k, m in enumerate(hh.members):
            age = m.age_on(self.ctx.period.start)
            if m.profession_code == "78":
                total = _lognormal(rng, p["mean"], p["sigma"]) * min(1.0, 0.6 + 0.02 * (age - 60))
                basic = round(total * p["basic_share"], 2)
                extra = round(total - basic, 2)
                for y, mo in self.months:
                    self._income(_on(y, mo, p["basic_day"]), basic, "CNAV RETRAITE", "200190",
                                 f"RETRAITE {mo:02d}/{y}", f"CNAV{y}{mo:02d}{k}")
                    self._income(_on(y, mo, p["complementary_day"]), extra, "AGIRC-ARRCO",
                                 "200190", f"RETRAITE COMPL {mo:02d}/{y}", f"AA{y}{mo:02d}{k}")
            elif (not m.works and m.arrives is None and m.role != "Enfant"
                  and 20 <= age < retire_age and rng.random() < u["share"]):
                amount = round(_lognormal(rng, u["mean"], u["sigma"]), 2)
                for y, mo in self.months:
                    self._income(_on(y, mo, u["day"]), amount, "FRANCE TRAVAIL", "200120",
                                 f"ARE {mo:02d}/{y}", f"FT{y}{mo:02d}{k}")

    def _income(self, day: date, amount: float, who: str, category: str, motif: str,
                ref: str) -> None:
        day = _weekday_after(day)
        self.add(day, amount, "transfer_in", who, category, who, "transfer", motif=motif, ref=ref)
        if self.ctx.period.start <= day < self.ctx.period.end:
            self.out.monthly_income += amount / len(self.months)

    def minimum_income(self) -> None:
        """The RSA's difference, and housing aid for renters, where income is below it."""
        mi = self.p["minimum_income"]
        hh = self.ctx.household
        adults = sum(1 for m in hh.members if m.role != "Enfant")
        kids = sum(1 for m in hh.members if m.role == "Enfant")
        floor = mi["rsa_single"] * (1 + mi["second_adult"] * min(adults - 1, 1)
                                    + mi["per_child"] * kids)
        if self.out.monthly_income >= floor:
            return
        amount = round(floor - self.out.monthly_income, 2)
        if not hh.dwelling.owner:
            amount = round(amount + mi["apl"], 2)
        who = f"CAF {hh.commune.department}"
        for y, mo in self.months:
            py, pm = (y + 1, 1) if mo == 12 else (y, mo + 1)  # paid the next month
            self._income(_on(py, pm, mi["day"]), amount, who, "200160",
                         f"RSA {mo:02d}/{y}", f"RSA{y}{mo:02d}")

    def family_allowances(self) -> None:
        c = self.p["caf"]
        hh = self.ctx.household
        who = f"CAF {hh.commune.department}"
        for y, mo in self.months:
            first = date(y, mo, 1)
            kids = sum(1 for m in hh.members if m.role == "Enfant" and m.birthdate <= first
                       and m.age_on(first) < c["max_age"])
            if kids < 2:
                continue
            amount = c["two_children"] if kids == 2 else (
                c["three_children"] + c["each_more"] * (kids - 3))
            py, pm = (y + 1, 1) if mo == 12 else (y, mo + 1)  # paid the next month
            self._income(_on(py, pm, c["day"]), amount, who, "200160",
                         f"PRESTATIONS FAMILIALES {mo:02d}/{y}", f"CAF{y}{mo:02d}")

    # --- housing -----------------------------------------------------------------------------
    def housing(self) -> None:
        hh, d = self.ctx.household, self.ctx.household.dwelling
        rng = self.ctx.rng("bank-housing")
        cls = hh.commune.size_class
        if not d.owner:
            r = self.p["rent"]
            social = bool(rng.random() < r["social_share"])
            per_m2 = r["social_per_m2"] if social else (
                r["per_m2"][cls] * (d.surface / 60.0) ** r["size_exponent"])
            rent = round(min(d.surface * (per_m2 * float(rng.lognormal(0, r["sigma"]))
                                          + r["charges_per_m2"]),
                             self._income_cap("rent_max_share")), 2)
            day = int(rng.integers(r["day_range"][0], r["day_range"][1] + 1))
            if social:
                who = f"OPH {_ascii(hh.commune.name).split(' ')[0]}"
                tpl, optype = "direct_debit", "direct debit"
            else:
                who = r["landlords"][int(rng.integers(0, len(r["landlords"])))]
                tpl, optype = "transfer_out", "transfer"
            for y, mo in self.months:
                self.add(_weekday_after(_on(y, mo, day)), -rent, tpl, who, "401020",
                         f"LOYER {who}", optype, motif=f"LOYER {mo:02d}/{y}",
                         ref=f"LOY{hh.index:06d}")
            return
        mp = self.p["mortgage"]
        age = hh.main.age_on(self.ctx.period.start)
        # bought between min_age_at_purchase and max_age_at_purchase (or now, if younger)
        lo = mp["min_age_at_purchase"]
        bought_at = float(rng.uniform(lo, max(lo, min(age, mp["max_age_at_purchase"]))))
        years_ago = max(0.0, age - bought_at)
        term = int(rng.choice(mp["terms_years"], p=mp["term_shares"]))
        price = d.surface * mp["price_per_m2"][cls] * float(rng.lognormal(0, mp["price_sigma"]))
        day = int(rng.integers(mp["day_range"][0], mp["day_range"][1] + 1))
        signed = self.ctx.period.start - timedelta(days=int(years_ago * 365.25))
        ends = date(signed.year + term, signed.month, 1)
        if ends <= self.ctx.period.start or rng.random() < mp["outright_share"]:
            return  # repaid, or bought without a loan: an owner outright
        rate = float(np.interp(signed.year, mp["rate_years"], mp["rate_values"]))
        principal = price * mp["loan_share"]
        n = term * 12
        monthly = principal * (rate / 12) / (1 - (1 + rate / 12) ** -n)
        monthly += principal * mp["insurance_rate"] / 12
        cap = self._income_cap("loan_max_share")
        if cap < 100 or self.out.monthly_income < mp["min_income"]:
            return  # no lender: an owner outright (inherited, or bought without a loan)
        monthly = round(min(monthly, cap), 2)  # borrowed less, as the lender allowed
        ref = f"{hh.index:08d}{signed:%y%m}"
        for y, mo in self.months:
            if date(y, mo, 1) < ends:
                self.add(_weekday_after(_on(y, mo, day)), -monthly, "loan", "PRET IMMOBILIER",
                         "401010", "ECHEANCE PRET IMMOBILIER", "direct debit", ref=ref)

    def _income_cap(self, key: str) -> float:
        return self.out.monthly_income * self.p["effort"][key]

    # --- taxes, health cover -----------------------------------------------------------------
    def taxes(self) -> None:
        t = self.p["taxes"]
        rng = self.ctx.rng("bank-taxes")
        hh = self.ctx.household
        years = sorted({y for y, _ in self.months})
        if hh.dwelling.owner:
            yearly = round(hh.dwelling.surface * t["property_per_m2"]
                           * float(rng.lognormal(0, t["property_sigma"])), 0)
            monthly = bool(rng.random() < t["property_monthly_share"])
            for y in years:
                if monthly:
                    for mo in range(1, 11):
                        self._dgfip(date(y, mo, 15), round(yearly / 10, 2), "IMPOT FONCIER",
                                    "400540", f"TF{y}{mo:02d}")
                else:
                    self._dgfip(date(y, 10, 25), yearly, "IMPOT FONCIER", "400540", f"TF{y}")
        if not any(m.works or m.profession_code == "78" for m in hh.members):
            return
        for y in years:
            u = rng.random()
            if u < t["balance_share"]:
                owed = round(_lognormal(rng, t["balance_mean"], 0.6), 0)
                parts = 4 if owed > 300 else 1
                for i in range(parts):
                    amount = round(owed / parts, 2) if i < parts - 1 else \
                        round(owed - round(owed / parts, 2) * (parts - 1), 2)
                    self._dgfip(date(y, 9 + i, 25), amount, "IMPOT REVENUS", "400510",
                                f"IR{y}{i + 1}")
            elif u < t["balance_share"] + t["refund_share"]:
                back = round(_lognormal(rng, t["refund_mean"], 0.6), 2)
                self.add(_weekday_after(date(y, 7, 24)), back, "transfer_in", "DGFIP",
                         "400510", "DGFIP REMBOURSEMENT IMPOT", "transfer",
                         motif=f"REMBT IMPOT REVENUS {y - 1}", ref=f"RIR{y}")

    def _dgfip(self, day: date, amount: float, motif: str, category: str, ref: str) -> None:
        self.add(_weekday_after(day), -amount, "direct_debit", "DGFIP", category,
                 f"DGFIP {motif}", "direct debit", motif=motif, ref=ref)

    def mutuelle(self) -> None:
        mu = self.p["mutuelle"]
        rng = self.ctx.rng("bank-mutuelle")
        hh = self.ctx.household
        start = self.ctx.period.start
        adults = [m for m in hh.members if m.role != "Enfant" and not m.works]
        if not adults:
            return
        amount = sum(mu["by_age_amounts"][int(np.searchsorted(mu["by_age_bounds"],
                                                              m.age_on(start), side="right"))]
                     for m in adults)
        if not any(m.works for m in hh.members):
            amount += mu["child"] * sum(1 for m in hh.members if m.role == "Enfant")
        amount = round(amount * float(rng.lognormal(0, mu["sigma"])), 2)
        who = mu["insurers"][int(rng.integers(0, len(mu["insurers"])))]
        for y, mo in self.months:
            self.add(_weekday_after(_on(y, mo, mu["day"])), -amount, "direct_debit", who,
                     "400620", who, "direct debit", motif=f"COTISATION {mo:02d}/{y}",
                     ref=f"MUT{hh.index:07d}")

    # --- cash, fees, one-offs ----------------------------------------------------------------
    def cash(self) -> None:
        a = self.p["atm"]
        rng = self.ctx.rng("bank-atm")
        ctx, hh = self.ctx, self.ctx.household
        adults = sum(1 for m in hh.members if m.role != "Enfant")
        share = min(1.0, self.out.monthly_income / a["full_cash_income"])
        n = int(rng.poisson(a["per_adult_month"] * adults * share * len(self.months)
                            * ctx.period.n_days / (30.44 * len(self.months))))
        days = np.sort(rng.integers(0, ctx.period.n_days, n))
        amounts = rng.choice(a["amounts"], size=n, p=a["amount_shares"])
        hours = rng.uniform(a["hours"][0], a["hours"][1], n)
        refs = rng.integers(10000, 99999, n).tolist()
        home = _ascii(hh.commune.name).split(" ")[0]
        for i, amount, hour, ref in zip(days.tolist(), amounts.tolist(), hours.tolist(), refs,
                                        strict=True):
            city = home
            t = int(ctx.timeline.trip[i])
            if t >= 0:
                trip = ctx.timeline.trips[t]
                if trip.details.get("abroad"):
                    continue  # abroad: no euro withdrawal on this account's statement
                city = _ascii(str(trip.details.get("destination", home)))
            day = ctx.period.start + timedelta(days=i)
            when = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
            self.add(day, -float(amount), "atm", "RETRAIT DAB", "300", f"RETRAIT DAB {city}",
                     "cash", when=when.replace(microsecond=0, second=0), city=city,
                     ref=str(ref))

    def fees(self, bank: dict) -> None:
        if bank["fee"] <= 0:
            return
        for y, mo in self.months:
            self.add(_on(y, mo, 6), -bank["fee"], "fee", bank["name"].upper(), "400340",
                     "COTISATION OFFRE GROUPEE", "financial fee", motif="OFFRE GROUPEE MENSUELLE")

    def car_purchase(self) -> None:
        """A car bought during the period (its ``new_car`` event is the timeline's): the deposit
        to the dealer that day, then the car loan's instalments from the next month."""
        c = self.p["car_purchase"]
        hh, per = self.ctx.household, self.ctx.period
        rng = self.ctx.rng("bank-car")
        for k, since in enumerate(hh.cars_since):
            if since < per.start:
                continue
            price = _lognormal(rng, c["price_median"], c["price_sigma"])
            deposit = round(price * float(rng.uniform(*c["deposit_share"])), 2)
            r, n = c["loan_rate"] / 12, int(c["loan_months"])
            monthly = (price - deposit) * r / (1 - (1 + r) ** -n)
            monthly = round(min(monthly, self.out.monthly_income * c["car_loan_max_share"]), 2)
            dealer = c["dealers"][int(rng.integers(0, len(c["dealers"])))]
            plate = hh.cars[k]
            self.add(since, -deposit, "transfer_out", dealer, "400205", f"VIR {dealer}",
                     "transfer", motif=f"ACOMPTE VEHICULE {plate}")
            ref = f"AUTO{hh.index:06d}{since:%y%m}"
            first = _on(since.year + since.month // 12, since.month % 12 + 1, c["loan_day"])
            for y, mo in self.months:
                if date(y, mo, 1) >= date(first.year, first.month, 1) and monthly >= 1:
                    self.add(_weekday_after(_on(y, mo, c["loan_day"])), -monthly, "loan",
                             c["lender"], "400210", f"ECHEANCE {c['lender']}", "direct debit",
                             ref=ref)

    def unusual_expense(self) -> None:
        u = self.p["unusual_expense"]
        rng = self.ctx.rng("bank-unusual")
        ctx, hh = self.ctx, self.ctx.household
        years = ctx.period.n_days / 365.25
        if rng.random() >= 1 - math.exp(-u["rate_per_year"] * years):
            return
        kinds = [k for k in range(len(u["kinds"])) if u["kinds"][k] != "car_repair" or hh.cars]
        k = kinds[int(rng.integers(0, len(kinds)))]
        home_days = np.flatnonzero(ctx.timeline.trip < 0)
        if len(home_days) == 0:
            return
        i = int(home_days[int(rng.integers(0, len(home_days)))])
        day = ctx.period.start + timedelta(days=i)
        lo, hi = u["amounts"][k]
        amount = round(float(rng.uniform(lo, hi)), 2)
        when = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=int(rng.integers(10, 19)), minutes=int(rng.integers(0, 60)))
        city = _ascii(hh.commune.name).split(" ")[0]
        merchant = u["merchants"][k]
        posted = min(day + timedelta(days=2), ctx.period.end - timedelta(days=1))
        self.add(posted, -amount, "card", merchant, u["categories"][k], merchant, "credit card",
                 when=when, city=city, merchant=merchant)
        self.out.events.append(Event("unusual_expense", day, day, {
            "expense": u["kinds"][k], "merchant": merchant, "amount": amount}))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def _drawn(ctx: SourceContext) -> _Drawer:
    """Every flow but the bank's own fees, drawn once per household (each kind from its own
    stream) and kept in ctx.shared: purchases read the income and commitments before the bank
    source runs, and the bank source then writes these very flows."""
    if "bank_drawn" not in ctx.shared:
        d = _Drawer(ctx)
        d.salaries()
        d.pensions_and_benefits()
        d.minimum_income()  # tops up what the draws above credit
        d.family_allowances()
        d.housing()
        d.taxes()
        d.mutuelle()
        d.cash()
        d.car_purchase()
        d.unusual_expense()
        ctx.shared["bank_drawn"] = d
    return ctx.shared["bank_drawn"]


def _committed(ctx: SourceContext) -> tuple[float, float]:
    """(mean monthly income, euros going out over the period to housing, taxes, health cover,
    cash and the one-off expense)."""
    d = _drawn(ctx)
    return d.out.monthly_income, -sum(f.amount for f in d.out.flows if f.amount < 0)


def monthly_income(ctx: SourceContext) -> float:
    """The household's mean monthly net income (work, pensions, benefits), as its statement will
    show it, so that sources running before the bank (purchases) spend in line with it."""
    return _committed(ctx)[0]


def committed_outflows(ctx: SourceContext) -> float:
    """Euros the statement will show going to rent or loan, taxes, health cover, cash
    withdrawals and the one-off expense over the period (bills and premiums are in the ledger
    already)."""
    return _committed(ctx)[1]


def draw(ctx: SourceContext, bank: dict) -> BankFlows:
    """Every flow the bank alone knows of, for ``bank`` (a params/bank.toml [banks] entry)."""
    d = _drawn(ctx)
    d.fees(bank)
    return d.out

