"""Orange VOD history on the household's Livebox (fr.orange.videostream).

- Orders: Poisson per local day with mean ``habits.vod_per_month`` a month, weighted towards
  Friday/Saturday and winter, none on away days (the box is at home). Films, series (runs of
  episodes watched in order on nearby evenings) and, with children aged 3-11, children's films and
  series.
- Time of day: weekday evenings peaking 20:45-21:30 with a tail to 01:00, broader afternoons and
  evenings on weekends, public and school holidays; children's programmes in the afternoon. The
  programmes of one evening follow each other; written in UTC with ``Z``.
- Titles from the invented national catalogue (:mod:`vod_catalogue`). Subscribers of OCS order
  mostly free titles of its catalogue ("Free VOD", "Orange Cinema Series"); other orders are paid
  rentals (2.99-5.99, HD dearer), purchases (11.99-16.99) or paid episodes.
- Each order ("Commande") is followed by a viewing document ("Visualisation") a few seconds later
  whose ``viewingDuration`` (whole minutes x 60, as the konnector writes it) is at most the
  programme's duration; 15-25 % of views are abandoned early. Viewing documents carry price 0.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import utc_offset_minutes
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, iso_utc
from synthetic_data.sources.vod_catalogue import Catalogue, Film, Series, catalogue

VIDEOSTREAM = "fr.orange.videostream"
DOCTYPES = (VIDEOSTREAM,)


@dataclass
class Slot:
    day: int
    item: Film | Series
    group: int            # programmes of one run share a group (chained on the same evening)
    start: float = 0.0    # local hours after the day's midnight
    watched: int = 0      # viewingDuration (s)
    delay: int = 0        # seconds from order to viewing
    episode: tuple[int, int] | None = None   # (season, episode) indices, for series


def _mixture(rng: np.random.Generator, comps: list[dict]) -> float:
    """A start hour from a mixture of normal/uniform components with shares."""
    cum = list(accumulate(c["share"] for c in comps))
    c = comps[min(bisect_right(cum, rng.random() * cum[-1]), len(comps) - 1)]
    if "normal" in c:
        return float(rng.normal(*c["normal"]))
    return float(rng.uniform(*c["uniform"]))


def local_to_utc(naive: np.ndarray) -> np.ndarray:
    """Local Paris clock times (``datetime64[s]``, no offset) as UTC instants."""
    minute = np.timedelta64(1, "m")
    off = utc_offset_minutes(naive - 60 * minute)
    off = utc_offset_minutes(naive - off * minute)
    return naive - off * minute


class _Picker:
    """Chooses titles: OCS pool for subscribers (mostly), paid pool otherwise; no repeats."""

    def __init__(self, ctx: SourceContext, rng: np.random.Generator, subscriber: bool):
        self.ctx, self.rng, self.subscriber = ctx, rng, subscriber
        self.seen: set[str] = set()
        self.pick_ocs = parameters.load("vod")["prices"]["ocs_pick_share"]

    def _pool(self, day: int, kind: str) -> tuple[tuple, np.ndarray, np.ndarray]:
        """Titles of ``kind`` in the day's catalogue and the cumulative popularity within the OCS
        catalogue and within the paid one (cached per catalogue year)."""
        year = int(self.ctx.period.days[day].astype("datetime64[Y]").astype(np.int64)) + 1970
        return _pools(self.ctx.master_seed, year, kind)

    def pick(self, day: int, kind: str) -> Film | Series:
        items, cdf_ocs, cdf_paid = self._pool(day, kind)
        want_ocs = self.subscriber and self.rng.random() < self.pick_ocs
        cdf = cdf_ocs if want_ocs else cdf_paid
        choice = items[0]
        for u in self.rng.random(6) * cdf[-1]:
            choice = items[min(int(np.searchsorted(cdf, u, side="right")), len(items) - 1)]
            if _key(choice) not in self.seen:
                break
        self.seen.add(_key(choice))
        return choice


def _key(item: Film | Series) -> str:
    return item.title if isinstance(item, Film) else item.name


@lru_cache(maxsize=256)
def _pools(master_seed: int, year: int, kind: str) -> tuple[tuple, np.ndarray, np.ndarray]:
    cat: Catalogue = catalogue(master_seed, year)
    items, weights = {
        "film": (cat.films, cat.film_weights),
        "kids_film": (cat.kids_films, cat.kids_film_weights),
        "series": (cat.series, cat.series_weights),
        "kids_series": (cat.kids_series, cat.kids_series_weights),
    }[kind]
    ocs = np.array([it.ocs for it in items])
    out = []
    for flag in (True, False):
        w = weights * (ocs == flag)
        w = weights if w.sum() == 0 else w
        out.append(np.cumsum(w / w.sum()))
    return items, out[0], out[1]


def _next_open_day(away: np.ndarray, day: int) -> int:
    while day < away.size and away[day]:
        day += 1
    return day


def _plan(ctx: SourceContext, rng: np.random.Generator, picker: _Picker,
          ) -> tuple[list[Slot], dict[str, int]]:
    """Days and titles of the orders, and the first (flattened) episode of each series."""
    p = parameters.load("vod")
    vol = p["volume"]
    hh = ctx.household
    per, tl = ctx.period, ctx.timeline
    n = per.n_days
    w = np.asarray(vol["weekday_factor"])[per.weekday] * np.asarray(vol["month_factor"])[
        per.month - 1]
    w = w / w.mean()
    w[tl.away] = 0.0
    per_day = hh.habits.vod_per_month * 12 / 365.25 * w
    k0, k1 = vol["kids_ages"]
    kids = any(m.arrives is None and k0 <= m.age_on(per.start) <= k1 for m in hh.members)
    kids_share = vol["kids_share"] if kids else 0.0
    series_share = hh.habits.vod_series_share * (1 - kids_share)
    film_share = 1 - kids_share - series_share
    ks = vol["kids_series_share"]
    r0, r1 = vol["run_episodes"]
    run_mean = (r0 + r1) / 2

    slots: list[Slot] = []
    group = 0
    for kind, share in (("film", film_share), ("kids_film", kids_share * (1 - ks))):
        for d in np.repeat(np.arange(n), rng.poisson(per_day * share)):
            slots.append(Slot(int(d), picker.pick(int(d), kind), group))
            group += 1

    runs = [(int(d), "series") for d in np.repeat(np.arange(n), rng.poisson(
        per_day * series_share / run_mean))]
    runs += [(int(d), "kids_series") for d in np.repeat(np.arange(n), rng.poisson(
        per_day * kids_share * ks / run_mean))]
    runs.sort()
    if not slots and not runs and w.sum() > 0:
        # every household with a box orders at least once, so the pilot's VOD query finds data
        d = int(rng.choice(n, p=w / w.sum()))
        slots.append(Slot(d, picker.pick(d, "film"), group))
        group += 1
    gaps, gshares = np.asarray(vol["run_gap_days"]), np.asarray(vol["run_gap_shares"], float)
    planned: dict[str, int] = {}     # episodes planned per series
    first: dict[str, int] = {}
    last_day: dict[str, int] = {}
    current: dict[str, Series] = {}  # series in progress per kind
    for d, kind in runs:
        cur = current.get(kind)
        total = sum(len(s) for s in cur.seasons) if cur else 0
        if cur and planned[cur.name] < total and rng.random() < vol[
                "continue_series_probability"]:
            series = cur
            d = max(d, last_day[series.name] + 1)
        else:
            series = picker.pick(d, kind)
            if series.name in planned:
                continue  # already watched: no repeat
            start = 0
            if len(series.seasons) > 1 and rng.random() < vol["later_season_start_probability"]:
                s = int(rng.integers(1, len(series.seasons)))
                start = sum(len(x) for x in series.seasons[:s])
            planned[series.name] = first[series.name] = start
            current[kind] = series
            total = sum(len(s) for s in series.seasons)
        length = min(int(rng.integers(r0, r1 + 1)), total - planned[series.name])
        day = d
        for i in range(length):
            if i:
                day += int(gaps[rng.choice(gaps.size, p=gshares / gshares.sum())])
            day = _next_open_day(tl.away, day)
            if day >= n:
                break
            slots.append(Slot(day, series, group))
            planned[series.name] += 1
            last_day[series.name] = day
        group += 1
    return slots, first


def _schedule(ctx: SourceContext, rng: np.random.Generator, slots: list[Slot]) -> list[Slot]:
    """Start times, chained within an evening; programmes running too late are dropped."""
    p = parameters.load("vod")
    tod, view = p["time_of_day"], p["viewing"]
    per, tl = ctx.period, ctx.timeline
    free = ((per.weekday >= 5) | per.public_holiday | per.school_holiday(
        ctx.household.commune.school_zone)).tolist()
    away = tl.away.tolist()
    n = len(slots)
    abandon = rng.uniform(*view["abandon_share"])
    pause = (rng.uniform(*view["pause_seconds"], n) / 3600).tolist()
    delay = rng.integers(view["delay_seconds"][0], view["delay_seconds"][1] + 1, n).tolist()
    lo_a, hi_a = view["abandon_fraction"]
    lo_c, hi_c = view["complete_fraction"]
    quit_ = rng.random(n) < abandon
    frac = np.where(quit_, rng.uniform(lo_a, hi_a, n), rng.uniform(lo_c, hi_c, n)).tolist()
    by_day: dict[int, list[int]] = {}
    for i, s in enumerate(slots):
        by_day.setdefault(s.day, []).append(i)
    kept: list[Slot] = []
    for day in sorted(by_day):
        group_start: dict[int, float] = {}
        for i in by_day[day]:
            s = slots[i]
            if s.group not in group_start:
                kids = s.item.kind.startswith("kids")
                key = ("kids_" if kids else "") + ("free_day" if free[day] else "weekday")
                group_start[s.group] = _mixture(rng, tod[key])
        nxt = day + 1
        latest = tod["latest_hour"] if nxt < per.n_days and not away[nxt] else tod[
            "latest_before_away"]
        prev_end = -1.0
        for i in sorted(by_day[day], key=lambda j: group_start[slots[j].group]):
            s = slots[i]  # (the sort is stable: episodes of a run keep their order)
            start = max(group_start[s.group], prev_end + pause[i])
            if start > latest:
                continue
            s.start, s.delay = start, delay[i]
            s.watched = _whole_minutes(_length(s) * frac[i], _length(s))
            prev_end = start + (s.delay + s.watched) / 3600
            kept.append(s)
    return kept


def _whole_minutes(seconds: float, limit: int) -> int:
    """Viewing length as the konnector writes it (minutes x 60), 1 min to ``limit``."""
    return int(min(max(60, seconds // 60 * 60), limit // 60 * 60))


def _length(s: Slot) -> int:
    """Programme length (s); for a series, that of the slot's episode."""
    if isinstance(s.item, Film):
        return s.item.seconds
    si, ei = s.episode or (0, 0)
    return s.item.seasons[si][ei].seconds


