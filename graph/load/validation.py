"""Check a data graph against the hki SHACL shapes and report problems in plain words.

SHACL: https://www.w3.org/TR/shacl/ ; the validation report read here is
https://www.w3.org/TR/shacl/#validation-report. pySHACL does the validating; this module only
prepares its inputs (offline) and turns its report into `Violation` values.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import pyshacl
import rdflib.plugins.sparql.processor as sparql_processor
from cachetools import LRUCache
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from graph.store.query_reader import NetworkOperation, UnreadableQuery, UpdateOperation, read_query
from ontology import PREFIXES, SHAPES_FILE

SHAPES_NAMESPACE = "https://w3id.org/hki/shapes#"

_SEVERITIES: dict[Node, str] = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
# Query texts pySHACL runs with rdflib's SPARQL engine (SHACL-SPARQL, and SHACL-AF targets and rules).
_QUERY_PREDICATES = (SH.select, SH.ask, SH.construct)
_PREFIXES = {**PREFIXES, "hkish": SHAPES_NAMESPACE}
# Longest namespace first, so `hkis:` wins over `hki:`-like shorter matches.
_NAMESPACES = sorted(((ns, prefix) for prefix, ns in _PREFIXES.items()), key=lambda item: -len(item[0]))
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-./]*")


@dataclass(frozen=True)
class Violation:
    """One result of the SHACL validation report, ready to show to the person who edits the data."""

    focus: str  # IRI of the focus node
    path: str | None  # the property IRI (or None for node-level rules)
    value: str | None  # the offending value, as N-Triples text, or None
    rule: str  # short constraint name, e.g. "MinCount", "Pattern", "StartAfterEnd"
    shape: str  # the shape, as a compact IRI (e.g. "hkish:Partnership-partner") or its name
    message: str  # plain words, in the requested language
    severity: str  # "Violation" | "Warning" | "Info"
    focus_label: str | None = field(default=None, compare=False)  # rdfs:label of the focus node

    def __str__(self) -> str:
        parts = [self.focus_label or compact_iri(self.focus)]
        if self.path is not None:
            prop = compact_iri(self.path)
            parts.append(prop if self.value is None else f"{prop} = {_compact_value(self.value)}")
        elif self.value is not None:
            parts.append(_compact_value(self.value))
        parts.append(self.message)
        return ": ".join(parts)


def load_shapes() -> Graph:
    """The hki shapes graph (ontology/shapes.ttl), freshly parsed."""
    return Graph().parse(SHAPES_FILE, format="turtle")


@cache
def _shipped_shapes() -> Graph:
    # One graph for the process: pySHACL caches compiled SPARQL validators per shapes-graph object,
    # so parsing the shapes again for every validation would grow that cache without bound. It is
    # never handed out, because pySHACL adds a few RDFS/OWL triples to the shapes graph it is given.
    return load_shapes()



# pySHACL hands rdflib the text of a SPARQL-based constraint for every shape it checks, and rdflib parses
# and translates that text each time: 132 parses of 15 texts for the Hannover data, three quarters of the
# validation's time (2.9 s → 0.8 s with each text parsed once). While pySHACL runs, rdflib's SPARQL
# processor takes each text's translated algebra from this cache; the algebra is not changed by evaluation
# (rdflib's own prepareQuery relies on that). One method is swapped, in one assignment, so a query of
# another thread meets either the original or the cached version, both complete; the cache is locked.
_TRANSLATED: LRUCache = LRUCache(maxsize=512)
_TRANSLATED_LOCK = threading.Lock()
_SWAP = threading.Lock()
_VALIDATING = threading.Lock()


def _translated(text: str, base, init_ns):
    key = (text, base, tuple(sorted((init_ns or {}).items())))
    with _TRANSLATED_LOCK:
        query = _TRANSLATED.get(key)
    if query is None:
        query = sparql_processor.translateQuery(sparql_processor.parseQuery(text), base, init_ns)
        with _TRANSLATED_LOCK:
            _TRANSLATED[key] = query
    return query


@contextmanager
def _each_constraint_query_parsed_once() -> Iterator[None]:
    original = sparql_processor.SPARQLProcessor.query

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803 - rdflib's names
        if isinstance(strOrQuery, str):
            strOrQuery = _translated(strOrQuery, base, initNs)
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    with _SWAP:
        sparql_processor.SPARQLProcessor.query = query
        try:
            yield
        finally:
            sparql_processor.SPARQLProcessor.query = original


def validate_graph(data: Graph, *, shapes: Graph | None = None, lang: str = "en") -> list[Violation]:
    """Validate `data` (ontology, vocabularies, SDGs and instance data together) against `shapes`.

    Messages are given in `lang` ("de" or "en"), falling back to English (to German for English). Nothing is
    fetched from the network: owl:imports are not followed, and shapes whose SPARQL would read remote
    data (SERVICE, FROM) are refused with a ValueError. The result is sorted by focus, path and rule.
    """
    if not isinstance(data, Graph):
        raise TypeError(f"data must be an rdflib.Graph, not {type(data).__name__} (this module reads no files)")
    # One validation at a time in a process: rdflib's SPARQL grammar (pyparsing) is not safe to use from two
    # threads at once, and the workspace checks forms, uploads and publications side by side.
    with _VALIDATING:
        return _validate(data, shapes, lang)


def _validate(data: Graph, shapes: Graph | None, lang: str) -> list[Violation]:
    if shapes is None:
        shapes = _shipped_shapes()
    else:
        shapes = _copy(shapes)  # pySHACL adds a few RDFS/OWL triples to the shapes graph it is given
    _refuse_remote_queries(shapes)
    flat, owned = _single_graph(data)
    with _each_constraint_query_parsed_once():
        _conforms, report, text = pyshacl.validate(
            flat,
            shacl_graph=shapes,
            ont_graph=None,
            inference="none",
            advanced=True,
            allow_warnings=True,
            do_owl_imports=False,
            inplace=owned,
        )
    if not isinstance(report, Graph):
        raise RuntimeError(f"SHACL validation could not run: {text}")
    results = {_violation(report, result, shapes, flat, lang) for result in report.subjects(RDF.type, SH.ValidationResult)}
    return sorted(results, key=_sort_key)


def compact_iri(iri: str) -> str:
    """`iri` as prefix:local with the hki prefixes when it reads well, else the IRI itself."""
    for namespace, prefix in _NAMESPACES:
        if iri.startswith(namespace):
            local = iri[len(namespace):]
            if local == "" or (_LOCAL_NAME.fullmatch(local) and not local.endswith(".")):
                return f"{prefix}:{local}"
    return iri


# ---------------------------------------------------------------- inputs


def _refuse_remote_queries(shapes: Graph) -> None:
    """Raise ValueError if a SPARQL text in the shapes would reach out (SERVICE, FROM, FROM NAMED, LOAD).

    rdflib evaluates SERVICE by HTTP and loads FROM graphs from the web; the shapes are ours, but a
    city may bring its own, so this is checked (by graph.store.query_reader's parse) rather than assumed.
    """
    for owner, predicate, text in shapes.triples((None, None, None)):
        if predicate not in _QUERY_PREDICATES or not isinstance(text, Literal):
            continue
        try:
            reaches_out = read_query(str(text)).has_dataset
            problem = "uses FROM or FROM NAMED"
        except NetworkOperation as exc:
            reaches_out, problem = True, f"uses {exc.keyword}"
        except (UnreadableQuery, UpdateOperation) as exc:
            reaches_out, problem = True, f"cannot be read as a SPARQL query ({exc})"
        if reaches_out:
            raise ValueError(
                f"the SHACL shapes must not read remote data: the query of {owner.n3()} {problem}; "
                "a shape's query may only match the data graph"
            )


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    copy += graph
    return copy


def _single_graph(data: Graph) -> tuple[Graph, bool]:
    """`data` as one plain graph (pySHACL validates each named graph of a dataset on its own).

    Returns the graph and whether it is our own copy (then pySHACL may work on it in place).
    """
    if not data.context_aware:
        return data, False
    flat = Graph()
    for s, p, o, _ in data.quads((None, None, None, None)):
        flat.add((s, p, o))
    return flat, True


# ---------------------------------------------------------------- the report


def _violation(report: Graph, result: Node, shapes: Graph, data: Graph, lang: str) -> Violation:
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    value = report.value(result, SH.value)
    source_shape = report.value(result, SH.sourceShape)
    return Violation(
        focus=str(focus) if isinstance(focus, URIRef) else _ntriples(focus),
        path=str(path) if isinstance(path, URIRef) else None,
        value=_ntriples(value) if value is not None else None,
        rule=_rule_name(report.value(result, SH.sourceConstraintComponent), report.value(result, SH.sourceConstraint)),
        shape=_shape_name(shapes, source_shape, lang),
        message=_message(report, result, shapes, lang),
        severity=_SEVERITIES.get(report.value(result, SH.resultSeverity), "Violation"),
        focus_label=_label(data, focus, lang) if focus is not None else None,
    )


def _ntriples(term: Node | None) -> str:
    """`term` as one line of N-Triples text (rdflib's n3() writes multi-line text in triple quotes)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        escaped = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if term.language:
            return f'"{escaped}"@{term.language}'
        return f'"{escaped}"^^<{term.datatype}>' if term.datatype else f'"{escaped}"'
    return term.n3() if term is not None else ""


def _local_name(iri: Node) -> str:
    return re.split(r"[#/]", str(iri))[-1]


def _rule_name(component: Node | None, constraint: Node | None) -> str:
    """sh:MinCountConstraintComponent → "MinCount"; a named sh:sparql constraint → its local name."""
    if component == SH.SPARQLConstraintComponent:
        return _local_name(constraint) if isinstance(constraint, URIRef) else "SPARQL"
    if component is None:
        return "Unknown"
    return _local_name(component).removesuffix("ConstraintComponent") or "Unknown"


def _shape_name(shapes: Graph, shape: Node | None, lang: str) -> str:
    if isinstance(shape, URIRef):
        return compact_iri(str(shape))
    if shape is None:
        return "(unknown shape)"
    named = _in_language(list(shapes.objects(shape, SH.name)) + list(shapes.objects(shape, RDFS.label)), lang)
    if named is not None:
        return str(named)
    parent = shapes.value(predicate=SH.property, object=shape)
    return compact_iri(str(parent)) if isinstance(parent, URIRef) else "(anonymous shape)"


def _message(report: Graph, result: Node, shapes: Graph, lang: str) -> str:
    """The result's message in `lang`, falling back to the other language, then to any message.

    pySHACL drops the language tag of SPARQL-based constraints' messages, so untagged results fall
    back to the tagged messages of the constraint or shape in the shapes graph.
    """
    messages = list(report.objects(result, SH.resultMessage))
    if not any(isinstance(m, Literal) and m.language for m in messages):
        for owner in (report.value(result, SH.sourceConstraint), report.value(result, SH.sourceShape)):
            tagged = [m for m in shapes.objects(owner, SH.message) if isinstance(m, Literal) and m.language]
            if owner is not None and tagged:
                messages = tagged
                break
    chosen = _in_language(messages, lang)
    return str(chosen) if chosen is not None else ""


def _in_language(literals: list[Node], lang: str) -> Node | None:
    """The literal tagged `lang`, else English (German when `lang` is English), else untagged, else any."""
    candidates = sorted((x for x in literals if isinstance(x, Literal)), key=lambda x: (x.language or "", str(x)))
    for wanted in (lang.lower(), "de" if lang.lower().startswith("en") else "en"):
        for literal in candidates:
            if literal.language and literal.language.lower().split("-")[0] == wanted.split("-")[0]:
                return literal
    untagged = [x for x in candidates if not x.language]
    return (untagged or candidates or [None])[0]


def _label(data: Graph, node: Node, lang: str) -> str | None:
    found = _in_language(list(data.objects(node, RDFS.label)) or list(data.objects(node, SKOS.prefLabel)), lang)
    return str(found) if found is not None else None


def _compact_value(value: str) -> str:
    """N-Triples text with its IRI or datatype IRI compacted, for reading."""
    if value.startswith("<") and value.endswith(">"):
        compact = compact_iri(value[1:-1])
        return value if compact == value[1:-1] else compact
    typed = re.fullmatch(r'(".*")\^\^<([^>]*)>', value, flags=re.DOTALL)
    if typed:
        return f"{typed.group(1)}^^{compact_iri(typed.group(2))}"
    return value


def _sort_key(v: Violation) -> tuple[str, str, str, str, str, str]:
    return (v.focus, v.path or "", v.rule, v.value or "", v.shape, v.message)
