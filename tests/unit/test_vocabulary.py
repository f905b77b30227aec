"""Closed vocabulary everywhere: code reaches hki's terms only through the closed namespace, which
raises on a misspelt name, and the standard namespaces only through rdflib or graph/vocabulary.py,
pinned to their published IRIs (ARCHITECTURE.md "Traps already found")."""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.namespace as rdflib_namespaces
from rdflib import URIRef

import ontology
from graph import vocabulary
from graph.vocabulary import HKI, term
from ontology import ONTOLOGY_FILE, PREFIXES, SHAPES_FILE

ROOT = Path(__file__).resolve().parents[2]
HKI_NS = "https://w3id.org/hki/def#"
# The only two modules that may write hki's namespace IRI: the namespace itself, and the module of
# vocabulary helpers (which today takes it from the namespace, too).
ALLOWED = {ROOT / "ontology" / "__init__.py", ROOT / "graph" / "vocabulary.py"}


def _modules() -> list[Path]:
    found = sorted(p for folder in ("graph", "api", "bench") for p in (ROOT / folder).rglob("*.py"))
    assert len(found) > 30, "the source folders were not found"
    return [p for p in found if p not in ALLOWED]


def _declared_in_turtle() -> set[str]:
    """Local names of every hki: IRI hki.ttl states something about."""
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    return {str(s)[len(HKI_NS):] for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(HKI_NS)}


# ---------------------------------------------------------------------------- hki's own terms

def test_no_module_spells_the_hki_namespace():
    spelt = [f"{p.relative_to(ROOT)}:{n}" for p in _modules()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "w3id.org/hki/def" in line]
    assert spelt == [], "write HKI.term (graph.vocabulary / ontology), not the IRI"


def test_no_module_appends_a_term_name_to_the_namespace_as_text():
    # `HKI + "partner"`, `HKI["partner"]` and f"<{HKI}partner>" put the name beside the namespace, where
    # a type checker, an editor and a reviewer see only a string; `HKI.partner` is the one spelling.
    as_text = re.compile(r"""\bHKI\s*\+\s*["']|\bHKI\[\s*["']|\{HKI\}\w""")
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _modules()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if as_text.search(line)]
    assert found == []


def test_every_hki_name_in_sparql_text_and_docstrings_is_a_declared_term():
    # SPARQL written in Python uses the hki: prefix; a typo there would silently match nothing.
    used = re.compile(r"(?<![\w/#.-])hki:([A-Za-z_][\w-]*)")
    unknown = sorted({f"{p.relative_to(ROOT)}: hki:{name}" for p in _modules()
                      for name in used.findall(p.read_text(encoding="utf-8")) if name not in HKI})
    assert unknown == []


def test_a_misspelt_term_raises_instead_of_minting_a_new_iri():
    with pytest.raises(AttributeError):
        HKI.parnter  # noqa: B018
    with pytest.raises(AttributeError):
        HKI["parnter"]
    with pytest.raises(AttributeError):
        HKI + "parnter"  # noqa: B018
    assert str(HKI.partner) == HKI_NS + "partner"


def test_graph_vocabulary_hands_out_the_closed_namespace_and_pyoxigraph_terms():
    assert vocabulary.HKI is ontology.HKI
    assert term(HKI.partner) == ox.NamedNode(HKI_NS + "partner")
    assert term(vocabulary.SCHEMA + "City") == ox.NamedNode("http://schema.org/City")
    # rdflib's URIRef never equals a str: string code must compare str(HKI.x), not HKI.x
    assert HKI.partner != HKI_NS + "partner"
    assert str(HKI) == PREFIXES["hki"] == HKI_NS


def test_the_namespace_lists_exactly_the_terms_hki_ttl_declares():
    in_class = set(ontology.HKI.__annotations__)
    in_turtle = _declared_in_turtle()
    assert in_class - in_turtle == set(), "in ontology/__init__.py but not declared in ontology/hki.ttl"
    assert in_turtle - in_class == set(), "declared in ontology/hki.ttl but missing from ontology/__init__.py"


def test_every_term_hki_ttl_declares_has_a_type():
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    kinds = {rdflib.OWL.Class, rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty}
    for name in ontology.HKI.__annotations__:
        assert set(graph.objects(URIRef(HKI_NS + name), rdflib.RDF.type)) & kinds, f"hki:{name} has no OWL type"


def test_the_input_fingerprint_is_declared_as_an_internal_datatype_property():
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    fingerprint = URIRef(str(HKI.inputFingerprint))
    assert (fingerprint, rdflib.RDF.type, rdflib.OWL.DatatypeProperty) in graph
    assert sorted(label.language for label in graph.objects(fingerprint, rdflib.RDFS.label)) == ["de", "en"]
    comments = {c.language: str(c) for c in graph.objects(fingerprint, rdflib.RDFS.comment)}
    assert comments["en"].startswith("Internal") and comments["de"].startswith("Intern")


