"""The dataset's full description for portals and linked-data tools: VoID plus a DCAT-AP.de catalogue.

`dataset_description` states the dataset for the meta graph (titles, counts per graph, endpoint, dumps);
`dataset_metadata` adds what needs the data itself or the built files:
- VoID (https://www.w3.org/TR/void/): link sets to Wikidata and GeoNames with their triple counts and
  target datasets, the formats offered, the dumps;
- DCAT-AP.de (https://www.dcat-ap.de/def/dcatde/2.0/spec/): a `dcat:Catalog` with publisher, contact
  point, languages and licence; the dataset with spatial coverage (the city, and its GeoNames IRI),
  temporal coverage (the earliest and latest date in the data), themes from the EU data-theme
  vocabulary, keywords; each distribution with its licence from the DCAT-AP.de licence list, media
  type, file format, byte size and SHA-256 checksum; and the SPARQL endpoint as a `dcat:DataService`.
Same inputs, same triples: no clock is read.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pyoxigraph as ox

from graph.config import Settings
from graph import __version__
from graph.store import KnowledgeStore
from graph.vocabulary import (DCAT, DCATDE, DCT, FOAF, GEO, GEONAMES, HKI, ORG, OWL, RDF, SCHEMA, SD, SKOS, SPDX, VCARD,
                              VOID, WGS, WIKIDATA, XSD)


@dataclass(frozen=True)
class ReleaseInfo:
    """A numbered release of the data (graph.workspace.releases): what the catalogue says about this version.

    DCAT-AP.de: the version as dcat:version (3.0) / owl:versionInfo (2.0), its notes as adms:versionNotes, the date of
    the first publication as dct:issued and this release's date as dct:modified."""

    number: int
    modified: str  # YYYY-MM-DD: the day this release was published
    issued: str  # YYYY-MM-DD: the day the dataset was first published
    notes: tuple[tuple[str, str], ...] = ()  # (language, text) of the release notes

    @property
    def version(self) -> str:
        return str(self.number)


ADMS = "http://www.w3.org/ns/adms#"


@dataclass(frozen=True)
class Distribution:
    """One dump file of a build."""

    file_name: str
    media_type: str
    byte_size: int
    sha256: str
    title: str


