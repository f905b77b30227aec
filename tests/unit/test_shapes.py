"""The SHACL shapes (ontology/shapes.ttl) and graph.load.validation.

Each rule has a test with an inline, minimal Turtle fixture that is valid except for the one thing the
test breaks; the valid twin is checked to pass in the same test, so a fixture cannot rot silently.
"""
from __future__ import annotations

import socket
from functools import cache
from pathlib import Path

import pytest
from pyshacl.entrypoints import meta_validate
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from graph.load.validation import Violation, compact_iri, load_shapes, validate_graph
from ontology import GEO, HKI, ONTOLOGY_DIR, ONTOLOGY_FILE, ORG, SCHEMA, SDG_FILE, SHAPES_FILE, VOCABULARY_FILE, WGS

DATA_DIR = Path(__file__).resolve().parents[2] / "graph" / "data"
HKISH = "https://w3id.org/hki/shapes#"

TURTLE_PREFIXES = """
@prefix hki:     <https://w3id.org/hki/def#> .
@prefix hkis:    <https://w3id.org/hki/scheme/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl:     <http://www.w3.org/2002/07/owl#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dct:     <http://purl.org/dc/terms/> .
@prefix schema:  <http://schema.org/> .
@prefix wgs:     <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix geo:     <http://www.opengis.net/ont/geosparql#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix cv:      <http://data.europa.eu/m8g/> .
@prefix country: <http://publications.europa.eu/resource/authority/country/> .
@prefix sdg:     <http://metadata.un.org/sdg/> .
@prefix city:    <https://w3id.org/hki/id/city/> .
@prefix orgn:    <https://w3id.org/hki/id/organisation/> .
@prefix pship:   <https://w3id.org/hki/id/partnership/> .
@prefix msh:     <https://w3id.org/hki/id/membership/> .
@prefix measure: <https://w3id.org/hki/id/measure/> .
@prefix doc:     <https://w3id.org/hki/id/document/> .
@prefix ac:      <https://w3id.org/hki/id/action-concept/> .
@prefix goal:    <https://w3id.org/hki/scheme/goals-internationale-stadt/> .
@prefix ptype:   <https://w3id.org/hki/scheme/partnership-type/> .
@prefix otype:   <https://w3id.org/hki/scheme/organisation-type/> .
@prefix mstatus: <https://w3id.org/hki/scheme/measure-status/> .
@prefix pstatus: <https://w3id.org/hki/scheme/project-status/> .
@prefix vstat:   <https://w3id.org/hki/scheme/verification-status/> .
@prefix basis:   <https://w3id.org/hki/scheme/mapping-basis/> .
@prefix scope:   <https://w3id.org/hki/scheme/district-scope/> .
@prefix dtype:   <https://w3id.org/hki/scheme/document-type/> .
@prefix topic:   <https://w3id.org/hki/scheme/network-topic/> .
"""

ID = "https://w3id.org/hki/id/"
HANNOVER = ID + "city/hannover"
BRISTOL = ID + "city/bristol"
LHH = ID + "organisation/lhh"
EUROCITIES = ID + "organisation/eurocities"
PARTNERSHIP = ID + "partnership/hannover-bristol"
MEMBERSHIP = ID + "membership/lhh-eurocities"
MEASURE = ID + "measure/welcome-centre"
GOAL = "https://w3id.org/hki/scheme/goals-internationale-stadt/international-profile"
PAPER = ID + "document/ds-0383-2019"
EVENT = ID + "action-concept/internationale-stadt/event/presentation"
CONCEPT = ID + "action-concept/internationale-stadt"

# ---------------------------------------------------------------- valid fixtures

CITIES = """
city:hannover a schema:City ;
    rdfs:label "Hannover"@de , "Hanover"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q1715> , <https://sws.geonames.org/2910831/> ;
    wgs:lat "52.37444"^^xsd:decimal ;
    wgs:long "9.73861"^^xsd:decimal ;
    geo:hasGeometry <https://w3id.org/hki/id/city/hannover/geometry> ;
    schema:containedInPlace country:DEU ;
    dct:source <https://www.wikidata.org/wiki/Q1715> .

<https://w3id.org/hki/id/city/hannover/geometry> a geo:Geometry ;
    geo:asWKT "POINT(9.73861 52.37444)"^^geo:wktLiteral .

city:bristol a schema:City ;
    rdfs:label "Bristol"@de , "Bristol"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q23154> , <https://sws.geonames.org/2654675/> ;
    schema:containedInPlace country:GBR ;
    dct:source <https://www.hannover.de/partnerstaedte/bristol> .
"""

PARTNERSHIP_TTL = CITIES + """
pship:hannover-bristol a hki:Partnership ;
    rdfs:label "Städtepartnerschaft Hannover – Bristol"@de , "Twinning Hannover – Bristol"@en ;
    hki:partner city:hannover , city:bristol ;
    hki:partnershipType ptype:twin-city ;
    schema:startDate "1947"^^xsd:gYear ;
    dct:source <https://www.hannover.de/partnerstaedte> .
"""

ORGANISATIONS = """
orgn:lhh a cv:PublicOrganisation , org:Organization ;
    rdfs:label "Landeshauptstadt Hannover"@de , "State Capital Hannover"@en ;
    dct:spatial city:hannover ;
    org:classification otype:city-administration ;
    dct:source <https://www.hannover.de/> .

orgn:eurocities a org:Organization ;
    rdfs:label "Eurocities"@de , "Eurocities"@en ;
    org:classification otype:city-network ;
    dct:source <https://eurocities.eu/> .
"""

MEMBERSHIP_TTL = ORGANISATIONS + """
msh:lhh-eurocities a org:Membership ;
    rdfs:label "Mitgliedschaft der Landeshauptstadt Hannover bei Eurocities"@de ,
        "Membership of the State Capital Hannover in Eurocities"@en ;
    org:member orgn:lhh ;
    org:organization orgn:eurocities ;
    schema:startDate "1989"^^xsd:gYear ;
    dct:source <https://eurocities.eu/members/> .
"""

