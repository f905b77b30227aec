"""The JSON API for applications: search by label, entity summaries, neighbours; documented in OpenAPI."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.views.entities import EntityError, LabelIndex, expand_name, normalise, sparql_iri

BASE = "https://w3id.org/hki/"
BRISTOL = BASE + "id/city/bristol"
POZNAN = BASE + "id/city/poznan"
SCHEMA_CITY = "http://schema.org/City"


# ------------------------------------------------------------------------------------------ search

def test_search_finds_a_city_by_the_start_of_its_name(client):
    body = client.get("/api/search", params={"q": "bris"}).json()
    assert body["results"][0]["iri"] == BRISTOL
    assert body["results"][0]["match"] == "prefix"
    assert body["results"][0]["labels"] == {"de": "Bristol", "en": "Bristol"}


def test_search_ignores_case_and_accents(client):
    iris = [hit["iri"] for hit in client.get("/api/search", params={"q": "POZNAN"}).json()["results"]]
    assert iris[0] == POZNAN


def test_search_finds_text_inside_labels_in_either_language(client):
    german = client.get("/api/search", params={"q": "partnerschaft hannover – bris"}).json()["results"]
    assert german and german[0]["iri"] == BASE + "id/partnership/hannover-bristol"
    english = client.get("/api/search", params={"q": "twinning hannover"}).json()["results"]
    assert BASE + "id/partnership/hannover-bristol" in [h["iri"] for h in english]
    assert all(h["match"] in ("prefix", "word-prefix", "substring", "exact") for h in english)


def test_search_ranks_exact_before_prefix_before_substring(client):
    results = client.get("/api/search", params={"q": "hannover", "limit": 50}).json()["results"]
    order = {"exact": 0, "prefix": 1, "word-prefix": 2, "substring": 3}
    ranks = [order[h["match"]] for h in results]
    assert ranks == sorted(ranks)
    assert results[0]["iri"] == BASE + "id/city/hannover" and results[0]["match"] == "exact"


def test_search_can_be_limited_to_a_type_by_prefixed_name_or_iri(client):
    by_name = client.get("/api/search", params={"q": "an", "type": "schema:City", "limit": 200}).json()
    by_iri = client.get("/api/search", params={"q": "an", "type": SCHEMA_CITY, "limit": 200}).json()
    assert by_name["results"] == by_iri["results"] and by_name["types"] == [SCHEMA_CITY]
    assert by_name["results"] and all(SCHEMA_CITY in h["types"] for h in by_name["results"])


def test_search_answers_labels_in_the_requested_language(client):
    hit = client.get("/api/search", params={"q": "Twinning Hannover – Bristol", "lang": "en"}).json()["results"][0]
    assert hit["label"] == "Twinning Hannover – Bristol"
    german = client.get("/api/search", params={"q": "Twinning Hannover – Bristol", "lang": "de"}).json()["results"][0]
    assert german["label"] == "Städtepartnerschaft Hannover – Bristol"


def test_search_text_is_never_sparql(client):
    hostile = '"} } ; DROP ALL ; SELECT * WHERE { ?s ?p "'
    response = client.get("/api/search", params={"q": hostile})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("params, status, words", [
    ({"q": "x", "type": "nope:City"}, 400, "unknown prefix 'nope'"),
    ({"q": "x", "type": "http://x> }"}, 400, "not an absolute IRI"),
    ({"q": ""}, 422, "q"),
    ({"q": "x", "limit": 0}, 422, "limit"),
    ({"q": "   "}, 400, "empty"),
])
def test_bad_search_parameters_are_named(client, params, status, words):
    response = client.get("/api/search", params=params)
    assert response.status_code == status and words in response.text


# ------------------------------------------------------------------------------------------ entity

def test_an_entity_summary_has_labels_types_links_and_sources(client):
    body = client.get("/api/entity", params={"iri": BRISTOL}).json()
    assert body["labels"] == {"de": "Bristol", "en": "Bristol"}
    assert {"iri": SCHEMA_CITY, "label": body["types"][0]["label"]} in body["types"]
    assert "http://www.wikidata.org/entity/Q23154" in body["same_as"]
    assert "https://sws.geonames.org/2654675/" in body["same_as"]
    assert body["sources"] and body["statements"] > 5 and body["mentioned_by"] >= 1


def test_an_entity_can_be_named_by_prefixed_name(client):
    body = client.get("/api/entity", params={"iri": "sdg:13", "lang": "en"}).json()
    assert body["iri"] == "http://metadata.un.org/sdg/13" and "13" in body["label"]


def test_an_unknown_entity_is_404_and_says_how_to_find_one(client):
    response = client.get("/api/entity", params={"iri": BASE + "id/city/atlantis"})
    assert response.status_code == 404 and "/api/search" in response.text


@pytest.mark.parametrize("iri", ["https://x.org/a> } ; DROP ALL #", "not an iri", "https://x.org/\\u003E"])
def test_an_iri_that_could_break_out_of_a_query_is_refused(client, iri):
    response = client.get("/api/entity", params={"iri": iri})
    assert response.status_code == 400


# ------------------------------------------------------------------------------------------ neighbours

def test_neighbours_link_a_city_to_its_partnership_in_both_directions(client):
    body = client.get("/api/neighbours", params={"iri": BRISTOL, "lang": "en"}).json()
    incoming = {(n["predicate"], n["iri"]) for n in body["neighbours"] if n["direction"] == "in"}
    assert ("https://w3id.org/hki/def#partner", BASE + "id/partnership/hannover-bristol") in incoming
    outgoing = {n["iri"] for n in body["neighbours"] if n["direction"] == "out"}
    assert "http://www.wikidata.org/entity/Q23154" in outgoing
    assert SCHEMA_CITY not in outgoing  # classes are in the summary, not neighbours
    assert body["label"] == "Bristol" and body["truncated"] is False


def test_neighbours_are_cut_at_the_limit_and_say_so(client):
    body = client.get("/api/neighbours", params={"iri": BASE + "id/city/hannover", "limit": 2}).json()
    assert len(body["neighbours"]) == 2 and body["truncated"] is True


def test_the_api_is_documented_in_openapi(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/entity", "/api/neighbours", "/sparql"):
        assert path in spec["paths"], path
    assert "SearchResultModel" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


# ------------------------------------------------------------------------------------------ pure parts

@pytest.mark.parametrize("iri", [
    "https://x.org/a> } ; DROP ALL #", 'https://x.org/"', "https://x.org/a b", "https://x.org/{x}",
    "https://x.org/\\u003E", "relative/path", "", "https://x.org/a\nb",
])
def test_sparql_iri_refuses_anything_that_could_end_the_reference(iri):
    with pytest.raises(EntityError):
        sparql_iri(iri)


def test_sparql_iri_writes_a_valid_reference_that_oxigraph_reads_back():
    reference = sparql_iri("https://w3id.org/hki/id/city/poznań")
    assert reference == "<https://w3id.org/hki/id/city/poznań>"
    store = ox.Store()
    assert list(store.query(f"SELECT ?x WHERE {{ BIND({reference} AS ?x) }}"))[0]["x"].value.endswith("poznań")


@pytest.mark.parametrize("name, iri", [
    ("schema:City", SCHEMA_CITY),
    ("hki:Partnership", "https://w3id.org/hki/def#Partnership"),
    ("https://w3id.org/hki/id/city/bristol", BRISTOL),
    ("urn:isbn:0451450523", "urn:isbn:0451450523"),
])
def test_names_expand_to_iris(name, iri):
    assert expand_name(name) == iri


def test_normalise_drops_accents_case_and_extra_spaces():
    assert normalise("  Poznań   STRAẞE ") == "poznan strasse"


def test_the_label_index_ranks_and_filters_in_python():
    def lit(text: str, lang: str) -> ox.Literal:
        return ox.Literal(text, language=lang)

    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    rows = [{"s": ox.NamedNode(f"http://e/{i}"), "p": label, "label": lit(text, "en")}
            for i, text in enumerate(["Rouen", "Rouen Métropole", "Old Rouen", "Perouenx"])]
    types = [{"s": ox.NamedNode("http://e/0"), "type": ox.NamedNode("http://e/City")}]
    index = LabelIndex.from_rows(rows, types)
    assert [h.matched.text for h in index.search("rouen")] == ["Rouen", "Rouen Métropole", "Old Rouen", "Perouenx"]
    assert [h.match for h in index.search("rouen")] == ["exact", "prefix", "word-prefix", "substring"]
    assert [h.iri for h in index.search("rouen", types=["http://e/City"])] == ["http://e/0"]
    with pytest.raises(EntityError):
        index.search(" ")
