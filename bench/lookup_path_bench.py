"""What hki's Python costs per uncached lookup, without any HTTP server: the ASGI application called directly.

    .venv/bin/python bench/lookup_path_bench.py [--requests 30000] [--cities 3000]

The application is built as `kg serve` builds it (in memory, answer cache off) over `kg synth --cities N` plus the
shipped data; each request is a new text (a comment differs) of engine_bench's lookup, through every middleware
(limits, security headers, CORS, metrics, access log to /dev/null) to the answer. Printed: p50, p90 and p99 of the
second half of the requests (the first half lets the query workers finish starting beside), and, measured alone
for the same text: the lookup reader (tree-sitter's parse and its walk), the store's index answering the one
pattern (what hki does since 2026-12-06, graph.store.evaluation.execute_lookup) and Oxigraph's parse and evaluation
of the text (what it did before).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import timeit
import urllib.parse
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30000)
    parser.add_argument("--cities", type=int, default=3000)
    args = parser.parse_args()
    os.environ.update(HKI_ANSWER_CACHE_MB="0", HKI_MAX_ROWS="10000", HKI_QUERY_TIMEOUT="300")
    from api.app import create_live_site
    from api.cli import _settings
    from api.routers.operations import configure_access_log
    from engine_bench import JSON, QUERIES
    from graph.build import open_knowledge_store
    from graph.publish.synthetic import write_synthetic_graph
    from graph.store.query_reader import read_bounded_lookup

    with tempfile.TemporaryDirectory(prefix="hki-lookup-path-") as tmp:
        synth = Path(tmp) / "synth.nt"
        write_synthetic_graph(synth, args.cities, 0)
        city = next(line.split(" ", 1)[0].strip("<>") for line in synth.open(encoding="utf-8")
                    if "<http://schema.org/City>" in line and "#type>" in line)
        settings = _settings(None, extra_data=[synth], store=None, endpoint=None, web_workers=None)
        kstore = open_knowledge_store(settings)
        site = create_live_site(settings, dist_dir=Path(tmp) / "no-dist", kstore=kstore, owns_store=True)
        configure_access_log(open(os.devnull, "w"))
        lookup = QUERIES["lookup"].replace("{city}", city)
        times: list[float] = []

        async def requests() -> None:
            sent: list[dict] = []

            async def send(message):
                sent.append(message)

            async def receive():
                return {"type": "http.request", "body": b"", "more_body": False}

            for number in range(args.requests):
                query = urllib.parse.urlencode({"query": f"{lookup}\n# request {number}"}).encode()
                scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                         "scheme": "http", "path": "/sparql", "raw_path": b"/sparql", "query_string": query,
                         "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", JSON.encode())],
                         "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
                sent.clear()
                started = time.perf_counter()
                await site(scope, receive, send)
                times.append(time.perf_counter() - started)
                if sent[0]["status"] != 200:
                    sys.exit(f"the lookup was answered {sent[0]['status']}: {sent[-1].get('body', b'')[:300]!r}")

        asyncio.run(requests())
        measured = sorted(times[len(times) // 2:])
        count = [0]

        def reading() -> None:
            count[0] += 1
            read_bounded_lookup(f"{lookup}\n# again {count[0]}")  # a new text: not the remembered reading

        read = min(timeit.repeat(reading, number=2000, repeat=5)) / 2000
        engine = kstore.backend.store
        pattern = read_bounded_lookup(lookup).pattern
        subject, predicate = ox.NamedNode(pattern.subject), ox.NamedNode(pattern.predicate)
        indexed = min(timeit.repeat(lambda: list(engine.quads_for_pattern(subject, predicate, None, None)),
                                    number=2000, repeat=5)) / 2000
        evaluated = min(timeit.repeat(lambda: list(engine.query(lookup, use_default_graph_as_union=True)),
                                      number=2000, repeat=5)) / 2000
        kstore.close()
    print(f"uncached lookup through the application, {len(measured):,} requests: p50 "
          f"{statistics.median(measured) * 1e6:.0f} µs, p90 {measured[int(len(measured) * 0.9)] * 1e6:.0f} µs, "
          f"p99 {measured[int(len(measured) * 0.99)] * 1e6:.0f} µs")
    print(f"of which, measured alone: the lookup reader {read * 1e6:.0f} µs, the store's index {indexed * 1e6:.0f} µs "
          f"(Oxigraph's parse and evaluation of the text, not used for it: {evaluated * 1e6:.0f} µs)")


if __name__ == "__main__":
    main()
