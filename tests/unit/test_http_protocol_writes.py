"""How hki's HTTP protocol (api/web/hardening.py) hands an answer to the connection: head and body in one write.

uvicorn's own protocol writes a response's head and its body separately: two TCP segments and two wake-ups of the
client for an answer of a few hundred bytes. These tests drive the real protocol class over a recording transport,
as uvicorn's server would, with a small ASGI application.
"""
from __future__ import annotations

import asyncio
import threading

import uvicorn
from uvicorn.server import ServerState

from api.web.hardening import limited_http_protocol


class RecordingTransport(asyncio.Transport):
    """What the protocol writes, call by call, and whether it closed the connection."""

    def __init__(self):
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data):
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self):
        self.closed = True

    def is_closing(self):
        return self.closed

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def can_write_eof(self):
        return False


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":  # the head first, the body a while later (a long query's stream)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await asyncio.sleep(0.2)
        await send({"type": "http.response.body", "body": b"late", "more_body": False})
        return
    if scope["path"] == "/fail":  # the head sent, then the application fails: uvicorn closes the connection
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        raise RuntimeError("failed after the head")
    if scope["path"] == "/upload":
        message = await receive()  # Expect: 100-continue: uvicorn says "100 Continue" when the body is asked for
        body = message.get("body", b"")
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    body = b'{"head": false, "boolean": true}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def connect(application=app):
    """hki's protocol on a new connection of the running loop, over a recording transport, as uvicorn makes it."""
    config = uvicorn.Config(application, log_level="critical", lifespan="off")
    config.load()
    protocol = limited_http_protocol()(config=config, server_state=ServerState(), app_state={},
                                       _loop=asyncio.get_running_loop())
    transport = RecordingTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def exchange(request: bytes, wait: float = 0.05) -> RecordingTransport:
    protocol, transport = connect()
    protocol.data_received(request)
    await asyncio.sleep(wait)
    protocol.connection_lost(None)
    return transport


def in_own_loop(coroutine):
    """Run `coroutine` on a new event loop in a thread of its own (another test may leave a loop running here)."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
    thread.start()
    thread.join(30)
    assert result, "the exchange did not finish"
    return result[0]


def run(request: bytes, wait: float = 0.05) -> RecordingTransport:
    return in_own_loop(exchange(request, wait))


def test_an_answer_goes_out_in_one_write_head_and_body_together():
    transport = run(b"GET /sparql HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.writes) == 1, transport.writes
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 32" in head
    assert body == b'{"head": false, "boolean": true}'


def test_two_answers_on_a_kept_alive_connection_are_one_write_each():
    transport = run(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.writes) == 2, transport.writes
    assert all(w.startswith(b"HTTP/1.1 200 OK") and w.endswith(b"true}") for w in transport.writes)


def test_a_head_request_gets_its_head_though_no_body_follows():
    transport = run(b"HEAD /sparql HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 OK")
    assert transport.writes[0].endswith(b"\r\n\r\n")  # the head only


def test_a_head_whose_body_comes_later_is_sent_at_once():
    async def scenario():
        protocol, transport = connect()
        protocol.data_received(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.05)  # the body is 0.2 s away: the head must not wait for it
        early = list(transport.writes)
        await asyncio.sleep(0.3)
        protocol.connection_lost(None)
        return early, transport.writes

    early, writes = in_own_loop(scenario())
    assert len(early) == 1 and early[0].startswith(b"HTTP/1.1 200 OK") and early[0].endswith(b"\r\n\r\n")
    assert b"late" in b"".join(writes[1:])


def test_a_head_is_sent_before_the_connection_closes_after_a_failure():
    transport = run(b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
    assert transport.closed
    assert transport.writes and transport.writes[0].startswith(b"HTTP/1.1 200 OK")


def test_100_continue_reaches_a_client_that_waits_for_it_before_sending_the_body():
    async def scenario():
        protocol, transport = connect()
        protocol.data_received(b"POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        await asyncio.sleep(0.05)  # the client sends nothing more until it has read "100 Continue"
        interim = list(transport.writes)
        protocol.data_received(b"hello")
        await asyncio.sleep(0.05)
        protocol.connection_lost(None)
        return interim, transport.writes

    interim, writes = in_own_loop(scenario())
    assert interim == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    answer = b"".join(writes[1:])
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"\r\n\r\nhello")
    assert len(writes) == 2  # the answer itself in one write


def test_pipelined_answers_keep_their_order_when_the_first_has_no_body():
    transport = run(b"HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    sent = b"".join(transport.writes)
    first, _, rest = sent.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 OK") and b"content-length: 32" in first
    assert rest.startswith(b"HTTP/1.1 200 OK") and rest.endswith(b'{"head": false, "boolean": true}')


def pipelined_after_a_held_head(then) -> tuple[list[bytes], list]:
    """A HEAD request, and `then(protocol)` in the same turn of the loop right after its answer was made (as when a
    pipelined request's bytes arrive with the first's): what the client receives, and the loop's errors."""
    async def scenario():
        loop = asyncio.get_running_loop()
        errors: list = []
        loop.set_exception_handler(lambda _, context: errors.append(context.get("exception") or context["message"]))
        protocol, transport = connect()
        protocol.data_received(b"HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n")
        loop.call_soon(then, protocol)  # after the answer's task step, before the end of the turn
        await asyncio.sleep(0.05)
        return transport.writes, errors

    return in_own_loop(scenario())


