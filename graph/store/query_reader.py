"""The one reader of SPARQL text: what a query is, decided from a parse with SPARQL's real grammar.

Every decision hki makes about a query before it is evaluated comes from here: its form (SELECT,
CONSTRUCT, DESCRIBE, ASK — which decides the result formats), whether it is an update (refused),
whether it would reach out to the network (SERVICE, LOAD — refused), its dataset clauses (FROM /
FROM NAMED) and, for an external endpoint, the prefixes it leaves undeclared and the IRIs it names.

Two real parsers read the text, never a hand-written scanner (one was fooled by `ex:a\\#`, a name, not a
comment):
- first tree-sitter's SPARQL grammar (`tree-sitter-sparql`, compiled C: a query in tens of microseconds). Its
  reading is taken only when the tree is complete (no error or missing node), is exactly one query (no
  update) and the text does not contain the words SERVICE or LOAD anywhere (those are left to the second
  parser, which refuses them and says where);
- else rdflib's implementation of the W3C SPARQL 1.1 grammar (pyparsing: milliseconds), which decides
  everything the first did not take and words every refusal. Anything it cannot read is refused, never
  passed on.
Both give the same reading for the same text: `tests/unit/test_query_reader_agreement.py` compares them on
every query of the project and a corpus of the W3C test suite's syntax cases. Whatever the readers decide, the
engine runs the query in a worker that cannot open a network connection (`graph.store.sandbox`) and
Oxigraph's own parser reads it again before it runs (it refuses updates in a query).

Parsing is bounded before it starts: a text nested deeper than `MAX_NESTING` brackets is refused
with its depth (Oxigraph's own parser overflows its stack at a few thousand levels and takes the
process with it; rdflib's recursion grows with the depth too). Parse untrusted text only where a
crash or a slow parse cannot hurt the server: hki does it in its killable query workers
(`graph.store`), which also run with no network access at all (`graph.store.sandbox`). The one exception
is `read_bounded_lookup`, which the web process asks of texts of at most `LOOKUP_TEXT_CHARS` characters:
tree-sitter's parser (compiled C, linear in the text, no recursion in Python) reads such a text in tens of
microseconds, and only a query it finds to be one triple pattern about one named subject is then answered in
the web process (`KnowledgeStore.run_in_place`), its cost bounded by that subject's statements: from the store's
index where its terms are as written (`LookupPattern`, graph.store.evaluation.execute_lookup), else by the engine.
"""
from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin as _urljoin

import pyoxigraph
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


RESOLVED_IRI_CHARS = 512  # IRIs (and bases) up to this length are resolved once: the same PREFIX lines come again


def urljoin(base: str, iri: str) -> str:
    """`iri` resolved against `base`; UnreadableQuery for an IRI that cannot be resolved (e.g. `<http://[::1>`, an
    unclosed IPv6 host), never an unexpected ValueError. A short IRI's resolution is remembered (urllib's takes
    microseconds, a fair part of reading a lookup); a refusal is not, and is raised again each time."""
    if len(iri) <= RESOLVED_IRI_CHARS and len(base) <= RESOLVED_IRI_CHARS:
        return _resolved(base, iri)
    return _resolved.__wrapped__(base, iri)


@lru_cache(maxsize=4096)
def _resolved(base: str, iri: str) -> str:
    try:
        return _urljoin(base, iri)
    except ValueError as exc:
        raise UnreadableQuery(f"the IRI <{iri}> cannot be read ({exc}): write it as an absolute IRI, e.g. "
                              "<http://[::1]/x> for an IPv6 host") from None