MEASURE_TTL = """
measure:welcome-centre a hki:Measure ;
    rdfs:label "Welcome Centre"@de , "Welcome Centre"@en ;
    dct:identifier "M-01" ;
    hki:measureStatus mstatus:ongoing ;
    schema:startDate "2017-04"^^xsd:gYearMonth ;
    hki:addressesSDG sdg:11 ;
    hki:sdgMappingBasis basis:source ;
    dct:source <https://www.hannover.de/welcome-centre> .
"""

GOAL_TTL = """
<https://w3id.org/hki/scheme/goals-internationale-stadt> a skos:ConceptScheme ;
    rdfs:label "Ziele des Handlungskonzepts Internationale Stadt"@de ,
        "Goals of the action concept International City"@en .

goal:international-profile a hki:Goal ;
    rdfs:label "Internationales Profil stärken"@de , "Strengthen the international profile"@en ;
    skos:prefLabel "Internationales Profil stärken"@de , "Strengthen the international profile"@en ;
    skos:notation "1" ;
    skos:inScheme <https://w3id.org/hki/scheme/goals-internationale-stadt> ;
    hki:addressesSDG sdg:11 , sdg:17 ;
    hki:sdgMappingBasis basis:editorial ;
    skos:editorialNote "Partnerschaften für die Ziele (SDG 17), weil das Ziel auf Netzwerke setzt."@de ,
        "Partnerships for the goals (SDG 17), because the goal relies on networks."@en ;
    dct:source <https://www.hannover.de/internationale-stadt> .
"""

PAPER_TTL = """
doc:ds-0383-2019 a hki:CouncilPaper ;
    rdfs:label "Drucksache 0383/2019"@de , "Council paper 0383/2019"@en ;
    dct:identifier "0383/2019" ;
    dct:type dtype:information-paper ;
    dct:date "2019-02-14"^^xsd:date ;
    dct:source <https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/0383-2019> .
"""

ACTION_CONCEPT_TTL = """
ac:internationale-stadt a hki:ActionConcept ;
    rdfs:label "Handlungskonzept Internationale Stadt"@de , "Action concept International City"@en ;
    hki:projectStatus pstatus:in-implementation ;
    hki:districtScope scope:city-wide ;
    hki:milestone <https://w3id.org/hki/id/action-concept/internationale-stadt/event/presentation> ;
    dct:source <https://www.hannover.de/internationale-stadt> .

<https://w3id.org/hki/id/action-concept/internationale-stadt/event/presentation> a hki:ActualEvent ;
    rdfs:label "Vorstellung im Ausschuss"@de , "Presentation to the committee"@en ;
    schema:startDate "2019-02-14"^^xsd:date ;
    dct:source <https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/0383-2019> .
"""

UNVERIFIED_PARTNERSHIP_TTL = CITIES + """
pship:hannover-bristol a hki:Partnership ;
    rdfs:label "Städtepartnerschaft Hannover – Bristol"@de , "Twinning Hannover – Bristol"@en ;
    hki:partner city:hannover , city:bristol ;
    hki:partnershipType ptype:twin-city ;
    schema:startDate "1947"^^xsd:gYear ;
    hki:verificationStatus vstat:unverified ;
    skos:editorialNote "Das Jahr stammt nur aus einer Quelle Dritter."@de ,
        "The year comes from a third-party source only."@en ;
    dct:source <https://en.wikipedia.org/wiki/Bristol> .
"""

WIKIDATA_STATUS_TTL = CITIES.replace("""    schema:containedInPlace country:GBR ;""", """    schema:containedInPlace country:GBR ;
    hki:wikidataIdStatus vstat:single-third-party-source ;""")

NETWORK_TOPIC_TTL = ORGANISATIONS.replace("""    org:classification otype:city-network ;""", """    org:classification otype:city-network ;
    dct:subject topic:city-cooperation , topic:sustainable-urban-development ;""")

NEW_SDG = """
<http://metadata.un.org/sdg/11.4> a skos:Concept ;
    skos:inScheme <http://metadata.un.org/sdg> ;
    skos:notation "11.4" ;
    skos:prefLabel "Weltkultur- und -naturerbe schützen"@de , "Protect the world's cultural and natural heritage"@en .
"""

ALL_VALID = [
    PARTNERSHIP_TTL,
    MEMBERSHIP_TTL,
    MEASURE_TTL,
    GOAL_TTL,
    PAPER_TTL,
    ACTION_CONCEPT_TTL,
    UNVERIFIED_PARTNERSHIP_TTL,
    NEW_SDG,
    WIKIDATA_STATUS_TTL,
    NETWORK_TOPIC_TTL,
]


# ---------------------------------------------------------------- helpers


@cache
def _schema() -> Graph:
    graph = Graph()
    for path in (ONTOLOGY_FILE, VOCABULARY_FILE, SDG_FILE):
        graph.parse(path, format="turtle")
    return graph


def data_graph(turtle: str) -> Graph:
    """The fixture together with the ontology, the vocabularies and the SDGs, as the validator sees it."""
    graph = Graph()
    graph += _schema()
    graph.parse(data=TURTLE_PREFIXES + turtle, format="turtle")
    return graph


def problems(turtle: str, lang: str = "en") -> list[Violation]:
    return validate_graph(data_graph(turtle), lang=lang)


def replaced(turtle: str, old: str, new: str) -> str:
    """`turtle` with `old` (which must occur exactly once) replaced by `new`."""
    assert turtle.count(old) == 1, f"fixture must contain {old!r} exactly once"
    return turtle.replace(old, new)


def assert_plain_words(message: str) -> None:
    assert message and message[0].isupper() and message.endswith("."), message
    for jargon in ("ConstraintComponent", "Value Node", "Focus Node", "Literal(", "sh:", "Less than", "More than"):
        assert jargon not in message, f"{jargon!r} in {message!r}"