def test_a_refusal_of_the_next_request_does_not_overtake_or_drop_the_head_before_it():
    too_many = b"GET /b HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n"
    writes, errors = pipelined_after_a_held_head(lambda protocol: protocol.data_received(too_many))
    sent = b"".join(writes)
    assert sent.startswith(b"HTTP/1.1 200 OK"), sent
    assert sent.index(b"HTTP/1.1 431") > 0 and not errors, (sent, errors)


def test_uvicorns_400_for_garbage_comes_after_the_head_before_it():
    writes, errors = pipelined_after_a_held_head(lambda protocol: protocol.data_received(b"\x00\x01garbage\r\n\r\n"))
    sent = b"".join(writes)
    assert sent.startswith(b"HTTP/1.1 200 OK") and b"HTTP/1.1 400" in sent and not errors, (sent, errors)


def test_a_graceful_shutdown_sends_a_held_head_before_closing():
    writes, errors = pipelined_after_a_held_head(lambda protocol: protocol.shutdown())
    assert writes and writes[0].startswith(b"HTTP/1.1 200 OK") and not errors, (writes, errors)


def test_a_large_first_body_part_is_written_after_the_head_not_copied_onto_it():
    async def big(scope, receive, send):
        body = b"x" * (1 << 20)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1048576")]})
        await send({"type": "http.response.body", "body": body})

    async def scenario():
        protocol, transport = connect(big)
        protocol.data_received(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.05)
        protocol.connection_lost(None)
        return transport.writes

    writes = in_own_loop(scenario())
    assert writes[0].startswith(b"HTTP/1.1 200 OK") and writes[0].endswith(b"\r\n\r\n")
    assert b"".join(writes[1:]) == b"x" * (1 << 20)


TOO_MANY_HEADERS = b"GET /b HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n"


def test_a_refused_pipelined_request_is_answered_after_the_answer_still_being_made_before_it():
    sent = b"".join(run(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" + TOO_MANY_HEADERS, wait=0.4).writes)
    assert sent.startswith(b"HTTP/1.1 200 OK"), sent
    assert b"HTTP/1.1 431" in sent and sent.index(b"late") < sent.index(b"HTTP/1.1 431"), sent


def test_garbage_after_a_request_still_being_answered_gets_its_400_after_that_answer():
    sent = b"".join(run(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01garbage\r\n\r\n", wait=0.4).writes)
    assert sent.startswith(b"HTTP/1.1 200 OK") and b"HTTP/1.1 400" in sent, sent
    assert sent.index(b"late") < sent.index(b"HTTP/1.1 400"), sent


def test_every_pipelined_request_before_a_refused_one_is_answered_in_order():
    sent = b"".join(run(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n" + TOO_MANY_HEADERS,
                        wait=0.4).writes)
    late, answer, refusal = sent.index(b"late"), sent.index(b"true}"), sent.index(b"HTTP/1.1 431")
    assert late < answer < refusal, sent
