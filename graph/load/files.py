"""Reading RDF files into quads, with errors that name the file, the line and the column.

Parsing uses Oxigraph's parsers (fast, streaming, precise positions). Nothing is fetched: no
`owl:imports` are followed and JSON-LD remote contexts are not loaded. RDF/XML with entity
declarations is refused: Oxigraph refuses external entities but expands internal ones, so a 1 KB
file of nested entities ("billion laughs") would become a 100 MB text.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox
import rdflib

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
    if fmt == ox.RdfFormat.RDF_XML:
        refuse_entity_declarations(path, data)
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


def load_file(store: ox.Store, path: Path, graph: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph()) -> None:
    """Load one RDF file straight into `store`, parsed by Oxigraph's bulk loader in Rust (no Python object per
    statement: what makes `kg serve` start as fast as Oxigraph's own `oxigraph load`). Raises DataFileError
    with file:line:column, as `read_triples` does; statements before the error may be in the store, so the
    caller throws the store away (an on-disk store is then refilled: its input fingerprint is written last)."""
    fmt = rdf_format_for(path)
    if fmt == ox.RdfFormat.RDF_XML:  # entity declarations are refused first (see refuse_entity_declarations)
        store.bulk_extend(read_triples(path, graph))
        return
    if not path.exists():
        raise DataFileError(path, "file not found; check the path (or data_dir in hki.toml)")
    if not path.is_file():
        raise DataFileError(path, "cannot be read: it is a folder, not a file")
    try:
        store.bulk_load(path=str(path), format=fmt, to_graph=graph)
    except SyntaxError as exc:
        line = column = None
        if len(exc.args) > 1 and isinstance(exc.args[1], tuple):
            _, line, column, *_ = exc.args[1]
        raise DataFileError(path, str(exc.args[0]) if exc.args else str(exc), line, column) from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "not valid UTF-8 (RDF files must be UTF-8 encoded)") from exc
    except OSError as exc:
        raise DataFileError(path, f"cannot be read: {exc.strerror or exc}") from exc


def refuse_entity_declarations(path: Path, data: bytes) -> None:
    """DataFileError at the first <!ENTITY …> declaration of an XML file, found by a real XML parse
    (expat, which reads no external DTD); XML that is not well-formed is refused too, so that no
    declaration can hide behind something only this parser stumbles on."""
    parser = expat.ParserCreate()

    def declared(name, is_parameter_entity, *_):
        raise DataFileError(path, f"declares the XML entity {'%' if is_parameter_entity else ''}{name}; entity "
                            "declarations (<!ENTITY …>) are not allowed in data files: write the text or IRI out "
                            "in full (a DOCTYPE without entities is fine)",
                            parser.CurrentLineNumber)

    parser.EntityDeclHandler = declared
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise DataFileError(path, f"not well-formed XML: {expat.ErrorString(exc.code)}", exc.lineno, exc.offset + 1) from None


def to_rdflib(quads: Sequence[ox.Quad]) -> rdflib.Graph:
    """The triples of `quads` as an rdflib graph (for pySHACL), via N-Triples."""
    data = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=data or b"", format="nt")
    return graph
