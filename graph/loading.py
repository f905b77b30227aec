"""Reading RDF files into quads, with errors that name the file, the line and the column.

Parsing uses Oxigraph's parsers (fast, streaming, precise positions). Nothing is fetched: no
`owl:imports` are followed and JSON-LD remote contexts are not loaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

FORMATS_BY_SUFFIX: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


class DataFileError(ValueError):
    """An input file that cannot be read as RDF. `str()` is `file:line:column: message`."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.reason = path, line, column, message
        where = str(path) + (f":{line}" if line else "") + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}")


def rdf_format_for(path: Path) -> ox.RdfFormat:
    """The RDF syntax of a file, from its suffix."""
    fmt = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        valid = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise DataFileError(path, f"unknown RDF file type {path.suffix!r}; valid suffixes are {valid}")
    return fmt


def read_triples(path: Path, graph: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph()) -> list[ox.Quad]:
    """All statements of one RDF file as quads in `graph`. Raises DataFileError with file:line."""
    fmt = rdf_format_for(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataFileError(path, "file not found; check the path (or data_dir in hki.toml)") from exc
    except OSError as exc:
        raise DataFileError(path, f"cannot be read: {exc.strerror}") from exc
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFileError(path, "not valid UTF-8 (RDF files must be UTF-8 encoded)", line) from exc
    try:
        # No base IRI: a relative IRI in a data file is an error, not a silently minted file:// IRI.
        quads = ox.parse(data, format=fmt)
        return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]
    except SyntaxError as exc:
        line = column = None
        if isinstance(exc.args[1:2], tuple) and len(exc.args) > 1 and isinstance(exc.args[1], tuple):
            _, line, column, *_ = exc.args[1]
        message = str(exc.args[0]) if exc.args else str(exc)
        raise DataFileError(path, message, line, column) from exc
