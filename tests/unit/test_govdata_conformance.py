"""The catalogue passes the official DCAT-AP.de shapes, checked the way GovData's validator checks it.

The shapes and the vocabularies they import are third-party files outside this repository, in the
workplace's `shared/standards/dcat-ap-de/` (found beside the project or above it; or named by
HKI_DCAT_AP_DE_DIR). Its README says how to validate: pySHACL, no inference, advanced, warnings allowed,
owl:imports off, the vocabularies merged into the data graph. In CI a missing folder fails the tests;
elsewhere they are skipped with a message saying what they need.

Three lists the shapes check against are not available offline (the EU language and access-right lists,
DCAT-AP.de's hash-algorithm list) and neither are DCAT-AP.de's lists of municipality keys and data
providers: `STATED_CONCEPTS` states the few concepts of them the catalogue uses, as the README allows.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyshacl
import pytest
import rdflib
import rdflib.compare
from fastapi.testclient import TestClient
from rdflib import RDF, URIRef

from graph.build import build

ROOT = Path(__file__).resolve().parents[2]
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCATDE = rdflib.Namespace("http://dcat-ap.de/def/dcatde/")
CONTRIBUTOR = "http://dcat-ap.de/def/contributors/hkiTestCity"  # a test value: GovData issues the real one

V20 = ["dcat-ap-de-imports.ttl", "dcat-ap-spec-german-messages.ttl", "dcat-ap-spec-german-additions.ttl",
       "dcat-ap-de-deprecated.ttl", "dcat-ap_2.1.1_shacl_shapes.ttl"]
PROFILES = {
    "2.0 Spezifikation": ("v20", V20),
    "2.0 Spezifikation + Konventionen": ("v20", V20 + ["dcat-ap-konventionen.ttl"]),
    "3.0": ("v30", ["dcat-ap-SHACL.ttl", "dcat-ap-SHACL-DE.ttl", "dcat-ap-de-controlledvocabularies.ttl",
                    "dcat-ap-de-deprecated.ttl", "dcat-ap-de-imports.ttl", "dcat-ap-spec-german-additions.ttl"]),
}
# Concepts of the lists that are not available offline, as the lists state them (see the module docstring).
STATED_CONCEPTS = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://publications.europa.eu/resource/authority/language/DEU> skos:inScheme <http://publications.europa.eu/resource/authority/language> .
<http://publications.europa.eu/resource/authority/language/ENG> skos:inScheme <http://publications.europa.eu/resource/authority/language> .
<http://publications.europa.eu/resource/authority/access-right/PUBLIC> skos:inScheme <http://publications.europa.eu/resource/authority/access-right> .
<http://dcat-ap.de/def/hashAlgorithms/sha/256> skos:inScheme <http://dcat-ap.de/def/hashAlgorithms> .
<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/03241001> skos:inScheme <http://dcat-ap.de/def/politicalGeocoding/municipalityKey> .
<http://dcat-ap.de/def/politicalGeocoding/Level/municipality> skos:inScheme <http://dcat-ap.de/def/politicalGeocoding/Level> .
<http://dcat-ap.de/def/contributors/hkiTestCity> skos:inScheme <http://dcat-ap.de/def/contributors> .
"""


def standards_dir() -> Path:
    named = os.environ.get("HKI_DCAT_AP_DE_DIR")
    # beside or above the project (the workplace's layout), else where the workplace keeps it
    candidates = [Path(named)] if named else [p / "shared" / "standards" / "dcat-ap-de" for p in ROOT.parents] + [
        Path("/work/shared/standards/dcat-ap-de")]
    for candidate in candidates:
        if (candidate / "shapes" / "v20").is_dir() and (candidate / "vocab").is_dir():
            return candidate
    message = ("these tests need GovData's official DCAT-AP.de shapes and vocabularies (shared/standards/dcat-ap-de/ "
               f"beside or above {ROOT}, or a folder named by HKI_DCAT_AP_DE_DIR); looked in: "
               + ", ".join(str(c) for c in candidates))
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def standards() -> Path:
    return standards_dir()


