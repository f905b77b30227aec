"""The explorer's data (graph/views/explorer.py) and its JSON and page (api/routers/explore.py), without a browser.

The browser tests (tests/browser/test_explorer_in_chromium.py) drive the page itself.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import replace

import networkx as nx
import pytest

from api.web.assets import csp_for_vis_network, injected_styles
from graph.analysis import projections
from graph.config import Settings
from graph.views.explorer import Explorer, layout_positions
from graph.build import open_store

ID = "https://w3id.org/hki/id/"
BRISTOL, HANNOVER, HIROSHIMA = ID + "city/bristol", ID + "city/hannover", ID + "city/hiroshima"
TWINNING = ID + "partnership/hannover-bristol"
TWIN_CITY = "https://w3id.org/hki/scheme/partnership-type/twin-city"


@pytest.fixture(scope="module")
def explorer(hannover) -> Explorer:
    return Explorer(projections(hannover))


# ------------------------------------------------------------------ views of the projections

def test_every_entry_has_both_labels_a_group_and_its_facets(explorer):
    overview = explorer.overview()
    assert not overview["truncated"] and overview["shown_nodes"] == overview["total_nodes"] == 108
    records = {r["id"]: r for r in overview["nodes"]}
    bristol = records[BRISTOL]
    assert (bristol["label_de"], bristol["label_en"], bristol["group"]) == ("Bristol", "Bristol", "city")
    assert bristol["countries"] == ["http://publications.europa.eu/resource/authority/country/GBR"]
    assert bristol["ptypes"] == [TWIN_CITY]
    twinning = records[TWINNING]
    assert twinning["years"] == [1947, 1947] and twinning["short_en"] == "Bristol"
    assert twinning["countries"] == bristol["countries"]  # a partnership's countries are its partners'
    assert records["http://metadata.un.org/sdg/13"]["group"] == "sdg"
    assert {r["group"] for r in overview["nodes"]} >= {"city", "partnership", "network", "organisation", "goal",
                                                      "measure", "sdg", "milestone"}
    assert set(overview["positions"]) == set(records)


def test_the_home_city_is_what_the_city_administration_is_responsible_for(explorer):
    assert explorer.overview()["home"] == [HANNOVER]
    assert explorer.record(HANNOVER)["home"] is True


def test_the_home_city_is_read_from_the_data_not_assumed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "city.ttl").write_text("""
@prefix schema: <http://schema.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> . @prefix hki: <https://w3id.org/hki/def#> .
@prefix wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/id/city/a> a schema:City ; rdfs:label "A"@en ; wgs:lat "50.0"^^xsd:decimal ; wgs:long "8.0"^^xsd:decimal .
<https://example.org/id/city/b> a schema:City ; rdfs:label "B"@en ; wgs:lat "40.0"^^xsd:decimal ; wgs:long "-3.0"^^xsd:decimal .
<https://example.org/id/organisation/admin> a <http://data.europa.eu/m8g/PublicOrganisation> ;
    rdfs:label "Administration of B"@en ; dct:spatial <https://example.org/id/city/b> .
<https://example.org/id/partnership/a-b> a hki:Partnership ; rdfs:label "A–B"@en ;
    hki:partner <https://example.org/id/city/a> , <https://example.org/id/city/b> ;
    hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/friendship> .