def line_ends_as_sparql_has_them(text: str) -> str:
    """The text with each carriage return made what SPARQL 1.1 §19.4 makes it — the end of a line, which ends a
    `#` comment — for the readers: tree-sitter's grammar and rdflib's end comments only at a line feed, Oxigraph at
    either, so `# …\r ORDER BY …` would hide from them what the engine runs. CR LF becomes a space and LF (the
    same lines and columns), a lone CR a LF; the length never changes."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", " \n").replace("\r", "\n")


def _field(node: CompValue, key: str):
    """A field of a parse-tree node, or None (CompValue.get answers a missing key with the key itself)."""
    return dict.get(node, key)


def _resolve(node: CompValue, prefixes: dict[str, str]) -> str | None:
    prefix = _field(node, "prefix") or ""
    if prefix not in prefixes:
        return None
    return prefixes[prefix] + (_field(node, "localname") or "")


REMEMBERED_QUERY_CHARS = 16_384  # texts up to this long are read once (the last 2,048): a bound on the cache's memory


def read_query(sparql: str, base_iri: str | None = None) -> QueryReading:
    """Read a query. Raises TooDeeplyNested, UnreadableQuery, NetworkOperation or UpdateOperation.

    Relative IRIs are resolved against the query's BASE, else `base_iri`. Readings of texts up to
    REMEMBERED_QUERY_CHARS are cached by text: a client repeating a query pays for its parse once. A longer text
    (a request body may be 1 MiB) is read each time, so 2,048 of them cannot fill a query worker's memory.
    """
    if len(sparql) <= REMEMBERED_QUERY_CHARS:
        return _remembered_reading(sparql, base_iri)
    return _reading_of(sparql, base_iri)


@lru_cache(maxsize=2048)
def _remembered_reading(sparql: str, base_iri: str | None) -> QueryReading:
    return _reading_of(sparql, base_iri)


def _reading_of(sparql: str, base_iri: str | None) -> QueryReading:
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
    text = line_ends_as_sparql_has_them(text)
    reading = tree_reading(text, base_iri or "")
    if reading is not None:
        return reading
    return grammar_reading(text, base_iri or "")


def grammar_reading(text: str, base_iri: str = "") -> QueryReading:
    """The reading by rdflib's SPARQL grammar of a text whose escapes are expanded (`read_query` checks the
    rest first); raises what `read_query` raises."""
    try:
        prologue, query = sparql_grammar.Query.parse_string(text, parse_all=True)
    except RecursionError:
        raise TooDeeplyNested("the query is nested too deeply to be read: flatten the groups and expressions") from None
    except ParseBaseException as exc:
        _refuse_update(text)
        raise _syntax_error(exc, text) from None
    except (TypeError, ValueError) as exc:  # rdflib's parse actions give up on a term (e.g. `-1.0` after an IRI)
        raise UnreadableQuery(f"the query cannot be read here: {exc}") from None
    reaching_out = _network_operation(text, query)
    if reaching_out is not None:
        raise reaching_out
    return _reading(prologue, query, base_iri)


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


TREE_QUERY_FORMS = {"select_query": "SELECT", "construct_query": "CONSTRUCT", "describe_query": "DESCRIBE",
                    "ask_query": "ASK"}
TREE_CHANGING_FUNCTIONS = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE"})  # keywords, as CHANGING_FUNCTIONS
LEFT_TO_THE_GRAMMAR = ("service", "load")  # words whose every use rdflib's grammar judges (and places in its refusal)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"  # the keyword `a`
_LOCAL_ESCAPE = re.compile(r"\\(.)")  # PN_LOCAL_ESC (SPARQL 1.1 §19.8): `ex:a\\#` names `a#`
_parsers = threading.local()  # a tree-sitter parser is not to be shared by threads


def _tree_parser():
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        try:
            import tree_sitter
            import tree_sitter_sparql
        except ImportError:  # pragma: no cover - a dependency; without it every text goes to the grammar
            return None
        with warnings.catch_warnings():  # the grammar package hands its language over in the older form
            warnings.simplefilter("ignore", DeprecationWarning)
            language = tree_sitter.Language(tree_sitter_sparql.language())
        parser = _parsers.parser = tree_sitter.Parser(language)
    return parser


def _iri(node) -> str:
    return node.text.decode("utf-8")[1:-1]  # <…>


def _prefixed(node) -> tuple[str, str]:
    prefix = local = ""
    for part in node.named_children:
        if part.type == "namespace":
            prefix = part.text.decode("utf-8")[:-1]  # without its ':'
        elif part.type == "pn_local":
            local = _LOCAL_ESCAPE.sub(r"\1", part.text.decode("utf-8"))
    return prefix, local


def _complete_tree(text: str):
    """tree-sitter's tree of `text` if it is complete (no error or missing node) and the text says neither SERVICE
    nor LOAD anywhere (those are judged by the grammar that refuses them); else None.

    The last text's tree is kept per thread: a bounded lookup is read by `read_bounded_lookup` and then, where the
    engine evaluates it, by `tree_reading` (read_query), and parsed once."""
    last = getattr(_parsers, "last", None)
    if last is not None and last[0] == text:
        return last[1]
    root = None
    if not any(word in text.lower() for word in LEFT_TO_THE_GRAMMAR):
        parser = _tree_parser()
        try:
            source = text.encode("utf-8") if parser is not None else None
        except UnicodeEncodeError:  # a lone surrogate, e.g. from an escape: the grammar refuses it and says where
            source = None
        if source is not None:
            tree = parser.parse(source).root_node
            root = None if tree.has_error or tree.type != "unit" else tree
    _parsers.last = (text, root)
    return root


def tree_reading(text: str, base: str = "") -> QueryReading | None:
    """The reading by tree-sitter's SPARQL grammar, or None when it leaves the text to rdflib's grammar: the tree
    is incomplete, is not exactly one query, or the text says SERVICE or LOAD anywhere (even in a string: those
    are judged by the grammar that refuses them)."""
    root = _complete_tree(text)
    if root is None:
        return None
    prologue = query = None
    for child in root.named_children:
        if child.type == "prologue" and prologue is None and query is None:
            prologue = child
        elif child.type in TREE_QUERY_FORMS and query is None:
            query = child
        elif child.type == "comment" or (child.type == "values_clause" and query is not None):
            continue
        else:  # an update, two queries, a prologue after the query: the grammar says what it is
            return None
    if query is None:
        return None
    prefixes: dict[str, str] = {}
    iris: set[str] = set()
    for declaration in prologue.named_children if prologue is not None else ():
        iri = next((n for n in declaration.named_children if n.type == "iri_reference"), None)
        if iri is None:
            continue
        if declaration.type == "prefix_declaration":
            namespace = next(n for n in declaration.named_children if n.type == "namespace")
            prefixes[namespace.text.decode("utf-8")[:-1]] = urljoin(base, _iri(iri))
        elif declaration.type == "base_declaration":
            base = urljoin(base, _iri(iri))
            iris.add(base)
    undeclared: set[str] = set()
    repeatable = True
    defaults: list[str] = []
    named: list[str] = []
    limit = None
    stack = list(query.children)
    stack.extend(n for n in root.named_children if n.type == "values_clause")
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "iri_reference":
            iris.add(urljoin(base, _iri(node)))
        elif kind == "prefixed_name":
            prefix, local = _prefixed(node)
            if prefix in prefixes:
                iris.add(prefixes[prefix] + local)
            else:
                undeclared.add(prefix)
        elif kind == "a" and not node.is_named:
            iris.add(RDF_TYPE)
        elif kind == "comment":
            continue
        else:
            if kind == "build_in_function" and node.child_count and node.children[0].type in TREE_CHANGING_FUNCTIONS:
                repeatable = False
            stack.extend(node.children)
    iris.update(prefixes.values())
    for part in query.named_children:
        if part.type == "dataset_clause":
            for clause in part.named_children:
                source = clause.child_by_field_name("source_selector")
                if source is None:
                    continue
                if source.type == "iri_reference":
                    iri = urljoin(base, _iri(source))
                else:
                    prefix, local = _prefixed(source)
                    iri = prefixes[prefix] + local if prefix in prefixes else ""
                (named if clause.type == "named_graph_clause" else defaults).append(iri)
        elif part.type == "solution_modifier":
            for clauses in part.named_children:
                if clauses.type == "limit_offset_clauses":
                    for clause in clauses.named_children:
                        if clause.type == "limit_clause":
                            number = next((n for n in clause.named_children if n.type == "integer"), None)
                            limit = int(number.text) if number is not None else None
    return QueryReading(TREE_QUERY_FORMS[query.type], tuple(defaults), tuple(named), tuple(sorted(undeclared)),
                        frozenset(iris), repeatable, limit)


# A bounded lookup (`read_bounded_lookup`): short text, one triple pattern about one named subject.
LOOKUP_TEXT_CHARS = 2048
LOOKUP_MAX_OFFSET = 10_000
# Control characters (tab and line feed aside) and Unicode's other line and paragraph ends: a lookup has no use for
# them, and where two parsers might read them differently (a carriage return ends a comment for Oxigraph, not for
# tree-sitter) the query goes to a worker.
_UNUSUAL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONSTANT_TERMS = frozenset({"iri_reference", "prefixed_name"})
_LOOKUP_OBJECTS = frozenset({"var", "iri_reference", "prefixed_name", "rdf_literal", "integer", "decimal", "double",
                             "boolean_literal"})


def _only(node, *types: str):
    """The node's one named child if there is exactly one and it is of these types, else None."""
    named = node.named_children
    return named[0] if len(named) == 1 and named[0].type in types else None