@pytest.fixture(scope="module")
def vocabularies(standards) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((standards / "vocab").iterdir()):
        graph.parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    return graph.parse(data=STATED_CONCEPTS, format="turtle")


@pytest.fixture(scope="module")
def shapes(standards) -> dict[str, rdflib.Graph]:
    out = {}
    for name, (folder, files) in PROFILES.items():
        graph = rdflib.Graph()
        for file in files:
            graph.parse(standards / "shapes" / folder / file, format="turtle")
        out[name] = graph
    return out


def results(catalogue: rdflib.Graph, shapes: rdflib.Graph, vocabularies: rdflib.Graph) -> list[tuple[str, str, str, str]]:
    """(severity, focus node, path, message) of every result, as GovData's validator would list them."""
    data = rdflib.Graph()
    data += catalogue
    data += vocabularies
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
                                    do_owl_imports=False)
    return sorted({(str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1], str(report.value(r, SH.focusNode)),
                    str(report.value(r, SH.resultPath)), str(report.value(r, SH.resultMessage)))
                   for r in report.subjects(RDF.type, SH.ValidationResult)})


def violations(catalogue, shapes, vocabularies) -> list[tuple[str, str, str, str]]:
    return [r for r in results(catalogue, shapes, vocabularies) if r[0] == "Violation"]


@pytest.fixture(scope="module")
def govdata_settings(settings):
    return replace(settings, contributor_id=CONTRIBUTOR)


@pytest.fixture(scope="module")
def dist(tmp_path_factory, govdata_settings) -> Path:
    out = tmp_path_factory.mktemp("govdata") / "dist"
    report, _ = build(govdata_settings, out)
    assert report.conforms
    return out


@pytest.fixture(scope="module")
def client(make_client, govdata_settings, dist) -> Iterator[TestClient]:
    with make_client(govdata_settings, dist_dir=dist) as test_client:
        yield test_client


