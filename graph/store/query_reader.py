"""The one reader of SPARQL text: what a query is, decided from a parse with SPARQL's real grammar.

Every decision hki makes about a query before it is evaluated comes from here: its form (SELECT,
CONSTRUCT, DESCRIBE, ASK — which decides the result formats), whether it is an update (refused),
whether it would reach out to the network (SERVICE, LOAD — refused), its dataset clauses (FROM /
FROM NAMED) and, for an external endpoint, the prefixes it leaves undeclared and the IRIs it names.

The parser is rdflib's implementation of the W3C SPARQL 1.1 grammar, including `\\u` escapes and
escaped characters in prefixed names (`ex:a\\#` is a name, not a comment): a hand-written scanner
was fooled by exactly that. Anything the parser cannot read is refused, never passed on.

Parsing is bounded before it starts: a text nested deeper than `MAX_NESTING` brackets is refused
with its depth (Oxigraph's own parser overflows its stack at a few thousand levels and takes the
process with it; rdflib's recursion grows with the depth too). Parse untrusted text only where a
crash or a slow parse cannot hurt the server: hki does it in its killable query workers
(`graph.store`), which also run with no network access at all (`graph.store.sandbox`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from pyparsing import CaselessKeyword, Literal, Optional, ParseBaseException
from rdflib.plugins.sparql import parser as sparql_grammar
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef

MAX_NESTING = 64  # brackets ({, (, [) one inside another; real queries stay far below
QUERY_FORMS = {"SelectQuery": "SELECT", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE",
               "AskQuery": "ASK"}
NETWORK_OPERATIONS = {
    "ServiceGraphPattern": ("SERVICE", "federated queries (SERVICE) are not allowed on this endpoint: "
                                       "it never contacts other servers"),
    "Load": ("LOAD", "LOAD is not allowed: this endpoint is read-only and never fetches remote data"),
}
# Functions whose value is new at every evaluation (SPARQL 1.1 §17.4): a query calling one is not repeatable.
CHANGING_FUNCTIONS = frozenset({"Builtin_RAND", "Builtin_NOW", "Builtin_UUID", "Builtin_STRUUID", "Builtin_BNODE"})
_OPENING, _CLOSING = "{([", "})]"
_BRACKET = re.compile(r"[{}()\[\]]")


class UnreadableQuery(ValueError):
    """The text is not a SPARQL query the reader can read; `str()` names the line and column."""


class TooDeeplyNested(UnreadableQuery):
    """The text nests brackets deeper than MAX_NESTING; refused before parsing."""


class NetworkOperation(ValueError):
    """The query would reach out to the network (SERVICE, LOAD)."""

    def __init__(self, keyword: str, message: str, line: int | None, column: int | None):
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(message + where)
        self.keyword, self.line, self.column = keyword, line, column


class UpdateOperation(ValueError):
    """The text is a SPARQL Update request, not a query."""


@dataclass(frozen=True)
class QueryReading:
    """What a parsed query is."""

    form: str  # SELECT, CONSTRUCT, DESCRIBE or ASK
    default_graphs: tuple[str, ...] = ()  # FROM
    named_graphs: tuple[str, ...] = ()  # FROM NAMED
    undeclared_prefixes: tuple[str, ...] = ()  # used without a PREFIX declaration
    iris: frozenset[str] = frozenset()  # every IRI it names, prefixed names resolved
    # False when it calls a function whose value changes from one evaluation to the next (RAND, NOW, UUID,
    # STRUUID, BNODE): its answer over the same store may differ each time, so it is never answered from a cache.
    repeatable: bool = True
    limit: int | None = None  # the LIMIT of the query itself (not of a subquery): no more rows than this

    @property
    def kind(self) -> str:
        """'solutions' (SELECT, ASK: result formats) or 'graph' (CONSTRUCT, DESCRIBE: RDF syntaxes)."""
        return "graph" if self.form in ("CONSTRUCT", "DESCRIBE") else "solutions"

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def nesting_depth(sparql: str) -> int:
    """How deeply brackets nest, counted over the whole text (brackets in strings count too: an
    over-estimate, never an under-estimate for well-formed text)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(sparql):
        if match.group() in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _nodes(tree: object) -> Iterator[object]:
    """Every node of a parse tree, without recursion (the tree is as deep as the query)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(node)


def _network_operation(text: str, tree: object) -> NetworkOperation | None:
    for node in _nodes(tree):
        if isinstance(node, CompValue) and node.name in NETWORK_OPERATIONS:
            keyword, message = NETWORK_OPERATIONS[node.name]
            # The parse says it is there; where, for the message, says the first match of its opening terms.
            line = column = None
            for _, start, _ in _SCANNERS[keyword].scan_string(text, max_matches=1):
                line, column = _position(text, start)
            return NetworkOperation(keyword, message, line, column)
    return None


def _syntax_error(exc: ParseBaseException, text: str) -> UnreadableQuery:
    found = text[exc.loc:exc.loc + 20].split("\n")[0]
    near = f" near {found!r}" if found else " at the end of the query"
    return UnreadableQuery(f"syntax error at line {exc.lineno}, column {exc.col}{near}: the query cannot be read as "
                           "SPARQL 1.1 (check the brackets, the dots between patterns and the PREFIX declarations)")


def _field(node: CompValue, key: str):
    """A field of a parse-tree node, or None (CompValue.get answers a missing key with the key itself)."""
    return dict.get(node, key)


def _resolve(node: CompValue, prefixes: dict[str, str]) -> str | None:
    prefix = _field(node, "prefix") or ""
    if prefix not in prefixes:
        return None
    return prefixes[prefix] + (_field(node, "localname") or "")


@lru_cache(maxsize=2048)
def read_query(sparql: str, base_iri: str | None = None) -> QueryReading:
    """Read a query. Raises TooDeeplyNested, UnreadableQuery, NetworkOperation or UpdateOperation.

    Relative IRIs are resolved against the query's BASE, else `base_iri`. Results are cached by text:
    a client repeating a query pays for its parse once.
    """
    if not sparql.strip():
        raise UnreadableQuery("the query is empty: send a SPARQL query such as SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    depth = nesting_depth(sparql)
    if depth > MAX_NESTING:
        raise TooDeeplyNested(f"the query nests brackets {depth:,} deep; at most {MAX_NESTING} levels are read "
                              "here: flatten the groups and expressions")
    try:
        text = sparql_grammar.expandUnicodeEscapes(sparql)  # SPARQL 1.1 §19.2: before parsing
    except ValueError as exc:
        raise UnreadableQuery(f"syntax error: {exc}") from None
    try:
        prologue, query = sparql_grammar.Query.parse_string(text, parse_all=True)
    except RecursionError:
        raise TooDeeplyNested("the query is nested too deeply to be read: flatten the groups and expressions") from None
    except ParseBaseException as exc:
        _refuse_update(text)
        raise _syntax_error(exc, text) from None
    reaching_out = _network_operation(text, query)
    if reaching_out is not None:
        raise reaching_out
    return _reading(prologue, query, base_iri or "")


def _refuse_update(text: str) -> None:
    """If the text is a SPARQL Update, say so (LOAD as network access, anything else as an update)."""
    try:
        update = sparql_grammar.UpdateUnit.parse_string(text, parse_all=True)[0]
    except (ParseBaseException, RecursionError):
        return
    if not _field(update, "request"):  # blank, or only comments: an empty update is no reason to say "update"
        return
    reaching_out = _network_operation(text, update)
    if reaching_out is not None:
        raise reaching_out
    raise UpdateOperation("this is a SPARQL Update request; this endpoint is read-only")


def _reading(prologue, query: CompValue, base: str) -> QueryReading:
    prefixes: dict[str, str] = {}
    iris: set[str] = set()
    for declaration in prologue:  # in order: a BASE applies to what follows it
        if declaration.name == "PrefixDecl":
            prefixes[_field(declaration, "prefix") or ""] = urljoin(base, str(_field(declaration, "iri")))
        elif declaration.name == "Base":
            base = urljoin(base, str(_field(declaration, "iri")))
            iris.add(base)
    undeclared: set[str] = set()
    repeatable = True
    for node in _nodes(query):
        if isinstance(node, CompValue) and node.name in CHANGING_FUNCTIONS:
            repeatable = False
        if isinstance(node, URIRef):
            iris.add(urljoin(base, str(node)))
        elif isinstance(node, CompValue) and node.name == "pname":
            resolved = _resolve(node, prefixes)
            if resolved is None:
                undeclared.add(_field(node, "prefix") or "")
            else:
                iris.add(resolved)
    iris.update(prefixes.values())
    defaults, named = [], []
    for clause in _field(query, "datasetClause") or ():
        default = _field(clause, "default")
        target = default if default is not None else _field(clause, "named")
        iri = _resolve(target, prefixes) if isinstance(target, CompValue) else urljoin(base, str(target))
        (defaults if default is not None else named).append(iri or "")
    limit = None
    modifier = _field(query, "limitoffset")
    if isinstance(modifier, CompValue) and _field(modifier, "limit") is not None:
        limit = int(_field(modifier, "limit"))
    return QueryReading(QUERY_FORMS[query.name], tuple(defaults), tuple(named), tuple(sorted(undeclared)),
                        frozenset(iris), repeatable, limit)


def _scanner(element):
    """A grammar element for finding places in a text: it does not skip comments before a match (scanning
    from inside an IRI such as <…#> would otherwise take the rest of the line for a comment)."""
    element = element.copy()
    element.ignoreExprs = []
    return element


_SILENT = Optional(CaselessKeyword("SILENT"))
_SCANNERS = {
    "SERVICE": _scanner(CaselessKeyword("SERVICE") + _SILENT + sparql_grammar.VarOrIri + Literal("{")),
    "LOAD": _scanner(CaselessKeyword("LOAD") + _SILENT + sparql_grammar.iri),
    "FROM": _scanner(sparql_grammar.DatasetClause),
}


def position_of_dataset_clauses(sparql: str) -> list[tuple[int, int]]:
    """Where the FROM / FROM NAMED clauses stand in the text, as (start, end) offsets, by the grammar's
    DatasetClause element; for an endpoint that lets FROM override the protocol's dataset."""
    return [(start, end) for _, start, end in _SCANNERS["FROM"].scan_string(sparql)]


def without_dataset_clauses(sparql: str, base_iri: str | None = None) -> tuple[str, QueryReading]:
    """The query with its FROM / FROM NAMED clauses cut out, and the reading of the original.

    The cut text is read again: it must be the same query without a dataset (same form, nothing
    reaching out), or it is refused — the positions come from the grammar, the proof from the parse.
    """
    reading = read_query(sparql, base_iri)
    if not reading.has_dataset:
        return sparql, reading
    text = sparql_grammar.expandUnicodeEscapes(sparql)
    positions = position_of_dataset_clauses(text)
    if len(positions) != len(reading.default_graphs) + len(reading.named_graphs):  # e.g. 'FROM <x>' in a string
        raise UnreadableQuery("the query's FROM clauses could not be separated from it: "
                              "send the graphs as default-graph-uri / named-graph-uri parameters instead")
    kept, position = [], 0
    for start, end in positions:
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    cut = " ".join(kept)
    again = read_query(cut, base_iri)
    if again.has_dataset or again.form != reading.form:
        raise UnreadableQuery("the query's FROM clauses could not be separated from it: "
                              "send the graphs as default-graph-uri / named-graph-uri parameters instead")
    return cut, reading


_WARM_UP = """PREFIX ex: <http://example.org/> SELECT ?a (COUNT(*) AS ?n) FROM <http://example.org/g> WHERE {
  ?a ex:p/ex:q* ?b ; ex:r "x"@en , 1 . OPTIONAL { ?b ex:s ?c FILTER (LANG(?c) = "de" && YEAR(?c) < 1970) }
  { ?a a ex:C } UNION { VALUES ?a { ex:d } BIND (CONCAT(STR(?a), "y") AS ?e) } MINUS { ?a ex:t [] } }
GROUP BY ?a HAVING (COUNT(*) > 1) ORDER BY DESC(?n) LIMIT 10"""


_warmed = False


def warm_up() -> None:
    """Parse once, so the parser's first-use cost (about 0.1 s) is not charged to a client's query.
    Once per process (a forked process inherits the warmed parser)."""
    global _warmed
    if not _warmed:
        read_query.__wrapped__(_WARM_UP)
        _warmed = True
