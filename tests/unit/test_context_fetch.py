"""`kg context fetch` against a loopback SPARQL endpoint that serves tests/fixtures/context/wdqs-hannover.json."""
from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.context.fetch import USER_AGENT, FetchError, fetch_context, twin_city_query

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "context" / "wdqs-hannover.json"


class Endpoint:
    """A loopback endpoint: answers every POST with `body` and `status`, and records what it was asked."""

    def __init__(self):
        self.body, self.status, self.requests = FIXTURE.read_bytes(), 200, []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                endpoint.requests.append((dict(self.headers), urllib.parse.parse_qs(self.rfile.read(length).decode())))
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(endpoint.body)))
                self.end_headers()
                self.wfile.write(endpoint.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    served = Endpoint()
    yield served
    served.close()


def test_fetch_sends_the_query_with_a_user_agent_and_imports_the_answer(endpoint, tmp_path):
    imp, path = fetch_context(endpoint.url, tmp_path / "context")
    [(headers, form)] = endpoint.requests
    assert headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("hki/")
    assert headers["Accept"] == "application/sparql-results+json"
    assert form["query"] == [twin_city_query()] and "P190" in form["query"][0]
    assert path.name == "wikidata-p190.nt" and len(imp.twinnings) == 12
    body = path.read_text(encoding="utf-8")
    assert f"<{endpoint.url}>" in body  # the import names the endpoint it came from
    assert '"Hannover"@de' in body


def test_kg_context_fetch_writes_into_the_context_folder(endpoint, tmp_path):
    result = CliRunner().invoke(app, ["context", "fetch", "--endpoint", endpoint.url,
                                      "--context-dir", str(tmp_path / "context")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "context" / "wikidata-p190.nt").is_file()


@pytest.mark.parametrize("status, body, max_bytes, says", [
    (500, b"Query timeout", 10**6, "answered HTTP 500: Query timeout; nothing was imported"),
    (200, None, 100, "more than the limit of 100"),
])
def test_a_failing_or_oversized_answer_writes_nothing(endpoint, tmp_path, status, body, max_bytes, says):
    endpoint.status = status
    endpoint.body = body or endpoint.body
    with pytest.raises(FetchError, match=says):
        fetch_context(endpoint.url, tmp_path / "context", max_bytes=max_bytes)
    assert not (tmp_path / "context").exists()


def test_a_broken_answer_is_refused_with_where_and_nothing_is_written(endpoint, tmp_path):
    endpoint.body = b'{"head": {"vars": ["city", "twin"]}, "results": {"bindings": [{"city": {"type": "literal", "value": "x"}}]}}'
    result = CliRunner().invoke(app, ["context", "fetch", "--endpoint", endpoint.url,
                                      "--context-dir", str(tmp_path / "context")])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "cannot be imported" in said and "(result 1, city)" in said and "nothing was written" in said
    assert not (tmp_path / "context").exists()


def test_an_endpoint_that_is_not_there_is_named(tmp_path):
    with pytest.raises(FetchError, match="cannot reach http://127.0.0.1:9/sparql"):
        fetch_context("http://127.0.0.1:9/sparql", tmp_path / "context", timeout=5)
