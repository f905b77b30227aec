"""What `kg serve` does about hostile connections (issue 14), tested against a real `kg serve` process
on a loopback port over raw sockets: limits on request heads (431, 414), time limits on heads and
bodies (408), a client that hangs up (499), HEAD on every GET route, no Host header in public
answers, and X-Forwarded-For believed only from the configured proxies.
"""
from __future__ import annotations

import hashlib
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from api.web.hardening import MAX_HEADER_BYTES, MAX_HEADER_LINE_BYTES, MAX_HEADERS, MAX_URL_BYTES
from graph.config import ConfigError, load_settings
from support.live_server import Server, kg_serve

BASE = "https://w3id.org/hki/"
HEADER_TIMEOUT = 1.5  # the server's request_header_timeout and request_body_timeout in these tests
BODY_TIMEOUT = 1.5
MANY_LINKS = 120  # incoming links to Bristol in the extra data: more than a description shows (100)


def serving(folder: Path, **env: str):
    """`kg serve` (tests/support/live_server.py) with short time limits, a small dist and extra data."""
    dist = folder / "dist"
    dist.mkdir(parents=True)
    dump = b"<https://w3id.org/hki/id/city/bristol> a <http://schema.org/City> .\n"
    (dist / "hki.ttl").write_bytes(dump)
    (dist / "SHA256SUMS").write_text(f"{hashlib.sha256(dump).hexdigest()}  hki.ttl\n", encoding="ascii")
    extra = folder / "links.ttl"
    extra.write_text("".join(f"<{BASE}id/test/link-{i}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> "
                             f"<{BASE}id/city/bristol> .\n" for i in range(MANY_LINKS)), encoding="utf-8")
    return kg_serve(folder, "--dist", str(dist), "--data", str(extra),
                    env={"HKI_REQUEST_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
                         "HKI_REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT), **env})


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("proxied"), HKI_TRUSTED_PROXIES="127.0.0.1") as running:
        yield running


def connect(server: Server, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def exchange(server: Server, request: bytes) -> bytes:
    with connect(server) as sock:
        sock.sendall(request)
        return read_to_end(sock)


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def request(method: str, target: str, headers: str = "", host: str = "x") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n".encode("latin-1")


# ------------------------------------------------------------------------------------------ header limits

def test_headers_within_the_limits_are_answered_normally(server):
    fields = "".join(f"X-Field-{i}: {i}\r\n" for i in range(MAX_HEADERS - 3))  # with Host, Connection, Cookie
    cookie = "Cookie: session=" + "c" * (MAX_HEADER_LINE_BYTES - 100) + "\r\n"
    status, _, body = parse(exchange(server, request("GET", "/health", fields + cookie)))
    assert status == 200, body


@pytest.mark.parametrize("headers, limit", [
    ("".join(f"X-Field-{i}: {i}\r\n" for i in range(MAX_HEADERS)), f"more than {MAX_HEADERS} request headers"),
    ("Cookie: session=" + "c" * MAX_HEADER_LINE_BYTES + "\r\n", "a request header larger than 8 KiB"),
    ("".join(f"X-Field-{i}: " + "v" * 4000 + "\r\n" for i in range(9)), "request headers larger than 32 KiB"),
])
def test_headers_over_a_limit_are_answered_431_naming_the_limit_and_the_connection_is_closed(server, headers, limit):
    with connect(server) as sock:
        sock.sendall(request("GET", "/health", headers))
        status, answer_headers, body = parse(read_to_end(sock))  # read to the end: the server closed it
    assert status == 431 and answer_headers["connection"] == "close"
    assert answer_headers["content-type"] == "text/plain; charset=utf-8" and body.decode().strip() == limit
    assert server.wait_for_record(lambda r: r["status"] == 431)["client"] == "127.0.0.1"
    assert server.metrics()["hki_http_requests_total{'method': '', 'route': 'unmatched', 'status': '431'}"] >= 1


def _stream_until_answered(server: Server, start: bytes, piece: bytes, pause: float) -> tuple[bytes, int]:
    """Send `start`, then `piece` after `piece` until the server answers; (the answer, bytes sent)."""
    with connect(server) as sock:
        sock.sendall(start)
        sent = len(start)
        while sent < 4 << 20:
            if select.select([sock], [], [], pause)[0]:
                return read_to_end(sock), sent
            sock.sendall(piece)
            sent += len(piece)
    return b"", sent


@pytest.mark.parametrize("start, status, words, limit", [
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Endless: ", 431, b"request headers larger than 32 KiB",
                 MAX_HEADER_BYTES, id="an-endless-header-is-answered-431"),
    pytest.param(b"GET /sparql?query=", 414, b"POST", MAX_URL_BYTES, id="an-endless-url-is-answered-414"),
])
def test_an_endless_header_or_url_is_refused_and_closed_as_soon_as_it_passes_the_limit(server, start, status,
                                                                                      words, limit):
    answer, sent = _stream_until_answered(server, start, b"a" * 1024, 0.002)
    assert parse(answer)[0] == status and words in answer
    assert limit <= sent <= limit + 64 * 1024  # read as it came, refused at the limit


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_while_endless_headers_stream_in_other_clients_are_answered_at_once_and_memory_stays_flat(server):
    stop, answers = threading.Event(), []

    def flood() -> None:  # one endless header after another, as fast as the server reads them
        while not stop.is_set():
            try:
                with connect(server, timeout=30) as sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Flood: ")
                    for _ in range(4096):  # 256 MiB
                        if stop.is_set() or select.select([sock], [], [], 0)[0]:
                            break
                        sock.sendall(b"a" * 65536)
                    answers.append(sock.recv(65536) if not stop.is_set() else b"stopped")
            except OSError as exc:
                answers.append(repr(exc).encode())

    httpx.get(server.url + "/api/search?q=bris", timeout=10)
    before = server.rss_kib()
    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    latencies = []
    try:
        with httpx.Client(base_url=server.url, timeout=5) as http:
            time.sleep(0.2)
            for i in range(20):
                started = time.perf_counter()
                assert http.get("/health" if i % 2 else "/api/search?q=bris").status_code == 200
                latencies.append(time.perf_counter() - started)
        grown = server.rss_kib() - before
    finally:
        stop.set()
        flooder.join(30)
    refused = [a for a in answers if a != b"stopped"]
    assert refused and all(a.startswith(b"HTTP/1.1 431") for a in refused), answers[:3]
    assert max(latencies) < 1.0, latencies
    assert grown < 8 * 1024, f"the server grew by {grown} KiB"


# ------------------------------------------------------------------------------------------ time limits

def _time_to_answer(server: Server, sent: bytes) -> tuple[bytes, float]:
    with connect(server) as sock:
        if sent:
            sock.sendall(sent)
        started = time.monotonic()
        return read_to_end(sock), time.monotonic() - started


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_a_half_sent_header_is_answered_408_and_closed_after_the_header_timeout(server):
    answer, seconds = _time_to_answer(server, b"GET /health HTTP/1.1\r\nHost: x\r\n")
    assert parse(answer)[0] == 408 and b"did not arrive within 1.5 s" in answer
    assert HEADER_TIMEOUT - 0.2 < seconds < HEADER_TIMEOUT + 3


def test_a_connection_that_never_sends_a_byte_is_closed_after_the_header_timeout(server):
    answer, seconds = _time_to_answer(server, b"")
    assert answer == b"" and HEADER_TIMEOUT - 0.2 < seconds < HEADER_TIMEOUT + 3


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_a_half_sent_body_is_answered_408_and_closed_after_the_body_timeout(server):
    answer, seconds = _time_to_answer(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                              b"application/sparql-query\r\nContent-Length: 100\r\n\r\nASK")
    status, headers, body = parse(answer)
    assert status == 408 and headers["connection"] == "close" and b"request body" in body
    assert BODY_TIMEOUT - 0.2 < seconds < BODY_TIMEOUT + 3
    assert server.wait_for_record(lambda r: r["status"] == 408 and r["path"] == "/sparql")["method"] == "POST"


def test_a_slow_but_steady_client_is_answered_normally(server):
    query = b"ASK { ?s ?p ?o }"
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: %d\r\n\r\n" % len(query))
    with connect(server) as sock:
        for i in range(0, len(head), len(head) // 4 + 1):  # the head over 0.8 s, within the 1.5 s it may take
            sock.sendall(head[i:i + len(head) // 4 + 1])
            time.sleep(0.2)
        for i in range(0, len(query), 3):  # the body over 2.4 s, longer than the body timeout, never pausing as long
            sock.sendall(query[i:i + 3])
            time.sleep(0.4)
        status, _, body = parse(read_to_end(sock))
    assert status == 200 and json.loads(body)["boolean"] is True


# ------------------------------------------------------------------------------------------ 499

def test_a_client_that_hangs_up_mid_body_is_logged_and_counted_as_499_never_500(server):
    with connect(server) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100000\r\n\r\nASK {")
        time.sleep(0.2)
    record = server.wait_for_record(lambda r: r["path"] == "/sparql" and r["method"] == "POST" and r["bytes"] == 0
                                    and r["status"] in (499, 500))
    assert record["status"] == 499
    counts = server.metrics()
    assert counts["hki_http_requests_total{'method': 'POST', 'route': 'unmatched', 'status': '499'}"] >= 1
    assert not [name for name in counts if "'status': '500'" in name]
    assert not [r for r in server.records() if r["status"] == 500]


# ------------------------------------------------------------------------------------------ HEAD

@pytest.mark.parametrize("target, accept", [
    ("/api/search?q=bris", "application/json"),
    ("/api/entity?iri=https%3A%2F%2Fw3id.org%2Fhki%2Fid%2Fcity%2Fbristol", "application/json"),
    ("/api/analysis/hubs", "application/json"),
    ("/downloads/hki.ttl", "*/*"),
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
    ("/health", "*/*"),
    ("/id/city/bristol", "text/turtle"),
    ("/list/cities", "text/html"),
    ("/api/no-such-route", "*/*"),
])
def test_head_answers_every_get_route_with_the_status_and_headers_of_get_and_no_body(server, target, accept):
    get_status, get_headers, get_body = parse(exchange(server, request("GET", target, f"Accept: {accept}\r\n")))
    head_status, head_headers, head_body = parse(exchange(server, request("HEAD", target, f"Accept: {accept}\r\n")))
    assert head_status == get_status and head_body == b"" and get_body
    varying = {"date", "server-timing"}
    assert {k: v for k, v in head_headers.items() if k not in varying} == \
           {k: v for k, v in get_headers.items() if k not in varying}
    assert int(head_headers.get("content-length", len(get_body))) == len(get_body)


def test_head_is_counted_under_its_route_and_method(server):
    exchange(server, request("HEAD", "/api/analysis/hubs"))
    counted = server.metrics()
    assert counted["hki_http_requests_total{'method': 'HEAD', 'route': '/api/analysis/hubs', 'status': '200'}"] >= 1


# ------------------------------------------------------------------------------------------ Host header

@pytest.mark.parametrize("target, accept", [
    ("/sparql", "text/turtle"), ("/sparql", "application/ld+json"), ("/sparql", "text/html"),
    ("/.well-known/void", "text/turtle"), ("/catalog", "text/turtle"), ("/catalog", "text/html"),
    ("/id/city/bristol", "text/turtle"), ("/id/city/bristol", "text/html"), ("/id/city/bristol.jsonld", "*/*"),
    (f"/resource?iri={BASE}id/city/bristol", "text/turtle"), ("/", "text/html"), ("/downloads", "text/html"),
    ("/profile/city/poznan", "text/html"), ("/list/cities?type=twin-city", "text/html"), ("/dataset", "text/turtle"),
    ("/list/cities.csv", "text/csv"), ("/barrierefreiheit", "text/html"), ("/explore", "text/html"),
])
def test_a_forged_host_header_appears_in_no_public_answer(server, target, accept):
    answer = exchange(server, request("GET", target, f"Accept: {accept}\r\n", host="evil.example"))
    assert parse(answer)[0] == 200
    assert b"evil.example" not in answer


def test_the_service_description_names_the_public_endpoint_whatever_the_host_header(server):
    answer = exchange(server, request("GET", "/sparql", "Accept: text/turtle\r\n", host="evil.example"))
    triples = [q.triple for q in ox.parse(parse(answer)[2], format=ox.RdfFormat.TURTLE)]
    endpoint = ox.NamedNode(BASE + "sparql")
    assert ox.Triple(endpoint, ox.NamedNode("http://www.w3.org/ns/sparql-service-description#endpoint"),
                     endpoint) in triples


def test_the_link_to_all_incoming_links_is_a_public_address_whatever_the_host_header(server):
    answer = exchange(server, request("GET", "/id/city/bristol", "Accept: text/turtle\r\n", host="evil.example"))
    triples = list(ox.parse(parse(answer)[2], format=ox.RdfFormat.TURTLE))
    see_also = {t.object.value for t in triples if t.subject.value == BASE + "id/city/bristol"
                and t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#seeAlso"}
    assert BASE + "id/city/bristol?incoming=all" in see_also


# ------------------------------------------------------------------------------------------ X-Forwarded-For

def _client_recorded(server: Server, forwarded_for: str, marker: str) -> str:
    exchange(server, request("GET", f"/no-such-page-{marker}", f"X-Forwarded-For: {forwarded_for}\r\n"))
    return server.wait_for_record(lambda r: r["path"] == f"/no-such-page-{marker}")["client"]


def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(server):
    assert _client_recorded(server, "10.9.9.9", "untrusted") == "127.0.0.1"


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(behind_proxy):
    assert _client_recorded(behind_proxy, "10.9.9.9", "one") == "10.9.9.9"
    # The right-most address that is not itself a trusted proxy: the one the proxy saw, not one a client made up.
    assert _client_recorded(behind_proxy, "203.0.113.7, 10.9.9.9, 127.0.0.1", "chain") == "10.9.9.9"


def test_trusted_proxies_are_read_from_the_environment_and_a_bad_entry_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"HKI_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert load_settings(environ={}).trusted_proxies == ()
    for bad in ("proxy.example", "10.0.0.1/8"):
        with pytest.raises(ConfigError, match=rf"environment variable HKI_TRUSTED_PROXIES: trusted_proxies = '{bad}'"):
            load_settings(environ={"HKI_TRUSTED_PROXIES": f"127.0.0.1,{bad}"})
