"""Hostile and malformed input: the server answers every request clearly, never with a crash, never
runs injected query text or markup, never reaches out to the network, and sends the security headers.

Most tests call a live uvicorn server over a raw socket, so the paths arrive exactly as an attacker
sends them (no client normalises `..` or percent-escapes away). The OpenAPI description is fuzzed by
Schemathesis; headers, query strings and bodies by Hypothesis.
"""
from __future__ import annotations

import json
import re
import uuid
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from api.app import create_app
from api.web.hardening import CONTENT_SECURITY_POLICY, MAX_BODY_BYTES, MAX_URL_BYTES, path_problem
from graph.store.query_reader import UpdateOperation, read_query
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Variable
from graph.store import KnowledgeStore
from support.live_server import serve_app

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile.ttl"
TEMPLATES = ROOT / "api" / "templates"
KG = Path(sys.executable).with_name("kg")

# Every kind of HTML page the server has (the explorer's own pages are tested by tests/test_explore*.py too).
HTML_PAGES = [
    "/", "/id/city/bristol", "/id/city/xss-town", "/id/partnership/hannover-xss-town",
    "/id/action-concept/internationale-stadt", "/scheme/partnership-type", "/list", "/list/cities",
    "/list/partnerships", "/list/organisations", "/list/memberships", "/list/goals", "/list/measures",
    "/list?class=http%3A%2F%2Fschema.org%2FCity", "/sdgs", "/downloads", "/ontology", "/sparql",
    "/catalog?format=html", "/.well-known/void?format=html", "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F11",
    "/id/city/no-such-city", "/list/no-such-list", "/explore", "/docs",
]


@pytest.fixture(scope="module")
def hostile_app(hostile_settings, hostile_store):
    """The app over the shipped data and tests/fixtures/hostile.ttl, with a three-second time limit."""
    return create_app(replace(hostile_settings, query_timeout=3.0), kstore=hostile_store)


@pytest.fixture(scope="module")
def url(hostile_app) -> Iterator[str]:
    with serve_app(hostile_app) as base:
        yield base


@pytest.fixture(scope="module")
def http(url) -> Iterator[httpx.Client]:
    """An HTTP client of the live server (real requests over loopback, not a TestClient)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client


def raw(url: str, request: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send `request` bytes as they are; (status, headers, body) of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if length and len(body) >= int(length[1]):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def get_raw(url: str, target: str, headers: str = "") -> tuple[int, dict[str, str], bytes]:
    return raw(url, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n".encode("latin-1"))


class Markup(HTMLParser):
    """Everything in a page that could run code or apply style without being named by the policy."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline_scripts: list[str] = []
        self.style_elements: list[str] = []
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []
        self.images: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "script" and "src" not in values and (values.get("type") or "text/javascript") not in (
                "application/json", "application/ld+json"):
            self._in = "script"
            self.inline_scripts.append("")
        if tag == "style":
            self._in = "style"
            self.style_elements.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.inline_scripts[-1] += data
        elif self._in == "style":
            self.style_elements[-1] += data


def markup(text: str) -> Markup:
    parser = Markup()
    parser.feed(text)
    return parser