def assert_only(found: list[Violation], *, focus: str, path: str | None, rule: str, value: str | None = None) -> None:
    """Exactly this one kind of problem is reported, with a message in plain words."""
    report = "\n".join(f"{v.rule} {v.shape} | {v}" for v in found)
    assert {(v.focus, v.path, v.rule) for v in found} == {(focus, path, rule)}, report
    for violation in found:
        assert violation.severity == "Violation"
        assert_plain_words(violation.message)
        if value is not None:
            assert violation.value == value, report


def assert_valid(turtle: str) -> None:
    found = problems(turtle)
    assert found == [], "\n".join(f"{v.rule} {v.shape} | {v}" for v in found)


def shape_messages(shapes: Graph, shape: str, lang: str) -> set[str]:
    """The messages a shape states in `lang`, its own and those of its SPARQL constraints."""
    owners = [URIRef(shape), *shapes.objects(URIRef(shape), SH.sparql)]
    return {str(m) for o in owners for m in shapes.objects(o, SH.message) if m.language == lang}


# ---------------------------------------------------------------- the valid fixtures themselves


@pytest.mark.parametrize("turtle", ALL_VALID, ids=["partnership", "membership", "measure", "goal", "council-paper",
                                                   "action-concept", "unverified-partnership", "sdg-concept",
                                                   "wikidata-id-status", "network-topic"])
def test_the_valid_fixtures_of_this_file_have_no_problems(turtle: str):
    assert_valid(turtle)


def test_the_shipped_ontology_vocabularies_and_sdgs_alone_have_no_problems():
    assert validate_graph(data_graph("")) == []


# ---------------------------------------------------------------- one rule broken, reported alone


def broken(name: str, turtle: str, old: str, new: str, *, focus: str, path: URIRef | None, rule: str,
           value: str | None = None):
    """A case of the test below: the valid `turtle` with `old` replaced by `new` breaks `rule` at `focus`."""
    return pytest.param(turtle, old, new, focus, None if path is None else str(path), rule, value, id=name)


