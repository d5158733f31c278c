"""La Poste parcels of online orders, in the Suivi v2 ``shipment`` shape (crossing-sources §6).

Doctype ``org.selfdata.laposte.parcel``, written by ``shopping.py``. Each physical order is a
Colissimo parcel: declared by the merchant (DR1), taken over the next working day (PC1), in
transit (ET1), out for delivery (MD2) two working days after take-over (Sundays and public
holidays do not count, LP4), then delivered (DI1) when someone is home at the round's attempt.
Nobody home (an away day, or every member out per the phones' places): a notice is left and the
parcel waits at the post office (AG1) for 10 working days; collected (DI1) on a working day at
home within them, or returned (RE1, then DI2 at the sender). Events after the data's end are left
out (the parcel is then not final). ``event`` lists the newest first, as the API does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from synthetic_data.calendar_fr import Period, dst_bounds_utc
from synthetic_data.context import SourceContext
from synthetic_data.household import Address

PARCEL = "org.selfdata.laposte.parcel"
HOLDER_COLISSIMO = 4
LABELS = {
    "DR1": "Votre colis a été déclaré par l'expéditeur, il n'a pas encore été remis à La Poste.",
    "PC1": "Votre colis a été pris en charge par La Poste.",
    "ET1": "Votre colis est en cours d'acheminement.",
    "ET1a": "Votre colis est arrivé sur son site de distribution.",
    "MD2": "Votre colis est en cours de livraison.",
    "AG1": ("Vous étiez absent lors de la livraison : un avis de passage a été déposé. Votre "
            "colis vous attend dans votre bureau de poste."),
    "DI1": "Votre colis est livré.",
    "DI1l": "Votre colis a été déposé dans votre boîte aux lettres.",
    "DI1b": "Votre colis a été remis au destinataire dans votre bureau de poste.",
    "RE1": "Le délai de retrait est dépassé : votre colis est retourné à l'expéditeur.",
    "DI2": "Votre colis a été livré à l'expéditeur.",
}
STEPS = (  # the 5 timeline steps: short label, long label
    ("Pris en charge par l'expéditeur", "L'expéditeur a préparé votre colis"),
    ("Pris en charge par La Poste", "La Poste a pris en charge votre colis"),
    ("En cours d'acheminement", "Votre colis est en cours d'acheminement"),
    ("Prêt à être livré", "Votre colis est prêt à être livré ou à être retiré"),
    ("Livré", "Votre colis a été livré"),
)
_STEP_BASES = tuple({"id": i, "shortLabel": short, "longLabel": long}
                    for i, (short, long) in enumerate(STEPS, start=1))
STEP_OF = {"DR1": 1, "PC1": 2, "ET1": 3, "MD2": 4, "AG1": 4, "RE1": 4, "DI1": 5, "DI2": 5}


US = 1_000_000  # event instants are integer microseconds of the local clock since 1970
DAY_US = 86_400 * US


def _iso(local_us: list[int]) -> list[str]:
    """Local clock instants with their Paris offset, as Suivi v2 dates are written (to the
    second, truncated)."""
    sec = np.array(local_us, dtype=np.int64) // US
    if not sec.size:
        return []
    y0, y1 = (np.array([sec.min(), sec.max()], dtype="datetime64[s]").astype("datetime64[Y]")
              .astype(np.int64) + 1970).tolist()
    years = range(y0, y1 + 1)
    # summer time on the local clock: from 02:00 in March to 03:00 in October
    edges = np.array([[a + np.timedelta64(1, "h"), b + np.timedelta64(2, "h")]
                      for a, b in map(dst_bounds_utc, years)], dtype="datetime64[s]")
    summer = np.searchsorted(edges.ravel().astype(np.int64), sec, side="right") % 2 == 1
    text = np.datetime_as_string(sec.astype("datetime64[s]"), unit="s").tolist()
    return [t + ("+02:00" if m else "+01:00") for t, m in zip(text, summer.tolist(),
                                                                strict=True)]


@dataclass
class _Parcel:
    merchant: str
    oid: str
    id_ship: str
    avise: bool
    events: list[tuple[int, str, str]]  # (local microseconds, code, label), oldest first


def parcels(ctx: SourceContext, rng: np.random.Generator, cfg: dict,
            orders: list[tuple[int, str, str]],
            present: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> list[dict]:
    """One shipment per ``(local order instant, merchant, order id)``, instants as epoch seconds
    of the local clock; ``present(days, locals)`` says, per attempt, whether someone is home.

    Every parcel's draws at once (each draws its whole itinerary, used or not), positions asked
    for all attempts in one call; the events are then assembled per parcel from those columns."""
    n = len(orders)
    if not n:
        return []
    per = ctx.period
    ext = Period(per.start, per.end + timedelta(days=60))
    working = np.flatnonzero((ext.weekday != 6) & ~ext.public_holiday)
    away = np.concatenate([ctx.timeline.away, np.zeros(60, bool)]).tolist()
    start_sec = int(np.datetime64(per.start, "s").astype(np.int64))
    start, end = start_sec * US, (start_sec + per.n_days * 86_400) * US

    def nth_working(day: np.ndarray, k: int) -> np.ndarray:
        """The k-th working day after each ``day`` (k = 0: ``day`` itself if working, else next)."""
        i = np.searchsorted(working, day, side="right" if k else "left") + max(k - 1, 0)
        return working[np.minimum(i, working.size - 1)]

    def at(day: np.ndarray, u: np.ndarray, hours: list[float]) -> np.ndarray:
        """Local microseconds on ``day`` at an hour drawn uniformly in ``hours`` (``u``)."""
        hour = hours[0] + (hours[1] - hours[0]) * u
        return start + day * DAY_US + np.round(hour * 3600).astype(np.int64) * US

    ordered = np.array([o[0] for o in orders], dtype=np.int64)
    u = rng.random((9, n))
    dr = ordered * US + np.round((0.2 + 5.8 * u[0]) * 3600 * US).astype(np.int64)
    d1 = nth_working((dr - start) // DAY_US, 1)
    dd = nth_working(d1, cfg["working_days_to_deliver"])
    second = np.round((cfg["delivery_hours"][0] + (cfg["delivery_hours"][1]
                                                   - cfg["delivery_hours"][0]) * u[5]) * 3600)
    second = second.astype(np.int64)
    attempt = start + dd * DAY_US + second * US
    # A parcel that fits the letterbox is left there when nobody answers (not on away days: the
    # household's own rule that nothing waits outside while it is away).
    letterbox = (rng.random(n) < cfg["letterbox_share"]) & ~np.asarray(away)[dd]
    home = present(dd, start_sec + dd * 86_400 + second)
    avise = ~home & ~letterbox
    dropped = ~home & letterbox
    notice = attempt + rng.integers(1, 5, n) * 60 * US
    last = nth_working(dd, cfg["hold_working_days"])
    lo, hi = cfg["collect_delay_working_days"]
    delay = rng.integers(lo, hi + 1, n)
    back = nth_working(last, 1)
    digits = rng.integers(0, 10, (n, 11))
    ids = digits @ 10 ** np.arange(10, -1, -1, dtype=np.int64)
    cols = zip(orders, ((ordered - start_sec) // 86_400).tolist(), dr.tolist(),
               at(d1, u[1], [14.0, 19.0]).tolist(), at(d1, u[2], [20.0, 23.5]).tolist(),
               at(dd, u[3], [4.0, 6.5]).tolist(), at(dd, u[4], [6.8, 8.5]).tolist(),
               attempt.tolist(), (avise * 1 + dropped * 2).tolist(), notice.tolist(), dd.tolist(),
               last.tolist(),
               delay.tolist(), u[6].tolist(), at(back, u[7], [8.0, 12.0]).tolist(),
               at(nth_working(back, cfg["return_working_days"]), u[8], [9.0, 17.0]).tolist(),
               ids.tolist(), strict=True)
    work = working.tolist()
    p0, p1 = cfg["pickup_hours"]
    kept: list[_Parcel] = []
    for ((_, merchant, oid), od, t_dr, t_pc, t_et, t_eta, t_md, t_at, av, t_ag, d, la, dl, up,
         t_re, t_di2, id_ship) in cols:
        ev = [(t_dr, "DR1", LABELS["DR1"]), (t_pc, "PC1", LABELS["PC1"]),
              (t_et, "ET1", LABELS["ET1"]), (t_eta, "ET1", LABELS["ET1a"]),
              (t_md, "MD2", LABELS["MD2"])]
        if av != 1:  # 0: handed over, 2: left in the letterbox
            ev.append((t_at, "DI1", LABELS["DI1l" if av == 2 else "DI1"]))
        else:
            ev.append((t_ag, "AG1", LABELS["AG1"]))
            home = [w for w in work[bisect_right(work, d):bisect_right(work, la)] if not away[w]]
            if home:
                pick = home[min(dl, len(home) - 1)]
                t = start + pick * DAY_US + round((p0 + (p1 - p0) * up) * 3600) * US
                ev.append((t, "DI1", LABELS["DI1b"]))
            else:
                ev += [(t_re, "RE1", LABELS["RE1"]), (t_di2, "DI2", LABELS["DI2"])]
        ev = [e for e in ev if e[0] < end]
        if od >= per.n_days or not ev:
            continue
        kept.append(_Parcel(merchant, oid, f"6A{id_ship:011d}", av == 1, ev))
    dates = _iso([t for k in kept for t, _, _ in k.events])
    out, i = [], 0
    for k in kept:
        m = len(k.events)
        out.append(_shipment(ctx.household.address, k, dates[i:i + m]))
        i += m
    return out


def _shipment(addr: Address, k: _Parcel, dates: list[str]) -> dict:
    """The Suivi v2 document of parcel ``k``; ``dates``: its events' dates, oldest first."""
    ev, avise, id_ship = k.events, k.avise, k.id_ship
    codes = [c for _, c, _ in ev]
    final = codes[-1] in ("DI1", "DI2")
    returned = "RE1" in codes
    reached: dict[int, str] = {}
    for iso, code in zip(dates, codes, strict=True):
        reached.setdefault(STEP_OF[code], iso)
    timeline = []
    for i, base in enumerate(_STEP_BASES, start=1):
        reached_at = reached.get(i)
        step = {**base, "status": reached_at is not None,
                "type": -1 if i >= 4 and returned else 0 if i == 4 and avise else 1,
                "country": "FR"}
        if reached_at is not None:
            step["date"] = reached_at
        timeline.append(step)
    n = len(ev)
    doc = {
        "idShip": id_ship, "holder": HOLDER_COLISSIMO, "product": "colissimo",
        "isFinal": final, "entryDate": dates[0],
        "url": f"https://www.laposte.fr/outils/suivre-vos-envois?code={id_ship}",
        "contextData": {"originCountry": "FR", "arrivalCountry": "FR",
                        "deliveryChoice": {"deliveryChoice": 0}},
        "timeline": timeline,
        "event": [{"order": n - j, "date": dates[n - 1 - j], "code": codes[n - 1 - j],
                   "label": ev[n - 1 - j][2]} for j in range(n)],
        "sender": k.merchant, "orderReference": k.oid,
        "recipientAddress": {"line": addr.line, "postcode": addr.postcode, "city": addr.city,
                             "insee": addr.insee, "country": addr.country},
    }
    if codes[-1] == "DI1":
        doc["deliveryDate"] = dates[-1]
    if avise:
        doc["contextData"]["removalPoint"] = {"name": f"BUREAU DE POSTE {addr.city}",
                                              "type": "BDP"}
    return doc
