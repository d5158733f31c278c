"""Orange mobile calls and SMS (fr.orange.phonecommunicationlog) and the monthly phone bills.

Per line (a member with an msisdn):

- Volumes: ARCEP averages (~6.5 outgoing voice minutes and ~3.4 SMS sent a day) times a per-user
  factor with mean 1: Double-Pareto-lognormal for calls (a lognormal body with power-law tails of
  heavy and light callers, as fitted to per-user talk time by Seshadri et al.), lognormal for SMS;
  teens text more and call less, the elderly text little. Incoming
  calls = outgoing x a per-user in/out ratio (1 +/- 0.3); 10-20 % of them end in voicemail.
- Contacts: 20-150 numbers with Zipf-like rank weights (the top 3 take a large share); the other
  household members are among the first ranks with their real msisdns; fixed lines "33[1-5]…"
  get calls but no SMS.
- Timing: per half-hour slot, a Poisson count whose rate is the diurnal weight (near zero 01-07 h,
  plateau 10-20 h, fewer on Sunday mornings) x a weekday factor (quieter Saturdays, Sundays and
  public holidays) x a day factor x a two-state active/quiet Markov chain (bursts). SMS come as
  conversations of 1-6 messages minutes apart, mostly alternating.
- Durations: per-user truncated log-logistic (median 60-90 s, shape per user, so a few percent of
  calls pass 20 minutes), capped at 2 h. Calls of one msisdn never overlap (later overlapping
  calls are dropped) and timestamps are unique per msisdn (the konnector deduplicates on msisdn +
  timestamp).
- Calls and SMS between two household members appear in both logs (same instant, mirrored type).
- Positions come from the mobility model (``ctx.shared["mobility"]``), so calls during a trip are
  at the destination, abroad included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import local_midnight_utc
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Categorical, Col
from synthetic_data.household import Member
from synthetic_data.invoices import fr_amount
from synthetic_data.sources import bills
from synthetic_data.sources.orange_mobility import mobility

LOG = "fr.orange.phonecommunicationlog"
DOCTYPES = (LOG, bills.BILLS)

TYPES = ("appel sortant", "appel entrant", "appel entrant renvoyé - vers la boite vocale",
         "SMS entrant", "SMS sortant")
OUT, IN, VOICEMAIL, SMS_IN, SMS_OUT = range(5)
FLIP = np.array([IN, OUT, OUT, SMS_OUT, SMS_IN])  # the other party's view of each type
NETWORKS = np.array(["3G", "4G"])


@dataclass
class Line:
    k: int                    # member index in the household
    member: Member
    msisdn: str
    contacts: np.ndarray      # partner numbers (U11)
    call_p: np.ndarray        # probability of each contact for a call
    sms_p: np.ndarray         # ... for an SMS conversation (mobiles only)
    hh: np.ndarray            # member index of each contact inside the household, else -1
    out_per_day: float
    in_per_day: float
    sms_sent_per_day: float
    sms_recv_per_day: float
    alpha: float              # log-logistic median duration (s)
    beta: float               # log-logistic shape (smaller: a longer tail)
    voicemail_share: float
    share_4g: float
    handset: dict             # the handset at the period's start
    handsets: list[dict]      # every handset over the period, in order (the first is handset)
    handset_from: np.ndarray  # datetime64[s]: when each takes over
    # events, filled by _events (seconds since epoch, type, partner, length, pair id)
    ev: dict = field(default_factory=dict)


def _loglogistic_mean(alpha: float, beta: float, cap: float) -> float:
    f_cap = 1.0 / (1.0 + (cap / alpha) ** -beta)
    u = (np.arange(4000) + 0.5) / 4000 * f_cap
    return float(np.mean(alpha * (u / (1 - u)) ** (1 / beta)))


def call_volume(rng: np.random.Generator, c: dict) -> float:
    """A user's call volume over the average, mean 1: Double-Pareto-lognormal, i.e.
    exp(normal + E1/a - E2/b) with E1, E2 standard exponentials (Reed & Jorgensen), whose upper
    tail (exponent a) makes heavy callers and lower tail (exponent b) near-silent ones."""
    sig, a, b = c["call_user_sigma"], c["user_upper_tail"], c["user_lower_tail"]
    mean = np.exp(sig**2 / 2) * a / (a - 1) * b / (b + 1)
    x = sig * rng.standard_normal() + rng.standard_exponential() / a \
        - rng.standard_exponential() / b
    return float(np.exp(x) / mean)


def _durations(rng: np.random.Generator, alpha: float, beta: float, n: int) -> np.ndarray:
    """Truncated log-logistic call lengths in whole seconds (>= 1)."""
    cap = parameters.load("telecom")["calls"]["duration_cap_s"]
    f_cap = 1.0 / (1.0 + (cap / alpha) ** -beta)
    u = rng.uniform(0.0, f_cap, n)
    return np.maximum(1, np.round(alpha * (u / (1 - u)) ** (1 / beta))).astype(np.int64)


def _region_digit(ctx: SourceContext) -> str:
    c = parameters.load("telecom")["regions"]
    commune = ctx.household.commune
    if commune.department in c["idf_departments"]:
        return "1"
    if commune.latitude > c["split_latitude"]:
        return "2" if commune.longitude < c["split_longitude_north"] else "3"
    return "4" if commune.longitude > c["split_longitude_south"] else "5"


def _numbers(rng: np.random.Generator, prefixes: list[str], shares, n: int) -> np.ndarray:
    pfx = np.asarray(prefixes)[rng.choice(len(prefixes), n, p=np.asarray(shares) / sum(shares))]
    tail = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8)
    return np.char.add(pfx, tail).astype("U11")


def _line(ctx: SourceContext, member: Member, k: int, phones: list[tuple[int, Member]]) -> Line:
    c = parameters.load("telecom")["calls"]
    rng = ctx.rng(f"calls-line-{k}")
    n = int(rng.integers(c["contacts"][0], c["contacts"][1] + 1))
    mobile = rng.random(n) >= c["landline_contact_share"]
    numbers = _numbers(rng, c["mobile_prefixes"], c["mobile_prefix_shares"], n)
    home_digit = _region_digit(ctx)
    digits = np.where(rng.random(n) < c["landline_home_region_share"], home_digit,
                      rng.integers(1, 6, n).astype(str))
    fixed = np.char.add(np.char.add("33", digits),
                        np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
    numbers = np.where(mobile, numbers, fixed).astype("U11")
    hh = np.full(n, -1, dtype=np.int64)
    others = [(j, m) for j, m in phones if j != k]
    max_rank = max(c["household_contact_max_rank"], len(others))
    ranks = rng.choice(max_rank, len(others), replace=False) if others else []
    for (j, m), r in zip(others, ranks, strict=True):
        numbers[r], mobile[r], hh[r] = m.msisdn, True, j
    s = rng.uniform(*c["contact_zipf"])
    w = np.arange(1, n + 1, dtype=float) ** -s
    sms_w = w * mobile

    age = member.age_on(ctx.period.start)
    call_f, sms_f = 1.0, 1.0
    if age <= c["teen_max_age"]:
        call_f, sms_f = c["teen_call_factor"], c["teen_sms_factor"]
    elif age >= c["elderly_min_age"]:
        call_f, sms_f = c["elderly_call_factor"], c["elderly_sms_factor"]
    sig = c["user_sigma"]
    alpha = float(rng.uniform(*c["duration_median_s"]))
    beta = float(rng.uniform(*c["duration_shape"]))
    mean_s = _loglogistic_mean(alpha, beta, c["duration_cap_s"])
    out = c["out_minutes_per_day"] * 60.0 / mean_s * call_f * call_volume(rng, c)
    ratio = float(np.clip(rng.normal(c["in_out_ratio_mean"], c["in_out_ratio_sd"]),
                          *c["in_out_ratio_clip"]))
    sent = c["sms_sent_per_day"] * sms_f * rng.lognormal(-sig**2 / 2, sig)
    sms_ratio = max(0.3, rng.normal(c["sms_in_out_ratio_mean"], c["sms_in_out_ratio_sd"]))
    handset = _handset(rng, ctx.period.start, age)
    share_4g = float(rng.uniform(*c["share_4g"])) if handset["generation"] >= 4 else 0.0
    handsets, changes = _replacements(ctx.rng(f"calls-handset-{k}"), handset, ctx.period.start,
                                      ctx.period.end)
    return Line(k, member, member.msisdn or "", numbers, w / w.sum(), sms_w / sms_w.sum(), hh,
                float(out), float(out * ratio), float(sent), float(sent * sms_ratio), alpha, beta,
                float(rng.uniform(*c["voicemail_share"])), share_4g, handset, handsets, changes)


def released(handset: dict) -> date:
    """The day a handset went on sale (``params/telecom.toml``)."""
    return date.fromisoformat(str(handset["released"]))


def _years_before(day: date, handset: dict) -> float:
    return (day - released(handset)).days / 365.25


def _handset(rng: np.random.Generator, day: date, age: int, feature: bool | None = None,
             scale: float | None = None) -> dict:
    """A handset on sale by ``day``, recent models likelier; basic phones for some elderly
    people (``feature`` forces the kind, for a replacement)."""
    t = parameters.load("telecom")
    choice, handsets = t["handset_choice"], t["handsets"]
    if feature is None:
        feature = age >= 70 and rng.random() < choice["feature_phone_share_elderly"]
    pool = [h for h in handsets if (h["label"] in choice["feature_phones"]) == feature
            and 0 < _years_before(day, h) <= choice["max_age_years"] + 1]
    if not pool:  # a period before the oldest model listed
        oldest = min(handsets, key=released)
        pool = [h for h in handsets if released(h) == released(oldest)]
    age_y = np.array([_years_before(day, h) for h in pool], dtype=float)
    w = np.exp(-np.maximum(age_y, 0.0) / (scale or choice["replacement_years"]))
    return pool[int(rng.choice(len(pool), p=w / w.sum()))]


def _replacements(rng: np.random.Generator, first: dict, start: date, end: date
                  ) -> tuple[list[dict], np.ndarray]:
    """The line's handsets over the period and the instants (UTC seconds) each takes over: a
    change after an exponential time of mean ``replacement_years``, for another model on sale
    by then (of the same kind: smartphone or basic phone), newer ones likelier."""
    choice = parameters.load("telecom")["handset_choice"]
    feature = first["label"] in choice["feature_phones"]
    handsets, changes = [first], [np.datetime64(start, "s") - np.timedelta64(1, "D")]
    t = np.datetime64(start, "s")
    while True:
        t = t + np.timedelta64(int(rng.exponential(choice["replacement_years"]) * 365.25
                                   * 86400), "s")
        if t >= np.datetime64(end, "s"):
            break
        day = t.astype("datetime64[D]").astype(date)
        new = _handset(rng, day, 0, feature, choice["new_model_age_years"])
        if new["label"] == handsets[-1]["label"]:
            continue  # the same model again: no change to show
        handsets.append(new)
        changes.append(t)
    return handsets, np.array(changes, dtype="datetime64[s]")


def _slot_weights(ctx: SourceContext, hour_weights: list[float], day_weights: list[float]
                  ) -> np.ndarray:
    """Weight of each half-hour slot: diurnal, normalised to sum to 1 over each local day, times
    the day's weekday weight (Monday..Sunday, public holidays as Sundays) over the week's mean."""
    c = parameters.load("telecom")["calls"]
    per = ctx.period
    hh = per.halfhours
    hour = hh.local_hour.astype(np.int64)
    w = np.asarray(hour_weights, dtype=float)[hour]
    wd = per.weekday[hh.day_index]
    sunday = (wd == 6) | per.public_holiday[hh.day_index]
    m0, m1 = c["morning_hours"]
    morning = (hour >= m0) & (hour < m1)
    w = np.where(sunday & morning, w * c["sunday_morning_factor"], w)
    w = np.where((wd == 5) & morning & ~sunday, w * c["saturday_morning_factor"], w)
    w = np.where(((wd == 4) | (wd == 5)) & (hour >= 21), w * c["weekend_late_evening_factor"], w)
    per_day = np.bincount(hh.day_index, weights=w, minlength=per.n_days)
    dw = np.asarray(day_weights, dtype=float)
    day = np.where(per.public_holiday, dw[6], dw[per.weekday]) / dw.mean()
    return w / per_day[hh.day_index] * day[hh.day_index]


def _person_activity(ctx: SourceContext, rng: np.random.Generator) -> np.ndarray:
    """Per half-hour slot: day factor x burst state (two-state Markov chain) x trip factor."""
    c = parameters.load("telecom")["calls"]
    per = ctx.period
    hh = per.halfhours
    n_slots = hh.start_utc.size
    mean_a, mean_q = c["active_mean_hours"] * 2, c["quiet_mean_hours"] * 2
    n_runs = int(n_slots / (mean_a + mean_q) * 1.5) + 8
    run_a = rng.geometric(1 / mean_a, n_runs)
    run_q = rng.geometric(1 / mean_q, n_runs)
    lengths = np.column_stack([run_q, run_a]).ravel()
    states = np.tile([c["quiet_multiplier"], c["active_multiplier"]], n_runs)
    if rng.random() < 0.5:
        lengths, states = lengths[1:], states[1:]
    burst = np.repeat(states, lengths)[:n_slots]
    burst = burst / burst.mean()
    sig = c["day_sigma"]
    day = rng.lognormal(-sig**2 / 2, sig, per.n_days)
    tl = ctx.timeline
    abroad = np.array([bool(t.details.get("abroad")) for t in tl.trips] + [False])
    trip_f = np.where(tl.trip >= 0, np.where(abroad[tl.trip], c["trip_factor_abroad"],
                                             c["trip_factor_domestic"]), 1.0)
    return burst * (day * trip_f)[hh.day_index]


def _slot_seconds(ctx: SourceContext) -> np.ndarray:
    """Start of each half-hour slot, seconds since the epoch (cached in ``ctx.shared``)."""
    if "halfhour_seconds" not in ctx.shared:
        start = ctx.period.halfhours.start_utc.astype("datetime64[s]").astype(np.int64)
        ctx.shared["halfhour_seconds"] = start
    return ctx.shared["halfhour_seconds"]


def _times(ctx: SourceContext, rng: np.random.Generator, rate: np.ndarray) -> np.ndarray:
    """Poisson event instants (seconds since epoch) for a per-slot expected count."""
    counts = rng.poisson(rate)
    slots = np.repeat(np.arange(counts.size), counts)
    return np.sort(_slot_seconds(ctx)[slots] + rng.integers(0, 1800, slots.size))


def _events(ctx: SourceContext, line: Line, w_calls: np.ndarray, w_sms: np.ndarray) -> None:
    c = parameters.load("telecom")["calls"]
    rng = ctx.rng(f"calls-events-{line.k}")
    act = _person_activity(ctx, rng)
    n_c = line.contacts.size
    # Calls
    t_out = _times(ctx, rng, line.out_per_day * w_calls * act)
    t_in = _times(ctx, rng, line.in_per_day * w_calls * act)
    p_out = rng.choice(n_c, t_out.size, p=line.call_p)
    p_in = rng.choice(n_c, t_in.size, p=line.call_p)
    len_out = _durations(rng, line.alpha, line.beta, t_out.size)
    vm = rng.random(t_in.size) < line.voicemail_share
    len_in = np.where(vm, rng.integers(c["voicemail_seconds"][0], c["voicemail_seconds"][1] + 1,
                                       t_in.size), _durations(rng, line.alpha, line.beta,
                                                                     t_in.size))
    kind_in = np.where(vm, VOICEMAIL, IN)
    # SMS conversations
    sizes_v = np.asarray(c["sms_burst_sizes"])
    shares = np.asarray(c["sms_burst_shares"], dtype=float)
    shares = shares / shares.sum()
    total = line.sms_sent_per_day + line.sms_recv_per_day
    t_conv = _times(ctx, rng, total / float(sizes_v @ shares) * w_sms * act)
    size = sizes_v[rng.choice(sizes_v.size, t_conv.size, p=shares)]
    p_conv = rng.choice(n_c, t_conv.size, p=line.sms_p)
    first_out = rng.random(t_conv.size) < line.sms_sent_per_day / total
    conv = np.repeat(np.arange(t_conv.size), size)
    first = np.cumsum(size) - size
    pos = np.arange(conv.size) - first[conv]
    gap = np.minimum(c["sms_gap_median_s"] * rng.lognormal(0.0, c["sms_gap_sigma"], conv.size),
                     c["sms_gap_max_s"])
    gap[pos == 0] = 0.0
    cum = np.cumsum(gap)
    offs = cum - cum[first][conv]
    flips = (rng.random(conv.size) < c["sms_reply_probability"]) & (pos > 0)
    cflips = np.cumsum(flips)
    parity = (cflips - cflips[first][conv]) % 2
    outgoing = first_out[conv] ^ parity.astype(bool)
    t_sms = t_conv[conv] + np.round(offs).astype(np.int64)
    # Inside the household: the caller's side generates the pair; drop the callee-side draws.
    keep_in = line.hh[p_in] < 0
    keep_sms = (line.hh[p_conv] < 0) | first_out
    keep_sms = keep_sms[conv]
    line.ev = {
        "t": np.concatenate([t_out, t_in[keep_in], t_sms[keep_sms]]),
        "kind": np.concatenate([np.full(t_out.size, OUT), kind_in[keep_in],
                                np.where(outgoing, SMS_OUT, SMS_IN)[keep_sms]]),
        "partner": np.concatenate([p_out, p_in[keep_in], p_conv[conv][keep_sms]]),
        "length": np.concatenate([len_out, len_in[keep_in], np.ones(int(keep_sms.sum()),
                                                                    dtype=np.int64)]),
    }


def _mirror(ctx: SourceContext, lines: dict[int, Line]) -> dict[int, dict]:
    """Calls/SMS between household members, copied into the other member's log."""
    c = parameters.load("telecom")["calls"]
    rng = ctx.rng("calls-mirror")
    logs: dict[int, dict] = {}
    next_pair = 1
    for k, line in lines.items():
        ev = line.ev
        partner_hh = line.hh[ev["partner"]]
        inner = partner_hh >= 0
        pair = np.zeros(ev["t"].size, dtype=np.int64) - 1
        calls_inner = inner & (ev["kind"] == OUT)
        pair[calls_inner] = next_pair + np.arange(int(calls_inner.sum()))
        next_pair += int(calls_inner.sum())
        # The callee's voicemail: the caller's leg is as short as the voicemail greeting.
        length = ev["length"].copy()
        kind_other = FLIP[ev["kind"]]
        for j in np.unique(partner_hh[inner]):
            sel = inner & (partner_hh == j)
            vm = sel & (ev["kind"] == OUT) & (rng.random(sel.size) < lines[int(j)].voicemail_share)
            kind_other[vm] = VOICEMAIL
            length[vm] = rng.integers(c["voicemail_seconds"][0], c["voicemail_seconds"][1] + 1,
                                      int(vm.sum()))
        own = {"t": ev["t"], "kind": ev["kind"], "partner": line.contacts[ev["partner"]],
               "length": length, "pair": pair}
        logs.setdefault(k, {kk: [] for kk in own})
        for kk, v in own.items():
            logs[k][kk].append(v)
        for j in np.unique(partner_hh[inner]):
            sel = inner & (partner_hh == j)
            other = {"t": ev["t"][sel], "kind": kind_other[sel],
                     "partner": np.full(int(sel.sum()), line.msisdn, dtype="U11"),
                     "length": length[sel], "pair": pair[sel]}
            logs.setdefault(int(j), {kk: [] for kk in own})
            for kk, v in other.items():
                logs[int(j)][kk].append(v)
    return {k: {kk: np.concatenate(v) for kk, v in log.items()} for k, log in logs.items()}


