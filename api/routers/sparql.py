"""The SPARQL endpoint `/sparql`: the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/),
read-only, with time limits, a row cap and no outbound connections; and the query page for browsers.

The router is thin: it reads the HTTP request into an `Operation` (or a `ProtocolError` with its
status and a message naming the parameter and what is valid), negotiates the media type, and hands
the query to `KnowledgeStore.run`, which owns evaluation, limits and serialisation.

Status codes, as documented in README.md:
- 200 an answer; 304 the client's copy is current (If-None-Match on GET/HEAD);
- 400 a request the protocol does not allow, a syntax error (with line and column), SERVICE/LOAD;
- 403 an update (this endpoint is read-only); 406 no offered media type is acceptable;
- 413 a request body over 1 MiB;
- 503 all query workers are busy (retry after the `Retry-After` seconds);
- 504 the query ran past its time limit and was stopped (retrying the same query will not help);
- 502 the external endpoint is down, 507 the query needed too much memory.
The store's errors get their status from the one table of api/web/errors.py, in this endpoint's words.

Handlers are plain `def` functions, so FastAPI runs them in its thread pool: a slow query waits on
its worker process in a thread and never blocks the event loop.
"""
from __future__ import annotations

import hashlib
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.web.answer_cache import AnswerCache, CachedAnswer
from api.web.errors import ERROR_STATUSES, plain_error
from api.web.i18n import messages, page_language, remember_language, translate
from api.web.negotiation import choose
from graph import __version__
from graph.config import Settings
from graph.views.examples import EXAMPLES
from graph.store.formats import (GRAPH_MEDIA_TYPES, HTML, HTML_ALIASES, RESULT_MEDIA_TYPES, graph_aliases, named,
                                 names_for, solution_aliases)
from graph.publish.service_description import service_description
from graph.store import (KnowledgeStore, NoAcceptableFormat, QueryOutOfMemory, QueryRefused, QueryRequest,
                         QueryTimeout, UpdateRefused)
from ontology import PREFIXES
from api.web.templates import templates


MAX_BODY_BYTES = 1 << 20
# The formats and their names are graph/store/formats.py's (over pyoxigraph's RdfFormat and QueryResultsFormat).
SOLUTION_TYPES = tuple(RESULT_MEDIA_TYPES)  # SPARQL JSON first: the default
GRAPH_TYPES = tuple(GRAPH_MEDIA_TYPES)  # Turtle first: the default
DESCRIPTION_TYPES = (GRAPH_TYPES[0], HTML, *GRAPH_TYPES[1:])
OFFERED = {"solutions": SOLUTION_TYPES, "graph": GRAPH_TYPES, "description": DESCRIPTION_TYPES}
# Names clients use that are not the registered media types; they count only when named exactly.
ALIASES = {
    "solutions": solution_aliases("application/json"),
    "graph": graph_aliases("application/json", "text/plain"),
    "description": {**graph_aliases("application/json", "text/plain"), **HTML_ALIASES},
}
KIND_WORDS = {"solutions": "SELECT and ASK results", "graph": "CONSTRUCT and DESCRIBE results",
              "description": "the service description (GET /sparql without a query)"}
ALLOW = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
CONTENT_TYPE_HELP = (f"send the query as {FORM} (query=… in the body) or as {QUERY_BODY} "
                     "(the query itself as the UTF-8 body), or use GET /sparql?query=…")
READ_ONLY = ("this endpoint is read-only: SPARQL updates (update=…, application/sparql-update, INSERT, DELETE, "
             "LOAD, CLEAR, …) are refused and the data is unchanged. Download the data from / and load it into "
             "your own store to change it.")


@dataclass
class ProtocolError(Exception):
    """A request the endpoint answers with an error status; `message` is for the person who sent it."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """A query request as the protocol defines it; `query` None asks for the service description."""

    query: str | None
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    format: str | None = None


# ------------------------------------------------------------------------------------------ reading

def parse_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Form-encoded parameters (a URL's query string or a form body), decoded strictly as UTF-8."""
    try:
        text = raw.decode("utf-8")
        return urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {where} is not valid UTF-8 (byte {exc.start} after decoding %-escapes, "
                                 f"{exc.object[exc.start:exc.start + 4]!r}): percent-encode the UTF-8 bytes of "
                                 "the query text") from None


