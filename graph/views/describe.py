"""What the server says about one IRI when it is dereferenced: its description as RDF.

The description of an IRI (the "concise bounded description" a linked-data client gets) holds:
- every statement with the IRI as subject;
- the statements of its sub-nodes: IRIs *under* it (`…/bristol/geometry`, `…/membership/x/period`,
  `…/period` → `…/start`) that it links to, up to two steps — the parts of an n-ary node;
- the labels (rdfs:label, skos:prefLabel) and types of everything it links to and is linked from;
- the statements that link *to* it, bounded (`incoming_limit`); when there are more, the
  description says how many and `truncated` is set, so the caller can point to the full list;
- the licence of the dataset (`<base>dataset dct:license <licence>`).
The ontology IRI is described by the whole ontology graph.

Only `KnowledgeStore.select` is used; IRIs go into queries only after `sparql_iri` has checked them.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from graph.views.entities import sparql_iri
from graph.store import KnowledgeStore
from ontology import ONTOLOGY_IRI

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
DCT_LICENSE = "http://purl.org/dc/terms/license"
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
INCOMING_LIMIT = 100
INCOMING_MAX = 10_000  # "all" incoming links still has a ceiling


@dataclass(frozen=True)
class Description:
    """The statements served for one IRI, and whether the incoming links were cut."""

    iri: str
    triples: list[ox.Triple]
    incoming_total: int
    incoming_shown: int

    @property
    def truncated(self) -> bool:
        return self.incoming_shown < self.incoming_total


def _literal(value: str) -> str:
    """A checked IRI as a SPARQL string literal (sparql_iri rejects quotes, backslashes and controls)."""
    return '"' + value + '"'


class Describer:
    """Builds descriptions of IRIs over one store."""

    def __init__(self, store: KnowledgeStore):
        self.store = store
        self.base = store.settings.base

    def _select(self, sparql: str) -> list[dict]:
        return self.store.select(sparql, timeout=self.store.settings.page_query_timeout, trusted=True)

    def exists(self, iri: str) -> bool:
        """Whether the graph says anything about `iri` (as subject), or it is the ontology."""
        ref = sparql_iri(iri)
        return bool(self._select(f"SELECT ?p WHERE {{ {ref} ?p ?o }} LIMIT 1"))

    def describe(self, iri: str, incoming_limit: int = INCOMING_LIMIT) -> Description:
        """The description of `iri` (see the module docstring)."""
        ref = sparql_iri(iri)
        if iri == str(ONTOLOGY_IRI):
            rows = self._select(f"SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH <{self.store.graph('ontology')}> {{ ?s ?p ?o }} }}")
            triples = [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]
            return Description(iri, self._with_licence(triples), 0, 0)
        under = _literal(iri.rstrip("/") + "/")
        own = self._select(f"""
            SELECT DISTINCT ?s ?p ?o WHERE {{
              {{ {ref} ?p ?o BIND({ref} AS ?s) }}
              UNION {{ {ref} ?p1 ?s FILTER(isIRI(?s) && STRSTARTS(STR(?s), {under})) ?s ?p ?o }}
              UNION {{ {ref} ?p1 ?m FILTER(isIRI(?m) && STRSTARTS(STR(?m), {under}))
                       ?m ?p2 ?s FILTER(isIRI(?s) && STRSTARTS(STR(?s), {under})) ?s ?p ?o }}
            }}""")
        limit = max(0, min(int(incoming_limit), INCOMING_MAX))
        incoming = self._select(
            f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {ref} FILTER(isIRI(?s)) }} ORDER BY ?p ?s LIMIT {limit + 1}")
        total = len(incoming)
        if total > limit:
            counted = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {ref} }} }}")
            total = int(counted[0]["n"].value)
            incoming = incoming[:limit]
        triples = [ox.Triple(r["s"], r["p"], r["o"]) for r in own]
        triples += [ox.Triple(r["s"], r["p"], ox.NamedNode(iri)) for r in incoming]
        described = {t.subject for t in triples if t.subject.value == iri or t.subject.value.startswith(iri.rstrip("/") + "/")}
        mentioned = {t.object for t in triples if isinstance(t.object, ox.NamedNode)}
        mentioned |= {t.subject for t in triples}
        triples += self._labels_and_types(sorted(m.value for m in mentioned - described))
        return Description(iri, self._with_licence(_unique(triples)), total, len(incoming))

    def _labels_and_types(self, iris: list[str]) -> list[ox.Triple]:
        out: list[ox.Triple] = []
        for start in range(0, len(iris), 200):
            chunk = " ".join(sparql_iri(i) for i in iris[start:start + 200])
            rows = self._select(f"""
                SELECT DISTINCT ?x ?p ?v WHERE {{
                  VALUES ?x {{ {chunk} }}
                  VALUES ?p {{ <{RDFS_LABEL}> <{SKOS_PREF_LABEL}> <{RDF_TYPE}> }}
                  ?x ?p ?v }}""")
            out += [ox.Triple(r["x"], r["p"], r["v"]) for r in rows]
        return out

    def _with_licence(self, triples: list[ox.Triple]) -> list[ox.Triple]:
        licence = ox.Triple(ox.NamedNode(self.base + "dataset"), ox.NamedNode(DCT_LICENSE),
                            ox.NamedNode(self.store.settings.licence))
        return triples + [licence] if licence not in triples else triples


def _unique(triples: list[ox.Triple]) -> list[ox.Triple]:
    return list(dict.fromkeys(triples))


def see_also(description: Description, more_url: str) -> list[ox.Triple]:
    """The description, plus `<iri> rdfs:seeAlso <more_url>` when its incoming links were cut."""
    if not description.truncated:
        return description.triples
    return description.triples + [ox.Triple(ox.NamedNode(description.iri), ox.NamedNode(RDFS_SEE_ALSO),
                                            ox.NamedNode(more_url))]


__all__ = ["Describer", "Description", "INCOMING_LIMIT", "INCOMING_MAX", "see_also"]
