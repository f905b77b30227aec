"""`kg build`: every dump, deterministic, checksummed, and all-or-nothing."""
from __future__ import annotations

import gzip
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from graph.publish.dumps import DUMPS
from graph.build import build
from graph.load.files import DataFileError

DATA_DIR = Path(__file__).resolve().parents[2] / "graph" / "data"


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("build") / "dist"
    report, distributions = build(settings, out)
    assert report.conforms, [str(v) for v in report.violations]
    return out, distributions


def test_the_build_writes_every_dump_with_its_checksum(built):
    out, distributions = built
    assert sorted(d.file_name for d in distributions) == sorted(name for name, *_ in DUMPS)
    sums = dict(reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines())
    for name in [d.file_name for d in distributions] + ["void.ttl"]:
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sums[name]


@pytest.mark.parametrize("name,fmt", [("hki.ttl", "turtle"), ("hki.jsonld", "json-ld"), ("hki.rdf", "xml"),
                                      ("hki.trig", "trig")])
def test_every_dump_parses_back_to_the_same_statements(built, name, fmt):
    out, _ = built
    reference = rdflib.Graph().parse(data=gzip.decompress((out / "hki.nt.gz").read_bytes()), format="nt")
    if fmt == "trig":
        dataset = rdflib.Dataset()
        dataset.parse(out / name, format="trig")
        triples = {(s, p, o) for s, p, o, _ in dataset.quads()}
        assert triples == set(reference)
    else:
        assert set(rdflib.Graph().parse(out / name, format=fmt)) == set(reference)


def test_the_void_description_lists_each_dump_with_size_and_checksum(built):
    out, distributions = built
    void = rdflib.Graph().parse(out / "void.ttl")
    for d in distributions:
        rows = list(void.query(
            """PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX spdx: <http://spdx.org/rdf/terms#>
               SELECT ?size ?sum WHERE { ?dist dcat:downloadURL ?url ; dcat:byteSize ?size ;
                                         spdx:checksum/spdx:checksumValue ?sum .
                                         FILTER(STRENDS(STR(?url), ?name)) }""",
            initBindings={"name": rdflib.Literal("/" + d.file_name)}))
        assert [(int(r[0]), str(r[1])) for r in rows] == [(d.byte_size, d.sha256)]


def test_the_build_is_deterministic(built, settings, tmp_path):
    out, _ = built
    report, _ = build(settings, tmp_path / "again")
    for name in ["hki.nt.gz", "hki.ttl", "hki.trig", "SHA256SUMS"]:
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name
    lines = gzip.decompress((out / "hki.nt.gz").read_bytes()).decode().splitlines()
    assert lines == sorted(lines)


def test_a_data_file_with_a_syntax_error_stops_the_build_and_leaves_the_previous_dumps(built, settings, tmp_path):
    out, _ = built
    previous = tmp_path / "dist"
    shutil.copytree(out, previous)
    before = {p.name: p.read_bytes() for p in previous.iterdir()}
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "broken.ttl").write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n')
    with pytest.raises(DataFileError) as caught:
        build(replace(settings, data_dir=data), previous)
    assert caught.value.path.name == "broken.ttl" and caught.value.line == 2
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist-")] == []


def test_data_that_breaks_the_shapes_writes_nothing(settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "unsourced.ttl").write_text(
        "@prefix hki: <https://w3id.org/hki/def#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/hki/id/partnership/x> a hki:Partnership ; rdfs:label \"x\"@de , \"x\"@en ;\n"
        "  hki:partner <https://w3id.org/hki/id/city/hannover> , <https://w3id.org/hki/id/city/bristol> ;\n"
        "  hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> .\n")
    report, distributions = build(replace(settings, data_dir=data), tmp_path / "dist")
    assert not report.conforms and distributions == []
    assert any(v.focus.endswith("/id/partnership/x") for v in report.violations)
    assert not (tmp_path / "dist").exists()


def test_twinned_with_is_derived_symmetrically_at_build(built):
    out, _ = built
    graph = rdflib.Graph().parse(data=gzip.decompress((out / "hki.nt.gz").read_bytes()), format="nt")
    twinned = rdflib.URIRef("https://w3id.org/hki/def#twinnedWith")
    pairs = set(graph.subject_objects(twinned))
    assert pairs and all((b, a) in pairs for a, b in pairs)
    hannover = rdflib.URIRef("https://w3id.org/hki/id/city/hannover")
    assert len([b for a, b in pairs if a == hannover]) == 7


def test_the_dumps_carry_an_integer_year_beside_every_start_and_end_date(built):
    # hki:startYear / hki:endYear (graph/load/derive.py): portable year arithmetic for rdflib on the dumps.
    out, _ = built
    graph = rdflib.Graph().parse(data=gzip.decompress((out / "hki.nt.gz").read_bytes()), format="nt")
    for date, year in (("startDate", "startYear"), ("endDate", "endYear")):
        dates = dict(graph.subject_objects(rdflib.URIRef("http://schema.org/" + date)))
        years = dict(graph.subject_objects(rdflib.URIRef("https://w3id.org/hki/def#" + year)))
        assert dates and set(years) == set(dates), year
        assert all(y.datatype == rdflib.XSD.integer and int(y) == int(str(dates[s])[:4]) for s, y in years.items())


def test_the_trig_dump_keeps_the_named_graphs(built, settings):
    out, _ = built
    names = {q.graph_name.value for q in ox.parse(path=str(out / "hki.trig"), format=ox.RdfFormat.TRIG)}
    assert names == {f"{settings.base}graph/{n}" for n in ("ontology", "vocab", "sdg", "data", "meta")}


@pytest.mark.parametrize("on_disk", [False, True], ids=["in memory", "on disk, as kg serve opens it"])
def test_a_loaded_store_reports_each_graphs_true_size_its_description_and_fingerprint_included(settings, tmp_path,
                                                                                                on_disk):
    """The graphs are counted while the store is loaded, before the dataset's description and the input fingerprint
    go to the meta graph; the counts served (home page, VoID, service description) are the graphs' sizes after."""
    from graph.build import open_store
    from graph.store.backend import GRAPH_NAMES, OPTIONAL_GRAPHS

    kstore = open_store(replace(settings, store=tmp_path / "store" if on_disk else None), serving=on_disk)
    try:
        engine = kstore.backend.store
        sizes = {name: sum(1 for _ in engine.quads_for_pattern(None, None, None, ox.NamedNode(kstore.graph(name))))
                 for name in GRAPH_NAMES}
        expected = {name: size for name, size in sizes.items() if size or name not in OPTIONAL_GRAPHS}
        assert expected["meta"] > 0
        assert kstore.triple_counts() == expected
    finally:
        kstore.close()