def parse_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """('application/sparql-query', {'charset': 'utf-8'}) from a Content-Type header ('' if missing)."""
    if not header or not header.strip():
        return "", {}
    media, *params = header.split(";")
    values = {}
    for param in params:
        key, _, value = param.partition("=")
        values[key.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), values


def _decode_query_body(body: bytes, charset: str | None) -> str:
    encoding = (charset or "utf-8").lower()
    if encoding not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise ProtocolError(400, f"charset={charset} in the Content-Type is not supported: the SPARQL Protocol "
                                 "sends queries as UTF-8; re-encode the query and send charset=utf-8 (or none)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise ProtocolError(400, f"the request body is not valid UTF-8 (line {line}, byte {exc.start}: "
                                 f"{body[exc.start:exc.start + 4]!r}); the SPARQL Protocol requires UTF-8") from None


def _graph_iris(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    values = tuple(v for k, v in params if k == name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise ProtocolError(400, f"{name}={value!r} is not an absolute IRI ({exc}); give a graph name such "
                                     "as https://w3id.org/hki/graph/data") from None
    return values


def read_operation(method: str, query_string: bytes, content_type: str | None, body: bytes) -> Operation:
    """The protocol operation of one HTTP request, or ProtocolError (400, 403) saying what is wrong."""
    params = parse_params(query_string, "URL's query string")
    body_query: str | None = None
    if method == "POST":
        media, ct_params = parse_content_type(content_type)
        if media == UPDATE_BODY:
            raise ProtocolError(403, READ_ONLY)
        if media == FORM:
            if ct_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
                raise ProtocolError(400, f"charset={ct_params['charset']} is not supported for form bodies: "
                                         "percent-encode the query's UTF-8 bytes and send charset=utf-8 (or none)")
            params += parse_params(body, "form body")
        elif media == QUERY_BODY:
            body_query = _decode_query_body(body, ct_params.get("charset"))
        elif not media:
            raise ProtocolError(400, f"a POST to /sparql needs a Content-Type header: {CONTENT_TYPE_HELP}")
        else:
            raise ProtocolError(400, f"Content-Type {media} is not accepted for a POST to /sparql: {CONTENT_TYPE_HELP}")
    queries = [v for k, v in params if k == "query"] + ([body_query] if body_query is not None else [])
    updates = [v for k, v in params if k == "update"]
    if queries and updates:
        raise ProtocolError(400, "the request has both a query and an update parameter; send one query "
                                 "(and note that updates are refused: this endpoint is read-only)")
    if updates:
        raise ProtocolError(403, READ_ONLY)
    if len(queries) > 1:
        where = "in the URL and as the body" if body_query is not None else f"{len(queries)} times"
        raise ProtocolError(400, f"the query parameter is given {where}; send exactly one query per request")
    formats = [v for k, v in params if k == "format"]
    if len(formats) > 1:
        raise ProtocolError(400, f"format is given {len(formats)} times ({', '.join(formats)}); give it at most once")
    default_graphs = _graph_iris(params, "default-graph-uri")
    named_graphs = _graph_iris(params, "named-graph-uri")
    dataset_given = bool(default_graphs or named_graphs)
    if not queries:
        if method == "POST" or dataset_given:
            raise ProtocolError(400, "the request has no query: give query=… (GET or form POST) or the query "
                                     f"as an {QUERY_BODY} body; GET /sparql with no parameters describes the service")
        return Operation(None, format=formats[0] if formats else None)
    if not queries[0].strip():
        raise ProtocolError(400, "the query is empty; write a query such as SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    return Operation(queries[0],
                     default_graphs if dataset_given else None,
                     named_graphs if dataset_given else None,
                     formats[0] if formats else None)


REMEMBERED_QUERY_STRING_BYTES = 4096  # GET requests up to this long are read once per query string (_read_get)


@lru_cache(maxsize=512)
def _read_get(query_string: bytes) -> Operation:
    """`read_operation` of a GET with this query string, remembered for the last 512 (a refusal is not: it is raised
    again each time). Clients repeat their requests; decoding the parameters was a twelfth of an uncached lookup's
    time in the web process (py-spy)."""
    return read_operation("GET", query_string, None, b"")


# ------------------------------------------------------------------------------------------ negotiation

def negotiate(kind: str, format_param: str | None, accept: str | None) -> str:
    """The media type to answer with for results of `kind`, or ProtocolError 400/406 naming what is offered."""
    media = _negotiated(kind, format_param, accept)
    if isinstance(media, tuple):
        raise ProtocolError(*media)
    return media


@lru_cache(maxsize=256)
def _negotiated(kind: str, format_param: str | None, accept: str | None) -> str | tuple[int, str]:
    """`negotiate`'s answer: the media type, or the refusal's (status, message).

    Remembered for the last 256 (kind, format, Accept) asked: clients repeat their Accept header, and each query
    negotiates both kinds (one of them refused); reading the header again was a twentieth of a cached answer's time
    in the web process (py-spy)."""
    offered = OFFERED[kind]
    listing = ", ".join(offered)
    if format_param:
        name = format_param.strip().lower()
        if named(name):  # json and xml name the natural JSON/XML form of each kind
            media = next((m for m in named(name) if m in offered), None)
        elif name in offered:
            media = name
        elif name in RESULT_MEDIA_TYPES or name in GRAPH_MEDIA_TYPES or name == HTML:
            media = None
        else:
            valid = ", ".join(names_for(offered))
            return 400, (f"format={format_param!r} is not a known format; for {KIND_WORDS[kind]} "
                         f"use one of {valid} or a media type: {listing}")
        if media is None:
            return 406, f"format={format_param!r} cannot express {KIND_WORDS[kind]}; offered: {listing}"
        return media
    media = choose(accept, offered, ALIASES[kind])
    if media is None:
        return 406, (f"none of the media types in Accept: {accept} can express {KIND_WORDS[kind]}; "
                     f"offered: {listing} (or add format=… to the request)")
    return media


def content_type(media: str) -> str:
    return media if media == HTML else f"{media}; charset=utf-8"


def etag_for(*parts: str | int | float | tuple | dict | None) -> str:
    """A strong validator for an answer made from `parts` (strings, numbers, tuples of strings, dicts built in one
    fixed order, None): a digest of their repr, which is exact for these types and an eighth of the cost of
    encoding them as JSON first (a tenth of a cached answer's time went to that; py-spy)."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8", "backslashreplace"), digest_size=16)
    return '"' + digest.hexdigest() + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): `*` or any listed tag equal to ours, W/ ignored."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags


# ------------------------------------------------------------------------------------------ the router

async def _receive_body(receive) -> bytes | None:
    """An ASGI request's body, read no further than one chunk past MAX_BODY_BYTES; None if the client left."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY_BYTES or not message.get("more_body", False):
            return b"".join(chunks)


def _too_large() -> "Answer":
    return _text_answer(413, f"the request body is larger than {MAX_BODY_BYTES} bytes; a SPARQL query should be far "
                             "shorter")


def _number(value: int, lang: str) -> str:
    """10,000 in English, 10.000 in German."""
    return f"{value:,}".replace(",", ".") if lang == "de" else f"{value:,}"


@dataclass(frozen=True)
class Asked:
    """What the request says about itself that the protocol reads: its headers of interest and its client."""

    content_type: str | None = None
    accept: str | None = None
    if_none_match: str | None = None
    client: str | None = None

    @classmethod
    def of_scope(cls, scope: dict) -> "Asked":
        found: dict[bytes, str] = {}
        for key, value in scope.get("headers", ()):
            if key in _ASKED_HEADERS and key not in found:  # the first of a repeated field, as Starlette's get()
                found[key] = value.decode("latin-1")
        client = scope.get("client")
        return cls(found.get(b"content-type"), found.get(b"accept"), found.get(b"if-none-match"),
                   client[0] if client else None)

    @classmethod
    def of_request(cls, request: Request) -> "Asked":
        return cls(request.headers.get("content-type"), request.headers.get("accept"),
                   request.headers.get("if-none-match"), request.client.host if request.client else None)


_ASKED_HEADERS = frozenset({b"content-type", b"accept", b"if-none-match"})


@dataclass
class Answer:
    """One answer of the endpoint before any framework has it: status, headers (Content-Type among them), body."""

    status: int
    headers: dict[str, str]
    body: bytes = b""

    def response(self) -> Response:
        headers = dict(self.headers)
        media_type = headers.pop("Content-Type", None)
        return Response(self.body, status_code=self.status, media_type=media_type, headers=headers)

    def asgi_messages(self) -> tuple[dict, dict]:
        """The two ASGI messages of this answer (no Content-Length on a 304, which has no body)."""
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        if self.status != 304:
            raw.append((b"content-length", str(len(self.body)).encode()))
        return ({"type": "http.response.start", "status": self.status, "headers": raw},
                {"type": "http.response.body", "body": self.body})


def _text_answer(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", **(headers or {})},
                  (message.rstrip() + "\n").encode("utf-8"))


def _text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _text_answer(status, message, headers).response()


class SparqlRouter(APIRouter):
    """`/sparql` for one store: queries by the SPARQL 1.1 Protocol, the service description, the query page.

    The protocol itself is `answer` (framework-free: bytes and headers in, an `Answer` out). Two adapters serve it:
    `query_lane`, a pure ASGI application placed in front of FastAPI's router by `create_app`, which answers every
    query request to /sparql without routing, request objects or dependency resolution (a third of a cheap query's
    time in the web process; bench/engine_bench.py); and this router's routes, which answer the service description
    and the query page, document the endpoint in OpenAPI, and answer queries too when no lane is in front.
    """

    def __init__(self, store: KnowledgeStore, settings: Settings):
        super().__init__(tags=["SPARQL"])
        self.store = store
        self.settings = settings
        self.base_iri = settings.base + "sparql"
        self._counts = store.triple_counts()
        self.answers = AnswerCache(settings.answer_cache_mb * 1024 * 1024)
        self.add_api_route("/sparql", self.get, methods=["GET", "HEAD"], response_class=Response,
                           summary="SPARQL query (GET), service description or query page",
                           description=_GET_DESCRIPTION, openapi_extra=_GET_OPENAPI)
        self.query_route = self.routes[-1]  # what the metrics call a request the lane answers (route_name)
        self.add_api_route("/sparql", self.post, methods=["POST"], response_class=Response,
                           summary="SPARQL query (POST: form or application/sparql-query)",
                           description=_POST_DESCRIPTION, openapi_extra=_POST_OPENAPI)
        self.add_api_route("/sparql", self.options, methods=["OPTIONS"], include_in_schema=False)

    # -- the routes (async: reading the request and answering from the cache need no thread; the query itself
    # and the pages run in the thread pool, so the event loop never waits for a worker)
    async def get(self, request: Request) -> Response:
        answer = await self.answer(request.method, request.scope.get("query_string", b""), Asked.of_request(request))
        if answer is not None:
            return answer.response()
        try:
            operation = read_operation("GET", request.scope.get("query_string", b""), None, b"")
            return await run_in_threadpool(self._describe, request, operation)
        except ProtocolError as error:  # a format or Accept the description cannot be given in
            return _text_response(error.status, error.message, error.headers)

    async def post(self, request: Request) -> Response:
        body = await _receive_body(request.receive)
        if body is None:  # the client went away
            return Response(status_code=400)
        answer = await self.answer("POST", request.scope.get("query_string", b""), Asked.of_request(request), body)
        return answer.response() if answer is not None else _too_large().response()

    def options(self) -> Response:
        return Response(status_code=204, headers={"Allow": ALLOW})

    # -- the lane
    def query_lane(self, app):
        """`app` with query requests to /sparql answered first, by `answer`, as pure ASGI; all else goes to `app`.

        Placed inside the limits, security headers, CORS, access log and metrics (api/app.py), which see its answers
        as any route's; a GET without a query (the description, the page) and OPTIONS go on to the routes."""

        async def lane(scope, receive, send):
            if scope["type"] != "http" or scope["path"] != "/sparql" or scope["method"] == "OPTIONS":
                return await app(scope, receive, send)
            if scope["method"] not in ("GET", "POST"):  # HEAD arrives as GET (api/web/hardening.py)
                scope["route"] = self.query_route
                start, message = _text_answer(405, f"{scope['method']} is not a method of the SPARQL endpoint: "
                                                   f"send queries with GET or POST (allowed: {ALLOW})",
                                              {"Allow": ALLOW}).asgi_messages()
                await send(start)
                return await send(message)
            if scope["method"] == "GET":
                if not scope.get("query_string"):
                    return await app(scope, receive, send)
                body = b""
            else:
                body = await _receive_body(receive)
                if body is None:
                    return  # the client went away
            scope["route"] = self.query_route
            answer = await self.answer(scope["method"], scope.get("query_string", b""), Asked.of_scope(scope), body)
            if answer is None:  # parameters, but no query (a GET, its receive untouched): the description or the page
                return await app(scope, receive, send)
            start, message = answer.asgi_messages()
            await send(start)
            await send(message)

        return lane

    # -- the protocol
    async def answer(self, method: str, query_string: bytes, asked: Asked, body: bytes = b"") -> Answer | None:
        """The answer to one request to /sparql; None for a GET without a query (the description or the page)."""
        if len(body) > MAX_BODY_BYTES:
            return _too_large()
        try:
            if method == "GET" and len(query_string) <= REMEMBERED_QUERY_STRING_BYTES:
                operation = _read_get(query_string)
            else:
                operation = read_operation(method, query_string, asked.content_type, body)
            if operation.query is None:
                return None
            return await self._query(operation, asked, conditional=method == "GET")
        except ProtocolError as error:
            return _text_answer(error.status, error.message, error.headers)

    async def _query(self, operation: Operation, asked: Asked, conditional: bool) -> Answer:
        # The query's form (and so which formats fit) is known once a worker has read it: offer both kinds,
        # and keep each kind's 406 for a query of that kind (graph.store.NoAcceptableFormat).
        offered: dict[str, str] = {}
        refusals: dict[str, ProtocolError] = {}
        for kind in ("solutions", "graph"):
            try:
                offered[kind] = negotiate(kind, operation.format, asked.accept)
            except ProtocolError as error:
                if error.status != 406:
                    raise
                refusals[kind] = error
        headers = {"Vary": "Accept", "Cache-Control": "public, max-age=300"}
        headers["ETag"] = etag_for(self.store.fingerprint, operation.query, operation.default_graphs,
                                   operation.named_graphs, offered, self.settings.max_rows, self.base_iri)
        # GET and HEAD only: If-None-Match on a POST is not a request for a cached answer (RFC 9110 §13.1.2)
        if conditional and etag_matches(asked.if_none_match, headers["ETag"]):
            return Answer(304, headers)
        cached = self.answers.get(headers["ETag"])
        if cached is not None:  # the same request, answered before from this very store (api/web/answer_cache.py)
            return Answer(200, {"Content-Type": cached.media_type, **headers, **dict(cached.headers),
                                "Server-Timing": 'cache;desc="hit"'}, cached.body)
        query = QueryRequest(
            operation.query or "", media_type=offered.get("solutions"), graph_media_type=offered.get("graph"),
            default_graphs=operation.default_graphs, named_graphs=operation.named_graphs,
            base_iri=self.base_iri, max_rows=self.settings.max_rows, timeout=self.settings.query_timeout,
            max_bytes=self.settings.max_result_mb * 1024 * 1024, client=asked.client)  # fair shares per client
        try:
            # A bounded lookup (one triple pattern about one named subject) is answered here, in microseconds; any
            # other query waits on a query worker in the thread pool (graph.store: KnowledgeStore.run_in_place).
            outcome = self.store.run_in_place(query) or await run_in_threadpool(self.store.run, query)
        except tuple(ERROR_STATUSES) as error:
            # Status and headers from the one table (api/web/errors.py); the words are this endpoint's.
            status, error_headers, text = plain_error(error, {
                NoAcceptableFormat: lambda exc: refusals[exc.kind].message if exc.kind in refusals else None,
                UpdateRefused: lambda exc: READ_ONLY,
                QueryRefused: lambda exc: f"refused before evaluation: {exc}",
                QueryTimeout: lambda exc: f"query stopped: {exc}",
                QueryOutOfMemory: lambda exc: (f"query stopped: {exc} (at most {self.settings.query_memory_mb} MiB "
                                               "per query)"),
            }, "/sparql")
            return _text_answer(status, text, error_headers)
        own = {"X-HKI-Rows": str(outcome.rows)}
        if outcome.truncated:
            cap = f"max-bytes={query.max_bytes}" if outcome.cut_by == "bytes" else f"max-rows={self.settings.max_rows}"
            own["X-HKI-Truncated"] = f"true; {cap}"
        media_type = content_type(outcome.media_type)
        if outcome.repeatable:
            self.answers.put(headers["ETag"], CachedAnswer(outcome.body, media_type, tuple(own.items())))
        return Answer(200, {"Content-Type": media_type, **headers, **own,
                            "Server-Timing": f"query;dur={outcome.seconds * 1000:.1f}"}, outcome.body)

    def _describe(self, request: Request, operation: Operation) -> Response:
        media = negotiate("description", operation.format, request.headers.get("accept"))
        if media == HTML:
            return self._page(request)
        # The public IRI, never the request's Host (a forged one would poison caches) nor an external store's.
        endpoint = self.base_iri
        headers = {"Vary": "Accept", "Cache-Control": "public, max-age=300",
                   "ETag": etag_for(self.store.fingerprint, endpoint, media, self.settings.query_timeout,
                                    self.settings.max_rows)}
        if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
        triples = service_description(endpoint, self.settings, self._counts)
        fmt = GRAPH_MEDIA_TYPES[media]
        prefixes = {"sd": PREFIXES["sd"], "dct": PREFIXES["dct"], "rdfs": PREFIXES["rdfs"], "void": PREFIXES["void"],
                    "formats": "http://www.w3.org/ns/formats/"}
        body = ox.serialize(triples, format=fmt, prefixes=prefixes) if fmt == ox.RdfFormat.TURTLE \
            else ox.serialize(triples, format=fmt)
        return Response(body, media_type=content_type(media), headers=headers)

    def _page(self, request: Request) -> Response:
        lang = page_language(request, self.settings.lang)
        text = messages(lang, "sparql.")  # the page's words (catalogues: sparql.*), for static/sparql.js too
        examples = [{"slug": e.slug, "title": e.title_de if lang == "de" else e.title_en, "sparql": e.sparql(lang)}
                    for e in EXAMPLES]
        client = {"text": text, "prefixes": PREFIXES, "examples": examples, "maxRows": self.settings.max_rows,
                  "lang": lang, "base": self.settings.base}
        response = templates.TemplateResponse(request, "sparql.html", {
            "lang": lang, "other_lang": "en" if lang == "de" else "de", "examples": examples,
            "client": client, "version": __version__, "first_query": examples[0]["sparql"],
            "limits": translate(lang, "sparql.limits", t=f"{self.settings.query_timeout:g}",
                                n=_number(self.settings.max_rows, lang)),
            "endpoint": self.base_iri,
            "title": self.settings.title_de if lang == "de" else self.settings.title_en,
        }, headers={"Vary": "Accept, Accept-Language, Cookie", "Cache-Control": "no-cache"})
        # The Content-Security-Policy and the other security headers come from api/web/hardening.py.
        return remember_language(request, response)


class SparqlQueryLane:
    """`SparqlRouter.query_lane` as a Starlette middleware class (app.add_middleware(SparqlQueryLane, endpoint=…))."""

    def __init__(self, app, endpoint: SparqlRouter):
        self.app = endpoint.query_lane(app)

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


_GET_DESCRIPTION = """Runs a SPARQL 1.1 query given as `query` (SPARQL 1.1 Protocol §2.1.1).

Without parameters, answers the SPARQL Service Description (Turtle, N-Triples, JSON-LD, RDF/XML by
`Accept`) or, for browsers, the query page. Results: SELECT/ASK as SPARQL JSON (default), XML, CSV,
TSV; CONSTRUCT/DESCRIBE as Turtle (default), N-Triples, JSON-LD, RDF/XML, by `Accept` (q-values) or
`format=` (json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml or a media type).

Errors are `text/plain`: 400 bad request or syntax error (with line and column), SERVICE/LOAD;
403 updates; 406 no acceptable format; 503 busy (`Retry-After`); 504 time limit reached.
A result cut at the row cap carries `X-HKI-Truncated: true; max-rows=N`."""
_POST_DESCRIPTION = """The same as GET, with the query in the body: `application/x-www-form-urlencoded`
(`query=…`, `default-graph-uri=…`, `named-graph-uri=…`) or `application/sparql-query` (the query as
UTF-8 text; dataset parameters in the URL). `application/sparql-update` is refused with 403."""
_GRAPH_PARAMS = [
    {"name": "default-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}},
     "style": "form", "explode": True, "description": "A graph of the default graph (repeatable; overrides FROM)."},
    {"name": "named-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}},
     "style": "form", "explode": True, "description": "A named graph (repeatable; overrides FROM NAMED)."},
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Overrides Accept: json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml or a media type."},
]
_GET_OPENAPI = {"parameters": [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "The SPARQL query.", "example": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"},
    *_GRAPH_PARAMS]}
_POST_OPENAPI = {"parameters": _GRAPH_PARAMS, "requestBody": {"required": True, "content": {
    FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}},
    QUERY_BODY: {"schema": {"type": "string"}, "example": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"}}}}
