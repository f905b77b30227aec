"""A change applied to the data folder's Turtle files: deterministic, diff-friendly, comments kept.

A publication (graph.workspace.publication) hands the statements a change set removes and adds to `apply_change`
together with the data folder's files; it answers with the new bytes of every file that changes:

- **an entry that changes** (every statement about one subject, and the blank-node structures inlined under it) is
  rewritten in one canonical form where its block was: the file's own prefixes; `rdf:type` first (as `a`), then the
  labels (rdfs:label, skos:prefLabel, skos:altLabel), then the other predicates sorted; objects sorted (IRIs,
  blank-node structures, literals by language, datatype and text), one per line after the first; blank nodes used
  once inlined as `[ … ]`;
- **untouched blocks, blank lines and comments** are kept byte for byte, and so is the comment directly above a
  changed entry (its "own" comment: no blank line between);
- **a removed entry's block** goes, with its own comment;
- **a new entry** goes to the file that already holds its subject, else the one of the entry it is a part of
  (`…/membership/x/period` belongs with `…/membership/x`, right after it), else the file that holds the most
  entries of its `rdf:type`, else a new file named after the type (`hki:CouncilPaper` → `council-paper.ttl`).

The file is cut into blocks with Pygments' Turtle lexer (statements end at a `.` outside brackets, strings and
IRIs), but a real parse decides: every block is parsed on its own, and the rewritten file is parsed and compared with
the expected statements (isomorphic). When the cut does not add up, or the rewritten file is not what it must be,
the whole file is written in the canonical form instead (its first comment lines kept) and checked the same way.
Same input, same bytes.
"""
from __future__ import annotations

import re
import threading
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib.compare
from pygments.lexers import TurtleLexer
from pygments.token import Comment, Error, Keyword, Punctuation

from graph.load.files import DataFileError
from graph.vocabulary import RDF, RDFS, SKOS
from ontology import PREFIXES

RDF_TYPE = RDF + "type"
LABELS = (RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = RDF + "langString"
_DUMMY_P, _DUMMY_O = ox.NamedNode("urn:x-hki:p"), ox.NamedNode("urn:x-hki:o")
_DUMMY_TAIL = " <urn:x-hki:p> <urn:x-hki:o> ."


class ChangeConflict(ValueError):
    """The change does not fit the data as it is now (a statement to remove is not there any more)."""


@dataclass(frozen=True)
class AppliedChange:
    """The new bytes of each data file the change touches (name → bytes), and which of them had to be written
    whole in the canonical form (the cut into blocks did not add up)."""

    files: dict[str, bytes]
    canonical: tuple[str, ...] = ()
    created: tuple[str, ...] = ()


Term = ox.NamedNode | ox.BlankNode | ox.Literal


# ------------------------------------------------------------------ writing terms and entries

class TermWriter:
    """Turtle text of terms with one file's prefixes (a prefixed name only where it needs no escape)."""

    def __init__(self, prefixes: Mapping[str, str]):
        self.prefixes = dict(prefixes)
        self._by_length = sorted(self.prefixes.items(), key=lambda item: (-len(item[1]), item[0]))
        self._cache: dict[str, str] = {}
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        cached = self._cache.get(iri)
        if cached is None:
            cached = self._cache[iri] = self._compact(iri)
        if cached.startswith("<"):
            return cached
        self.used.add(cached.split(":", 1)[0])
        return cached

    def _compact(self, iri: str) -> str:
        for name, namespace in self._by_length:
            if not iri.startswith(namespace) or iri == namespace:
                continue
            text = ox.serialize([ox.Triple(ox.NamedNode(iri), _DUMMY_P, _DUMMY_O)], format=ox.RdfFormat.TURTLE,
                                prefixes={name: namespace}).decode("utf-8")
            line = text.strip().splitlines()[-1]
            if line.endswith(_DUMMY_TAIL):
                term = line[: -len(_DUMMY_TAIL)]
                if term.startswith(name + ":") and "\\" not in term:
                    return term
        return str(ox.NamedNode(iri))

    def literal(self, literal: ox.Literal) -> str:
        text = str(ox.Literal(literal.value))  # N-Triples escaping, by pyoxigraph
        if literal.language:
            return f"{text}@{literal.language}"
        datatype = literal.datatype.value
        if datatype in (XSD_STRING, RDF_LANG_STRING):
            return text
        return f"{text}^^{self.iri(datatype)}"

    def term(self, term: Term) -> str:
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.Literal):
            return self.literal(term)
        return str(term)


