"""The formats hki writes and offers, in one table: which, in which order, under which other names.

pyoxigraph knows each syntax: `RdfFormat` and `QueryResultsFormat` give its media type, file extension
and name (`.media_type`, `.file_extension`, `.name`) and find it by them (`from_media_type`,
`from_extension`). This module adds only what they do not say:

- which formats hki offers, in its order of preference (the first is the default);
- the bare media type: pyoxigraph's CSV and TSV types carry "; charset=utf-8", but Accept headers,
  `format=` and answers name them bare;
- the names `format=` (and `kg query --format`) takes besides the file extensions ("turtle", "json-ld");
- the media-type aliases clients send (application/json for SPARQL JSON or JSON-LD, text/plain for
  N-Triples): pyoxigraph reads each of them; a route honours only those it lists, and only when named
  exactly (a browser's `application/xml;q=0.9` must not turn SPARQL JSON into XML);
- HTML, which is no RDF syntax, with its alias application/xhtml+xml; and gzip, for the dumps.
"""
from __future__ import annotations

import pyoxigraph as ox

Format = ox.RdfFormat | ox.QueryResultsFormat

HTML = "text/html"
GZIP = "application/gzip"
HTML_ALIASES = {"application/xhtml+xml": HTML}

# SELECT/ASK results, SPARQL JSON first (the default); CONSTRUCT/DESCRIBE results and described resources,
# Turtle first (the default).
SOLUTION_FORMATS: tuple[ox.QueryResultsFormat, ...] = (
    ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV)
GRAPH_FORMATS: tuple[ox.RdfFormat, ...] = (
    ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML)


def media_type(fmt: Format) -> str:
    """`fmt`'s media type without parameters: "text/csv", where pyoxigraph says "text/csv; charset=utf-8"."""
    return fmt.media_type.partition(";")[0].strip()


RESULT_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {media_type(f): f for f in SOLUTION_FORMATS}
GRAPH_MEDIA_TYPES: dict[str, ox.RdfFormat] = {media_type(f): f for f in GRAPH_FORMATS}

# `format=` names: the file extensions below, read by pyoxigraph's from_extension ("json" and "xml" name the
# JSON and XML form of either kind of result), and these other spellings of them.
EXTENSION_NAMES = ("json", "xml", "csv", "tsv", "ttl", "nt", "jsonld", "rdf", "html")
SPELLINGS = {"turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "json-ld": "jsonld", "rdfxml": "rdf",
             "rdf+xml": "rdf", "htm": "html"}


def named(name: str) -> tuple[str, ...]:
    """The offered media types a `format=` name stands for (at most one of each kind); () for no name."""
    extension = SPELLINGS.get(name.strip().lower(), name.strip().lower())
    if extension not in EXTENSION_NAMES:
        return ()
    if extension == "html":
        return (HTML,)
    found = (ox.QueryResultsFormat.from_extension(extension), ox.RdfFormat.from_extension(extension))
    return tuple(media_type(f) for f in found if f in SOLUTION_FORMATS or f in GRAPH_FORMATS)


def names_for(offered: tuple[str, ...] | list[str]) -> list[str]:
    """Every `format=` name of one of the `offered` media types, sorted."""
    return sorted(n for n in (*EXTENSION_NAMES, *SPELLINGS) if set(named(n)) & set(offered))


def solution_aliases(*aliases: str) -> dict[str, str]:
    """{alias: the offered result format's media type}, as pyoxigraph reads each alias."""
    found = {alias: ox.QueryResultsFormat.from_media_type(alias) for alias in aliases}
    return {alias: media_type(f) for alias, f in found.items() if f in SOLUTION_FORMATS}


def graph_aliases(*aliases: str) -> dict[str, str]:
    """{alias: the offered RDF syntax's media type}, as pyoxigraph reads each alias (text/plain: N-Triples)."""
    found = {alias: ox.RdfFormat.from_media_type(alias) for alias in aliases}
    return {alias: media_type(f) for alias, f in found.items() if f in GRAPH_FORMATS}


def file_media_type(file_name: str) -> str:
    """The media type of a file by its name: an RDF syntax by its extension, gzip, else plain text."""
    extension = file_name.rsplit(".", 1)[-1].lower()
    if extension == "gz":
        return GZIP
    fmt = ox.RdfFormat.from_extension(extension)
    return media_type(fmt) if fmt is not None else "text/plain"


__all__ = ["GRAPH_FORMATS", "GRAPH_MEDIA_TYPES", "GZIP", "HTML", "HTML_ALIASES", "RESULT_MEDIA_TYPES",
           "SOLUTION_FORMATS", "SPELLINGS", "file_media_type", "graph_aliases", "media_type", "named", "names_for",
           "solution_aliases"]
