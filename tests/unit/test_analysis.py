"""Network analysis: projections, metrics with known answers, connections told as sentences, SDG gaps, exports."""
from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.routers.analysis import AnalysisRouter
from api.web.errors import install_error_handlers
from graph.analysis import (
    AmbiguousName,
    NoConnection,
    UnknownResource,
    brokers,
    communities,
    connections,
    core,
    coverage_matrix,
    find_node,
    fragile_links,
    gaps,
    how_connected,
    hubs,
    influence,
    projections,
    sdg_co_occurrence,
    sdg_coverage,
)
from graph.analysis.export import edge_table, write_csv_tables, write_gexf, write_graphml
from graph.analysis.report import answer, to_csv
from graph.config import Settings
from graph.build import open_store

ID = "https://w3id.org/hki/id/"
HKI = "https://w3id.org/hki/def#"
SDG = "http://metadata.un.org/sdg/"

CITY_TURTLE = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix cv: <http://data.europa.eu/m8g/> .
@prefix hki: <https://w3id.org/hki/def#> .
@prefix sdg: <http://metadata.un.org/sdg/> .
@prefix city: <https://w3id.org/hki/id/city/> .
@prefix ps: <https://w3id.org/hki/id/partnership/> .
@prefix orgn: <https://w3id.org/hki/id/organisation/> .
@prefix goal: <https://w3id.org/hki/id/goal/> .
@prefix measure: <https://w3id.org/hki/id/measure/> .

city:hannover a schema:City ; rdfs:label "Hannover"@de , "Hannover"@en ;
    wgs:lat "52.37052"^^xsd:decimal ; geo:hasGeometry <https://w3id.org/hki/id/city/hannover/geometry> ;
    schema:containedInPlace <http://publications.europa.eu/resource/authority/country/DEU> .
<https://w3id.org/hki/id/city/hannover/geometry> a geo:Geometry ; geo:asWKT "POINT(9.73322 52.37052)"^^geo:wktLiteral .
city:bristol a schema:City ; rdfs:label "Bristol"@de , "Bristol"@en .
city:poznan a schema:City ; rdfs:label "Posen"@de , "Poznań"@en .
city:lonely a schema:City ; rdfs:label "Einsam"@de , "Lonely"@en .

ps:hannover-bristol a hki:Partnership ;
    rdfs:label "Städtepartnerschaft Hannover – Bristol"@de , "Twinning Hannover – Bristol"@en ;
    hki:partner city:hannover , city:bristol ;
    hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> ;
    schema:startDate "1947"^^xsd:gYear ; dct:source <https://example.org/twinnings> .
ps:hannover-poznan a hki:Partnership ;
    rdfs:label "Städtefreundschaft Hannover – Posen"@de , "Friendship Hannover – Poznań"@en ;
    hki:partner city:hannover , city:poznan ;
    hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/friendship> ;
    schema:startDate "1979"^^xsd:gYear .

orgn:lhh a cv:PublicOrganisation , org:Organization ;
    rdfs:label "Landeshauptstadt Hannover"@de , "State Capital Hannover"@en ; dct:spatial city:hannover .

goal:climate a hki:Goal ; rdfs:label "Klimaschutz"@de , "Climate protection"@en ; hki:addressesSDG sdg:13 .
goal:culture a hki:Goal ; rdfs:label "Kultur"@de , "Culture"@en ; hki:addressesSDG sdg:11 .
measure:solar a hki:Measure ; rdfs:label "Solarpumpen"@de , "Solar pumps"@en ;
    dct:identifier "M1" ;
    hki:contributesToGoal goal:climate ; hki:addressesSDG sdg:13 , sdg:6 ;
    hki:involves ps:hannover-bristol ; hki:responsibleOrganisation orgn:lhh .
