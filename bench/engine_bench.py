"""hki against the limit of its design — Oxigraph's own HTTP server on the same data — and its peers, in one run.

    make bench                                   # or: .venv/bin/python bench/engine_bench.py [--cities 3000]
    .venv/bin/python bench/engine_bench.py --before /tmp/old-hki    # adds a column for another checkout of hki

Systems, each a server on loopback over the same statements (`kg synth --cities N` plus the shipped data, as hki
loads them — ontology, vocabularies, Hannover, derived shortcuts, the dataset's description):
- **Oxigraph server**: `oxigraph load` (its bulk loader) then `oxigraph serve-read-only --union-default-graph`
  (PyPI package `oxigraph`, the same version as pyoxigraph);
- **hki**: `kg serve` on a fresh on-disk store (and with `web_workers = 2`);
- **hki under granian** (an experiment, answer cache off): the same application served by granian, a Rust HTTP
  server (bench/granian_site.py): what a compiled HTTP layer in front of hki's Python would change;
- **rdflib-endpoint** (the nearest Python peer);
- **bare FastAPI**: a route that answers a fixed ASK result under uvicorn with hki's HTTP stack (httptools,
  uvloop): the limit of the Python web stack itself;
- **the engine alone**: pyoxigraph in this process, after the servers have stopped (no HTTP, no worker): the floor
  of any latency on this engine, and so the ceiling of hki's ratios to its peers.

Printed: load → first answer (process start until the first ASK is answered; for Oxigraph and hki the median of
`--starts` starts made in turns, each listed below the table), p50 latencies of one client sending
requests one after another (lookup, small SELECT, join + aggregate, 10k rows; the systems called in turn, round by
round), and throughput with `wrk -t2 -c8` (Debian package wrk) for ASK and lookup; then the ratios the targets are
stated in. Every loop is bounded by a request count and a time budget.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.config import Settings  # noqa: E402
from ontology import PREFIXES as NAMESPACES  # noqa: E402

PREFIXES = "".join(f"PREFIX {p}: <{NAMESPACES[p]}>\n" for p in ("hki", "schema", "rdfs"))
QUERIES = {
    "lookup": PREFIXES + "SELECT ?label WHERE { <{city}> rdfs:label ?label }",
    "small SELECT": PREFIXES + "SELECT ?city WHERE { ?city a schema:City } ORDER BY ?city LIMIT 10",
    "join+aggregate": PREFIXES + """SELECT ?country ?type (COUNT(DISTINCT ?partnership) AS ?n) WHERE {
  ?partnership a hki:Partnership ; hki:partnershipType ?type ; hki:partner ?city .
  ?city schema:containedInPlace ?country .
} GROUP BY ?country ?type ORDER BY DESC(?n) ?country ?type""",
    "10k rows": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10000",
}
ASK = "ASK {}"
JSON = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str  # the query URL
    process: subprocess.Popen | None = None
    first_answer: float | None = None  # seconds from start to the first answer (the median of `starts`)
    starts: list[float] = field(default_factory=list)  # every measured start, in the order they ran
    extra: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for proc in [self.process, *self.extra]:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in [self.process, *self.extra]:
            if proc is not None:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def wait_first_answer(url: str, started: float, processes: list[subprocess.Popen], seconds: float = 600) -> float:
    deadline = started + seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            for proc in processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server for {url} exited with code {proc.returncode}")
            try:
                if client.get(url, params={"query": ASK}, headers={"Accept": JSON}).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {seconds:g} s")


def start_oxigraph(nquads: Path, workdir: Path) -> Server:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    location, port = workdir / "oxigraph-store", free_port()
    shutil.rmtree(location, ignore_errors=True)  # measured again from nothing (--starts)
    started = time.monotonic()
    subprocess.run([binary, "load", "--location", str(location), "--file", str(nquads)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = subprocess.Popen([binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("Oxigraph server", f"http://127.0.0.1:{port}/query", proc)
    server.first_answer = wait_first_answer(server.url, started, [proc])
    return server


def start_hki(name: str, root: Path, synth: Path, workdir: Path, web_workers: int = 1, cache_mb: int = 64) -> Server:
    port = free_port()
    store = workdir / f"store-{name.replace(' ', '-')}"
    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(root), "HKI_QUERY_TIMEOUT": "300", "HKI_MAX_ROWS": "10000",
           "HKI_WEB_WORKERS": str(web_workers), "HKI_ANSWER_CACHE_MB": str(cache_mb), "MALLOC_ARENA_MAX": "2"}
    env.pop("HKI_CONFIG", None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--store", str(store), "--data", str(synth), "--dist", str(workdir / "no-dist")],
                            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / f"{name}.log", "wb"))
    server = Server(name, f"http://127.0.0.1:{port}/sparql", proc)
    server.first_answer = wait_first_answer(server.url, started, [proc])
    settle(f"http://127.0.0.1:{port}/ready", proc)
    return server


def settle(ready_url: str, proc: subprocess.Popen, seconds: float = 600) -> None:
    """Wait until a server has finished what it does after its first answer (warm-up, filling its on-disk store,
    starting the rest of its workers: /ready says 200, then a little quiet), so it does not slow the next one down."""
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=10) as client:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if client.get(ready_url).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    time.sleep(5)


def start_granian(name: str, synth: Path, workdir: Path) -> Server:
    """hki's application, answer cache off, under granian (bench/granian_site.py): one worker process."""
    port = free_port()
    store = workdir / "store-granian"
    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}", "HKI_QUERY_TIMEOUT": "300",
           "HKI_MAX_ROWS": "10000", "HKI_ANSWER_CACHE_MB": "0", "MALLOC_ARENA_MAX": "2", "HKI_BENCH_DATA": str(synth),
           "HKI_BENCH_STORE": str(store), "HKI_BENCH_DIST": str(workdir / "no-dist")}
    env.pop("HKI_CONFIG", None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--workers", "1",
                             "--host", "127.0.0.1", "--port", str(port), "--no-ws", "granian_site:site"],
                            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "granian.log", "wb"))
    server = Server(name, f"http://127.0.0.1:{port}/sparql", proc)
    server.first_answer = wait_first_answer(server.url, started, [proc])
    settle(f"http://127.0.0.1:{port}/ready", proc)
    return server


