"""The reconciliation report (graph.context.report, `kg context report`): questions for staff, one entry per city."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.build import open_store
from graph.cli import app
from graph.config import Settings
from graph.context.importer import SISTER_CITIES_REPOSITORY, import_files
from graph.context.report import question, reconcile

ROOT = Path(__file__).resolve().parents[2]
WD = "http://www.wikidata.org/entity/"


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


@pytest.fixture(scope="module")
def world_report(tmp_path_factory):
    world = world_dir()
    context = tmp_path_factory.mktemp("world") / "context"
    import_files([world / "relations.tsv"], world / "names.tsv", context, retrieved="2016-09",
                 source=SISTER_CITIES_REPOSITORY)
    kstore = open_store(Settings(context_dir=context))
    try:
        yield reconcile(kstore)
    finally:
        kstore.close()


def test_with_the_shared_extract_hannover_has_three_twinnings_only_wikidata_names(world_report):
    home = [f for f in world_report.findings if f.scope == "home"]
    assert [(f.kind, f.other.qid) for f in home] == [("context-only", "Q41819"), ("context-only", "Q1491"),
                                                    ("context-only", "Q340")]  # Kansas City, La Paz, Montreal
    assert [question(f, "de") for f in home][0] == ("Wikidata nennt Kansas City als Partnerstadt von Hannover; in den "
                                                    "Daten der Stadt fehlt sie. Prüfen?")
    assert question(home[2], "en") == ("Wikidata names Montreal as a twin city of Hannover; the city's own data does "
                                       "not have it. Check?")
    assert world_report.sources[0].retrieved == "2016-09"


def test_curated_cities_and_their_wikidata_items_are_one_entry_each(world_report):
    matched = {entry.qid: entry for entry, _ in world_report.matched}
    assert len(matched) == len(world_report.matched)  # never two rows for one city
    twins = {"Q23154", "Q6730", "Q30974", "Q188693", "Q268", "Q34664", "Q2079"}
    assert {"Q1715"} | twins <= set(matched)
    assert all(matched[q].curated and matched[q].curated.startswith("https://w3id.org/hki/id/city/") for q in twins)
    assert {e.qid: n for e, n in world_report.matched}["Q1715"] == 10
    # Kansas City is no curated place: it appears with the context's name, not as a second Hannover entry
    kansas = next(f.other for f in world_report.findings if f.other.qid == "Q41819")
    assert kansas.curated is None and kansas.label_de == "Kansas City"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def edited_context(tmp_path_factory):
    """A hand-made context (test values, not Wikidata's): Hannover–Bristol stated by Hannover only and starting
    1950, Hannover–Rouen missing, Hannover–Iwanowo stated (a friendship in the curated data), Bristol–Rouen
    twinned, Hannover–Perpignan as in the curated data (1960)."""
    folder = tmp_path_factory.mktemp("edited")
    def uri(q): return {"type": "uri", "value": WD + q}
    rows = [{"city": uri("Q1715"), "twin": uri("Q23154"), "start": {"type": "literal", "value": "1950"}},
            {"city": uri("Q1715"), "twin": uri("Q2630")}, {"city": uri("Q2630"), "twin": uri("Q1715")},
            {"city": uri("Q23154"), "twin": uri("Q30974")}, {"city": uri("Q30974"), "twin": uri("Q23154")},
            {"city": uri("Q1715"), "twin": uri("Q6730"), "start": {"type": "literal", "value": "1960"}},
            {"city": uri("Q6730"), "twin": uri("Q1715")}]
    for q in ("Q268", "Q34664", "Q2079", "Q188693"):
        rows += [{"city": uri("Q1715"), "twin": uri(q)}, {"city": uri(q), "twin": uri("Q1715")}]
    answer = write(folder / "edited.json", json.dumps({"head": {"vars": ["city", "twin", "start"]},
                                                      "results": {"bindings": rows}}))
    import_files([answer], None, folder / "context", retrieved="2026-12-01")
    return folder / "context"


@pytest.fixture(scope="module")
def edited_report(edited_context):
    kstore = open_store(Settings(context_dir=edited_context))
    try:
        yield reconcile(kstore)
    finally:
        kstore.close()


def test_every_kind_of_difference_is_a_question_to_check(edited_report):
    found = {(f.scope, f.kind, f.city.label_de, f.other.label_de) for f in edited_report.findings}
    assert found == {
        ("home", "other-type", "Hannover", "Iwanowo"),
        ("home", "curated-only", "Hannover", "Rouen"),
        ("home", "one-sided", "Hannover", "Bristol"),
        ("home", "year-conflict", "Hannover", "Bristol"),
        ("partners", "context-only", "Bristol", "Rouen"),
    }
    by_kind = {f.kind: f for f in edited_report.findings}
    assert question(by_kind["other-type"]) == ("Wikidata nennt Iwanowo als Partnerstadt von Hannover; in den Daten der "
                                               "Stadt ist es eine Städtefreundschaft. Prüfen?")
    assert question(by_kind["year-conflict"]) == ("Die Daten der Stadt nennen 1947 als Beginn der Partnerschaft "
                                                  "Hannover – Bristol, Wikidata 1950. Welches Jahr stimmt?")
    assert question(by_kind["one-sided"], "en") == ("In Wikidata only Hannover states the twinning with Bristol, not "
                                                    "the other way round. Check?")
    assert question(by_kind["curated-only"]).startswith("In den Daten der Stadt ist Rouen Partnerstadt von Hannover; "
                                                        "Wikidata nennt das nicht.")
    for finding in edited_report.findings:  # questions, never facts
        assert question(finding, "de").endswith("?") and question(finding, "en").endswith("?")


def test_no_context_no_findings():
    kstore = open_store(Settings(context_dir=Path("/nonexistent/context")))
    try:
        report = reconcile(kstore)
    finally:
        kstore.close()
    assert not report.has_context and report.findings == [] and report.home.qid == "Q1715"


def test_kg_context_report_prints_the_questions_as_table_and_json(edited_context, monkeypatch):
    monkeypatch.setenv("HKI_CONTEXT_DIR", str(edited_context))
    runner = CliRunner()
    result = runner.invoke(app, ["context", "report", "--format", "json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert {f["kind"] for f in body["findings"]} == {"other-type", "curated-only", "one-sided", "year-conflict",
                                                     "context-only"}
    assert body["sources"][0]["retrieved"] == "2026-12-01"
    table = runner.invoke(app, ["context", "report"], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "Welches Jahr stimmt?" in table.stdout