""", encoding="utf-8")
    store = open_store(replace(Settings(), data_dir=data, base="https://example.org/"))
    try:
        view = Explorer(projections(store)).map_view()
    finally:
        store.close()
    assert view["home"] == ["https://example.org/id/city/b"]
    assert view["lines"] == [{"from": "https://example.org/id/city/b", "to": "https://example.org/id/city/a",
                              "ptypes": ["https://w3id.org/hki/scheme/partnership-type/friendship"],
                              "partnerships": ["https://example.org/id/partnership/a-b"], "since": "",
                              "ties": [{"partnership": "https://example.org/id/partnership/a-b",
                                        "ptype": "https://w3id.org/hki/scheme/partnership-type/friendship", "year": None}]}]


def test_a_large_graph_is_cut_to_its_best_linked_entries_and_says_so(hannover):
    small = Explorer(projections(hannover), shown_at_most=20)
    overview = small.overview()
    assert overview["truncated"] and overview["total_nodes"] == 108
    assert overview["shown_nodes"] == 20 and HANNOVER in {r["id"] for r in overview["nodes"]}
    # a focus beyond the overview arrives with positions, the overview's nodes keeping theirs
    around = small.neighbourhood(BRISTOL, depth=2)
    assert {r["id"] for r in around["nodes"]} == {BRISTOL, TWINNING, HANNOVER}
    assert around["positions"][HANNOVER] == overview["positions"][HANNOVER]


def test_a_neighbourhood_follows_the_chosen_direction(explorer):
    both = set(explorer.neighbourhood_nodes(TWINNING, 1, "both"))
    assert both == {TWINNING, BRISTOL, HANNOVER} | set(explorer.neighbourhood_nodes(TWINNING, 1, "in"))
    assert set(explorer.neighbourhood_nodes(TWINNING, 1, "out")) == {TWINNING, BRISTOL, HANNOVER}
    assert set(explorer.neighbourhood_nodes(BRISTOL, 1, "out")) == {BRISTOL}  # Bristol only is linked to
    assert TWINNING in explorer.neighbourhood_nodes(BRISTOL, 1, "in")
    with pytest.raises(ValueError, match="valid: both, out, in"):
        explorer.neighbourhood_nodes(BRISTOL, 1, "sideways")


def test_the_sdg_view_puts_the_17_goals_on_a_ring_and_each_measure_among_its_sdgs(explorer):
    view = explorer.sdg_view()
    sdgs = [r["id"] for r in view["nodes"] if r["group"] == "sdg"]
    assert len(sdgs) == 17
    radii = {round((view["positions"][s][0] ** 2 + view["positions"][s][1] ** 2) ** 0.5) for s in sdgs}
    assert len(radii) == 1  # all on one circle
    assert all(e["predicate"] == "hki:addressesSDG" for e in view["edges"])
    ring = max(radii)
    for r in view["nodes"]:
        if r["group"] in ("goal", "measure") and r["id"] not in view["unlinked"]:
            x, y = view["positions"][r["id"]]
            assert (x * x + y * y) ** 0.5 < ring  # inside the ring


def test_the_map_draws_a_line_from_the_home_city_to_every_partner_with_the_partnership_types(explorer):
    view = explorer.map_view()
    lines = {line["to"]: line for line in view["lines"]}
    assert BRISTOL in lines and HIROSHIMA in lines and HANNOVER not in lines
    assert lines[BRISTOL]["ptypes"] == [TWIN_CITY] and lines[BRISTOL]["since"] == "1947"
    assert all(line["from"] == HANNOVER for line in view["lines"])
    places = {r["id"]: r for r in view["nodes"]}
    assert places[BRISTOL]["lon"] < places[HANNOVER]["lon"] < places[HIROSHIMA]["lon"]


def test_the_timeline_has_partnerships_by_start_and_planned_and_actual_milestones(explorer):
    view = explorer.timeline()
    lanes = {r.get("lane") for r in view["nodes"] if r["group"] == "milestone"}
    assert lanes == {"planned", "actual"}
    starts = [r["start"] for r in view["nodes"] if r["group"] == "partnership"]
    assert starts == sorted(starts) and starts[0] == "1947"
    assert view["years"][0] == 1947


def test_layouts_are_the_same_every_time_and_leave_loose_nodes_in_a_row_below():
    graph = nx.karate_club_graph()
    graph.add_nodes_from(["loose-1", "loose-2"])
    first, second = layout_positions(graph), layout_positions(graph)
    assert first == second
    lowest = max(y for n, (x, y) in first.items() if not str(n).startswith("loose"))
    assert first["loose-1"][1] > lowest and first["loose-1"][1] == first["loose-2"][1]


def test_a_subgraph_for_export_never_changes_the_projection(explorer):
    before = explorer.full.number_of_nodes()
    part = explorer.subgraph([BRISTOL, TWINNING, "https://nowhere.example/x"])
    part.add_node("extra")
    assert set(part) == {BRISTOL, TWINNING, "extra"} and explorer.full.number_of_nodes() == before


# ------------------------------------------------------------------ HTTP

def test_the_explorer_page_is_german_and_english_and_allows_only_vis_networks_own_styles(client):
    for lang, title in (("de", "Erkunden"), ("en", "Explore")):
        page = client.get(f"/explore?lang={lang}")
        assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert csp == csp_for_vis_network()
        # the only inline script is the JSON of the page's own words, never executed
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
        assert inline == [' type="application/json" id="explore-text"']


def test_vis_networks_injected_stylesheets_are_found_in_the_vendored_file():
    styles = injected_styles()
    assert len(styles) == 7 and any("div.vis-tooltip" in s for s in styles)
    assert csp_for_vis_network().count("'sha256-") == 8  # the seven and the empty <style> it starts with


def test_the_graph_json_lists_filters_and_legend(client):
    body = client.get("/api/explore/graph").json()
    assert [g["key"] for g in body["legend"]][:3] == ["city", "partnership", "network"]
    facets = body["facets"]
    assert {c["en"] for c in facets["countries"]} >= {"United Kingdom", "Japan", "Germany"}
    assert TWIN_CITY in {p["iri"] for p in facets["ptypes"]}
    assert [s["n"] for s in facets["sdgs"]] == list(range(1, 18))
    assert facets["years"][0] == 1947


def test_the_details_panel_gets_facts_in_plain_words_sources_and_the_page(client):
    body = client.get("/api/explore/details", params={"iri": BRISTOL, "lang": "de"}).json()
    assert body["label"] == "Bristol" and body["page"] == "/id/city/bristol"
    facts = {f["name"]: f for f in body["facts"]}
    assert facts["Liegt in"]["values"][0]["text"] == "Vereinigtes Königreich"
    assert all(s["href"].startswith("https://") for s in body["sources"])
    assert client.get("/api/explore/details", params={"iri": "https://nowhere.example/x"}).status_code == 404
    assert client.get("/api/explore/details", params={"iri": "not an iri"}).status_code == 400


def test_a_neighbourhood_of_an_unknown_entry_says_so_and_a_bad_depth_is_422(client):
    unknown = client.get("/api/explore/neighbourhood", params={"iri": "https://nowhere.example/x"})
    assert unknown.status_code == 200 and unknown.json()["known"] is False and unknown.json()["nodes"] == []
    assert client.get("/api/explore/neighbourhood", params={"iri": BRISTOL}).json()["known"] is True
    assert client.get("/api/explore/neighbourhood", params={"iri": BRISTOL, "depth": 4}).status_code == 422
    assert client.get("/api/explore/neighbourhood", params={"iri": BRISTOL, "direction": "up"}).status_code == 422


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "csv"])
def test_the_data_of_a_view_exports_for_gephi_and_spreadsheets(client, fmt):
    answer = client.post("/api/explore/export", json={"format": fmt, "nodes": [BRISTOL, TWINNING, HANNOVER]})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    if fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(answer.content))
    elif fmt == "gexf":
        graph = nx.read_gexf(io.BytesIO(answer.content))
    else:
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            assert sorted(archive.namelist()) == ["hki-view-edges.csv", "hki-view-nodes.csv"]
            nodes = list(csv.DictReader(io.StringIO(archive.read("hki-view-nodes.csv").decode("utf-8"))))
            edges = list(csv.DictReader(io.StringIO(archive.read("hki-view-edges.csv").decode("utf-8"))))
        assert {n["id"] for n in nodes} == {BRISTOL, TWINNING, HANNOVER}
        assert {(e["source"], e["target"]) for e in edges} == {(TWINNING, BRISTOL), (TWINNING, HANNOVER)}
        return
    assert set(graph) == {BRISTOL, TWINNING, HANNOVER} and graph.number_of_edges() == 2


def test_an_export_refuses_an_unknown_format_and_a_file_name_with_a_path(client):
    assert client.post("/api/explore/export", json={"format": "pdf", "nodes": []}).status_code == 422
    assert client.post("/api/explore/export", json={"format": "csv", "nodes": [], "name": "../x"}).status_code == 422


def test_hostile_labels_travel_as_json_text_and_never_into_the_template(make_client, hostile_settings, hostile_store):
    with make_client(hostile_settings, kstore=hostile_store) as c:
        page = c.get("/explore")
        assert "onerror" not in page.text and "alert(" not in page.text
        body = c.get("/api/explore/graph").json()
        labels = {r["label_en"] for r in body["nodes"]}
        assert "<img src=x onerror=alert(1)>" in labels
        assert "</script><script>alert(6)</script>" in labels
        assert json.loads(c.get("/api/explore/graph").text) == body


def test_thousands_of_nodes_are_laid_out_quickly_and_the_same_every_time():
    graph = nx.barabasi_albert_graph(1600, 2, seed=1)
    first = layout_positions(graph)
    assert first == layout_positions(graph) and len(first) == 1600


# ------------------------------------------------------------------ issue 12: first view, connections, tables

BLANTYRE, EUROCITIES = ID + "city/blantyre", ID + "organisation/eurocities"
ACTION_CONCEPT = ID + "action-concept/internationale-stadt"


def test_the_first_view_is_the_home_city_its_partner_cities_by_kind_and_its_administrations_networks(client):
    view = client.get("/api/explore/start").json()
    groups = {g["key"].rsplit("/", 1)[-1]: g for g in view["groups"]}
    assert list(groups) == ["twin-city", "friendship", "project-partnership", "network"]  # firmest first
    assert groups["twin-city"]["label_de"] == "Städtepartnerschaft" and len(groups["twin-city"]["nodes"]) == 7
    assert set(groups["friendship"]["nodes"]) == {ID + "city/ivanovo", ID + "city/yekaterinburg"}
    assert BLANTYRE in groups["twin-city"]["nodes"]  # twin city and project partner: in the firmer group only
    assert EUROCITIES in groups["network"]["nodes"] and len(groups["network"]["nodes"]) == 10
    nodes = {r["id"] for r in view["nodes"]}
    assert len(nodes) == 25 and HANNOVER in nodes and ID + "organisation/lhh" in nodes
    assert set(view["positions"]) == nodes
    links = [l for l in view["links"] if l["to"] == BLANTYRE]
    assert sorted((l["ptype"].rsplit("/", 1)[-1], l["year"]) for l in links) == [
        ("project-partnership", None), ("twin-city", 1968)]  # one link per partnership, with what filters need
    membership = next(l for l in view["links"] if l["to"] == EUROCITIES)
    assert membership["from"] == ID + "organisation/lhh" and membership["status"]["de"] == "unbestätigt"
    # the left column reads top to bottom, group under group; no two names on one spot
    spots = [tuple(p) for p in view["positions"].values()]
    assert len(set(spots)) == len(spots)


def test_places_carry_their_partnerships_so_every_view_can_filter_them_by_type_and_year(explorer):
    ties = explorer.record(BLANTYRE)["ties"]
    assert [(t["ptype"].rsplit("/", 1)[-1], t["year"]) for t in ties] == [("twin-city", 1968), ("project-partnership", None)]
    before_1970 = {n for n, r in ((n, explorer.record(n)) for n in explorer.full if n in explorer)
                   if r["group"] == "city" and not r.get("home")
                   and any(t["year"] is not None and t["year"] < 1970 for t in r.get("ties", ()))}
    assert before_1970 == {BRISTOL, ID + "city/perpignan", ID + "city/rouen", BLANTYRE}
    lines = {line["to"]: line for line in explorer.map_view()["lines"]}
    assert [t["year"] for t in lines[BLANTYRE]["ties"]] == [1968, None]


def test_blantyre_and_eurocities_are_connected_through_the_twinning_and_the_membership_in_plain_german(client):
    body = client.get("/api/explore/connection", params={"from": BLANTYRE, "to": EUROCITIES, "lang": "de"}).json()
    assert body["connected"] and ACTION_CONCEPT not in body["nodes"]
    assert body["nodes"] == [BLANTYRE, ID + "partnership/hannover-blantyre", HANNOVER, ID + "organisation/lhh",
                             ID + "membership/lhh-eurocities", EUROCITIES]
    assert body["sentences"] == [
        "Blantyre ist Partnerstadt von Hannover (seit 1968).",
        "Die Stadtverwaltung von Hannover (Landeshauptstadt Hannover) ist Mitglied von EUROCITIES. "
        "Prüfstatus „unbestätigt“: Der Beitritt wurde beschlossen (Beschlussdrucksache 2293/2019), dass er "
        "vollzogen wurde, ist aber nicht belegt (vermutlich 2020)."]
    assert body["unconfirmed"] is True
    assert [s["predicate"] for s in body["steps"]] == ["hki:partner", "hki:partner", "dct:spatial", "org:member",
                                                       "org:organization"]
    english = client.get("/api/explore/connection", params={"from": BLANTYRE, "to": EUROCITIES, "lang": "en"}).json()
    assert english["sentences"][0] == "Blantyre is a twin city of Hannover (since 1968)."
    assert "is not documented" in english["sentences"][1]


def test_the_status_in_a_connection_comes_from_the_data_not_from_the_code(client, hannover):
    """The same route told without the 'unverified' mark once the data's status is taken away."""
    from graph.analysis import projections
    views = projections(hannover)
    graph = views.full.copy()
    node = graph.nodes[ID + "membership/lhh-eurocities"]
    node.pop("hki:verificationStatus")
    told = Explorer(views.__class__(**{**views.__dict__, "full": graph})).connection(BLANTYRE, EUROCITIES)
    membership = told["clauses"][-1]
    assert membership["kind"] == "membership" and membership["status"] is None