def built(dist: Path, name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(dist / name, format="xml" if name.endswith(".rdf") else "turtle")


@pytest.mark.parametrize("file", ["catalog.rdf", "catalog.ttl"])
@pytest.mark.parametrize("profile", ["2.0 Spezifikation", "2.0 Spezifikation + Konventionen"])
def test_the_built_catalogue_passes_the_official_dcat_ap_de_2_0_shapes(dist, shapes, vocabularies, file, profile):
    assert results(built(dist, file), shapes[profile], vocabularies) == []  # not even a warning


@pytest.mark.parametrize("file", ["catalog-dcat-ap-de-3.0.rdf", "catalog-dcat-ap-de-3.0.ttl"])
def test_the_built_3_0_catalogue_passes_the_official_dcat_ap_de_3_0_shapes(dist, shapes, vocabularies, file):
    assert results(built(dist, file), shapes["3.0"], vocabularies) == []


@pytest.mark.parametrize("ask,profile", [({"params": {}}, "2.0 Spezifikation + Konventionen"),
                                         ({"params": {"profile": "3.0"}}, "3.0"),
                                         ({"headers": {"Accept-Profile": "<http://dcat-ap.de/def/dcatde/3.0>"}}, "3.0"),
                                         ({"headers": {"Accept-Profile": "<http://dcat-ap.de/def/dcatde/2.0>"}},
                                          "2.0 Spezifikation + Konventionen")])
@pytest.mark.parametrize("path", ["/catalog", "/dataset"])
def test_the_served_catalogue_passes_the_shapes_of_the_profile_asked_for(client, shapes, vocabularies, path, ask, profile):
    headers = {"Accept": "application/rdf+xml", **ask.get("headers", {})}
    response = client.get(path, params=ask.get("params", {}), headers=headers)
    assert response.status_code == 200
    version = "3.0" if profile == "3.0" else "2.0"
    assert response.headers["content-profile"] == f"<http://dcat-ap.de/def/dcatde/{version}>"
    graph = rdflib.Graph().parse(data=response.content, format="xml")
    assert violations(graph, shapes[profile], vocabularies) == []
    assert len(list(graph.subjects(RDF.type, DCAT.Distribution))) == 5


def test_the_2_0_catalogue_fails_the_3_0_shapes_where_they_differ(dist, shapes, vocabularies):
    """The two versions disagree (byte size type); that is why there are two profiles, not one catalogue."""
    problems = violations(built(dist, "catalog.ttl"), shapes["3.0"], vocabularies)
    assert problems and all(path == str(DCAT.byteSize) for _, _, path, _ in problems)


def test_without_a_contributor_id_the_konventionen_say_what_govdata_misses(make_client, settings, tmp_path, shapes, vocabularies):
    out = tmp_path / "dist"
    build(settings, out)  # the shipped settings: no contributor_id (GovData issues it)
    problems = violations(built(out, "catalog.ttl"), shapes["2.0 Spezifikation + Konventionen"], vocabularies)
    assert [path for _, _, path, _ in problems] == [str(DCATDE.contributorID)]
    assert violations(built(out, "catalog.ttl"), shapes["2.0 Spezifikation"], vocabularies) == []


def test_the_official_shapes_catch_a_broken_catalogue(dist, shapes, vocabularies):
    graph = built(dist, "catalog.ttl")
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    graph.remove((dataset, DCT.title, None))
    for distribution in graph.subjects(RDF.type, DCAT.Distribution):
        graph.remove((distribution, DCAT.byteSize, None))
        graph.add((distribution, DCAT.byteSize, rdflib.Literal("12", datatype=rdflib.XSD.nonNegativeInteger)))
    paths = {path for _, _, path, _ in violations(graph, shapes["2.0 Spezifikation"], vocabularies)}
    assert {str(DCT.title), str(DCAT.byteSize)} <= paths


def test_an_unknown_profile_is_refused_naming_the_valid_ones(client):
    response = client.get("/catalog", params={"profile": "9.9"})
    assert response.status_code == 400
    assert "2.0" in response.text and "3.0" in response.text and "9.9" in response.text


def minted(graph: rdflib.Graph, base: str) -> set[str]:
    terms = {t for triple in graph for t in triple if isinstance(t, URIRef)}
    return {str(t).split("#", 1)[0] for t in terms if str(t).startswith(base)}


def test_every_iri_the_catalogue_and_the_service_description_mint_dereferences(client, govdata_settings):
    base = govdata_settings.base
    iris: set[str] = set()
    for params in ({}, {"profile": "3.0"}):
        iris |= minted(rdflib.Graph().parse(data=client.get("/catalog", params=params, headers={"Accept": "text/turtle"}).content,
                                            format="turtle"), base)
    iris |= minted(rdflib.Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).content,
                                        format="turtle"), base)
    for part in ("dataset/publisher", "dataset/contact", "dataset/temporal", "catalog", "sparql", "graph/data",
                 "downloads/hki.ttl", "def"):
        assert base + part in iris, part  # the catalogue mints them: the check below covers them
    for iri in sorted(iris):
        path = "/" + iri[len(base):]
        for accept in ("text/turtle", "text/html"):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 200, (iri, accept, response.text[:200])


@pytest.mark.parametrize("part,predicate", [("dataset/contact", "http://www.w3.org/2006/vcard/ns#fn"),
                                            ("dataset/temporal", "http://www.w3.org/ns/dcat#startDate"),
                                            ("dataset/publisher", "http://xmlns.com/foaf/0.1/name")])
