"""The limit of the Python web stack: a FastAPI route that answers a fixed ASK result, under uvicorn with the HTTP
stack hki uses (httptools, uvloop). bench/engine_bench.py measures hki's throughput against it.

    python bench/bare_fastapi.py --port 8002
"""
from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

ANSWER = b'{"head":{},"boolean":true}'
app = FastAPI()


@app.get("/sparql")
def ask() -> Response:  # a plain def, like hki's /sparql handler: FastAPI runs it in its thread pool
    return Response(ANSWER, media_type="application/sparql-results+json")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, http="httptools",
                loop="uvloop")