def _predicate_key(predicate: str) -> tuple[int, str]:
    if predicate == RDF_TYPE:
        return (0, "")
    if predicate in LABELS:
        return (1, f"{LABELS.index(predicate)}")
    return (2, predicate)


class _Graph:
    """The statements of a set of triples, indexed for writing entries (subject → predicate → objects)."""

    def __init__(self, triples: Iterable[ox.Triple]):
        self.out: dict[Term, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.references: Counter = Counter()
        for t in set(triples):
            self.out[t.subject][t.predicate.value].append(t.object)
            if isinstance(t.object, ox.BlankNode):
                self.references[t.object] += 1

    def inlined(self, node: Term, seen: frozenset = frozenset()) -> bool:
        """A blank node used exactly once, with no cycle through it, is written inline as [ … ]."""
        return (isinstance(node, ox.BlankNode) and self.references[node] == 1 and node not in seen)


class EntryWriter:
    """Entries (a subject's statements) in the canonical form, with the file's prefixes."""

    def __init__(self, terms: TermWriter, graph: _Graph):
        self.terms, self.graph = terms, graph
        self._labels: dict[Term, str] = {}

    def _object(self, node: Term, seen: frozenset) -> str:
        if self.graph.inlined(node, seen):
            return self._inline(node, seen | {node})
        if isinstance(node, ox.BlankNode):
            return self._label(node)
        return self.terms.term(node)

    def _label(self, node: ox.BlankNode) -> str:
        return self._labels.setdefault(node, f"_:b{len(self._labels)}")

    def _sorted_objects(self, objects: list[Term], seen: frozenset) -> list[str]:
        def key(node: Term) -> tuple:
            if isinstance(node, ox.NamedNode):
                return (0, node.value, "", "")
            if isinstance(node, ox.BlankNode):  # by what it says, not by its (random) label
                text = self._object(node, seen) if self.graph.inlined(node, seen) else _structure_key(node, self.graph)
                return (1, text, "", "")
            return (2, node.language or "", node.datatype.value if not node.language else "", node.value)
        return [self._object(o, seen) for o in sorted(set(objects), key=key)]

    def _inline(self, node: Term, seen: frozenset) -> str:
        parts = []
        for predicate in sorted(self.graph.out.get(node, {}), key=_predicate_key):
            objects = self._sorted_objects(self.graph.out[node][predicate], seen)
            verb = "a" if predicate == RDF_TYPE else self.terms.iri(predicate)
            parts.append(f"{verb} {' , '.join(objects)}")
        return "[ " + " ; ".join(parts) + " ]" if parts else "[]"

    def entry(self, subject: Term) -> str:
        """One statement: `subject a T ;` then a line per predicate, objects after the first on lines of their own."""
        seen = frozenset({subject})
        predicates = sorted(self.graph.out.get(subject, {}), key=_predicate_key)
        head = self._label(subject) if isinstance(subject, ox.BlankNode) else self.terms.term(subject)
        lines: list[str] = []
        for predicate in predicates:
            objects = self._sorted_objects(self.graph.out[subject][predicate], seen)
            if predicate == RDF_TYPE:
                lines.append(f"{head} a {' , '.join(objects)}")
                continue
            text = f"{self.terms.iri(predicate)} " + " ,\n        ".join(objects)
            if not lines:
                lines.append(f"{head} {text}")
            else:
                lines.append(f"    {text}")
        return " ;\n".join(lines) + " .\n"


# ------------------------------------------------------------------ reading a file into blocks

@dataclass
class Block:
    """Whole lines of a file: the comment lines right above a statement (its own), the statement(s), a comment
    after it on its last line. `subjects`: the IRIs its statements are about (blank nodes count for the IRI that
    uses them)."""

    lines: list[str]
    comment_lines: int  # how many of the first lines are its own comment
    subjects: frozenset[str]
    triples: list[ox.Triple] = field(default_factory=list)


Piece = str | Block  # a kept line, or a block


@dataclass
class TurtleFile:
    """One data file: its text, its statements and its prefixes (one parse, by Oxigraph)."""

    name: str
    text: str
    triples: list[ox.Triple]
    prefixes: dict[str, str]

    def header(self) -> str:
        """The file's prefixes as Turtle, for parsing one block of it on its own."""
        return "".join(f"@prefix {name}: {ox.NamedNode(ns)} .\n" for name, ns in sorted(self.prefixes.items()))


def parse_file(name: str, data: bytes) -> TurtleFile:
    """The file's statements and prefixes (DataFileError with file:line:column for a file that is not Turtle)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(name, "not valid UTF-8 (RDF files must be UTF-8 encoded)",
                            data[: exc.start].count(b"\n") + 1) from None
    triples, prefixes = _parse(name, data)
    return TurtleFile(name, text, triples, prefixes)


def _parse(name: str, data: bytes) -> tuple[list[ox.Triple], dict[str, str]]:
    try:
        parser = ox.parse(data, format=ox.RdfFormat.TURTLE)
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in parser]
        return triples, dict(parser.prefixes)
    except SyntaxError as exc:
        line = column = None
        if len(exc.args) > 1 and isinstance(exc.args[1], tuple):
            _, line, column, *_ = exc.args[1]
        raise DataFileError(name, str(exc.args[0]) if exc.args else str(exc), line, column) from None


_DIRECTIVES = ("@prefix", "@base", "prefix", "base")


def _statements(text: str) -> list[tuple[int, int, bool]] | None:
    """(start, end, is a directive) of each statement, from the lexer; None where it gives up."""
    out: list[tuple[int, int, bool]] = []
    depth, start, directive, sparql_style = 0, None, False, False
    for offset, kind, value in TurtleLexer().get_tokens_unprocessed(text):
        if kind in Error:
            return None
        if not value.strip() or kind in Comment:
            continue
        if start is None:
            start = offset
            directive = kind in Keyword and value.lower() in _DIRECTIVES
            sparql_style = directive and not value.startswith("@")
            continue
        if sparql_style and value.startswith("<") and value.endswith(">"):
            out.append((start, offset + len(value), True))
            start = None
            continue
        if kind in Punctuation:
            for char in value:
                if char in "[(":
                    depth += 1
                elif char in "])":
                    depth -= 1
                elif char == "." and depth == 0:
                    out.append((start, offset + 1, directive))
                    start = None
    return out if start is None and depth == 0 else None


def lexer_cut(file: TurtleFile) -> list[Piece] | None:
    """The file's pieces, cut where Pygments' Turtle lexer ends a statement; every block parsed on its own, and the
    blocks' statements together must be the file's (else None)."""
    text, triples = file.text, file.triples
    statements = _statements(text)
    if statements is None:
        return None
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def line_of(offset: int) -> int:  # the index of the line holding `offset`
        low, high = 0, len(lines) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low

    ranges: list[list[int]] = []  # [first line, last line] of entry statements, merged where they share a line
    for start, end, directive in statements:
        if directive:
            continue
        first, last = line_of(start), line_of(end - 1)
        if ranges and first <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], last)
        else:
            ranges.append([first, last])
    directive_lines = {line_of(s) for s, _, d in statements if d} | {line_of(e - 1) for _, e, d in statements if d}
    if any(first <= line <= last for first, last in ranges for line in directive_lines):
        return None  # a directive sharing a line with a statement: not cut
    header = file.header()
    pieces: list[Piece] = []
    seen: list[ox.Triple] = []
    taken = 0
    for first, last in ranges:
        own = first
        while own > taken and lines[own - 1].lstrip().startswith("#"):
            own -= 1
        pieces.extend(lines[taken:own])
        body = "".join(lines[first:last + 1])
        try:
            block_triples = [ox.Triple(q.subject, q.predicate, q.object)
                             for q in ox.parse((header + body).encode("utf-8"), format=ox.RdfFormat.TURTLE)]
        except SyntaxError:
            return None
        owners = _owners(block_triples)
        pieces.append(Block(lines[own:last + 1], first - own, frozenset(owners.values()), block_triples))
        seen.extend(block_triples)
        taken = last + 1
    pieces.extend(lines[taken:])
    if not _same_statements(seen, triples):
        return None
    return pieces


_DIRECTIVE_LINE = re.compile(r"(@prefix|@base|prefix\s|base\s)", re.IGNORECASE)


def line_cut(file: TurtleFile, changed: set[str]) -> list[Piece] | None:
    """The file's pieces, cut before every line that starts a statement at its first column (how the data files are
    written); only the blocks whose first term is a changed entry (or a blank node) are parsed, to learn what they
    hold — the rewritten file's parse decides whether the cut was right. None where a block does not parse."""
    lines = file.text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines)
              if line[:1] not in ("", " ", "\t", "\r", "\n", "#") and not _DIRECTIVE_LINE.match(line)]
    pieces: list[Piece] = []
    taken = 0
    header = None
    for number, first in enumerate(starts):
        last = (starts[number + 1] if number + 1 < len(starts) else len(lines)) - 1
        while last > first and (not lines[last].strip() or lines[last].lstrip().startswith("#")):
            last -= 1
        own = first
        while own > taken and lines[own - 1].lstrip().startswith("#"):
            own -= 1
        pieces.extend(lines[taken:own])
        key = _first_term(lines[first], file.prefixes)
        if key is None or key in changed:
            header = header if header is not None else file.header()
            try:
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in
                           ox.parse((header + "".join(lines[first:last + 1])).encode("utf-8"), format=ox.RdfFormat.TURTLE)]
            except SyntaxError:
                return None
            pieces.append(Block(lines[own:last + 1], first - own, frozenset(_owners(triples).values()), triples))
        else:
            pieces.append(Block(lines[own:last + 1], first - own, frozenset({key}), []))
        taken = last + 1
    pieces.extend(lines[taken:])
    return pieces