def generate(ctx: SourceContext) -> list[Batch]:
    p = parameters.load("vod")
    rng = ctx.rng("vod")
    subscriber = bool(rng.random() < p["prices"]["ocs_subscriber_share"])
    picker = _Picker(ctx, ctx.rng("vod-titles"), subscriber)
    slots, first_ep = _plan(ctx, rng, picker)
    # Episode numbers: in chronological order per series, from the planned first episode on.
    pointer: dict[str, int] = {}
    slots.sort(key=lambda s: (s.day, s.group))
    for s in slots:
        if isinstance(s.item, Series):
            i = pointer.get(s.item.name, first_ep[s.item.name])
            pointer[s.item.name] = i + 1
            s.episode = _season_episode(s.item, i)
    kept = _schedule(ctx, ctx.rng("vod-times"), slots)
    # A dropped (too late) episode leaves its successors in order: renumber the kept ones.
    pointer = {}
    for s in sorted(kept, key=lambda x: (x.day, x.start)):
        if isinstance(s.item, Series):
            i = pointer.get(s.item.name, first_ep[s.item.name])
            pointer[s.item.name] = i + 1
            s.episode = _season_episode(s.item, i)
            s.watched = _whole_minutes(s.watched, _length(s))
    return [_documents(ctx, rng, kept, subscriber)] if kept else []


