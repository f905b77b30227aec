"""Benchmark: time to interactive of the explorer (/explore) and of a `kg viz` file, in Chromium.

"Interactive" is the moment the page has drawn its first view and answers clicks: the explorer sets
`data-ready="true"` on #explorer (and `data-tti`, milliseconds since its script started); a viz file
sets `window.hkiViz.ready`. Each graph is timed twice:
- cold: the first visit after the server started (it reads the projections and lays them out);
- warm: the next visit (the server's views are cached; the browser's cache is not used).

Graphs: the shipped Hannover graph, and Hannover plus a synthetic graph of `kg synth` sized to about
5 000 projected nodes, for which the explorer shows the best-linked 600 and says so.

    make bench            # or: .venv/bin/python bench/explorer_bench.py [--nodes 5000]
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from api.app import create_app  # noqa: E402
from graph.analysis import projections  # noqa: E402
from graph.config import Settings  # noqa: E402
from graph.build import open_store  # noqa: E402
from graph.publish.synthetic import write_synthetic_graph  # noqa: E402
from graph.publish.viz import choose_graph, write_viz  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
NODES_PER_CITY = 8.65  # projected nodes per synthetic city (cities, partnerships, organisations, …)


def serve(settings: Settings):
    store = open_store(settings)
    app = create_app(settings, kstore=store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread, store


def explorer_times(browser, url: str) -> list[tuple[str, float, float, str]]:
    """(visit, seconds from navigation to interactive, the page's own data-tti, status line) for two visits."""
    rows = []
    for visit in ("cold", "warm"):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url + "/explore?lang=en", wait_until="commit")
        page.wait_for_selector('#explorer[data-ready="true"]', state="attached", timeout=120_000)
        seconds = time.perf_counter() - started
        tti = float(page.locator("#explorer").get_attribute("data-tti")) / 1000
        notice = page.locator("#ex-notice")
        status = page.locator("#ex-status").text_content()
        if notice.is_visible():
            status += " — " + notice.text_content()
        rows.append((visit, seconds, tti, status))
        context.close()
    return rows


def viz_time(browser, path: Path) -> float:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.hkiViz && window.hkiViz.ready", timeout=120_000)
    seconds = time.perf_counter() - started
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=5000, help="projected nodes of the synthetic graph")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows: list[tuple[str, str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        warm_up = browser.new_context()  # the browser's own first start is not the page's time
        warm_up.new_page().goto("about:blank")
        warm_up.close()
        synthetic = Path(tmp) / "synthetic.nt"
        cities = max(2, round((args.nodes - 108) / NODES_PER_CITY))
        write_synthetic_graph(synthetic, cities, seed=7)
        for name, settings in (("Hannover", Settings()),
                               (f"Hannover + synthetic ({cities} cities)", replace(Settings(), extra_data=(synthetic,)))):
            url, server, thread, store = serve(replace(settings, query_timeout=30.0))
            try:
                nodes = len(projections(store).full)
                for visit, seconds, tti, status in explorer_times(browser, url):
                    rows.append((f"/explore, {name}: {nodes:,} nodes", visit, seconds, tti, status))
                views = projections(store)
                started = time.perf_counter()
                path = write_viz(choose_graph(views, "full"), Path(tmp) / "viz.html", name, "en")
                written = time.perf_counter() - started
                rows.append((f"kg viz full, {name}: {nodes:,} nodes", f"written in {written:.1f} s",
                             viz_time(browser, path), float("nan"), f"{path.stat().st_size / 1e6:.1f} MB file"))
            finally:
                server.should_exit = True
                thread.join(10)
                store.close()
        browser.close()
    print("\nExplorer: time to interactive in Chromium (seconds)")
    print(f"{'page and graph':<58} {'visit':<18} {'wall':>7} {'page':>7}  what the page says")
    for what, visit, seconds, tti, status in rows:
        page_tti = "" if tti != tti else f"{tti:7.2f}"
        print(f"{what:<58} {visit:<18} {seconds:7.2f} {page_tti:>7}  {status}")


if __name__ == "__main__":
    main()
