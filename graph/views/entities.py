"""Looking up entities of the graph: search by label, a summary of one entity, its neighbours.

Three layers, as in pyLODE: a few fixed SPARQL queries over the store → plain dataclasses → whatever
renders them (the JSON API). User text never becomes SPARQL: search filters labels in Python (the
label index is small and built once per data version), and an IRI is placed into a query only after
`sparql_iri` has checked it is one.
"""
from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from graph.store import KnowledgeStore
from ontology import PREFIXES

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
FOAF = "http://xmlns.com/foaf/0.1/"

# Which label to show, best first: rdfs:label is the curated display name (SDGs: "SDG 13: …").
LABEL_PREDICATES = (RDFS_LABEL, SKOS + "prefLabel", SKOS + "altLabel", DCT + "title")
DESCRIPTION_PREDICATES = (DCT + "description", SKOS + "definition", "http://www.w3.org/2000/01/rdf-schema#comment")
LINK_PREDICATES = (FOAF + "homepage", FOAF + "page")


class EntityError(ValueError):
    """A name that is not an IRI or known prefixed name; the message says what would be valid."""


def sparql_iri(iri: str) -> str:
    """`iri` as a SPARQL IRI reference `<…>`, or EntityError if it is not an absolute IRI.

    Oxigraph's IRI parser rejects every character that could end the reference or start an escape
    (`>`, `"`, `{`, `}`, `\\`, spaces, controls), so the result can be placed in a query as it is.
    """
    if not isinstance(iri, str) or not iri:
        raise EntityError("an IRI is required, e.g. https://w3id.org/hki/id/city/bristol")
    try:
        node = ox.NamedNode(iri)
    except ValueError as exc:
        raise EntityError(f"{iri!r} is not an absolute IRI ({exc}); give one like "
                          "https://w3id.org/hki/id/city/bristol or a prefixed name like schema:City") from None
    if any(c in iri for c in '<>"{}|^`\\') or any(ord(c) <= 0x20 for c in iri):
        raise EntityError(f"{iri!r} contains a character not allowed in an IRI")
    return str(node)


