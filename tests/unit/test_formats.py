"""Formats own their media types: pyoxigraph's RdfFormat / QueryResultsFormat, plus one table
(graph/store/formats.py) for what they do not say. No other module keeps a table of them."""
from __future__ import annotations

import ast
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.store import formats

ROOT = Path(__file__).resolve().parents[2]
MEDIA_TYPES = {formats.media_type(f) for f in (*formats.SOLUTION_FORMATS, *formats.GRAPH_FORMATS)}


def test_every_offered_format_is_found_again_by_pyoxigraph_from_its_media_type_and_extension():
    for fmt in formats.GRAPH_FORMATS:
        assert ox.RdfFormat.from_media_type(formats.media_type(fmt)) == fmt
        assert ox.RdfFormat.from_extension(fmt.file_extension) == fmt
    for fmt in formats.SOLUTION_FORMATS:
        assert ox.QueryResultsFormat.from_media_type(formats.media_type(fmt)) == fmt


@pytest.mark.parametrize("name, expected", [("turtle", ("text/turtle",)), ("json-ld", ("application/ld+json",)),
                                            ("csv", ("text/csv",)), ("html", ("text/html",)), ("nonsense", ())])
def test_a_format_name_stands_for_the_media_types_a_client_expects(name, expected):
    assert formats.named(name) == expected


def test_no_module_but_the_formats_module_keeps_a_table_of_media_types():
    tables = []
    for top in ("graph", "api"):
        for path in (ROOT / top).rglob("*.py"):
            if path == ROOT / "graph" / "store" / "formats.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Dict):
                    keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                    if len(keys & MEDIA_TYPES) >= 2:
                        tables.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert tables == []
