"""Synthetic knowledge graphs in hki's ontology, for benchmarks and scale tests (`kg synth`).

The graph is shaped like a national or Europe-wide registry of city relations, written exactly as
docs/modelling.md models the real data: cities in countries with coordinates, Wikidata/GeoNames
links and German and English labels; n-ary partnerships (twinnings, friendships, project
partnerships of two to four cities) with years and types; each city's administration; city
networks and the administrations' memberships in them; for some cities an international strategy
(`hki:ActionConcept`) with goals in their own SKOS scheme and measures that address SDGs, involve
partner cities and partnerships, and name a responsible organisation. Everything has `dct:source`.

Degrees are heavy-tailed like real twinning networks (a few hubs, many leaves): partners and
networks are chosen by preferential attachment (Barabási–Albert), with a little uniform choice mixed in.

Deterministic: the same (cities, seed, base) give byte-identical N-Triples (one random.Random, no
set or hash ordering, no clock). Streaming: statements are written as they are made; only the
cities' names and the attachment pools are kept in memory.

Nothing here is real: names are made of syllables; sources are under https://example.org/ (reserved
for examples, RFC 2606); Wikidata IDs start at Q900000000 and GeoNames IDs at 90000000, ranges no real
entity has, so a synthetic graph never points at an unrelated real one.
"""
from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from graph.vocabulary import (COUNTRY, COUNTRY_SCHEME, CV, DCT, FOAF, GEO, GEONAMES, HKI, ORG, OWL, RDF, RDFS, SCHEMA,
                              SDG, SKOS, TIME, WGS, WIKIDATA, XSD)
from ontology import DEFAULT_BASE

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
OWL_SAME_AS = OWL + "sameAs"
# hki's terms as plain strings, looked up once: a lookup in the closed namespace takes microseconds,
# and this module writes millions of lines.
HKI_ACTION_CONCEPT = str(HKI.ActionConcept)
HKI_GOAL = str(HKI.Goal)
HKI_MEASURE = str(HKI.Measure)
HKI_PARTNERSHIP = str(HKI.Partnership)
HKI_ADDRESSES_SDG = str(HKI.addressesSDG)
HKI_CONTRIBUTES_TO_GOAL = str(HKI.contributesToGoal)
HKI_HAS_GOAL = str(HKI.hasGoal)
HKI_IMPLEMENTS_CONCEPT = str(HKI.implementsConcept)
HKI_INVOLVES = str(HKI.involves)
HKI_MEASURE_STATUS = str(HKI.measureStatus)
HKI_PARTNER = str(HKI.partner)
HKI_PARTNERSHIP_TYPE = str(HKI.partnershipType)
HKI_PROJECT_STATUS = str(HKI.projectStatus)
HKI_RESPONSIBLE_ORGANISATION = str(HKI.responsibleOrganisation)
HKI_SDG_MAPPING_BASIS = str(HKI.sdgMappingBasis)
HKI_VERIFICATION_STATUS = str(HKI.verificationStatus)
SOURCE = "https://example.org/hki-synth/"
FIRST_WIKIDATA_ID = 900_000_000
FIRST_GEONAMES_ID = 90_000_000

