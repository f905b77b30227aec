"""A deterministic synthetic city-relations graph in the hki ontology, for benchmarks at scale.

Cities (labels de/en, coordinates, country, Wikidata link), partnerships between them with types and
start years, organisations with classifications, network memberships and measures addressing SDGs.
The same `size` and `seed` always give the same bytes. About 100k triples at the default size.

    python bench/synthetic.py --triples 100000 --out /tmp/synthetic   # writes synthetic.ttl there
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

BASE = "https://w3id.org/hki/"
HKI = "https://w3id.org/hki/def#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SCHEMA = "http://schema.org/"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
ORG = "http://www.w3.org/ns/org#"
DCT = "http://purl.org/dc/terms/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
COUNTRIES = ("DEU", "FRA", "GBR", "POL", "JPN", "MWI", "ITA", "ESP", "NLD", "SWE", "USA", "CHN", "TUR", "GHA", "BRA")
PARTNERSHIP_TYPES = ("twin-city", "friendship", "project-partnership")
ORGANISATION_TYPES = ("city-network", "economic-development-agency", "university", "association")
SOURCE = "https://example.org/synthetic-source"
SYLLABLES = ("ha", "no", "ver", "bri", "stol", "per", "pi", "gnan", "rou", "en", "po", "zan", "hi", "ro",
             "shi", "ma", "lei", "pzig", "blan", "tyre", "ka", "sel", "dorf", "burg", "heim", "stadt")

# Triples written per item below (counted from the writers), to size the graph from a triple target.
_PER_CITY = 9
_PER_PARTNERSHIP = 8
_PER_ORGANISATION = 5
_PER_MEMBERSHIP = 6
_PER_MEASURE = 8


def _iri(value: str) -> str:
    return f"<{value}>"


def _text(value: str, lang: str | None = None) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def generate(triples: int = 100_000, seed: int = 20261126) -> list[str]:
    """N-Triples lines of a synthetic graph of roughly `triples` triples."""
    rng = random.Random(seed)
    unit = _PER_CITY + 2 * _PER_PARTNERSHIP + 0.2 * _PER_ORGANISATION + 0.4 * _PER_MEMBERSHIP + 0.5 * _PER_MEASURE
    cities = max(10, int(triples / unit))
    lines: list[str] = []

    def add(s: str, p: str, o: str) -> None:
        lines.append(f"{s} {_iri(p)} {o} .")

    city_iris = []
    for i in range(cities):
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize() + f" {i}"
        city = _iri(f"{BASE}id/city/c{i}")
        city_iris.append(city)
        lat, long = rng.uniform(-60, 70), rng.uniform(-180, 180)
        add(city, RDF_TYPE, _iri(SCHEMA + "City"))
        add(city, RDFS_LABEL, _text(name, "de"))
        add(city, RDFS_LABEL, _text(name, "en"))
        add(city, WGS + "lat", _typed(f"{lat:.5f}", "decimal"))
        add(city, WGS + "long", _typed(f"{long:.5f}", "decimal"))
        add(city, SCHEMA + "containedInPlace", _iri(COUNTRY + rng.choice(COUNTRIES)))
        add(city, OWL_SAME_AS, _iri(f"http://www.wikidata.org/entity/Q{1000 + i}"))
        add(city, DCT + "source", _iri(SOURCE))
        add(city, HKI + "verificationStatus", _iri(f"{BASE}scheme/verification-status/verified"))
    for i in range(2 * cities):
        a, b = rng.sample(range(cities), 2)
        partnership = _iri(f"{BASE}id/partnership/p{i}")
        kind = rng.choice(PARTNERSHIP_TYPES)
        add(partnership, RDF_TYPE, _iri(HKI + "Partnership"))
        add(partnership, RDFS_LABEL, _text(f"Partnerschaft {a} – {b}", "de"))
        add(partnership, RDFS_LABEL, _text(f"Partnership {a} – {b}", "en"))
        add(partnership, HKI + "partner", city_iris[a])
        add(partnership, HKI + "partner", city_iris[b])
        add(partnership, HKI + "partnershipType", _iri(f"{BASE}scheme/partnership-type/{kind}"))
        add(partnership, SCHEMA + "startDate", _typed(str(rng.randint(1945, 2025)), "gYear"))
        add(partnership, DCT + "source", _iri(SOURCE))
    organisations = max(2, cities // 5)
    for i in range(organisations):
        org = _iri(f"{BASE}id/organisation/o{i}")
        add(org, RDF_TYPE, _iri(ORG + "Organization"))
        add(org, RDFS_LABEL, _text(f"Organisation {i}", "de"))
        add(org, RDFS_LABEL, _text(f"Organisation {i}", "en"))
        add(org, ORG + "classification", _iri(f"{BASE}scheme/organisation-type/{rng.choice(ORGANISATION_TYPES)}"))
        add(org, DCT + "source", _iri(SOURCE))
    for i in range(int(cities * 0.4)):
        membership = _iri(f"{BASE}id/membership/m{i}")
        add(membership, RDF_TYPE, _iri(ORG + "Membership"))
        add(membership, ORG + "member", _iri(f"{BASE}id/organisation/o{rng.randrange(organisations)}"))
        add(membership, ORG + "organization", _iri(f"{BASE}id/organisation/o{rng.randrange(organisations)}"))
        add(membership, SCHEMA + "startDate", _typed(str(rng.randint(1980, 2025)), "gYear"))
        add(membership, RDFS_LABEL, _text(f"Membership {i}", "en"))
        add(membership, DCT + "source", _iri(SOURCE))
    for i in range(cities // 2):
        measure = _iri(f"{BASE}id/measure/x{i}")
        add(measure, RDF_TYPE, _iri(HKI + "Measure"))
        add(measure, DCT + "identifier", _text(f"SYN-{i}"))
        add(measure, RDFS_LABEL, _text(f"Maßnahme {i}", "de"))
        add(measure, RDFS_LABEL, _text(f"Measure {i}", "en"))
        add(measure, HKI + "addressesSDG", _iri(f"http://metadata.un.org/sdg/{rng.randint(1, 17)}"))
        add(measure, HKI + "addressesSDG", _iri(f"http://metadata.un.org/sdg/{rng.randint(1, 17)}"))
        add(measure, HKI + "involves", city_iris[rng.randrange(cities)])
        add(measure, DCT + "source", _iri(SOURCE))
    return lines


def write(folder: Path, triples: int = 100_000, seed: int = 20261126) -> Path:
    """Write the graph as `folder/synthetic.ttl` (N-Triples is valid Turtle, so hki loads it as a data file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic.ttl"
    path.write_text("\n".join(generate(triples, seed)) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(write(args.out, args.triples, args.seed))
