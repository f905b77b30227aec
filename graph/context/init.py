"""`kg init --city QID --out DIR`: start another city's data folder from the context layer.

What it writes (all of it, or nothing: the folder is built beside `DIR` and renamed into place):
- `hki.toml`: the city's own base IRI (`--base`, by default https://example.org/<slug>/, which must be
  changed before publishing), titles, `data_dir = "data"`, `context_dir = "context"`;
- `data/city.ttl`: the city (schema:City, labels, owl:sameAs wd:Q…, coordinates when the context has
  them, its country), its city administration (cv:PublicOrganisation with dct:spatial the city);
- `data/partnerships.ttl`: every twin city the context names for it (in either direction), and one
  hki:Partnership per twinning, marked `hki:verificationStatus vstat:wikidata-only` with an editorial
  note in German and English: stated by Wikidata, not confirmed by the city;
- `context/`: the context itself, its IRIs moved to the new base.
Every fact has `dct:source` the Wikidata entity page it rests on. The folder passes `kg validate`,
`kg build` and `kg serve` as it is; staff then confirm or correct it.

Twin cities whose country the context does not give (the shared TSV extract gives none) are
schema:AdministrativeArea, not schema:City: the shapes want a city's country, and none is invented.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from graph.context.importer import (
    PQ,
    PS,
    WDT,
    ContextImport,
    P,
    context_triples,
    ntriples,
    slug_of,
)
from graph.vocabulary import RDFS, SCHEMA, WGS, WIKIDATA
from ontology import DEFAULT_BASE, PREFIXES

EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
# Wikidata's items of the countries hki's vocabulary labels (ontology/vocab.ttl) → their EU authority codes;
# a context answer with P17 countries maps through this, anything else needs --country.
COUNTRY_CODES = {"Q183": "DEU", "Q142": "FRA", "Q145": "GBR", "Q38": "ITA", "Q29": "ESP", "Q36": "POL",
                 "Q159": "RUS", "Q17": "JPN", "Q1020": "MWI", "Q40": "AUT", "Q31": "BEL", "Q35": "DNK",
                 "Q33": "FIN", "Q55": "NLD", "Q20": "NOR", "Q34": "SWE"}
KNOWN_CODES = set(COUNTRY_CODES.values())
WIKIDATA_PAGE = "https://www.wikidata.org/wiki/"


class InitError(ValueError):
    """The folder cannot be made as asked; the message says what to give instead."""


@dataclass
class Place:
    qid: str
    labels: dict[str, str] = field(default_factory=dict)  # language ("" untagged) → label
    coordinates: tuple[str, str] | None = None
    countries: list[str] = field(default_factory=list)  # Wikidata QIDs

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("") or self.labels.get("en") or self.labels.get("de") or self.qid


@dataclass
class Twinning:
    other: str
    stated_by: set[str] = field(default_factory=set)
    starts: set[tuple[str, str]] = field(default_factory=set)


def context_store(context_files: list[Path] = (), imports: list[ContextImport] = ()) -> ox.Store:
    """The context statements (from .nt files or freshly read imports) in an in-memory store."""
    store = ox.Store()
    for path in context_files:
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    for imp in imports:
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in context_triples(imp))
    return store


def _place(store: ox.Store, qid: str) -> Place:
    node = ox.NamedNode(WIKIDATA + qid)
    place = Place(qid)
    for q in store.quads_for_pattern(node, ox.NamedNode(RDFS + "label"), None):
        place.labels.setdefault(q.object.language or "", q.object.value)
    lat = next(iter(store.quads_for_pattern(node, ox.NamedNode(WGS + "lat"), None)), None)
    long = next(iter(store.quads_for_pattern(node, ox.NamedNode(WGS + "long"), None)), None)
    if lat is not None and long is not None:
        place.coordinates = (lat.object.value, long.object.value)
    place.countries = sorted(q.object.value[len(WIKIDATA):] for q in
                             store.quads_for_pattern(node, ox.NamedNode(SCHEMA + "containedInPlace"), None))
    return place


def _twinnings(store: ox.Store, qid: str) -> dict[str, Twinning]:
    node, p190 = ox.NamedNode(WIKIDATA + qid), ox.NamedNode(WDT + "P190")
    found: dict[str, Twinning] = {}
    for city, twin in ([(node, q.object) for q in store.quads_for_pattern(node, p190, None)]
                       + [(q.subject, node) for q in store.quads_for_pattern(None, p190, node)]):
        other = twin if city == node else city
        entry = found.setdefault(other.value[len(WIKIDATA):], Twinning(other.value[len(WIKIDATA):]))
        entry.stated_by.add(city.value[len(WIKIDATA):])
        for statement in store.quads_for_pattern(city, ox.NamedNode(P + "P190"), None):
            if any(True for _ in store.quads_for_pattern(statement.object, ox.NamedNode(PS + "P190"), twin)):
                for start in store.quads_for_pattern(statement.object, ox.NamedNode(PQ + "P580"), None):
                    entry.starts.add((start.object.value, start.object.datatype.value))
    return found


# ------------------------------------------------------------------------------------------- Turtle

def _lit(text: str, lang: str | None = None) -> str:
    return str(ox.Literal(text, language=lang) if lang else ox.Literal(text))


def _typed(value: str, datatype: str) -> str:
    return str(ox.Literal(value, datatype=ox.NamedNode(datatype)))


def _iri(iri: str) -> str:
    return str(ox.NamedNode(iri))


# The prefixes of the data files it writes: the project's own table (ontology.PREFIXES), plus the verification statuses.
PREFIXES_TTL = "".join(f"@prefix {name}: <{PREFIXES[name]}> .\n" for name in
                       ("rdfs", "owl", "xsd", "skos", "dct", "schema", "wgs", "geo", "org", "cv", "hki")) + \
    "@prefix vstat: <https://w3id.org/hki/scheme/verification-status/> .\n"
ID_NOTE_DE = ("Die Wikidata-ID stammt aus dem Wikidata-Kontext (kg init) und ist nicht bestätigt.")
ID_NOTE_EN = "The Wikidata ID comes from the Wikidata context (kg init) and is unconfirmed."


def _place_block(iri: str, kind: str, place: Place, country: str | None, home: bool) -> str:
    source = _iri(WIKIDATA_PAGE + place.qid)
    de, en = place.label("de"), place.label("en")
    lines = [f"{_iri(iri)} a {kind} ;",
             f"    rdfs:label {_lit(de, 'de')} , {_lit(en, 'en')} ;",
             f"    owl:sameAs {_iri(WIKIDATA + place.qid)} ;"]
    if place.coordinates:
        lat, long = place.coordinates
        lines.append(f"    wgs:lat {_typed(lat, 'http://www.w3.org/2001/XMLSchema#decimal')} ; "
                     f"wgs:long {_typed(long, 'http://www.w3.org/2001/XMLSchema#decimal')} ;")
        lines.append(f"    geo:hasGeometry {_iri(iri + '/geometry')} ;")
    if country:
        lines.append(f"    schema:containedInPlace {_iri(EU_COUNTRY + country)} ;")
    if not home:
        lines.append("    hki:wikidataIdStatus vstat:wikidata-only ;")
        lines.append(f"    skos:editorialNote {_lit(ID_NOTE_DE, 'de')} , {_lit(ID_NOTE_EN, 'en')} ;")
    lines.append(f"    dct:source {source} .")
    block = "\n".join(lines) + "\n"
    if place.coordinates:
        lat, long = place.coordinates
        block += (f"{_iri(iri + '/geometry')} a geo:Geometry ;\n"
                  f"    rdfs:label {_lit('Geometrie von ' + de, 'de')} , {_lit('Geometry of ' + en, 'en')} ;\n"
                  f"    geo:asWKT {_typed(f'POINT({long} {lat})', 'http://www.opengis.net/ont/geosparql#wktLiteral')} .\n")
    return block + "\n"


def _country(place: Place, given: str | None) -> str | None:
    if given:
        return given
    codes = [COUNTRY_CODES[q] for q in place.countries if q in COUNTRY_CODES]
    return codes[0] if len(codes) == 1 else None


def _move_base(body: bytes, base: str) -> bytes:
    """The context's own IRIs (statements, imports) under the new base."""
    if base == DEFAULT_BASE:
        return body
    triples = []
    for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        def moved(term):
            if isinstance(term, ox.NamedNode) and term.value.startswith(DEFAULT_BASE + "context/"):
                return ox.NamedNode(base + term.value[len(DEFAULT_BASE):])
            return term
        triples.append(ox.Triple(moved(t.subject), t.predicate, moved(t.object)))
    return ntriples(triples)


