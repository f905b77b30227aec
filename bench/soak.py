"""Soak test: 50 concurrent clients for 60 s against `kg serve` on loopback, then a health check.

    make soak                 # or: .venv/bin/python bench/soak.py [--clients 50] [--seconds 60]

The clients have roles, as a public endpoint sees them: applications running cheap SPARQL queries,
researchers running heavy aggregates, abusers sending pathological queries (cartesian products,
unbounded property paths), crawlers and people fetching pages, and scripts calling the JSON API.
Each client loops over its role's requests with a short random pause (`--think-ms`), from its own
loopback address (127.0.1.N), so the server sees 50 different clients.

Reported per class: requests, p50/p99/max latency and status counts; client-side timeouts; the RSS
of the server and its query workers over time; the server log's tracebacks; and a final health check
(`/health`, `/ready`, a cheap query, a page). The exit status is 1 when a target is missed:
cheap queries p99 < 200 ms, heavy and pathological queries answered 200 or with the documented
time-limit (504) / busy (503) answers, no other 5xx, no client timeout, RSS bounded, healthy after.

Bounded: the load stops after `--seconds`, every request has a client time limit, and the server is
stopped at the end. Only 127.0.0.0/8 is ever contacted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ontology import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
KG = Path(sys.executable).with_name("kg")

P = "".join(f"PREFIX {prefix}: <{PREFIXES[prefix]}>\n" for prefix in ("hki", "schema", "rdfs"))
CITIES = ["bristol", "perpignan", "rouen", "blantyre", "hiroshima", "leipzig", "poznan", "hannover"]

CHEAP = [
    P + "SELECT ?label WHERE { <https://w3id.org/hki/id/city/%(city)s> rdfs:label ?label }",
    P + "SELECT ?city WHERE { ?city a schema:City } ORDER BY ?city LIMIT 10",
    P + "ASK { <https://w3id.org/hki/id/city/%(city)s> a schema:City }",
    P + """SELECT ?p ?start WHERE { ?p a hki:Partnership ; hki:partner <https://w3id.org/hki/id/city/%(city)s> ;
             schema:startDate ?start }""",
    P + "SELECT (COUNT(*) AS ?n) WHERE { ?m a hki:Measure }",
]
# Heavy: aggregates over millions of intermediate rows (about a second each on the Hannover graph).
HEAVY = [
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?x ?q ?y } GROUP BY ?p ORDER BY DESC(?n)",
    "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s a ?t . ?x ?r ?z . ?z ?q ?w } GROUP BY ?t",
    P + """SELECT ?l (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?l . ?x ?p ?o
             FILTER(isLiteral(?o) && CONTAINS(STR(?o), SUBSTR(STR(?l), 1, 3))) } GROUP BY ?l ORDER BY DESC(?n) LIMIT 10""",
]
# Pathological: cannot finish within any sane time limit (or are cut by the row cap).
PATHOLOGICAL = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (<http://x/a>|!<http://x/a>)* ?b . ?c (!<http://x/a>)* ?d }",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",  # the row cap answers this one quickly
    "SELECT (COUNT(*) AS ?n) WHERE { ?s (!<http://x/a>)+ ?o . ?o ?p ?z . ?z ?q ?w . ?w ?r ?v }",
    # a new text every time: the server cannot know it from before
    "SELECT (COUNT(*) AS ?%(var)s) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?%(var)s . ?j ?k ?l }",
]
PAGES = ["/", "/id/city/%(city)s", "/list/cities", "/sdgs", "/list", "/id/action-concept/internationale-stadt",
         "/list/partnerships", "/sparql", "/downloads", "/id/city/%(city)s.ttl", "/catalog", "/ontology",
         "/explore"]
API = ["/api/search?q=%(prefix)s", "/api/entity?iri=https://w3id.org/hki/id/city/%(city)s",
       "/api/neighbours?iri=https://w3id.org/hki/id/city/%(city)s", "/api/analysis/hubs?top=10",
       "/api/analysis/path?from=%(city)s&to=hannover", "/api/analysis/sdg-coverage"]
ROLES = {  # role: share of the clients
    "cheap": 0.40, "heavy": 0.10, "pathological": 0.10, "page": 0.24, "api": 0.16,
}


@dataclass
class Sample:
    role: str
    status: int  # 0: client-side timeout or connection error
    seconds: float
    error: str = ""
    at: float = 0.0  # when the request was sent, seconds after the load started
    path: str = ""


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    rss: list[tuple[float, int, int, int]] = field(default_factory=list)  # (t, server KiB, workers KiB, workers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            out += [int(c) for c in text.split()]
    except OSError:
        return out
    return out + [g for c in out for g in children(c)]


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def fill(template: str, rng: random.Random) -> str:
    city = rng.choice(CITIES)
    return template % {"city": city, "prefix": city[: rng.randint(2, 5)], "var": f"v{rng.getrandbits(40):x}"} \
        if "%(" in template else template


def request_for(role: str, rng: random.Random) -> tuple[str, str, dict]:
    """(method, path, keyword arguments) of one request of `role`."""
    if role in ("cheap", "heavy", "pathological"):
        query = fill(rng.choice({"cheap": CHEAP, "heavy": HEAVY, "pathological": PATHOLOGICAL}[role]), rng)
        if rng.random() < 0.5:
            return "GET", "/sparql", {"params": {"query": query}, "headers": {"Accept": "application/sparql-results+json"}}
        return "POST", "/sparql", {"data": {"query": query}, "headers": {"Accept": "application/sparql-results+json"}}
    if role == "page":
        return "GET", fill(rng.choice(PAGES), rng), {"headers": {"Accept": "text/html,*/*;q=0.8"}}
    return "GET", fill(rng.choice(API), rng), {}


async def client_loop(number: int, role: str, base: str, stop_at: float, seconds: float, think: float,
                      limit: float, run: Run, seed: int, ramp: float) -> None:
    rng = random.Random(seed * 1000 + number)
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.1.{number + 1}")
    await asyncio.sleep(rng.uniform(0, ramp))  # clients arrive over the first seconds, not all at once
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=limit) as client:
        while time.monotonic() < stop_at:
            method, path, kwargs = request_for(role, rng)
            started = time.perf_counter()
            at = time.monotonic() - (stop_at - seconds)
            try:
                response = await client.request(method, path, **kwargs)
                await response.aread()
                run.samples.append(Sample(role, response.status_code, time.perf_counter() - started, at=at, path=path))
            except httpx.HTTPError as exc:
                run.samples.append(Sample(role, 0, time.perf_counter() - started, type(exc).__name__, at=at))
            await asyncio.sleep(rng.uniform(0, 2 * think))


async def sample_memory(pid: int, stop_at: float, run: Run, every: float = 1.0) -> None:
    started = time.monotonic()
    while time.monotonic() < stop_at:
        kids = children(pid)
        run.rss.append((time.monotonic() - started, rss_kib(pid), sum(rss_kib(c) for c in kids), len(kids)))
        await asyncio.sleep(every)


async def load(base: str, pid: int, clients: int, seconds: float, think: float, limit: float, seed: int,
               ramp: float) -> Run:
    run = Run()
    roles = []
    for role, share in ROLES.items():
        roles += [role] * round(share * clients)
    roles = (roles + ["cheap"] * clients)[:clients]
    stop_at = time.monotonic() + seconds
    await asyncio.gather(sample_memory(pid, stop_at + 1, run),
                         *(client_loop(i, role, base, stop_at, seconds, think, limit, run, seed, ramp) for i, role in enumerate(roles)))
    return run


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def health_check(base: str) -> dict:
    out = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, (method, path, kwargs) in {
            "health": ("GET", "/health", {}), "ready": ("GET", "/ready", {}),
            "cheap query": ("GET", "/sparql", {"params": {"query": fill(CHEAP[1], random.Random(0))}}),
            "page": ("GET", "/id/city/bristol", {"headers": {"Accept": "text/html"}}),
        }.items():
            started = time.perf_counter()
            try:
                status = client.request(method, path, **kwargs).status_code
            except httpx.HTTPError as exc:
                status = f"{type(exc).__name__}"
            out[name] = {"status": status, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return out


def report(run: Run, health: dict, tracebacks: int, args) -> tuple[dict, list[str]]:
    by_role: dict[str, list[Sample]] = defaultdict(list)
    for s in run.samples:
        by_role[s.role].append(s)
    classes = {}
    failures = []
    for role in ROLES:
        samples = by_role.get(role, [])
        if not samples:
            continue
        times = [s.seconds * 1000 for s in samples if s.status]
        statuses = Counter(str(s.status) if s.status else "timeout/" + s.error for s in samples)
        slowest = sorted((s for s in samples if s.status), key=lambda s: -s.seconds)[:5]
        classes[role] = {"slowest": [f"{s.seconds * 1000:.0f} ms at {s.at:.1f} s: {s.path}" for s in slowest],
                         "requests": len(samples), "p50_ms": round(statistics.median(times), 1) if times else None,
                         "p99_ms": round(percentile(times, 0.99), 1) if times else None,
                         "max_ms": round(max(times), 1) if times else None, "statuses": dict(sorted(statuses.items()))}
        allowed = {"200", "304"} | ({"503", "504"} if role in ("heavy", "pathological") else set()) \
            | ({"404"} if role in ("page", "api") else set())
        unexpected = {k: v for k, v in statuses.items() if k not in allowed}
        if unexpected:
            failures.append(f"{role}: unexpected answers {unexpected}")
    cheap = classes.get("cheap", {"p99_ms": 0})
    if cheap["p99_ms"] is None or cheap["p99_ms"] >= args.cheap_p99_ms:
        failures.append(f"cheap queries: p99 {cheap['p99_ms']} ms, target < {args.cheap_p99_ms} ms")
    server = [r[1] for r in run.rss]
    workers = [r[2] for r in run.rss]
    memory = {"server_kib": {"start": server[0], "max": max(server), "end": server[-1]} if server else {},
              "workers_kib": {"start": workers[0], "max": max(workers), "end": workers[-1]} if workers else {},
              "workers": {"min": min(r[3] for r in run.rss), "max": max(r[3] for r in run.rss)} if run.rss else {},
              "series": [{"t": round(t), "server_mib": round(s / 1024), "workers_mib": round(w / 1024), "processes": n}
                         for t, s, w, n in run.rss[:: max(1, len(run.rss) // 12)]]}
    total_max = max((s + w for _, s, w, _ in run.rss), default=0)
    if total_max > args.max_rss_mib * 1024:
        failures.append(f"memory: server + workers reached {total_max // 1024} MiB (bound {args.max_rss_mib} MiB)")
    if tracebacks:
        failures.append(f"the server log has {tracebacks} traceback(s)")
    for name, result in health.items():
        if result["status"] != 200:
            failures.append(f"after the load: {name} answered {result['status']}")
    summary = {"clients": args.clients, "seconds": args.seconds, "think_ms": args.think_ms,
               "query_timeout": args.query_timeout, "query_workers": args.workers, "classes": classes,
               "requests": len(run.samples), "memory": memory, "health_after": health, "tracebacks": tracebacks,
               "failures": failures}
    return summary, failures


def print_summary(summary: dict) -> None:
    print(f"\nsoak: {summary['clients']} clients for {summary['seconds']} s (think time ≈ {summary['think_ms']} ms), "
          f"query_timeout {summary['query_timeout']} s, {summary['query_workers']} query workers; "
          f"{summary['requests']} requests")
    print(f"{'class':<13} {'requests':>8} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}  statuses")
    for role, c in summary["classes"].items():
        print(f"{role:<13} {c['requests']:>8} {c['p50_ms'] or 0:>9.1f} {c['p99_ms'] or 0:>9.1f} {c['max_ms'] or 0:>9.1f}  "
              + ", ".join(f"{k}×{v}" for k, v in c["statuses"].items()))
    m = summary["memory"]
    print(f"RSS server: {m['server_kib'].get('start', 0) // 1024} → max {m['server_kib'].get('max', 0) // 1024} → "
          f"{m['server_kib'].get('end', 0) // 1024} MiB; workers (all): {m['workers_kib'].get('start', 0) // 1024} → max "
          f"{m['workers_kib'].get('max', 0) // 1024} → {m['workers_kib'].get('end', 0) // 1024} MiB "
          f"({m['workers'].get('min')}–{m['workers'].get('max')} processes)")
    print("RSS over time: " + "  ".join(f"{s['t']}s:{s['server_mib']}+{s['workers_mib']}MiB" for s in m["series"]))
    print("after the load: " + ", ".join(f"{k} {v['status']} in {v['ms']} ms" for k, v in summary["health_after"].items()))
    print(f"server log tracebacks: {summary['tracebacks']}")
    print("PASS" if not summary["failures"] else "FAIL:\n  " + "\n  ".join(summary["failures"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think-ms", type=float, default=250.0, help="mean pause between a client's requests")
    parser.add_argument("--ramp", type=float, default=5.0, help="clients start at random times in the first RAMP seconds")
    parser.add_argument("--query-timeout", type=float, default=10.0, help="the server's query_timeout")
    parser.add_argument("--workers", type=int, default=None, help="the server's query_workers (default: its own)")
    parser.add_argument("--cheap-p99-ms", type=float, default=200.0)
    parser.add_argument("--max-rss-mib", type=float, default=3072.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", default="", help="shares of the roles, e.g. cheap=0.5,page=0.5 (default: "
                        + ", ".join(f"{k}={v}" for k, v in ROLES.items()) + ")")
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "soak.json")
    args = parser.parse_args(argv)
    if args.mix:
        ROLES.clear()
        ROLES.update({k: float(v) for k, v in (item.split("=") for item in args.mix.split(","))})

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "soak-server.log"
    # as `make run` starts it: two malloc arenas keep the server's memory flat (api/routers/operations.py)
    env = {"MALLOC_ARENA_MAX": "2", **os.environ, "HKI_QUERY_TIMEOUT": str(args.query_timeout)}
    if args.workers:
        env["HKI_QUERY_WORKERS"] = str(args.workers)
    args.workers = args.workers or "default"
    with tempfile.TemporaryDirectory(prefix="hki-soak-") as tmp, open(log_path, "wb") as log:
        server = subprocess.Popen([str(KG), "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--store", str(Path(tmp) / "store"), "--dist", str(ROOT / "dist")],
                                  stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None:
                    print(log_path.read_text()[-3000:], file=sys.stderr)
                    return 1
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    print("the server did not start within 120 s", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            print(f"server up at {base} (pid {server.pid}); {args.clients} clients for {args.seconds:g} s …", flush=True)
            run = asyncio.run(load(base, server.pid, args.clients, args.seconds, args.think_ms / 1000,
                                   args.query_timeout + 20, args.seed, args.ramp))
            health = health_check(base)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    tracebacks = log_path.read_text(errors="replace").count("Traceback (most recent call last)")
    summary, failures = report(run, health, tracebacks, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print_summary(summary)
    print(f"(details: {args.out}, server log: {log_path})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
