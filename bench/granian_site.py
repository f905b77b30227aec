"""hki's web application under granian, a Rust HTTP server for Python: an experiment of `make bench`
(bench/engine_bench.py), not a way to serve hki.

It answers the question the Python hop leaves: would a compiled HTTP layer bring hki near Oxigraph's own server?
The application is built as `kg serve` builds it (store loaded in memory, query workers, the on-disk store filled
beside), from the environment: HKI_BENCH_DATA (an extra data file), HKI_BENCH_STORE (the store folder) and
HKI_BENCH_DIST (the downloads folder). hki's own HTTP limits (api/web/hardening.py: request-head size and time,
one write per answer) belong to its uvicorn protocol and are absent here, which is why `kg serve` does not use it.

    HKI_BENCH_DATA=synth.nt HKI_BENCH_STORE=store HKI_BENCH_DIST=dist \\
        python -m granian --interface asgi --factory --workers 1 --port 8001 granian_site:site
"""
from __future__ import annotations

import os
from pathlib import Path


def site():
    """The application over its store, as `kg serve` (one web process) opens it."""
    from api.cli import _settings
    from graph.store.workers import start_worker_server

    settings = _settings(None, extra_data=[Path(os.environ["HKI_BENCH_DATA"])], store=Path(os.environ["HKI_BENCH_STORE"]),
                         endpoint=None, web_workers=None)
    start_worker_server()
    from api.app import create_live_site
    from graph.build import open_knowledge_store

    kstore = open_knowledge_store(settings, serving=True)
    return create_live_site(settings, dist_dir=Path(os.environ["HKI_BENCH_DIST"]), kstore=kstore, owns_store=True)
