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
