"""The `kg` command as a user runs it: exit codes, messages, formats."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KG = [str(Path(sys.executable).with_name("kg"))]
TWINS_BEFORE_1970 = """
PREFIX hki: <https://w3id.org/hki/def#>
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?city ?since WHERE {
  ?p a hki:Partnership ;
     hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> ;
     hki:partner <https://w3id.org/hki/id/city/hannover> , ?c ;
     schema:startDate ?since .
  FILTER (?c != <https://w3id.org/hki/id/city/hannover> && YEAR(?since) < 1970)
  ?c rdfs:label ?city . FILTER (LANG(?city) = "en")
} ORDER BY ?since"""


def kg(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(KG + list(args), capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_kg_validate_accepts_the_shipped_data():
    result = kg("validate")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_kg_validate_reports_a_syntax_error_with_file_and_line_and_exits_1(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\n\nex:a ex:b ex:c ;\n  ex:d "no end .\n')
    result = kg("validate", str(bad))
    assert result.returncode == 1
    assert f"{bad}:4:" in result.stderr.replace("\n", "")


def test_kg_validate_reports_a_shape_violation_in_plain_words_and_exits_1(tmp_path):
    bad = tmp_path / "city.ttl"
    bad.write_text('@prefix schema: <http://schema.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                   '<https://w3id.org/hki/id/city/nowhere> a schema:City ; rdfs:label "Nirgendwo"@de .\n')
    result = kg("validate", str(bad))
    assert result.returncode == 1
    assert "nowhere" in result.stderr and "English" in result.stderr


def test_kg_query_answers_the_twin_cities_before_1970_in_order():
    result = kg("query", TWINS_BEFORE_1970, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert [(r["city"]["value"], r["since"]["value"]) for r in rows] == [
        ("Bristol", "1947"), ("Perpignan", "1960"), ("Rouen", "1966"), ("Blantyre", "1968")]


def test_kg_query_reads_a_query_file_and_prints_csv(tmp_path):
    query = tmp_path / "q.rq"
    query.write_text(TWINS_BEFORE_1970)
    result = kg("query", "-f", str(query), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["city,since", "Bristol,1947"]


def test_kg_query_prints_a_table_by_default():
    result = kg("query", "SELECT ?n WHERE { <http://metadata.un.org/sdg/13> <http://www.w3.org/2004/02/skos/core#notation> ?n }")
    assert result.returncode == 0 and "13" in result.stdout and "1 row(s)" in result.stdout


def test_kg_query_turtle_output_parses():
    import rdflib
    result = kg("query", "--format", "turtle", "DESCRIBE <https://w3id.org/hki/id/city/bristol>")
    assert result.returncode == 0, result.stderr
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/hki/id/city/bristol"), rdflib.RDF.type, rdflib.URIRef("http://schema.org/City")) in graph


def test_kg_query_refuses_service_and_exits_1():
    result = kg("query", "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert result.returncode == 1 and "SERVICE" in result.stderr


@pytest.mark.parametrize("args", [[], ["SELECT * {}", "-f", "x.rq"]])
def test_kg_query_needs_exactly_one_query(args):
    assert kg("query", *args).returncode == 2


def test_kg_build_writes_dumps_and_a_bad_config_is_named(tmp_path):
    result = kg("build", "--out", str(tmp_path / "dist"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "hki.nt.gz").is_file()
    config = tmp_path / "hki.toml"
    config.write_text('[hki]\nlanguage = "fr"\n')
    result = kg("build", "--config", str(config), "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "unknown setting 'language'" in result.stderr and "lang" in result.stderr
