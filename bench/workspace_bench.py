"""From "approve" to visible: how long a reviewer's approval takes until the public page and SPARQL show the change.

A real `kg serve` with editing on, over a copy of the data folder (Hannover's, or a synthetic one with `--cities N`
from graph/publish/synthetic.py for ~1M statements), with an editor and a reviewer. Each round: the editor saves
and submits a new project partnership through the form (HTTP, with the CSRF token), the reviewer approves it, and
the clock runs from sending "Freigeben" until both the entry's public page and a SPARQL ASK answer with it.

    .venv/bin/python bench/workspace_bench.py [--rounds 5] [--cities 0]

Prints the figures (minimum, median, maximum) and the split: the approval request itself (check, rebuild,
commit, switch) and the wait after it.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.live_server import KG, kg_serve  # noqa: E402

PASSWORD = {"eva": "bench-editor-2026", "rita": "bench-reviewer-2026"}
PAGE = {"Accept": "text/html"}
TYPES = "https://w3id.org/hki/scheme/partnership-type/"
CITY = "https://w3id.org/hki/id/city/"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _sign_in(url: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=900)
    form = client.get("/login", headers=PAGE).text
    token = _token(form.split('action="/login"', 1)[1])
    answer = client.post("/login", data={"username": name, "password": PASSWORD[name], "csrf_token": token}, headers=PAGE)
    assert answer.status_code == 303, answer.text[:300]
    return client


def _round(url: str, eva: httpx.Client, rita: httpx.Client, n: int) -> tuple[float, float]:
    label = f"Projektpartnerschaft Hannover – Hiroshima (Messung {n} {time.time_ns()})"
    page = eva.get("/arbeitsbereich/neu/partnership", headers=PAGE).text
    form = page.split('class="entry-form"', 1)[1]
    data = {"csrf_token": _token(form), "revision": re.search(r'name="revision" value="([^"]*)"', page)[1],
            "rdfs-label-de": label, "rdfs-label-en": label.replace("Projektpartnerschaft", "Project partnership"),
            "hki-partnershipType": TYPES + "project-partnership", "hki-partner": [CITY + "hannover", CITY + "hiroshima"],
            "schema-startDate": "2026", "dct-source": "https://www.hannover.de/", "comment": "Messung", "do": "submit"}
    saved = eva.post("/arbeitsbereich/neu/partnership", data=data, headers=PAGE)
    assert saved.status_code == 303, saved.text[:2000]
    change = saved.headers["location"].split("?")[0]
    review = rita.get(change, headers=PAGE).text
    token = _token(review.split("/freigeben", 1)[1])
    ask = f'ASK {{ ?p <http://www.w3.org/2000/01/rdf-schema#label> "{label}"@de }}'
    started = time.perf_counter()
    approved = rita.post(change + "/freigeben", data={"csrf_token": token, "note": ""}, headers=PAGE)
    answered = time.perf_counter() - started
    assert approved.status_code == 303, approved.text[:2000]
    shown = rita.get(approved.headers["location"], headers=PAGE).text
    entry = re.search(r'href="(/id/partnership/[^"]+)"', shown)[1]
    while True:
        visible = httpx.get(url + "/sparql", params={"query": ask}, headers={"Accept": "application/json"}).json()["boolean"]
        if visible and label in httpx.get(url + entry, headers=PAGE).text:
            return answered, time.perf_counter() - started
        if time.perf_counter() - started > 900:
            raise RuntimeError("the approved change was not visible after 900 s")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cities", type=int, default=0, help="a synthetic data folder of this many cities (0: Hannover's)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hki-workspace-bench-"))
    try:
        data = folder / "data"
        shutil.copytree(ROOT / "graph" / "data", data)
        if args.cities:
            subprocess.run([str(KG), "synth", "--cities", str(args.cities), "--out", str(data / "synthetic.ttl")],
                           check=True, capture_output=True)
        env = {"HKI_EDITING": "true", "HKI_STATE_DIR": str(folder / "state"), "HKI_DATA_DIR": str(data)}
        for name, role in (("eva", "editor"), ("rita", "reviewer")):
            subprocess.run([str(KG), "users", "add", name, "--role", role], input=PASSWORD[name] + "\n", text=True,
                           check=True, capture_output=True, env={**os.environ, **env})
        statements = sum(1 for path in data.glob("*.ttl") for line in path.open(encoding="utf-8") if line.rstrip().endswith((".", ";", ",")))
        with kg_serve(folder / "server", "--dist", str(folder / "dist"), env=env, ready_timeout=600) as server:
            eva, rita = _sign_in(server.url, "eva"), _sign_in(server.url, "rita")
            _round(server.url, eva, rita, 0)  # the first publication also records the history's first version
            rounds = [_round(server.url, eva, rita, n) for n in range(1, args.rounds + 1)]
        answered = [a for a, _ in rounds]
        visible = [v for _, v in rounds]
        print(f"data folder: {'Hannover' if not args.cities else f'Hannover + {args.cities:,} synthetic cities'} "
              f"(~{statements:,} statement lines), {args.rounds} rounds, {os.cpu_count()} cores")
        print(f"{'':34}{'min':>8}{'median':>9}{'max':>8}")
        for name, values in (("approval request answered (s)", answered), ("approve → page + SPARQL show it (s)", visible)):
            print(f"{name:34}{min(values):8.2f}{statistics.median(values):9.2f}{max(values):8.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
