"""Benchmark: projection and every network metric, on the Hannover graph and at 100k nodes.

Three runs, each timed step by step (seconds: wall clock, and the CPU time of this process, which
other work on the machine disturbs less):
1. the shipped Hannover graph: projection from the store, then every metric (target: under 1 s);
2. the synthetic hki graph of graph/publish/synthetic.py, sized to about 100k projected nodes: loading is
   reported apart, then projection and every metric (target: tens of seconds);
3. a networkx graph of 100k nodes with a heavy-tailed degree distribution and clustering
   (Holme–Kim power-law cluster graph), for the metrics alone.

    make bench            # or: .venv/bin/python bench/analysis_bench.py [--nodes 100000] [--skip-rdf]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from graph.analysis import (  # noqa: E402
    broker_sample_size,
    brokers,
    communities,
    connections,
    core,
    fragile_links,
    gaps,
    hubs,
    influence,
    projections,
    sdg_co_occurrence,
    sdg_coverage,
)
from graph.config import Settings  # noqa: E402
from graph.build import open_store  # noqa: E402

# Statements of the synthetic graph (graph/publish/synthetic.py) per projected node: per 1,000 cities it
# has 106,340 statements and 8,675 projected nodes (measured with graph.analysis.projections).
SYNTHETIC_TRIPLES_PER_NODE = 106_340 / 8_675


def timed(label: str, work: Callable[[], object], times: list[tuple[str, float, float]]):
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    times.append((label, time.perf_counter() - started, time.process_time() - cpu))
    return result


def network_metrics(graph: nx.Graph, times: list[tuple[str, float, float]], seed: int = 42) -> None:
    """Every metric on one undirected graph, each timed."""
    timed("hubs (degree)", lambda: hubs(graph, top=20), times)
    sample = broker_sample_size(graph.number_of_nodes(), graph.number_of_edges())
    timed(f"brokers (betweenness, {'exact' if sample is None else f'{sample} sampled sources'})",
          lambda: brokers(graph, top=20, seed=seed), times)
    timed("influence (PageRank)", lambda: influence(graph, top=20), times)
    timed("communities (Louvain + modularity)", lambda: communities(graph, seed=seed), times)
    timed("fragile links (bridges, cut points)", lambda: fragile_links(graph), times)
    timed("core (k-core)", lambda: core(graph), times)


def graph_metrics(views, times: list[tuple[str, float, float]], source: str, target: str) -> None:
    """Every metric of the full graph, the partner network, a path and the SDG analyses."""
    network_metrics(views.network, times)
    timed("partner network: hubs, brokers, communities",
          lambda: (hubs(views.partners), brokers(views.partners), communities(views.partners)), times)
    timed("path A–B (3 shortest, explained)", lambda: connections(views.full, source, target), times)
    timed("SDG coverage, co-occurrence, gaps",
          lambda: (sdg_coverage(views.full), sdg_co_occurrence(views.full), gaps(views.full)), times)


def report(title: str, size: str, times: list[tuple[str, float, float]], excluded: tuple[str, ...] = ()) -> None:
    print(f"\n{title} — {size}", flush=True)
    print(f"  {'step':<58} {'wall':>9} {'cpu':>9}")
    for label, seconds, cpu in times:
        print(f"  {label:<58} {seconds:8.3f}s {cpu:8.3f}s", flush=True)
    wall = sum(s for label, s, _ in times if label not in excluded)
    cpu = sum(c for label, _, c in times if label not in excluded)
    print(f"  {'total: projection + all metrics':<58} {wall:8.3f}s {cpu:8.3f}s", flush=True)


def run_store(title: str, settings: Settings, source: str, target: str) -> None:
    times: list[tuple[str, float, float]] = []
    store = timed("load the store (not counted)", lambda: open_store(settings), times)
    try:
        views = timed("projection (SPARQL → full, undirected, partners, SDGs)", lambda: projections(store), times)
    finally:
        store.close()
    graph_metrics(views, times, source, target)
    report(title, f"{views.full.number_of_nodes():,} nodes, {views.full.number_of_edges():,} edges "
                  f"(undirected {views.network.number_of_edges():,})", times, ("load the store (not counted)",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000, help="Size of the synthetic graphs (nodes).")
    parser.add_argument("--skip-rdf", action="store_true", help="Skip the synthetic RDF graph.")
    args = parser.parse_args()

    run_store("Hannover", Settings(), "Bristol", "SDG 13: Climate action")

    if not args.skip_rdf:
        from synthetic import sample_cities, write as write_synthetic

        with tempfile.TemporaryDirectory(prefix="hki-analysis-bench-") as folder:
            path = write_synthetic(Path(folder), int(args.nodes * SYNTHETIC_TRIPLES_PER_NODE))
            run_store("Synthetic hki graph (graph/publish/synthetic.py)", Settings(data_dir=Path(folder)),
                      *sample_cities(path, 2))

    times: list[tuple[str, float, float]] = []
    graph = timed("generate (not counted)", lambda: nx.powerlaw_cluster_graph(args.nodes, 2, 0.5, seed=1), times)
    network_metrics(graph, times)
    timed("path A–B (shortest)", lambda: nx.shortest_path(graph, 0, args.nodes - 1), times)
    report("Heavy-tailed networkx graph (power-law cluster, m=2, p=0.5)",
           f"{graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges", times, ("generate (not counted)",))


if __name__ == "__main__":
    main()
