"""Benchmark: every page with the world loaded — p50/p99 of home, lists, a city page, a context item's page,
the explorer's data, search and the reconciliation report, over HTTP against a live server.

The store holds the shipped Hannover data plus the world context: the shared extract (Wikidata P190, 2016:
10,055 items, 17,401 twinnings) imported through graph.context's importer into a temporary context folder.
With `--synthetic N` a synthetic graph of N cities (`kg synth`) is loaded beside it, for the lists of a
registry (20k partnerships) and the map of thousands of places with coordinates.

Each URL is asked once cold (the server reads and names what the page needs the first time and keeps it) and
then `--repeat` times; the table shows the cold time, p50, p99 and the answer's size. Target: p50 < 500 ms
for every page, the cities list with the world < 300 ms.

    make bench            # or: .venv/bin/python bench/world_pages_bench.py [--synthetic 10000] [--repeat 20]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from api.app import create_app  # noqa: E402
from graph.build import open_store  # noqa: E402
from graph.config import Settings  # noqa: E402
from graph.context.importer import import_files  # noqa: E402
from graph.publish.synthetic import write_synthetic_graph  # noqa: E402

PAGES = [
    ("home", "/"),
    ("cities list", "/list/cities"),
    ("cities list + world, page 1", "/list/cities?context=show"),
    ("cities list + world, page 100, by twins", "/list/cities?context=show&sort=-wikidata_twins&page=100"),
    ("cities list + world, only Wikidata's twins", "/list/cities?context=show&type=wikidata-twin"),
    ("partnerships list", "/list/partnerships"),
    ("city page (Hannover, with Wikidata's facts)", "/id/city/hannover"),
    ("city page (Bristol)", "/id/city/bristol"),
    ("context item page (Kansas City)", "/kontext/Q41819"),
    ("explorer page", "/explore"),
    ("explorer data: overview", "/api/explore/start"),
    ("explorer data: world layer", "/api/explore/world"),
    ("explorer data: map (places with coordinates)", "/api/explore/map"),
    ("search 'bri'", "/api/search?q=bri"),
    ("search 'hann' (cities)", "/api/search?q=hann&type=schema:City"),
    ("reconciliation report", "/kontext"),
]


def world_extract() -> Path:
    named = os.environ.get("HKI_WORLD_DIR")
    candidates = [Path(named)] if named else [p / "shared" / "world" for p in ROOT.parents] + [Path("/work/shared/world")]
    for candidate in candidates:
        if (candidate / "relations.tsv").is_file():
            return candidate
    sys.exit("the shared world extract (shared/world/relations.tsv, names.tsv) was not found; set HKI_WORLD_DIR")


def serve(settings: Settings):
    store = open_store(settings)
    app = create_app(settings, kstore=store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread, store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="requests per URL after the cold one")
    parser.add_argument("--synthetic", type=int, default=0, help="also load a synthetic graph of N cities")
    parser.add_argument("--only", default="", help="only the pages whose address contains this text, e.g. /list")
    args = parser.parse_args()
    pages = [(name, path) for name, path in PAGES if args.only in path]
    extract = world_extract()
    with tempfile.TemporaryDirectory() as tmp:
        context_dir = Path(tmp) / "context"
        started = time.perf_counter()
        import_files([extract / "relations.tsv"], extract / "names.tsv", context_dir)
        imported = time.perf_counter() - started
        extra: tuple[Path, ...] = ()
        if args.synthetic:
            extra = (Path(tmp) / "synthetic.nt",)
            write_synthetic_graph(extra[0], args.synthetic, seed=7)
        settings = replace(Settings(), context_dir=context_dir, extra_data=extra, lang="de")
        started = time.perf_counter()
        url, server, thread, store = serve(settings)
        loaded = time.perf_counter() - started
        rows = []
        try:
            with httpx.Client(base_url=url, timeout=300) as client:
                for name, path in pages:
                    started = time.perf_counter()
                    response = client.get(path)
                    cold = time.perf_counter() - started
                    times = []
                    for _ in range(args.repeat):
                        started = time.perf_counter()
                        response = client.get(path)
                        times.append(time.perf_counter() - started)
                    rows.append((name, path, response.status_code, len(response.content), cold,
                                 statistics.median(times), percentile(times, 0.99)))
        finally:
            server.should_exit = True
            thread.join(10)
            store.close()
    what = "Hannover + world context" + (f" + synthetic ({args.synthetic:,} cities)" if args.synthetic else "")
    print(f"\nPages with the world loaded ({what}; import {imported:.1f} s, store and server {loaded:.1f} s; "
          f"{args.repeat} requests per page after a cold one; ms)")
    print(f"{'page':<46} {'status':>6} {'bytes':>9} {'cold':>9} {'p50':>8} {'p99':>8}  target")
    failed = False
    for name, path, status, size, cold, p50, p99 in rows:
        target = 0.3 if path.startswith("/list/cities") else 0.5
        ok = status == 200 and p50 < target
        failed |= not ok
        print(f"{name:<46} {status:>6} {size:>9,} {cold * 1000:>9.0f} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f}  "
              f"{'ok' if ok else 'MISSED'} (p50 < {target * 1000:.0f})")
    if failed:
        print("some page missed its target")


if __name__ == "__main__":
    main()
