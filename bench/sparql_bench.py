"""Benchmark: hki's SPARQL endpoint over HTTP vs pyoxigraph in-process vs rdflib-endpoint over HTTP.

Same data, same query mix (lookup, join, aggregate, small result), at the Hannover graph and at a
synthetic graph of about 100k triples (graph/publish/synthetic.py via bench/synthetic.py). Prints one table: median and p95 latency,
requests per second (one client, sequential requests, the three systems called in turn), and the ratios the targets are stated in
(rdflib-endpoint ÷ hki on the same query; hki's median overhead over in-process pyoxigraph).

    make bench            # or: .venv/bin/python bench/sparql_bench.py [--requests 30] [--budget 20]

Everything runs on loopback; every loop is bounded by a request count and a time budget.
Needs the `bench` extra (rdflib-endpoint): pip install -e '.[bench]'.
"""
from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from graph.config import Settings  # noqa: E402
from graph.build import open_store  # noqa: E402
from synthetic import sample_cities, write as write_synthetic  # noqa: E402
from ontology import PREFIXES as NAMESPACES  # noqa: E402

PREFIXES = "".join(f"PREFIX {prefix}: <{NAMESPACES[prefix]}>\n" for prefix in ("hki", "schema", "rdfs"))
QUERIES = {
    "lookup": PREFIXES + "SELECT ?label WHERE { <{city}> rdfs:label ?label }",
    "join": PREFIXES + """SELECT ?partnership ?city ?name ?start WHERE {
  ?partnership a hki:Partnership ; hki:partner ?city ; schema:startDate ?start .
  ?city rdfs:label ?name .
  FILTER(lang(?name) = "en" && SUBSTR(STR(?start), 1, 4) >= "1960" && SUBSTR(STR(?start), 1, 4) < "1990")
}""",
    "aggregate": PREFIXES + """SELECT ?country ?type (COUNT(DISTINCT ?partnership) AS ?n) WHERE {
  ?partnership a hki:Partnership ; hki:partnershipType ?type ; hki:partner ?city .
  ?city schema:containedInPlace ?country .
} GROUP BY ?country ?type ORDER BY DESC(?n) ?country ?type""",
    "small": PREFIXES + "SELECT ?city WHERE { ?city a schema:City } ORDER BY ?city LIMIT 10",
}
ACCEPT = {"Accept": "application/sparql-results+json"}


@dataclass
class Measurement:
    times: list[float]
    rows: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000

    @property
    def per_second(self) -> float:
        return len(self.times) / sum(self.times)


def measure(calls: dict[str, Callable[[], int]], requests: int, budget: float) -> dict[str, Measurement]:
    """Warm each system up once, then call them in turn, round by round (so a change in the machine's load
    hits all alike), up to `requests` rounds; a system stops once it has spent `budget` seconds
    (after at least 3 calls)."""
    rows, warmup, times = {}, {}, {name: [] for name in calls}
    for name, call in calls.items():
        started = time.perf_counter()
        rows[name] = call()
        warmup[name] = time.perf_counter() - started
    for _ in range(requests):
        active = [n for n in calls if len(times[n]) < 3 or sum(times[n]) + warmup[n] < budget]
        if not active:
            break
        for name in active:
            t0 = time.perf_counter()
            rows[name] = calls[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: Measurement(times[name], rows[name]) for name in calls}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with code {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, headers=ACCEPT, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:g} s")


def http_call(client: httpx.Client, url: str, query: str) -> Callable[[], int]:
    def call() -> int:
        response = client.get(url, params={"query": query}, headers=ACCEPT)
        response.raise_for_status()
        return len(response.json()["results"]["bindings"])
    return call


def oxigraph_call(store: ox.Store, query: str) -> Callable[[], int]:
    def call() -> int:
        result = store.query(query, use_default_graph_as_union=True)
        body = result.serialize(format=ox.QueryResultsFormat.JSON)  # the same work an endpoint does
        return len(list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))) if body else 0
    return call


