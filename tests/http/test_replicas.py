"""A public endpoint under crawler load: replicas of `kg serve` behind a reverse proxy over one release's store.

The deployment of docs/deployment.md, started here as it would run: `kg build --store DIR` fills the release's
store once; two `kg serve --store DIR --read-only` replicas serve that one folder; haproxy (Debian package,
installed by make install) balances them, checks /ready, passes the client's address on (X-Forwarded-For,
trusted from the proxy only) and takes a replica that dies out of the rotation.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from support.live_server import KG, free_port, kg_serve

pytestmark = pytest.mark.serial  # measures throughput on both cores: run alone (make test), not beside other tests

ASK = "ASK {}"
JSON = {"Accept": "application/sparql-results+json"}


def _haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        pytest.fail("haproxy is missing: make install installs it (Debian package haproxy)")
    return found


# What a crawler's requests cost a replica: a query evaluated each time (a join over the whole release, about 10 ms on
# its query worker), each request a new text, so no answer comes from a cache.
CRAWL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?o ?q ?x . ?x ?r ?y }"
CRAWLER = """-- each request a new query text: "# request <thread>-<n>" above the query
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local sent = 0
local function encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local query = encode(QUERY)
request = function()
  sent = sent + 1
  return wrk.format("GET", "/sparql?query=" .. encode("# request " .. id .. "-" .. sent .. "\\n") .. query,
                    {["Accept"] = "application/sparql-results+json"})
end
"""


def _wrk(url: str, script: Path | None = None, seconds: int = 3) -> float:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: make install installs it (Debian package wrk)")
    target = str(httpx.URL(url, params={"query": ASK}))
    extra = ["-s", str(script)] if script else []
    done = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", *extra, "-H", f"Accept: {JSON['Accept']}", target],
                          capture_output=True, text=True, timeout=seconds + 30)
    assert "Non-2xx" not in done.stdout and "Socket errors" not in done.stdout, done.stdout + done.stderr
    return float(next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("Requests/sec:")))


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """One release's store, filled by `kg build --store` (with its dumps) as a deployment does."""
    folder = tmp_path_factory.mktemp("release")
    done = subprocess.run([str(KG), "build", "--out", str(folder / "dist"), "--store", str(folder / "store")],
                          capture_output=True, text=True, cwd=folder, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return folder


def _config(path: Path, one: int, two: int, replicas: list[int]) -> None:
    servers = "\n".join(f"  server r{i} 127.0.0.1:{port} check inter 500ms fall 3 rise 1"
                        for i, port in enumerate(replicas, 1))
    path.write_text(f"""global
  maxconn 512
defaults
  mode http
  option forwardfor
  option redispatch
  retries 2
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout check 5s
frontend one
  bind 127.0.0.1:{one}
  default_backend one
frontend two
  bind 127.0.0.1:{two}
  default_backend two
backend one
  option httpchk GET /ready
  server r1 127.0.0.1:{replicas[0]} check inter 500ms fall 3 rise 1
backend two
  balance roundrobin
  option httpchk GET /ready
{servers}
""")


def test_two_replicas_behind_haproxy_serve_more_than_one_and_survive_one_dying(release, tmp_path):
    env = {"HKI_TRUSTED_PROXIES": "127.0.0.1", "HKI_QUERY_WORKERS": "1"}
    args = ("--store", str(release / "store"), "--read-only", "--dist", str(release / "dist"))
    with kg_serve(tmp_path / "r1", *args, env=env) as first, kg_serve(tmp_path / "r2", *args, env=env) as second:
        one, two = free_port(), free_port()
        config = tmp_path / "haproxy.cfg"
        _config(config, one, two, [first.port, second.port])
        proxy = subprocess.Popen([_haproxy(), "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while True:  # both frontends answer once the health checks passed
                try:
                    if all(httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": ASK}, headers=JSON,
                                     timeout=2).status_code == 200 for port in (one, two)):
                        break
                except httpx.HTTPError:
                    pass
                assert proxy.poll() is None, proxy.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "haproxy did not start answering"
                time.sleep(0.2)
            # The client's own address reaches each replica (the proxy appends it to X-Forwarded-For, and only the
            # proxy is trusted): the per-client fairness of the query workers keeps working behind the proxy.
            for _ in range(2):  # round robin: one each
                assert httpx.get(f"http://127.0.0.1:{two}/health", headers={"X-Forwarded-For": "203.0.113.7"},
                                 timeout=5).status_code == 200
            for server in (first, second):
                server.wait_for_record(lambda r: r.get("path") == "/health" and r.get("client") == "203.0.113.7")
            def answered() -> list[int]:
                return [sum(1 for r in server.records() if r.get("path") == "/sparql") for server in (first, second)]

            # A crawler's load: every request a query the replica evaluates on its one query worker. One replica
            # uses one core for it; two use both, while wrk, haproxy and the web processes need little.
            script = tmp_path / "crawler.lua"
            script.write_text(CRAWLER.replace("QUERY", json.dumps(CRAWL)), encoding="utf-8")
            alone = _wrk(f"http://127.0.0.1:{one}/sparql", script, seconds=4)
            before = answered()
            both = _wrk(f"http://127.0.0.1:{two}/sparql", script, seconds=4)
            print(f"\nthrough haproxy, wrk -t2 -c16 -d4s, each request a new query (a join, ~10 ms): one replica "
                  f"{alone:,.0f} req/s, two {both:,.0f} req/s ({both / alone:.2f}×)")
            # Both replicas took a fair share of the load …
            time.sleep(0.5)  # the last access-log lines
            served = [after - earlier for after, earlier in zip(answered(), before)]
            assert min(served) >= 0.3 * sum(served), f"requests per replica: {served}"
            # … and two serve about twice what one does.
            assert both >= 1.6 * alone, f"two replicas {both:,.0f} req/s vs one {alone:,.0f} req/s"
            # Cheap answers (a repeated ASK, from each replica's answer cache) are bound by the web process, wrk and
            # haproxy, which share the 2 cores: more replicas help less there (bench/engine_bench.py measures web
            # processes side by side); they must still not serve less.
            cheap_alone = _wrk(f"http://127.0.0.1:{one}/sparql")
            cheap_both = _wrk(f"http://127.0.0.1:{two}/sparql")
            print(f"repeated ASK: one replica {cheap_alone:,.0f} req/s, two {cheap_both:,.0f} req/s "
                  f"({cheap_both / cheap_alone:.2f}×)")
            assert cheap_both >= 0.9 * cheap_alone, f"ASK: two replicas {cheap_both:,.0f} vs one {cheap_alone:,.0f}"

            second.process.kill()  # a replica dies: the proxy's checks take it out, the endpoint keeps answering
            second.process.wait(10)
            time.sleep(1.0)
            answers = [httpx.get(f"http://127.0.0.1:{two}/sparql", params={"query": ASK}, headers=JSON, timeout=5)
                       for _ in range(20)]
            assert [a.status_code for a in answers] == [200] * 20
        finally:
            proxy.terminate()
            proxy.wait(10)