def policy(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# ------------------------------------------------------------------------------------------ headers and CSP

@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_page_has_a_strict_content_security_policy_and_the_security_headers(http, path):
    response = http.get(path, headers={"Accept": "text/html"})
    assert response.status_code in (200, 404), response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    csp = policy(response.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"], "scripts only from this server's files: no inline script, no eval"
    assert "'unsafe-inline'" not in csp["style-src"] and "'unsafe-eval'" not in csp["style-src"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_no_page_has_inline_script_event_handlers_or_unlisted_inline_style(http, path):
    response = http.get(path, headers={"Accept": "text/html"})
    found = markup(response.text)
    assert found.inline_scripts == [], "inline scripts would be blocked by the policy (and could be injected)"
    assert found.handlers == [] and found.javascript_urls == []
    assert found.style_attributes == [], "style attributes cannot be allowed by hash"
    allowed = policy(response.headers["content-security-policy"])["style-src"]
    from api.web.hardening import style_hash
    assert all(style_hash(text) in allowed for text in found.style_elements), "a <style> the policy does not name"


def test_templates_contain_no_inline_script_handler_or_style_attribute():
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", text)
        assert scripts == [], f"{template.name}: inline <script> (move it to api/static/)"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: an on…= event handler attribute"
        assert not re.search(r"\sstyle\s*=", text), f"{template.name}: a style= attribute (use a class in a .css file)"
        assert "<style" not in text, f"{template.name}: a <style> element (use api/static/*.css)"


@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/api/search?q=bris", "/id/city/bristol.ttl", "/health",
                                  "/static/hki.css", "/openapi.json", "/metrics"])
def test_every_answer_has_nosniff_and_a_referrer_policy(http, path):
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_api_documentation_is_served_without_any_other_host(http):
    page = http.get("/docs").text
    assert "cdn." not in page and "https://" not in page
    assert http.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert http.get("/static/api-docs.js").status_code == 200
    assert http.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads from CDNs and fonts.googleapis.com


# ------------------------------------------------------------------------------------------ limits

def _post_routes(app) -> list[str]:
    paths = []
    for route in app.routes:
        methods = getattr(route, "methods", None) or set()
        if "POST" in methods or "PUT" in methods or "PATCH" in methods:
            paths.append(route.path)
    return paths


def test_every_route_that_takes_a_body_is_known_here(hostile_app):
    # A new route with a body must be added to the 413 test below (and documented in README.md).
    assert set(_post_routes(hostile_app)) <= {"/sparql"}, _post_routes(hostile_app)


@pytest.mark.parametrize("path", ["/sparql", "/api/search", "/id/city/bristol", "/", "/explore", "/no-such-route"])
def test_a_body_over_the_limit_is_refused_with_413_on_any_route(url, path):
    body = b"query=" + b"a" * MAX_BODY_BYTES
    status, headers, answer = raw(url, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                                       f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[:1000])
    assert status == 413, answer[:300]
    assert str(MAX_BODY_BYTES) in answer.decode()


def test_a_streamed_body_over_the_limit_is_refused_with_413(url):
    def chunks():
        for _ in range(20):
            yield b"x" * 65536 * 2  # 2.5 MiB in all, no Content-Length: chunked transfer encoding

    with httpx.Client(timeout=30) as http:
        response = http.post(url + "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_a_body_under_the_limit_is_answered_normally(http):
    query = "ASK { ?s ?p ?o }" + " " * (MAX_BODY_BYTES - 100)
    response = http.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_an_overlong_url_is_refused_with_414_and_a_hint(url):
    status, _, body = get_raw(url, "/sparql?query=" + "a" * (MAX_URL_BYTES + 10))
    assert status == 414 and b"POST" in body
    status, _, _ = get_raw(url, "/sparql?query=" + "a" * 1_000_000)  # past uvicorn's own limit: its bare 400
    assert status == 400


def test_a_malformed_content_length_is_a_400(url):
    status, _, _ = raw(url, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n")
    assert status == 400


# ------------------------------------------------------------------------------------------ traversal

TRAVERSALS = [
    "/id/../..", "/id/../../etc/passwd", "/id/..%2f..%2fetc%2fpasswd", "/id/%2e%2e/%2e%2e/etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd", "/id/city/%2e%2e%2f%2e%2e%2fpyproject.toml", "/id/%252e%252e/%252e%252e/pyproject.toml",
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/..%5capp.py", "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/downloads/../pyproject.toml", "/downloads/..%2f..%2fpyproject.toml", "/downloads/%2e%2e%2fpyproject.toml",
    "/downloads/..%5c..%5cpyproject.toml", "/downloads/%2fetc%2fpasswd", "/id/city/bristol%00.ttl",
    "/docs/assets/../../../../etc/passwd", "/docs/assets/%2e%2e/%2e%2e/__init__.py", "/scheme/./partnership-type",
    "//etc/passwd", "/id/city%2f..%2f..%2fdef",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_paths_with_traversal_attempts_never_reach_a_file(url, target):
    status, headers, body = get_raw(url, target)
    assert status in (400, 404), (status, body[:200])
    for leaked in (b"root:x:", b"[build-system]", b"import ", b"def create_app", b"swagger_ui_path"):
        assert leaked not in body


@pytest.mark.parametrize("path, refused", [
    ("/id/city/bristol", False), ("/id/city/a.b.c", False), ("/id/..", True), ("/id/%2E%2E/x", True),
    ("/id/%252e%252e/x", True), ("/a/./b", True), ("/a\\b", True), ("/a%00b", True), ("/a..b/c", False),
])
def test_dot_segments_nul_and_backslashes_are_refused_before_routing(path, refused):
    assert (path_problem(path) is not None) == refused


def test_static_files_are_still_served(http):
    assert http.get("/static/hki.css").status_code == 200


# ------------------------------------------------------------------------------------------ malformed input

@pytest.mark.parametrize("target", ["/sparql?query=%FF%FE", "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%22%C3%28%22%7D",
                                    "/sparql?query=ASK%7B%7D&default-graph-uri=%FF"])
def test_invalid_utf8_in_a_query_is_a_400_naming_the_problem(url, target):
    status, _, body = get_raw(url, target)
    assert status == 400 and b"UTF-8" in body, (status, body[:300])


@pytest.mark.parametrize("target", [
    "/api/search?q=%FF", "/api/entity?iri=%FF", "/resource?iri=%C0%AF", "/id/city/%FF%FE", "/list?class=%FF",
    "/api/analysis/path?from=%FF&to=%FE", "/explore?focus=%FF", "/%FF", "/?lang=%FF",
])
def test_invalid_utf8_elsewhere_is_answered_without_a_server_error(url, target):
    # Starlette decodes parameters with U+FFFD for bytes that are not UTF-8: a search for "\ufffd" finds
    # nothing, an IRI with it is refused; nothing breaks.
    status, headers, body = get_raw(url, target, "Accept: text/html\r\n")
    assert status < 500, (status, body[:300])


@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded", b"query=ASK%20%7B%7D%FF"),
    ("application/x-www-form-urlencoded", b"query=\xff\xfe"),
    ("application/sparql-query", b"ASK { ?s ?p \"\xff\" }"),
    ("application/sparql-query; charset=latin-1", b"ASK {}"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=query\r\n\r\nASK{}\r\n--x--"),
    ("application/json", b'{"query": "ASK {}"}'),
    ("", b"ASK {}"),
])
def test_malformed_bodies_are_a_400_naming_what_is_wrong(url, content_type, body):
    header = f"Content-Type: {content_type}\r\n" if content_type else ""
    status, _, answer = raw(url, f"POST /sparql HTTP/1.1\r\nHost: x\r\n{header}Content-Length: {len(body)}\r\n"
                                 "Connection: close\r\n\r\n".encode() + body)
    assert status == 400, answer[:300]
    assert answer.strip(), "the answer says what is wrong"


@pytest.mark.parametrize("target", [
    "/api/search?q=a&limit=1000000000000", "/api/search?q=a&limit=-1", "/api/search?q=a&limit=1e309",
    "/api/search?q=a&limit=99999999999999999999999999999999", "/api/neighbours?iri=hki:x&limit=10000000000",
    "/api/analysis/hubs?top=100000000000000000000", "/api/analysis/hubs?top=NaN", "/api/analysis/path?from=a&to=b&limit=1e9",
    "/api/analysis/communities?resolution=1e308", "/api/analysis/communities?resolution=inf", "/api/analysis/brokers?seed=1e400",
])
def test_huge_or_nonsense_numbers_are_a_422_not_a_crash(http, target):
    response = http.get(target)
    assert response.status_code == 422, response.text[:300]


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(accept=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
       | st.lists(st.sampled_from(["text/html", "*/*", "text/*", "application/ld+json", "text/turtle", "q=0", ";q=0.5",
                                   ";q=1.0001", ",", "application/sparql-results+json", "x/y", ";;", "*/html", "text/",
                                   "image/png"]), max_size=6).map("".join))
def test_any_accept_header_gets_an_answer_or_a_406_never_a_server_error(http, accept):
    headers = {"Accept": accept.strip()} if accept.strip() else {}  # HTTP forbids surrounding whitespace
    for path in ("/sparql?query=ASK%7B%7D", "/id/city/bristol", "/sparql", "/catalog", "/", "/api/search?q=br"):
        response = http.get(path, headers=headers)
        assert response.status_code in (200, 400, 406), (path, accept, response.status_code, response.text[:200])


@hypothesis_settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=st.text(max_size=200), method=st.sampled_from(["GET", "POST"]))
def test_any_query_text_gets_an_answer_or_a_clear_error_never_a_crash(http, query, method):
    if method == "GET":
        response = http.get("/sparql", params={"query": query})
    else:
        response = http.post("/sparql", data={"query": query})
    assert response.status_code in (200, 400, 403, 406, 503, 504), (query, response.status_code, response.text[:200])
    if response.status_code >= 400:
        assert response.text.strip()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(pairs=st.lists(st.tuples(st.sampled_from(["query", "update", "format", "default-graph-uri", "named-graph-uri",
                                                 "lang", "q", "x", ""]), st.text(max_size=40)), max_size=5))
def test_any_form_body_or_query_string_gets_a_clear_answer(http, pairs):
    from urllib.parse import urlencode

    response = http.post("/sparql", content=urlencode(pairs).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code < 500 or response.status_code in (503, 504), (pairs, response.text[:200])
    response = http.get("/api/search", params=pairs)
    assert response.status_code < 500, (pairs, response.text[:200])
    response = http.get("/", params=pairs, headers={"Accept": "text/html"})
    assert response.status_code < 500, (pairs, response.text[:200])


# ------------------------------------------------------------------------------------------ SPARQL injection

INJECTIONS = [
    '"} } ; DROP ALL ; SELECT * WHERE { ?hkiinjected ?p "',
    "x> } UNION { ?hkiinjected ?p ?o } # ",
    "https://w3id.org/hki/id/city/bristol> ?p ?o } UNION { ?hkiinjected ?q ?r . FILTER(true",
    "schema:City> } UNION { ?hkiinjected ?p ?o } #",
    "') } UNION { ?hkiinjected ?p ?o } #",
    "\\u003e } UNION { ?hkiinjected ?p ?o }",
    "bristol\" . ?hkiinjected ?p ?o . #",
    "SERVICE <http://127.0.0.1:1/> { ?hkiinjected ?p ?o }",
]


@pytest.fixture
def executed(hostile_store, monkeypatch) -> list[str]:
    """The text of every query the store runs during the test."""
    texts: list[str] = []
    run, select = KnowledgeStore.run, KnowledgeStore.select

    def spy_run(self, request):
        texts.append(request.sparql)
        return run(self, request)

    def spy_select(self, sparql, **options):  # select() goes to the backend's rows(), not through run()
        texts.append(sparql)
        return select(self, sparql, **options)

    monkeypatch.setattr(KnowledgeStore, "run", spy_run)
    monkeypatch.setattr(KnowledgeStore, "select", spy_select)
    return texts


@pytest.mark.parametrize("payload", INJECTIONS)
def test_parameters_are_bound_as_values_and_never_become_query_text(http, executed, payload):
    targets = [("/api/search", {"q": payload}), ("/api/search", {"q": "bris", "type": payload}),
               ("/api/entity", {"iri": payload}), ("/api/neighbours", {"iri": payload}),
               ("/resource", {"iri": payload}), ("/list", {"class": payload}),
               ("/api/analysis/path", {"from": payload, "to": "bristol"}), ("/explore", {"focus": payload}),
               ("/id/city/" + payload, {})]
    for path, params in targets:
        response = http.get(path, params=params, headers={"Accept": "text/html"})
        assert response.status_code in (200, 400, 404, 422), (path, response.status_code, response.text[:200])
    # A text no earlier request sent (the endpoint answers repeated requests from its cache): the spy must see it.
    http.get("/sparql", params={"query": f"ASK {{}} # {uuid.uuid4().hex}"})
    assert executed, "the spy saw no query: the test would prove nothing"
    for text in executed:  # read with the real grammar: still one query, and no variable smuggled into it
        read_query(text)  # raises for an update (DROP …), SERVICE or text that is no longer a query
        assert "hkiinjected" not in _variables(parseQuery(text)), text


def _variables(tree) -> set[str]:
    stack, names = [tree], set()
    while stack:
        node = stack.pop()
        if isinstance(node, Variable):
            names.add(str(node))
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list) or type(node).__name__ == "ParseResults":
            stack.extend(node)
    return names


# ------------------------------------------------------------------------------------------ markup injection

HOSTILE_MARKERS = ("alert(1)", "alert('description')", "alert(3)", "alert(6)")


@pytest.mark.parametrize("path", [p for p in HTML_PAGES if p not in ("/docs", "/ontology")]
                         + ["/id/city/xss", "/list?class=%3Cscript%3Ealert(1)%3C/script%3E", "/?lang=%22%3E%3Cscript%3E",
                            "/explore?focus=https%3A%2F%2Fw3id.org%2Fhki%2Fid%2Fcity%2Fxss-town"])
def test_hostile_labels_and_parameters_appear_only_as_text(http, path):
    response = http.get(path, headers={"Accept": "text/html"})
    if not response.headers["content-type"].startswith("text/html"):  # e.g. a 400 naming the bad IRI, as text
        assert response.headers["content-type"].startswith(("text/plain", "application/json"))
        assert response.headers["x-content-type-options"] == "nosniff"  # never sniffed into HTML
        return
    found = markup(response.text)
    assert found.inline_scripts == [] and found.handlers == [] and found.javascript_urls == []
    assert "x" not in found.images, "an <img src=x> from a label became an element"
    assert "<script>alert" not in response.text and "<img src=x" not in response.text


def test_the_friendly_error_page_escapes_the_message(http):
    from api.web.hardening import unavailable_page

    page = unavailable_page(502, "<script>alert(1)</script>", "en").decode()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_kg_viz_writes_hostile_labels_as_text(tmp_path):
    target = tmp_path / "viz.html"
    result = subprocess.run([str(KG), "viz", "partners", "--data", str(HOSTILE), "--out", str(target)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = target.read_text(encoding="utf-8")
    found = markup(page)
    assert found.handlers == [] and found.javascript_urls == [] and "x" not in found.images
    assert all("alert(" not in script or "vis" in script[:2000].lower() for script in found.inline_scripts)
    assert "<img src=x" not in page and "<b onmouseover" not in page


# ------------------------------------------------------------------------------------------ no outbound network

@pytest.fixture
def listener() -> Iterator[tuple[str, list]]:
    """A loopback port that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    seen: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, address = sock.accept()
            except (socket.timeout, OSError):
                continue
            seen.append(address)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}", seen
    time.sleep(0.5)
    stop.set()
    thread.join(2)
    sock.close()


def test_no_request_path_reaches_out_to_the_network(http, listener):
    address, seen = listener
    remote = f"http://{address}/data"
    queries = [
        f"SELECT * WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{remote}> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"LOAD <{remote}>",
        f"LOAD <{remote}> INTO GRAPH <http://example.org/g>",
        f"DESCRIBE <{remote}>",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{remote}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(IRI(\"{remote}\") AS ?x) ?x ?p ?o }}",
    ]
    for query in queries:
        for method in ("GET", "POST"):
            response = (http.get("/sparql", params={"query": query}) if method == "GET"
                        else http.post("/sparql", data={"query": query}))
            assert response.status_code in (200, 400, 403), (query, response.status_code)
    assert http.get("/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 1", "default-graph-uri": remote,
                                         "named-graph-uri": remote}).status_code == 200
    for path, params in [("/resource", {"iri": remote}), ("/api/entity", {"iri": remote}),
                         ("/api/neighbours", {"iri": remote}), ("/list", {"class": remote}),
                         ("/api/search", {"q": remote, "type": remote}), ("/explore", {"focus": remote}),
                         ("/id/city/bristol", {"format": remote})]:
        assert http.get(path, params=params, headers={"Accept": "text/html"}).status_code < 500
    assert seen == [], "a request made the server connect to another host"


def test_data_files_never_fetch_remote_contexts_or_external_entities(settings, tmp_path, listener):
    address, seen = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    jsonld = tmp_path / "remote-context.jsonld"
    jsonld.write_text(json.dumps({"@context": f"http://{address}/context.jsonld", "@id": "https://w3id.org/hki/id/x",
                                  "label": "x"}))
    xxe = tmp_path / "external-entity.rdf"
    xxe.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY remote SYSTEM "http://{address}/entity.xml">
  <!ENTITY local SYSTEM "file://{secret}">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://w3id.org/hki/id/city/xxe">
    <rdfs:label>&remote;&local;</rdfs:label>
  </rdf:Description>
</rdf:RDF>
""")
    context_in_file = tmp_path / "imports.jsonld"
    context_in_file.write_text(json.dumps({"@context": [f"http://{address}/a", {"@vocab": "http://schema.org/"}],
                                           "@id": "https://w3id.org/hki/id/y", "name": "y"}))
    for path in (jsonld, xxe, context_in_file):
        result = subprocess.run([str(KG), "query", "--data", str(path), "ASK { ?s ?p ?o }"], capture_output=True,
                                text=True, timeout=300, cwd=tmp_path)
        assert "Traceback" not in result.stderr, result.stderr
        assert "TOP-SECRET-CONTENT" not in result.stdout + result.stderr
        result = subprocess.run([str(KG), "validate", str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert "Traceback" not in result.stderr and "TOP-SECRET-CONTENT" not in result.stdout + result.stderr
    assert seen == [], "parsing a data file made a network connection"


def test_kg_import_never_fetches_external_entities_from_a_workbook(settings, tmp_path, listener):
    from openpyxl import Workbook

    address, seen = listener
    book = tmp_path / "partnerships.xlsx"
    workbook = Workbook()
    workbook.active.title = "partnerships"
    workbook.active.append(["id", "label_de"])
    workbook.active.append(["x", "y"])
    workbook.save(book)
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"?>", f'?><!DOCTYPE x [<!ENTITY e SYSTEM "http://{address}/e">]>'.encode(), 1)
                data = data.replace(b">y<", b">&e;<")
            target.writestr(item, data)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for ttl in (ROOT / "graph" / "data").glob("*.ttl"):
        (data_dir / ttl.name).write_bytes(ttl.read_bytes())
    before = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    result = subprocess.run([str(KG), "import", str(hostile), "--table", "partnerships"], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path, env={**_env(), "HKI_DATA_DIR": str(data_dir)})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == before
    assert seen == []


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("HKI_")}


# ------------------------------------------------------------------------------------------ Schemathesis

import schemathesis  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@pytest.fixture(scope="module")
def openapi_schema(hostile_app):
    return schemathesis.openapi.from_asgi("/openapi.json", hostile_app)


def test_every_api_operation_answers_fuzzed_input_as_its_openapi_description_says(openapi_schema):
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    tested, failures = [], []
    for result in openapi_schema.get_all_operations():
        operation = result.ok()
        tested.append(operation.label)

        @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def answers(case):
            case.call_and_validate(checks=checks)

        try:
            answers()
        except Exception as exc:  # noqa: BLE001 - collected: one report for every operation
            failures.append(f"{operation.label}: {exc}")
    assert len(tested) >= 15, tested
    assert failures == [], "\n\n".join(failures)