ONE_RULE_BROKEN = [
    # labels in German and English
    broken("a_city_without_an_english_label_is_reported_as_missing_its_english_name",
           CITIES, '"Bristol"@de , "Bristol"@en', '"Bristol"@de',
           focus=BRISTOL, path=RDFS.label, rule="QualifiedMinCount"),
    broken("a_measure_without_a_german_label_is_reported_as_missing_its_german_name",
           MEASURE_TTL, '"Welcome Centre"@de , ', "",
           focus=MEASURE, path=RDFS.label, rule="QualifiedMinCount"),
    broken("a_partnership_with_two_german_labels_is_reported_as_a_duplicate_language",
           PARTNERSHIP_TTL, '"Twinning Hannover – Bristol"@en',
           '"Twinning Hannover – Bristol"@en , "Partnerschaft Hannover–Bristol"@de',
           focus=PARTNERSHIP, path=RDFS.label, rule="UniqueLang"),
    broken("a_label_without_a_language_tag_is_reported_as_not_german_or_english",
           MEMBERSHIP_TTL, '"Eurocities"@de , "Eurocities"@en', '"Eurocities"@de , "Eurocities"@en , "Eurocities"',
           focus=EUROCITIES, path=RDFS.label, rule="LanguageIn", value='"Eurocities"'),
    broken("a_milestone_subclass_needs_both_labels_too",
           ACTION_CONCEPT_TTL, '"Vorstellung im Ausschuss"@de , ', "",
           focus=EVENT, path=RDFS.label, rule="QualifiedMinCount"),
    broken("a_concept_scheme_needs_both_labels_too",
           GOAL_TTL, ',\n        "Goals of the action concept International City"@en', "",
           focus="https://w3id.org/hki/scheme/goals-internationale-stadt", path=RDFS.label,
           rule="QualifiedMinCount"),
    # SDG concepts
    broken("an_sdg_concept_without_a_german_preferred_name_is_reported",
           NEW_SDG, '"Weltkultur- und -naturerbe schützen"@de , ', "",
           focus="http://metadata.un.org/sdg/11.4", path=SKOS.prefLabel, rule="QualifiedMinCount"),
    broken("an_sdg_concept_without_a_number_is_reported",
           NEW_SDG, 'skos:notation "11.4" ;', "",
           focus="http://metadata.un.org/sdg/11.4", path=SKOS.notation, rule="MinCount"),
    # places
    broken("a_wikidata_wiki_page_instead_of_the_entity_is_reported",
           CITIES, "<http://www.wikidata.org/entity/Q23154>", "<https://www.wikidata.org/wiki/Q23154>",
           focus=BRISTOL, path=OWL.sameAs, rule="Pattern", value="<https://www.wikidata.org/wiki/Q23154>"),
    broken("a_geonames_iri_without_the_final_slash_is_reported",
           CITIES, "<https://sws.geonames.org/2654675/>", "<https://sws.geonames.org/2654675>",
           focus=BRISTOL, path=OWL.sameAs, rule="Pattern"),
    broken("a_place_linked_to_two_wikidata_entities_is_reported",
           CITIES, "<http://www.wikidata.org/entity/Q23154> ,",
           "<http://www.wikidata.org/entity/Q23154> , <http://www.wikidata.org/entity/Q21693433> ,",
           focus=BRISTOL, path=OWL.sameAs, rule="QualifiedMaxCount"),
    broken("a_country_missing_from_the_vocabulary_is_reported",
           CITIES, "schema:containedInPlace country:GBR", "schema:containedInPlace country:USA",
           focus=BRISTOL, path=SCHEMA.containedInPlace, rule="InScheme",
           value="<http://publications.europa.eu/resource/authority/country/USA>"),
    broken("a_city_without_a_country_is_reported",
           CITIES, "schema:containedInPlace country:GBR ;", "",
           focus=BRISTOL, path=SCHEMA.containedInPlace, rule="MinCount"),
    broken("a_longitude_out_of_range_is_reported",
           CITIES, 'wgs:long "9.73861"^^xsd:decimal', 'wgs:long "973.861"^^xsd:decimal',
           focus=HANNOVER, path=WGS.long, rule="MaxInclusive"),
    broken("a_geometry_that_is_not_a_wkt_literal_is_reported",
           CITIES, '"POINT(9.73861 52.37444)"^^geo:wktLiteral', '"POINT(9.73861 52.37444)"',
           focus=HANNOVER + "/geometry", path=GEO.asWKT, rule="Datatype"),
    # sources
    broken("a_source_written_as_text_is_reported_as_not_a_web_address",
           MEASURE_TTL, "dct:source <https://www.hannover.de/welcome-centre>",
           'dct:source "https://www.hannover.de/welcome-centre"',
           focus=MEASURE, path=DCTERMS.source, rule="NodeKind", value='"https://www.hannover.de/welcome-centre"'),
    broken("a_source_that_is_not_a_web_address_is_reported",
           MEASURE_TTL, "dct:source <https://www.hannover.de/welcome-centre>", "dct:source <urn:isbn:9783000000000>",
           focus=MEASURE, path=DCTERMS.source, rule="Pattern"),
    # partnerships
    broken("a_partnership_with_one_partner_is_reported",
           PARTNERSHIP_TTL, "hki:partner city:hannover , city:bristol", "hki:partner city:hannover",
           focus=PARTNERSHIP, path=HKI.partner, rule="MinCount"),
    broken("a_partner_that_is_not_a_place_is_reported",
           PARTNERSHIP_TTL + ORGANISATIONS, "hki:partner city:hannover , city:bristol",
           "hki:partner orgn:eurocities , city:bristol",
           focus=PARTNERSHIP, path=HKI.partner, rule="Or", value=f"<{EUROCITIES}>"),
    broken("a_partnership_type_not_in_the_partnership_type_scheme_is_reported",
           PARTNERSHIP_TTL, "hki:partnershipType ptype:twin-city", "hki:partnershipType mstatus:ongoing",
           focus=PARTNERSHIP, path=HKI.partnershipType, rule="InScheme",
           value="<https://w3id.org/hki/scheme/measure-status/ongoing>"),
    broken("a_made_up_partnership_type_is_reported",
           PARTNERSHIP_TTL, "hki:partnershipType ptype:twin-city", "hki:partnershipType ptype:sister-city",
           focus=PARTNERSHIP, path=HKI.partnershipType, rule="InScheme"),
    broken("a_partnership_with_two_types_is_reported",
           PARTNERSHIP_TTL, "hki:partnershipType ptype:twin-city",
           "hki:partnershipType ptype:twin-city , ptype:friendship",
           focus=PARTNERSHIP, path=HKI.partnershipType, rule="MaxCount"),
    broken("a_partnership_without_a_type_is_reported",
           PARTNERSHIP_TTL, "hki:partnershipType ptype:twin-city ;", "",
           focus=PARTNERSHIP, path=HKI.partnershipType, rule="MinCount"),
    # dates
    broken("two_start_dates_are_reported",
           PARTNERSHIP_TTL, 'schema:startDate "1947"^^xsd:gYear', 'schema:startDate "1947"^^xsd:gYear , "1948"^^xsd:gYear',
           focus=PARTNERSHIP, path=SCHEMA.startDate, rule="MaxCount"),
    broken("a_milestone_without_a_date_is_reported",
           ACTION_CONCEPT_TTL, 'schema:startDate "2019-02-14"^^xsd:date ;', "",
           focus=EVENT, path=SCHEMA.startDate, rule="MinCount"),
    # measures
    broken("a_measure_status_from_the_wrong_scheme_is_reported",
           MEASURE_TTL, "hki:measureStatus mstatus:ongoing", "hki:measureStatus pstatus:in-implementation",
           focus=MEASURE, path=HKI.measureStatus, rule="InScheme",
           value="<https://w3id.org/hki/scheme/project-status/in-implementation>"),
    broken("a_measure_without_a_status_is_reported",
           MEASURE_TTL, "hki:measureStatus mstatus:ongoing ;", "",
           focus=MEASURE, path=HKI.measureStatus, rule="MinCount"),
    broken("a_measure_without_an_identifier_is_reported",
           MEASURE_TTL, 'dct:identifier "M-01" ;', "",
           focus=MEASURE, path=DCTERMS.identifier, rule="MinCount"),
    # council papers and organisations
    broken("a_council_paper_without_a_number_is_reported",
           PAPER_TTL, 'dct:identifier "0383/2019" ;', "",
           focus=PAPER, path=DCTERMS.identifier, rule="MinCount"),
    broken("a_council_paper_dated_by_year_only_is_reported",
           PAPER_TTL, 'dct:date "2019-02-14"^^xsd:date', 'dct:date "2019"^^xsd:gYear',
           focus=PAPER, path=DCTERMS.date, rule="Datatype"),
    broken("an_organisation_without_a_type_is_reported",
           ORGANISATIONS, "org:classification otype:city-network ;", "",
           focus=EUROCITIES, path=ORG.classification, rule="MinCount"),
    # links to the SDGs
    broken("an_sdg_link_without_a_mapping_basis_is_reported",
           MEASURE_TTL, "hki:sdgMappingBasis basis:source ;", "",
           focus=MEASURE, path=HKI.sdgMappingBasis, rule="MinCount"),
    broken("an_sdg_link_with_two_mapping_bases_is_reported",
           MEASURE_TTL, "hki:sdgMappingBasis basis:source",
           "hki:sdgMappingBasis basis:source , basis:editorial ;\n    skos:editorialNote \"x\"@en",
           focus=MEASURE, path=HKI.sdgMappingBasis, rule="MaxCount"),
    broken("an_editorial_sdg_mapping_without_a_note_is_reported",
           GOAL_TTL, """    skos:editorialNote "Partnerschaften für die Ziele (SDG 17), weil das Ziel auf Netzwerke setzt."@de ,
        "Partnerships for the goals (SDG 17), because the goal relies on networks."@en ;
""", "",
           focus=GOAL, path=SKOS.editorialNote, rule="EditorialMappingWithoutNote"),
    # goals
    broken("a_goal_outside_any_concept_scheme_is_reported",
           GOAL_TTL, "skos:inScheme <https://w3id.org/hki/scheme/goals-internationale-stadt> ;", "",
           focus=GOAL, path=SKOS.inScheme, rule="MinCount"),
    broken("a_goal_in_an_undeclared_scheme_is_reported",
           GOAL_TTL, "skos:inScheme <https://w3id.org/hki/scheme/goals-internationale-stadt> ;",
           "skos:inScheme <https://w3id.org/hki/scheme/goals-typo> ;",
           focus=GOAL, path=SKOS.inScheme, rule="Class"),
    broken("a_goal_without_an_english_preferred_name_is_reported",
           GOAL_TTL, 'skos:prefLabel "Internationales Profil stärken"@de , "Strengthen the international profile"@en',
           'skos:prefLabel "Internationales Profil stärken"@de',
           focus=GOAL, path=SKOS.prefLabel, rule="QualifiedMinCount"),
    broken("a_goal_without_a_number_is_reported",
           GOAL_TTL, 'skos:notation "1" ;', "",
           focus=GOAL, path=SKOS.notation, rule="MinCount"),
    # uncertain facts
    broken("an_unverified_fact_without_an_english_note_is_reported",
           UNVERIFIED_PARTNERSHIP_TTL, ',\n        "The year comes from a third-party source only."@en', "",
           focus=PARTNERSHIP, path=SKOS.editorialNote, rule="UncertainWithoutNote"),
    # how well a Wikidata ID is backed
    broken("a_wikidata_id_status_on_a_place_without_a_wikidata_link_is_reported",
           WIKIDATA_STATUS_TTL, "owl:sameAs <http://www.wikidata.org/entity/Q23154> , ", "owl:sameAs ",
           focus=BRISTOL, path=OWL.sameAs, rule="WikidataIdStatusWithoutWikidataLink"),
    broken("a_wikidata_id_status_on_something_that_is_not_a_place_is_reported",
           WIKIDATA_STATUS_TTL + ORGANISATIONS, "org:classification otype:city-network ;",
           "org:classification otype:city-network ;\n    owl:sameAs <http://www.wikidata.org/entity/Q1011148> ;\n"
           "    hki:wikidataIdStatus vstat:wikidata-only ;",
           focus=EUROCITIES, path=OWL.sameAs, rule="WikidataIdStatusWithoutWikidataLink"),
    broken("two_wikidata_id_statuses_are_reported",
           WIKIDATA_STATUS_TTL, "hki:wikidataIdStatus vstat:single-third-party-source",
           "hki:wikidataIdStatus vstat:single-third-party-source , vstat:wikidata-only",
           focus=BRISTOL, path=HKI.wikidataIdStatus, rule="MaxCount"),
    # topics of city networks
    broken("an_sdg_given_as_the_topic_of_a_network_is_reported",
           NETWORK_TOPIC_TTL, "dct:subject topic:city-cooperation ,", "dct:subject sdg:17 ,",
           focus=EUROCITIES, path=DCTERMS.subject, rule="InScheme", value="<http://metadata.un.org/sdg/17>"),
    broken("a_topic_given_as_text_is_reported",
           NETWORK_TOPIC_TTL, "dct:subject topic:city-cooperation ,", 'dct:subject "Städtenetzwerk"@de ,',
           focus=EUROCITIES, path=DCTERMS.subject, rule="InScheme", value='"Städtenetzwerk"@de'),
    # memberships
    broken("a_membership_with_two_members_is_reported",
           MEMBERSHIP_TTL, "org:member orgn:lhh ;", "org:member orgn:lhh , orgn:eurocities ;",
           focus=MEMBERSHIP, path=ORG.member, rule="MaxCount"),
    broken("a_membership_without_its_organisation_is_reported",
           MEMBERSHIP_TTL, "org:organization orgn:eurocities ;", "",
           focus=MEMBERSHIP, path=ORG.organization, rule="MinCount"),
]


