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

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

import numpy as np

from synthetic_data.calendar_fr import Period, dst_bounds_utc
from synthetic_data.context import SourceContext

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
STEP_OF = {"DR1": 1, "PC1": 2, "ET1": 3, "MD2": 4, "AG1": 4, "RE1": 4, "DI1": 5, "DI2": 5}


@cache
def _summer(year: int) -> tuple[datetime, datetime]:
    """Local clock bounds of summer time in ``year`` (02:00 in March to 03:00 in October)."""
    a, b = dst_bounds_utc(year)
    return (a.astype(datetime) + timedelta(hours=1), b.astype(datetime) + timedelta(hours=2))


def _iso(local: datetime) -> str:
    """Local clock with its Paris offset, as Suivi v2 dates are written."""
    a, b = _summer(local.year)
    return f"{local:%Y-%m-%dT%H:%M:%S}" + ("+02:00" if a <= local < b else "+01:00")


def _id_ship(rng: np.random.Generator) -> str:
    """13 characters like "6A15602676300": a Colissimo prefix and 11 digits."""
    return "6A" + "".join(str(d) for d in rng.integers(0, 10, 11))


def parcels(ctx: SourceContext, rng: np.random.Generator, cfg: dict,
            orders: list[tuple[np.datetime64, str, str]],
            present: Callable[[int, np.datetime64], bool]) -> list[dict]:
    """One shipment per ``(local order instant, merchant, order id)``; ``present(day, local)``
    says whether someone is home at an attempt."""
    per = ctx.period
    ext = Period(per.start, per.end + timedelta(days=60))
    working = np.flatnonzero((ext.weekday != 6) & ~ext.public_holiday)
    away = np.concatenate([ctx.timeline.away, np.zeros(60, bool)])
    start = datetime.combine(per.start, datetime.min.time())
    end = datetime.combine(per.end, datetime.min.time())
    hh = ctx.household

    def at(day: int, hour: float) -> datetime:
        return start + timedelta(days=int(day), seconds=round(hour * 3600))

    def nth_working(day: int, n: int) -> int:
        """The n-th working day after ``day`` (n = 0: ``day`` itself if working, else next)."""
        i = int(np.searchsorted(working, day, side="right" if n else "left"))
        return int(working[min(i + max(n - 1, 0), working.size - 1)])

    out = []
    for local, merchant, oid in orders:
        ordered = local.astype(datetime)
        od = (ordered - start).days
        ev: list[tuple[datetime, str, str]] = []
        dr = ordered + timedelta(hours=float(rng.uniform(0.2, 6.0)))
        ev.append((dr, "DR1", LABELS["DR1"]))
        d1 = nth_working((dr - start).days, 1)
        ev.append((at(d1, rng.uniform(14.0, 19.0)), "PC1", LABELS["PC1"]))
        ev.append((at(d1, rng.uniform(20.0, 23.5)), "ET1", LABELS["ET1"]))
        dd = nth_working(d1, cfg["working_days_to_deliver"])
        ev.append((at(dd, rng.uniform(4.0, 6.5)), "ET1", LABELS["ET1a"]))
        ev.append((at(dd, rng.uniform(6.8, 8.5)), "MD2", LABELS["MD2"]))
        attempt = at(dd, rng.uniform(*cfg["delivery_hours"]))
        avise = not present(dd, np.datetime64(attempt, "s"))
        if not avise:
            ev.append((attempt, "DI1", LABELS["DI1"]))
        else:
            ev.append((attempt + timedelta(minutes=int(rng.integers(1, 5))), "AG1",
                       LABELS["AG1"]))
            last = nth_working(dd, cfg["hold_working_days"])
            window = working[(working > dd) & (working <= last)]
            home = window[~away[window]]
            delay = int(rng.integers(cfg["collect_delay_working_days"][0],
                                     cfg["collect_delay_working_days"][1] + 1))
            if home.size:
                pick = int(home[min(delay, home.size - 1)])
                ev.append((at(pick, rng.uniform(*cfg["pickup_hours"])), "DI1", LABELS["DI1b"]))
            else:
                back = nth_working(last, 1)
                ev.append((at(back, rng.uniform(8.0, 12.0)), "RE1", LABELS["RE1"]))
                ev.append((at(nth_working(back, cfg["return_working_days"]),
                              rng.uniform(9.0, 17.0)), "DI2", LABELS["DI2"]))
        ev = [e for e in ev if e[0] < end]
        if od >= per.n_days or not ev:
            continue
        out.append(_shipment(rng, hh, merchant, oid, ev, avise))
    return out


def _shipment(rng: np.random.Generator, hh, merchant: str, oid: str,
              ev: list[tuple[datetime, str, str]], avise: bool) -> dict:
    codes = [c for _, c, _ in ev]
    final = codes[-1] in ("DI1", "DI2")
    reached: dict[int, datetime] = {}
    for when, code, _ in ev:
        reached.setdefault(STEP_OF[code], when)
    timeline = []
    for i, (short, long) in enumerate(STEPS, start=1):
        kind = 1
        if i == 4 and avise:
            kind = 0
        if i >= 4 and "RE1" in codes:
            kind = -1
        step = {"id": i, "shortLabel": short, "longLabel": long, "status": i in reached,
                "type": kind, "country": "FR"}
        if i in reached:
            step["date"] = _iso(reached[i])
        timeline.append(step)
    id_ship = _id_ship(rng)
    addr = hh.address
    doc = {
        "idShip": id_ship, "holder": HOLDER_COLISSIMO, "product": "colissimo",
        "isFinal": final, "entryDate": _iso(ev[0][0]),
        "url": f"https://www.laposte.fr/outils/suivre-vos-envois?code={id_ship}",
        "contextData": {"originCountry": "FR", "arrivalCountry": "FR",
                        "deliveryChoice": {"deliveryChoice": 0}},
        "timeline": timeline,
        "event": [{"order": len(ev) - k, "date": _iso(w), "code": c, "label": lab}
                  for k, (w, c, lab) in enumerate(reversed(ev))],
        "sender": merchant, "orderReference": oid,
        "recipientAddress": {"line": addr.line, "postcode": addr.postcode, "city": addr.city,
                             "insee": addr.insee, "country": addr.country},
    }
    if codes[-1] == "DI1":
        doc["deliveryDate"] = _iso(ev[-1][0])
    if avise:
        doc["contextData"]["removalPoint"] = {"name": f"BUREAU DE POSTE {addr.city}",
                                              "type": "BDP"}
    return doc
