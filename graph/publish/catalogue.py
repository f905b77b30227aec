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
from dataclasses import dataclass

import pyoxigraph as ox

from graph.config import Settings
from graph import __version__
from graph.store import KnowledgeStore
from graph.vocabulary import (DCAT, DCATDE, DCT, FOAF, GEO, GEONAMES, HKI, ORG, OWL, RDF, SCHEMA, SD, SKOS, SPDX, VCARD,
                              VOID, WGS, WIKIDATA, XSD)


@dataclass(frozen=True)
class Distribution:
    """One dump file of a build."""

    file_name: str
    media_type: str
    byte_size: int
    sha256: str
    title: str


def dataset_description(settings: Settings, counts: dict[str, int], fingerprint: str,
                        distributions: Sequence[Distribution] = ()) -> list[ox.Triple]:
    """VoID + DCAT triples describing the dataset (counts per named graph, endpoint, dumps, links)."""
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
    # DCAT-AP: the publisher is an agent (foaf:Agent with a name), not a string.
    publisher = _n(base + "dataset/publisher")
    add(ds, DCT + "publisher", publisher)
    add(publisher, RDF + "type", _n(FOAF + "Agent"))
    add(publisher, FOAF + "name", ox.Literal(settings.publisher))
    # A fixed date from the settings, not today's: the same inputs must give the same dumps.
    add(ds, DCT + "modified", ox.Literal(settings.modified, datatype=_n(XSD + "date")))
    add(ds, DCT + "hasVersion", ox.Literal(f"{__version__}+{fingerprint[:12]}"))
    add(ds, VOID + "sparqlEndpoint", _n(base + "sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(base + "id/"))
    add(ds, VOID + "exampleResource", _n(base + "id/city/bristol"))
    add(ds, VOID + "exampleResource", _n(base + "id/action-concept/internationale-stadt"))
    for vocabulary in (SCHEMA, ORG, DCT, SKOS, str(HKI), WGS, GEO):
        add(ds, VOID + "vocabulary", _n(vocabulary))
    total = sum(v for k, v in counts.items() if k != "meta")
    add(ds, VOID + "triples", ox.Literal(str(total), datatype=_n(XSD + "integer")))
    for name, count in sorted(counts.items()):
        if name == "meta":
            continue
        part = _n(f"{base}dataset/{name}")
        add(ds, VOID + "subset", part)
        add(part, RDF + "type", _n(VOID + "Dataset"))
        add(part, SD + "name", _n(f"{base}graph/{name}"))
        add(part, VOID + "triples", ox.Literal(str(count), datatype=_n(XSD + "integer")))
    for target, label in (("wikidata", "Wikidata"), ("geonames", "GeoNames")):
        link = _n(f"{base}dataset/links-{target}")
        add(ds, VOID + "subset", link)
        add(link, RDF + "type", _n(VOID + "Linkset"))
        add(link, VOID + "linkPredicate", _n(OWL + "sameAs"))
        add(link, VOID + "subjectsTarget", ds)
        add(link, DCT + "title", ox.Literal(f"Links to {label}", language="en"))
    for dist in distributions:
        d = _n(f"{base}downloads/{dist.file_name}")
        add(ds, DCAT + "distribution", d)
        add(ds, VOID + "dataDump", d)
        add(d, RDF + "type", _n(DCAT + "Distribution"))
        add(d, DCT + "title", ox.Literal(dist.title, language="en"))
        add(d, DCAT + "downloadURL", d)
        add(d, DCAT + "accessURL", d)
        add(d, DCAT + "mediaType", _n(f"https://www.iana.org/assignments/media-types/{dist.media_type}"))
        add(d, DCAT + "byteSize", ox.Literal(str(dist.byte_size), datatype=_n(XSD + "nonNegativeInteger")))
        add(d, DCT + "license", _n(dcat_ap_de_licence(settings.licence)))  # DCAT-AP.de: from its licence list
        checksum = _n(f"{base}downloads/{dist.file_name}#checksum")
        add(d, SPDX + "checksum", checksum)
        add(checksum, RDF + "type", _n(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", _n(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", ox.Literal(dist.sha256, datatype=_n(XSD + "hexBinary")))
    return out


OWL_SAME_AS = OWL + "sameAs"
EU = "http://publications.europa.eu/resource/authority/"
# The DCAT-AP.de licence list (http://dcat-ap.de/def/licenses/) for the licences a city is likely to use.
DCAT_AP_DE_LICENCES = {
    "http://creativecommons.org/licenses/by/4.0/": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "https://creativecommons.org/licenses/by/4.0/": "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "http://creativecommons.org/publicdomain/zero/1.0/": "http://dcat-ap.de/def/licenses/cc-zero",
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


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _count(kstore: KnowledgeStore, sparql: str) -> int:
    rows = kstore.select(sparql, timeout=kstore.settings.statistics_timeout, trusted=True)
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


def dataset_metadata(kstore: KnowledgeStore, distributions: Sequence[Distribution] = ()) -> list[ox.Triple]:
    """VoID and DCAT-AP.de triples for the loaded dataset and its built dumps (sorted, no duplicates)."""
    settings: Settings = kstore.settings
    base = settings.base
    out = list(dataset_description(settings, kstore.triple_counts(), kstore.fingerprint, distributions))

    def add(s: ox.NamedNode, p: str, o: object) -> None:
        out.append(ox.Triple(s, _n(p), o))  # type: ignore[arg-type]

    ds = _n(base + "dataset")
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
    add(publisher, RDF + "type", _n(FOAF + "Agent"))
    add(publisher, FOAF + "name", ox.Literal(settings.publisher))
    add(contact, RDF + "type", _n(VCARD + "Kind"))
    add(contact, RDF + "type", _n(VCARD + "Organization"))
    add(contact, VCARD + "fn", ox.Literal(settings.publisher))
    add(contact, VCARD + "hasURL", _n(base))
    email = getattr(settings, "contact_email", "")
    if email:
        add(contact, VCARD + "hasEmail", _n("mailto:" + email.removeprefix("mailto:")))
    add(ds, DCAT + "contactPoint", contact)
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
    places = kstore.select("SELECT DISTINCT ?place ?same WHERE { ?org a <http://data.europa.eu/m8g/PublicOrganisation> ; "
                           "<http://purl.org/dc/terms/spatial> ?place . OPTIONAL { ?place <" + OWL_SAME_AS + "> ?same "
                           "FILTER(STRSTARTS(STR(?same), \"https://sws.geonames.org/\")) } }",
                           timeout=kstore.settings.statistics_timeout, trusted=True)
    for row in places:
        add(ds, DCT + "spatial", row["place"])
        if "same" in row:
            add(ds, DCT + "spatial", row["same"])
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
    for dist in distributions:
        d = _n(f"{base}downloads/{dist.file_name}")
        file_type, title_de = FILE_TYPES.get(dist.file_name, ("RDF_TURTLE", dist.title))
        add(d, DCT + "title", ox.Literal(title_de, language="de"))
        add(d, DCT + "format", _n(f"{EU}file-type/{file_type}"))
        add(d, DCT + "license", licence)
        add(d, DCATDE + "licenseAttributionByText", ox.Literal(f"{settings.publisher}: {settings.title_de}", language="de"))
        add(d, DCT + "modified", ox.Literal(settings.modified, datatype=_n(XSD + "date")))
        if dist.file_name.endswith(".gz"):
            add(d, DCAT + "compressFormat", _n("http://www.iana.org/assignments/media-types/application/gzip"))
    return sorted(dict.fromkeys(out), key=str)


def _typed_date(value: str) -> ox.Literal:
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")
    return ox.Literal(value, datatype=_n(XSD + kind))


__all__ = ["DCAT_AP_DE_LICENCES", "Distribution", "dataset_description", "dataset_metadata", "dcat_ap_de_licence", "licence_name"]