# (ISO 3166 alpha-3, German name, English name, centre latitude, centre longitude, spread in degrees, weight).
# Europe-heavy like real twinning registries. Names of the ones in ontology/vocab.ttl are the same there.
COUNTRIES: tuple[tuple[str, str, str, float, float, float, int], ...] = (
    ("DEU", "Deutschland", "Germany", 51.0, 10.0, 2.5, 30),
    ("FRA", "Frankreich", "France", 46.6, 2.4, 3.0, 22),
    ("GBR", "Vereinigtes Königreich", "United Kingdom", 53.0, -1.8, 2.2, 10),
    ("POL", "Polen", "Poland", 52.0, 19.4, 2.2, 10),
    ("ITA", "Italien", "Italy", 42.8, 12.6, 2.8, 10),
    ("ESP", "Spanien", "Spain", 40.3, -3.7, 3.0, 7),
    ("NLD", "Niederlande", "Netherlands", 52.2, 5.5, 0.8, 5),
    ("BEL", "Belgien", "Belgium", 50.6, 4.6, 0.6, 3),
    ("AUT", "Österreich", "Austria", 47.6, 14.1, 1.2, 5),
    ("SWE", "Schweden", "Sweden", 60.1, 15.6, 3.0, 4),
    ("NOR", "Norwegen", "Norway", 61.0, 9.0, 3.0, 2),
    ("FIN", "Finnland", "Finland", 62.5, 25.8, 2.5, 3),
    ("DNK", "Dänemark", "Denmark", 55.9, 10.0, 0.8, 3),
    ("CZE", "Tschechien", "Czechia", 49.8, 15.5, 1.2, 5),
    ("HUN", "Ungarn", "Hungary", 47.2, 19.5, 1.2, 4),
    ("ROU", "Rumänien", "Romania", 45.9, 24.9, 2.0, 3),
    ("PRT", "Portugal", "Portugal", 39.6, -8.2, 1.5, 2),
    ("GRC", "Griechenland", "Greece", 39.1, 22.0, 2.0, 2),
    ("CHE", "Schweiz", "Switzerland", 46.8, 8.2, 0.8, 2),
    ("IRL", "Irland", "Ireland", 53.2, -7.9, 1.0, 1),
    ("UKR", "Ukraine", "Ukraine", 49.0, 31.3, 3.0, 3),
    ("RUS", "Russland", "Russia", 56.0, 40.0, 6.0, 3),
    ("TUR", "Türkei", "Türkiye", 39.0, 34.8, 3.0, 3),
    ("USA", "Vereinigte Staaten", "United States", 39.8, -95.0, 9.0, 5),
    ("CAN", "Kanada", "Canada", 50.0, -90.0, 8.0, 1),
    ("BRA", "Brasilien", "Brazil", -14.2, -51.9, 8.0, 1),
    ("MEX", "Mexiko", "Mexico", 23.6, -102.5, 5.0, 1),
    ("CHN", "China", "China", 33.0, 110.0, 8.0, 4),
    ("JPN", "Japan", "Japan", 36.2, 138.3, 3.0, 3),
    ("KOR", "Republik Korea", "Republic of Korea", 36.4, 127.8, 1.2, 1),
    ("IND", "Indien", "India", 21.0, 78.9, 6.0, 1),
    ("ISR", "Israel", "Israel", 31.4, 35.0, 0.6, 1),
    ("MWI", "Malawi", "Malawi", -13.3, 34.3, 1.5, 1),
    ("TZA", "Tansania", "Tanzania", -6.4, 34.9, 3.0, 1),
    ("GHA", "Ghana", "Ghana", 7.9, -1.0, 1.5, 1),
    ("NIC", "Nicaragua", "Nicaragua", 12.9, -85.2, 1.0, 1),
)

_PREFIXES = ("Al", "Ber", "Cal", "Dor", "El", "Fal", "Gre", "Hal", "Ing", "Kar", "Lin", "Mar", "Nor", "Os",
             "Pra", "Ros", "Sal", "Tor", "Ul", "Val", "Wes", "Zan", "Bran", "Eich", "Löw", "Mün", "Sz", "Kra",
             "Lju", "Vil")
_MIDDLES = ("a", "e", "i", "o", "u", "an", "en", "or", "ar", "el", "in", "ö")
_SUFFIXES = ("burg", "dorf", "stadt", "ville", "mouth", "ford", "grad", "ice", "ano", "ona", "hagen", "heim",
             "wick", "sund", "polis", "kirchen", "berg", "furt", "stein", "ów", "ünde", "ping", "necy",
             "lava", "havn", "aix", "mont", "ec", "iška", "ovo")
_QUALIFIERS = (("", ""), ("", ""), ("", ""), ("", ""), ("Bad ", "Bad "), ("Neu", "Neu"), ("Sankt ", "Saint "))

PARTNERSHIP_TYPES = (  # (scheme concept, weight, German noun, English noun)
    ("twin-city", 60, "Städtepartnerschaft", "Twinning"),
    ("friendship", 25, "Städtefreundschaft", "City friendship"),
    ("project-partnership", 15, "Projektpartnerschaft", "Project partnership"),
)
NETWORK_THEMES = (("Klima", "Climate"), ("Frieden", "Peace"), ("Kultur", "Culture"), ("Wissenschaft", "Science"),
                  ("Mobilität", "Mobility"), ("Wasser", "Water"), ("Gesundheit", "Health"),
                  ("Integration", "Integration"), ("Handel", "Trade"), ("Jugend", "Youth"))
