"""Data files are parsed without expanding anything: RDF/XML entity declarations are refused.

Oxigraph refuses external entities (`<!ENTITY x SYSTEM "file:///…">`) but expands internal ones, so a
1 KB file of nested entities ("billion laughs") would become a 100 MB label. graph/load/files.py refuses
every entity declaration, found by a real XML parse, with the file and line.
"""
from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.load.files import DataFileError, read_triples

RDF_XML = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
           '<rdf:Description rdf:about="https://example.org/x"><rdfs:label xml:lang="en">{label}</rdfs:label>'
           '</rdf:Description>\n</rdf:RDF>\n')


def billion_laughs(levels: int = 8) -> str:
    """Entity e8 is 10^8 "a"s: 100 MB from about 1 KB."""
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rdf:RDF [", ' <!ENTITY e0 "aaaaaaaaaa">']
    lines += [f' <!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, levels)]
    return "\n".join(lines) + "\n]>\n" + RDF_XML.format(label=f"&e{levels - 1};")


def test_a_billion_laughs_rdf_xml_file_is_refused_quickly_with_file_and_line(tmp_path):
    path = tmp_path / "laughs.rdf"
    path.write_text(billion_laughs(), encoding="utf-8")
    assert path.stat().st_size < 1200
    started = time.perf_counter()
    with pytest.raises(DataFileError) as refused:
        read_triples(path)
    assert time.perf_counter() - started < 0.5
    assert str(refused.value).startswith(f"{path}:3: declares the XML entity e0")
    assert "write the text or IRI out in full" in str(refused.value)


def test_kg_validate_names_the_file_and_line_of_an_entity_declaration(tmp_path):
    path = tmp_path / "laughs.rdf"
    path.write_text(billion_laughs(3), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:3" in result.output and "entity" in result.output


def test_a_parameter_entity_is_refused_too(tmp_path):
    path = tmp_path / "parameter.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n\n <!ENTITY % p "x">\n]>\n' + RDF_XML.format(label="x"),
                    encoding="utf-8")
    with pytest.raises(DataFileError, match=r"parameter.rdf:4: declares the XML entity %p"):
        read_triples(path)


@pytest.mark.parametrize("prolog", ["", '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rdf:RDF>\n'])
def test_a_normal_rdf_xml_file_still_loads(tmp_path, prolog):
    path = tmp_path / "normal.rdf"
    path.write_text(prolog + RDF_XML.format(label="Hannover &amp; Bristol &#8211; twinned"), encoding="utf-8")
    [quad] = read_triples(path)
    assert quad.object == ox.Literal("Hannover & Bristol – twinned", language="en")
