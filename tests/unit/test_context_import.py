"""The context layer's import (graph.context.importer) and its loading into the store (kg build, kg serve).

The whole shared extract (../shared/world/, Wikidata P190 2016) is read once per module; the other tests
use slices of a few lines written into tmp folders.
"""
from __future__ import annotations

import gzip
import json
import os
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build import build, open_store, validate_inputs
from graph.config import Settings, load_settings
from graph.context.importer import (
    SISTER_CITIES_REPOSITORY,
    ContextFileError,
    import_files,
    read_context_file,
    write_context,
)
from graph.load.inputs import fingerprint_inputs, input_files

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "context"
WD, WDT, P, PS, PQ = ("http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/",
                      "http://www.wikidata.org/prop/", "http://www.wikidata.org/prop/statement/",
                      "http://www.wikidata.org/prop/qualifier/")
BASE = "https://w3id.org/hki/"


def world_dir() -> Path:
    """The shared extract (relations.tsv, names.tsv): HKI_WORLD_DIR, beside or above the project, /work/shared/world."""
    named = os.environ.get("HKI_WORLD_DIR")
    candidates = [Path(named)] if named else [p / "shared" / "world" for p in ROOT.parents] + [Path("/work/shared/world")]
    for candidate in candidates:
        if (candidate / "relations.tsv").is_file() and (candidate / "names.tsv").is_file():
            return candidate
    message = ("this test needs the shared twin-city extract (shared/world/relations.tsv and names.tsv beside or "
               f"above {ROOT}, or a folder named by HKI_WORLD_DIR); looked in: " + ", ".join(map(str, candidates)))
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def triples_of(path: Path) -> set[tuple[str, str, str]]:
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


SLICE = "Q1715\tQ23154\nQ23154\tQ1715\nQ1715\tQ41819\nQ1715\tQ41819\n"
NAMES = "Q1715\tHannover\nQ23154\tBristol\nQ41819\tKansas City\n"


@pytest.fixture(scope="module")
def world_import():
    world = world_dir()
    return read_context_file(world / "relations.tsv", world / "names.tsv", retrieved="2016-09",
                             source=SISTER_CITIES_REPOSITORY)


def test_the_shared_extract_reads_as_its_readme_says(world_import):
    # README: 34,182 lines, 4 exact duplicates, 10,055 items, 624 pairs stated in one direction only
    assert len(world_import.items) == 10_055
    assert len(world_import.twinnings) == 34_182 - 4
    assert world_import.duplicates == 4
    assert world_import.one_sided == 624
    assert world_import.label == ("Wikidata P190 (twinned administrative body), retrieved 2016-09 via "
                                  "L3viathan/sister-cities")