def start_rdflib(nquads: Path) -> Server:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "rdflib_server.py"), str(nquads), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("rdflib-endpoint", f"http://127.0.0.1:{port}/sparql", proc)
    server.first_answer = wait_first_answer(server.url, started, [proc])
    return server


def start_bare() -> Server:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_fastapi.py"), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("bare FastAPI route", f"http://127.0.0.1:{port}/sparql", proc)
    wait_first_answer(server.url, started, [proc])
    return server


def latencies(servers: list[Server], query: str, requests: int, budget: float) -> dict[str, tuple[float, int]]:
    """p50 in ms and the row count per server; the servers are called in turn, round by round."""
    times: dict[str, list[float]] = {s.name: [] for s in servers}
    rows: dict[str, int] = {}
    spent = {s.name: 0.0 for s in servers}
    with httpx.Client(timeout=300) as client:
        sent = 0

        def call(server: Server) -> float:
            nonlocal sent
            sent += 1  # a new text each time (a comment): no system answers from a cache of earlier requests
            t0 = time.perf_counter()
            response = client.get(server.url, params={"query": f"{query}\n# request {sent}"}, headers={"Accept": JSON})
            response.raise_for_status()
            elapsed = time.perf_counter() - t0
            rows[server.name] = len(response.json()["results"]["bindings"])
            return elapsed
        for server in servers:
            call(server)  # warm-up
        for _ in range(requests):
            active = [s for s in servers if len(times[s.name]) < 5 or spent[s.name] < budget]
            if not active:
                break
            for server in active:
                elapsed = call(server)
                times[server.name].append(elapsed)
                spent[server.name] += elapsed
    return {name: (statistics.median(t) * 1000, rows[name]) for name, t in times.items()}


def in_process(nquads: Path, city: str, requests: int, budget: float) -> tuple[float, dict[str, float]]:
    """The engine alone: pyoxigraph in this process (bulk load into memory, each query evaluated and written as SPARQL
    JSON by Oxigraph's serialiser), no HTTP and no worker. Seconds to load, and the p50 in ms per query: what no
    server built on this engine can beat, so the floor of hki's latencies and the ceiling of its ratios to others."""
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    bool(store.query(ASK, use_default_graph_as_union=True))
    loaded = time.perf_counter() - started
    p50: dict[str, float] = {}
    for label, template in QUERIES.items():
        query, times = template.replace("{city}", city), []
        for sent in range(requests + 1):
            t0 = time.perf_counter()
            store.query(f"{query}\n# request {sent}", use_default_graph_as_union=True).serialize(
                format=ox.QueryResultsFormat.JSON)
            if sent:  # the first is a warm-up, as for the servers
                times.append(time.perf_counter() - t0)
            if len(times) >= 5 and sum(times) >= budget:
                break
        p50[label] = statistics.median(times) * 1000
    del store
    return loaded, p50


def wrk(url: str, query: str, seconds: int = 5, threads: int = 2, connections: int = 8) -> float:
    """Requests per second from wrk (non-2xx answers make the run count as failed)."""
    target = str(httpx.URL(url, params={"query": query}))
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-H", f"Accept: {JSON}",
                           target], capture_output=True, text=True, timeout=seconds + 30)
    output = done.stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk got error answers from {url}:\n{output}")
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"wrk printed no rate for {url}:\n{output}\n{done.stderr}")