def run_graph(name: str, data_dir: Path, city: str, requests: int, budget: float, workdir: Path) -> list[dict]:
    settings = replace(Settings(), data_dir=data_dir, query_timeout=300, max_rows=1_000_000)
    kstore = open_store(settings)
    memory = kstore.backend.store  # the embedded Oxigraph store itself, queried in-process
    triples = sum(kstore.triple_counts().values())
    nquads = workdir / f"{name}.nq"
    nquads.write_bytes(ox.serialize(memory, format=ox.RdfFormat.N_QUADS))
    env = {**os.environ, "HKI_DATA_DIR": str(data_dir), "HKI_QUERY_TIMEOUT": "300", "HKI_MAX_ROWS": "1000000"}
    hki_port, rdflib_port = free_port(), free_port()
    servers = [
        subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(hki_port),
                          "--dist", str(workdir / "no-dist")], cwd=workdir, env={**env, "PYTHONPATH": str(ROOT)},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, str(ROOT / "bench" / "rdflib_server.py"), str(nquads), "--port", str(rdflib_port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    hki_url, rdflib_url = f"http://127.0.0.1:{hki_port}/sparql", f"http://127.0.0.1:{rdflib_port}/sparql"
    rows = []
    try:
        wait_ready(hki_url, servers[0])
        wait_ready(rdflib_url, servers[1])
        with httpx.Client(timeout=300) as client:
            for label, template in QUERIES.items():
                query = template.replace("{city}", city)
                results = measure({"hki": http_call(client, hki_url, query),
                                   "oxigraph": oxigraph_call(memory, query),
                                   "rdflib-endpoint": http_call(client, rdflib_url, query)}, requests, budget)
                counts = {system: m.rows for system, m in results.items()}
                if len(set(counts.values())) != 1:
                    print(f"warning: {name}/{label}: the systems disagree on the row count: {counts}", file=sys.stderr)
                rows.append({"graph": f"{name} ({triples:,} triples)", "query": label, "results": results})
                print(f"  measured {name} / {label}", file=sys.stderr, flush=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        kstore.close()
    return rows


def print_table(rows: list[dict]) -> None:
    header = ["graph", "query", "rows",
              "hki med", "hki p95", "hki req/s",
              "oxigraph med", "oxigraph p95", "oxigraph req/s",
              "rdflib-ep med", "rdflib-ep p95", "rdflib-ep req/s",
              "rdflib-ep ÷ hki", "hki − oxigraph"]
    lines = []
    for row in rows:
        r = row["results"]
        hki, oxi, rdf = r["hki"], r["oxigraph"], r["rdflib-endpoint"]
        lines.append([row["graph"], row["query"], str(hki.rows),
                      f"{hki.median_ms:.2f}", f"{hki.p95_ms:.2f}", f"{hki.per_second:,.0f}",
                      f"{oxi.median_ms:.2f}", f"{oxi.p95_ms:.2f}", f"{oxi.per_second:,.0f}",
                      f"{rdf.median_ms:.1f}", f"{rdf.p95_ms:.1f}", f"{rdf.per_second:,.1f}",
                      f"{rdf.median_ms / hki.median_ms:,.0f}×", f"{hki.median_ms - oxi.median_ms:+.2f} ms"])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("Latency in ms (median, p95), one client, sequential requests; hki and rdflib-endpoint over HTTP "
          "on loopback, oxigraph in-process (query + JSON serialisation).")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        print("| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="measured requests per system and query (max)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per system and query (max, after 3 requests)")
    parser.add_argument("--triples", type=int, default=100_000, help="size of the synthetic graph")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hki-bench-") as tmp:
        workdir = Path(tmp)
        synthetic_dir = workdir / "synthetic"
        synthetic_city = sample_cities(write_synthetic(synthetic_dir, args.triples), 1)[0]
        rows = []
        print("benchmarking the Hannover graph …", file=sys.stderr, flush=True)
        rows += run_graph("hannover", ROOT / "graph" / "data", "https://w3id.org/hki/id/city/bristol",
                          args.requests, args.budget, workdir)
        print("benchmarking the synthetic graph …", file=sys.stderr, flush=True)
        rows += run_graph("synthetic", synthetic_dir, synthetic_city,
                          args.requests, args.budget, workdir)
    print_table(rows)


if __name__ == "__main__":
    main()
