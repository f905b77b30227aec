"""What a SPARQL text is, read lexically before evaluation: its form (SELECT, CONSTRUCT, …, or an update)
and whether it names its own dataset (FROM / FROM NAMED).

The endpoint needs both before it runs anything: the form decides which result media types can be
offered (content negotiation happens before evaluation, so a 406 costs nothing), an update is refused
with 403 rather than a confusing syntax error, and a query with FROM must not have the union default
graph forced on it. The scan uses the same token rules as `query_safety` (strings, IRIs, comments and
prefixed names are skipped), so a keyword inside a literal or an IRI is never mistaken for the form.
"""
from __future__ import annotations

from graph.query_safety import _TOKEN, _unescape_codepoints

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
# SPARQL 1.1 Update §3: the operations that start an update request.
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_PROLOGUE = ("PREFIX", "BASE")


def _words(sparql: str):
    for match in _TOKEN.finditer(_unescape_codepoints(sparql)):
        if match.lastgroup == "word":
            yield match.group().upper()


def query_form(sparql: str) -> str | None:
    """'SELECT', 'CONSTRUCT', 'DESCRIBE', 'ASK', 'UPDATE', or None if the text starts with neither.

    The first keyword after the prologue (PREFIX/BASE declarations) decides.
    """
    for word in _words(sparql):
        if word in _PROLOGUE:
            continue
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_KEYWORDS:
            return "UPDATE"
        return None
    return None


def result_kind(form: str | None) -> str:
    """'solutions' (SELECT, ASK) or 'graph' (CONSTRUCT, DESCRIBE); unknown forms count as solutions."""
    return "graph" if form in ("CONSTRUCT", "DESCRIBE") else "solutions"


def has_dataset_clause(sparql: str) -> bool:
    """Whether the query names its own dataset with FROM or FROM NAMED (outside strings, IRIs, comments)."""
    return "FROM" in _words(sparql)