def test_a_slice_becomes_the_contracts_statements_sorted_and_sourced(tmp_path):
    relations = write(tmp_path / "in" / "relations.tsv", SLICE)
    names = write(tmp_path / "in" / "names.tsv", NAMES)
    [(imp, path)] = import_files([relations], names, tmp_path / "context", retrieved="2016-09",
                                 source=SISTER_CITIES_REPOSITORY)
    assert path == (tmp_path / "context" / "relations.nt").resolve()
    body = path.read_text(encoding="utf-8")
    assert body.splitlines() == sorted(body.splitlines())
    got = triples_of(path)
    source = f"<{BASE}context/import/relations>"
    statement = f"<{BASE}context/statement/Q1715-Q23154>"
    for expected in [
        (f"<{WD}Q1715>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://schema.org/AdministrativeArea>"),
        (f"<{WD}Q1715>", "<http://www.w3.org/2000/01/rdf-schema#label>", '"Hannover"'),  # names.tsv: no language
        (f"<{WD}Q1715>", "<http://purl.org/dc/terms/source>", source),
        (f"<{WD}Q1715>", f"<{WDT}P190>", f"<{WD}Q23154>"),
        (f"<{WD}Q1715>", f"<{P}P190>", statement),
        (statement, f"<{PS}P190>", f"<{WD}Q23154>"),
        (statement, "<http://www.w3.org/ns/prov#wasDerivedFrom>", source),
        (source, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://www.w3.org/ns/prov#Entity>"),
        (source, "<http://purl.org/dc/terms/license>", "<https://creativecommons.org/publicdomain/zero/1.0/>"),
        (source, "<http://purl.org/dc/terms/source>", "<https://www.wikidata.org/wiki/Property:P190>"),
        (source, "<http://purl.org/dc/terms/source>", f"<{SISTER_CITIES_REPOSITORY}>"),
        (source, "<http://purl.org/dc/terms/issued>", '"2016-09"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>'),
    ]:
        assert expected in got, expected
    # the one-sided statement is kept as it is, in its direction only; the duplicate line is one statement
    assert (f"<{WD}Q1715>", f"<{WDT}P190>", f"<{WD}Q41819>") in got
    assert (f"<{WD}Q41819>", f"<{WDT}P190>", f"<{WD}Q1715>") not in got
    assert imp.duplicates == 1 and imp.one_sided == 1
    # importing the same answer again gives the same bytes
    first = path.read_bytes()
    import_files([relations], names, tmp_path / "context", retrieved="2016-09", source=SISTER_CITIES_REPOSITORY)
    assert path.read_bytes() == first


def test_a_wdqs_json_answer_keeps_languages_countries_coordinates_and_years(tmp_path):
    # Invented test values: the labels' languages, the country, the coordinate and the years below.
    def uri(q): return {"type": "uri", "value": WD + q}
    def lit(text, lang=None): return {"type": "literal", "value": text, **({"xml:lang": lang} if lang else {})}
    rows = [
        {"city": uri("Q1715"), "cityLabel": lit("Hannover", "de"), "twin": uri("Q23154"), "twinLabel": lit("Bristol", "de"),
         "country": uri("Q183"), "countryLabel": lit("Deutschland", "de"),
         "coord": {"type": "literal", "value": "Point(9.73322 52.37052)",
                   "datatype": "http://www.opengis.net/ont/geosparql#wktLiteral"},
         "start": {"type": "literal", "value": "1947-01-01T00:00:00Z", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime"},
         "startPrecision": {"type": "literal", "value": "9"}},
        {"city": uri("Q1715"), "cityLabel": lit("Hanover", "en"), "twin": uri("Q23154"), "twinLabel": lit("Bristol", "en"),
         "country": uri("Q183"), "countryLabel": lit("Germany", "en")},
        {"city": uri("Q1715"), "cityLabel": lit("Hannover", "de"), "twin": uri("Q268"), "twinLabel": lit("Posen", "de"),
         "start": {"type": "literal", "value": "1979-10-29T00:00:00Z"}},  # no precision: a day
    ]
    answer = write(tmp_path / "answer.json", json.dumps({"head": {"vars": ["city", "twin"]}, "results": {"bindings": rows}}))
    path = write_context(read_context_file(answer, retrieved="2026-12-01"), tmp_path / "context")
    got = triples_of(path)
    hannover = f"<{WD}Q1715>"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    assert (hannover, label, '"Hannover"@de') in got and (hannover, label, '"Hanover"@en') in got
    assert (hannover, "<http://schema.org/containedInPlace>", f"<{WD}Q183>") in got
    assert (f"<{WD}Q183>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://schema.org/Country>") in got
    assert (f"<{WD}Q183>", label, '"Deutschland"@de') in got
    assert (hannover, "<http://www.w3.org/2003/01/geo/wgs84_pos#lat>", '"52.37052"^^<http://www.w3.org/2001/XMLSchema#decimal>') in got
    assert (hannover, "<http://www.w3.org/2003/01/geo/wgs84_pos#long>", '"9.73322"^^<http://www.w3.org/2001/XMLSchema#decimal>') in got
    assert (f"<{BASE}context/statement/Q1715-Q23154>", f"<{PQ}P580>", '"1947"^^<http://www.w3.org/2001/XMLSchema#gYear>') in got
    assert (f"<{BASE}context/statement/Q1715-Q268>", f"<{PQ}P580>", '"1979-10-29"^^<http://www.w3.org/2001/XMLSchema#date>') in got
    assert sum(1 for t in got if t[1] == f"<{WDT}P190>") == 2  # two label rows, one statement


def test_the_fixture_answer_and_its_csv_form_give_the_same_statements(tmp_path):
    doc = json.loads((FIXTURES / "wdqs-hannover.json").read_text(encoding="utf-8"))
    lines = ["city,cityLabel,twin,twinLabel"] + [
        f'{r["city"]["value"]},"{r["cityLabel"]["value"]}",{r["twin"]["value"]},"{r["twinLabel"]["value"]}"'
        for r in doc["results"]["bindings"]]
    answer = write(tmp_path / "wdqs-hannover.csv", "\n".join(lines) + "\n")
    from_json = read_context_file(FIXTURES / "wdqs-hannover.json", retrieved="2016-09")
    from_csv = read_context_file(answer, retrieved="2016-09")
    assert set(from_json.twinnings) == set(from_csv.twinnings)
    assert len(from_json.twinnings) == 12 and ("Q1715", "Q41819") in from_json.twinnings
    assert {l for l, _ in from_csv.items["Q1715"].labels} == {"Hannover"}


@pytest.mark.parametrize("name, text, says", [
    ("relations.tsv", "Q1715\tQ23154\nQ1\tQ2\nQ1\tQ3\nQ1\tQ4\nQ1\tQ5\nQ1\tQ6\nQ1\tQ7\nQ1\tQ8\nQ1\tQ9\nQ1\tQ10\nQ1\tQ11\nQ5\tQ12x\n",
     "relations.tsv line 12, column 2: 'Q12x' is not a Wikidata ID (Q followed by digits"),
    ("relations.tsv", "Q1715\tQ23154\tQ3\n", "relations.tsv line 1: 3 columns; valid is two Wikidata IDs separated by a tab"),
    ("relations.tsv", "Q1715\tQ1715\n", "relations.tsv line 1, column 2: Q1715 is stated as its own twin"),
    ("answer.json", '{"head": {"vars": ["city"]}, "results": {"bindings": []}}', "answer.json: head.vars lacks twin"),
    ("answer.json", '{"head": {"vars": ["city", "twin"]}, "results": {"bindings": [{"city": {"type": "uri", '
                    '"value": "http://www.wikidata.org/entity/Q1715"}, "twin": {"type": "uri", "value": "https://example.org/x"}}]}}',
     "answer.json result 1, twin: 'https://example.org/x' is not a Wikidata entity IRI"),
    ("answer.json", '{"head": ', "answer.json line 1: not valid JSON"),
    ("answer.csv", "city,twin,coord\nhttp://www.wikidata.org/entity/Q1,http://www.wikidata.org/entity/Q2,Point(200 52)\n",
     "answer.csv line 2, coord: 'Point(200 52)': latitude must be within -90…90 and longitude within -180…180"),
    ("answer.csv", "city,twin,start\nhttp://www.wikidata.org/entity/Q1,http://www.wikidata.org/entity/Q2,1966-13-01\n",
     "answer.csv line 2, start: '1966-13-01' is not a calendar date"),
    ("answer.xml", "<sparql/>", "answer.xml: unknown kind of file '.xml'"),
])
def test_bad_input_names_file_line_field_value_and_what_is_valid(tmp_path, name, text, says):
    path = write(tmp_path / name, text)
    with pytest.raises(ContextFileError) as caught:
        read_context_file(path, retrieved="2016-09")
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(says), str(caught.value)


def test_names_given_twice_are_refused(tmp_path):
    relations = write(tmp_path / "relations.tsv", "Q1\tQ2\n")
    names = write(tmp_path / "names.tsv", "Q1\tA\nQ2\tB\nQ1\tC\n")
    with pytest.raises(ContextFileError, match=r"names.tsv line 3, column 1: Q1 is named a second time \(first on line 1\)"):
        read_context_file(relations, names)


def test_an_import_of_several_files_writes_all_or_nothing(tmp_path):
    context = tmp_path / "context"
    good = write(tmp_path / "in" / "relations.tsv", SLICE)
    [(_, earlier)] = import_files([good], None, context, retrieved="2016-09")
    before = earlier.read_bytes()
    other = write(tmp_path / "in" / "more.tsv", "Q1\tQ2\n")
    bad = write(tmp_path / "in" / "answer.csv", "city,twin\nhttp://www.wikidata.org/entity/Q1,Q2\n")
    write(tmp_path / "in" / "relations2.tsv", "Q7\tQ8\n")
    with pytest.raises(ContextFileError, match="answer.csv line 2, twin"):
        import_files([other, bad], None, context, retrieved="2016-09")
    assert sorted(p.name for p in context.iterdir()) == ["relations.nt"]
    assert earlier.read_bytes() == before
    assert not list(tmp_path.glob(".context-*"))  # no staging folder left behind
    written = import_files([other, tmp_path / "in" / "relations2.tsv"], None, context, retrieved="2016-09")
    assert sorted(p.name for p in context.iterdir()) == ["more.nt", "relations.nt", "relations2.nt"]
    assert [path.name for _, path in written] == ["more.nt", "relations2.nt"]


def test_bad_retrieval_dates_and_sources_are_refused(tmp_path):
    path = write(tmp_path / "relations.tsv", "Q1\tQ2\n")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        read_context_file(path, retrieved="Sept 2016")
    with pytest.raises(ValueError, match="http"):
        read_context_file(path, retrieved="2016-09", source="github.com/x")


# ------------------------------------------------------------------------------------------- loading

def test_context_dir_setting_defaults_to_the_data_folders_context_and_reads_from_toml_and_env(tmp_path):
    assert Settings().context_folder() == Settings().data_dir / "context"
    toml = write(tmp_path / "city" / "hki.toml", '[hki]\ncontext_dir = "world"\n')
    assert load_settings(toml, environ={}).context_dir == (tmp_path / "city" / "world").resolve()
    assert load_settings(None, environ={"HKI_CONTEXT_DIR": str(tmp_path / "w")}).context_dir == tmp_path / "w"


def test_context_files_are_inputs_of_their_own_graph_and_change_the_fingerprint(tmp_path):
    plain = Settings(context_dir=tmp_path / "context")
    assert [name for _, name in input_files(plain)] == [name for _, name in input_files(Settings())]
    before = fingerprint_inputs(plain)
    import_files([write(tmp_path / "relations.tsv", SLICE)], None, tmp_path / "context", retrieved="2016-09")
    write(tmp_path / "context" / ".hidden.nt", "")  # staging leftovers and hidden files are not inputs
    files = [(path.name, name) for path, name in input_files(plain) if name == "context"]
    assert files == [("relations.nt", "context")]
    assert fingerprint_inputs(plain) != before


def test_a_store_with_the_context_has_it_as_its_own_graph_and_shacl_leaves_it_out(tmp_path):
    import_files([write(tmp_path / "relations.tsv", SLICE)], write(tmp_path / "names.tsv", NAMES), tmp_path / "context",
                 retrieved="2016-09")
    # Not a city by hki's shapes (no labels in two languages, no country): the context is no curated data.
    write(tmp_path / "context" / "odd.nt", f"<{WD}Q99> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/City> .\n")
    settings = Settings(context_dir=tmp_path / "context")
    assert validate_inputs(settings).conforms
    kstore = open_store(settings)
    try:
        counts = kstore.triple_counts()
        assert counts["context"] == len(triples_of(tmp_path / "context" / "relations.nt")) + 1
        rows = kstore.select(f"SELECT ?t WHERE {{ GRAPH <{BASE}graph/context> {{ <{WD}Q1715> <{WDT}P190> ?t }} }}",
                             trusted=True)
        assert {r["t"].value for r in rows} == {WD + "Q23154", WD + "Q41819"}
        none_in_data = kstore.select(f"SELECT ?s WHERE {{ GRAPH <{BASE}graph/data> {{ ?s <{WDT}P190> ?o }} }}", trusted=True)
        assert none_in_data == []
    finally:
        kstore.close()


def _graphs_of_trig(path: Path) -> dict[str, set[ox.Triple]]:
    graphs: dict[str, set[ox.Triple]] = {}
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
        graphs.setdefault(quad.graph_name.value, set()).add(ox.Triple(quad.subject, quad.predicate, quad.object))
    return graphs


def test_without_context_the_build_is_byte_identical_and_with_it_the_context_is_a_graph_of_its_own(tmp_path, settings):
    # The shipped data built as it is, and with a context folder that holds no files: the same bytes.
    plain_report, _ = build(settings, tmp_path / "plain")
    assert plain_report.conforms
    build(replace(settings, context_dir=tmp_path / "empty-context"), tmp_path / "empty")
    for path in sorted((tmp_path / "plain").iterdir()):
        assert (tmp_path / "empty" / path.name).read_bytes() == path.read_bytes(), path.name
        body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        assert b"graph/context" not in body and b"dataset/context" not in body, path.name  # not even an empty subset
    # With a context: the curated graphs are exactly as before, the context is its own graph in the dumps.
    context = tmp_path / "context"
    import_files([write(tmp_path / "in" / "relations.tsv", SLICE)], write(tmp_path / "in" / "names.tsv", NAMES), context,
                 retrieved="2016-09", source=SISTER_CITIES_REPOSITORY)
    build(replace(settings, context_dir=context), tmp_path / "with")
    plain, with_context = _graphs_of_trig(tmp_path / "plain" / "hki.trig"), _graphs_of_trig(tmp_path / "with" / "hki.trig")
    for name in ("ontology", "vocab", "sdg", "data"):
        assert with_context[f"{BASE}graph/{name}"] == plain[f"{BASE}graph/{name}"], name
    assert f"{BASE}graph/context" not in plain
    assert {(str(t.subject), str(t.predicate), str(t.object)) for t in with_context[f"{BASE}graph/context"]} == \
        triples_of(context / "relations.nt")
    with gzip.open(tmp_path / "with" / "hki.nt.gz") as dump:
        assert f"<{WD}Q1715> <{WDT}P190> <{WD}Q41819> .".encode() in dump.read()
    # The meta graph and VoID describe the context as a subset of its own: CC0, its source and retrieval date.
    meta = with_context[f"{BASE}graph/meta"]
    part = ox.NamedNode(f"{BASE}dataset/context")
    assert ox.Triple(ox.NamedNode(f"{BASE}dataset"), ox.NamedNode("http://rdfs.org/ns/void#subset"), part) in meta
    assert ox.Triple(part, ox.NamedNode("http://purl.org/dc/terms/license"),
                     ox.NamedNode("https://creativecommons.org/publicdomain/zero/1.0/")) in meta
    assert not any(t.subject == part for t in plain[f"{BASE}graph/meta"])
    void = {(str(t.subject), str(t.predicate), str(t.object)) for t in
            ox.parse(path=str(tmp_path / "with" / "void.ttl"), format=ox.RdfFormat.TURTLE)}
    imp = f"<{BASE}context/import/relations>"
    assert (f"<{part.value}>", "<http://www.w3.org/ns/prov#wasDerivedFrom>", imp) in void
    assert (imp, "<http://purl.org/dc/terms/issued>", '"2016-09"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>') in void
