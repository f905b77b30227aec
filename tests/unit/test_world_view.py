"""The explorer's world layer as values (graph/views/explorer.py: world_view, world_partners, world_candidates,
world_map_places) and as the JSON of /api/explore/world and /api/explore/world/map: the candidate partners are
the home city page's, with the reason in the page's words; the search gets both languages' names; the map gets
the places only Wikidata names that have coordinates.

Over a small context (tests/fixtures/context/wdqs-world-layer.json: Hannover's twinnings in the shared extract
and those of its five candidate partners there) beside the shipped data.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.explore import candidate_reason
from graph.analysis.world_network import read_world_network
from graph.build import open_store
from graph.views.context import ContextItem, ContextLayer, WorldNetwork
from graph.views.explorer import WORLD_FIELDS, world_map_places, world_view

WORLD_LAYER = Path(__file__).resolve().parents[1] / "fixtures" / "context" / "wdqs-world-layer.json"
W = "http://www.wikidata.org/entity/"


def _store_with(tmp_path_factory, settings, answer: Path):
    """A store of the shipped data with `answer` (a WDQS fixture) imported as its context."""
    from graph.context.importer import import_files

    folder = tmp_path_factory.mktemp(answer.stem)
    import_files([answer], None, folder)
    store = open_store(replace(settings, context_dir=folder, lang="de"))
    yield store
    store.close()


@pytest.fixture(scope="module")
def world_store(tmp_path_factory, settings):
    yield from _store_with(tmp_path_factory, settings, WORLD_LAYER)


@pytest.fixture(scope="module")
def layer(world_store):
    return ContextLayer(world_store).world()


@pytest.fixture(scope="module")
def network(world_store):
    return read_world_network(world_store)


@pytest.fixture(scope="module")
def client(world_store, settings):
    with TestClient(create_app(replace(settings, lang="de"), kstore=world_store)) as test_client:
        yield test_client


def rows(view: dict) -> dict[str, dict]:
    """The view's nodes by QID, as dicts of its fields."""
    return {n[0]: dict(zip(view["fields"], n)) for n in view["nodes"]}


def test_the_candidates_are_the_home_city_page_s_ranked_by_shared_partners_then_name(layer, network):
    view = world_view(layer, "de", network=network)
    by_row = {i: n for i, n in enumerate(view["nodes"])}
    assert [(c["rank"], by_row[c["node"]][0], c["label"], c["count"]) for c in view["candidates"]] == [
        (1, "Q1492", "Barcelona", 2), (2, "Q14960", "Brünn", 2), (3, "Q487704", "Honolulu", 2),
        (4, "Q459", "Plowdiw", 2), (5, "Q174", "São Paulo", 2)]
    assert view["candidates_total"] == 5
    barcelona = view["candidates"][0]
    assert [(by_row[p["node"]][0], p["label"], p["only_wikidata"]) for p in barcelona["partners"]] == [
        ("Q340", "Montreal", True), ("Q6730", "Perpignan", False)]
    assert barcelona["wikidata"]  # its twinnings are known only from Wikidata


def test_the_home_city_s_twin_cities_say_how_each_is_known(layer, network):
    view = world_view(layer, "de", network=network)
    qid = {i: n[0] for i, n in enumerate(view["nodes"])}
    partners = {qid[row]: source for row, source in view["partners"]}
    assert partners["Q23154"] == "both"  # Bristol: the city's own data and Wikidata
    assert partners["Q41819"] == partners["Q340"] == partners["Q1491"] == "wikidata"  # Kansas City, Montreal, La Paz
    assert len(partners) == 10 and "Q1715" not in partners
    assert view["home"] == ["Q1715"]
    nodes = rows(view)
    assert nodes["Q1715"]["kind"] == "home" and nodes["Q23154"]["kind"] == "curated"
    assert nodes["Q23154"]["curated"] == "https://w3id.org/hki/id/city/bristol"
    assert nodes["Q1492"]["kind"] == "context" and nodes["Q1492"]["curated"] == ""


def test_each_place_carries_its_other_language_s_name_for_the_search_only_where_it_differs(layer):
    german, english = rows(world_view(layer, "de")), rows(world_view(layer, "en"))
    assert (german["Q14960"]["label"], german["Q14960"]["other"]) == ("Brünn", "Brno")
    assert (english["Q14960"]["label"], english["Q14960"]["other"]) == ("Brno", "Brünn")
    assert german["Q1492"]["other"] == ""  # Barcelona in both languages
    assert list(WORLD_FIELDS)[-1] == "other"  # a new field goes last: older readers of the rows keep working


def test_the_layer_looks_the_same_with_or_without_the_candidates(layer, network):
    plain, with_candidates = world_view(layer, "de"), world_view(layer, "de", network=network)
    assert [n[:1] + n[2:6] for n in plain["nodes"]] == [n[:1] + n[2:6] for n in with_candidates["nodes"]]
    assert plain["edges"] == with_candidates["edges"]
    assert plain["candidates"] == [] and plain["partners"] == []


def test_a_curated_city_carries_the_city_s_own_names_as_on_its_page(layer, network):
    english = rows(world_view(layer, "en", network=network))
    assert english["Q1715"]["label"] == "Hannover"  # the city's own English name; the context says "Hanover"
    assert rows(world_view(layer, "en"))["Q1715"]["label"] == "Hanover"  # without the merged network: the context's
    assert english["Q1492"]["label"] == "Barcelona"  # a place only Wikidata names keeps Wikidata's name
    german = world_view(layer, "de", network=network)
    assert rows(german)["Q268"]["label"] == "Poznań"  # the city's own name; Wikidata's German one is "Posen" …
    qid = {i: n[0] for i, n in enumerate(german["nodes"])}
    assert ["Q268", "Posen"] in [[qid[row], name] for row, name in german["aliases"]]  # … which the search finds


