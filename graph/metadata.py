"""The dataset's description of itself: VoID and DCAT, for the meta graph and the dumps."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from graph import __version__
from graph.config import Settings

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
SPDX = "http://spdx.org/rdf/terms#"


@dataclass(frozen=True)
class Distribution:
    """One dump file of a build."""

    file_name: str
    media_type: str
    byte_size: int
    sha256: str
    title: str


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def dataset_description(settings: Settings, counts: dict[str, int], fingerprint: str,
                        distributions: Sequence[Distribution] = ()) -> list[ox.Triple]:
    """VoID + DCAT triples describing the dataset (counts per named graph, endpoint, dumps, links)."""
    from graph.catalogue import dcat_ap_de_licence

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
    for vocabulary in ("http://schema.org/", "http://www.w3.org/ns/org#", "http://purl.org/dc/terms/",
                       "http://www.w3.org/2004/02/skos/core#", "https://w3id.org/hki/def#",
                       "http://www.w3.org/2003/01/geo/wgs84_pos#", "http://www.opengis.net/ont/geosparql#"):
        add(ds, VOID + "vocabulary", _n(vocabulary))
    total = sum(v for k, v in counts.items() if k != "meta")
    add(ds, VOID + "triples", ox.Literal(str(total), datatype=_n(XSD + "integer")))
    for name, count in sorted(counts.items()):
        if name == "meta":
            continue
        part = _n(f"{base}dataset/{name}")
        add(ds, VOID + "subset", part)
        add(part, RDF + "type", _n(VOID + "Dataset"))
        add(part, "http://www.w3.org/ns/sparql-service-description#name", _n(f"{base}graph/{name}"))
        add(part, VOID + "triples", ox.Literal(str(count), datatype=_n(XSD + "integer")))
    for target, label in (("wikidata", "Wikidata"), ("geonames", "GeoNames")):
        link = _n(f"{base}dataset/links-{target}")
        add(ds, VOID + "subset", link)
        add(link, RDF + "type", _n(VOID + "Linkset"))
        add(link, VOID + "linkPredicate", _n("http://www.w3.org/2002/07/owl#sameAs"))
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