def _constant_predicate(node) -> bool:
    """`a`, an IRI or a prefixed name: no path operator (`*`, `+`, `?`, `^`, `/`, `|`, `!`)."""
    if node.type == "var":
        return True
    if node.type != "path_element":
        return False
    if not node.named_children:
        return [c.type for c in node.children] == ["a"]
    return len(node.children) == 1 and node.children[0].type in _CONSTANT_TERMS


@dataclass(frozen=True)
class LookupPattern:
    """The one triple pattern of a bounded lookup, as the store's index is asked for it (`Store.quads_for_pattern`):
    its IRIs absolute as written (or a declared prefix's IRI and the local name), a variable by its name."""

    subject: str  # an absolute IRI
    predicate: str  # an absolute IRI, or a variable's name when predicate_is_variable
    object: str  # an absolute IRI, or a variable's name when object_is_variable
    predicate_is_variable: bool
    object_is_variable: bool
    projection: tuple[str, ...]  # the variables answered, in order (SELECT *: the pattern's, sorted as Oxigraph does)


@dataclass(frozen=True)
class BoundedLookup:
    """A query whose cost is bounded by one named subject's own statements (`read_bounded_lookup`)."""

    form: str  # SELECT or ASK
    limit: int | None
    offset: int
    # The pattern where the store's index can answer it directly, None where the engine must read the text itself:
    # a relative IRI or BASE (resolved by the engine), a literal object (the engine's own term equality), a variable
    # used twice, a prefix declared twice.
    pattern: LookupPattern | None