def _season_episode(series: Series, index: int) -> tuple[int, int]:
    for si, season in enumerate(series.seasons):
        if index < len(season):
            return si, index
        index -= len(season)
    last = len(series.seasons) - 1
    return last, len(series.seasons[last]) - 1


def _documents(ctx: SourceContext, rng: np.random.Generator, kept: list[Slot],
               subscriber: bool) -> Batch:
    p = parameters.load("vod")
    det, prices = p["details"], p["prices"]
    kept.sort(key=lambda s: (s.day, s.start))
    day = np.array([s.day for s in kept])
    sec = np.round(np.array([s.start for s in kept]) * 3600).astype(np.int64)
    naive = ctx.period.days[day].astype("datetime64[s]") + sec.astype("timedelta64[s]")
    order_utc = local_to_utc(naive)
    view_utc = order_utc + np.array([s.delay for s in kept]).astype("timedelta64[s]")
    order_ts, view_ts = iso_utc(order_utc), iso_utc(view_utc)
    client = ctx.household.habits.orange_client_id
    docs = []
    for i, s in enumerate(kept):
        item = s.item
        free = subscriber and item.ocs
        if isinstance(item, Film):
            purchase = not free and rng.random() < prices["purchase_share"]
            price = 0.0 if free else (item.purchase_price if purchase else item.rental_price)
            code = det["code_ocs"] if free else det[
                "code_purchase" if purchase else "code_rental"]
            title, sub, year, cid = item.title, None, item.year, item.code
            seconds = item.seconds
        else:
            si, ei = s.episode
            ep = item.seasons[si][ei]
            price = 0.0 if free else item.episode_price
            code = det["code_ocs"] if free else det["code_rental"]
            title = f"{ei + 1:02d}. {ep.name}"
            sub = f"{si + 1:02d}-{item.name} - S{si + 1:02d}"
            year, cid, seconds = item.years[si], ep.code, ep.seconds
        quality = "HD" if item.hd else "SD"
        content = {
            "type": det["content_type"],
            "title": f"{title} - HD" if item.hd else title,
            "subTitle": sub,
            "duration": seconds,
            "quality": quality,
            "publicationYear": year,
            "country": item.country,
            "id": cid,
            "longId": f"{cid}_{quality[0]}_{code}_1",
            "csaCode": item.csa,
        }
        details = {
            "offer": det["offer_free" if free else "offer_paid"],
            "offerName": det["offer_name_free" if free else "offer_name_paid"],
            "service": det["service"],
            "network": det["network"],
            "techno": det["techno"],
            "device": det["device"],
            "platform": det["platform"],
        }
        docs.append({"docTypeVersion": p["doc_type_version"], "timestamp": str(order_ts[i]),
                     "clientId": client, "action": p["order_action"], "price": price,
                     "content": content, "details": details})
        docs.append({"docTypeVersion": p["doc_type_version"], "timestamp": str(view_ts[i]),
                     "clientId": client, "action": p["viewing_action"], "price": 0.0,
                     "viewingDuration": s.watched,
                     "content": content, "details": details})
    return Batch.from_dicts(VIDEOSTREAM, docs)
