"""Live servers on free loopback ports.

`kg_serve`: a real `kg serve` process, for tests that need the whole server: its own process (crashes,
stalls, memory), its access log on standard output, its /metrics.
`serve_app`: an app made in the test (usually `api.app.create_app` over a store the test holds) served by
uvicorn in a thread of the test process, for tests that need real HTTP (raw sockets, a browser, HTTP
clients) but not a process of its own.
`Listener`: a loopback port that counts the connections made to it.
"""
from __future__ import annotations

import os
import re
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

KG = Path(sys.executable).with_name("kg")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path  # standard output: one JSON line per request
    errors: Path  # standard error

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def records(self) -> list[dict]:
        """The access log so far."""
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def wait_for_record(self, match, timeout: float = 5) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.records() if match(r)]
            if found:
                return found[-1]
            assert time.monotonic() < deadline, f"no such access-log line in: {self.records()[-5:]}"
            time.sleep(0.05)

    def metrics(self) -> dict[str, float]:
        text = httpx.get(self.url + "/metrics", timeout=10).text
        return {f"{s.name}{dict(sorted(s.labels.items()))}": s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1])

    def children(self) -> list[int]:
        """Process ids of the server's child processes (query workers, the fork server)."""
        found = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            children = (task / "children").read_text().split()
            found += [int(c) for c in children]
        return found

    def alive(self) -> bool:
        return self.process.poll() is None


def wait_until_ready(port: int, process: subprocess.Popen, errors: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"kg serve ended ({process.returncode}): {errors.read_text()[-3000:]}"
        assert time.monotonic() < deadline, "kg serve did not become ready"
        time.sleep(0.2)


@contextmanager
def kg_serve(folder: Path, *args: str, env: dict[str, str] | None = None, ready_timeout: float = 180,
             allow_tracebacks: bool = False) -> Iterator[Server]:
    """`kg serve ARGS…` on a free loopback port with `folder` as working directory, once /ready says so.

    Settings come only from `env` (HKI_* variables of the calling environment are dropped); the server
    is stopped at the end, and its standard error must hold no Python traceback.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HKI_")}
    environ.update({"HKI_QUERY_WORKERS": "2", **(env or {})})
    log, errors = folder / "access.log", folder / "server.err"
    with log.open("w") as out, errors.open("w") as err:
        process = subprocess.Popen([str(KG), "serve", "--port", str(port), *args], stdout=out, stderr=err,
                                   cwd=folder, env=environ)
    try:
        wait_until_ready(port, process, errors, ready_timeout)
        yield Server(port, process, log, errors)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if not allow_tracebacks:
            assert "Traceback" not in errors.read_text(), errors.read_text()[-3000:]


@contextmanager
def serve_app(app, start_timeout: float = 30) -> Iterator[str]:
    """Serve the ASGI `app` with uvicorn on a free loopback port in a thread; yields the base URL.

    The app's lifespan is not run (lifespan="off"): whoever made the app and its store closes them.
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        assert thread.is_alive(), f"uvicorn ended before it served on 127.0.0.1:{port}"
        assert time.monotonic() < deadline, f"uvicorn did not start on 127.0.0.1:{port}"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Listener:
    """A loopback TCP listener that counts the connections made to it (for 'nothing reaches out' tests)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.setblocking(False)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/"

    def connections(self, wait: float = 0.3) -> int:
        """How many connections arrived (waiting `wait` seconds for late ones)."""
        time.sleep(wait)
        count = 0
        while True:
            try:
                conn, _ = self.socket.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.socket.close()