@dataclass
class InitResult:
    folder: Path
    city: Place
    twins: int
    base: str
    base_is_placeholder: bool


def init_city(qid: str, out: Path, *, context_files: list[Path] = (), imports: list[ContextImport] = (),
              base: str | None = None, country: str | None = None, today: date | None = None,
              source_base: str = DEFAULT_BASE) -> InitResult:
    """Write a new city's data folder for the Wikidata item `qid` from the context (files or imports)."""
    if not qid.startswith("Q") or not qid[1:].isdigit():
        raise InitError(f"--city {qid!r} is not a Wikidata ID (Q followed by digits, e.g. Q3955 for Weimar)")
    if country is not None and (len(country) != 3 or not country.isalpha() or not country.isupper()):
        raise InitError(f"--country {country!r}: give the three-letter code of the EU authority table, e.g. DEU")
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InitError(f"{out} exists and is not empty: give --out a new or empty folder")
    if not context_files and not imports:
        raise InitError("no context: import one first (kg context import) or give --relations/--names or --context")
    store = context_store(list(context_files), list(imports))
    home = _place(store, qid)
    if not any(True for _ in store.quads_for_pattern(ox.NamedNode(WIKIDATA + qid), None, None)):
        raise InitError(f"{qid} is not in the context: check the ID (e.g. Q3955 for Weimar) or import a context "
                        "that has it")
    twins = _twinnings(store, qid)
    home_country = _country(home, country)
    if home_country is None:
        raise InitError(f"the context does not say which country {home.label('en')} ({qid}) is in: give "
                        "--country with the EU authority table's code, e.g. --country DEU")
    slug = slug_of(home.label("de"))
    placeholder = base is None
    base = base or f"https://example.org/{slug}/"
    if not (base.startswith(("http://", "https://")) and base.endswith("/")):
        raise InitError(f"--base {base!r}: must be an http(s) IRI ending in '/', e.g. https://data.{slug}.de/")
    ids = f"{base}id/"
    city_iri = f"{ids}city/{slug}"
    org_iri = f"{ids}organisation/{slug}-city-administration"
    used = {slug}
    today = today or date.today()

    city_ttl = [f"# {home.label('de')}: started by `kg init --city {qid}` from the Wikidata context on {today}.\n"
                "# Every fact here rests on Wikidata (dct:source: the entity page) until the city's staff confirm it.\n",
                PREFIXES_TTL, "\n"]
    city_ttl.append(_place_block(city_iri, "schema:City", home, home_country, home=True))
    city_ttl.append(
        f"{_iri(org_iri)} a cv:PublicOrganisation , org:Organization ;\n"
        f"    rdfs:label {_lit('Stadtverwaltung ' + home.label('de'), 'de')} , "
        f"{_lit('City administration of ' + home.label('en'), 'en')} ;\n"
        f"    dct:spatial {_iri(city_iri)} ;\n"
        "    org:classification <https://w3id.org/hki/scheme/organisation-type/city-administration> ;\n"
        f"    dct:source {_iri(WIKIDATA_PAGE + qid)} .\n")
    country_concepts = {home_country} - KNOWN_CODES

    partner_ttl = [f"# The twin cities Wikidata names for {home.label('de')} ({qid}), each twinning unconfirmed.\n",
                   PREFIXES_TTL, "\n"]
    for other in sorted(twins, key=lambda q: (_place(store, q).label("de"), q)):
        place = _place(store, other)
        key = slug_of(place.label("de"))
        if key in used:
            key = f"{key}-{other.lower()}"
        used.add(key)
        iri = f"{ids}city/{key}"
        code = _country(place, None)
        kind = "schema:City" if code else "schema:AdministrativeArea"
        if code:
            country_concepts |= {code} - KNOWN_CODES
        partner_ttl.append(_place_block(iri, kind, place, code, home=False))
        twinning = twins[other]
        starts = sorted(s for s in twinning.starts if len(s[0].lstrip("-")) >= 4 and not s[0].startswith("-"))
        sources = " , ".join(_iri(WIKIDATA_PAGE + q) for q in sorted(twinning.stated_by))
        who = " und ".join(Place(q, _place(store, q).labels).label("de") for q in sorted(twinning.stated_by))
        who_en = " and ".join(Place(q, _place(store, q).labels).label("en") for q in sorted(twinning.stated_by))
        label_de = f"Städtepartnerschaft {home.label('de')} – {place.label('de')}"
        label_en = f"Twinning {home.label('en')} – {place.label('en')}"
        lines = [f"{_iri(f'{ids}partnership/{slug}-{key}')} a hki:Partnership ;",
                 f"    rdfs:label {_lit(label_de, 'de')} , {_lit(label_en, 'en')} ;",
                 f"    hki:partner {_iri(city_iri)} , {_iri(iri)} ;",
                 "    hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> ;"]
        if len(starts) == 1:
            lines.append(f"    schema:startDate {_typed(*starts[0])} ;")
        lines += ["    hki:verificationStatus vstat:wikidata-only ;",
                  f"    skos:editorialNote {_lit(f'Laut Wikidata (Eigenschaft P190, genannt von {who}); von der Stadt nicht bestätigt.', 'de')} , "
                  f"{_lit(f'According to Wikidata (property P190, stated by {who_en}); not confirmed by the city.', 'en')} ;",
                  f"    dct:source {sources} ."]
        partner_ttl.append("\n".join(lines) + "\n\n")
    vocabulary = ""
    if country_concepts:
        vocabulary = PREFIXES_TTL + "".join(
            f"{_iri(EU_COUNTRY + code)} a skos:Concept ;\n"
            "    skos:inScheme <http://publications.europa.eu/resource/authority/country> ;\n"
            f"    skos:notation {_lit(code)} ;\n"
            f"    skos:prefLabel {_lit(code, 'de')} , {_lit(code, 'en')} .\n\n" for code in sorted(country_concepts))

    toml = (f"# Started by `kg init --city {qid}` on {today}. Change `base` to the IRI space the city publishes under\n"
            "# before publishing" + (" (https://example.org/ is a placeholder)" if placeholder else "") + ".\n"
            "[hki]\n"
            f"base = \"{base}\"\n"
            "data_dir = \"data\"\n"
            "context_dir = \"context\"\n"
            f"title_de = \"Internationale Beziehungen: {home.label('de')}\"\n"
            f"title_en = \"International relations: {home.label('en')}\"\n"
            f"modified = \"{today.isoformat()}\"\n")

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-{os.getpid()}-", dir=out.parent))
    try:
        (staging / "data").mkdir()
        (staging / "context").mkdir()
        (staging / "hki.toml").write_text(toml, encoding="utf-8")
        (staging / "data" / "city.ttl").write_text("".join(city_ttl), encoding="utf-8")
        (staging / "data" / "partnerships.ttl").write_text("".join(partner_ttl), encoding="utf-8")
        if vocabulary:
            (staging / "data" / "countries.ttl").write_text(vocabulary, encoding="utf-8")
        for path in context_files:
            (staging / "context" / path.name).write_bytes(_move_base(path.read_bytes(), base))
        for imp in imports:
            (staging / "context" / f"{imp.slug}.nt").write_bytes(ntriples(context_triples(imp, base)))
        os.chmod(staging, 0o755)
        if out.exists():
            out.rmdir()
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InitResult(out, home, len(twins), base, placeholder)


__all__ = ["InitError", "InitResult", "init_city"]