def test_a_connection_is_dated_in_words_and_the_firmer_partnership_wins(client):
    body = client.get("/api/explore/connection", params={"from": ID + "city/poznan", "to": HIROSHIMA, "lang": "de"}).json()
    assert body["sentences"][0] == "Poznań ist Partnerstadt von Hannover (seit 29. Oktober 1979)."
    assert body["sentences"][1].startswith("Hannover ist Partnerstadt von Hiroshima")  # not the climate project
    assert ID + "partnership/hannover-hiroshima" in body["nodes"]


def test_a_connection_names_a_wrong_input_and_says_when_nothing_connects(client):
    wrong = client.get("/api/explore/connection", params={"from": "https://nowhere.example/x", "to": EUROCITIES})
    assert wrong.status_code == 400 and wrong.json()["detail"].startswith("from: https://nowhere.example/x is no entry")
    assert client.get("/api/explore/connection", params={"from": BLANTYRE}).status_code == 422  # `to` is missing
    same = client.get("/api/explore/connection", params={"from": BLANTYRE, "to": BLANTYRE, "lang": "de"}).json()
    assert same["sentences"] == ["A und B sind derselbe Eintrag: Blantyre."]


def test_the_visible_entries_download_as_a_table_for_people(client):
    import openpyxl

    nodes = [BRISTOL, TWINNING, HANNOVER, "https://nowhere.example/x"]
    answer = client.post("/api/explore/export", json={"format": "xlsx", "nodes": nodes, "name": "hki-map", "lang": "de"})
    assert answer.status_code == 200 and answer.headers["content-disposition"].endswith('filename="hki-map.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Name", "Art", "Land", "Partnerschaften (Beginn)", "Beginn (Jahr)", "Beginn", "Ende"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Bristol", "Hannover", "Städtepartnerschaft Hannover – Bristol"}  # names, not IRIs
    assert by_name["Bristol"][2] == "Vereinigtes Königreich" and by_name["Bristol"][3] == "Städtepartnerschaft (1947)"
    assert by_name["Städtepartnerschaft Hannover – Bristol"][4] == 1947
    table = client.post("/api/explore/export", json={"format": "table", "nodes": [ID + "partnership/hannover-poznan"],
                                                       "lang": "de"})
    text = table.content.decode("utf-8")
    assert text.startswith("\ufeffName;Art;Land;") and "29.10.1979" in text  # German Excel: BOM, ";", dates
