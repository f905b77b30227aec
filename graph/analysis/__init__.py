"""Network analysis of the knowledge graph: projections, metrics, connections, SDG coverage, exports.

Pure functions over the store (which runs the SPARQL) and over networkx graphs; nothing here opens
files except the thin `write_*` functions in `graph.analysis.export`. Start with::

    from graph.analysis import projections, hubs
    views = projections(store)            # the store: graph.build.open_store(settings)
    hubs(views.network, top=10).rows()

See `projection` for what becomes a node, an edge and an attribute, and why. The world's twin-city
network (Wikidata's P190 in the context graph, merged with the city's own twinnings) has its own reader
and measures: `read_world_network(store)`, then `candidates(net)`, `network_statistics(net)`, … (see
`world_network` and `world_measures`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

from graph.analysis.metrics import (
    Community,
    CommunityStructure,
    Core,
    CutPoint,
    FragileLink,
    Fragility,
    RankedNode,
    Ranking,
    as_rows,
    broker_sample_size,
    brokers,
    communities,
    core,
    fragile_links,
    hubs,
    influence,
)
from graph.analysis.paths import (
    AmbiguousName,
    Connection,
    NoConnection,
    Step,
    UnknownResource,
    connections,
    explain,
    find_node,
    how_connected,
    preferred_connection,
    route_cost,
)
from graph.analysis.projection import (
    PARTNERSHIP_WEIGHTS,
    GraphFacts,
    as_records,
    Statement,
    as_undirected,
    full_projection,
    node_label,
    partner_network,
    project,
    read_graph_facts,
    sdg_bipartite,
)
from graph.analysis.sdg import (
    CoverageMatrix,
    Gaps,
    NodeRef,
    SdgCoverage,
    SdgPair,
    coverage_matrix,
    coverage_rows,
    gaps,
    partners,
    sdg_co_occurrence,
    sdg_coverage,
)
from graph.analysis.world_measures import (
    Candidate,
    HomePosition,
    NetworkStatistics,
    candidates,
    home_position,
    network_statistics,
    partner_links,
    twinning_distances,
    world_communities,
)
from graph.analysis.world_network import WorldNetwork, read_world_network

if TYPE_CHECKING:
    from graph.store import KnowledgeStore

NETWORKS = ("full", "partners")


@dataclass(frozen=True)
class Projections:
    """The views of one store's graph that the analyses use."""

    full: nx.MultiDiGraph  # directed, one edge per statement: paths
    network: nx.Graph  # undirected and weighted view of `full`: centrality, communities
    partners: nx.Graph  # places linked by partnerships
    sdgs: nx.Graph  # goals and measures × SDGs (bipartite)

    def undirected(self, network: str = "full") -> nx.Graph:
        """The undirected graph called `network`: "full" (everything) or "partners" (the partner network)."""
        if network == "full":
            return self.network
        if network == "partners":
            return self.partners
        raise ValueError(f"network {network!r} is not known; valid: {', '.join(NETWORKS)}")


def projections_from_facts(facts: GraphFacts) -> Projections:
    """All projections of the facts read from a store."""
    full = full_projection(facts)
    return Projections(full, as_undirected(full), partner_network(full), sdg_bipartite(full))


def projections(store: "KnowledgeStore") -> Projections:
    """All projections of a store (two SPARQL queries for the nodes and statements, two for labels)."""
    return projections_from_facts(read_graph_facts(store))


__all__ = [
    "AmbiguousName", "Community", "CommunityStructure", "Connection", "Core", "CoverageMatrix", "CutPoint",
    "FragileLink", "Fragility", "Gaps", "GraphFacts", "NETWORKS", "NoConnection", "NodeRef", "PARTNERSHIP_WEIGHTS",
    "Projections", "RankedNode", "Ranking", "SdgCoverage", "SdgPair", "Statement", "Step", "UnknownResource",
    "as_records", "as_rows", "as_undirected", "broker_sample_size", "brokers", "communities", "connections", "core",
    "coverage_matrix", "coverage_rows", "explain", "find_node", "fragile_links", "full_projection", "gaps",
    "how_connected", "hubs", "preferred_connection", "route_cost", "influence", "node_label", "partner_network", "partners", "project",
    "projections", "projections_from_facts", "read_graph_facts", "sdg_bipartite", "sdg_co_occurrence",
    "sdg_coverage",
    # the world's twin-city network (graph.analysis.world_network, world_measures)
    "Candidate", "HomePosition", "NetworkStatistics", "WorldNetwork", "candidates", "home_position",
    "network_statistics", "partner_links", "read_world_network", "twinning_distances", "world_communities",
]