@pytest.mark.parametrize(("turtle", "old", "new", "focus", "path", "rule", "value"), ONE_RULE_BROKEN)
def test_a_valid_fixture_broken_in_one_place_is_reported_for_that_rule_alone_in_plain_words(
        turtle: str, old: str, new: str, focus: str, path: str | None, rule: str, value: str | None):
    assert_only(problems(replaced(turtle, old, new)), focus=focus, path=path, rule=rule, value=value)


# ---------------------------------------------------------------- places


def test_an_https_wikidata_iri_is_reported_with_the_valid_form_in_the_message():
    broken = replaced(CITIES, "<http://www.wikidata.org/entity/Q23154>", "<https://www.wikidata.org/entity/Q23154>")
    found = problems(broken)
    assert_only(found, focus=BRISTOL, path=str(OWL.sameAs), rule="Pattern",
                value="<https://www.wikidata.org/entity/Q23154>")
    assert "http://www.wikidata.org/entity/Q" in found[0].message


def test_a_country_that_is_not_an_eu_country_iri_is_reported():
    broken = replaced(CITIES, "schema:containedInPlace country:GBR", "schema:containedInPlace <http://publications.europa.eu/resource/authority/country/GB>")
    found = problems(broken)
    assert {v.rule for v in found} == {"Pattern", "InScheme"}
    assert {(v.focus, v.path) for v in found} == {(BRISTOL, str(SCHEMA.containedInPlace))}


def test_a_latitude_given_as_text_is_reported():
    broken = replaced(CITIES, 'wgs:lat "52.37444"^^xsd:decimal', 'wgs:lat "52.37444"')
    found = problems(broken)
    # SHACL: text cannot be compared with -90 and 90, so the range rules report it as well.
    assert {v.rule for v in found} == {"Datatype", "MinInclusive", "MaxInclusive"}
    assert {(v.focus, v.path, v.value) for v in found} == {(HANNOVER, str(WGS.lat), '"52.37444"')}


# ---------------------------------------------------------------- sources