def _first_term(line: str, prefixes: Mapping[str, str]) -> str | None:
    """The IRI a statement's first term names (`ps:x` or `<…>`); None for a blank node or anything unusual."""
    word = line.split(None, 1)[0] if line.strip() else ""
    if word.startswith("<") and word.endswith(">") and "\\" not in word:
        return word[1:-1]
    name, colon, local = word.partition(":")
    if colon and name in prefixes and "\\" not in local and not local.endswith((";", ",", ".")):
        return prefixes[name] + local
    return None


def _owners(triples: Iterable[ox.Triple]) -> dict[Term, str]:
    """Each subject → the IRI whose entry it belongs to (itself, or the IRI that uses the blank node)."""
    triples = list(triples)
    used_by: dict[Term, Term] = {}
    for t in triples:
        if isinstance(t.object, ox.BlankNode):
            used_by.setdefault(t.object, t.subject)
    owners: dict[Term, str] = {}
    for t in triples:
        node, hops = t.subject, 0
        while isinstance(node, ox.BlankNode) and node in used_by and hops < 1000:
            node, hops = used_by[node], hops + 1
        owners[t.subject] = node.value if isinstance(node, ox.NamedNode) else str(node)
    return owners


def _has_blank_nodes(triples: Iterable[ox.Triple]) -> bool:
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)


