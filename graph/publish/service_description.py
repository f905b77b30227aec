"""The SPARQL 1.1 Service Description of the endpoint (https://www.w3.org/TR/sparql11-service-description/).

What a client learns from GET /sparql without a query: the query language (SPARQL 1.1 Query, no
update), the result formats, the default dataset (the union of the named graphs, each listed with
its size) and this endpoint's limits. Pure: settings and counts in, triples out.
"""
from __future__ import annotations

import pyoxigraph as ox

from graph.config import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
VOID = "http://rdfs.org/ns/void#"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

# W3C's IRIs of the formats the endpoint writes (https://www.w3.org/ns/formats/).
RESULT_FORMAT_IRIS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                      "Turtle", "N-Triples", "JSON-LD", "RDF_XML")


def service_description(endpoint: str, settings: Settings, triple_counts: dict[str, int]) -> list[ox.Triple]:
    """Triples describing the endpoint at `endpoint` (the IRI clients send queries to)."""
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    out: list[ox.Triple] = []

    def add(subject, predicate: str | ox.NamedNode, obj) -> None:
        p = predicate if isinstance(predicate, ox.NamedNode) else ox.NamedNode(predicate)
        out.append(ox.Triple(subject, p, obj))

    add(service, RDF_TYPE, ox.NamedNode(SD + "Service"))
    add(service, SD + "endpoint", service)
    add(service, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query"))
    for name in RESULT_FORMAT_IRIS:
        add(service, SD + "resultFormat", ox.NamedNode(FORMATS + name))
    add(service, SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph"))
    add(service, SD + "defaultEntailmentRegime", ox.NamedNode("http://www.w3.org/ns/entailment/Simple"))
    add(service, DCT_TITLE, ox.Literal(settings.title_de, language="de"))
    add(service, DCT_TITLE, ox.Literal(settings.title_en, language="en"))
    add(service, RDFS_COMMENT, ox.Literal(
        f"Read-only: updates, SERVICE and LOAD are refused. Each query may run {settings.query_timeout:g} s "
        f"and returns at most {settings.max_rows} rows or triples; a cut result carries the HTTP header "
        f"X-HKI-Truncated.", language="en"))
    add(service, RDFS_COMMENT, ox.Literal(
        f"Nur lesend: Änderungen, SERVICE und LOAD werden abgelehnt. Jede Abfrage darf "
        f"{settings.query_timeout:g} s laufen und liefert höchstens {settings.max_rows} Zeilen oder Tripel; "
        f"ein gekürztes Ergebnis trägt den HTTP-Header X-HKI-Truncated.", language="de"))
    add(service, SD + "defaultDataset", dataset)
    add(dataset, RDF_TYPE, ox.NamedNode(SD + "Dataset"))
    add(dataset, SD + "defaultGraph", default_graph)
    add(default_graph, RDF_TYPE, ox.NamedNode(SD + "Graph"))
    add(default_graph, VOID + "triples", ox.Literal(str(sum(triple_counts.values())), datatype=XSD_INTEGER))
    for name, count in sorted(triple_counts.items()):
        named = ox.BlankNode(f"graph_{name}")
        graph = ox.BlankNode(f"graph_{name}_description")
        add(dataset, SD + "namedGraph", named)
        add(named, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
        add(named, SD + "name", ox.NamedNode(f"{settings.base}graph/{name}"))
        add(named, SD + "graph", graph)
        add(graph, RDF_TYPE, ox.NamedNode(SD + "Graph"))
        add(graph, VOID + "triples", ox.Literal(str(count), datatype=XSD_INTEGER))
    return out