SOURCED = [  # (what, fixture, focus, its English label, its source)
    ("partnership", PARTNERSHIP_TTL, PARTNERSHIP, "Twinning Hannover – Bristol", "https://www.hannover.de/partnerstaedte"),
    ("membership", MEMBERSHIP_TTL, MEMBERSHIP, "Membership of the State Capital Hannover in Eurocities",
     "https://eurocities.eu/members/"),
    ("measure", MEASURE_TTL, MEASURE, "Welcome Centre", "https://www.hannover.de/welcome-centre"),
    ("city", CITIES, BRISTOL, "Bristol", "https://www.hannover.de/partnerstaedte/bristol"),
    ("organisation", ORGANISATIONS, EUROCITIES, "Eurocities", "https://eurocities.eu/"),
    ("goal", GOAL_TTL, GOAL, "Strengthen the international profile", "https://www.hannover.de/internationale-stadt"),
    ("council-paper", PAPER_TTL, PAPER, "Council paper 0383/2019",
     "https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/0383-2019"),
    ("action-concept", ACTION_CONCEPT_TTL, CONCEPT, "Action concept International City",
     "https://www.hannover.de/internationale-stadt"),
    ("milestone", ACTION_CONCEPT_TTL, EVENT, "Presentation to the committee",
     "https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/0383-2019"),
]


@pytest.mark.parametrize(("what", "turtle", "focus", "label", "source"), SOURCED, ids=[s[0] for s in SOURCED])
def test_an_entry_without_a_source_is_reported_with_its_focus_node_and_label(what: str, turtle: str, focus: str,
                                                                             label: str, source: str):
    broken = replaced(turtle, f" ;\n    dct:source <{source}> .", " .")
    found = problems(broken)
    assert_only(found, focus=focus, path=str(DCTERMS.source), rule="MinCount")
    assert str(found[0]).startswith(f"{label}: dct:source: ")


# ---------------------------------------------------------------- partnerships


def test_a_partnership_of_three_places_is_fine():
    assert_valid(replaced(PARTNERSHIP_TTL, "hki:partner city:hannover , city:bristol", "hki:partner city:hannover , city:bristol , city:linden") + """
city:linden a schema:AdministrativeArea ;
    rdfs:label "Linden-Limmer"@de , "Linden-Limmer"@en ;
    schema:containedInPlace city:hannover .
""")


def test_a_partnership_type_added_to_the_scheme_by_another_city_is_accepted_without_editing_the_shapes():
    extended = replaced(PARTNERSHIP_TTL, "hki:partnershipType ptype:twin-city", "hki:partnershipType ptype:sister-region") + """
ptype:sister-region a skos:Concept ;
    skos:inScheme hkis:partnership-type ;
    skos:prefLabel "Regionalpartnerschaft"@de , "Sister region"@en .
"""
    assert_valid(extended)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("start", ['"1947"', '"1947"^^xsd:gYearMonth', '"47"^^xsd:gYear', '"1947-13"^^xsd:gYearMonth',
                                   '"1947-01-01T00:00:00"^^xsd:dateTime'])
def test_a_start_date_that_is_not_a_year_month_or_day_is_reported(start: str):
    broken = replaced(PARTNERSHIP_TTL, 'schema:startDate "1947"^^xsd:gYear', f"schema:startDate {start}")
    assert_only(problems(broken), focus=PARTNERSHIP, path=str(SCHEMA.startDate), rule="Or")


@pytest.mark.parametrize(("start", "end"), [
    ('"2019"^^xsd:gYear', '"2018-06"^^xsd:gYearMonth'),
    ('"2017-09"^^xsd:gYearMonth', '"2017-04"^^xsd:gYearMonth'),
    ('"2028-03-31"^^xsd:date', '"2025-04-01"^^xsd:date'),
    ('"2018-07"^^xsd:gYearMonth', '"2018-06-30"^^xsd:date'),
])
def test_a_start_after_the_end_is_reported_even_with_mixed_precision(start: str, end: str):
    broken = replaced(MEASURE_TTL, 'schema:startDate "2017-04"^^xsd:gYearMonth',
                      f"schema:startDate {start} ;\n    schema:endDate {end}")
    assert_only(problems(broken), focus=MEASURE, path=str(SCHEMA.startDate), rule="StartAfterEnd")


@pytest.mark.parametrize(("start", "end"), [
    ('"2017-04"^^xsd:gYearMonth', '"2017-09"^^xsd:gYearMonth'),
    ('"2025-04-01"^^xsd:date', '"2028-03-31"^^xsd:date'),
    ('"2019"^^xsd:gYear', '"2019-06"^^xsd:gYearMonth'),
    ('"2017-04"^^xsd:gYearMonth', '"2017"^^xsd:gYear'),
    ('"2018-06-30"^^xsd:date', '"2018-06-30"^^xsd:date'),
])
def test_a_start_on_or_before_the_end_is_fine_with_mixed_precision(start: str, end: str):
    assert_valid(replaced(MEASURE_TTL, 'schema:startDate "2017-04"^^xsd:gYearMonth',
                          f"schema:startDate {start} ;\n    schema:endDate {end}"))


# ---------------------------------------------------------------- measures


def test_a_completed_measure_without_an_end_date_is_reported():
    assert_valid(replaced(MEASURE_TTL, "hki:measureStatus mstatus:ongoing ;",
                          'hki:measureStatus mstatus:completed ;\n    schema:endDate "2018"^^xsd:gYear ;'))
    broken = replaced(MEASURE_TTL, "hki:measureStatus mstatus:ongoing", "hki:measureStatus mstatus:completed")
    assert_only(problems(broken), focus=MEASURE, path=str(SCHEMA.endDate), rule="CompletedWithoutEndDate")


# ---------------------------------------------------------------- controlled values

