"""Orange calls and SMS: volumes, durations, contacts, rhythms, no overlap, positions, bills."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import utc_offset_minutes
from synthetic_data.invoices import INVOICE_DETAILS
from synthetic_data.ledger import payments
from synthetic_data.population import household_context
from synthetic_data.schemas import problems
from synthetic_data.sources import orange_calls
from synthetic_data.sources.orange_calls import (
    Plan,
    _handset,
    _replacements,
    call_volume,
    national,
    out_of_plan,
    released,
)
from tests.support.households import SEED, YEAR, docs_of, indices_where

LOG = "fr.orange.phonecommunicationlog"
OUT, IN, VM = "appel sortant", "appel entrant", "appel entrant renvoyé - vers la boite vocale"
CALLS = (OUT, IN, VM)


def _seconds(docs: list[dict]) -> np.ndarray:
    return np.array([d["timestamp"].rstrip("Z") for d in docs],
                    dtype="datetime64[s]").astype(np.int64)


def _local_hour_weekday(docs: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.array([d["timestamp"].rstrip("Z") for d in docs], dtype="datetime64[s]")
    local = t + utc_offset_minutes(t) * np.timedelta64(1, "m")
    day = local.astype("datetime64[D]")
    hour = (local - day).astype(np.int64) / 3600.0
    return day, hour, (day.astype(np.int64) + 3) % 7


def _by_phone(data) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for d in docs_of(data, LOG):
        out.setdefault(d["msisdn"], []).append(d)
    return out


def _phones(households):
    for data in households:
        for msisdn, docs in _by_phone(data).items():
            member = next(m for m in data.household.members if m.msisdn == msisdn)
            yield data, member, docs


def test_daily_volumes_follow_arcep_averages(households):
    out_calls, sms_sent, minutes = [], [], []
    days = households[0].timeline.period.n_days
    for data, _, docs in _phones(households):
        kinds = Counter(d["type"] for d in docs)
        out_calls.append(kinds[OUT] / days)
        sms_sent.append(kinds["SMS sortant"] / days)
        minutes.append(sum(d["length"] for d in docs if d["type"] == OUT) / 60 / days)
        assert 0.01 < kinds[OUT] / days < 30
        # with people outside the household, a line receives about as many calls as it makes
        # (in/out ratio 1 +/- 0.3 per user); calls between members come on top, so a light caller
        # may receive many more than they make
        home = {m.msisdn for m in data.household.members if m.msisdn}
        outside = Counter(d["type"] for d in docs if d["partner"] not in home)
        if outside[OUT] >= 30:
            assert 0.3 < (outside[IN] + outside[VM]) / outside[OUT] < 2.5
    assert len(out_calls) >= 12
    assert 1.5 < np.mean(out_calls) < 4.5
    assert 3.0 < np.mean(minutes) < 10.0        # ~6.5 outgoing minutes a day [C2]
    assert 1.5 < np.mean(sms_sent) < 6.0        # ~3.4 SMS sent a day [C2]


def test_teens_text_more_and_elderly_less(households):
    ratio = {"teen": [], "adult": [], "elderly": []}
    for data, member, docs in _phones(households):
        age = member.age_on(data.timeline.period.start)
        group = "teen" if age <= 17 else ("elderly" if age >= 70 else "adult")
        kinds = Counter(d["type"] for d in docs)
        ratio[group].append(kinds["SMS sortant"] / max(1, kinds[OUT]))
    if ratio["teen"]:
        assert np.median(ratio["teen"]) > np.median(ratio["adult"])
    if ratio["elderly"]:
        assert np.median(ratio["elderly"]) < np.median(ratio["adult"])


def test_durations_are_log_logistic_like(households):
    pooled = []
    for _, _, docs in _phones(households):
        lengths = np.array([d["length"] for d in docs if d["type"] in (OUT, IN)])
        pooled.extend(lengths)
        assert lengths.max() <= 7200
    pooled = np.array(pooled)
    assert 60 <= np.median(pooled) <= 90
    assert np.mean(pooled) > 1.4 * np.median(pooled)   # heavy tail
    assert 0.01 <= (pooled > 1200).mean() <= 0.05       # 1-3 % over 20 min (estimate)


def testcall_volumes_differ_widely_between_people(households):
    """Heavy and light callers: a Double-Pareto-lognormal volume factor, mean 1, CV ~1.15."""
    c = parameters.load("telecom")["calls"]
    rng = np.random.default_rng(7)
    f = np.array([call_volume(rng, c) for _ in range(20_000)])
    assert 0.95 <= f.mean() <= 1.05
    assert 1.0 <= f.std() / f.mean() <= 1.4
    assert 0.05 <= (f < 0.2).mean() <= 0.2          # light users
    assert 0.005 <= (f > 5.0).mean() <= 0.03        # heavy users
    minutes = [sum(d["length"] for d in docs if d["type"] == OUT)
               for _, _, docs in _phones(households)]
    assert max(minutes) > 10 * min(minutes)


def test_sundays_and_saturdays_are_quieter_than_weekdays(households):
    per_weekday = np.zeros(7)
    for _, _, docs in _phones(households):
        calls = [d for d in docs if d["type"] in CALLS]
        _, _, weekday = _local_hour_weekday(calls)
        per_weekday += np.bincount(weekday, minlength=7)
    days = households[0].timeline.period
    count = np.bincount([(days.start + timedelta(days=i)).weekday()
                         for i in range(days.n_days)], minlength=7)
    rate = per_weekday / count
    weekday = rate[:5].mean()
    assert 0.5 <= rate[6] / weekday <= 0.8          # Sunday ~0.6-0.7 x a weekday (estimate)
    assert rate[6] < rate[5] < weekday              # Saturday in between


def test_voicemail_share_and_sms_fields(households):
    vm = inc = 0
    for _, _, docs in _phones(households):
        for d in docs:
            if d["type"] == VM:
                vm += 1
                assert d["length"] <= 30
            if d["type"] in (IN, VM):
                inc += 1
            if d["type"].startswith("SMS"):
                assert (d["length"], d["chipType"], d["endCause"]) == (1, "M", "255")
            else:
                assert (d["chipType"], d["endCause"]) == ("s", "0")
    assert 0.08 < vm / inc < 0.25


def test_calls_never_overlap_and_timestamps_are_unique(households):
    for _, _, docs in _phones(households):
        t = _seconds(docs)
        assert len(set(t.tolist())) == len(t)
        calls = sorted((s, d["length"]) for s, d in zip(t, docs, strict=True)
                       if d["type"] in CALLS)
        starts = np.array([c[0] for c in calls])
        ends = starts + np.array([c[1] for c in calls])
        assert (starts[1:] >= ends[:-1]).all()


def test_contacts_are_concentrated_and_stable(households):
    top3 = []
    for data, member, docs in _phones(households):
        partners = Counter(d["partner"] for d in docs if d["type"] in (OUT, IN))
        total = sum(partners.values())
        top3.append(sum(n for _, n in partners.most_common(3)) / total)
        assert 10 <= len(partners) <= 150
        others = {m.msisdn for m in data.household.members if m.msisdn and m is not member}
        assert others <= set(partners)     # household members call each other
        fixed = [p for p in partners if p[2] in "12345"]
        sms_partners = {d["partner"] for d in docs if d["type"].startswith("SMS")}
        assert not sms_partners & set(fixed)   # no SMS to fixed lines
    assert np.median(top3) > 0.3


def test_household_calls_appear_in_both_logs(households):
    pairs = 0
    for data in households:
        logs = _by_phone(data)
        for msisdn, docs in logs.items():
            for d in docs:
                if d["type"] == OUT and d["partner"] in logs:
                    other = {(x["timestamp"], x["partner"], x["type"]) for x in logs[d["partner"]]}
                    assert ((d["timestamp"], msisdn, IN) in other
                            or (d["timestamp"], msisdn, VM) in other)
                    pairs += 1
    assert pairs > 50


def test_diurnal_and_weekly_rhythm(households):
    hours, weekdays = [], []
    for _, _, docs in _phones(households):
        calls = [d for d in docs if d["type"] in CALLS]
        _, h, wd = _local_hour_weekday(calls)
        hours.extend(h)
        weekdays.extend(wd)
    hours, weekdays = np.array(hours), np.array(weekdays)
    assert ((hours >= 1) & (hours < 7)).mean() < 0.03
    assert ((hours >= 10) & (hours < 20)).mean() > 0.6
    morning = (hours >= 8) & (hours < 12)
    sunday = (morning & (weekdays == 6)).sum()
    weekday = (morning & (weekdays < 5)).sum() / 5
    assert sunday < 0.75 * weekday


def test_positions_follow_trips(households):
    checked = 0
    for data in households:
        tl = data.timeline
        start = np.datetime64(tl.period.start, "D")
        for _, docs in _by_phone(data).items():
            day, _, _ = _local_hour_weekday(docs)
            idx = (day - start).astype(np.int64)
            ok = (idx >= 0) & (idx < tl.trip.size)
            for d, i, inside in zip(docs, idx, ok, strict=True):
                if not inside or tl.trip[i] < 0 or "latitude" not in d:  # voicemail: no position
                    continue
                event = tl.trips[tl.trip[i]]
                if i in (tl.day_index(event.start), tl.day_index(event.end)):
                    continue  # travel days: at home, on the way or there
                dest = event.details
                dy = (d["latitude"] - dest["latitude"]) * 111.32
                dx = (d["longitude"] - dest["longitude"]) * 111.32 * np.cos(
                    np.radians(dest["latitude"]))
                assert np.hypot(dx, dy) < 30
                checked += 1
    assert checked > 100


def test_phone_bills_are_monthly(households):
    for data in households:
        phone = docs_of(data, "io.cozy.bills", vendor="Orange", subtype="mobile")
        if not data.household.partners.orange_mobile or not data.household.phones:
            assert phone == []
            continue
        assert len(phone) == 11  # December's bill is issued in January, after the data
        assert max(b["date"] for b in phone) < "2025-01-01"
        assert all(b["recurrence"] == "monthly" and 9 < b["amount"] < 400 for b in phone)


def test_call_logs_validate(households):
    for data in households[:6]:
        docs = docs_of(data, LOG)
        for doc in docs[:: max(1, len(docs) // 400)]:
            assert problems(LOG, doc) == []


# --- handsets of their time --------------------------------------------------------------------

def test_replacements_follow_the_parameters_rate_with_models_on_sale():
    from datetime import date


    choice = parameters.load("telecom")["handset_choice"]
    rng = np.random.default_rng(7)
    start, end = date(2024, 1, 1), date(2025, 1, 1)
    changed = 0
    n = 1500
    for _ in range(n):
        first = _handset(rng, start, 40)
        assert released(first) < start
        handsets, since = _replacements(rng, first, start, end)
        assert handsets[0] is first and len(since) == len(handsets)
        changed += len(handsets) > 1
        for h, prev, t in zip(handsets[1:], handsets, since[1:], strict=False):
            assert h["label"] != prev["label"]
            assert released(h) < t.astype("datetime64[D]").astype(date) < end
    expected = 1 - np.exp(-1 / choice["replacement_years"])
    assert abs(changed / n - expected) < 0.05


def test_logged_handsets_were_on_sale_and_change_label_and_tac_together(households):
    from datetime import date


    by_label = {h["label"]: h for h in parameters.load("telecom")["handsets"]}
    changes = 0
    for data in households:
        lines: dict[str, list[tuple[str, str, str]]] = {}
        for d in docs_of(data, LOG):
            lines.setdefault(d["msisdn"], []).append((d["timestamp"], d["deviceLabel"],
                                                      d["deviceTac"]))
        for records in lines.values():
            records.sort()
            t = np.array([r[0].rstrip("Z") for r in records], dtype="datetime64[s]")
            local = (t + utc_offset_minutes(t) * np.timedelta64(1, "m")).astype("datetime64[D]")
            seen: list[str] = []
            for (_, label, tac), day in zip(records, local, strict=True):
                assert by_label[label]["tac"] == tac
                assert released(by_label[label]) <= day.astype(date)
                if not seen or seen[-1] != label:
                    assert label not in seen  # a change is for good: never back
                    seen.append(label)
            changes += len(seen) - 1
    assert changes > 0  # over a dozen households, some lines change handset in the year


# --- bills: plan + out-of-plan usage from the log ----------------------------------------------

def _orange_run(index: int):
    ctx = household_context(SEED, index, YEAR)
    batches = orange_calls.generate(ctx)
    return ctx, [d for b in batches for d in b.dicts()]


def _plan_of(label: str) -> dict:
    return next(p for p in parameters.load("telecom")["bills"]["plans"]
                if label.startswith(p["label"] + " "))


def test_out_of_plan_lines_are_the_priced_calls_of_the_log_to_the_cent():
    charged = capped = 0
    for i in indices_where(lambda hh, tl: hh.partners.orange_mobile and bool(hh.phones), 8):
        ctx, docs = _orange_run(i)
        details = ctx.shared[INVOICE_DETAILS]
        calls = [d for d in docs if d.get("type") == OUT]
        t = np.array([d["timestamp"][:-1] for d in calls], dtype="datetime64[s]")
        month = (t + utc_offset_minutes(t) * np.timedelta64(1, "m")).astype("datetime64[M]")
        for bill in (d for d in docs if d.get("subtype") == "mobile"):
            lines = details[("Orange", bill["vendorRef"])].lines
            assert round(sum(x.euros for x in lines), 2) == bill["amount"]
            m = np.datetime64(bill["periodStart"][:7], "M")
            for m_ in ctx.household.phones:
                num = national(m_.msisdn)
                plan_line = next(x for x in lines if x.label.endswith(f"ligne {num}")
                                 and x.label.startswith("Forfait"))
                p = _plan_of(plan_line.label)
                plan = Plan(p["label"], p["promo"], p["full"], YEAR.start, p["cap_minutes"],
                            p["extra_per_minute"])
                seconds = sum(d["length"] for d, mm in zip(calls, month, strict=True)
                              if d["msisdn"] == m_.msisdn and mm == m)
                extra = [x.euros for x in lines
                         if x.label == f"Communications hors forfait, ligne {num}"]
                assert sum(extra) == out_of_plan(plan, seconds)
                capped += bool(p["cap_minutes"])
                charged += bool(extra)
    assert capped and charged


def test_bills_are_dated_by_their_debit_and_the_box_has_its_own_bill():
    box_seen = 0
    for i in indices_where(lambda hh, tl: hh.partners.orange_mobile and bool(hh.phones), 6):
        ctx, docs = _orange_run(i)
        bills = [d for d in docs if d.get("vendor") == "Orange"]
        debits = {(p.day.isoformat(), -p.amount, p.reference) for p in payments(ctx)
                  if p.source == "orange_calls"}
        assert len(debits) == len(bills)
        for b in bills:
            assert b["date"][:10] == b["scheduledPaymentDate"]
            assert (b["scheduledPaymentDate"], b["amount"], b["vendorRef"]) in debits
        internet = [b for b in bills if b["subtype"] == "internet"]
        assert bool(internet) == ctx.household.partners.orange_box
        box = orange_calls.box_plan(ctx)
        for b in internet:
            first = np.datetime64(b["periodStart"], "D").astype(object)
            assert b["amount"] == box.price(first)
            assert b["contractNumber"] == orange_calls.box_contract(ctx)
            box_seen += 1
    assert box_seen


def test_plans_follow_the_sourced_price_points_of_their_era():
    plans = parameters.load("telecom")["bills"]["plans"]
    recent = {(p["promo"], p["full"]) for p in plans if p["first_year"] >= 2023}
    assert {(16.99, 31.99), (32.99, 44.99)} <= recent
    box = parameters.load("telecom")["bills"]["box_plans"]
    assert any((p["promo"], p["full"]) == (33.99, 51.99) for p in box)
