"""Dereferencing, checked the way a linked-data validator checks a publication.

The documented pattern: 200 at the IRI with `Vary: Accept` and a `Content-Location` naming the
format-specific document (which is served too); `?format=` overrides Accept; `Link` headers name every
other form and the licence; unknown IRIs are 404; nothing ever redirects. Every RDF answer is parsed
back (rdflib and pyoxigraph) and its statements are checked, never only its status.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, URIRef

from graph.config import load_settings
from graph.views.describe import Describer, see_also

BASE = "https://w3id.org/hki/"
BRISTOL = URIRef(BASE + "id/city/bristol")
HANNOVER = URIRef(BASE + "id/city/hannover")
SCHEMA = rdflib.Namespace("http://schema.org/")
HKI = rdflib.Namespace("https://w3id.org/hki/def#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
GEO = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")
LICENCE = URIRef("http://creativecommons.org/licenses/by/4.0/")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
RDF_TYPES = {  # media type → (rdflib parser, extension)
    "text/turtle": ("turtle", "ttl"),
    "application/ld+json": ("json-ld", "jsonld"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("xml", "rdf"),
}


def parse(response, media: str) -> rdflib.Graph:
    fmt, _ = RDF_TYPES[media]
    return rdflib.Graph().parse(data=response.content, format=fmt)


def links(response) -> dict[str, set[str]]:
    """The Link header as rel → targets (with the type for alternates)."""
    out: dict[str, set[str]] = {}
    for part in response.headers.get("link", "").split(", <"):
        target = part.strip().lstrip("<").split(">", 1)[0]
        rel = part.split('rel="', 1)[1].split('"', 1)[0]
        kind = part.split('type="', 1)[1].split('"', 1)[0] if 'type="' in part else ""
        out.setdefault(rel, set()).add(f"{target} {kind}".strip())
    return out


# ------------------------------------------------------------------------------------------ negotiation

@pytest.mark.parametrize("media", sorted(RDF_TYPES))
def test_every_rdf_format_is_served_at_the_iri_with_vary_and_content_location(client, media):
    response = client.get("/id/city/bristol", headers={"Accept": media})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert "Accept" in response.headers["vary"]
    assert response.headers["content-location"] == f"/id/city/bristol.{RDF_TYPES[media][1]}"
    graph = parse(response, media)
    assert (BRISTOL, RDF.type, SCHEMA.City) in graph
    assert (BRISTOL, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q23154")) in graph
    assert (BRISTOL, OWL.sameAs, URIRef("https://sws.geonames.org/2654675/")) in graph


@pytest.mark.parametrize("media", sorted(RDF_TYPES))
def test_the_document_urls_serve_the_same_statements_without_negotiating(client, media):
    at_iri = parse(client.get("/id/city/bristol", headers={"Accept": media}), media)
    document = client.get(f"/id/city/bristol.{RDF_TYPES[media][1]}", headers={"Accept": "text/html"})
    assert document.status_code == 200
    assert document.headers["content-type"].split(";")[0] == media
    assert "vary" not in document.headers or "Accept" not in document.headers["vary"]
    assert set(parse(document, media)) == set(at_iri)


def test_a_description_holds_sub_nodes_labels_of_neighbours_incoming_links_and_the_licence(client):
    graph = parse(client.get("/id/city/bristol", headers={"Accept": "text/turtle"}), "text/turtle")
    geometry = URIRef(BRISTOL + "/geometry")
    assert (geometry, GEO.asWKT, None) in graph  # the n-ary part under the IRI
    country = URIRef("http://publications.europa.eu/resource/authority/country/GBR")
    assert {str(o) for o in graph.objects(country, RDFS.label)} >= {"Vereinigtes Königreich"}
    partnership = URIRef(BASE + "id/partnership/hannover-bristol")
    assert (partnership, HKI.partner, BRISTOL) in graph  # incoming
    assert (partnership, RDFS.label, None) in graph
    assert (URIRef(BASE + "dataset"), DCT.license, LICENCE) in graph


def test_a_membership_brings_its_period_and_start_two_levels_down(client):
    graph = parse(client.get("/id/membership/lhh-climate-alliance.ttl"), "text/turtle")
    start = URIRef(BASE + "id/membership/lhh-climate-alliance/start")
    assert (start, URIRef("http://www.w3.org/2006/time#inXSDgYear"), None) in graph


def test_pyoxigraph_reads_every_format_back_to_the_same_statements(client):
    reference = None
    for media, (_, ext) in RDF_TYPES.items():
        body = client.get(f"/id/organisation/lhh.{ext}").content
        fmt = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES,
               "rdf": ox.RdfFormat.RDF_XML}[ext]
        triples = set(ox.parse(body, format=fmt))
        assert triples, media
        reference = reference or triples
        assert triples == reference, f"{media} differs from Turtle"


@pytest.mark.parametrize("accept,expected", [
    (BROWSER, "text/html"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.9, text/html;q=0.1", "application/rdf+xml"),
    ("text/*;q=0.2, application/n-triples;q=0.3", "application/n-triples"),
    ("text/turtle, */*;q=0.1", "text/turtle"),
    ("application/json", "application/ld+json"),
    ("*/*", "text/html"),
    (None, "text/html"),
])
def test_the_client_preference_by_q_value_decides_the_format(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/id/city/rouen", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("value,media", [("ttl", "text/turtle"), ("turtle", "text/turtle"), ("jsonld", "application/ld+json"),
                                         ("nt", "application/n-triples"), ("rdf", "application/rdf+xml"),
                                         ("rdfxml", "application/rdf+xml"), ("html", "text/html")])
def test_the_format_parameter_overrides_the_accept_header(client, value, media):
    response = client.get("/id/city/rouen", params={"format": value}, headers={"Accept": "image/png"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media


def test_an_unknown_format_parameter_is_a_400_naming_the_valid_values(client):
    response = client.get("/id/city/rouen", params={"format": "yaml"})
    assert response.status_code == 400
    assert "ttl" in response.text and "jsonld" in response.text


def test_an_accept_header_offering_nothing_we_have_is_a_406_naming_what_is_offered(client):
    response = client.get("/id/city/rouen", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_every_answer_links_every_other_form_and_the_licence(client):
    response = client.get("/id/city/rouen", headers={"Accept": "text/turtle"})
    rels = links(response)
    assert rels["license"] == {str(LICENCE)}
    assert rels["alternate"] == {"/id/city/rouen.html text/html", "/id/city/rouen.jsonld application/ld+json",
                                 "/id/city/rouen.nt application/n-triples", "/id/city/rouen.rdf application/rdf+xml"}


def test_the_html_page_names_every_rdf_form_as_a_link_alternate(client):
    page = client.get("/id/city/rouen", headers={"Accept": BROWSER}).text
    for ext, media in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples"),
                       ("rdf", "application/rdf+xml")):
        assert f'<link rel="alternate" type="{media}" href="/id/city/rouen.{ext}"' in page
    assert '<link rel="license" href="http://creativecommons.org/licenses/by/4.0/">' in page


def test_head_answers_like_get_without_a_body(client):
    get = client.get("/id/city/rouen", headers={"Accept": "text/turtle"})
    head = client.head("/id/city/rouen", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-location"] == get.headers["content-location"]


# ------------------------------------------------------------------------------------------ what exists

@pytest.mark.parametrize("path", ["/id/city/atlantis", "/id/city/atlantis.ttl", "/scheme/no-such-scheme",
                                  "/id/nothing/here/at/all"])
def test_unknown_iris_are_404_in_every_format(client, path):
    for accept in ("text/turtle", "application/ld+json", BROWSER):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 404, (path, accept)


def test_an_unknown_iri_gets_a_helpful_page_in_a_browser(client):
    response = client.get("/id/city/bristoll", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/id/city/bristol"' in response.text  # "did you mean"
    assert 'href="/list/cities"' in response.text


def test_nothing_redirects(client, hannover):
    assert not client.follow_redirects  # a redirect would be followed out of sight
    paths = ["/id/city/bristol", "/id/city/bristol.ttl", "/def", "/def.ttl", "/scheme/partnership-type",
             "/id/city/atlantis", "/dataset", "/ontology", "/catalog", "/.well-known/void"]
    for path in paths:
        for accept in ("text/turtle", BROWSER, "application/ld+json"):
            assert client.get(path, headers={"Accept": accept}).status_code not in (301, 302, 303, 307, 308), path


def test_every_instance_and_concept_iri_in_the_data_dereferences_to_its_own_statements(client, hannover):
    rows = hannover.select(f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && (STRSTARTS(STR(?s), "{BASE}id/") '
                           f'|| STRSTARTS(STR(?s), "{BASE}scheme/"))) }}')
    assert len(rows) > 100
    for row in rows:
        iri = row["s"].value
        response = client.get("/" + iri[len(BASE):], headers={"Accept": "application/n-triples"})
        assert response.status_code == 200, iri
        served = {ox.Triple(q.subject, q.predicate, q.object)
                  for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)}
        stored = {ox.Triple(q.subject, q.predicate, q.object) for q in hannover.quads() if q.subject.value == iri}
        assert stored <= served, iri


def test_a_concept_scheme_and_its_concepts_dereference(client):
    scheme = parse(client.get("/scheme/partnership-type", headers={"Accept": "text/turtle"}), "text/turtle")
    twin = URIRef(BASE + "scheme/partnership-type/twin-city")
    assert (URIRef(BASE + "scheme/partnership-type"), URIRef("http://www.w3.org/2004/02/skos/core#hasTopConcept"), twin) in scheme
    concept = parse(client.get("/scheme/partnership-type/twin-city.ttl"), "text/turtle")
    assert (twin, RDFS.label, rdflib.Literal("Städtepartnerschaft", lang="de")) in concept


@pytest.mark.parametrize("media", sorted(RDF_TYPES))
def test_the_ontology_iri_serves_the_ontology_by_negotiation(client, media):
    response = client.get("/def", headers={"Accept": media})
    assert response.status_code == 200 and "Accept" in response.headers["vary"]
    graph = parse(response, media)
    assert (URIRef("https://w3id.org/hki/def"), RDF.type, OWL.Ontology) in graph
    assert (HKI.Partnership, RDF.type, OWL.Class) in graph
    assert (URIRef(BASE + "dataset"), DCT.license, LICENCE) in graph


def test_the_ontology_iri_in_a_browser_is_the_documentation(client):
    response = client.get("/def", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-location"] == "/def.html"
    assert "Partnership" in response.text or "Partnerschaft" in response.text


def test_the_dataset_iri_dereferences_to_its_description(client):
    graph = parse(client.get("/dataset", headers={"Accept": "text/turtle"}), "text/turtle")
    assert (URIRef(BASE + "dataset"), RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in graph


def test_resources_we_did_not_mint_are_described_at_resource(client):
    response = client.get("/resource", params={"iri": "http://metadata.un.org/sdg/13", "format": "ttl"})
    graph = parse(response, "text/turtle")
    sdg = URIRef("http://metadata.un.org/sdg/13")
    assert (sdg, URIRef("http://www.w3.org/2004/02/skos/core#notation"), rdflib.Literal("13")) in graph
    assert any(graph.subjects(HKI.addressesSDG, sdg))  # incoming: goals and measures
    assert client.get("/resource", params={"iri": "not an iri"}).status_code == 400


# ------------------------------------------------------------------------------------------ bounds

def test_incoming_links_are_bounded_and_the_description_points_to_the_rest(hannover):
    describer = Describer(hannover)
    cut = describer.describe(str(HANNOVER), incoming_limit=3)
    assert cut.truncated and cut.incoming_shown == 3 and cut.incoming_total > 3
    triples = see_also(cut, "http://testserver/id/city/hannover?incoming=all")
    assert ox.Triple(ox.NamedNode(str(HANNOVER)), ox.NamedNode(str(RDFS.seeAlso)),
                     ox.NamedNode("http://testserver/id/city/hannover?incoming=all")) in triples
    full = describer.describe(str(HANNOVER), incoming_limit=10_000)
    assert not full.truncated and full.incoming_shown == cut.incoming_total


def test_all_incoming_links_are_served_on_request(client):
    default = parse(client.get("/id/city/hannover.ttl"), "text/turtle")
    everything = parse(client.get("/id/city/hannover.ttl", params={"incoming": "all"}), "text/turtle")
    assert set(default) <= set(everything)


# ------------------------------------------------------------------------------------------ another base

def test_a_city_with_its_own_base_is_served_under_this_servers_paths(make_client):
    city = Path(__file__).resolve().parents[1] / "fixtures" / "second-city" / "hki.toml"
    with make_client(load_settings(city, environ={}), own_store=True) as second:
        response = second.get("/id/city/musterstadt", headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        graph = parse(response, "text/turtle")
        assert (URIRef("https://data.musterstadt.example/id/city/musterstadt"), RDF.type, SCHEMA.City) in graph
        assert second.get("/id/city/bristol", headers={"Accept": "text/turtle"}).status_code == 404