def _clean(log: dict, end_s: int) -> tuple[dict, np.ndarray]:
    """Sort, make timestamps unique, drop calls overlapping an earlier call and events pushed
    past the data's end (``end_s``, epoch seconds: nothing is dated after it).

    Returns the log and the pair ids of household calls dropped here (to drop on both sides)."""
    order = np.lexsort((log["kind"], log["t"]))
    log = {k: v[order] for k, v in log.items()}
    t = log["t"]
    idx = np.arange(t.size)
    log["t"] = t = np.maximum.accumulate(t - idx) + idx  # strictly increasing seconds
    is_call = log["kind"] <= VOICEMAIL
    ct, cl = t[is_call], log["length"][is_call]
    end = ct + cl
    prev_end = np.concatenate([[np.iinfo(np.int64).min], np.maximum.accumulate(end)[:-1]])
    keep = np.ones(t.size, dtype=bool)
    keep[np.flatnonzero(is_call)] = ct >= prev_end
    keep &= t < end_s
    dropped = log["pair"][~keep]
    return {k: v[keep] for k, v in log.items()}, dropped[dropped >= 0]


def generate(ctx: SourceContext) -> list[Batch]:
    p = parameters.load("telecom")
    c = p["calls"]
    phones = [(k, m) for k, m in enumerate(ctx.household.members) if m.msisdn]
    if not phones:
        return []
    mob = mobility(ctx)
    w_calls = _slot_weights(ctx, c["hour_weights_calls"], c["weekday_weights_calls"])
    w_sms = _slot_weights(ctx, c["hour_weights_sms"], c["weekday_weights_sms"])
    lines = {k: _line(ctx, m, k, phones) for k, m in phones}
    for line in lines.values():
        _events(ctx, line, w_calls, w_sms)
    logs = _mirror(ctx, lines)
    cleaned, dropped = {}, []
    end_s = int(local_midnight_utc(ctx.period.end).astype("datetime64[s]").astype(np.int64))
    for k, log in logs.items():
        cleaned[k], d = _clean(log, end_s)
        dropped.append(d)
    gone = np.concatenate(dropped)
    out = []
    extras = np.zeros(ctx.period.n_days)
    out_seconds: dict[int, np.ndarray] = {}
    call, sms = (OUT, IN, VOICEMAIL), (SMS_IN, SMS_OUT)
    by_kind = {  # per-type constants, indexed by the type code
        "type": np.asarray(TYPES),
        "chip": np.asarray(["s" if k in call else "M" for k in range(5)]),
        "cause": np.asarray([c["end_cause_call"] if k not in sms else c["end_cause_sms"]
                             for k in range(5)]),
        "label": np.asarray([c["end_cause_label_call"] if k not in sms
                             else c["end_cause_label_sms"] for k in range(5)]),
    }
    for k, line in lines.items():
        log = cleaned[k]
        keep = (~np.isin(log["pair"], gone) | (log["pair"] < 0)) & ~mob.in_flight(log["t"])
        log = {kk: v[keep] for kk, v in log.items()}
        rng = ctx.rng(f"calls-docs-{k}")
        t = log["t"].astype("datetime64[s]")
        lat, lon, _, abroad = mob.locate(line.msisdn, t, rng)
        kind = log["kind"]
        extras += _roaming(ctx, t, kind, log["length"], abroad)
        day = np.clip(np.floor(mob.local_hours(t) / 24.0).astype(np.int64), 0,
                      ctx.period.n_days - 1)
        out_seconds[k] = np.bincount(day, weights=np.where(kind == OUT, log["length"], 0),
                                     minlength=ctx.period.n_days)
        spec = {
            "docTypeVersion": c["doc_type_version"],
            "timestamp": Col("ts", "utc"),
            "msisdn": line.msisdn,
            "partner": Col("partner"),
            "type": Col("type"),
            "length": Col("length", "int"),
            "chipType": Col("chip"),
            "latitude": Col("lat", "float"),
            "longitude": Col("lon", "float"),
            "networkType": Col("net"),
            "endCause": Col("cause"),
            "endCauseLabel": Col("label"),
            "deviceLabel": Col("device"),
            "deviceTac": Col("tac"),
        }
        used = np.searchsorted(line.handset_from, t, side="right") - 1
        net = (rng.random(t.size) < line.share_4g).astype(np.int64)
        # Calls sent to voicemail: networkType "N/A" and no position, as in the kit; they are
        # a second batch of the line (documents of a line are in time order within each batch).
        vm_spec = {k: ("N/A" if k == "networkType" else v) for k, v in spec.items()
                   if k not in ("latitude", "longitude")}
        for is_vm in (False, True):
            vm = (kind == VOICEMAIL) == is_vm
            if not vm.any():
                continue
            out.append(Batch.from_columns(LOG, vm_spec if is_vm else spec, {
                "ts": t[vm],
                "partner": log["partner"][vm],
                "type": Categorical(by_kind["type"], kind[vm]),
                "length": log["length"][vm],
                "chip": Categorical(by_kind["chip"], kind[vm]),
                "lat": lat[vm],
                "lon": lon[vm],
                "net": Categorical(NETWORKS, net[vm]),
                "cause": Categorical(by_kind["cause"], kind[vm]),
                "label": Categorical(by_kind["label"], kind[vm]),
                "device": Categorical([h["label"] for h in line.handsets], used[vm]),
                "tac": Categorical([h["tac"] for h in line.handsets], used[vm]),
            }))
    out.append(_bills(ctx, lines, extras, out_seconds, phones[0][1].msisdn or ""))
    if ctx.household.partners.orange_box:
        out.append(_box_bills(ctx))
    return out


