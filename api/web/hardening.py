"""Hostile input and browser security, in front of every route: one pure ASGI middleware.

- Security headers on every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy`; on every
  HTML answer also a Content-Security-Policy (`CONTENT_SECURITY_POLICY`: scripts and styles only
  from this server's own files, no inline script or style, no plugins, no framing, forms and
  connections only to this server), `X-Frame-Options: DENY`, `Permissions-Policy` (no camera,
  microphone, location, …) and `Cross-Origin-Opener-Policy`. A route may set a stricter or
  page-specific CSP itself (e.g. with hashes of a generated page's inline styles); it is kept.
- Limits, answered before any router sees the request: a body over `MAX_BODY_BYTES` (1 MiB, the
  SPARQL endpoint's documented limit) → 413 on every route (POST to the workspace's spreadsheet upload:
  `UPLOAD_BODY_BYTES`, 8 MiB), whether announced by Content-Length or streamed; a URL over `MAX_URL_BYTES` → 414; a path with `.`/`..` segments (also percent-encoded),
  a NUL byte or a backslash → 400. Nothing is ever resolved against the file system except by
  StaticFiles, which stays inside its folder. A body that pauses longer than `body_timeout` between
  two parts → 408. `HEAD` is answered on every `GET` route: the route runs as `GET`, the body is dropped.
- Limits on the request head (`LimitedHttpToolsProtocol`, given to uvicorn by `kg serve`), enforced as
  its bytes arrive, before anything is buffered: header fields over `MAX_HEADER_BYTES` (32 KiB) in all,
  a field over `MAX_HEADER_LINE_BYTES` (8 KiB) or more than `MAX_HEADERS` (100) fields → 431; a URL over
  `MAX_URL_BYTES` → 414; a head not complete `header_timeout` seconds after the connection opened (or
  after its first byte, on a kept-alive connection) → 408. Each answer closes the connection.
- Friendly errors: a 502/503/504 in plain text (the store or external endpoint is unavailable,
  busy, or too slow) becomes a short HTML page in German or English for people's pages, with the
  same status and Retry-After; `/sparql` queries and `/api/…` keep their plain-text/JSON answers.
"""
from __future__ import annotations

import asyncio
import html
import re
import urllib.parse
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.web.i18n import LANGUAGES, N_, translate
from api.web.negotiation import choose

MAX_BODY_BYTES = 1 << 20
# The one route that takes larger bodies: the workspace's spreadsheet upload (an .xlsx of a city's tables; the
# workbook's own limits, graph/load/spreadsheets/files.py, apply after this one).
UPLOAD_BODY_BYTES = 8 << 20
UPLOAD_PATHS = frozenset({"/arbeitsbereich/tabellen"})
MAX_URL_BYTES = 32 * 1024  # below uvicorn's own limit (about 64 KiB), which answers a bare 400
# Apache's and nginx's defaults are 8 KiB a field and 100 fields; browsers send 1–2 KiB, big cookies included.
MAX_HEADER_BYTES = 32 * 1024  # all header fields of a request together (its URL has MAX_URL_BYTES of its own)
MAX_HEADER_LINE_BYTES = 8 * 1024
MAX_HEADERS = 100
REQUEST_HEADER_TIMEOUT = 10.0  # defaults of the settings request_header_timeout and request_body_timeout
REQUEST_BODY_TIMEOUT = 10.0
LINGER_SECONDS = 2.0  # a refused request's connection stays open this long, for the answer to arrive: see _refuse

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=(), interest-cohort=()")
ALL_ANSWERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
HTML_ANSWERS = [(b"x-frame-options", b"DENY"), (b"permissions-policy", PERMISSIONS_POLICY.encode()),
                (b"cross-origin-opener-policy", b"same-origin")]
_DOT_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")
_UNAVAILABLE = {502, 503, 504}

