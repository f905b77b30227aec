"""hki:startYear / hki:endYear: derived at build from schema:startDate / schema:endDate, never stated.

SPARQL's YEAR() is defined on xsd:dateTime only; engines differ on xsd:gYear and xsd:gYearMonth (rdflib
answers unbound), so the build writes each date's year as an xsd:integer for portable year arithmetic
(docs/modelling.md, "Years"; the cross-engine check is tests/http/test_docs_queries.py).
"""
from __future__ import annotations

from dataclasses import replace

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.analysis import full_projection, partner_network, read_graph_facts
from graph.build import validate_inputs
from graph.load.derive import derived_statements
from ontology import HKI, ONTOLOGY_FILE, ONTOLOGY_IRI

SCHEMA = "http://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
START_YEAR, END_YEAR = str(HKI.startYear), str(HKI.endYear)
ID = "https://w3id.org/hki/id/"


def _years(turtle: str) -> dict[tuple[str, str], list[ox.Literal]]:
    store = ox.Store()
    store.load(input="@prefix schema: <http://schema.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                     + turtle, format=ox.RdfFormat.TURTLE)
    found: dict[tuple[str, str], list[ox.Literal]] = {}
    for t in derived_statements(store):
        if t.predicate.value in (START_YEAR, END_YEAR):
            found.setdefault((t.subject.value.rsplit("/", 1)[1], t.predicate.value.rsplit("#", 1)[1]), []).append(t.object)
    return found


def test_the_year_is_derived_as_an_integer_whatever_the_precision_of_the_date():
    found = _years("""
        <http://example.org/year> schema:startDate "1947"^^xsd:gYear .
        <http://example.org/month> schema:startDate "2017-04"^^xsd:gYearMonth ; schema:endDate "2018-06"^^xsd:gYearMonth .
        <http://example.org/day> schema:startDate "1979-10-29"^^xsd:date ; schema:endDate "2019-02-14+01:00"^^xsd:date .
        <http://example.org/instant> schema:endDate "2021-12-31T23:00:00Z"^^xsd:dateTime .
    """)
    integer = ox.NamedNode(XSD + "integer")
    assert found == {
        ("year", "startYear"): [ox.Literal("1947", datatype=integer)],
        ("month", "startYear"): [ox.Literal("2017", datatype=integer)],
        ("month", "endYear"): [ox.Literal("2018", datatype=integer)],
        ("day", "startYear"): [ox.Literal("1979", datatype=integer)],
        ("day", "endYear"): [ox.Literal("2019", datatype=integer)],
        ("instant", "endYear"): [ox.Literal("2021", datatype=integer)],
    }


def test_a_value_that_is_no_date_gets_no_year_rather_than_a_wrong_one():
    assert _years("""
        <http://example.org/text> schema:startDate "1947" .
        <http://example.org/number> schema:startDate 1947 .
        <http://example.org/ill-formed> schema:startDate "2019-13"^^xsd:gYearMonth .
        <http://example.org/other-type> schema:startDate "--04"^^xsd:gMonth .
    """) == {}


def test_every_date_of_the_shipped_store_has_its_year_beside_it(hannover):
    rows = hannover.select(f"""
        SELECT ?thing ?date ?year WHERE {{
          VALUES (?datePredicate ?yearPredicate) {{ (<{SCHEMA}startDate> <{START_YEAR}>) (<{SCHEMA}endDate> <{END_YEAR}>) }}
          ?thing ?datePredicate ?date .
          OPTIONAL {{ ?thing ?yearPredicate ?year }}
        }}""")
    assert len(rows) > 20
    for row in rows:
        assert row.get("year") is not None, f"{row['thing']} has {row['date']} but no year"
        assert row["year"].datatype.value == XSD + "integer"
        assert int(row["year"].value) == int(row["date"].value[:4])
    stray = hannover.select(f"""
        SELECT ?thing WHERE {{
          {{ ?thing <{START_YEAR}> ?y FILTER NOT EXISTS {{ ?thing <{SCHEMA}startDate> ?d }} }} UNION
          {{ ?thing <{END_YEAR}> ?y FILTER NOT EXISTS {{ ?thing <{SCHEMA}endDate> ?d }} }}
        }}""")
    assert stray == []


def test_a_data_file_stating_a_derived_statement_is_refused_naming_each(city, data_dir):
    (data_dir / "derived.ttl").write_text("""
@prefix hki: <https://w3id.org/hki/def#> .
@prefix org: <http://www.w3.org/ns/org#> .
<https://w3id.org/hki/id/partnership/hannover-bristol> hki:startYear 1947 ; hki:endYear 2100 .
<https://w3id.org/hki/id/city/hannover> hki:twinnedWith <https://w3id.org/hki/id/city/bristol> .
<https://w3id.org/hki/id/organisation/lhh> org:memberOf <https://w3id.org/hki/id/organisation/climate-alliance> .
""", encoding="utf-8")
    report = validate_inputs(city)
    found = {(v.focus, v.path, v.rule, v.shape) for v in report.violations}
    assert found == {
        (ID + "partnership/hannover-bristol", START_YEAR, "MaxCount", "hkish:Derived-startYear"),
        (ID + "partnership/hannover-bristol", END_YEAR, "MaxCount", "hkish:Derived-endYear"),
        (ID + "city/hannover", str(HKI.twinnedWith), "MaxCount", "hkish:Derived-twinnedWith"),
        (ID + "organisation/lhh", "http://www.w3.org/ns/org#memberOf", "MaxCount", "hkish:Derived-memberOf"),
    }, [str(v) for v in report.violations]
    for violation in report.violations:
        assert "derived at build time" in violation.message and violation.severity == "Violation"
    german = {v.message for v in validate_inputs(city, lang="de").violations}
    assert all("beim Bauen" in m for m in german) and len(german) == 4


def test_the_derived_years_are_attributes_of_the_nodes_and_change_no_node_or_edge(hannover):
    facts = read_graph_facts(hannover)
    without = replace(facts, statements=[s for s in facts.statements if s.predicate not in (START_YEAR, END_YEAR)])
    assert len(without.statements) < len(facts.statements)
    full, plain = full_projection(facts), full_projection(without)
    assert set(full.nodes) == set(plain.nodes)
    assert sorted(full.edges(keys=True)) == sorted(plain.edges(keys=True))
    for node, data in full.nodes(data=True):
        rest = {k: v for k, v in data.items() if k not in ("hki:startYear", "hki:endYear")}
        assert rest == plain.nodes[node]
        if "schema:startDate" in data:
            assert data["hki:startYear"] == int(str(data["schema:startDate"])[:4])
    assert nx.utils.graphs_equal(partner_network(full), partner_network(plain))


@pytest.mark.parametrize("term", ["startYear", "endYear"])
def test_the_ontology_declares_the_years_as_derived_integer_properties(term):
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    iri = rdflib.URIRef(str(getattr(HKI, term)))
    assert (iri, RDF.type, OWL.DatatypeProperty) in graph
    assert (iri, RDFS.range, rdflib.URIRef(XSD + "integer")) in graph
    assert (iri, RDFS.isDefinedBy, ONTOLOGY_IRI) in graph
    definitions = {d.language: str(d) for d in graph.objects(iri, SKOS.definition)}
    assert "at build time" in definitions["en"] and "beim Bauen" in definitions["de"]
