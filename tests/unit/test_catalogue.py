"""The dataset describes itself: VoID at /.well-known/void, a DCAT-AP.de catalogue at /catalog and in
the build, checked with SHACL shapes for DCAT-AP.de's mandatory and recommended properties
(tests/fixtures/dcat-ap-de-shapes.ttl), and /downloads listing the dumps with their checksums."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib import RDF, URIRef

from graph.build import build
from graph.load.validation import validate_graph

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "dcat-ap-de-shapes.ttl"
BASE = "https://w3id.org/hki/"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(BASE + "dataset")


@pytest.fixture(scope="module")
def dist(tmp_path_factory, settings) -> Path:
    out = tmp_path_factory.mktemp("catalogue") / "dist"
    report, _ = build(settings, out)
    assert report.conforms
    return out


@pytest.fixture(scope="module")
def client(make_client, settings, dist) -> Iterator[TestClient]:
    """The app in English, with /downloads listing the build in `dist`."""
    with make_client(replace(settings, lang="en"), dist_dir=dist) as test_client:
        yield test_client


def conformance(graph: rdflib.Graph) -> list[str]:
    shapes = rdflib.Graph().parse(SHAPES)
    return [f"{v.severity}: {v.focus} {v.path}: {v.message}" for v in validate_graph(graph, shapes=shapes)]


@pytest.mark.parametrize("path,fmt,media", [("/catalog", "turtle", "text/turtle"),
                                            ("/catalog", "xml", "application/rdf+xml"),
                                            ("/.well-known/void", "turtle", "text/turtle"),
                                            ("/.well-known/void", "json-ld", "application/ld+json")])
def test_the_served_catalogue_meets_the_dcat_ap_de_and_void_shapes_without_even_a_warning(client, path, fmt, media):
    response = client.get(path, headers={"Accept": media})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert conformance(rdflib.Graph().parse(data=response.content, format=fmt)) == []


def test_the_built_catalogue_files_meet_the_shapes(dist):
    for name, fmt in (("catalog.rdf", "xml"), ("catalog.ttl", "turtle"), ("void.ttl", "turtle")):
        assert conformance(rdflib.Graph().parse(dist / name, format=fmt)) == [], name


def test_the_shapes_catch_a_catalogue_without_licence_or_title(client):
    graph = rdflib.Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).content, format="turtle")
    for distribution in list(graph.subjects(RDF.type, DCAT.Distribution))[:1]:
        graph.remove((distribution, DCT.license, None))
    graph.remove((DATASET, DCT.title, None))
    problems = conformance(graph)
    assert any("dct:license from the DCAT-AP.de licence list is mandatory" in p for p in problems)
    assert any("dataset: dct:title is mandatory" in p for p in problems)


def test_each_distribution_states_size_checksum_media_type_and_a_dcat_ap_de_licence(client, dist):
    graph = rdflib.Graph().parse(data=client.get("/catalog?format=ttl").content, format="turtle")
    distributions = set(graph.objects(DATASET, DCAT.distribution))
    assert {str(d).rsplit("/", 1)[-1] for d in distributions} == {"hki.ttl", "hki.nt.gz", "hki.jsonld", "hki.rdf", "hki.trig"}
    for d in distributions:
        file = dist / str(d).rsplit("/", 1)[-1]
        assert int(graph.value(d, DCAT.byteSize)) == file.stat().st_size
        assert str(graph.value(graph.value(d, SPDX.checksum), SPDX.checksumValue)) == hashlib.sha256(file.read_bytes()).hexdigest()
        assert graph.value(d, DCT.license) == URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")
        assert str(graph.value(d, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")


def test_the_catalogue_gives_spatial_and_temporal_coverage_and_eu_themes(client):
    graph = rdflib.Graph().parse(data=client.get("/catalog?format=ttl").content, format="turtle")
    assert set(graph.objects(DATASET, DCT.spatial)) >= {URIRef(BASE + "id/city/hannover"),
                                                       URIRef("https://sws.geonames.org/2910831/")}
    period = graph.value(DATASET, DCT.temporal)
    assert str(graph.value(period, DCAT.startDate)) == "1947"
    assert str(graph.value(period, DCAT.endDate)) >= "2028"
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/INTR") in set(graph.objects(DATASET, DCAT.theme))
    catalog = URIRef(BASE + "catalog")
    assert (catalog, DCAT.dataset, DATASET) in graph


def test_the_void_link_sets_count_the_links_to_wikidata_and_geonames(client, hannover):
    graph = rdflib.Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).content,
                                 format="turtle")
    for target, space in (("wikidata", "http://www.wikidata.org/entity/"), ("geonames", "https://sws.geonames.org/")):
        expected = len(hannover.select(f'SELECT ?s WHERE {{ ?s <http://www.w3.org/2002/07/owl#sameAs> ?o '
                                       f'FILTER(STRSTARTS(STR(?o), "{space}")) }}'))
        assert expected > 5
        assert int(graph.value(URIRef(f"{BASE}dataset/links-{target}"), VOID.triples)) == expected
    assert (DATASET, VOID.sparqlEndpoint, URIRef(BASE + "sparql")) in graph
    assert len(set(graph.objects(DATASET, VOID.dataDump))) == 5


def test_the_catalogue_page_for_people_shows_the_description(client):
    response = client.get("/catalog", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "dcat:Catalog" in response.text


def test_the_downloads_page_lists_every_dump_with_size_and_checksum(client, dist):
    page = client.get("/downloads").text
    for line in (dist / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        if name.startswith("hki."):
            assert f'href="/downloads/{name}"' in page and digest in page
    assert client.get("/downloads/hki.ttl").content == (dist / "hki.ttl").read_bytes()


def test_the_downloads_page_says_how_to_build_when_nothing_is_built(make_client, settings, tmp_path):
    with make_client(replace(settings, lang="en"), dist_dir=tmp_path) as empty:
        assert "kg build" in empty.get("/downloads?lang=en").text


def test_void_names_the_ontology_iri_as_vocabulary_and_every_hki_term_it_uses_is_declared(client, hannover):
    graph = rdflib.Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).content, format="turtle")
    vocabularies = {str(o) for o in graph.objects(DATASET, VOID.vocabulary)}
    assert "https://w3id.org/hki/def" in vocabularies and "https://w3id.org/hki/def#" not in vocabularies
    ontology = rdflib.Graph().parse(Path(__file__).resolve().parents[2] / "ontology" / "hki.ttl")
    declared = set(ontology.subjects(rdflib.RDFS.isDefinedBy, URIRef("https://w3id.org/hki/def")))
    meta = {t for q in hannover.quads() if q.graph_name.value == BASE + "graph/meta"
            for t in (q.predicate.value,)}
    used = {URIRef(p) for p in meta | {str(p) for p in graph.predicates()} if p.startswith("https://w3id.org/hki/def#")}
    assert used and used <= declared, used - declared
