"""The schema files: closed namespace, published namespace IRIs, labels and definitions."""
from __future__ import annotations

import re

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.namespace import SKOS

import ontology
from ontology import HKI, ONTOLOGY_FILE, PREFIXES, SDG_FILE, VOCABULARY_FILE

HKI_NS = str(HKI._NS)


def _ontology_terms() -> set[str]:
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    return {str(s)[len(HKI_NS):] for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(HKI_NS)}


def test_the_closed_namespace_and_the_turtle_define_exactly_the_same_terms():
    in_class = set(HKI.__annotations__)
    in_turtle = _ontology_terms()
    assert in_class - in_turtle == set(), "terms only in ontology/__init__.py"
    assert in_turtle - in_class == set(), "terms only in ontology/hki.ttl"


def test_a_misspelt_term_raises_instead_of_minting_a_new_iri():
    with pytest.raises(AttributeError):
        HKI.parnter  # noqa: B018


def test_every_term_has_a_label_and_a_definition_in_german_and_english():
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    for name in HKI.__annotations__:
        term = URIRef(HKI_NS + name)
        for predicate in (RDFS.label, SKOS.definition):
            langs = sorted(o.language for o in graph.objects(term, predicate))
            assert langs == ["de", "en"], f"hki:{name} {predicate}: languages {langs}"
        assert (term, RDFS.isDefinedBy, ontology.ONTOLOGY_IRI) in graph


# The namespaces as their specifications publish them (ARCHITECTURE.md "Traps already found").
PUBLISHED = {
    "schema": "http://schema.org/",
    "wgs": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "org": "http://www.w3.org/ns/org#",
    "cv": "http://data.europa.eu/m8g/",
    "dct": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "time": "http://www.w3.org/2006/time#",
    "sdg": "http://metadata.un.org/sdg/",
    "wd": "http://www.wikidata.org/entity/",
    "country": "http://publications.europa.eu/resource/authority/country/",
    "hki": "https://w3id.org/hki/def#",
}


@pytest.mark.parametrize("prefix", sorted(PUBLISHED))
def test_every_namespace_we_declare_is_the_published_one(prefix):
    assert PREFIXES[prefix] == PUBLISHED[prefix]


WRONG_FORMS = [
    (re.compile(r"^https://schema\.org/"), "https schema.org"),
    (re.compile(r"^https://www\.w3\.org/2003/01/geo/"), "https WGS84"),
    (re.compile(r"^https://metadata\.un\.org/"), "https UN SDG"),
    (re.compile(r"^http://metadata\.un\.org/sdg/0\d"), "zero-padded SDG"),
    (re.compile(r"^https?://www\.wikidata\.org/wiki/"), "Wikidata page instead of entity"),
    (re.compile(r"^https://www\.wikidata\.org/entity/"), "https Wikidata entity"),
    (re.compile(r"^http://sws\.geonames\.org/"), "http GeoNames"),
]


def test_no_iri_in_the_shipped_graph_uses_a_known_wrong_namespace_form(hannover):
    bad = []
    for quad in hannover.quads():
        for term in (quad.subject, quad.predicate, quad.object):
            value = getattr(term, "value", "")
            if type(term).__name__ == "NamedNode":
                bad += [(value, why) for pattern, why in WRONG_FORMS if pattern.search(value)]
    assert bad == []


def test_the_sdg_file_has_all_seventeen_goals_under_the_un_iris_labelled_in_both_languages():
    graph = rdflib.Graph().parse(SDG_FILE)
    goals = sorted(int(str(s).rsplit("/", 1)[1]) for s in graph.subjects(RDF.type, SKOS.Concept))
    assert goals == list(range(1, 18))
    for n in goals:
        sdg = ontology.sdg(n)
        assert (sdg, SKOS.inScheme, ontology.SDG_SCHEME) in graph
        assert str(graph.value(sdg, SKOS.notation)) == str(n)
        assert sorted(label.language for label in graph.objects(sdg, SKOS.prefLabel)) == ["de", "en"]
    assert str(graph.value(ontology.sdg(13), SKOS.prefLabel)) in {"Climate action", "Maßnahmen zum Klimaschutz"}


def test_every_vocabulary_concept_is_in_a_scheme_and_labelled_in_both_languages():
    graph = rdflib.Graph().parse(VOCABULARY_FILE)
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 20
    for concept in concepts:
        assert graph.value(concept, SKOS.inScheme) is not None, concept
        assert sorted(label.language for label in graph.objects(concept, SKOS.prefLabel)) == ["de", "en"], concept


def test_the_ontology_declares_itself_with_a_licence():
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    assert (ontology.ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    assert graph.value(ontology.ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/license")) is not None