"""


@pytest.fixture(scope="module")
def small_city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small-city")
    (folder / "city.ttl").write_text(CITY_TURTLE, encoding="utf-8")
    store = open_store(Settings(data_dir=folder))
    yield store
    store.close()


@pytest.fixture(scope="module")
def views(small_city):
    return projections(small_city)


# ------------------------------------------------------------------------------------ projections

def test_every_node_is_a_typed_resource_and_literals_stay_attributes(views):
    full = views.full
    assert all(str(node).startswith(("http://", "https://")) for node in full)
    assert "1947" not in full and "52.37052" not in full
    bristol = full.nodes[ID + "partnership/hannover-bristol"]
    assert bristol["schema:startDate"] == "1947"
    assert full.nodes[ID + "city/hannover"]["wgs:lat"] == pytest.approx(52.37052)
    assert full.nodes[ID + "city/poznan"]["label_de"] == "Posen"
    assert full.nodes[ID + "city/poznan"]["label_en"] == "Poznań"


def test_classes_vocabulary_concepts_and_value_holders_are_never_nodes(views):
    full = views.full
    for not_a_node in ("http://schema.org/City", HKI + "Partnership", "http://www.w3.org/2004/02/skos/core#Concept",
                       "https://w3id.org/hki/scheme/partnership-type/twin-city", "http://metadata.un.org/sdg",
                       ID + "city/hannover/geometry", "https://example.org/twinnings",
                       "http://publications.europa.eu/resource/authority/country/DEU"):
        assert not_a_node not in full
    partnership = full.nodes[ID + "partnership/hannover-bristol"]
    assert partnership["hki:partnershipType"] == "https://w3id.org/hki/scheme/partnership-type/twin-city"
    assert partnership["hki:partnershipType@en"] == "Twin city"
    assert partnership["dct:source"] == "https://example.org/twinnings"
    assert partnership["kind"] == "Partnership" and partnership["kind_de"] == "Partnerschaft"


def test_edges_keep_the_direction_and_the_label_of_their_statement(views):
    full = views.full
    partnership, bristol = ID + "partnership/hannover-bristol", ID + "city/bristol"
    assert full.has_edge(partnership, bristol, key="hki:partner")
    assert not full.has_edge(bristol, partnership)
    edge = full[partnership][bristol]["hki:partner"]
    assert (edge["predicate"], edge["label_en"], edge["label_de"]) == (HKI + "partner", "partner", "Partner")


def test_the_derived_twinning_shortcut_does_not_duplicate_the_partnership_node(views):
    keys = {key for _, _, key in views.full.edges(keys=True)}
    assert "hki:twinnedWith" not in keys and "org:memberOf" not in keys
    assert views.full.nodes[ID + "organisation/lhh"]["kind"] == "Public organisation"


def test_all_seventeen_sdgs_are_nodes_of_kind_sdg(views):
    sdgs = [n for n, d in views.full.nodes(data=True) if d["kind"] == "SDG"]
    assert sorted(sdgs, key=lambda n: int(n.rsplit("/", 1)[1])) == [f"{SDG}{i}" for i in range(1, 18)]


def test_the_partner_network_links_cities_weighted_by_partnership_type(views):
    partners = views.partners
    assert set(partners) == {ID + "city/hannover", ID + "city/bristol", ID + "city/poznan"}
    twinning = partners[ID + "city/hannover"][ID + "city/bristol"]
    friendship = partners[ID + "city/hannover"][ID + "city/poznan"]
    assert (twinning["weight"], twinning["partnership_types"], twinning["since"]) == (3.0, "Twin city", "1947")
    assert (friendship["weight"], friendship["partnership_types"]) == (2.0, "City friendship")


def test_the_sdg_graph_is_bipartite_between_goals_and_measures_and_the_sdgs(views):
    sdgs = views.sdgs
    assert nx.is_bipartite(sdgs)
    assert {d["bipartite"] for _, d in sdgs.nodes(data=True)} == {0, 1}
    assert sdgs.has_edge(ID + "measure/solar", SDG + "6")
    assert sdgs.degree(SDG + "1") == 0


def test_the_hannover_projection_has_no_literal_or_class_hubs(hannover):
    views = projections(hannover)
    top = hubs(views.network, top=10)
    assert {n.kind for n in top.nodes}.isdisjoint({"Class", "Concept", ""})
    assert all(n.iri.startswith(("https://w3id.org/hki/", "http://metadata.un.org/sdg/")) for n in top.nodes)
    assert hubs(views.partners, top=1).nodes[0].label == "Hannover"


# ---------------------------------------------------------------------- metrics on known graphs

def _labelled(graph: nx.Graph) -> nx.Graph:
    for node in graph:
        graph.nodes[node]["label"] = f"node {node}"
    return graph


def test_the_centre_of_a_star_is_the_only_hub():
    ranking = hubs(_labelled(nx.star_graph(5)))
    assert ranking.nodes[0].iri == "0"
    assert ranking.nodes[0].score == 1.0 and ranking.nodes[0].links == 5
    assert all(n.score == pytest.approx(0.2) for n in ranking.nodes[1:])
    assert ranking.rows()[0]["hub score"] == 1.0


def test_the_middle_of_a_path_is_the_broker_and_betweenness_is_exact_on_small_graphs():
    ranking = brokers(_labelled(nx.path_graph(3)))
    assert [(n.iri, n.score) for n in ranking.nodes] == [("1", 1.0), ("0", 0.0), ("2", 0.0)]
    assert ranking.note == "exact"


def test_sampled_brokerage_on_a_large_graph_is_repeatable_and_says_it_is_sampled():
    graph = nx.barbell_graph(100, 3)  # two cliques of 100 joined by a path of three nodes
    first = brokers(graph, top=3, budget=1_000, seed=7)
    again = brokers(graph, top=3, budget=1_000, seed=7)
    assert first.note == "estimated from the shortest paths of 64 of 203 nodes (seed 7)"
    assert first == again
    assert {n.iri for n in first.nodes} <= {"99", "100", "101", "102", "103"}  # the path and its ends
    exact = nx.betweenness_centrality(graph)
    assert first.nodes[0].score == pytest.approx(exact[int(first.nodes[0].iri)], rel=0.15)


def test_broker_scores_are_networkx_betweenness():
    graph = nx.powerlaw_cluster_graph(150, 2, 0.3, seed=4)
    expected = nx.betweenness_centrality(graph, normalized=True)
    assert {int(n.iri): n.score for n in brokers(graph).nodes} == pytest.approx(expected, abs=1e-12)


def test_influence_ranks_the_centre_of_a_star_first_by_pagerank_and_eigenvector():
    star = nx.star_graph(4)
    assert influence(star).nodes[0].iri == "0"
    assert influence(star, method="eigenvector").nodes[0].iri == "0"
    with pytest.raises(ValueError, match="valid: 'pagerank', 'eigenvector'"):
        influence(star, method="katz")


def _two_cliques() -> nx.Graph:
    graph = nx.disjoint_union(nx.complete_graph(5), nx.complete_graph(5))
    graph.add_edge(4, 5)
    nx.set_edge_attributes(graph, 1, "weight")
    return _labelled(graph)


def test_two_cliques_joined_by_one_link_are_two_communities():
    found = communities(_two_cliques())
    assert [set(c.members) for c in found.communities] == [{"0", "1", "2", "3", "4"}, {"5", "6", "7", "8", "9"}]
    assert found.modularity > 0.3
    assert found.membership["0"] == 1 and found.membership["9"] == 2


def test_communities_are_the_same_on_every_run_with_the_same_seed(views):
    runs = [communities(views.network, seed=3) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    graph = nx.powerlaw_cluster_graph(300, 2, 0.3, seed=5)
    assert communities(graph, seed=11) == communities(graph.copy(), seed=11)


def test_the_link_between_two_triangles_is_fragile_and_its_ends_are_cut_points():
    graph = nx.Graph([(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4), (6, 7)])
    fragility = fragile_links(_labelled(graph))
    assert [(f.source, f.target, f.cut_off) for f in fragility.links] == [("3", "4", 3), ("6", "7", 1)]
    points = {c.iri: (c.pieces, c.cut_off) for c in fragility.cut_points}
    assert points == {"3": (2, 2), "4": (2, 3), "6": (2, 1)}
    assert fragility.cut_points[0].iri == "4"


def test_a_cycle_has_no_fragile_links():
    fragility = fragile_links(nx.cycle_graph(6))
    assert fragility.links == [] and fragility.cut_points == []


def test_the_core_of_a_clique_with_a_tail_is_the_clique():
    graph = nx.complete_graph(4)
    graph.add_edges_from([(3, 4), (4, 5)])
    centre = core(_labelled(graph))
    assert centre.k == 3 and centre.members == ["0", "1", "2", "3"]
    assert centre.core_numbers["5"] == 1


# ---------------------------------------------------------------------------- connections

def test_a_connection_is_told_as_a_sentence_with_the_predicate_labels_in_english_and_german(views):
    connection = how_connected(views.full, "Bristol", "Poznań")
    assert [s.predicate for s in connection.steps] == [HKI + "partner"] * 4
    assert connection.sentence_en == (
        "“Bristol” is connected to “Poznań” in 4 steps: “Twinning Hannover – Bristol” —partner→ “Bristol”; "
        "“Twinning Hannover – Bristol” —partner→ “Hannover”; “Friendship Hannover – Poznań” —partner→ “Hannover”; "
        "and “Friendship Hannover – Poznań” —partner→ “Poznań”.")
    assert connection.sentence_de.startswith("„Bristol“ ist mit „Posen“ in 4 Schritten verbunden: "
                                             "„Städtepartnerschaft Hannover – Bristol“ —Partner→ „Bristol“;")


def test_a_step_against_the_statement_direction_is_still_told_in_the_statement_direction(views):
    connection = how_connected(views.full, ID + "city/bristol", SDG + "6")
    told = [(s.subject_label, s.predicate_label, s.object_label, s.forward) for s in connection.steps]
    assert told == [("Twinning Hannover – Bristol", "partner", "Bristol", False),
                    ("Solar pumps", "involves", "Twinning Hannover – Bristol", False),
                    ("Solar pumps", "addresses SDG", "SDG 6: Clean water and sanitation", True)]


def test_resources_are_found_by_iri_or_by_label_ignoring_case_and_accents(views):
    assert find_node(views.full, ID + "city/poznan") == ID + "city/poznan"
    assert find_node(views.full, "poznan") == ID + "city/poznan"
    assert find_node(views.full, "POSEN") == ID + "city/poznan"
    assert find_node(views.full, "sdg:13") == SDG + "13"


def test_an_unknown_name_suggests_close_labels_and_an_ambiguous_one_lists_the_iris(views):
    with pytest.raises(UnknownResource, match="did you mean 'Bristol'"):
        find_node(views.full, "Bristoll")
    graph = nx.MultiDiGraph()
    graph.add_node("https://x/a", label_en="Twin")
    graph.add_node("https://x/b", label_en="Twin")
    with pytest.raises(AmbiguousName, match="https://x/a, https://x/b"):
        find_node(graph, "twin")


def test_resources_in_separate_parts_are_reported_as_not_connected(views):
    with pytest.raises(NoConnection, match="Lonely"):
        connections(views.full, "Lonely", "Bristol")


# ---------------------------------------------------------------------------------------- SDGs

def test_sdg_coverage_lists_the_sdgs_of_each_goal_and_measure(views):
    coverage = {c.label: c.sdgs for c in sdg_coverage(views.full)}
    assert coverage == {"Climate protection": [13], "Culture": [11], "Solar pumps": [6, 13]}


def test_the_coverage_matrix_has_a_column_per_sdg_and_can_count_sdgs_through_goals(views):
    matrix = coverage_matrix(views.full)
    assert matrix.columns == list(range(1, 18))
    solar = [r.label for r in matrix.rows].index("Solar pumps")
    assert [n for n, cell in zip(matrix.columns, matrix.cells[solar]) if cell] == [6, 13]
    assert matrix.totals()[13] == 2 and matrix.totals()[1] == 0
    through = coverage_matrix(views.full, through_goals=True)
    assert through.cells[solar][12] == 1  # its own link wins over the inherited one


def test_sdgs_addressed_together_are_counted(views):
    projected, pairs = sdg_co_occurrence(views.full)
    assert [(p.sdg_a, p.sdg_b, p.together) for p in pairs] == [(6, 13, 1)]
    assert projected[SDG + "6"][SDG + "13"]["weight"] == 1


def test_gaps_name_sdgs_goals_and_partners_without_measures(views):
    found = gaps(views.full)
    assert SDG + "11" in {r.iri for r in found.sdgs_without_measure}
    assert SDG + "11" not in {r.iri for r in found.sdgs_without_goal_or_measure}
    assert SDG + "13" not in {r.iri for r in found.sdgs_without_measure}
    assert [r.label for r in found.goals_without_measure] == ["Culture"]
    # Bristol takes part through the partnership the measure involves; Hannover is the city itself.
    assert [r.label for r in found.partners_without_measure] == ["Poznań"]


# ------------------------------------------------------------------------------------- exports

def test_graphml_and_gexf_exports_parse_back_with_networkx(views, tmp_path: Path):
    full = views.full
    back = nx.read_graphml(write_graphml(full, tmp_path / "full.graphml"), force_multigraph=True)
    assert set(back) == set(full) and back.number_of_edges() == full.number_of_edges()
    assert back.nodes[ID + "city/poznan"]["label_en"] == "Poznań"
    assert back.is_directed()
    gexf = nx.read_gexf(write_gexf(views.partners, tmp_path / "partners.gexf"))
    assert set(gexf) == set(views.partners) and gexf.number_of_edges() == views.partners.number_of_edges()


def test_csv_tables_hold_one_row_per_node_and_per_edge(views, tmp_path: Path):
    nodes_file, edges_file = write_csv_tables(views.full, tmp_path, "full")
    with nodes_file.open(encoding="utf-8") as handle:
        nodes = list(csv.DictReader(handle))
    with edges_file.open(encoding="utf-8") as handle:
        edges = list(csv.DictReader(handle))
    assert len(nodes) == views.full.number_of_nodes() and len(edges) == views.full.number_of_edges()
    assert {"id", "label", "kind"} <= set(nodes[0]) and {"source", "target", "key", "label_en"} <= set(edges[0])
    assert edge_table(views.full)[0][:3] == ["source", "target", "key"]


# --------------------------------------------------------------------------- command line, API

def test_the_report_answers_a_question_as_rows_and_csv(views):
    result = answer(views, "hubs", top=2)
    assert result.rows[0]["label"] == "Solar pumps" and len(result.rows) == 2
    assert answer(views, "hubs", network="partners").rows[0]["label"] == "Hannover"
    assert to_csv(result.rows).splitlines()[0] == "rank,label,kind,links,hub score,iri"
    with pytest.raises(ValueError, match="needs two resources"):
        answer(views, "path", ("Bristol",))
    with pytest.raises(ValueError, match="valid: hubs, brokers"):
        answer(views, "popularity")


def test_kg_analyze_prints_a_path_and_hubs_as_csv(tmp_path: Path):
    from graph.cli import app

    (tmp_path / "city.ttl").write_text(CITY_TURTLE, encoding="utf-8")
    (tmp_path / "hki.toml").write_text(f'data_dir = "{tmp_path.as_posix()}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["analyze", "path", "Bristol", "Posen", "--config", str(tmp_path / "hki.toml")],
                           terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "“Bristol” is connected to “Poznań” in 4 steps" in result.output
    result = runner.invoke(app, ["analyze", "hubs", "--format", "csv", "--network", "partners",
                                 "--config", str(tmp_path / "hki.toml")])
    assert result.exit_code == 0 and result.output.splitlines()[1].startswith("1,Hannover,City,2,")
    result = runner.invoke(app, ["analyze", "path", "Bristol", "Atlantis", "--config", str(tmp_path / "hki.toml")])
    assert result.exit_code == 1


def test_the_analysis_api_answers_json_and_names_bad_input(small_city):
    app = FastAPI()
    app.include_router(AnalysisRouter(small_city))
    install_error_handlers(app)  # as api.app does: the one error table answers UnknownResource with 404
    with TestClient(app) as client:
        hubs_page = client.get("/api/analysis/hubs", params={"network": "partners", "top": 1}).json()
        assert hubs_page["nodes"][0]["label"] == "Hannover" and hubs_page["score_name"] == "hub score"
        path = client.get("/api/analysis/path", params={"from": "Bristol", "to": "Poznań"}).json()
        assert path["connected"] and path["connections"][0]["sentence_de"].startswith("„Bristol“ ist mit „Posen“")
        assert client.get("/api/analysis/path", params={"from": "Lonely", "to": "Bristol"}).json()["connected"] is False
        missing = client.get("/api/analysis/path", params={"from": "Atlantis", "to": "Bristol"})
        assert missing.status_code == 404 and "Atlantis" in missing.json()["detail"]
        assert client.get("/api/analysis/hubs", params={"network": "everything"}).status_code == 422
        gaps_page = client.get("/api/analysis/gaps").json()
        assert [g["label"] for g in gaps_page["goals_without_measure"]] == ["Culture"]
        coverage = client.get("/api/analysis/sdg-coverage").json()
        assert coverage["matrix"]["columns"] == list(range(1, 18))
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/analysis/hubs", "/api/analysis/path", "/api/analysis/gaps"} <= set(paths)
