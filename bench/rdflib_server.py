"""rdflib-endpoint serving an N-Quads file, for the benchmark (the nearest Python peer of hki's endpoint).

    python bench/rdflib_server.py DATA.nq --port 8001

The default graph is the union of the named graphs, as in hki. Loopback only.
"""
from __future__ import annotations

import argparse
import sys

import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    dataset = Dataset(default_union=True)
    dataset.parse(args.data, format="nquads")
    print(f"rdflib-endpoint: {len(dataset)} triples loaded", file=sys.stderr, flush=True)
    app = SparqlEndpoint(graph=dataset, path="/sparql", public_url=f"http://127.0.0.1:{args.port}/sparql",
                         enable_update=False, cors_enabled=False)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