def test_a_part_of_the_dataset_description_dereferences_to_its_statements(client, govdata_settings, part, predicate):
    response = client.get("/" + part, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    assert graph.value(URIRef(govdata_settings.base + part), URIRef(predicate)) is not None


def test_the_dataset_iri_serves_the_whole_dcat_description_not_only_void(client, govdata_settings):
    graph = rdflib.Graph().parse(data=client.get("/dataset", headers={"Accept": "text/turtle"}).content, format="turtle")
    dataset = URIRef(govdata_settings.base + "dataset")
    for predicate in (DCAT.distribution, DCAT.keyword, DCAT.theme, DCAT.contactPoint, DCT.publisher,
                      URIRef("http://rdfs.org/ns/void#triples")):
        assert graph.value(dataset, predicate) is not None, predicate
    catalogue = rdflib.Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).content, format="turtle")
    assert rdflib.compare.isomorphic(graph, catalogue)  # one description, at both addresses


# ------------------------------------------------------------------------------------------ the publisher's settings

def test_the_publisher_and_contact_are_the_city_not_the_software(client):
    graph = rdflib.Graph().parse(data=client.get("/dataset/publisher", headers={"Accept": "text/turtle"}).content,
                                 format="turtle")
    names = {str(o) for o in graph.objects(None, URIRef("http://xmlns.com/foaf/0.1/name"))}
    assert names == {"Landeshauptstadt Hannover"}
    contact = rdflib.Graph().parse(data=client.get("/dataset/contact", headers={"Accept": "text/turtle"}).content,
                                   format="turtle")
    urls = {str(o) for o in contact.objects(None, URIRef("http://www.w3.org/2006/vcard/ns#hasURL"))}
    assert urls and all(u.startswith("https://www.hannover.de/") for u in urls)


def test_another_citys_folder_does_not_inherit_hannovers_publisher(tmp_path):
    from graph.config import ConfigError, load_settings

    (tmp_path / "data").mkdir()
    config = tmp_path / "hki.toml"
    config.write_text('[hki]\nbase = "https://data.example.org/"\ndata_dir = "data"\npublisher = "Stadt Beispielstadt"\n',
                      encoding="utf-8")
    settings = load_settings(config, environ={})
    assert settings.publisher == "Stadt Beispielstadt"
    assert (settings.municipality_key, settings.contact_url, settings.publisher_url) == ("", "", "")
    config.write_text('[hki]\ndata_dir = "data"\n', encoding="utf-8")
    assert load_settings(config, environ={}).publisher == ""  # the catalogue names the data's city administration


def test_without_a_publisher_setting_the_catalogue_names_the_city_administration_of_the_data(make_client, settings):
    with make_client(replace(settings, publisher="")) as client:
        graph = rdflib.Graph().parse(data=client.get("/dataset/publisher", headers={"Accept": "text/turtle"}).content,
                                     format="turtle")
    names = {str(o) for o in graph.objects(None, URIRef("http://xmlns.com/foaf/0.1/name"))}
    assert names == {"Landeshauptstadt Hannover"}  # orgn:lhh's German label in graph/data/organisations.ttl


@pytest.mark.parametrize("setting,value,hint", [("contributor_id", "hannover", "http://dcat-ap.de/def/contributors/"),
                                                ("municipality_key", "3241001", "8-digit"),
                                                ("issued", "2026-13-01", "YYYY-MM-DD"),
                                                ("contact_email", "not an address", "e-mail")])
def test_a_bad_publisher_setting_is_named_with_what_is_valid(tmp_path, setting, value, hint):
    from graph.config import ConfigError, load_settings

    config = tmp_path / "hki.toml"
    config.write_text(f'[hki]\n{setting} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert setting in str(caught.value) and hint in str(caught.value) and str(config) in str(caught.value)


def test_kg_build_says_that_govdata_needs_a_contributor_id(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "graph.cli", "build", "--out", str(tmp_path / "dist")],
                            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "200"},
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "contributor_id" in result.stdout and "GovData" in result.stdout