_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_ENGINE_READS = re.compile("[\ufeff\ufffd-\uffff\U00010000-\U0010ffff]")
LOOKUP_MAX_LIMIT = 1 << 62  # a LIMIT beyond this is read by the engine (Python's slices stop at 2**63 - 1)


def read_bounded_lookup(sparql: str) -> BoundedLookup | None:
    """The reading of a query whose cost is bounded by one subject's own statements: a SELECT (of variables or `*`,
    no DISTINCT, aggregate or expression) or an ASK whose pattern is one triple with an IRI as its subject and no
    property path, with no FROM, FILTER, OPTIONAL, subquery, VALUES, ORDER BY or GROUP BY — at most LIMIT and an
    OFFSET of at most LOOKUP_MAX_OFFSET — in at most LOOKUP_TEXT_CHARS characters without escapes. Its evaluation is one prefix scan of an index
    (subject; subject, predicate; or subject, object), each statement scanned at most one row, so the row and byte
    caps bound its time and memory. Decided from tree-sitter's parse (a complete tree only); None for anything else.
    Remembered by text for the last 2,048 texts, as read_query: a client repeating a lookup pays for its parse once.
    """
    if len(sparql) > LOOKUP_TEXT_CHARS or "\\" in sparql or _UNUSUAL_CHARACTER.search(sparql):
        return None  # short, printable text read as written (an escape is expanded first by read_query: left to it)
    return _bounded_lookup(sparql)  # remembered: only short texts reach the cache


@lru_cache(maxsize=2048)
def _bounded_lookup(sparql: str) -> BoundedLookup | None:
    root = _complete_tree(sparql)
    if root is None:
        return None
    parts = [child for child in root.named_children if child.type != "comment"]
    prologue = None
    if parts and parts[0].type == "prologue":
        prologue, parts = parts[0], parts[1:]
    if len(parts) != 1 or parts[0].type not in ("select_query", "ask_query"):
        return None
    query = parts[0]
    where = None
    projection: list[str] | None = [] if query.type == "select_query" else None
    limit, offset = None, 0
    # Text the two parsers may read differently is left to the engine's (answered in place, with its words): a
    # character beyond the Basic Multilingual Plane, U+FFFD to U+FFFF or a byte order mark (tree-sitter takes them in
    # names, Oxigraph 0.5 refuses them), a signed LIMIT or OFFSET.
    unusual = _ENGINE_READS.search(sparql) is not None
    for part in query.named_children:
        if part.type == "select_clause":
            for child in part.children:
                if child.type == "var":
                    projection.append(child.text.decode("utf-8")[1:])  # ?name and $name are one variable
                elif child.type == "*":
                    projection = None
                elif child.type != "SELECT":
                    return None
        elif part.type == "where_clause" and where is None:
            where = part
        elif part.type == "solution_modifier":
            if any(c.type != "limit_offset_clauses" for c in part.named_children):
                return None
            for clauses in part.named_children:
                for clause in clauses.named_children:
                    number = next((n for n in clause.named_children if n.type == "integer"), None)
                    if number is None:
                        return None
                    if not number.text.isdigit():  # a sign, which SPARQL's LIMIT and OFFSET do not allow
                        unusual = True
                    if clause.type == "offset_clause":
                        offset = int(number.text)
                        if offset > LOOKUP_MAX_OFFSET:
                            return None  # rows skipped are rows scanned: a bounded number of them
                    elif clause.type == "limit_clause":
                        limit = int(number.text)
        elif part.type != "comment":
            return None  # FROM, VALUES, anything unforeseen
    group = _only(where, "group_graph_pattern") if where is not None else None
    block = _only(group, "triples_block") if group is not None else None
    triple = _only(block, "triples_same_subject") if block is not None else None
    if triple is None or len(triple.named_children) != 2:
        return None
    subject, properties = triple.named_children
    if subject.type not in _CONSTANT_TERMS or properties.type != "property_list":
        return None
    prop = _only(properties, "property")
    if prop is None or len(prop.named_children) != 2:
        return None
    predicate, objects = prop.named_children
    if not _constant_predicate(predicate) or objects.type != "object_list" or \
            _only(objects, *_LOOKUP_OBJECTS) is None or any(c.type == "," for c in objects.children):
        return None
    form = "SELECT" if query.type == "select_query" else "ASK"
    if unusual or (limit is not None and limit > LOOKUP_MAX_LIMIT):
        return BoundedLookup(form, limit, offset, None)
    pattern = _lookup_pattern(prologue, subject, predicate, _only(objects, *_LOOKUP_OBJECTS), projection)
    return BoundedLookup(form, limit, offset, pattern)


