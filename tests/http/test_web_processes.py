"""`kg serve` with several web processes (setting web_workers, issue 15): every process answers alike.

The web processes share one listening socket; the kernel gives each connection to one of them. On a fresh start
each loads the store into its own memory from the first process's copies of the inputs (api/server.py,
EmbeddedBackend.shared_copy); on a start whose store is reused, each opens one read-only snapshot of it. A client
must not be able to tell which process answered: same bytes, same strong ETag, in both ways of starting.
"""
from __future__ import annotations

import http.client
import os
import urllib.parse
from pathlib import Path

from support.live_server import kg_serve

NTRIPLES = {"Accept": "application/n-triples"}
JSON = {"Accept": "application/sparql-results+json"}
QUERIES = [
    ("CONSTRUCT WHERE { ?s ?p ?o }", NTRIPLES),  # the whole union graph, in the store's own order
    ("SELECT ?g ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ?p ORDER BY ?g ?p", JSON),
    ("DESCRIBE <https://w3id.org/hki/id/city/hannover>", NTRIPLES),
]


def _web_processes(pid: int) -> list[int]:
    """The spawned web processes among the server's children (the other one is multiprocessing's resource tracker)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _client_ports(pid: int, server_port: int) -> set[int]:
    """The client ports of the TCP connections process `pid` holds on `server_port` (from /proc, as ss does)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if inode in inodes and int(local.split(":")[1], 16) == server_port and remote != "00000000:0000":
            ports.add(int(remote.split(":")[1], 16))
    return ports


def _answers_by_process(server, rounds: int = 12) -> dict[str, dict[int, set[tuple[str, bytes]]]]:
    """Each query asked over new connections until every web process has answered it at least once: per query,
    the answers (ETag, body) by the process that held the connection."""
    processes = _web_processes(server.pid)
    assert len(processes) == 2, f"expected 2 web processes under {server.pid}, found {processes}"
    seen: dict[str, dict[int, set[tuple[str, bytes]]]] = {}
    for query, headers in QUERIES:
        answers: dict[int, set[tuple[str, bytes]]] = seen.setdefault(query, {})
        for _ in range(rounds):
            connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=60) for _ in range(6)]
            try:
                for connection in connections:
                    connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}), headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    assert response.status == 200, body[:500]
                    mine = connection.sock.getsockname()[1]
                    holders = [p for p in processes if mine in _client_ports(p, server.port)]
                    assert len(holders) == 1, f"the connection from port {mine} is held by {holders}"
                    answers.setdefault(holders[0], set()).add((response.getheader("ETag"), body))
            finally:
                for connection in connections:
                    connection.close()
            if set(answers) == set(processes):
                break
        assert set(answers) == set(processes), f"only {sorted(answers)} of {processes} answered {query!r}"
    return seen


def _one_answer(seen: dict[int, set[tuple[str, bytes]]]) -> tuple[str, bytes]:
    """The one (ETag, body) every process gave (fails if any two differ)."""
    given = set().union(*seen.values())
    assert len(given) == 1, f"{len(given)} different answers: {[(etag, len(body)) for etag, body in given]}"
    return given.pop()


def test_two_web_processes_answer_byte_for_byte_alike_on_a_fresh_and_on_a_reused_store(tmp_path):
    store = tmp_path / "store"
    env = {"HKI_WEB_WORKERS": "2"}
    with kg_serve(tmp_path / "first", "--store", str(store), env=env) as server:
        fresh = {query: _one_answer(by_process) for query, by_process in _answers_by_process(server).items()}
        said = server.log.read_text(encoding="utf-8")
    assert "each with the store in memory" in said, said[-2000:]
    assert len(fresh[QUERIES[0][0]][1].splitlines()) > 1000  # the whole graph, not an empty answer
    # The copies the web processes loaded are gone with the server; the store was filled beside serving and holds
    # its fingerprint, so the next start reuses it, each web process opening one snapshot of it.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store-")] == []
    with kg_serve(tmp_path / "second", "--store", str(store), env=env) as server:
        reused = {query: _one_answer(by_process) for query, by_process in _answers_by_process(server).items()}
        said = server.log.read_text(encoding="utf-8")
    assert "over the snapshot" in said, said[-2000:]
    # The same data whichever way the store was opened (an on-disk store lists statements in another order).
    for query, _ in QUERIES:
        assert sorted(fresh[query][1].splitlines()) == sorted(reused[query][1].splitlines()), query