NETWORK_REGIONS = (("Europas", "of Europe"), ("der Ostsee", "of the Baltic Sea"), ("des Mittelmeers",
                   "of the Mediterranean"), ("der Welt", "of the World"), ("Mitteleuropas", "of Central Europe"),
                   ("am Rhein", "on the Rhine"), ("an der Donau", "on the Danube"))
# (key, German, English, SDGs) — goals of a city's international strategy.
GOALS = (
    ("climate", "{city} schützt gemeinsam mit seinen Partnerstädten das Klima",
     "{city} protects the climate together with its partner cities", (13, 7)),
    ("exchange", "{city} fördert Begegnung und Austausch zwischen den Menschen",
     "{city} promotes encounters and exchange between people", (4, 16)),
    ("economy", "{city} ist ein international vernetzter Wirtschaftsstandort",
     "{city} is an internationally connected business location", (8, 9)),
    ("responsibility", "{city} übernimmt Verantwortung in der Welt",
     "{city} takes on responsibility in the world", (17, 1, 10)),
    ("welcome", "{city} heißt Menschen aus aller Welt willkommen",
     "{city} welcomes people from all over the world", (10, 11)),
    ("water", "{city} teilt sein Wissen über Wasser und Stadtentwicklung",
     "{city} shares its knowledge of water and urban development", (6, 11)),
    ("health", "{city} arbeitet international für Gesundheit",
     "{city} works internationally for health", (3,)),
    ("equality", "{city} stärkt Frauen und Mädchen in Partnerprojekten",
     "{city} strengthens women and girls in partner projects", (5, 10)),
)
# (German, English, SDGs, needs a partner city)
MEASURES = (
    ("Klimapartnerschaft mit {partner}", "Climate partnership with {partner}", (13,), True),
    ("Schüleraustausch mit {partner}", "School exchange with {partner}", (4,), True),
    ("Fachaustausch Wasserwirtschaft mit {partner}", "Expert exchange on water management with {partner}", (6,), True),
    ("Delegationsreise nach {partner}", "Delegation visit to {partner}", (17,), True),
    ("Jugendbegegnung {city} – {partner}", "Youth exchange {city} – {partner}", (4, 16), True),
    ("Gesundheitsprojekt mit {partner}", "Health project with {partner}", (3,), True),
    ("Willkommenszentrum für internationale Fachkräfte", "Welcome centre for international skilled workers", (8, 10), False),
    ("Fairer Einkauf in der Stadtverwaltung", "Fair procurement in the city administration", (12,), False),
    ("Tage der internationalen Nachbarschaft", "Days of international neighbourhood", (11, 16), False),
    ("Stipendien für Studierende aus Partnerländern", "Scholarships for students from partner countries", (4, 17), False),
)
MEASURE_STATUS = ("planned", "ongoing", "ongoing", "completed", "completed", "unknown")
PROJECT_STATUS = ("in-preparation", "presented", "in-implementation")


@dataclass
class SynthStats:
    """What a run made (counts), for the command's summary and the tests."""

    cities: int = 0
    partnerships: int = 0
    organisations: int = 0
    memberships: int = 0
    goals: int = 0
    measures: int = 0
    triples: int = 0
    degrees: list[int] = field(default_factory=list, repr=False)  # partnerships per city


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _decimal(value: float) -> str:
    """Five decimals, never a trailing zero (Virtuoso and others answer xsd:decimal in canonical form)."""
    text = f"{value:.5f}"
    if text.endswith("0"):
        text = f"{value + (0.00001 if value >= 0 else -0.00001):.5f}"
    return text


class _Writer:
    """N-Triples lines for one base IRI; counts what it writes."""

    def __init__(self, emit: Callable[[str], object], base: str):
        self.emit, self.base, self.count = emit, base, 0

    def iri(self, subject: str, predicate: str, obj: str) -> None:
        self.emit(f"<{subject}> <{predicate}> <{obj}> .\n")
        self.count += 1

    def text(self, subject: str, predicate: str, value: str, lang: str) -> None:
        self.emit(f"<{subject}> <{predicate}> {_literal(value)}@{lang} .\n")
        self.count += 1

    def typed(self, subject: str, predicate: str, value: str, datatype: str) -> None:
        self.emit(f"<{subject}> <{predicate}> {_literal(value)}^^<{datatype}> .\n")
        self.count += 1

    def plain(self, subject: str, predicate: str, value: str) -> None:
        self.emit(f"<{subject}> <{predicate}> {_literal(value)} .\n")
        self.count += 1

    def labels(self, subject: str, de: str, en: str, *predicates: str) -> None:
        for predicate in predicates or (RDFS_LABEL,):
            self.text(subject, predicate, de, "de")
            self.text(subject, predicate, en, "en")

    def source(self, subject: str, kind: str, slug: str) -> None:
        self.iri(subject, DCT + "source", f"{SOURCE}{kind}/{slug}")


