"""Competency questions: what researchers and staff ask of the Hannover graph, as SPARQL."""
from __future__ import annotations

PREFIXES = """
PREFIX hki: <https://w3id.org/hki/def#>
PREFIX hkis: <https://w3id.org/hki/scheme/>
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""
HANNOVER = "<https://w3id.org/hki/id/city/hannover>"


def values(store, query, *names):
    rows = store.select(PREFIXES + query)
    return [tuple(r[n].value if n in r else None for n in names) if len(names) > 1 else r[names[0]].value
            for r in rows]


def test_the_seven_twin_cities_are_listed_with_their_years_in_order(hannover):
    rows = values(hannover, f"""
        SELECT ?city ?year WHERE {{
          ?p hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> ; hki:partner {HANNOVER} , ?c ;
             schema:startDate ?start .
          FILTER (?c != {HANNOVER})
          ?c rdfs:label ?city FILTER (LANG(?city) = "de")
          BIND (YEAR(?start) AS ?year)
        }} ORDER BY ?year""", "city", "year")
    assert rows == [("Bristol", "1947"), ("Perpignan", "1960"), ("Rouen", "1966"), ("Blantyre", "1968"),
                    ("Poznań", "1979"), ("Hiroshima", "1983"), ("Leipzig", "1987")]


def test_twinned_with_gives_the_same_seven_cities(hannover):
    cities = values(hannover, f"SELECT ?c WHERE {{ {HANNOVER} hki:twinnedWith ?c }}", "c")
    assert len(cities) == 7


def test_the_action_concept_names_its_five_external_partners(hannover):
    names = values(hannover, """
        SELECT ?name WHERE { ?concept a hki:ActionConcept ; hki:externalPartner ?o .
                             ?o rdfs:label ?name FILTER (LANG(?name) = "de") } ORDER BY ?name""", "name")
    assert len(names) == 5
    joined = " ".join(names)
    for expected in ("hannoverimpuls", "Wissenschaft", "Marketing", "Metropolregion", "Messe"):
        assert expected in joined


def test_the_concept_has_three_goals_each_addressing_at_least_one_sdg(hannover):
    rows = values(hannover, """
        SELECT ?goal (COUNT(DISTINCT ?sdg) AS ?n) WHERE {
          ?concept a hki:ActionConcept ; hki:hasGoal ?goal .
          OPTIONAL { ?goal hki:addressesSDG ?sdg . ?sdg skos:inScheme <http://metadata.un.org/sdg> }
        } GROUP BY ?goal""", "goal", "n")
    assert len(rows) == 3
    assert all(int(n) >= 1 for _, n in rows), rows


def test_every_sdg_mapping_says_whether_it_is_sourced_or_editorial(hannover):
    unmarked = values(hannover, """
        SELECT DISTINCT ?x WHERE { ?x hki:addressesSDG ?sdg . FILTER NOT EXISTS { ?x hki:sdgMappingBasis ?b } }""", "x")
    assert unmarked == []


def test_the_action_concept_serves_the_five_overarching_goals_of_mein_hannover_2030(hannover):
    goals = values(hannover, "SELECT ?g WHERE { ?c a hki:ActionConcept ; hki:overarchingGoal ?g }", "g")
    assert len(goals) == 5


def test_every_sdg_is_labelled_in_german_and_english(hannover):
    rows = values(hannover, """
        SELECT ?sdg (GROUP_CONCAT(DISTINCT LANG(?l); separator=",") AS ?langs) WHERE {
          ?sdg skos:inScheme <http://metadata.un.org/sdg> ; skos:prefLabel ?l } GROUP BY ?sdg""", "sdg", "langs")
    assert len(rows) == 17
    assert all(sorted(langs.split(",")) == ["de", "en"] for _, langs in rows)


def test_every_partnership_membership_and_measure_has_a_source(hannover):
    unsourced = values(hannover, """
        SELECT ?x WHERE { VALUES ?type { hki:Partnership org:Membership hki:Measure }
                          ?x a ?type FILTER NOT EXISTS { ?x dct:source ?s FILTER isIRI(?s) } }""", "x")
    assert unsourced == []


def test_the_seed_timeline_has_at_least_five_planned_phases(hannover):
    phases = values(hannover, """
        SELECT ?phase WHERE { ?c a hki:ActionConcept ; hki:milestone ?phase . ?phase a hki:PlannedPhase }""", "phase")
    assert len(phases) >= 5


def test_the_information_paper_of_2019_is_an_actual_event_next_to_the_plan(hannover):
    dates = values(hannover, """
        SELECT ?date WHERE { ?c a hki:ActionConcept ; hki:milestone ?e . ?e a hki:ActualEvent ;
                             schema:startDate ?date . FILTER (STR(?date) = "2019-02-14") }""", "date")
    assert dates == ["2019-02-14"]


def test_yekaterinburg_friendship_is_marked_unverified(hannover):
    rows = values(hannover, """
        SELECT ?status WHERE { ?p hki:partner <https://w3id.org/hki/id/city/yekaterinburg> ;
                               hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/friendship> ;
                               hki:verificationStatus ?status }""", "status")
    assert rows == ["https://w3id.org/hki/scheme/verification-status/unverified"]


def test_hannover_is_linked_to_wikidata_and_geonames(hannover):
    links = values(hannover, f"SELECT ?x WHERE {{ {HANNOVER} owl:sameAs ?x }} ORDER BY ?x", "x")
    assert links == ["http://www.wikidata.org/entity/Q1715", "https://sws.geonames.org/2910831/"]


def test_the_action_concept_states_its_scope_costs_and_planned_council_paper(hannover):
    rows = values(hannover, """
        SELECT ?scope ?cost ?council WHERE { ?c a hki:ActionConcept ; hki:districtScope ?scope ;
                  hki:costNote ?cost ; hki:councilInvolvement ?council . FILTER (LANG(?cost) = "de") }""",
                  "scope", "cost", "council")
    assert rows and rows[0][0] == "https://w3id.org/hki/scheme/district-scope/city-wide"
    assert "Kosten" in rows[0][1] or "bemessen" in rows[0][1]


# ---------------------------------------------------------------- topics of city networks

NETWORK_TOPIC = "https://w3id.org/hki/scheme/network-topic/"


def test_which_networks_are_about_climate_is_one_query_over_the_topic(hannover):
    names = values(hannover, """
        SELECT ?name WHERE {
          ?network org:classification <https://w3id.org/hki/scheme/organisation-type/city-network> ;
                   dct:subject <https://w3id.org/hki/scheme/network-topic/climate> ;
                   rdfs:label ?name FILTER (LANG(?name) = "en")
        } ORDER BY ?name""", "name")
    assert names == ["Climate Alliance", "Covenant of Mayors", "ICLEI – Local Governments for Sustainability"]


def test_the_climate_networks_are_also_found_through_sdg_13(hannover):
    names = values(hannover, """
        SELECT DISTINCT ?name WHERE {
          ?network dct:subject ?topic ; rdfs:label ?name FILTER (LANG(?name) = "en")
          ?topic skos:inScheme hkis:network-topic ; skos:closeMatch <http://metadata.un.org/sdg/13> .
        } ORDER BY ?name""", "name")
    assert names == ["Climate Alliance", "Covenant of Mayors", "ICLEI – Local Governments for Sustainability"]


def test_every_city_network_has_a_topic_and_says_that_it_was_assigned_by_the_editors(hannover):
    rows = values(hannover, """
        SELECT ?network (COUNT(DISTINCT ?topic) AS ?topics) (COUNT(DISTINCT ?note) AS ?notes) WHERE {
          ?network org:classification <https://w3id.org/hki/scheme/organisation-type/city-network> .
          OPTIONAL { ?network dct:subject ?topic . ?topic skos:inScheme hkis:network-topic }
          OPTIONAL { ?network skos:editorialNote ?note }
        } GROUP BY ?network""", "network", "topics", "notes")
    assert len(rows) == 10
    assert all(int(topics) >= 1 and int(notes) == 2 for _, topics, notes in rows), rows


def test_every_network_topic_matches_an_sdg_and_its_mapping_is_marked_editorial(hannover):
    rows = values(hannover, """
        SELECT ?topic ?sdg ?basis WHERE {
          ?topic skos:inScheme hkis:network-topic .
          OPTIONAL { ?topic skos:closeMatch|skos:relatedMatch ?sdg . ?sdg skos:inScheme <http://metadata.un.org/sdg> }
          OPTIONAL { ?topic hki:sdgMappingBasis ?basis }
        }""", "topic", "sdg", "basis")
    assert {topic for topic, _, _ in rows} == {NETWORK_TOPIC + t for t in (
        "climate", "peace", "sustainable-urban-development", "urban-security", "culture", "human-rights",
        "city-cooperation")}
    assert all(sdg and basis == "https://w3id.org/hki/scheme/mapping-basis/editorial" for _, sdg, basis in rows), rows


# ---------------------------------------------------------------- how well Wikidata IDs are backed

VSTAT = "https://w3id.org/hki/scheme/verification-status/"
SINGLE_THIRD_PARTY_SOURCE = ["hiroshima", "leipzig", "malmo", "nantes", "perpignan", "poznan"]


def test_every_place_with_a_wikidata_id_from_a_single_third_party_source_has_that_status(hannover):
    said_in_words = values(hannover, """
        SELECT DISTINCT ?place WHERE {
          ?place owl:sameAs ?wd ; skos:editorialNote ?note .
          FILTER (STRSTARTS(STR(?wd), "http://www.wikidata.org/entity/") && LANG(?note) = "en"
                  && CONTAINS(?note, "single third-party source"))
        } ORDER BY ?place""", "place")
    marked = values(hannover, f"""
        SELECT ?place WHERE {{ ?place hki:wikidataIdStatus <{VSTAT}single-third-party-source> }} ORDER BY ?place""",
                    "place")
    expected = ["https://w3id.org/hki/id/city/" + slug for slug in SINGLE_THIRD_PARTY_SOURCE]
    assert said_in_words == marked == expected


def test_every_wikidata_id_status_is_narrower_than_unverified(hannover):
    statuses = values(hannover, "SELECT DISTINCT ?s WHERE { ?place hki:wikidataIdStatus ?s } ORDER BY ?s", "s")
    assert statuses == [VSTAT + "single-third-party-source", VSTAT + "wikidata-only"]
    for status in statuses:  # in the scheme, under "unverified", not one of its top concepts
        assert hannover.ask(PREFIXES + f"""ASK {{ <{status}> skos:broader <{VSTAT}unverified> ;
                                                  skos:inScheme hkis:verification-status
                                            FILTER NOT EXISTS {{ <{status}> skos:topConceptOf ?scheme }} }}""")


def test_blantyre_has_q188693_marked_as_backed_by_wikidata_extracts_alone(hannover):
    blantyre = "<https://w3id.org/hki/id/city/blantyre>"
    rows = values(hannover, f"""
        SELECT ?wd ?status WHERE {{ {blantyre} owl:sameAs ?wd ; hki:wikidataIdStatus ?status
                                   FILTER (STRSTARTS(STR(?wd), "http://www.wikidata.org/entity/")) }}""", "wd", "status")
    assert rows == [("http://www.wikidata.org/entity/Q188693", VSTAT + "wikidata-only")]
    sources = values(hannover, f"SELECT ?s WHERE {{ {blantyre} dct:source ?s }}", "s")
    assert "https://github.com/L3viathan/sister-cities/tree/d3028c22c7e47f18947eb39a41c13e4f2751342e" in sources
    notes = values(hannover, f"SELECT ?n WHERE {{ {blantyre} skos:editorialNote ?n }}", "n")
    assert any("not on the city's pages" in n and "2016, 2022 and 2026" in n for n in notes), notes


# ---------------------------------------------------------------- EUROCITIES

def test_the_eurocities_membership_is_marked_unverified_because_joining_is_not_documented(hannover):
    membership = "<https://w3id.org/hki/id/membership/lhh-eurocities>"
    assert values(hannover, f"SELECT ?s WHERE {{ {membership} hki:verificationStatus ?s }}", "s") == [
        VSTAT + "unverified"]
    (note,) = values(hannover, f"""SELECT ?n WHERE {{ {membership} skos:editorialNote ?n FILTER (LANG(?n) = "en") }}""",
                     "n")
    assert "2293/2019" in note and "not documented" in note