def test_the_reason_is_the_home_city_page_s_sentence_in_either_language(layer, network):
    view = world_view(layer, "de", network=network)
    assert candidate_reason(view["candidates"][0], "Hannover", "de") == (
        "Barcelona ist laut Wikidata Partnerstadt von Montreal (nur laut Wikidata Partnerstadt von Hannover) "
        "und Perpignan.")
    english = world_view(layer, "en", network=network)
    assert candidate_reason(english["candidates"][1], "Hanover", "en") == (
        "According to Wikidata, Brno is twinned with Leipzig and Poznań.")


def test_the_map_gets_the_places_only_wikidata_names_that_have_coordinates(layer):
    found = world_map_places(layer, "de")
    places = {p[0]: dict(zip(found["fields"], p)) for p in found["places"]}
    assert places["Q1492"] == {"qid": "Q1492", "label": "Barcelona", "lat": 41.3874, "lon": 2.1686, "twins": 4}
    assert "Q41819" in places and "Q340" in places  # Kansas City, Montreal: only Wikidata twins them with Hannover
    assert "Q23154" not in places and "Q1715" not in places  # curated cities are on the map as the city's own
    assert "Q365" not in places  # Köln states no twinning here, so the answer gives it no coordinates
    assert found["total"] == len(found["places"]) == 12  # 21 items, 8 of them curated, Köln without


def test_a_coordinate_off_the_globe_is_left_off_the_map_rather_than_drawn_somewhere():
    items = {W + "Q1": ContextItem(W + "Q1", "Q1", (("Somewhere", "de"),), lat=95.0, lon=10.0),
             W + "Q2": ContextItem(W + "Q2", "Q2", (("Here", "de"),), lat=50.0, lon=10.0)}
    assert [p[0] for p in world_map_places(WorldNetwork(items), "de")["places"]] == ["Q2"]


def test_the_world_json_names_the_candidates_with_their_reason_in_the_asked_language(client):
    answer = client.get("/api/explore/world", params={"lang": "en"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    data = answer.json()
    first = data["candidates"][0]
    assert set(first) == {"node", "rank", "count", "reason"}  # compact: the names are in the rows already
    assert data["nodes"][first["node"]][1] == "Barcelona" and first["rank"] == 1
    assert first["reason"] == ("According to Wikidata, Barcelona is twinned with Montreal (twinned with Hannover only "
                               "according to Wikidata) and Perpignan.")
    assert client.get("/api/explore/world", params={"lang": "en"}).content == answer.content  # kept, not recomputed
    german = client.get("/api/explore/world").json()  # the site's language
    assert german["candidates"][0]["reason"].startswith("Barcelona ist laut Wikidata Partnerstadt von Montreal")


def test_the_world_map_json_lists_the_places_with_coordinates(client):
    data = client.get("/api/explore/world/map", params={"lang": "en"}).json()
    assert data["fields"] == ["qid", "label", "lat", "lon", "twins"]
    assert ["Q14960", "Brno", 49.1951, 16.6068, 3] in data["places"]
    assert client.get("/api/explore/world/map", params={"lang": "fr"}).status_code == 422


WITH_COUNTRIES = WORLD_LAYER.with_name("wdqs-world-layer-countries.json")


@pytest.fixture(scope="module")
def countries_store(tmp_path_factory, settings):
    yield from _store_with(tmp_path_factory, settings, WITH_COUNTRIES)


def test_without_countries_in_the_context_the_layer_offers_no_country_to_filter_by(layer, network):
    assert world_view(layer, "de", network=network)["countries"] == []  # the 2016 extract's form: no country


def test_a_wdqs_import_with_countries_names_each_country_with_its_places_by_name(countries_store):
    world = ContextLayer(countries_store).world()
    view = world_view(world, "de", network=read_world_network(countries_store))
    qid = {i: n[0] for i, n in enumerate(view["nodes"])}
    countries = {c["qid"]: (c["label"], sorted(qid[row] for row in c["places"])) for c in view["countries"]}
    assert countries["Q142"] == ("Frankreich", ["Q1479", "Q30974", "Q6730"])  # Bordeaux, Rouen, Perpignan
    assert countries["Q183"] == ("Deutschland", ["Q1715", "Q2079"])  # Hannover (curated: one row) and Leipzig
    labels = [c["label"] for c in view["countries"]]
    assert labels == sorted(labels, key=str.casefold) and labels[0] == "Bolivien"
    # WDQS gives the country of the stating city: Köln and Blantyre state no twinning here, so they have none
    placed = {qid[row] for c in view["countries"] for row in c["places"]}
    assert "Q365" not in placed and "Q188693" not in placed and len(placed) == 19
    assert {c["qid"]: c["label"] for c in world_view(world, "en")["countries"]}["Q145"] == "United Kingdom"


def test_the_world_json_carries_the_countries_for_the_filter(countries_store, settings):
    with TestClient(create_app(replace(settings, lang="de"), kstore=countries_store)) as test_client:
        data = test_client.get("/api/explore/world", params={"lang": "en"}).json()
    spain = next(c for c in data["countries"] if c["qid"] == "Q29")
    assert spain["label"] == "Spain" and sorted(data["nodes"][row][1] for row in spain["places"]) == ["Barcelona", "Figueres"]