CONTROLLED = [
    ("project-status", ACTION_CONCEPT_TTL, CONCEPT, HKI.projectStatus, "pstatus:in-implementation"),
    ("district-scope", ACTION_CONCEPT_TTL, CONCEPT, HKI.districtScope, "scope:city-wide"),
    ("mapping-basis", MEASURE_TTL, MEASURE, HKI.sdgMappingBasis, "basis:source"),
    ("organisation-type", ORGANISATIONS, EUROCITIES, ORG.classification, "otype:city-network"),
    ("document-type", PAPER_TTL, PAPER, DCTERMS.type, "dtype:information-paper"),
    ("verification-status", UNVERIFIED_PARTNERSHIP_TTL, PARTNERSHIP, HKI.verificationStatus, "vstat:unverified"),
    ("wikidata-id-status", WIKIDATA_STATUS_TTL, BRISTOL, HKI.wikidataIdStatus, "vstat:single-third-party-source"),
    ("network-topic", NETWORK_TOPIC_TTL, EUROCITIES, DCTERMS.subject, "topic:city-cooperation"),
]


@pytest.mark.parametrize(("scheme", "turtle", "focus", "prop", "value"), CONTROLLED, ids=[c[0] for c in CONTROLLED])
def test_a_controlled_value_from_another_scheme_is_reported(scheme: str, turtle: str, focus: str, prop: URIRef, value: str):
    broken = replaced(turtle, value, "ptype:friendship")
    assert_only(problems(broken), focus=focus, path=str(prop), rule="InScheme",
                value="<https://w3id.org/hki/scheme/partnership-type/friendship>")


def test_a_council_paper_of_unknown_type_is_fine_but_one_with_two_types_is_reported():
    assert_valid(replaced(PAPER_TTL, "dct:type dtype:information-paper ;", ""))
    broken = replaced(PAPER_TTL, "dct:type dtype:information-paper", "dct:type dtype:information-paper , dtype:resolution-paper")
    assert_only(problems(broken), focus=PAPER, path=str(DCTERMS.type), rule="MaxCount")


# ---------------------------------------------------------------- links to the SDGs


@pytest.mark.parametrize("sdg", ["<http://metadata.un.org/sdg/04>", "<https://metadata.un.org/sdg/4>",
                                 "<http://metadata.un.org/sdg/18>", "<http://metadata.un.org/sdg/goal4>"])
def test_an_sdg_iri_that_is_not_the_uns_own_is_reported(sdg: str):
    broken = replaced(MEASURE_TTL, "hki:addressesSDG sdg:11", f"hki:addressesSDG {sdg}")
    assert_only(problems(broken), focus=MEASURE, path=str(HKI.addressesSDG), rule="Pattern", value=sdg)


def test_a_zero_padded_sdg_is_reported_and_the_message_names_the_valid_form():
    broken = replaced(MEASURE_TTL, "hki:addressesSDG sdg:11", "hki:addressesSDG <http://metadata.un.org/sdg/04>")
    (found,) = problems(broken)
    assert "<http://metadata.un.org/sdg/1>" in found.message and "leading zero" in found.message


# ---------------------------------------------------------------- uncertain facts


def test_a_conflicting_fact_with_only_one_source_is_reported():
    conflicting = replaced(UNVERIFIED_PARTNERSHIP_TTL, "vstat:unverified", "vstat:conflicting")
    assert_only(problems(conflicting), focus=PARTNERSHIP, path=str(DCTERMS.source), rule="ConflictingWithOneSource")
    assert_valid(replaced(conflicting, "dct:source <https://en.wikipedia.org/wiki/Bristol>",
                          "dct:source <https://en.wikipedia.org/wiki/Bristol> , <https://www.hannover.de/partnerstaedte>"))


# ---------------------------------------------------------------- the report


def test_messages_come_in_german_when_asked_and_match_the_shapes():
    broken = replaced(PARTNERSHIP_TTL, "hki:partner city:hannover , city:bristol", "hki:partner city:hannover")
    shapes = load_shapes()
    (german,) = problems(broken, lang="de")
    (english,) = problems(broken, lang="en")
    assert german.message in shape_messages(shapes, HKISH + "Partnership-partner", "de")
    assert english.message in shape_messages(shapes, HKISH + "Partnership-partner", "en")
    assert german.focus_label == "Städtepartnerschaft Hannover – Bristol"
    assert english.focus_label == "Twinning Hannover – Bristol"


def test_messages_of_sparql_rules_keep_their_language():
    broken = replaced(MEASURE_TTL, "hki:measureStatus mstatus:ongoing", "hki:measureStatus mstatus:completed")
    shapes = load_shapes()
    (german,) = problems(broken, lang="de")
    assert german.message in shape_messages(shapes, HKISH + "Measure-endDate", "de")
    assert "abgeschlossene" in german.message


def test_a_language_without_messages_falls_back_to_english():
    broken = replaced(PARTNERSHIP_TTL, "hki:partner city:hannover , city:bristol", "hki:partner city:hannover")
    (french,) = problems(broken, lang="fr")
    (english,) = problems(broken, lang="en")
    assert french.message == english.message


def test_a_violation_reads_as_one_line_with_label_property_value_and_message():
    broken = replaced(CITIES, "<http://www.wikidata.org/entity/Q23154>", "<https://www.wikidata.org/wiki/Q23154>")
    (found,) = problems(broken)
    line = str(found)
    assert "\n" not in line
    assert line.startswith("Bristol: owl:sameAs = <https://www.wikidata.org/wiki/Q23154>: A link to Wikidata")
    assert found.shape == "hkish:Place-sameAs"


def test_a_multi_line_value_is_shown_on_one_line_in_n_triples_form():
    broken = replaced(MEASURE_TTL, "dct:source <https://www.hannover.de/welcome-centre>", 'dct:source """https://www.hannover.de/\n"Welcome Centre" """')
    (found,) = problems(broken)
    assert found.value == '"https://www.hannover.de/\\n\\"Welcome Centre\\" "'
    assert "\n" not in str(found)


def test_a_violation_without_a_label_shows_its_iri_and_compacts_datatypes():
    violation = Violation(focus=MEASURE, path=str(SCHEMA.startDate), value='"2019"^^<http://www.w3.org/2001/XMLSchema#gYear>',
                          rule="StartAfterEnd", shape="hkish:DatedShape", message="The start is after the end.",
                          severity="Violation")
    assert str(violation) == f'{MEASURE}: schema:startDate = "2019"^^xsd:gYear: The start is after the end.'
    assert compact_iri(str(HKI.partner)) == "hki:partner"


