"""Refusing queries that would reach out to the network, before they are evaluated.

Oxigraph evaluates `SERVICE` by making a real HTTP request, with no switch to turn it off. So every
query is scanned for the SERVICE keyword (and LOAD, for good measure) outside strings, IRIs and
comments, and refused before evaluation. The scan is lexical and conservative: it knows SPARQL's
token rules for strings, IRIs, comments, variables and prefixed names, and does not need to
understand the rest of the grammar, so new syntax cannot smuggle a SERVICE past it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FORBIDDEN_KEYWORDS = {
    "SERVICE": "federated queries (SERVICE) are not allowed on this endpoint: it never contacts other servers",
    "LOAD": "LOAD is not allowed: this endpoint is read-only and never fetches remote data",
}

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<long_string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<pname>[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*:[\w.\-:%\\\u00B7-\uFFFF]*|:[\w.\-:%\\\u00B7-\uFFFF]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class UnsafeQuery(ValueError):
    """A query that must not be evaluated; `position` is the 0-based character offset."""

    keyword: str
    position: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"{FORBIDDEN_KEYWORDS[self.keyword]} (line {self.line}, column {self.column})"


_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _codepoint(match: re.Match[str]) -> str:
    value = int(match.group(1) or match.group(2), 16)
    return chr(value) if value <= 0x10FFFF else match.group(0)


def _unescape_codepoints(sparql: str) -> str:
    # SPARQL 1.1 §19.2: \uXXXX escapes are processed before parsing, so `\u0053ERVICE` is SERVICE.
    return _CODEPOINT_ESCAPE.sub(_codepoint, sparql)


def find_forbidden_keyword(sparql: str) -> UnsafeQuery | None:
    """The first SERVICE or LOAD keyword of a query, outside strings, IRIs and comments, if any."""
    sparql = _unescape_codepoints(sparql)
    for match in _TOKEN.finditer(sparql):
        if match.lastgroup == "word" and match.group().upper() in FORBIDDEN_KEYWORDS:
            start = match.start()
            line = sparql.count("\n", 0, start) + 1
            column = start - (sparql.rfind("\n", 0, start) + 1) + 1
            return UnsafeQuery(match.group().upper(), start, line, column)
    return None


def check_query_is_safe(sparql: str) -> None:
    """Raise UnsafeQuery if the query would contact another server."""
    problem = find_forbidden_keyword(sparql)
    if problem is not None:
        raise problem