# Why the page is missing, by status (msgids; the words are in the catalogues, api/web/locales: unavailable.*)
UNAVAILABLE_REASONS = {502: N_("unavailable.502"), 503: N_("unavailable.503"), 504: N_("unavailable.504")}


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def path_problem(raw_path: str) -> str | None:
    """Why a request path is refused (dot-segments, NUL, backslash), or None. Checked before and after decoding."""
    for form in (raw_path, urllib.parse.unquote(raw_path), urllib.parse.unquote(urllib.parse.unquote(raw_path))):
        if _DOT_SEGMENT.search(form):
            return "the path contains a '.' or '..' segment; request the resource's own address instead"
        if "\x00" in form or "\\" in form:
            return "the path contains a NUL byte or a backslash, which no address of this server has"
    return None


def _language(scope: dict, default: str = "de") -> str:
    query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = (query.get("lang") or [""])[0]
    cookie = _header(scope, b"cookie") or ""
    remembered = next((c.split("=", 1)[1].strip() for c in cookie.split(";") if c.strip().startswith("lang=")), "")
    for choice in (asked, remembered):
        if choice in LANGUAGES:
            return choice
    for part in (_header(scope, b"accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "de"


def unavailable_page(status: int, message: str, lang: str) -> bytes:
    """The HTML page people see when the data cannot be had (502/503/504)."""
    t = {"title": translate(lang, "unavailable.title"), status: translate(lang, UNAVAILABLE_REASONS[status]),
         "retry": translate(lang, "unavailable.retry"), "home": translate(lang, "unavailable.home"),
         "detail": translate(lang, "unavailable.detail")}
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t["title"])} – hki</title><link rel="stylesheet" href="/static/hki.css">
<link rel="stylesheet" href="/static/pages.css"></head>
<body><main id="content" class="unavailable"><h1>{html.escape(t["title"])}</h1>
<p>{html.escape(t[status])} {html.escape(t["retry"])}</p>
<p class="muted">{html.escape(t["detail"])} ({status}): {html.escape(message.strip())}</p>
<p><a href="/">{html.escape(t["home"])}</a></p></main></body></html>
""".encode("utf-8")


def _wants_page(scope: dict) -> bool:
    path = scope.get("path", "")
    if path.startswith(("/api/", "/sparql", "/metrics", "/ready", "/health", "/static/")):
        return False
    return choose(_header(scope, b"accept"), ["text/html", "text/plain"], {}) == "text/html"


def _plain(status: int, message: str, extra: list[tuple[bytes, bytes]] = ()) -> tuple[dict, dict]:
    body = (message.rstrip() + "\n").encode("utf-8")
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                         (b"cache-control", b"no-store"), *ALL_ANSWERS, *extra]},
            {"type": "http.response.body", "body": body})


def hardened(app, *, max_body: int = MAX_BODY_BYTES, max_url: int = MAX_URL_BYTES,
             body_timeout: float = REQUEST_BODY_TIMEOUT, csp: str = CONTENT_SECURITY_POLICY, lang: str = "de"):
    """`app` behind the limits, security headers and friendly error pages described above."""

    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        # FastAPI's routes answer HEAD with 405 unless they list it: run HEAD as GET and drop the body (every
        # answer below goes through this `send`), so all GET routes answer HEAD with the same status and headers.
        head = scope["method"] == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope

        if head:  # (a GET's answer goes out as it is, without this extra step)
            async def send(message, send=send):
                await send({**message, "body": b""} if message["type"] == "http.response.body" else message)

        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        raw_path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else raw_path
        if len(raw_path) + len(scope.get("query_string", b"")) > max_url:
            start, body = _plain(414, f"the URL is longer than {max_url} bytes; send a long SPARQL query as a POST "
                                      "body (application/sparql-query or a form)")
            await send(start)
            return await send(body)
        problem = path_problem(raw_path.split("?", 1)[0])
        if problem:
            start, body = _plain(400, problem)
            await send(start)
            return await send(body)
        declared = _header(scope, b"content-length")
        limit = max(max_body, UPLOAD_BODY_BYTES) if scope.get("path") in UPLOAD_PATHS and scope["method"] == "POST" \
            else max_body
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            too_large = declared.strip().isdigit()
            start, body = _plain(413 if too_large else 400,
                                 f"the request body is larger than {limit} bytes (the limit of this route)"
                                 if too_large else f"Content-Length {declared!r} is not a number")
            await send(start)
            return await send(body)
        if declared is not None or _header(scope, b"transfer-encoding") is not None:
            # Read the body here (at most the limit + one chunk), so no route ever holds more than the limit.
            chunks, size, more = [], 0, True
            while more:
                try:
                    message = await asyncio.wait_for(receive(), body_timeout)
                except asyncio.TimeoutError:
                    start, body = _plain(408, f"no part of the request body arrived for {body_timeout:g} s",
                                         [(b"connection", b"close")])
                    await send(start)
                    return await send(body)
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
                if size > limit:
                    start, body = _plain(413, f"the request body is larger than {limit} bytes (the limit of "
                                              "this route)", [(b"connection", b"close")])
                    await send(start)
                    return await send(body)
            replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

            async def receive_buffered():
                return replay.pop() if replay else await receive()
        else:
            receive_buffered = receive

        page = _wants_page(inner)
        state: dict = {"started": False, "held": None, "chunks": []}

        async def secured(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"").lower()
                extra = [h for h in ALL_ANSWERS if h[0] not in names]
                if content_type.startswith(b"text/html"):
                    extra += [h for h in HTML_ANSWERS if h[0] not in names]
                    if b"content-security-policy" not in names:
                        extra.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers + extra}
                if page and message["status"] in _UNAVAILABLE and content_type.startswith(b"text/plain"):
                    state["held"] = message  # rewritten as an HTML page once the body is complete
                    return
                state["started"] = True
                return await send(message)
            if message["type"] == "http.response.body" and state["held"] is not None:
                state["chunks"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                held = state["held"]
                text = b"".join(state["chunks"]).decode("utf-8", "replace")
                body = unavailable_page(held["status"], text, _language(scope, lang))
                headers = [(k, v) for k, v in held["headers"] if k.lower() not in (b"content-type", b"content-length",
                                                                                   b"content-security-policy")]
                headers += [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"content-security-policy", csp.encode()),
                            *[h for h in HTML_ANSWERS if h[0] not in {k.lower() for k, _ in headers}]]
                state["started"] = True
                await send({**held, "headers": headers})
                return await send({"type": "http.response.body", "body": body})
            return await send(message)

        try:
            await app(inner, receive_buffered, secured)
        finally:
            if "route" in inner:
                scope["route"] = inner["route"]  # for the metrics, which see the request's own scope

    return guarded


class HardeningMiddleware:
    """`hardened` as a Starlette middleware class (app.add_middleware(HardeningMiddleware))."""

    def __init__(self, app, **options):
        self.app = hardened(app, **options)

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


INTERIM = b"HTTP/1.1 100 "  # uvicorn's interim answer to Expect: 100-continue
JOINED_BODY_BYTES = 64 * 1024  # a first body part up to this size goes out in one write with the head


class HeadJoinedToBody:
    """One request's view of the connection's transport that sends an answer's head with its first body bytes.

    uvicorn writes a response's head when the application starts the response and the body when it sends it: two
    writes, two TCP segments and two wake-ups of the client for an answer of a few hundred bytes (the writes were a
    fifth of an uncached lookup's time in the web process, py-spy; one write instead of two served about 8 % more
    of them per second, wrk). A request's head is held until the next write, which carries it along, and never past
    the end of the event loop's current turn (`call_soon`) nor past a close: a head whose body comes later is sent
    as soon as before, give or take one turn of the loop. A `100 Continue` goes out at once. What the protocol itself
    writes on the connection (a refusal, uvicorn's 400, a close at shutdown) sends the held head first
    (`LimitedHttpToolsProtocol.send_held_head`), so nothing overtakes it. A large first body part is written after
    the head rather than copied onto it. Everything else is the connection's own transport."""

    __slots__ = ("_transport", "_loop", "_held", "_first", "_holding")

    def __init__(self, transport, loop, holding: Callable[["HeadJoinedToBody"], None] | None = None):
        """`holding`: told when this holds a head (the protocol's `send_held_head` then sends it)."""
        self._transport, self._loop, self._holding = transport, loop, holding
        self._held: bytes | None = None
        self._first = True

    def write(self, data: bytes) -> None:
        if self._first and data.startswith(INTERIM):  # "100 Continue": the client waits for it before its body
            self._transport.write(data)
        elif self._first:
            self._first = False
            self._held = data
            if self._holding is not None:
                self._holding(self)
            self._loop.call_soon(self.send_held)
        elif self._held is not None:
            held, self._held = self._held, None
            if len(data) <= JOINED_BODY_BYTES:
                self._transport.write(held + data)
            else:  # not copied for the sake of one segment
                self._transport.write(held)
                self._transport.write(data)
        else:
            self._transport.write(data)

    def send_held(self) -> None:
        """Send the head held, if any (at the end of the loop's turn, or before the protocol writes itself)."""
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                try:
                    self._transport.write(held)
                except RuntimeError:  # the writing side was ended (write_eof): nothing more can go out
                    pass

    def close(self) -> None:
        self.send_held()
        self._transport.close()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the request head, enforced as its bytes arrive.

    httptools keeps a header line until it ends and grows it by copying, so one endless header stalled
    every other client and grew the server without bound; uvicorn itself limits neither the head's
    size nor the time it may take. Use `limited_http_protocol` for a class with the settings applied.
    """

    header_timeout: float = REQUEST_HEADER_TIMEOUT
    report: Callable[[int, tuple | None], None] | None = None  # told (status, client) of every refusal

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head = self._url = self._fields = 0  # _head: bytes of the head so far; None once it is complete
        self._refused = False
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # While a head arrives, feed the parser no more than the limit allows: the refusal comes before any
        # oversized header is held. Every URL byte widens the room (a URL has its own limit, in on_url).
        while self._head is not None and data and self._open():
            room = MAX_HEADER_BYTES + self._url - self._head
            if room <= 0:
                return self._refuse(431, f"request headers larger than {MAX_HEADER_BYTES // 1024} KiB")
            piece, data = data[:room], data[room:]
            self._head += len(piece)
            super().data_received(piece)
        if data and self._open():
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # a request on a kept-alive connection: its time starts with its first byte
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    # After a refusal the parser still reports the rest of what it was fed: nothing of it counts any more.
    def on_url(self, url: bytes) -> None:
        self._url += len(url)
        if not self._open():
            return
        if self._url > MAX_URL_BYTES + 1:  # the "?" is not counted by the 414 of `hardened`
            self._refuse(414, f"the URL is longer than {MAX_URL_BYTES} bytes; send a long SPARQL query as a POST "
                              "body (application/sparql-query or a form)")
        else:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        if not self._open():
            return
        if self._fields > MAX_HEADERS:
            self._refuse(431, f"more than {MAX_HEADERS} request headers")
        elif len(name) + len(value) > MAX_HEADER_LINE_BYTES:
            self._refuse(431, f"a request header larger than {MAX_HEADER_LINE_BYTES // 1024} KiB")
        else:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._open():
            self._head = None
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            before = self.cycle
            super().on_headers_complete()
            if self.cycle is not None and self.cycle is not before:  # not an upgrade, which has no cycle
                self.cycle.transport = HeadJoinedToBody(self.transport, self.loop, self._hold)

    def on_body(self, body: bytes) -> None:
        if self._open():
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._open():
            self._head = self._url = self._fields = 0
            super().on_message_complete()

    def _open(self) -> bool:
        return not self._refused and not self.transport.is_closing()

    # The answer's head held by a request's view of the transport (HeadJoinedToBody): sent before anything this
    # protocol, or uvicorn's, writes or closes on the connection itself, so it is neither overtaken nor lost.
    _holding: HeadJoinedToBody | None = None

    def _hold(self, view: HeadJoinedToBody) -> None:
        self._holding = view

    def send_held_head(self) -> None:
        holding, self._holding = self._holding, None
        if holding is not None:
            holding.send_held()

    # A refusal of a pipelined request waits for the answers to the requests before it (RFC 9112 9.3.2: answers
    # go out in the order of the requests); the client would take it for the answer to the one still running.
    _pending_refusal: Callable[[], None] | None = None

    def _answering(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _refuse_in_turn(self, send: Callable[[], None]) -> None:
        """Nothing more of this connection is read; `send` the refusal now, or after the answers still being made."""
        self._refused = True
        if self._answering():
            self._pending_refusal = send
        else:
            send()

    def send_400_response(self, msg: str) -> None:  # the parser stopped at garbage
        self._refuse_in_turn(lambda: self._send_400_now(msg))

    def _send_400_now(self, msg: str) -> None:
        self.send_held_head()
        super().send_400_response(msg)

    def on_response_complete(self) -> None:
        if self._pending_refusal is not None and not self.pipeline:  # the last answer before the refusal is out
            refusal, self._pending_refusal = self._pending_refusal, None
            self.server_state.total_requests += 1
            if not self.transport.is_closing():
                refusal()
            return
        super().on_response_complete()

    def shutdown(self) -> None:
        self.send_held_head()
        super().shutdown()

    def timeout_keep_alive_handler(self) -> None:
        self.send_held_head()
        super().timeout_keep_alive_handler()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._open():
            return
        if self.cycle is not None and not self.cycle.response_complete:  # a pipelined request waits its turn
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        elif self._head:
            self._refuse(408, f"the request headers did not arrive within {self.header_timeout:g} s")
        else:
            self.send_held_head()
            self.transport.close()  # nothing was asked: nothing to answer

    def _refuse(self, status: int, message: str) -> None:
        self._refuse_in_turn(lambda: self._send_refusal(status, message))

    def _send_refusal(self, status: int, message: str) -> None:
        start, body = _plain(status, message, [(b"connection", b"close")])
        headers = [*self.server_state.default_headers, *start["headers"]]
        self.send_held_head()  # the answer before this one first, if its head is still held
        self.transport.write(STATUS_LINE[status] + b"".join(b"%s: %s\r\n" % h for h in headers) + b"\r\n"
                             + body["body"])
        # Closing with the client's bytes unread would reset the connection, and a client still sending would
        # lose the answer: end our side, drop what still comes (data_received), close a moment later (RFC 9112 9.6).
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
        if self.report is not None:
            self.report(status, self.client)


def limited_http_protocol(header_timeout: float = REQUEST_HEADER_TIMEOUT,
                          report: Callable[[int, tuple | None], None] | None = None) -> type[LimitedHttpToolsProtocol]:
    """A `LimitedHttpToolsProtocol` class for uvicorn (`http=`), with this time limit and refusal report."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,),
                {"header_timeout": header_timeout, "report": staticmethod(report) if report else None})


def style_hash(text: str) -> str:
    """A CSP source expression allowing exactly this inline stylesheet: 'sha256-…'."""
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def csp_allowing_styles(texts, policy: str = CONTENT_SECURITY_POLICY) -> str:
    """`policy` with these inline stylesheets (and no others) allowed by their hashes."""
    hashes = " ".join(dict.fromkeys(style_hash(t) for t in texts))
    if not hashes:
        return policy
    return "; ".join(part + " " + hashes if part.startswith("style-src ") else part for part in policy.split("; "))