def test_every_hki_iri_in_the_shipped_store_and_the_shapes_is_a_declared_term(hannover):
    names = {q.predicate.value for q in hannover.quads()} | {
        t.value for q in hannover.quads() for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}
    names |= {t.value for q in ox.parse(path=str(SHAPES_FILE), format=ox.RdfFormat.TURTLE)
              for t in (q.subject, q.predicate, q.object) if isinstance(t, ox.NamedNode)}
    used = {n[len(HKI_NS):] for n in names if n.startswith(HKI_NS)} - {""}  # the namespace itself: void:vocabulary
    assert "inputFingerprint" in used  # the meta graph's
    assert sorted(used - set(ontology.HKI.__annotations__)) == []


# ---------------------------------------------------------------------------- standard vocabularies

# As their specifications publish them. rdflib 7 ships https for schema.org (SDO) and WGS84, which are
# wrong for data: schema.org's canonical IRIs in RDF are http, and WGS84's namespace document is http.
PUBLISHED = {
    "RDF": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "RDFS": "http://www.w3.org/2000/01/rdf-schema#",
    "OWL": "http://www.w3.org/2002/07/owl#",
    "XSD": "http://www.w3.org/2001/XMLSchema#",
    "SKOS": "http://www.w3.org/2004/02/skos/core#",
    "DCT": "http://purl.org/dc/terms/",
    "FOAF": "http://xmlns.com/foaf/0.1/",
    "SCHEMA": "http://schema.org/",
    "ORG": "http://www.w3.org/ns/org#",
    "WGS": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "GEO": "http://www.opengis.net/ont/geosparql#",
    "TIME": "http://www.w3.org/2006/time#",
    "CV": "http://data.europa.eu/m8g/",
    "VOID": "http://rdfs.org/ns/void#",
    "DCAT": "http://www.w3.org/ns/dcat#",
    "SD": "http://www.w3.org/ns/sparql-service-description#",
    "SPDX": "http://spdx.org/rdf/terms#",
    "VCARD": "http://www.w3.org/2006/vcard/ns#",
    "DCATDE": "http://dcat-ap.de/def/dcatde/",
    "SDG": "http://metadata.un.org/sdg/",
    "SDG_SCHEME": "http://metadata.un.org/sdg",
    "COUNTRY": "http://publications.europa.eu/resource/authority/country/",
    "COUNTRY_SCHEME": "http://publications.europa.eu/resource/authority/country",
    "WIKIDATA": "http://www.wikidata.org/entity/",
    "GEONAMES": "https://sws.geonames.org/",
}


def _namespace_constants() -> dict[str, str]:
    return {name: value for name, value in vars(vocabulary).items()
            if name.isupper() and isinstance(value, str) and value.startswith(("http://", "https://"))}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_every_standard_namespace_in_graph_vocabulary_is_the_published_one(name):
    assert getattr(vocabulary, name) == PUBLISHED[name]


def test_graph_vocabulary_has_no_namespace_this_test_does_not_pin():
    assert set(_namespace_constants()) == set(PUBLISHED)


def test_graph_vocabulary_agrees_with_ontology_prefixes_and_with_rdflib_where_rdflib_is_right():
    for prefix, name in (("rdf", "RDF"), ("rdfs", "RDFS"), ("owl", "OWL"), ("xsd", "XSD"), ("skos", "SKOS"),
                         ("dct", "DCT"), ("foaf", "FOAF"), ("schema", "SCHEMA"), ("wgs", "WGS"), ("geo", "GEO"),
                         ("org", "ORG"), ("cv", "CV"), ("time", "TIME"), ("void", "VOID"), ("dcat", "DCAT"),
                         ("sd", "SD"), ("sdg", "SDG"), ("wd", "WIKIDATA"), ("country", "COUNTRY")):
        assert PREFIXES[prefix] == getattr(vocabulary, name), prefix
    for rdflib_name, name in (("RDF", "RDF"), ("RDFS", "RDFS"), ("OWL", "OWL"), ("XSD", "XSD"), ("SKOS", "SKOS"),
                              ("DCTERMS", "DCT"), ("FOAF", "FOAF"), ("ORG", "ORG"), ("GEO", "GEO"), ("TIME", "TIME"),
                              ("VOID", "VOID"), ("DCAT", "DCAT")):
        assert str(getattr(rdflib_namespaces, rdflib_name)) == getattr(vocabulary, name), rdflib_name
    # the two traps: rdflib's schema.org and WGS84 are https, ours are the published http ones
    assert str(rdflib_namespaces.SDO) == "https://schema.org/" != vocabulary.SCHEMA
    assert str(rdflib_namespaces.WGS) == "https://www.w3.org/2003/01/geo/wgs84_pos#" != vocabulary.WGS
