"""Writing query results in the SPARQL result formats and RDF syntaxes, with a row cap.

Oxigraph can serialise results, but only all of them: a public endpoint must stop at a row cap and
say so. These writers follow the W3C formats (SPARQL 1.1 Query Results JSON, XML, CSV and TSV)
and are tested by parsing their output back with Oxigraph's own result parsers.
"""
from __future__ import annotations

import csv
import io
import json
import re
from json.encoder import encode_basestring as _json_string  # json.dumps's own string encoder (ensure_ascii=False)
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Which formats are offered, by which media types and names: graph/store/formats.py.


@dataclass
class RowCounter:
    """Counts rows and bytes as they are written and notes whether a cap cut the result.

    Writers call `take` for the rows and `fits` with each row's encoded size before keeping it: a
    result stops at `limit` rows or before it would pass `max_bytes`, whichever comes first, and the
    document written stays complete and valid.
    """

    limit: int
    rows: int = 0
    truncated: bool = False
    max_bytes: int = 32 * 1024 * 1024
    size: int = 0
    cut_by: str | None = None  # "rows" or "bytes" once a cap cut the result

    def take(self, items: Iterable) -> Iterator:
        for item in items:
            if self.cut_by is not None:
                return
            if self.rows >= self.limit:
                self.truncated, self.cut_by = True, "rows"
                return
            yield item

    def fits(self, size: int) -> bool:
        """Count a row of `size` bytes; False (and the result is cut) when it would pass the byte cap."""
        if self.size + size > self.max_bytes:
            self.truncated, self.cut_by = True, "bytes"
            return False
        self.size += size
        self.rows += 1
        return True


def _variables(solutions: ox.QuerySolutions) -> list[str]:
    return [v.value for v in solutions.variables]


def _json_term_text(term: object) -> str:
    """A term in SPARQL 1.1 Query Results JSON (§3.2.2), as json.dumps would write its object compactly with
    ensure_ascii=False, and byte for byte as Oxigraph's serialiser writes it (tests/unit/test_result_writers.py):
    written directly, as a tenth of a lookup's time in the web process went to building dicts and encoding them."""
    if isinstance(term, ox.Literal):
        if term.language:
            direction = f',"its:dir":"{term.direction}"' if term.direction is not None else ""  # RDF 1.2: ltr, rtl
            return (f'{{"type":"literal","value":{_json_string(term.value)},'
                    f'"xml:lang":{_json_string(term.language)}{direction}}}')
        datatype = term.datatype.value
        if datatype != XSD_STRING:
            return f'{{"type":"literal","value":{_json_string(term.value)},"datatype":{_json_string(datatype)}}}'
        return f'{{"type":"literal","value":{_json_string(term.value)}}}'
    if isinstance(term, ox.NamedNode):
        return f'{{"type":"uri","value":{_json_string(term.value)}}}'
    if isinstance(term, ox.BlankNode):
        return f'{{"type":"bnode","value":{_json_string(term.value)}}}'
    if isinstance(term, ox.Triple):
        return (f'{{"type":"triple","value":{{"subject":{_json_term_text(term.subject)},'
                f'"predicate":{_json_term_text(term.predicate)},"object":{_json_term_text(term.object)}}}}}')
    raise TypeError(f"unexpected term {term!r}")


def write_json(solutions: ox.QuerySolutions, counter: RowCounter) -> bytes:
    names = _variables(solutions)
    keys = [(name, _json_string(name) + ":") for name in names]
    parts = [json.dumps({"head": {"vars": names}}, ensure_ascii=False, separators=(",", ":"))[:-1].encode()
             + b',"results":{"bindings":[']
    for solution in counter.take(solutions):
        bound = []
        for name, key in keys:
            term = solution[name]
            if term is not None:
                bound.append(key + _json_term_text(term))
        encoded = ((',{' if counter.rows else '{') + ",".join(bound) + "}").encode("utf-8")
        if not counter.fits(len(encoded)):
            break
        parts.append(encoded)
    parts.append(b"]}}")
    return b"".join(parts)


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            direction = (f' its:dir="{term.direction}" xmlns:its="http://www.w3.org/2005/11/its" its:version="2.0"'
                         if term.direction is not None else "")  # RDF 1.2's base direction, as Oxigraph writes it
            return f"<literal xml:lang={quoteattr(term.language)}{direction}>{xml_escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{xml_escape(term.value)}</literal>"
        return f"<literal>{xml_escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return ("<triple><subject>" + _xml_term(term.subject) + "</subject><predicate>"
                + _xml_term(term.predicate) + "</predicate><object>" + _xml_term(term.object)
                + "</object></triple>")
    raise TypeError(f"unexpected term {term!r}")


