"""Benchmark: the shared twin-city extract (Wikidata P190, 2016: 10,055 items, 34,178 statements) into a served store.

Side by side, in one run (seconds, wall clock):
1. `kg context import relations.tsv --names names.tsv` (a process of its own, as an admin runs it);
2. opening the store with the context in this process (graph.build.open_store: parse, load, derive, describe);
3. `kg serve` with the context: start to the first SPARQL answer from the context graph;
3a. `kg serve` already running (without context), then `kg context import` into its context folder: from the import's
    start to the running server's first answer from the context (the watcher reloads, api/app.py LiveSite);
4. the reference: Oxigraph's bulk loader on the same N-Triples file (pyoxigraph.Store().bulk_load) and a first query.
Goal (issue 17): import into a served store in at most 5 s.

    make bench            # or: .venv/bin/python bench/context_bench.py [--world DIR]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.live_server import free_port, kg_serve

from graph.build import open_store
from graph.config import Settings

KG = Path(sys.executable).with_name("kg")
ASK = ("ASK { GRAPH <https://w3id.org/hki/graph/context> { <http://www.wikidata.org/entity/Q1715> "
       "<http://www.wikidata.org/prop/direct/P190> <http://www.wikidata.org/entity/Q41819> } }")
GOAL = 5.0


def world_dir(given: str | None) -> Path:
    candidates = [Path(given)] if given else [p / "shared" / "world" for p in ROOT.parents] + [Path("/work/shared/world")]
    for candidate in candidates:
        if (candidate / "relations.tsv").is_file():
            return candidate
    sys.exit(f"no shared extract (relations.tsv, names.tsv) in {', '.join(map(str, candidates))}: give --world DIR")


PLAIN_ASK = "ASK { <https://w3id.org/hki/id/city/hannover> ?p ?o }"


def environment(context: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKI_")}
    env.update({"HKI_CONTEXT_DIR": str(context), "HKI_QUERY_WORKERS": "2"})
    return env


def timed_import(world: Path, context: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(KG), "context", "import", str(world / "relations.tsv"), "--names", str(world / "names.tsv"),
                    "--retrieved", "2016-09", "--source", "https://github.com/L3viathan/sister-cities",
                    "--context-dir", str(context)], check=True, capture_output=True, env=environment(context))
    return time.perf_counter() - started


def timed_open(context: Path) -> tuple[float, int]:
    started = time.perf_counter()
    kstore = open_store(Settings(context_dir=context))
    seconds = time.perf_counter() - started
    count = kstore.triple_counts()["context"]
    kstore.close()
    return seconds, count


def first_true_answer(url: str, started: float, query: str, what: str, process: subprocess.Popen | None = None,
                      log: Path | None = None, pause: float = 0.1) -> float:
    """Seconds since `started` until `url`/sparql answers `query` with true (SystemExit after 600 s, or when
    `process` ends: with the end of its `log`)."""
    while True:
        if process is not None and process.poll() is not None:
            sys.exit(f"kg serve ended ({process.returncode}): {log.read_text()[-2000:] if log else ''}")
        try:
            answer = httpx.post(url + "/sparql", data={"query": query}, timeout=5,
                                headers={"Accept": "application/sparql-results+json"})
            if answer.status_code == 200 and answer.json().get("boolean") is True:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if time.perf_counter() - started > 600:
            sys.exit(f"{what} gave no answer within 600 s")
        time.sleep(pause)


def timed_serve(context: Path, folder: Path, query: str = ASK) -> float:
    """`kg serve` with the context folder: seconds from start to the first (true) answer to `query`."""
    port = free_port()
    started = time.perf_counter()
    log = folder / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(KG), "serve", "--port", str(port), "--dist", str(folder / "dist")],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=environment(context))
    try:
        return first_true_answer(f"http://127.0.0.1:{port}", started, query, "kg serve", process, log)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def timed_import_into_running_server(world: Path, context: Path, folder: Path, query: str = ASK) -> tuple[float, float]:
    """`kg serve` running without context (started and awaited by tests/support's kg_serve: serving and warm — its own
    start is not what this row measures); then `kg context import` into its context folder: seconds of the import
    alone, and from the import's start to the running server's first (true) answer from the context."""
    with kg_serve(folder / "running", "--dist", str(folder / "dist"),
                  env={"HKI_CONTEXT_DIR": str(context), "HKI_QUERY_WORKERS": "2"}) as server:
        time.sleep(2)  # settled
        started = time.perf_counter()
        imported = timed_import(world, context)
        return imported, first_true_answer(server.url, started, query, "the running server", pause=0.05)


def timed_bulk_load(nt: Path) -> tuple[float, float]:
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode("https://w3id.org/hki/graph/context"))
    loaded = time.perf_counter() - started
    assert bool(store.query(ASK))
    return loaded, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--world", help="folder of relations.tsv and names.tsv (default: ../shared/world)")
    args = parser.parse_args()
    world = world_dir(args.world)
    with tempfile.TemporaryDirectory(prefix="hki-context-bench-") as tmp:
        folder = Path(tmp)
        context = folder / "context"
        rows: list[tuple[str, float, str]] = []
        imported = timed_import(world, context)
        nt = next(context.glob("*.nt"))
        rows.append(("kg context import (TSV → sorted N-Triples)", imported, f"{nt.stat().st_size / 1e6:.1f} MB"))
        opened, count = timed_open(context)
        rows.append(("open_store with the context (in process)", opened, f"{count:,} context triples"))
        baseline = timed_serve(folder / "no-context", folder, PLAIN_ASK)
        rows.append(("kg serve without context: start → first answer", baseline, "today's baseline"))
        served = timed_serve(context, folder)
        rows.append(("kg serve: start → first answer from the context", served, ""))
        rows.append(("import, then kg serve to first answer", imported + served, "a server started after the import"))
        live_context = folder / "live-context"
        live_import, live = timed_import_into_running_server(world, live_context, folder)
        rows.append(("kg serve running; import → its first answer", live, f"goal ≤ {GOAL:g} s (import alone "
                                                                           f"{live_import:.2f} s)"))
        loaded, answered = timed_bulk_load(nt)
        rows.append(("Oxigraph bulk_load of the same .nt", loaded, "reference"))
        rows.append(("Oxigraph bulk_load + first answer", answered, "reference"))
    width = max(len(r[0]) for r in rows)
    print(f"\nContext import benchmark: {world} (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")
    print(f"{'step'.ljust(width)}  {'seconds':>8}  note")
    for label, seconds, note in rows:
        print(f"{label.ljust(width)}  {seconds:8.2f}  {note}")
    print(f"\n{'met' if live <= GOAL else 'MISSED'}: import into a served store {live:.1f} s (goal ≤ {GOAL:g} s); "
          f"import and a fresh start {imported + served:.1f} s")


if __name__ == "__main__":
    main()
