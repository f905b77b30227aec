"""Benchmark at scale: pyoxigraph direct vs the hki store vs hki over Virtuoso, on synthetic graphs.

One table, side by side in one run, at 10k, 100k and 1M statements (`kg synth` graphs, plus the
ontology, vocabularies and SDGs):
- a query mix — lookup, join, aggregate, DESCRIBE, path — p50 and p95 latency, and ratios to
  pyoxigraph direct (in-process `Store.query`, results fully read); the hki store answers through
  `KnowledgeStore.run` (worker processes over the on-disk store, answers serialised as SPARQL JSON
  or N-Triples), hki over Virtuoso through the same `run` (graph.store.remote: HTTP, parse, re-serialise);
- requests per second with 4 concurrent clients (the mix in turns);
- load time per million statements (pyoxigraph: `bulk_load` of the N-Triples file; hki: `open_store`
  into an on-disk store, parsing, deriving shortcuts and describing the dataset; Virtuoso:
  `kg publish`'s Graph Store upload), and the peak memory of each;
- restart with an on-disk store: reopening an unchanged store, starting the workers and answering
  a first query (target under 2 s).

    make bench          # or: .venv/bin/python bench/scale_bench.py [--sizes 10000,100000] [--budget 4]

Every size runs in its own process (so its memory peak is its own); every loop is bounded by a
repeat count and a time budget; everything stays on loopback. Virtuoso (Debian's
virtuoso-opensource) is started on free ports and stopped; without it its column says so.
rdflib-endpoint and Oxigraph's own server are compared in bench/engine_bench.py, not here.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/support/virtuoso.py: the tests' throwaway Virtuoso

import pyoxigraph as ox  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from graph.config import Settings  # noqa: E402
from graph.publish.upload import upload_graphs  # noqa: E402
from graph.store.remote import connect_endpoint  # noqa: E402
from graph.build import open_store
from graph.store import GRAPH_NAMES, QueryRequest, graph_iri  # noqa: E402
from graph.publish.synthetic import synthetic_statements, write_synthetic_graph  # noqa: E402
from graph.vocabulary import HKI  # noqa: E402
from ontology import PREFIXES  # noqa: E402
from support.virtuoso import ThrowawayVirtuoso, virtuoso_binary  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
BACKENDS = ("pyoxigraph direct", "hki store", "hki over Virtuoso")
HKI_PREFIX = f"PREFIX hki: <{PREFIXES['hki']}>\n"
QUERIES = {  # {hub}: the city with the most partnerships; {city}: an ordinary city
    "lookup": "SELECT ?p ?o WHERE {{ <{city}> ?p ?o }}",
    "join": HKI_PREFIX + """SELECT ?other ?label ?start WHERE {{
        ?p hki:partner <{hub}> , ?other ; <http://schema.org/startDate> ?start .
        FILTER (?other != <{hub}>)
        ?other <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER (LANG(?label) = "en") }}""",
    "aggregate": HKI_PREFIX + """SELECT ?country (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        ?p a hki:Partnership ; hki:partner ?c . ?c <http://schema.org/containedInPlace> ?country }}
        GROUP BY ?country ORDER BY DESC(?n)""",
    "describe": "DESCRIBE <{hub}>",
    "path": HKI_PREFIX + "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ <{hub}> hki:twinnedWith/hki:twinnedWith? ?c }}",
}
CLIENTS = 4


def cities_for(triples: int) -> int:
    """Cities giving about `triples` statements (calibrated on a 500-city graph)."""
    sample = synthetic_statements(500, 0, emit=lambda line: None).triples / 500
    return max(2, round(triples / sample))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_calls(call, repeats: int, budget: float) -> list[float]:
    """Seconds per call: one warm-up, then up to `repeats` calls within `budget` seconds."""
    call()
    times: list[float] = []
    deadline = time.monotonic() + budget
    while len(times) < repeats and (not times or time.monotonic() < deadline):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def throughput(calls: list, budget: float) -> float:
    """Requests per second of CLIENTS threads cycling through `calls` for `budget` seconds."""
    done = [0] * CLIENTS
    stop = time.monotonic() + budget

    def client(k: int) -> None:
        i = k
        while time.monotonic() < stop:
            calls[i % len(calls)]()
            done[k] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure_queries(backends: dict[str, object], queries: dict[str, str], repeats: int, budget: float,
                    result: dict) -> None:
    """p50/p95 of every query on every backend, then requests/s of the whole mix with CLIENTS clients."""
    for backend, run in backends.items():
        mix = []
        for name, sparql in queries.items():
            call = (lambda q=sparql: run(q))
            times = time_calls(call, repeats, budget)
            result["queries"].setdefault(name, {})[backend] = {
                "p50": statistics.median(times), "p95": percentile(times, 0.95), "n": len(times)}
            mix.append(call)
        result["throughput"][backend] = throughput(mix, budget)


def run_one(size: int, repeats: int, budget: float, with_virtuoso: bool) -> dict:
    """Everything for one size, in this process; returns the numbers as a dict.

    The embedded backends are measured first and Virtuoso only afterwards, so that a busy Virtuoso
    (it works on after loading) never slows the others down on a small machine.
    """
    work = Path(tempfile.mkdtemp(prefix=f"hki-scale-{size}-"))
    result: dict = {"size": size, "queries": {}, "load": {}, "memory": {}, "throughput": {}}
    graph_media = {"graph_media_type": "application/n-triples", "timeout": 60, "max_rows": 10**6}
    try:
        (work / "data").mkdir()
        synth = work / "synthetic.nt"
        started = time.perf_counter()
        stats = write_synthetic_graph(synth, cities_for(size), seed=0)
        result["synth_seconds"] = time.perf_counter() - started
        result["statements"] = stats.triples

        direct_store = ox.Store()  # pyoxigraph direct: bulk load of the same file
        started = time.perf_counter()
        direct_store.bulk_load(path=str(synth), format=ox.RdfFormat.N_TRIPLES)
        result["load"]["pyoxigraph direct"] = time.perf_counter() - started
        del direct_store

        settings = replace(Settings(), data_dir=work / "data", extra_data=(synth,), store=work / "store")
        started = time.perf_counter()
        kstore = open_store(settings)
        result["load"]["hki store"] = time.perf_counter() - started
        result["memory"]["hki store"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        counts = kstore.triple_counts()
        result["total"] = sum(counts.values())
        kstore.start_query_workers()

        direct = ox.Store()  # the same statements as the hki store, in memory, queried in this process
        direct.bulk_extend(kstore.quads())
        hub = next(iter(direct.query(
            f"SELECT ?c (COUNT(*) AS ?n) WHERE {{ ?p <{HKI.partner}> ?c }} GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 1",
            use_default_graph_as_union=True)))["c"].value
        city = next(iter(direct.query("SELECT ?c WHERE { ?c a <http://schema.org/City> } ORDER BY ?c LIMIT 1",
                                      use_default_graph_as_union=True)))["c"].value
        queries = {name: template.format(hub=hub, city=city) for name, template in QUERIES.items()}
        measure_queries({
            "pyoxigraph direct": lambda q: list(direct.query(q, use_default_graph_as_union=True)),
            "hki store": lambda q: kstore.run(QueryRequest(q, **graph_media)),
        }, queries, repeats, budget, result)
        # ru_maxrss of spawned children starts at the parent's size (fork before exec): read the workers' own peaks.
        workers = [w.process.pid for w in list(kstore.backend._pool._idle.queue)]  # noqa: SLF001 - a benchmark's peek
        result["memory"]["hki workers"] = max((peak_rss_mb(pid) or 0) for pid in workers) if workers else None
        kstore.close()
        kstore = direct = None  # releases the store's lock for the restart below

        # restart: a new process reopens the unchanged on-disk store, starts the workers, answers a query
        started = time.perf_counter()
        restarted = subprocess.run([sys.executable, __file__, "--restart", str(work)], capture_output=True,
                                   text=True, timeout=600)
        if restarted.returncode != 0:
            raise SystemExit(f"the restart at {size:,} statements failed:\n{restarted.stderr}")
        result["restart"] = time.perf_counter() - started
        result.update(json.loads(restarted.stdout))

        if with_virtuoso:
            # A fresh Virtuoso per size: its memory is this size's, its plans do not depend on earlier loads.
            with ThrowawayVirtuoso(buffers=170_000) as server:  # 1.3 GiB of cache: virtuoso.ini's 2 GiB setting
                result["virtuoso_version"] = server.version()
                saved = ox.Store.read_only(str(work / "store"))
                graphs = {name: [ox.Triple(q.subject, q.predicate, q.object)
                                 for q in saved.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri(settings.base, name)))]
                          for name in GRAPH_NAMES}
                del saved
                started = time.perf_counter()
                upload_graphs(graphs, settings.base, server.graph_store_url, user="dba", password="dba")
                result["load"]["hki over Virtuoso"] = time.perf_counter() - started
                del graphs
                remote = connect_endpoint(replace(settings, endpoint=server.sparql_url))
                if remote.triple_counts() != counts:
                    raise SystemExit(f"Virtuoso holds other counts than the hki store: {remote.triple_counts()} != {counts}")
                measure_queries({"hki over Virtuoso": lambda q: remote.run(QueryRequest(q, **graph_media))},
                                queries, repeats, budget, result)
                remote.close()
                result["memory"]["hki over Virtuoso"] = peak_rss_mb(server.process.pid)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def restart(work: Path) -> dict:
    """In a fresh process: open the on-disk store of `work`, start the workers, answer a first query."""
    started = time.perf_counter()
    settings = replace(Settings(), data_dir=work / "data", extra_data=(work / "synthetic.nt",), store=work / "store")
    kstore = open_store(settings)
    kstore.start_query_workers()
    kstore.run(QueryRequest("ASK { ?s ?p ?o }"))
    inside = time.perf_counter() - started
    kstore.close()
    return {"restart_inside": inside, "restart_reused": kstore.reused}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def render(results: list[dict], machine: str, virtuoso_note: str) -> Table:
    table = Table(title=f"hki at scale — {machine}", caption=virtuoso_note, show_lines=False)
    table.add_column("statements", justify="right")
    table.add_column("measure")
    for backend in BACKENDS:
        table.add_column(backend, justify="right")
    for r in results:
        size = f"{r['total']:,}"
        for name, cells in r["queries"].items():
            base = cells["pyoxigraph direct"]["p50"]
            row = []
            for backend in BACKENDS:
                cell = cells.get(backend)
                if cell is None:
                    row.append("—")
                    continue
                ratio = "" if backend == "pyoxigraph direct" else f" (×{cell['p50'] / base:.1f})"
                row.append(f"{ms(cell['p50'])} / {ms(cell['p95'])}{ratio}")
            table.add_row(size, f"{name}: p50 / p95 ms", *row)
            size = ""
        tp = r["throughput"]
        table.add_row("", f"mix, req/s ({CLIENTS} clients)", *[f"{tp[b]:.0f}" if b in tp else "—" for b in BACKENDS])
        load = r["load"]
        table.add_row("", "load, s (s per 1M statements)",
                      *[f"{load[b]:.1f} ({load[b] * 1_000_000 / r['statements']:.1f})" if b in load else "—"
                        for b in BACKENDS])
        mem = r["memory"]
        virtuoso_mem = mem.get("hki over Virtuoso")
        table.add_row("", "memory peak, MiB", "—",
                      f"{mem['hki store']:.0f} load, {mem['hki workers'] or 0:.0f} per worker",
                      f"{virtuoso_mem:.0f} server" if virtuoso_mem else "—")
        table.add_row("", "restart: new process to 1st answer (open+workers), s", "—",
                      f"{r['restart']:.2f} ({r['restart_inside']:.2f})" + ("" if r["restart_reused"] else " rebuilt!"),
                      "—", end_section=True)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                        help="comma-separated statement counts (default: 10000,100000,1000000)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per query and backend (default 20)")
    parser.add_argument("--budget", type=float, default=4.0, help="seconds per query and backend at most (default 4)")
    parser.add_argument("--no-virtuoso", action="store_true", help="leave out hki over Virtuoso")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--restart", help=argparse.SUPPRESS)
    parser.add_argument("--with-virtuoso", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.restart:
        print(json.dumps(restart(Path(args.restart))))
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.repeats, args.budget, args.with_virtuoso)))
        return
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"--sizes {args.sizes!r}: give statement counts separated by commas, e.g. 10000,100000")
    console = Console(stderr=True)
    use_virtuoso = not args.no_virtuoso and virtuoso_binary() is not None
    results = []
    for size in sizes:
        console.print(f"measuring {size:,} statements …")
        command = [sys.executable, __file__, "--one", str(size), "--repeats", str(args.repeats),
                   "--budget", str(args.budget)] + (["--with-virtuoso"] if use_virtuoso else [])
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"the run at {size:,} statements failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if args.no_virtuoso:
        note = "hki over Virtuoso: left out (--no-virtuoso)"
    elif not use_virtuoso:
        note = "hki over Virtuoso: not measured, virtuoso-t is not installed (make system-deps)"
    else:
        note = (f"hki over Virtuoso: Virtuoso {results[0].get('virtuoso_version', '?')} on loopback, "
                "a fresh server per size, 170k buffers; measured after the embedded backends")
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
               f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB, "
               f"Python {platform.python_version()}, pyoxigraph {ox.__version__ if hasattr(ox, '__version__') else ''}")
    Console(width=200).print(render(results, machine, note))


if __name__ == "__main__":
    main()
