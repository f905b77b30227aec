"""`kg init --city Q3955` (Weimar, from the shared extract) end to end: init, validate, build, serve, SPARQL.

The context is the slice of the extract around Weimar (its twin cities and theirs), and the app is served in
the test's process (tests/support/live_server.serve_app over the folder's settings, as `kg serve` in the folder
would make it), so that the test takes seconds; `bench/context_bench.py` measures the whole extract."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from support.live_server import serve_app
from typer.testing import CliRunner

from api.app import create_app
from graph.build import build, open_store, validate_inputs
from graph.cli import app
from graph.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
WEIMAR_TWINS = {"Q160927", "Q202158", "Q2751", "Q3138", "Q145972"}  # relations.tsv: the lines of Q3955


def world_dir() -> Path:
    named = os.environ.get("HKI_WORLD_DIR")
    candidates = [Path(named)] if named else [p / "shared" / "world" for p in ROOT.parents] + [Path("/work/shared/world")]
    for candidate in candidates:
        if (candidate / "relations.tsv").is_file() and (candidate / "names.tsv").is_file():
            return candidate
    message = "this test needs the shared twin-city extract (shared/world/, or HKI_WORLD_DIR); looked in: " + \
        ", ".join(map(str, candidates))
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def weimar_slice(world: Path, folder: Path) -> tuple[Path, Path]:
    """The extract's lines that touch Weimar or one of its twin cities (a few hundred), and their names."""
    near = {"Q3955"} | WEIMAR_TWINS
    lines = [line for line in (world / "relations.tsv").read_text(encoding="utf-8").splitlines()
             if set(line.split("\t")) & near]
    items = {q for line in lines for q in line.split("\t")}
    names = [line for line in (world / "names.tsv").read_text(encoding="utf-8").splitlines()
             if line.split("\t", 1)[0] in items]
    folder.mkdir(parents=True)
    (folder / "relations.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "names.tsv").write_text("\n".join(names) + "\n", encoding="utf-8")
    return folder / "relations.tsv", folder / "names.tsv"


def test_a_new_city_from_the_context_validates_builds_and_serves_its_twin_cities(tmp_path):
    relations, names = weimar_slice(world_dir(), tmp_path / "world")
    folder = tmp_path / "weimar"
    runner = CliRunner()
    args = ["init", "--city", "Q3955", "--out", str(folder), "--relations", str(relations),
            "--names", str(names), "--retrieved", "2016-09",
            "--source", "https://github.com/L3viathan/sister-cities"]
    refused = runner.invoke(app, args)  # the extract gives no countries: none is invented
    assert refused.exit_code == 2 and "--country" in " ".join(refused.output.split())
    assert not folder.exists()
    made = runner.invoke(app, args + ["--country", "DEU"])
    assert made.exit_code == 0, made.output
    said = " ".join(made.output.split())
    assert "5 twin cities" in said and "placeholder" in said
    assert sorted(p.name for p in folder.iterdir()) == ["context", "data", "hki.toml"]
    partnerships = (folder / "data" / "partnerships.ttl").read_text(encoding="utf-8")
    assert partnerships.count("a hki:Partnership") == 5
    assert partnerships.count("hki:verificationStatus vstat:wikidata-only") == 5
    assert "Laut Wikidata" in partnerships and "<https://www.wikidata.org/wiki/Q3955>" in partnerships

    settings = load_settings(folder / "hki.toml", environ={})
    assert settings.base == "https://example.org/weimar/" and settings.context_folder() == (folder / "context").resolve()
    report = validate_inputs(settings)
    assert report.conforms, [v.message for v in report.violations]
    built, _ = build(settings, folder / "dist")
    assert built.conforms and (folder / "dist" / "hki.trig").is_file()

    query = """PREFIX hki: <https://w3id.org/hki/def#> PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?qid WHERE { ?weimar owl:sameAs <http://www.wikidata.org/entity/Q3955> ; hki:twinnedWith ?twin .
                            ?twin owl:sameAs ?wd BIND (STRAFTER(STR(?wd), "entity/") AS ?qid) }"""
    kstore = open_store(settings)
    try:
        with serve_app(create_app(settings, dist_dir=folder / "dist", kstore=kstore)) as url:
            check_served(url, query)
    finally:
        kstore.close()


def check_served(url: str, query: str) -> None:
    """Weimar's twin cities by SPARQL over HTTP, and the world context in its own graph under the new base."""
    answer = httpx.post(url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                        timeout=30)
    assert answer.status_code == 200, answer.text
    assert {b["qid"]["value"] for b in answer.json()["results"]["bindings"]} == WEIMAR_TWINS
    ask = httpx.post(url + "/sparql", headers={"Accept": "application/sparql-results+json"}, timeout=30,
                     data={"query": "ASK { GRAPH <https://example.org/weimar/graph/context> { "
                                    "<http://www.wikidata.org/entity/Q3955> ?p ?o } }"})
    assert ask.json()["boolean"] is True
    page = httpx.get(url + "/kontext", timeout=30)
    assert page.status_code == 200 and "Weimar" in page.text