def test_violations_are_sorted_by_focus_path_and_rule():
    broken = replaced(CITIES, '"Bristol"@de , "Bristol"@en', '"Bristol"@en')
    broken = replaced(broken, "<http://www.wikidata.org/entity/Q1715>", "<https://www.wikidata.org/wiki/Q1715>")
    broken = replaced(broken, "schema:containedInPlace country:GBR ;", "")
    found = problems(broken)
    keys = [(v.focus, v.path or "", v.rule) for v in found]
    assert keys == sorted(keys)
    assert [v.focus for v in found] == [BRISTOL, BRISTOL, HANNOVER]


def test_a_warning_shape_is_reported_with_warning_severity():
    shapes = Graph().parse(data=TURTLE_PREFIXES + """
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/shapes#HomepageWanted> a sh:NodeShape ;
    sh:targetClass org:Organization ;
    sh:property [ sh:path <http://xmlns.com/foaf/0.1/homepage> ; sh:minCount 1 ; sh:severity sh:Warning ;
                  sh:message "Eine Webseite wäre hilfreich."@de , "A homepage would help."@en ] .
""", format="turtle")
    found = validate_graph(data_graph(ORGANISATIONS), shapes=shapes)
    assert {(v.focus, v.severity, v.message) for v in found} == {
        (LHH, "Warning", "A homepage would help."), (EUROCITIES, "Warning", "A homepage would help.")}


def test_a_dataset_of_named_graphs_is_validated_as_their_union():
    dataset = Dataset()
    base = "https://w3id.org/hki/graph/"
    dataset.graph(URIRef(base + "ontology")).parse(ONTOLOGY_FILE, format="turtle")
    dataset.graph(URIRef(base + "vocab")).parse(VOCABULARY_FILE, format="turtle")
    dataset.graph(URIRef(base + "sdg")).parse(SDG_FILE, format="turtle")
    dataset.graph(URIRef(base + "data")).parse(data=TURTLE_PREFIXES + PARTNERSHIP_TTL, format="turtle")
    assert validate_graph(dataset) == []
    broken = replaced(PARTNERSHIP_TTL, "hki:partnershipType ptype:twin-city", "hki:partnershipType ptype:sister-city")
    dataset.remove_graph(dataset.graph(URIRef(base + "data")))
    dataset.graph(URIRef(base + "data")).parse(data=TURTLE_PREFIXES + broken, format="turtle")
    assert [v.rule for v in validate_graph(dataset)] == ["InScheme"]


def test_validation_changes_neither_the_data_nor_the_shapes_it_is_given():
    data = data_graph(replaced(MEASURE_TTL, "hki:measureStatus mstatus:ongoing", "hki:measureStatus mstatus:completed"))
    shapes = load_shapes()
    data_before, shapes_before = Graph(), Graph()
    data_before += data
    shapes_before += shapes
    assert validate_graph(data, shapes=shapes)
    assert isomorphic(data, data_before)
    assert isomorphic(shapes, shapes_before)


def test_validation_never_opens_a_network_connection(monkeypatch: pytest.MonkeyPatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with_imports = MEASURE_TTL + "\n<https://w3id.org/hki/id/dataset> owl:imports <http://example.org/remote.ttl> .\n"
    shapes = load_shapes()
    shapes.add((URIRef("https://w3id.org/hki/shapes"), OWL.imports, URIRef("http://example.org/more-shapes.ttl")))
    assert validate_graph(data_graph(with_imports), shapes=shapes) == []


@pytest.mark.parametrize("query", [
    "SELECT $this WHERE { SERVICE <http://example.org/sparql> { $this ?p ?o } }",
    "SELECT $this FROM <http://example.org/graph.ttl> WHERE { $this ?p ?o }",
])
def test_shapes_whose_queries_would_read_remote_data_are_refused(query: str):
    shapes = load_shapes()
    constraint = URIRef("https://example.org/shapes#Remote")
    shapes.add((URIRef(HKISH + "MeasureShape"), SH.sparql, constraint))
    shapes.add((constraint, SH.select, Literal(query)))
    with pytest.raises(ValueError, match="must not read remote data"):
        validate_graph(data_graph(MEASURE_TTL), shapes=shapes)


# ---------------------------------------------------------------- the shapes file


def test_the_shapes_file_is_itself_valid_shacl():
    conforms, _, text = meta_validate(load_shapes(), inference="none")
    assert conforms, text


def test_every_named_shape_has_a_german_and_an_english_name_and_message():
    shapes = load_shapes()
    named = {s for t in (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint) for s in shapes.subjects(RDF.type, t)}
    assert named, "no shapes found"
    for shape in named:
        assert isinstance(shape, URIRef), f"blank shape {shape}: give every shape an IRI"
        names = {n.language for p in (RDFS.label, SH.name) for n in shapes.objects(shape, p)}
        assert {"de", "en"} <= names, f"{shape} lacks a German or English name"
        if (shape, RDF.type, SH.NodeShape) in shapes:
            continue  # node shapes speak through their property shapes and SPARQL constraints
        owners = [shape, *shapes.objects(shape, SH.sparql)]
        languages = {m.language for o in owners for m in shapes.objects(o, SH.message)}
        assert {"de", "en"} <= languages, f"{shape} lacks a German or English message"


# ---------------------------------------------------------------- the shipped data


def test_the_shipped_hannover_data_conforms():
    data_files = sorted(DATA_DIR.glob("*.ttl"))
    if not data_files:
        pytest.skip(f"no Turtle files in {DATA_DIR} yet")
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        if path != SHAPES_FILE:
            graph.parse(path, format="turtle")
    for path in data_files:
        graph.parse(path, format="turtle")
    found = validate_graph(graph)
    assert found == [], f"{len(found)} problem(s):\n" + "\n".join(str(v) for v in found)