def _weighted(rng: random.Random, pool: list[int], uniform_below: int, mix: float = 0.1) -> int:
    """Preferential attachment: an index from `pool` (one entry per link), sometimes a uniform one."""
    if not pool or rng.random() < mix:
        return rng.randrange(uniform_below)
    return pool[rng.randrange(len(pool))]


def _date(rng: random.Random, year: int) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.08:
        return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", XSD + "date"
    if roll < 0.12:
        return f"{year}-{rng.randint(1, 12):02d}", XSD + "gYearMonth"
    return str(year), XSD + "gYear"


def synthetic_statements(cities: int, seed: int = 0, base: str = DEFAULT_BASE,
                         emit: Callable[[str], object] | None = None) -> SynthStats:
    """Generate the graph for `cities` cities, passing each N-Triples line to `emit`; return the counts."""
    if cities < 2:
        raise ValueError(f"--cities {cities}: a graph of partnerships needs at least 2 cities")
    lines: list[str] = []
    w = _Writer(emit or lines.append, base)
    rng = random.Random(seed)
    stats = SynthStats(degrees=[0] * cities)
    ident = base + "id/"
    scheme = base + "scheme/"

    # -- countries used (labelled like ontology/vocab.ttl, so the shapes find them in the scheme)
    weights = [c[6] for c in COUNTRIES]
    country_of = [rng.choices(range(len(COUNTRIES)), weights)[0] for _ in range(cities)]
    for index in sorted(set(country_of)):
        iso, de, en = COUNTRIES[index][:3]
        c = COUNTRY + iso
        w.iri(c, RDF_TYPE, SKOS + "Concept")
        w.iri(c, SKOS + "inScheme", COUNTRY_SCHEME)
        w.plain(c, SKOS + "notation", iso)
        w.labels(c, de, en, SKOS + "prefLabel", RDFS_LABEL)

    # -- cities and their administrations
    names: list[tuple[str, str]] = []
    slugs: list[str] = []
    taken: dict[str, int] = {}
    for i in range(cities):
        q_de, q_en = rng.choice(_QUALIFIERS)
        stem = rng.choice(_PREFIXES) + rng.choice(_MIDDLES) + rng.choice(_SUFFIXES)
        de, en = q_de + stem, q_en + stem
        slug = _slug(en)
        taken[slug] = taken.get(slug, 0) + 1
        if taken[slug] > 1:
            slug = f"{slug}-{taken[slug]}"
        names.append((de, en))
        slugs.append(slug)
        iso, _, _, lat0, lon0, spread, _ = COUNTRIES[country_of[i]]
        lat = max(-89.9, min(89.9, rng.gauss(lat0, spread / 2)))
        lon = max(-179.9, min(179.9, rng.gauss(lon0, spread / 2)))
        city = f"{ident}city/{slug}"
        w.iri(city, RDF_TYPE, SCHEMA + "City")
        w.labels(city, de, en)
        if rng.random() < 0.8:  # "a city without a confirmed Wikidata ID has none"
            w.iri(city, OWL_SAME_AS, f"{WIKIDATA}Q{FIRST_WIKIDATA_ID + i}")
        w.iri(city, OWL_SAME_AS, f"{GEONAMES}{FIRST_GEONAMES_ID + i}/")
        w.typed(city, WGS + "lat", _decimal(lat), XSD + "decimal")
        w.typed(city, WGS + "long", _decimal(lon), XSD + "decimal")
        geometry = city + "/geometry"
        w.iri(city, GEO + "hasGeometry", geometry)
        w.iri(city, SCHEMA + "containedInPlace", COUNTRY + iso)
        w.source(city, "city", slug)
        w.iri(geometry, RDF_TYPE, GEO + "Geometry")
        w.labels(geometry, f"Geometrie von {de}", f"Geometry of {en}")
        w.typed(geometry, GEO + "asWKT", f"POINT({_decimal(lon)} {_decimal(lat)})", GEO + "wktLiteral")

        admin = f"{ident}organisation/{slug}-administration"
        w.iri(admin, RDF_TYPE, CV + "PublicOrganisation")
        w.iri(admin, RDF_TYPE, ORG + "Organization")
        w.labels(admin, f"Stadtverwaltung {de}", f"City administration of {en}")
        w.iri(admin, DCT + "spatial", city)
        w.iri(admin, ORG + "classification", scheme + "organisation-type/city-administration")
        if rng.random() < 0.5:
            w.iri(admin, FOAF + "homepage", f"{SOURCE}web/{slug}")
        w.source(admin, "organisation", slug + "-administration")
        stats.organisations += 1
        for kind, share, label_de, label_en in (
                ("economic-development-agency", 0.3, "Wirtschaftsförderung {}", "{} Economic Development"),
                ("marketing-and-tourism-company", 0.2, "{} Marketing und Tourismus", "{} Marketing and Tourism")):
            if rng.random() < share:
                agency = f"{ident}organisation/{slug}-{kind}"
                w.iri(agency, RDF_TYPE, ORG + "Organization")
                w.labels(agency, label_de.format(de), label_en.format(en))
                w.iri(agency, ORG + "classification", f"{scheme}organisation-type/{kind}")
                w.source(agency, "organisation", f"{slug}-{kind}")
                stats.organisations += 1
    stats.cities = cities

    # -- partnerships: each new city attaches to earlier ones, preferring well-connected cities
    pool: list[int] = []
    partnerships_of: list[list[tuple[str, int]]] = [[] for _ in range(cities)]  # (partnership IRI, partner)
    linked: set[tuple[int, int]] = set()
    total_expected = 2 * cities
    made = 0
    type_weights = [t[1] for t in PARTNERSHIP_TYPES]
    for i in range(1, cities):
        wanted = min(i, rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4)))
        for _ in range(wanted):
            kind, _, noun_de, noun_en = PARTNERSHIP_TYPES[rng.choices(range(3), type_weights)[0]]
            group = [i]
            size = rng.choice((2, 2, 3, 4)) if kind == "project-partnership" else 2
            for _attempt in range(6 * size):
                if len(group) == size:
                    break
                j = _weighted(rng, pool, i)
                if j not in group and (min(i, j), max(i, j)) not in linked:
                    group.append(j)
            if len(group) < 2:
                continue
            for a in group:
                for b in group:
                    if a < b:
                        linked.add((a, b))
            ordered = sorted(group)
            slug = "-".join(slugs[k] for k in ordered)
            p = f"{ident}partnership/{slug}"
            w.iri(p, RDF_TYPE, HKI_PARTNERSHIP)
            w.labels(p, f"{noun_de} " + " – ".join(names[k][0] for k in ordered),
                     f"{noun_en} " + " – ".join(names[k][1] for k in ordered))
            for k in ordered:
                w.iri(p, HKI_PARTNER, f"{ident}city/{slugs[k]}")
                partnerships_of[k].append((p, ordered[0] if k != ordered[0] else ordered[1]))
                stats.degrees[k] += 1
                pool.append(k)
            w.iri(p, HKI_PARTNERSHIP_TYPE, f"{scheme}partnership-type/{kind}")
            year = min(2025, max(1947, 1947 + int(78 * made / total_expected) + rng.randint(-6, 6)))
            start, datatype = _date(rng, year)
            w.typed(p, SCHEMA + "startDate", start, datatype)
            if kind == "project-partnership" and rng.random() < 0.5:
                w.typed(p, SCHEMA + "endDate", str(min(2026, year + rng.randint(1, 6))), XSD + "gYear")
            if rng.random() < 0.03:
                w.iri(p, HKI_VERIFICATION_STATUS, scheme + "verification-status/unverified")
                w.text(p, SKOS + "editorialNote", "Das Anfangsjahr ist nicht durch eine zweite Quelle belegt.", "de")
                w.text(p, SKOS + "editorialNote", "The start year is not confirmed by a second source.", "en")
            w.source(p, "partnership", slug)
            made += 1
            stats.partnerships += 1

    # -- city networks and memberships (preferential attachment again: a few very large networks)
    networks: list[tuple[str, str, str, str]] = []
    for n in range(max(4, cities // 60)):
        theme_de, theme_en = NETWORK_THEMES[n % len(NETWORK_THEMES)]
        region_de, region_en = NETWORK_REGIONS[(n // len(NETWORK_THEMES)) % len(NETWORK_REGIONS)]
        round_ = n // (len(NETWORK_THEMES) * len(NETWORK_REGIONS))
        suffix = f" {round_ + 1}" if round_ else ""
        label_de, label_en = f"Städtenetzwerk {theme_de} {region_de}{suffix}", f"{theme_en} Cities {region_en}{suffix}"
        slug = _slug(label_en)
        network = f"{ident}organisation/{slug}"
        w.iri(network, RDF_TYPE, ORG + "Organization")
        w.labels(network, label_de, label_en)
        w.iri(network, ORG + "classification", scheme + "organisation-type/city-network")
        w.source(network, "organisation", slug)
        networks.append((network, slug, label_de, label_en))
        stats.organisations += 1
    network_pool: list[int] = []
    for i in range(cities):
        admin_slug = slugs[i] + "-administration"
        admin = f"{ident}organisation/{admin_slug}"
        joined: list[int] = []
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4))):
            k = _weighted(rng, network_pool, len(networks), mix=0.3)
            if k in joined:
                continue
            joined.append(k)
            network_pool.append(k)
            network, network_slug, network_de, network_en = networks[k]
            m = f"{ident}membership/{admin_slug}-{network_slug}"
            w.iri(m, RDF_TYPE, ORG + "Membership")
            w.labels(m, f"Mitgliedschaft der Stadtverwaltung {names[i][0]} im {network_de}",
                     f"Membership of the city administration of {names[i][1]} in {network_en}")
            w.iri(m, ORG + "member", admin)
            w.iri(m, ORG + "organization", network)
            if rng.random() < 0.8:
                year = str(rng.randint(1985, 2025))
                period, instant = m + "/period", m + "/start"
                w.iri(m, ORG + "memberDuring", period)
                w.typed(m, SCHEMA + "startDate", year, XSD + "gYear")
                w.iri(period, RDF_TYPE, TIME + "Interval")
                w.labels(period, "Zeitraum der Mitgliedschaft", "Period of membership")
                w.iri(period, TIME + "hasBeginning", instant)
                w.iri(instant, RDF_TYPE, TIME + "Instant")
                w.labels(instant, "Beginn der Mitgliedschaft", "Start of membership")
                w.typed(instant, TIME + "inXSDgYear", year, XSD + "gYear")
            w.source(m, "membership", f"{admin_slug}-{network_slug}")
            stats.memberships += 1

    # -- international strategies: goals (SKOS, own scheme) and measures addressing SDGs
    for i in range(cities):
        if rng.random() >= 0.35:
            continue
        slug, (de, en) = slugs[i], names[i]
        admin = f"{ident}organisation/{slug}-administration"
        concept = f"{ident}action-concept/{slug}-international"
        goal_scheme = f"{scheme}goals-{slug}-international"
        chosen = rng.sample(range(len(GOALS)), rng.randint(2, 4))
        goal_iris = [f"{goal_scheme}/{GOALS[g][0]}" for g in chosen]
        w.iri(concept, RDF_TYPE, HKI_ACTION_CONCEPT)
        w.labels(concept, f"Internationale Strategie {de}", f"International strategy of {en}", RDFS_LABEL, DCT + "title")
        w.iri(concept, HKI_PROJECT_STATUS, f"{scheme}project-status/{rng.choice(PROJECT_STATUS)}")
        for goal in goal_iris:
            w.iri(concept, HKI_HAS_GOAL, goal)
        w.source(concept, "action-concept", slug)
        w.iri(goal_scheme, RDF_TYPE, SKOS + "ConceptScheme")
        w.labels(goal_scheme, f"Ziele der internationalen Strategie {de}",
                 f"Goals of the international strategy of {en}", SKOS + "prefLabel", RDFS_LABEL)
        w.source(goal_scheme, "goals", slug)
        for number, (g, goal) in enumerate(zip(chosen, goal_iris), start=1):
            key, text_de, text_en, sdgs = GOALS[g]
            w.iri(goal_scheme, SKOS + "hasTopConcept", goal)
            w.iri(goal, RDF_TYPE, HKI_GOAL)
            w.iri(goal, RDF_TYPE, SKOS + "Concept")
            w.labels(goal, text_de.format(city=de), text_en.format(city=en), SKOS + "prefLabel", RDFS_LABEL)
            w.plain(goal, SKOS + "notation", f"{slug.upper()}-Z{number}")
            w.iri(goal, SKOS + "inScheme", goal_scheme)
            w.iri(goal, SKOS + "topConceptOf", goal_scheme)
            _sdg_mapping(w, rng, goal, sdgs, scheme)
            w.source(goal, "goal", f"{slug}-{key}")
            stats.goals += 1
        partners = partnerships_of[i]
        for number in range(1, rng.randint(1, 6) + 1):
            options = [m for m in MEASURES if partners or not m[3]]
            text_de, text_en, sdgs, needs_partner = rng.choice(options)
            partnership, partner = rng.choice(partners) if needs_partner else (None, None)
            fill_de = {"city": de, "partner": names[partner][0] if partner is not None else ""}
            fill_en = {"city": en, "partner": names[partner][1] if partner is not None else ""}
            measure = f"{ident}measure/{slug}-{number}"
            w.iri(measure, RDF_TYPE, HKI_MEASURE)
            w.plain(measure, DCT + "identifier", f"{slug.upper()}-M{number}")
            w.labels(measure, text_de.format(**fill_de), text_en.format(**fill_en), RDFS_LABEL, DCT + "title")
            w.labels(measure, f"Eine Maßnahme der internationalen Strategie von {de}.",
                     f"A measure of the international strategy of {en}.", DCT + "description")
            status = rng.choice(MEASURE_STATUS)
            w.iri(measure, HKI_MEASURE_STATUS, f"{scheme}measure-status/{status}")
            start = rng.randint(2005, 2025)
            w.typed(measure, SCHEMA + "startDate", str(start), XSD + "gYear")
            if status == "completed":
                w.typed(measure, SCHEMA + "endDate", str(min(2026, start + rng.randint(0, 4))), XSD + "gYear")
            w.iri(measure, HKI_IMPLEMENTS_CONCEPT, concept)
            for goal in rng.sample(goal_iris, min(len(goal_iris), rng.randint(1, 2))):
                w.iri(measure, HKI_CONTRIBUTES_TO_GOAL, goal)
            _sdg_mapping(w, rng, measure, sdgs, scheme)
            w.iri(measure, HKI_RESPONSIBLE_ORGANISATION, admin)
            if partner is not None:
                w.iri(measure, HKI_INVOLVES, f"{ident}city/{slugs[partner]}")
                w.iri(measure, HKI_INVOLVES, partnership)
            w.source(measure, "measure", f"{slug}-{number}")
            stats.measures += 1
    stats.triples = w.count
    return stats


def _sdg_mapping(w: _Writer, rng: random.Random, subject: str, sdgs: tuple[int, ...], scheme: str) -> None:
    for number in sdgs:
        w.iri(subject, HKI_ADDRESSES_SDG, f"{SDG}{number}")
    if rng.random() < 0.5:
        w.iri(subject, HKI_SDG_MAPPING_BASIS, scheme + "mapping-basis/source")
    else:
        w.iri(subject, HKI_SDG_MAPPING_BASIS, scheme + "mapping-basis/editorial")
        w.text(subject, SKOS + "editorialNote", "Redaktionelle Zuordnung nach dem Thema der Angabe.", "de")
        w.text(subject, SKOS + "editorialNote", "Editorial mapping by the subject of the entry.", "en")


def write_synthetic_graph(out: Path | TextIO, cities: int, seed: int = 0, base: str = DEFAULT_BASE) -> SynthStats:
    """Write the synthetic graph as N-Triples (UTF-8) to a file path or an open text stream."""
    if isinstance(out, Path):
        with open(out, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as handle:
            return synthetic_statements(cities, seed, base, handle.write)
    return synthetic_statements(cities, seed, base, out.write)


def synthetic_lines(cities: int, seed: int = 0, base: str = DEFAULT_BASE) -> Iterator[str]:
    """The N-Triples lines of a synthetic graph (kept in memory; for small graphs and tests)."""
    lines: list[str] = []
    synthetic_statements(cities, seed, base, lines.append)
    return iter(lines)


__all__ = ["COUNTRIES", "SynthStats", "synthetic_lines", "synthetic_statements", "write_synthetic_graph"]