def write_xml(solutions: ox.QuerySolutions, counter: RowCounter) -> bytes:
    names = _variables(solutions)
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    parts += [f"<variable name={quoteattr(n)}/>" for n in names]
    parts.append("</head><results>")
    for solution in counter.take(solutions):
        row = "<result>" + "".join(f"<binding name={quoteattr(n)}>{_xml_term(solution[n])}</binding>"
                                   for n in names if solution[n] is not None) + "</result>"
        encoded = row.encode("utf-8")
        if not counter.fits(len(encoded)):
            break
        parts.append(row)
    parts.append("</results></sparql>\n")
    return "".join(parts).encode("utf-8")


def _csv_field(term: object) -> str:
    """A term as SPARQL CSV writes it (the quoting is the csv module's): the plain value, _:name for a blank node."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


class _CsvLine:
    """One CSV record at a time as text, quoted by the csv module (RFC 4180: CRLF, fields with , " CR LF quoted)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def __call__(self, fields: Iterable[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(fields)
        return self._buffer.getvalue()


# Turtle's short forms of numbers and booleans (Turtle 1.1 §6.5: INTEGER, DECIMAL, DOUBLE, BooleanLiteral): a TSV
# cell may write such a literal bare only if its lexical form is one of them (`1000` would read back as an integer).
_SHORT_FORMS = {
    "http://www.w3.org/2001/XMLSchema#integer": re.compile(r"[+-]?[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#double": re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#boolean": re.compile(r"true|false"),
}


def _tsv_field(term: object) -> str:
    """A term as SPARQL TSV writes it: Turtle's form, bare for a number or boolean whose lexical form is Turtle's
    short form, `<<( s p o )>>` for a triple term (RDF 1.2)."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and not term.language:
        short = _SHORT_FORMS.get(term.datatype.value)
        if short is not None and short.fullmatch(term.value):
            return term.value
    if isinstance(term, ox.Triple):
        return f"<<( {_tsv_field(term.subject)} {_tsv_field(term.predicate)} {_tsv_field(term.object)} )>>"
    return str(term)  # pyoxigraph's str() is the N-Triples / Turtle form required by SPARQL TSV


def write_csv(solutions: ox.QuerySolutions, counter: RowCounter) -> bytes:
    names = _variables(solutions)
    line = _CsvLine()
    lines = [line(names)]
    for solution in counter.take(solutions):
        encoded = line(_csv_field(solution[n]) for n in names).encode("utf-8")
        if not counter.fits(len(encoded)):
            break
        lines.append(encoded.decode("utf-8"))
    return "".join(lines).encode("utf-8")


def write_tsv(solutions: ox.QuerySolutions, counter: RowCounter) -> bytes:
    names = _variables(solutions)
    lines = ["\t".join("?" + n for n in names)]
    for solution in counter.take(solutions):
        line = "\t".join(_tsv_field(solution[n]) for n in names)
        if not counter.fits(len(line.encode("utf-8")) + 1):
            break
        lines.append(line)
    return ("\n".join(lines) + "\n").encode("utf-8")


SOLUTION_WRITERS = {ox.QueryResultsFormat.JSON: write_json, ox.QueryResultsFormat.XML: write_xml,
                    ox.QueryResultsFormat.CSV: write_csv, ox.QueryResultsFormat.TSV: write_tsv}


def write_boolean(value: bool, fmt: ox.QueryResultsFormat) -> bytes:
    if fmt == ox.QueryResultsFormat.JSON:
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == ox.QueryResultsFormat.XML:
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()
    # CSV/TSV have no boolean form in the W3C notes; the common practice is a one-cell table.
    header = "_askResult" if fmt == ox.QueryResultsFormat.CSV else "?_askResult"
    return f"{header}\n{'true' if value else 'false'}\n".encode()


def write_triples(triples: Iterable[ox.Triple], rdf_format: ox.RdfFormat, counter: RowCounter,
                  prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise at most `counter.limit` triples, and about `counter.max_bytes` (counted as N-Triples), in
    an RDF syntax."""
    kept = []
    for triple in counter.take(triples):
        if not counter.fits(len(str(triple).encode("utf-8")) + 3):
            break
        kept.append(triple)
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) and prefixes:
        return ox.serialize(kept, format=rdf_format, prefixes=prefixes) or b""
    return ox.serialize(kept, format=rdf_format) or b""