def data_files(synth: Path, workdir: Path) -> Path:
    """The statements hki loads for this data (inputs, derived shortcuts, description) as one N-Quads file."""
    from graph.build import open_store

    settings = replace(Settings(), extra_data=(synth,))
    kstore = open_store(settings)
    path = workdir / "all.nq"
    path.write_bytes(ox.serialize(kstore.backend.store, format=ox.RdfFormat.N_QUADS))
    count = len(kstore.backend.store)
    kstore.close()
    print(f"data: {count:,} statements ({path.stat().st_size / 1e6:.0f} MB of N-Quads)", file=sys.stderr, flush=True)
    return path


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def table(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += ["| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))) + " |"
            for line in lines]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=3000, help="size of the synthetic graph (kg synth --cities)")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per system and query (max)")
    parser.add_argument("--budget", type=float, default=15.0, help="seconds per system and query (max, after 5)")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout of hki to measure in the same run")
    parser.add_argument("--starts", type=int, default=3,
                        help="starts of Oxigraph and hki measured for load → first answer (the median counts)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: make bench installs it (Debian package wrk), or apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="hki-engine-bench-") as tmp:
        workdir = Path(tmp)
        synth = workdir / "synth.nt"
        from graph.publish.synthetic import write_synthetic_graph
        write_synthetic_graph(synth, args.cities, 0)
        nquads = data_files(synth, workdir)
        city = next(line.split(" ", 1)[0].strip("<>") for line in synth.open(encoding="utf-8")
                    if "<http://schema.org/City>" in line and "#type>" in line)
        servers: list[Server] = []
        try:
            print("starting the servers one after another (load → first answer) …", file=sys.stderr, flush=True)
            # The machine's noise moves one start by ±30 %: the systems the load goal compares start --starts times,
            # in turns, and the median counts; the last start of each is the server measured below.
            starters = [lambda: start_oxigraph(nquads, workdir)]
            if args.before:
                starters.append(lambda: start_hki("hki (before)", args.before.resolve(), synth, workdir))
            starters.append(lambda: start_hki("hki", ROOT, synth, workdir))
            samples: list[list[float]] = [[] for _ in starters]
            for round_ in range(args.starts):
                for index, start in enumerate(starters):
                    server = start()
                    samples[index].append(server.first_answer or 0.0)
                    if round_ < args.starts - 1:
                        server.stop()
                    else:
                        server.starts = samples[index]
                        server.first_answer = statistics.median(samples[index])
                        servers.append(server)
            servers.append(start_hki("hki, answer cache off", ROOT, synth, workdir, cache_mb=0))
            servers.append(start_hki("hki, 2 web processes", ROOT, synth, workdir, web_workers=2))
            servers.append(start_hki("hki, 2 web processes, answer cache off", ROOT, synth, workdir, web_workers=2,
                                     cache_mb=0))
            servers.append(start_granian("hki under granian, answer cache off", synth, workdir))
            servers.append(start_rdflib(nquads))
            bare = start_bare()
            servers.append(bare)
            engines = [s for s in servers if s is not bare  # throughput only, for these two:
                       and s.name not in ("hki, answer cache off", "hki, 2 web processes, answer cache off")]
            results: dict[str, dict[str, tuple[float, int]]] = {}
            for label, template in QUERIES.items():
                print(f"latency: {label} …", file=sys.stderr, flush=True)
                results[label] = latencies(engines, template.replace("{city}", city), args.requests, args.budget)
                counts = {name: rows for name, (_, rows) in results[label].items()}
                if len(set(counts.values())) != 1:
                    print(f"warning: {label}: the systems disagree on the row count: {counts}", file=sys.stderr)
            rates: dict[str, dict[str, float]] = {}
            for server in servers:
                print(f"throughput: {server.name} …", file=sys.stderr, flush=True)
                rates[server.name] = {"ASK": wrk(server.url, ASK, args.wrk_seconds)}
                if server is not bare:
                    rates[server.name]["lookup"] = wrk(server.url, QUERIES["lookup"].replace("{city}", city),
                                                       args.wrk_seconds)
        finally:
            for server in servers:
                server.stop()
        print("the engine alone: pyoxigraph in process …", file=sys.stderr, flush=True)
        engine_load, engine = in_process(nquads, city, args.requests, args.budget)
    header = ["", "load → first answer", *[f"{q} p50" for q in QUERIES], "ASK req/s", "lookup req/s"]
    lines = []
    for server in servers:
        row = [server.name, "–" if server.name.startswith("bare") else f"{server.first_answer:.1f} s"]
        row += [fmt_ms(results[q].get(server.name, (None, 0))[0]) for q in QUERIES]
        row += [f"{rates[server.name]['ASK']:,.0f}", f"{rates[server.name]['lookup']:,.0f}" if "lookup" in
                rates[server.name] else "–"]
        lines.append(row)
    lines.append(["pyoxigraph in process (no HTTP)", f"{engine_load:.1f} s", *[fmt_ms(engine[q]) for q in QUERIES],
                  "–", "–"])
    print(f"\nSame data ({args.cities} synthetic cities plus the shipped graph), loopback, {os.cpu_count()} cores; "
          f"p50 of one client's sequential requests, each a new text (no cache helps); throughput: wrk -t2 -c8 "
          f"-d{args.wrk_seconds}s repeating one request (hki answers repeats from its answer cache, except in the "
          "row 'answer cache off').\n")
    print(table(header, lines))
    repeated = [server for server in servers if len(server.starts) > 1]
    if repeated:
        print("\nload → first answer is the median of " + "; ".join(
            f"{server.name}: {', '.join(f'{t:.1f}' for t in server.starts)} s" for server in repeated) + "\n")
    oxi, hki, two, rdf, uncached = "Oxigraph server", "hki", "hki, 2 web processes", "rdflib-endpoint", "hki, answer cache off"
    two_uncached = "hki, 2 web processes, answer cache off"
    granian = "hki under granian, answer cache off"
    bare_rate = rates["bare FastAPI route"]["ASK"]
    ratios = [
        ["load → first answer ÷ Oxigraph's bulk load", f"{servers[[s.name for s in servers].index(hki)].first_answer / servers[0].first_answer:.2f}×", "≤ 1.5×"],
        *[[f"{q} p50 ÷ Oxigraph server", f"{results[q][hki][0] / results[q][oxi][0]:.2f}×",
           "≤ 2×" if q in ("lookup", "small SELECT") else ("≤ 1.2×" if q == "10k rows" else "no slower than before")]
          for q in QUERIES],
        ["join+aggregate: rdflib-endpoint ÷ hki", f"{results['join+aggregate'][rdf][0] / results['join+aggregate'][hki][0]:.1f}×", "≥ 20×"],
        ["join+aggregate: rdflib-endpoint ÷ the engine alone", f"{results['join+aggregate'][rdf][0] / engine['join+aggregate']:.1f}×", "(the ceiling)"],
        ["join+aggregate p50 ÷ the engine alone", f"{results['join+aggregate'][hki][0] / engine['join+aggregate']:.2f}×", "(hki's own cost)"],
        ["lookup p50 ÷ the engine alone", f"{results['lookup'][hki][0] / engine['lookup']:.1f}×", "(one HTTP hop)"],
        ["ASK req/s ÷ bare FastAPI route (1 web process)", f"{rates[hki]['ASK'] / bare_rate:.2f}×", "≥ 0.8×"],
        ["ASK req/s, answer cache off ÷ bare FastAPI route", f"{rates[uncached]['ASK'] / bare_rate:.2f}×", "(every request evaluated)"],
        ["ASK req/s ÷ rdflib-endpoint", f"{rates[hki]['ASK'] / rates[rdf]['ASK']:.1f}×", "≥ 2×"],
        ["lookup req/s, answer cache off ÷ rdflib-endpoint", f"{rates[uncached]['lookup'] / rates[rdf]['lookup']:.1f}×", "≥ 2×"],
        ["lookup p50: under granian ÷ under hki's uvicorn", f"{results['lookup'][granian][0] / results['lookup'][hki][0]:.2f}×",
         "(a compiled HTTP layer)"],
        ["lookup req/s, answer cache off: under granian ÷ under hki's uvicorn",
         f"{rates[granian]['lookup'] / rates[uncached]['lookup']:.2f}×", "(a compiled HTTP layer)"],
        ["ASK req/s, 2 web processes ÷ 1", f"{rates[two]['ASK'] / rates[hki]['ASK']:.2f}×", "scales"],
        ["lookup req/s, 2 web processes ÷ 1", f"{rates[two]['lookup'] / rates[hki]['lookup']:.2f}×", "scales"],
        ["lookup req/s, answer cache off: 2 web processes ÷ 1", f"{rates[two_uncached]['lookup'] / rates[uncached]['lookup']:.2f}×",
         "scales"],
        ["lookup req/s, answer cache off, 2 web processes ÷ rdflib-endpoint",
         f"{rates[two_uncached]['lookup'] / rates[rdf]['lookup']:.1f}×", "≥ 2×"],
    ]
    print("\n" + table(["ratio", "measured", "goal"], ratios))


if __name__ == "__main__":
    main()