def expand_name(name: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """A full IRI for `name`: a full http(s)/urn IRI as it is, or a prefixed name like `schema:City`."""
    name = name.strip()
    prefix, colon, local = name.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        name = prefixes[prefix] + local
    elif colon and not local.startswith("//") and prefix not in ("urn", "mailto", "tag"):
        raise EntityError(f"unknown prefix {prefix!r} in {name!r}; known prefixes: {', '.join(sorted(prefixes))} "
                          "(or give the full IRI)")
    sparql_iri(name)
    return name


def normalise(text: str) -> str:
    """Text for matching: accents removed, case folded, runs of spaces as one ('Poznań ' → 'poznan')."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


# ------------------------------------------------------------------------------------------ values

@dataclass(frozen=True)
class Name:
    text: str
    lang: str
    predicate: str


@dataclass
class Entity:
    """An IRI with its names and types, as the label index holds it."""

    iri: str
    names: list[Name] = field(default_factory=list)
    types: set[str] = field(default_factory=set)

    def label(self, lang: str) -> str:
        """The best name in `lang` (then English, German, any), or the IRI's last segment."""
        for wanted in (lang, "en", "de", ""):
            for predicate in LABEL_PREDICATES:
                for name in self.names:
                    if name.predicate == predicate and name.lang == wanted:
                        return name.text
        if self.names:
            return self.names[0].text
        return self.iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or self.iri

    def labels(self) -> dict[str, str]:
        """The display label per language tag."""
        out: dict[str, str] = {}
        for predicate in LABEL_PREDICATES:
            for name in self.names:
                if name.predicate == predicate and name.lang not in out:
                    out[name.lang] = name.text
        return out


MATCH_KINDS = ("exact", "prefix", "word-prefix", "substring")


@dataclass(frozen=True)
class SearchHit:
    iri: str
    label: str
    labels: dict[str, str]
    types: tuple[str, ...]
    match: str  # one of MATCH_KINDS
    matched: Name


@dataclass(frozen=True)
class Link:
    """An edge between the entity and another IRI; `direction` is 'out' (entity → iri) or 'in'."""

    direction: str
    predicate: str
    predicate_label: str
    iri: str
    label: str
    types: tuple[str, ...]


@dataclass(frozen=True)
class EntitySummary:
    iri: str
    label: str
    labels: dict[str, str]
    alt_labels: list[Name]
    descriptions: dict[str, str]
    types: list[tuple[str, str]]  # (type IRI, its label)
    same_as: list[str]
    links: list[str]
    sources: list[str]
    statements: int
    mentioned_by: int


# ------------------------------------------------------------------------------------------ index

def _match_rank(query: str, text: str) -> int | None:
    if text == query:
        return 0
    if text.startswith(query):
        return 1
    if any(word.startswith(query) for word in text.replace("-", " ").replace("–", " ").split()[1:]):
        return 2
    if query in text:
        return 3
    return None


class LabelIndex:
    """Every IRI that has a name, with its names and types; searched in Python, never in SPARQL."""

    def __init__(self, entities: dict[str, Entity]):
        self.entities = entities
        self._normalised = {iri: [(normalise(n.text), n) for n in e.names] for iri, e in entities.items()}

    @classmethod
    def from_rows(cls, label_rows: Iterable[dict], type_rows: Iterable[dict]) -> "LabelIndex":
        entities: dict[str, Entity] = {}
        for row in label_rows:
            literal = row["label"]
            entity = entities.setdefault(row["s"].value, Entity(row["s"].value))
            entity.names.append(Name(literal.value, literal.language or "", row["p"].value))
        for row in type_rows:
            entities.setdefault(row["s"].value, Entity(row["s"].value)).types.add(row["type"].value)
        return cls(entities)

    def get(self, iri: str) -> Entity:
        return self.entities.get(iri) or Entity(iri)

    def search(self, text: str, *, types: Sequence[str] = (), lang: str = "de", limit: int = 20) -> list[SearchHit]:
        """Entities whose name (any language) equals, starts with, has a word starting with, or contains `text`.

        Ranked by that order, then names in `lang` first, then shorter labels, then alphabetically.
        """
        query = normalise(text)
        if not query:
            raise EntityError("the search text is empty; give at least one letter, e.g. q=bris")
        wanted = set(types)
        ranked = []
        for iri, names in self._normalised.items():
            entity = self.entities[iri]
            if wanted and not (entity.types & wanted):
                continue
            best: tuple[int, int, int, str] | None = None
            best_name: Name | None = None
            for normalised_text, name in names:
                rank = _match_rank(query, normalised_text)
                if rank is None:
                    continue
                key = (rank, 0 if name.lang == lang else 1, len(name.text), name.text)
                if best is None or key < best:
                    best, best_name = key, name
            if best is not None and best_name is not None:
                ranked.append((best, iri, best_name))
        ranked.sort()
        return [SearchHit(iri, self.entities[iri].label(lang), self.entities[iri].labels(),
                          tuple(sorted(self.entities[iri].types)), MATCH_KINDS[key[0]], name)
                for key, iri, name in ranked[:limit]]


_LABELS_QUERY = "SELECT ?s ?p ?label WHERE { VALUES ?p { %s } ?s ?p ?label FILTER(isIRI(?s) && isLiteral(?label)) }" % (
    " ".join(f"<{p}>" for p in LABEL_PREDICATES))
_TYPES_QUERY = f"SELECT DISTINCT ?s ?type WHERE {{ ?s <{RDF_TYPE}> ?type FILTER(isIRI(?s) && isIRI(?type)) }}"


class EntityCatalogue:
    """Search, summaries and neighbours over one store; the label index is rebuilt when the data changes."""

    def __init__(self, store: KnowledgeStore):
        self.store = store
        self._index: LabelIndex | None = None
        self._index_version: str | None = None
        self._lock = threading.Lock()

    def index(self) -> LabelIndex:
        with self._lock:
            if self._index is None or self._index_version != self.store.fingerprint:
                self._index = LabelIndex.from_rows(self._select(_LABELS_QUERY), self._select(_TYPES_QUERY))
                self._index_version = self.store.fingerprint
            return self._index

    def _select(self, sparql: str) -> list[dict]:
        return self.store.select(sparql, timeout=self.store.settings.page_query_timeout, trusted=True)

    def search(self, text: str, *, types: Sequence[str] = (), lang: str = "de", limit: int = 20) -> list[SearchHit]:
        return self.index().search(text, types=types, lang=lang, limit=limit)

    def summary(self, iri: str, lang: str = "de") -> EntitySummary | None:
        """Labels, descriptions, types and links of `iri`; None if the graph says nothing about it."""
        ref = sparql_iri(iri)
        rows = self._select(f"SELECT ?p ?o WHERE {{ {ref} ?p ?o }}")
        incoming = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p {ref} }}")
        mentioned_by = int(incoming[0]["n"].value) if incoming else 0
        if not rows and not mentioned_by:
            return None
        index = self.index()
        entity = index.get(iri)
        by_predicate: dict[str, list] = {}
        for row in rows:
            by_predicate.setdefault(row["p"].value, []).append(row["o"])

        def iris(*predicates: str) -> list[str]:
            return sorted({o.value for p in predicates for o in by_predicate.get(p, []) if isinstance(o, ox.NamedNode)})

        descriptions: dict[str, str] = {}
        for predicate in DESCRIPTION_PREDICATES:
            for o in by_predicate.get(predicate, []):
                if isinstance(o, ox.Literal):
                    descriptions.setdefault(o.language or "", o.value)
        alt = [Name(o.value, o.language or "", SKOS + "altLabel")
               for o in by_predicate.get(SKOS + "altLabel", []) if isinstance(o, ox.Literal)]
        types = [(t, index.get(t).label(lang)) for t in iris(RDF_TYPE)]
        return EntitySummary(iri, entity.label(lang), entity.labels(), alt, descriptions, types,
                             iris(OWL_SAME_AS), iris(*LINK_PREDICATES), iris(DCT + "source"),
                             len(rows), mentioned_by)

    def neighbours(self, iri: str, lang: str = "de", limit: int = 200) -> tuple[list[Link], bool]:
        """IRIs linked to or from `iri` (not its classes: rdf:type is in the summary), and whether cut at `limit`."""
        ref = sparql_iri(iri)
        rows = self._select(
            f"SELECT ?dir ?p ?n WHERE {{ "
            # BIND first in each branch: Virtuoso 7.2 fails (SP031) on a BIND after a triple in a UNION.
            f"{{ BIND(\"out\" AS ?dir) {ref} ?p ?n FILTER(isIRI(?n) && ?p != <{RDF_TYPE}>) }} UNION "
            f"{{ BIND(\"in\" AS ?dir) ?n ?p {ref} FILTER(isIRI(?n)) }} }} "
            f"ORDER BY ?dir ?p ?n LIMIT {int(limit) + 1}")
        index = self.index()
        links = [Link(r["dir"].value, r["p"].value, index.get(r["p"].value).label(lang), r["n"].value,
                      index.get(r["n"].value).label(lang), tuple(sorted(index.get(r["n"].value).types)))
                 for r in rows[:limit]]
        return links, len(rows) > limit
