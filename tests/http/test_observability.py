"""Observability: one JSON access-log line per request (with query time, rows and truncation),
`/health` and `/ready`, and `/metrics` in the Prometheus text format with the store's counters."""
from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.routers.operations import ACCESS_LOG, configure_access_log
from graph.build import open_store
from graph.store import KnowledgeStore
from support.live_server import kg_serve

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def store(settings) -> Iterator[KnowledgeStore]:
    """A store of this module's own: its counters are read, and a runaway query kills one of its workers."""
    kstore = open_store(replace(settings, query_timeout=1.0, max_rows=5))
    yield kstore
    kstore.close()


@pytest.fixture(scope="module")
def client(make_client, settings, store) -> Iterator[TestClient]:
    """The app with a one-second time limit and five rows at most."""
    with make_client(replace(settings, query_timeout=1.0, max_rows=5), kstore=store) as http:
        yield http


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    saved = (list(ACCESS_LOG.handlers), ACCESS_LOG.level, ACCESS_LOG.propagate)
    configure_access_log(stream)
    yield stream
    ACCESS_LOG.handlers[:] = saved[0]
    ACCESS_LOG.setLevel(saved[1])  # setLevel, not the attribute: it clears the logger's cache
    ACCESS_LOG.propagate = saved[2]


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def metrics(client: TestClient) -> dict[str, float]:
    """Every sample of /metrics as 'name{label="value",…}' → value."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return out


# ------------------------------------------------------------------------------------------ access log

def test_every_request_is_one_json_line_with_status_duration_and_query_figures(client, access_log):
    client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    client.get("/id/city/bristol", headers={"Accept": "text/html"})
    client.get("/no-such-page")
    first, page, missing = records(access_log)
    assert first["method"] == "GET" and first["path"] == "/sparql" and first["status"] == 200
    assert first["queries"] == 1 and first["rows"] == 5 and first["truncated"] is True  # max_rows = 5
    assert first["query_ms"] > 0 and first["duration_ms"] >= first["query_ms"]
    assert first["client"] == "testclient" and first["bytes"] > 0
    assert page["status"] == 200 and page["queries"] >= 2 and page["truncated"] is False
    assert missing["status"] == 404 and missing["queries"] == 0
    assert {"time", "method", "path", "status", "duration_ms", "query_ms", "rows", "truncated", "client"} <= set(first)


def test_a_path_with_line_breaks_cannot_forge_log_lines(client, access_log):
    client.get("/id/city/x%0A%7B%22status%22%3A200%7D")
    lines = access_log.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["path"] == '/id/city/x\n{"status":200}'


def test_a_handler_added_to_the_access_log_gets_every_line_too(client, access_log):
    """The access log writes its own lines straight to its stream (api/routers/operations.py AccessLogHandler);
    a handler someone adds (a file, a log shipper) still receives each request as a record, with the same line."""
    import logging

    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    added = Collect()
    ACCESS_LOG.addHandler(added)
    try:
        client.get("/sparql", params={"query": "ASK {}"})
    finally:
        ACCESS_LOG.removeHandler(added)
    client.get("/health")
    written = access_log.getvalue().splitlines()
    assert len(seen) == 1 and json.loads(seen[0])["path"] == "/sparql"
    assert written[0] == seen[0] and json.loads(written[1])["path"] == "/health"


def test_a_filter_level_or_format_set_on_the_access_log_is_honoured(client, access_log):
    import logging

    handler = ACCESS_LOG.handlers[0]
    handler.setFormatter(logging.Formatter("access %(message)s"))
    client.get("/health")
    handler.addFilter(lambda record: "/sparql" not in record.getMessage())
    client.get("/sparql", params={"query": "ASK {}"})
    handler.filters.clear()
    handler.setLevel(logging.WARNING)
    client.get("/health")
    lines = access_log.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("access {") and json.loads(lines[0][7:])["path"] == "/health"


def test_kg_serve_writes_the_access_log_to_standard_output(tmp_path):
    with kg_serve(tmp_path, "--store", str(tmp_path / "store")) as server:  # stderr is checked for tracebacks
        httpx.get(server.url + "/sparql", params={"query": "ASK {}"})
    lines = server.records()  # standard output, read once the server has stopped
    assert any(r["path"] == "/sparql" and r["status"] == 200 and r["queries"] == 1 for r in lines), lines


def test_kg_serve_starts_without_garbage_collections_and_collects_again_once_serving(tmp_path):
    """The start runs with the cyclic garbage collector paused (api/cli.py) and freezes what it made, the modules and
    the application (api/server.py): once serving, the collector runs again, over what the requests make."""
    with kg_serve(tmp_path, "--store", str(tmp_path / "store")) as server:
        before = server.metrics()
        for number in range(300):  # each a new text: answered by the engine, not from the answer cache
            assert httpx.get(server.url + "/sparql", params={"query": f"ASK {{}} # {number}"}).status_code == 200
        after = server.metrics()
    assert before["hki_gc_frozen_objects{}"] > 50_000, before["hki_gc_frozen_objects{}"]
    young = "python_gc_collections_total{'generation': '0'}"
    assert after[young] > before[young], (before[young], after[young])


# ------------------------------------------------------------------------------------------ health, ready

def test_health_says_the_process_is_alive(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_ready_says_a_query_worker_answers(client, store):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["workers"] == store.settings.query_workers
    assert body["fingerprint"] == store.fingerprint


def test_ready_is_503_with_the_reason_when_no_worker_can_answer(make_client, settings, tmp_path):
    kstore = open_store(replace(settings, store=tmp_path / "store"))
    with make_client(settings, kstore=kstore) as http:
        assert http.get("/ready").status_code == 200
        kstore.backend._pool.close()  # noqa: SLF001 - every worker stopped, as after a fatal error
        response = http.get("/ready")
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json()["status"] == "not ready" and "stopped" in response.json()["reason"]
        assert http.get("/health").status_code == 200  # alive, but not ready
    kstore.close()


# ------------------------------------------------------------------------------------------ metrics

def test_metrics_count_requests_by_route_and_status_with_latency_histograms(client):
    before = metrics(client)
    for city in ("bristol", "rouen", "perpignan"):
        client.get(f"/id/city/{city}", headers={"Accept": "text/html"})
    client.get("/id/city/nowhere", headers={"Accept": "text/html"})
    after = metrics(client)
    ok = 'hki_http_requests_total{method="GET",route="/id/{path:path}",status="200"}'
    missing = 'hki_http_requests_total{method="GET",route="/id/{path:path}",status="404"}'
    assert after[ok] - before.get(ok, 0) == 3 and after[missing] - before.get(missing, 0) == 1
    buckets = [k for k in after if k.startswith("hki_http_request_duration_seconds_bucket") and 'route="/id/{path:path}"' in k]
    assert len(buckets) >= 10, "one latency histogram per route template, not per IRI"
    assert not any("bristol" in k for k in after)
    assert after["process_resident_memory_bytes"] > 0


def test_metrics_count_timeouts_busy_refusals_and_worker_restarts(client):
    before = metrics(client)
    response = client.get("/sparql", params={"query": RUNAWAY})
    assert response.status_code == 504
    after = metrics(client)
    assert after["hki_query_timeouts_total"] == before["hki_query_timeouts_total"] + 1
    assert after["hki_worker_restarts_total"] >= before["hki_worker_restarts_total"] + 1
    assert after["hki_queries_total"] > before["hki_queries_total"]
    assert "hki_query_busy_total" in after and "hki_heavy_queries_total" in after
    assert after['hki_http_requests_total{method="GET",route="/sparql",status="504"}'] >= 1


def test_a_busy_refusal_is_counted(make_client, settings, tmp_path):
    kstore = open_store(replace(settings, store=tmp_path / "store", query_timeout=2.0))
    kstore.start_query_workers()
    executor = kstore.backend._pool  # noqa: SLF001 - fill every heavy slot by hand
    for _ in range(executor.heavy_slots):
        executor._heavy.acquire()  # noqa: SLF001
    try:
        with make_client(replace(settings, query_timeout=2.0), kstore=kstore) as http:
            first = http.get("/sparql", params={"query": RUNAWAY})  # turns heavy, finds no slot: stopped, 503
            assert first.status_code == 503 and first.headers["retry-after"]
            again = http.get("/sparql", params={"query": RUNAWAY})  # known as heavy now: refused at once
            assert again.status_code == 503
            assert metrics(http)["hki_query_busy_total"] == 2
    finally:
        for _ in range(executor.heavy_slots):
            executor._heavy.release()  # noqa: SLF001
        kstore.close()


def test_the_metrics_and_log_cost_little(client):
    started = time.perf_counter()
    for _ in range(50):
        client.get("/health")
    assert (time.perf_counter() - started) / 50 < 0.02


def test_the_access_log_is_off_unless_kg_serve_configures_it():
    assert not ACCESS_LOG.isEnabledFor(logging.INFO) or ACCESS_LOG.handlers
