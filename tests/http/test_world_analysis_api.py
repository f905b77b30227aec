"""The analysis API answers a page at a time, and the world network's answers (/api/analysis/world/…) and the
home city's page show candidate partners with their reasons, marked "laut Wikidata".

The store: the shipped data with a small fictional Wikidata answer as its context (tests/fixtures/world-twins.csv:
Paris is twinned with three of Hannover's twin cities, Berlin with two).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.build import open_store
from graph.config import Settings
from graph.context.importer import import_files
from graph.store import KnowledgeStore

WORLD_TWINS = Path(__file__).resolve().parents[1] / "fixtures" / "world-twins.csv"


@pytest.fixture(scope="module")
def world_settings(tmp_path_factory) -> Settings:
    folder = tmp_path_factory.mktemp("world-api") / "context"
    import_files([WORLD_TWINS], None, folder, retrieved="2026-11-30")
    return Settings(context_dir=folder, lang="de")


@pytest.fixture(scope="module")
def world_store(world_settings) -> Iterator[KnowledgeStore]:
    store = open_store(world_settings)
    yield store
    store.close()


@pytest.fixture(scope="module")
def world_client(world_settings, world_store) -> Iterator[TestClient]:
    with TestClient(create_app(world_settings, kstore=world_store), follow_redirects=False) as client:
        yield client


def test_rankings_answer_fifty_entries_by_default_with_the_total_and_a_link_to_the_next_page(client):
    first = client.get("/api/analysis/hubs")
    body = first.json()
    assert first.status_code == 200 and body["limit"] == 50 and body["offset"] == 0
    assert len(body["nodes"]) == min(50, body["total"]) and body["total"] > 50
    assert first.headers["link"] == '</api/analysis/hubs?offset=50&limit=50>; rel="next"'
    second = client.get("/api/analysis/hubs", params={"limit": 10, "offset": 50}).json()
    assert [n["rank"] for n in second["nodes"]] == list(range(51, 61))
    last = client.get("/api/analysis/hubs", params={"limit": 1000})
    assert len(last.json()["nodes"]) == last.json()["total"] and "link" not in last.headers


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}])
def test_a_page_size_out_of_range_is_a_422_naming_the_parameter(client, params):
    answer = client.get("/api/analysis/brokers", params=params)
    assert answer.status_code == 422 and next(iter(params)) in answer.text


def test_fragile_links_communities_and_the_core_are_paged_too(client):
    fragile = client.get("/api/analysis/fragile", params={"limit": 5}).json()
    assert len(fragile["links"]) <= 5 and fragile["total_links"] >= len(fragile["links"])
    groups = client.get("/api/analysis/communities", params={"limit": 2}).json()
    assert len(groups["communities"]) <= 2 and groups["total"] >= len(groups["communities"])
    assert client.get("/api/analysis/core", params={"limit": 3}).json()["total"] >= 1


def test_world_candidates_come_with_reasons_in_german_and_english(world_client):
    answer = world_client.get("/api/analysis/world/candidates").json()
    assert answer["context"]["loaded"] and answer["total"] == 2
    paris, berlin = answer["candidates"]
    assert (paris["label"], paris["count"], berlin["label"], berlin["count"]) == ("Paris", 3, "Berlin", 2)
    assert paris["reason_de"].startswith("Paris ist laut Wikidata Partnerstadt von Bristol, Kansas City (nur laut")
    assert berlin["reason_en"] == "According to Wikidata, Berlin is twinned with Leipzig and Poznań."
    assert world_client.get("/api/analysis/world/candidates", params={"minimum": 3}).json()["total"] == 1


def test_world_statistics_position_links_communities_and_distances_answer(world_client):
    stats = world_client.get("/api/analysis/world/stats").json()
    assert stats["nodes"] == 12 and stats["links_by_source"]["wikidata"] == 8 and stats["diameter"] >= 2
    position = world_client.get("/api/analysis/world/position").json()
    assert position["label"] == "Hannover" and position["standings"][0]["rank"] == 1
    links = world_client.get("/api/analysis/world/partner-links").json()
    assert [(link["a"]["label"], link["b"]["label"]) for link in links["links"]] == [("Bristol", "Poznań")]
    groups = world_client.get("/api/analysis/world/communities", params={"seed": 3}).json()
    assert sum(c["size"] for c in groups["communities"]) == stats["nodes"]
    distances = world_client.get("/api/analysis/world/distances").json()
    assert distances["twinnings"]["count"] >= 4 and distances["comparable"] is False


def test_without_a_context_the_world_answers_say_none_is_loaded(client):
    answer = client.get("/api/analysis/world/candidates").json()
    assert answer["context"]["loaded"] is False and answer["candidates"] == []


def test_the_world_operations_are_documented(world_client):
    paths = world_client.get("/openapi.json").json()["paths"]
    for name in ("stats", "position", "partner-links", "candidates", "communities", "distances"):
        assert f"/api/analysis/world/{name}" in paths
    assert "limit" in {p["name"] for p in paths["/api/analysis/hubs"]["get"]["parameters"]}


@pytest.mark.parametrize("lang, sentence", [
    ("de", "ist laut Wikidata Partnerstadt von"),
    ("en", "According to Wikidata,"),
])
def test_the_home_citys_page_shows_the_candidates_with_their_reasons(world_client, lang, sentence):
    page = world_client.get("/id/city/hannover", params={"lang": lang}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert 'id="candidates"' in html and sentence in html
    section = html[html.index('id="candidates"'):]
    assert section.index(">Paris<") < section.index(">Berlin<")  # most shared twin cities first
    assert "&lt;a" not in section  # links are links, not escaped markup


def test_other_pages_show_no_candidates(world_client):
    page = world_client.get("/id/city/bristol", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'id="candidates"' not in page.text