def _engine_takes_iri(iri: str) -> bool:
    """Whether Oxigraph reads `iri` as an absolute IRI: a relative one is the engine's to resolve, and its parser
    refuses a query declaring one it cannot read, even unused (such a prologue is left to it)."""
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        return False
    return True


REMEMBERED_PROLOGUES = 256  # prologues (the PREFIX lines) read once each: clients send the same ones every time
_PROLOGUES: dict[bytes, dict[str, str] | None] = {}
_UNKNOWN = object()


def _lookup_prefixes(prologue) -> dict[str, str] | None:
    """A lookup's prefixes (name → absolute IRI), or None where the engine must resolve them: a BASE, a relative
    prefix IRI, a prefix declared twice. Remembered by the prologue's text (the last REMEMBERED_PROLOGUES)."""
    key = prologue.text
    known = _PROLOGUES.get(key, _UNKNOWN)  # one lookup: another thread may clear the dict in between
    if known is not _UNKNOWN:
        return known
    prefixes: dict[str, str] | None = {}
    for declaration in prologue.named_children:
        namespace = next((n for n in declaration.named_children if n.type == "namespace"), None)
        iri = next((n for n in declaration.named_children if n.type == "iri_reference"), None)
        name = namespace.text.decode("utf-8")[:-1] if namespace is not None else None
        if declaration.type != "prefix_declaration" or iri is None or name is None or name in prefixes \
                or not _engine_takes_iri(_iri(iri)):
            prefixes = None  # BASE: relative IRIs are the engine's to resolve; an IRI it refuses, its to refuse
            break
        prefixes[name] = _iri(iri)
    if len(_PROLOGUES) >= REMEMBERED_PROLOGUES:
        _PROLOGUES.clear()
    _PROLOGUES[key] = prefixes
    return prefixes


def _lookup_pattern(prologue, subject, predicate, obj, projection: list[str] | None) -> LookupPattern | None:
    """The lookup's pattern for the store's index, or None where the engine must read the text itself."""
    prefixes = _lookup_prefixes(prologue) if prologue is not None else {}
    if prefixes is None:
        return None

    def constant(node) -> str | None:
        if node.type == "iri_reference":
            value = _iri(node)
        elif node.type == "prefixed_name":
            prefix, local = _prefixed(node)
            if prefix not in prefixes or "." in local:
                return None  # undeclared: the engine says so; a dot: Oxigraph 0.5 refuses ex:a.b.c, SPARQL allows it
            value = prefixes[prefix] + local
        elif node.type == "path_element":
            if not node.named_children:
                return RDF_TYPE  # `a`
            return constant(node.children[0])
        else:
            return None
        return value if _ABSOLUTE_IRI.match(value) else None

    subject_iri = constant(subject)
    predicate_is_variable, object_is_variable = predicate.type == "var", obj.type == "var"
    predicate_value = predicate.text.decode("utf-8")[1:] if predicate_is_variable else constant(predicate)
    object_value = obj.text.decode("utf-8")[1:] if object_is_variable else constant(obj)
    if subject_iri is None or predicate_value is None or object_value is None:
        return None
    variables = [name for name, is_variable in ((predicate_value, predicate_is_variable),
                                                 (object_value, object_is_variable)) if is_variable]
    if len(set(variables)) != len(variables) or (projection is not None and len(set(projection)) != len(projection)):
        return None  # a variable twice: left to the engine
    return LookupPattern(subject_iri, predicate_value, object_value, predicate_is_variable, object_is_variable,
                         tuple(sorted(variables)) if projection is None else tuple(projection))


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
        grammar_reading(_WARM_UP)
        tree_reading(_WARM_UP)
        _warmed = True
