"""Benchmark: every world analysis on the shared Wikidata extract (target: each under 10 s), and the size of
the paged analysis answers.

Steps, each timed (wall clock, and this process's CPU time, which other work on the machine disturbs less):
the import of shared/world into a context folder, the store with the context, reading the merged world
network, then each analysis as `kg analyze` and `/api/analysis/world/…` compute it (distances and
betweenness estimated from seeded samples), and the exact all-pairs statistics the notebook uses (no target:
the notebook's comparison with KONECT only). Last, the bytes of the paged analysis answers: on the world
store, and on a synthetic graph of `--synthetic-cities` cities (graph/publish/synthetic.py), where a whole
ranking used to be megabytes.

    make bench            # or: .venv/bin/python bench/world_analysis_bench.py [--world DIR] [--synthetic-cities N]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.analysis.world_measures import (  # noqa: E402
    candidates,
    home_position,
    network_statistics,
    partner_links,
    twinning_distances,
    world_communities,
)
from graph.analysis.world_network import read_world_network  # noqa: E402
from graph.build import open_store  # noqa: E402
from graph.config import Settings  # noqa: E402
from graph.context.importer import SISTER_CITIES_REPOSITORY, import_files  # noqa: E402

TARGET_SECONDS = 10.0


def find_world(named: str | None) -> Path:
    named = named or os.environ.get("HKI_WORLD_DIR")
    candidates_ = [Path(named)] if named else [p / "shared" / "world" for p in ROOT.parents] + [Path("/work/shared/world")]
    for candidate in candidates_:
        if (candidate / "relations.tsv").is_file():
            return candidate
    raise SystemExit(f"no world extract (relations.tsv, names.tsv) in {', '.join(map(str, candidates_))}; "
                     "name one with --world DIR or HKI_WORLD_DIR")


def timed(rows: list, name: str, call):
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", help="folder with relations.tsv and names.tsv (default: shared/world)")
    parser.add_argument("--synthetic-cities", type=int, default=2000, help="cities of the synthetic graph (0: skip)")
    args = parser.parse_args()
    world = find_world(args.world)
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        context = Path(folder) / "context"
        timed(rows, "import shared/world (kg context import)",
              lambda: import_files([world / "relations.tsv"], world / "names.tsv", context, retrieved="2016-09",
                                   source=SISTER_CITIES_REPOSITORY))
        settings = Settings(context_dir=context)
        store = timed(rows, "open the store with the context", lambda: open_store(settings))
        net = timed(rows, "read the merged world network (3 queries)", lambda: read_world_network(store))
        analyses = [
            ("network-stats (sampled distances)", lambda: network_statistics(net)),
            ("world-position (sampled betweenness)", lambda: home_position(net)),
            ("partner-links", lambda: partner_links(net)),
            ("candidates", lambda: candidates(net)),
            ("world-communities (Louvain)", lambda: world_communities(net)),
            ("twinning-distances", lambda: twinning_distances(net)),
            ("network-stats, exact all pairs (notebook)", lambda: network_statistics(net, exact=True)),
        ]
        for name, call in analyses:
            timed(rows, name, call)
        sizes = api_sizes(settings, store, ("/api/analysis/hubs", "/api/analysis/hubs?limit=1000",
                                            "/api/analysis/world/candidates", "/api/analysis/world/communities"))
        store.close()
        if args.synthetic_cities:
            from dataclasses import replace

            from graph.publish.synthetic import write_synthetic_graph

            synthetic = Path(folder) / "synthetic.nt"
            write_synthetic_graph(synthetic, args.synthetic_cities, seed=0)
            big = replace(Settings(), extra_data=(synthetic,))
            store = timed(rows, f"open a synthetic store ({args.synthetic_cities:,} cities)", lambda: open_store(big))
            sizes += api_sizes(big, store, ("/api/analysis/hubs", "/api/analysis/hubs?limit=1000",
                                            "/api/analysis/brokers", "/api/analysis/fragile"), "synthetic, ")
            store.close()
    print(f"World analysis on {world} ({net.graph.number_of_nodes():,} items, {net.graph.number_of_edges():,} twinnings)")
    print(f"{'step':<48} {'wall s':>8} {'cpu s':>8}  target")
    slow = []
    for name, wall, cpu in rows:
        analysis = not name.startswith("open a synthetic") and not name.startswith(("import", "open", "read")) and "notebook" not in name
        mark = ("ok" if wall < TARGET_SECONDS else "SLOW") if analysis else ""
        if mark == "SLOW":
            slow.append(name)
        print(f"{name:<48} {wall:>8.2f} {cpu:>8.2f}  {mark}")
    print()
    for name, size in sizes:
        print(f"{name:<64} {size:>10,} bytes")
    return 1 if slow else 0


def api_sizes(settings: Settings, store, paths: tuple[str, ...], where: str = "world, ") -> list[tuple[str, int]]:
    """Bytes of each answer (the first request of a kind also computes the projections: not timed here)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    found = []
    with TestClient(create_app(settings, kstore=store)) as client:
        for path in paths:
            answer = client.get(path)
            total = answer.json().get("total", answer.json().get("total_links", ""))
            found.append((f"{where}GET {path} (total {total})", len(answer.content)))
    return found


if __name__ == "__main__":
    sys.exit(main())