def _same_statements(a: list[ox.Triple], b: list[ox.Triple]) -> bool:
    if not (_has_blank_nodes(a) or _has_blank_nodes(b)):
        return set(a) == set(b)
    return rdflib.compare.isomorphic(_rdflib(a), _rdflib(b))


def _rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    graph.parse(data=data or b"", format="nt")
    return graph


# ------------------------------------------------------------------ applying a change

def _closure(owner: str, triples: list[ox.Triple]) -> list[ox.Triple]:
    owners = _owners(triples)
    return [t for t in triples if owners.get(t.subject) == owner]


def _structure_key(node: Term, graph: _Graph, seen: frozenset = frozenset()) -> str:
    """A blank node's statements as one text (how a removed blank-node structure is found in a file)."""
    if not isinstance(node, ox.BlankNode):
        return str(node)
    if node in seen:
        return "[…]"
    inner = seen | {node}
    return "[" + ";".join(sorted(f"{p} {_structure_key(o, graph, inner)}" for p, objects in graph.out[node].items()
                                 for o in objects)) + "]"


def _structures(owner: str, triples: list[ox.Triple]) -> list[tuple[tuple[str, str], set[ox.Triple]]]:
    """The blank-node structures hanging from `owner` in `triples`: ((predicate, key), their statements)."""
    graph = _Graph(triples)
    out = []
    for t in triples:
        if t.subject.value == owner and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.BlankNode):
            inside, todo = {t}, [t.object]
            seen: set[Term] = set()
            while todo:
                node = todo.pop()
                if node in seen:
                    continue
                seen.add(node)
                for inner in triples:
                    if inner.subject == node:
                        inside.add(inner)
                        if isinstance(inner.object, ox.BlankNode):
                            todo.append(inner.object)
            out.append(((t.predicate.value, _structure_key(t.object, graph)), inside))
    return sorted(out, key=lambda item: item[0])


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def file_name_for_type(type_iri: str) -> str:
    """The name of a new data file for entries of a type: `hki:CouncilPaper` → `council-paper.ttl`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", _local_name(type_iri)).lower()
    words = re.sub(r"[^a-z0-9-]+", "-", words).strip("-")
    return f"{words or 'entries'}.ttl"


def _parent_entry(subject: str, known: Iterable[str]) -> str | None:
    """The entry `subject` is a part of (`…/x/period` → `…/x`), the longest such among `known`."""
    best = None
    for other in known:
        if other != subject and subject.startswith(other + "/") and (best is None or len(other) > len(best)):
            best = other
    return best


_FILE_GRAPH = "urn:x-hki:data-file:"


class DataFiles:
    """The data folder's Turtle files (name → bytes) and an index of their statements: each file in a named graph of
    an Oxigraph store, so finding the files that hold a statement, an entry or a type is a lookup, not a pass over
    every statement (what keeps a change fast at a million statements). Files are parsed into Python statements only
    when they change."""

    def __init__(self, files: Mapping[str, bytes]):
        self.files: dict[str, bytes] = {}
        self.store = ox.Store()
        self._parsed: dict[str, TurtleFile] = {}
        self.update(files)

    @staticmethod
    def _graph(name: str) -> ox.NamedNode:
        return ox.NamedNode(_FILE_GRAPH + urllib.parse.quote(name, safe=""))

    @staticmethod
    def _name(graph: ox.NamedNode | ox.DefaultGraph) -> str:
        return urllib.parse.unquote(graph.value[len(_FILE_GRAPH):]) if isinstance(graph, ox.NamedNode) else ""

    def update(self, files: Mapping[str, bytes]) -> None:
        """Take the new bytes of these files (after a change was applied)."""
        for name, data in sorted(files.items()):
            graph = self._graph(name)
            if name in self.files:
                self.store.remove_graph(graph)
            try:
                data.decode("utf-8")
                self.store.bulk_load(input=data, format=ox.RdfFormat.TURTLE, to_graph=graph)
            except (SyntaxError, UnicodeDecodeError):
                parse_file(name, data)  # raises DataFileError with the line and column
                raise
            self.files[name] = data
            self._parsed.pop(name, None)

    def parsed(self, name: str) -> TurtleFile:
        if name not in self._parsed:
            self._parsed[name] = parse_file(name, self.files[name])
        return self._parsed[name]

    def holding(self, t: ox.Triple) -> list[str]:
        """The files that state `t` (no blank nodes in it)."""
        return sorted({self._name(q.graph_name) for q in self.store.quads_for_pattern(t.subject, t.predicate, t.object)})

    def of_subject(self, iri: str) -> Counter:
        """File → how many statements it has about `iri`."""
        return Counter(self._name(q.graph_name) for q in self.store.quads_for_pattern(ox.NamedNode(iri), None, None))

    def of_type(self, type_iri: str) -> Counter:
        """File → how many entries (IRIs) of the type it holds."""
        return Counter(self._name(q.graph_name) for q in self.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE),
                                                                                      ox.NamedNode(type_iri))
                       if isinstance(q.subject, ox.NamedNode))


_scratch = ox.Store()
_scratch_lock = threading.Lock()
_canonical_literals: dict[ox.Literal, ox.Literal] = {}


def canonical(t: ox.Triple) -> ox.Triple:
    """`t` with its literal in the form Oxigraph keeps it ("10.0"^^xsd:decimal → "10"^^xsd:decimal): a change made from
    the store and a file written by hand name the same statement, so they are compared in this form."""
    literal = t.object
    if not isinstance(literal, ox.Literal) or literal.language or literal.datatype.value in (XSD_STRING, RDF_LANG_STRING):
        return t
    with _scratch_lock:
        found = _canonical_literals.get(literal)
        if found is None:
            quad = ox.Quad(_DUMMY_P, _DUMMY_P, literal)
            _scratch.add(quad)
            found = next(iter(_scratch)).object
            _scratch.clear()
            if len(_canonical_literals) > 100_000:
                _canonical_literals.clear()
            _canonical_literals[literal] = found
    return t if found == literal else ox.Triple(t.subject, t.predicate, found)


def _most(counts: Counter) -> str:
    return sorted((-n, name) for name, n in counts.items() if n)[0][1]


def _ancestors(iri: str) -> list[str]:
    """`…/x/period` → [`…/x`, `…`, …]: the entries an IRI may be a part of, the nearest first."""
    out = []
    head, _, _ = iri.rpartition("/")
    while head and "/" in head.partition("://")[2]:
        out.append(head)
        head, _, _ = head.rpartition("/")
    return out


def apply_change(files: Mapping[str, bytes] | DataFiles, removed: Iterable[ox.Triple], added: Iterable[ox.Triple],
                 new_file_prefixes: Mapping[str, str] = PREFIXES) -> AppliedChange:
    """Apply one change (the statements it removes, then those it adds) to the data files (name → bytes, or a
    `DataFiles` kept across several changes: then call its `update` with the result).

    ChangeConflict when a statement to remove is in no file. Statements added that are already there change nothing.
    """
    data = files if isinstance(files, DataFiles) else DataFiles(files)
    removed, added = list(dict.fromkeys(removed)), list(dict.fromkeys(added))
    removals: dict[str, set[ox.Triple]] = defaultdict(set)  # file → its statements that go
    changed: dict[str, set[str]] = defaultdict(set)  # file → the entries whose statements change there
    by_owner: dict[str, list[ox.Triple]] = defaultdict(list)
    owners = _owners(removed)
    for t in removed:
        by_owner[owners[t.subject]].append(t)
    for owner, statements in sorted(by_owner.items()):
        missing: list[str] = []
        for t in statements:
            if _has_blank_nodes([t]):
                continue
            holders = data.holding(t)
            if not holders:
                missing.append(str(t))
            for name in holders:
                removals[name].add(t)
                changed[name].add(owner)
        structured = [t for t in statements if _has_blank_nodes([t])]
        if structured:  # blank-node structures: found by what they say, in the files of the entry
            wanted = Counter(key for key, _ in _structures(owner, structured))
            for name in sorted(data.of_subject(owner)):
                for key, inside in _structures(owner, _closure(owner, data.parsed(name).triples)):
                    if wanted[key]:
                        wanted[key] -= 1
                        removals[name] |= inside
                        changed[name].add(owner)
            missing += [f"<{owner}> <{p}> {k}" for (p, k), n in sorted(wanted.items()) for _ in range(n)]
        if missing:
            raise ChangeConflict(f"the data no longer holds what this change removes: {len(missing)} statement"
                                 f"{'s' if len(missing) != 1 else ''} about <{owner}> "
                                 f"{'are' if len(missing) != 1 else 'is'} in no data file (e.g. {missing[0]}); it was "
                                 "changed since — make the change again from the data as it is now")
    # the statements added, entry by entry, to the file of the entry (or of its type)
    additions: dict[str, list[ox.Triple]] = defaultdict(list)
    owners = _owners(added)
    for t in added:
        additions[owners[t.subject]].append(t)
    placed: dict[str, str] = {}
    into: dict[str, list[ox.Triple]] = defaultdict(list)
    for owner in sorted(additions, key=lambda o: (o.count("/"), o)):  # an entry before its parts
        name = _home_file(owner, additions[owner], data, placed)
        placed[owner] = name
        into[name].extend(additions[owner])
        changed[name].add(owner)
    out: dict[str, bytes] = {}
    whole_files: list[str] = []
    for name in sorted(changed):
        original = data.parsed(name) if name in data.files else None
        old = original.triples if original is not None else []
        going = {canonical(t) for t in removals[name]}
        kept = [t for t in old if canonical(t) not in going]
        fresh = _new_statements(kept, into[name], changed[name])
        if not fresh and len(kept) == len(old):
            continue  # nothing changes in this file (what was added was there already)
        new = kept + fresh
        text, whole = _rewrite(original, name, new, changed[name], new_file_prefixes)
        out[name] = text
        if whole and original is not None:
            whole_files.append(name)
    created = tuple(name for name in out if name not in data.files)
    return AppliedChange(out, tuple(whole_files), created)


def _new_statements(kept: list[ox.Triple], adding: list[ox.Triple], entries: set[str]) -> list[ox.Triple]:
    """What of `adding` the file does not state yet (a blank-node structure counts as there when the entry has one
    that says the same)."""
    present = {canonical(t) for t in kept}
    fresh = [t for t in dict.fromkeys(adding) if canonical(t) not in present]
    if not _has_blank_nodes(fresh):
        return fresh
    for owner in entries:
        have = {key for key, _ in _structures(owner, _closure(owner, kept))}
        again = set().union(*[inside for key, inside in _structures(owner, adding) if key in have])
        fresh = [t for t in fresh if t not in again]
    return fresh


def _home_file(owner: str, statements: list[ox.Triple], data: DataFiles, placed: dict[str, str]) -> str:
    """The file an entry's new statements go to: the one that holds the entry already, else the one of the entry it
    is a part of, else the one with the most entries of its type, else a new one named after its type."""
    holding = data.of_subject(owner)
    if holding:
        return _most(holding)
    for parent in _ancestors(owner):
        if parent in placed:
            return placed[parent]
        found = data.of_subject(parent)
        if found:
            return _most(found)
    types = sorted(t.object.value for t in statements if t.subject.value == owner and t.predicate.value == RDF_TYPE
                   and isinstance(t.object, ox.NamedNode))
    for type_iri in types:
        found = data.of_type(type_iri)
        if found:
            return _most(found)
    return file_name_for_type(types[0]) if types else "entries.ttl"


def _rewrite(original: TurtleFile | None, name: str, triples: list[ox.Triple], changed: set[str],
             new_file_prefixes: Mapping[str, str]) -> tuple[bytes, bool]:
    """The file's new bytes, and whether it was written whole (canonical) rather than block by block: cut by lines
    first (fast, parses only the changed blocks), then by the lexer (parses every block), then whole."""
    if original is not None:
        for cut in (lambda: line_cut(original, changed), lambda: lexer_cut(original)):
            pieces = cut()
            if pieces is not None:
                data = _rewrite_blocks(original, pieces, triples, changed)
                if _parses_to(name, data, triples):
                    return data, False
    data = _canonical_file(original, triples, new_file_prefixes)
    if not _parses_to(name, data, triples):  # pragma: no cover - the canonical writer is checked by the tests
        raise RuntimeError(f"{name}: the canonical Turtle of the changed file does not read back as the same "
                           "statements; nothing was written (please report this)")
    return data, True


def _parses_to(name: str, data: bytes, expected: list[ox.Triple]) -> bool:
    try:
        got, _ = _parse(name, data)
    except DataFileError:
        return False
    return _same_statements(got, expected)


def _rewrite_blocks(original: TurtleFile, pieces: list[Piece], triples: list[ox.Triple], changed: set[str]) -> bytes:
    terms = TermWriter(original.prefixes)
    owners = _owners(triples)
    # only the changed entries are written (a blank node they share with another entry is then written inline, the
    # file no longer reads back as it must, and the lexer's cut or the whole file is tried instead)
    writer = EntryWriter(terms, _Graph(t for t in triples if owners[t.subject] in changed))
    by_entry: dict[str, list[Term]] = defaultdict(list)  # entry → its subjects (itself; blank nodes not inlined)
    for subject, owner in owners.items():
        if owner in changed and not writer.graph.inlined(subject):
            by_entry[owner].append(subject)

    def entry_text(owner: str) -> str:
        subjects = sorted(by_entry.get(owner, []), key=lambda s: _subject_order(s, writer.graph))
        return "".join(writer.entry(s) for s in subjects)

    chunks: list[tuple[str, frozenset[str]]] = []  # text, the entries in it
    written: set[str] = set()
    skip_blank = False
    for piece in pieces:
        if isinstance(piece, str):
            if not (skip_blank and not piece.strip()):
                chunks.append((piece, frozenset()))
            skip_blank = False
            continue
        skip_blank = False
        if not (piece.subjects & changed):
            chunks.append(("".join(piece.lines), piece.subjects))
            continue
        texts = []
        for owner in sorted(piece.subjects):
            if owner not in changed:
                texts.append(_entry_text(piece, owner, terms))
            elif owner not in written:  # an entry written in two blocks: all of it goes into the first
                written.add(owner)
                texts.append(entry_text(owner))
        texts = [t for t in texts if t]
        if texts:
            chunks.append(("".join(piece.lines[: piece.comment_lines]) + "\n".join(texts), piece.subjects))
        else:  # the entry is gone, with its own comment; one blank line stays between its neighbours
            skip_blank = not chunks or not chunks[-1][0].strip()
    for owner in sorted(set(by_entry) - written):  # new to the file: after the entry it is part of, else at the end
        text = entry_text(owner)
        parent = _parent_entry(owner, {o for _, owners in chunks for o in owners})
        index = max((i for i, (_, owners) in enumerate(chunks) if parent in owners), default=None) if parent else None
        if index is None:
            if chunks and not chunks[-1][0].endswith("\n"):
                chunks.append(("\n", frozenset()))
            if chunks and chunks[-1][0].strip():
                chunks.append(("\n", frozenset()))
            chunks.append((text, frozenset({owner})))
        else:
            chunks[index + 1:index + 1] = [("\n", frozenset()), (text, frozenset({owner}))]
    return "".join(text for text, _ in chunks).encode("utf-8")


def _entry_text(piece: Block, owner: str, terms: TermWriter) -> str:
    """An unchanged entry that shares a block with a changed one, in the canonical form."""
    entry = _closure(owner, piece.triples)
    writer = EntryWriter(terms, _Graph(entry))
    return "".join(writer.entry(s) for s in sorted({t.subject for t in entry if not writer.graph.inlined(t.subject)},
                                                   key=lambda s: _subject_order(s, writer.graph)))


def _subject_order(subject: Term, graph: "_Graph") -> tuple[bool, str]:
    """IRIs first, sorted; then blank nodes by what they say (their labels are random)."""
    if isinstance(subject, ox.BlankNode):
        return (True, _structure_key(subject, graph))
    return (False, str(subject))


def _canonical_file(original: TurtleFile | None, triples: list[ox.Triple], new_file_prefixes: Mapping[str, str]) -> bytes:
    """The whole file in the canonical form: its first comment lines, its prefixes, its entries sorted by subject."""
    if original is not None:
        prefixes = original.prefixes
        top = []
        for line in original.text.splitlines(keepends=True):
            if not line.lstrip().startswith("#"):
                break
            top.append(line if line.endswith("\n") else line + "\n")
    else:
        prefixes, top = dict(new_file_prefixes), []
    terms = TermWriter(prefixes)
    writer = EntryWriter(terms, _Graph(triples))
    subjects = sorted({t.subject for t in triples if not writer.graph.inlined(t.subject)},
                      key=lambda s: _subject_order(s, writer.graph))
    body = "\n".join(writer.entry(s) for s in subjects)
    shown = prefixes if original is not None else {k: v for k, v in prefixes.items() if k in terms.used}
    width = max((len(k) for k in shown), default=0) + 2
    head = "".join(f"@prefix {(name + ':').ljust(width)}{ox.NamedNode(ns)} .\n" for name, ns in sorted(shown.items()))
    if original is None and not top:
        top = ["# Written by hki's workspace (graph/workspace/turtle_files.py) for the entries published there.\n"]
    return ("".join(top) + head + ("\n" if body else "") + body).encode("utf-8")


__all__ = ["AppliedChange", "ChangeConflict", "EntryWriter", "TermWriter", "TurtleFile", "apply_change",
           "file_name_for_type", "parse_file"]