def _roaming(ctx: SourceContext, t: np.ndarray, kind: np.ndarray, length: np.ndarray,
             abroad: np.ndarray) -> np.ndarray:
    """Roaming surcharges per local day (EU rules by date: none since roam-like-at-home)."""
    b = parameters.load("telecom")["roaming"]
    per = ctx.period
    charged = abroad & ((kind == OUT) | (kind == SMS_OUT))
    if not charged.any():
        return np.zeros(per.n_days)
    day_s = t[charged].astype("datetime64[D]")
    until = np.array(b["roaming_periods_until"], dtype="datetime64[D]")
    band = np.searchsorted(until, day_s, side="right")
    per_min = np.append(b["roaming_per_minute"], 0.0)[band]
    per_sms = np.append(b["roaming_per_sms"], 0.0)[band]
    minutes = np.ceil(length[charged] / 60.0)
    cost = np.where(kind[charged] == OUT, minutes * per_min, per_sms)
    idx = np.clip((day_s - np.datetime64(per.start, "D")).astype(np.int64), 0, per.n_days - 1)
    return np.bincount(idx, weights=cost, minlength=per.n_days)


@dataclass(frozen=True)
class Plan:
    """A line's (or box's) plan: price while the new-customer promotion lasts, then full price;
    ``cap_minutes`` of outgoing calls a month (0: unlimited), ``extra_per_minute`` past them."""

    label: str
    promo: float
    full: float
    promo_until: date          # first day at full price
    cap_minutes: float = 0.0
    extra_per_minute: float = 0.0

    def price(self, month: date) -> float:
        return self.promo if month < self.promo_until else self.full