def dataset_description(settings: Settings, counts: dict[str, int], fingerprint: str) -> list[ox.Triple]:
    """VoID + DCAT triples describing the dataset for the meta graph (counts per named graph, endpoint,
    links), the same in every DCAT-AP.de profile."""
    base = settings.base
    ds = _n(base + "dataset")
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: object) -> None:
        out.append(ox.Triple(s, _n(p), o))  # type: ignore[arg-type]

    add(ds, RDF + "type", _n(VOID + "Dataset"))
    add(ds, RDF + "type", _n(DCAT + "Dataset"))
    add(ds, DCT + "title", ox.Literal(settings.title_de, language="de"))
    add(ds, DCT + "title", ox.Literal(settings.title_en, language="en"))
    add(ds, DCT + "description", ox.Literal(
        "Wissensgraph der internationalen Beziehungen einer Stadt: Partnerstädte, Partnerorganisationen, "
        "Städtenetzwerke, Ziele und Maßnahmen des Handlungskonzepts und die SDGs, denen sie dienen.", language="de"))
    add(ds, DCT + "description", ox.Literal(
        "Knowledge graph of a city's international relations: partner cities, partner organisations, city "
        "networks, the goals and measures of its action concept and the SDGs they serve.", language="en"))
    add(ds, DCT + "license", _n(settings.licence))
    # DCAT-AP: the publisher is an agent (foaf:Agent with a name), not a string: the city (settings).
    publisher = _n(base + "dataset/publisher")
    add(ds, DCT + "publisher", publisher)
    add(publisher, RDF + "type", _n(FOAF + "Agent"))
    add(publisher, RDF + "type", _n(FOAF + "Organization"))
    if settings.publisher:
        add(publisher, FOAF + "name", ox.Literal(settings.publisher))
    if settings.publisher_url:
        add(publisher, FOAF + "homepage", _n(settings.publisher_url))
    # A fixed date from the settings, not today's: the same inputs must give the same dumps.
    add(ds, DCT + "modified", ox.Literal(settings.modified, datatype=_n(XSD + "date")))
    add(ds, DCT + "issued", ox.Literal(settings.issued or settings.modified, datatype=_n(XSD + "date")))
    add(ds, DCT + "identifier", ox.Literal(base + "dataset"))
    add(ds, VOID + "sparqlEndpoint", _n(base + "sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(base + "id/"))
    add(ds, VOID + "exampleResource", _n(base + "id/city/bristol"))
    add(ds, VOID + "exampleResource", _n(base + "id/action-concept/internationale-stadt"))
    for vocabulary in VOCABULARIES:
        add(ds, VOID + "vocabulary", _n(vocabulary))
    total = sum(v for k, v in counts.items() if k != "meta")
    add(ds, VOID + "triples", ox.Literal(str(total), datatype=_n(XSD + "integer")))
    for name, count in sorted(counts.items()):
        if name == "meta" or (name == "context" and not count):  # no context layer: described as before
            continue
        part = _n(f"{base}dataset/{name}")
        add(ds, VOID + "subset", part)
        add(part, RDF + "type", _n(VOID + "Dataset"))
        add(part, SD + "name", _n(f"{base}graph/{name}"))
        add(part, VOID + "triples", ox.Literal(str(count), datatype=_n(XSD + "integer")))
        if name == "context":
            out.extend(_context_subset(part))
    for target, label in (("wikidata", "Wikidata"), ("geonames", "GeoNames")):
        link = _n(f"{base}dataset/links-{target}")
        add(ds, VOID + "subset", link)
        add(link, RDF + "type", _n(VOID + "Linkset"))
        add(link, VOID + "linkPredicate", _n(OWL + "sameAs"))
        add(link, VOID + "subjectsTarget", ds)
        add(link, DCT + "title", ox.Literal(f"Links to {label}", language="en"))
    return out


# The context layer (graph.context): third-party data about the world around the city, its own subset,
# never the city's statement: source, licence (Wikidata's CC0) and, from the imports, the retrieval dates.
PROV = "http://www.w3.org/ns/prov#"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"


def _context_subset(part: ox.NamedNode) -> list[ox.Triple]:
    def t(p: str, o: object) -> ox.Triple:
        return ox.Triple(part, _n(p), o)  # type: ignore[arg-type]

    return [t(DCT + "title", ox.Literal("Kontext laut Wikidata: das weltweite Netz der Städtepartnerschaften", language="de")),
            t(DCT + "title", ox.Literal("Context according to Wikidata: the world's twin-city network", language="en")),
            t(DCT + "description", ox.Literal(
                "Third-party data (Wikidata property P190, twinned administrative body), kept apart from the "
                "city's own statements; every statement is sourced to its import and retrieval date.", language="en")),
            t(DCT + "license", _n(CC0)),
            t(DCT + "source", _n("https://www.wikidata.org/wiki/Property:P190"))]


def _context_imports(kstore: KnowledgeStore, base: str) -> list[ox.Triple]:
    """The context graph's imports (prov:Entity) with their sources and retrieval dates, for VoID."""
    part = _n(f"{base}dataset/context")
    rows = kstore.select(f"""SELECT ?import ?source ?issued ?label WHERE {{ GRAPH <{base}graph/context> {{
        ?import a <{PROV}Entity> . OPTIONAL {{ ?import <{DCT}source> ?source }}
        OPTIONAL {{ ?import <{DCT}issued> ?issued }} OPTIONAL {{ ?import <http://www.w3.org/2000/01/rdf-schema#label> ?label }} }} }}""",
                         timeout=kstore.settings.statistics_timeout, trusted=True)
    out = []
    for row in rows:
        imp = row["import"]
        out.append(ox.Triple(part, _n(PROV + "wasDerivedFrom"), imp))
        out.append(ox.Triple(imp, _n(RDF + "type"), _n(PROV + "Entity")))
        for key, predicate in (("source", DCT + "source"), ("issued", DCT + "issued"),
                               ("label", "http://www.w3.org/2000/01/rdf-schema#label")):
            if key in row:
                out.append(ox.Triple(imp, _n(predicate), row[key]))
    return sorted(set(out), key=str)


OWL_SAME_AS = OWL + "sameAs"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"  # one scheme for mediaType and compressFormat
# SHA-256 in DCAT-AP.de's hash-algorithm list (http://dcat-ap.de/def/hashAlgorithms/, which the 2.0
# shapes require): the list is not available offline; the IRI follows the pattern of the specification's
# own example, http://dcat-ap.de/def/hashAlgorithms/md/5. The catalogue states its SPDX equivalent.
SHA256 = "http://dcat-ap.de/def/hashAlgorithms/sha/256"
SPDX_SHA256 = SPDX + "checksumAlgorithm_sha256"
# The vocabularies the data uses, by their ontology IRIs (VoID: void:vocabulary names the vocabulary, so
# hki's is <…/def>, the ontology, not the namespace <…/def#>).
VOCABULARIES = (SCHEMA, ORG, DCT, "http://www.w3.org/2004/02/skos/core", str(HKI).rstrip("#"), WGS,
                "http://www.opengis.net/ont/geosparql")
POLITICAL_GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
EU = "http://publications.europa.eu/resource/authority/"
# The DCAT-AP.de licence list (http://dcat-ap.de/def/licenses/) for the licences a city is likely to use.
DCAT_AP_DE_LICENCES = {
    "http://creativecommons.org/licenses/by/4.0/": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "https://creativecommons.org/licenses/by/4.0/": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "http://creativecommons.org/publicdomain/zero/1.0/": "http://dcat-ap.de/def/licenses/cc-zero",
    "https://creativecommons.org/publicdomain/zero/1.0/": "http://dcat-ap.de/def/licenses/cc-zero",
    "https://www.govdata.de/dl-de/by-2-0": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
    "https://www.govdata.de/dl-de/zero-2-0": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
}
LICENCE_NAMES = {
    "http://dcat-ap.de/def/licenses/cc-by/4.0": "CC BY 4.0",
    "http://dcat-ap.de/def/licenses/cc-zero": "CC0 1.0",
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": "Datenlizenz Deutschland – Zero – Version 2.0",
}
# file name → (EU file type, title de)
FILE_TYPES = {
    "hki.ttl": ("RDF_TURTLE", "Alle Daten als Turtle"),
    "hki.nt.gz": ("RDF_N_TRIPLES", "Alle Daten als N-Triples (sortiert, gzip-komprimiert)"),
    "hki.jsonld": ("JSON_LD", "Alle Daten als JSON-LD"),
    "hki.rdf": ("RDF_XML", "Alle Daten als RDF/XML"),
    "hki.trig": ("RDF_TRIG", "Alle benannten Graphen als TriG"),
}


def dcat_ap_de_licence(licence: str) -> str:
    """The DCAT-AP.de licence IRI for a licence IRI (the IRI itself when it is already one or unknown)."""
    return DCAT_AP_DE_LICENCES.get(licence, licence)


def licence_name(licence: str) -> str:
    """A licence's short name for page footers (the IRI when it is not a known one)."""
    return LICENCE_NAMES.get(dcat_ap_de_licence(licence), licence)


def with_publisher(settings: Settings, kstore: KnowledgeStore) -> Settings:
    """The settings with a publisher name: the `publisher` setting, or else the name the data gives the city
    administration (the public organisation with a dct:spatial place), in German if it has one."""
    if settings.publisher.strip():
        return settings
    rows = kstore.select("SELECT ?label WHERE { ?org a <http://data.europa.eu/m8g/PublicOrganisation> ; "
                         "<http://purl.org/dc/terms/spatial> ?place ; <http://www.w3.org/2000/01/rdf-schema#label> ?label } "
                         "ORDER BY (LANG(?label) != \"de\") STR(?label) LIMIT 1",
                         timeout=settings.statistics_timeout, trusted=True)
    return replace(settings, publisher=rows[0]["label"].value) if rows else settings


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _count(kstore: KnowledgeStore, sparql: str) -> int:
    rows = kstore.select(sparql, timeout=kstore.settings.statistics_timeout, trusted=True)
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


@dataclass(frozen=True)
class Profile:
    """A DCAT-AP.de version the catalogue is written for; the two disagree on a few points."""

    key: str  # as in ?profile= and the built file names
    iri: str  # for Accept-Profile / Content-Profile (W3C Content Negotiation by Profile) and dct:conformsTo
    title: str


# 2.0 is what GovData's harvester checks today (with its Konventionen); 3.0 is the current specification.
# Where they differ: dcat:byteSize is xsd:decimal in 2.0 and xsd:nonNegativeInteger in 3.0; 2.0 requires
# the hash algorithm from DCAT-AP.de's list, 3.0 deprecates that list for SPDX's; 2.0 names the version
# with owl:versionInfo and the municipality with dcatde:politicalGeocodingURI, 3.0 deprecates both for
# dcat:version and dct:spatial.
PROFILES = {
    "2.0": Profile("2.0", "http://dcat-ap.de/def/dcatde/2.0", "DCAT-AP.de 2.0"),
    "3.0": Profile("3.0", "http://dcat-ap.de/def/dcatde/3.0", "DCAT-AP.de 3.0"),
}
DEFAULT_PROFILE = PROFILES["2.0"]


def dataset_metadata(kstore: KnowledgeStore, distributions: Sequence[Distribution] = (),
                     profile: Profile = DEFAULT_PROFILE, settings: Settings | None = None,
                     release: ReleaseInfo | None = None) -> list[ox.Triple]:
    """VoID and DCAT-AP.de triples for the loaded dataset and its built dumps (sorted, no duplicates),
    written for one DCAT-AP.de profile, with the publisher's settings (the store's, unless given); with a `release`,
    its number, notes and dates (graph.workspace.releases)."""
    settings = with_publisher(settings or kstore.settings, kstore)
    if release is not None:
        settings = replace(settings, modified=release.modified, issued=release.issued)
    base = settings.base
    counts = kstore.triple_counts()
    out = list(dataset_description(settings, counts, kstore.fingerprint))
    if counts.get("context"):
        out.extend(_context_imports(kstore, base))
    v3 = profile.key == "3.0"

    def add(s: ox.NamedNode, p: str, o: object) -> None:
        out.append(ox.Triple(s, _n(p), o))  # type: ignore[arg-type]

    ds = _n(base + "dataset")
    # The release: software version and input fingerprint (dct:hasVersion links other datasets and is
    # deprecated in DCAT-AP.de for this use).
    version = release.version if release is not None else f"{__version__}+{kstore.fingerprint[:12]}"
    add(ds, (DCAT + "version") if v3 else (OWL + "versionInfo"), ox.Literal(version))
    for lang, text in (release.notes if release is not None else ()):
        add(ds, ADMS + "versionNotes", ox.Literal(text, language=lang))
    add(ds, DCT + "conformsTo", _n(profile.iri))
    for dist in distributions:
        d = _n(f"{base}downloads/{dist.file_name}")
        add(ds, DCAT + "distribution", d)
        add(ds, VOID + "dataDump", d)
        add(d, RDF + "type", _n(DCAT + "Distribution"))
        add(d, DCT + "title", ox.Literal(dist.title, language="en"))
        add(d, DCAT + "downloadURL", d)
        add(d, DCAT + "accessURL", d)
        add(d, DCAT + "mediaType", _n(IANA_MEDIA_TYPES + dist.media_type))
        add(d, DCAT + "byteSize", ox.Literal(str(dist.byte_size), datatype=_n(XSD + ("nonNegativeInteger" if v3 else "decimal"))))
        checksum = _n(f"{base}downloads/{dist.file_name}#checksum")
        add(d, SPDX + "checksum", checksum)
        add(checksum, RDF + "type", _n(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", _n(SPDX_SHA256 if v3 else SHA256))
        add(checksum, SPDX + "checksumValue", ox.Literal(dist.sha256, datatype=_n(XSD + "hexBinary")))
    if distributions:
        if v3:
            add(_n(SPDX_SHA256), RDF + "type", _n(SPDX + "ChecksumAlgorithm"))
        else:  # SPDX's own name of the algorithm beside DCAT-AP.de's, for clients that know only SPDX
            add(_n(SHA256), SKOS + "exactMatch", _n(SPDX_SHA256))
    # ---- VoID: link sets with their counts and targets
    for target, label, space, homepage in (
            ("wikidata", "Wikidata", WIKIDATA, "https://www.wikidata.org/"),
            ("geonames", "GeoNames", GEONAMES, "https://www.geonames.org/")):
        link = _n(f"{base}dataset/links-{target}")
        other = _n(f"{base}dataset/{target}")
        count = _count(kstore, f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{OWL_SAME_AS}> ?o '
                               f'FILTER(STRSTARTS(STR(?o), "{space}")) }}')
        add(link, VOID + "triples", ox.Literal(str(count), datatype=_n(XSD + "integer")))
        add(link, VOID + "objectsTarget", other)
        add(link, VOID + "target", ds)
        add(link, VOID + "target", other)
        add(link, DCT + "title", ox.Literal(f"Verknüpfungen zu {label}", language="de"))
        add(other, RDF + "type", _n(VOID + "Dataset"))
        add(other, DCT + "title", ox.Literal(label))
        add(other, VOID + "uriSpace", ox.Literal(space))
        add(other, FOAF + "homepage", _n(homepage))
    for fmt in ("Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG"):
        add(ds, VOID + "feature", _n(f"http://www.w3.org/ns/formats/{fmt}"))
    add(ds, VOID + "rootResource", _n(base + "id/action-concept/internationale-stadt"))
    add(ds, VOID + "uriRegexPattern", ox.Literal("^" + base.replace(".", "\\.") + "(id|scheme)/"))

    # ---- DCAT-AP.de: catalogue, dataset, distributions, service
    catalog = _n(base + "catalog")
    publisher = _n(base + "dataset/publisher")
    contact = _n(base + "dataset/contact")
    licence = _n(dcat_ap_de_licence(settings.licence))
    add(catalog, RDF + "type", _n(DCAT + "Catalog"))
    add(catalog, DCT + "title", ox.Literal(f"Katalog: {settings.title_de}", language="de"))
    add(catalog, DCT + "title", ox.Literal(f"Catalogue: {settings.title_en}", language="en"))
    add(catalog, DCT + "description", ox.Literal(
        "Offene Daten zu den internationalen Beziehungen der Stadt als Linked Open Data.", language="de"))
    add(catalog, DCT + "description", ox.Literal(
        "Open data on the city's international relations, as linked open data.", language="en"))
    add(catalog, DCT + "publisher", publisher)
    add(catalog, DCAT + "dataset", ds)
    add(catalog, FOAF + "homepage", _n(base))
    add(catalog, DCT + "license", licence)
    add(catalog, DCT + "modified", ox.Literal(settings.modified, datatype=_n(XSD + "date")))
    for code in ("DEU", "ENG"):
        add(catalog, DCT + "language", _n(f"{EU}language/{code}"))
        add(ds, DCT + "language", _n(f"{EU}language/{code}"))
    add(contact, RDF + "type", _n(VCARD + "Kind"))
    add(contact, RDF + "type", _n(VCARD + "Organization"))
    add(contact, VCARD + "fn", ox.Literal(settings.contact_name or settings.publisher))
    add(contact, VCARD + "hasURL", _n(settings.contact_url or settings.publisher_url or base))
    if settings.contact_email:
        add(contact, VCARD + "hasEmail", _n("mailto:" + settings.contact_email.removeprefix("mailto:")))
    add(ds, DCAT + "contactPoint", contact)
    if settings.contributor_id:  # GovData's harvester requires it (Konvention 12/13); GovData issues it
        add(ds, DCATDE + "contributorID", _n(settings.contributor_id))
    if settings.municipality_key:
        municipality = _n(POLITICAL_GEOCODING + "municipalityKey/" + settings.municipality_key)
        if v3:
            add(ds, DCT + "spatial", municipality)
            add(municipality, RDF + "type", _n(DCT + "Location"))
        else:
            add(ds, DCATDE + "politicalGeocodingLevelURI", _n(POLITICAL_GEOCODING + "Level/municipality"))
            add(ds, DCATDE + "politicalGeocodingURI", municipality)
    add(ds, DCAT + "landingPage", _n(base))
    add(ds, DCT + "accessRights", _n(EU + "access-right/PUBLIC"))
    add(ds, DCATDE + "licenseAttributionByText", ox.Literal(f"{settings.publisher}: {settings.title_de}", language="de"))
    for theme in ("INTR", "GOVE"):
        add(ds, DCAT + "theme", _n(f"{EU}data-theme/{theme}"))
    for keyword_de, keyword_en in (("Städtepartnerschaft", "twinning"), ("Städtenetzwerk", "city network"),
                                   ("internationale Beziehungen", "international relations"),
                                   ("Nachhaltigkeitsziele", "Sustainable Development Goals"),
                                   ("Linked Open Data", "linked open data")):
        add(ds, DCAT + "keyword", ox.Literal(keyword_de, language="de"))
        add(ds, DCAT + "keyword", ox.Literal(keyword_en, language="en"))
    # spatial: the place of the city administration, and the same place in GeoNames
    places = kstore.select("SELECT DISTINCT ?place ?same ?wkt WHERE { ?org a <http://data.europa.eu/m8g/PublicOrganisation> ; "
                           "<http://purl.org/dc/terms/spatial> ?place . OPTIONAL { ?place <" + OWL_SAME_AS + "> ?same "
                           "FILTER(STRSTARTS(STR(?same), \"https://sws.geonames.org/\")) } "
                           "OPTIONAL { ?place <" + GEO + "hasGeometry>/<" + GEO + "asWKT> ?wkt } }",
                           timeout=kstore.settings.statistics_timeout, trusted=True)
    for row in places:
        for place in (row["place"], row.get("same")):
            if place is not None:
                add(ds, DCT + "spatial", place)
                add(place, RDF + "type", _n(DCT + "Location"))  # DCAT-AP: dct:spatial is a dct:Location
                if "wkt" in row:  # … with a geometry (DCAT-AP.de: dcat:bbox, dcat:centroid or locn:geometry)
                    add(place, DCAT + "centroid", row["wkt"])
    # temporal: from the earliest to the latest date the data gives
    dates = kstore.select("SELECT (MIN(STR(?d)) AS ?first) (MAX(STR(?d)) AS ?last) WHERE { "
                          "GRAPH <" + kstore.graph("data") + "> { ?s ?p ?d VALUES ?p { <http://schema.org/startDate> "
                          "<http://schema.org/endDate> <http://purl.org/dc/terms/date> } } }",
                          timeout=kstore.settings.statistics_timeout, trusted=True)
    if dates and "first" in dates[0]:
        period = _n(base + "dataset/temporal")
        add(ds, DCT + "temporal", period)
        add(period, RDF + "type", _n(DCT + "PeriodOfTime"))
        add(period, DCAT + "startDate", _typed_date(dates[0]["first"].value))
        add(period, DCAT + "endDate", _typed_date(dates[0]["last"].value))
    service = _n(base + "sparql")
    add(catalog, DCAT + "service", service)
    add(service, RDF + "type", _n(DCAT + "DataService"))
    add(service, DCT + "title", ox.Literal("SPARQL-Endpunkt", language="de"))
    add(service, DCT + "title", ox.Literal("SPARQL endpoint", language="en"))
    add(service, DCAT + "endpointURL", service)
    add(service, DCAT + "endpointDescription", service)
    add(service, DCAT + "servesDataset", ds)
    add(service, DCT + "license", licence)
    add(service, DCT + "publisher", publisher)
    add(service, DCT + "accessRights", _n(EU + "access-right/PUBLIC"))
    add(service, DCAT + "contactPoint", contact)
    for dist in distributions:
        d = _n(f"{base}downloads/{dist.file_name}")
        file_type, title_de = FILE_TYPES.get(dist.file_name, ("RDF_TURTLE", dist.title))
        add(d, DCT + "title", ox.Literal(title_de, language="de"))
        add(d, DCT + "format", _n(f"{EU}file-type/{file_type}"))
        add(d, DCT + "license", licence)  # DCAT-AP.de: from its licence list
        add(d, DCATDE + "licenseAttributionByText", ox.Literal(f"{settings.publisher}: {settings.title_de}", language="de"))
        add(d, DCT + "modified", ox.Literal(settings.modified, datatype=_n(XSD + "date")))
        if dist.file_name.endswith(".gz"):
            add(d, DCAT + "compressFormat", _n(IANA_MEDIA_TYPES + "application/gzip"))
    return sorted(dict.fromkeys(out), key=str)


def _typed_date(value: str) -> ox.Literal:
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")
    return ox.Literal(value, datatype=_n(XSD + kind))


__all__ = ["DCAT_AP_DE_LICENCES", "DEFAULT_PROFILE", "PROFILES", "Distribution", "Profile", "ReleaseInfo", "dataset_description", "dataset_metadata", "dcat_ap_de_licence", "licence_name",
           "with_publisher"]