def _era(plans: list[dict], year: int) -> list[dict]:
    return [p for p in plans if p["first_year"] <= year <= p["last_year"]]


def _subscribed(rng: np.random.Generator, start: date) -> tuple[date, date]:
    """When a contract began (months before ``start``) and when its promotion ends [OR]."""
    b = parameters.load("telecom")["bills"]
    back = int(rng.integers(0, b["subscribed_months_max"] + 1))
    m = start.year * 12 + start.month - 1 - back
    since = date(m // 12, m % 12 + 1, 1)
    months = (b["promo_months_from_2023_10_05"] if since >= b["short_promo_from"]
              else b["promo_months"])
    m += months
    return since, date(m // 12, m % 12 + 1, 1)


def line_plans(ctx: SourceContext, lines: dict[int, Line]) -> dict[int, Plan]:
    """Each line's plan, by era and age (``params/telecom.toml [bills]``)."""
    b = parameters.load("telecom")["bills"]
    c = parameters.load("telecom")["calls"]
    rng = ctx.rng("calls-plans")
    era = _era(b["plans"], ctx.period.start.year)
    out = {}
    for k, line in lines.items():
        teen = line.member.age_on(ctx.period.start) <= c["teen_max_age"]
        w = np.array([p["teen_share" if teen else "adult_share"] for p in era], dtype=float)
        p = era[int(rng.choice(len(era), p=w / w.sum()))]
        _, until = _subscribed(rng, ctx.period.start)
        out[k] = Plan(p["label"], p["promo"], p["full"], until, p["cap_minutes"],
                      p["extra_per_minute"])
    return out


def out_of_plan(plan: Plan, seconds: float) -> float:
    """Euros for ``seconds`` of outgoing calls in a month under ``plan``, to the cent."""
    if not plan.cap_minutes:
        return 0.0
    over = max(0.0, seconds - plan.cap_minutes * 60.0)
    return round(over * plan.extra_per_minute / 60.0, 2)


def _month_days(days: np.ndarray, mask: np.ndarray) -> int:
    month = days[mask][0].astype("datetime64[M]")
    return int(((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]"))
               .astype(np.int64))


def _bills(ctx: SourceContext, lines: dict[int, Line], extras: np.ndarray,
           out_seconds: dict[int, np.ndarray], contract: str) -> Batch:
    """Monthly mobile bill: each line's plan (prorated in a partial month), its out-of-plan calls
    (priced from the log: :func:`out_of_plan`) and the roaming surcharges."""
    plans = line_plans(ctx, lines)
    days = ctx.period.days

    def invoice_lines(mask: np.ndarray, first: date, last: date) -> list[tuple[str, str, float]]:
        n, in_month = int(mask.sum()), _month_days(days, mask)
        qty = "1 mois" if n == in_month else f"{n}/{in_month} jours"
        out = []
        for k, line in lines.items():
            plan = plans[k]
            price = plan.price(first)
            out.append((f"{plan.label} {fr_amount(price)}/mois, ligne {national(line.msisdn)}",
                        qty, round(price * n / in_month, 2)))
            seconds = float(out_seconds.get(k, np.zeros(days.size))[mask].sum())
            extra = out_of_plan(plan, seconds)
            if extra:
                over = seconds - plan.cap_minutes * 60.0
                out.append((f"Communications hors forfait, ligne {national(line.msisdn)}",
                            f"{int(over // 60)} min {int(over % 60):02d} s", extra))
        roaming = round(float(extras[mask].sum()), 2)
        if roaming:
            out.append(("Communications hors forfait à l'étranger", "", roaming))
        return out

    def amount(mask: np.ndarray) -> float:
        first = days[mask][0].astype(date)
        return sum(e for _, _, e in invoice_lines(mask, first, first))

    return bills.periodic_bills(
        ctx, months=1, vendor="Orange", bill_type="phone", amounts=amount, contract=contract,
        lines=invoice_lines, references=(("N° client", ctx.household.habits.orange_client_id),
                                         ("N° de contrat", contract)),
        source="orange_calls", extra=lambda a, b, x: {"subtype": "mobile"},
        title="Facture mobile",
        debit_days=parameters.load("telecom")["bills"]["debit_days_after_issue"],
        dated_by_debit=True)


def box_contract(ctx: SourceContext) -> str:
    """The box's contract number: the client id's digits and an "I" for internet."""
    return f"{ctx.household.habits.orange_client_id}I"


def box_plan(ctx: SourceContext) -> Plan:
    b = parameters.load("telecom")["bills"]
    p = _era(b["box_plans"], ctx.period.start.year)[0]
    _, until = _subscribed(ctx.rng("box-plan"), ctx.period.start)
    return Plan(p["label"], p["promo"], p["full"], until)


def _box_bills(ctx: SourceContext) -> Batch:
    """The Orange box's monthly internet bill (its own contract and PDF [OA])."""
    plan = box_plan(ctx)
    days = ctx.period.days

    def invoice_lines(mask: np.ndarray, first: date, last: date) -> list[tuple[str, str, float]]:
        n, in_month = int(mask.sum()), _month_days(days, mask)
        qty = "1 mois" if n == in_month else f"{n}/{in_month} jours"
        price = plan.price(first)
        return [(f"{plan.label} {fr_amount(price)}/mois", qty, round(price * n / in_month, 2))]

    def amount(mask: np.ndarray) -> float:
        first = days[mask][0].astype(date)
        return sum(e for _, _, e in invoice_lines(mask, first, first))

    return bills.periodic_bills(
        ctx, months=1, vendor="Orange", bill_type="phone", amounts=amount,
        contract=box_contract(ctx), lines=invoice_lines,
        references=(("N° client", ctx.household.habits.orange_client_id),
                    ("N° de contrat", box_contract(ctx))),
        source="orange_calls", extra=lambda a, b, x: {"subtype": "internet"},
        title="Facture internet",
        debit_days=parameters.load("telecom")["bills"]["debit_days_after_issue"],
        dated_by_debit=True)


def national(msisdn: str) -> str:
    """``"33691615389"`` → ``"06 91 61 53 89"``."""
    digits = "0" + msisdn[2:] if msisdn.startswith("33") else msisdn
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))
