"""What the home city's page shows of the world network: candidate partners, with the partners each is
twinned with and who says so, as plain values for api/templates/_candidates.html (which words them
from the gettext catalogues, keys `world.*`).

The world network is read once per store (three queries, ~1–2 s on the 10,000-item extract), on the
first visit of the home city's page; other pages never read it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from graph.analysis.world_measures import candidates
from graph.analysis.world_network import WorldNetwork, read_world_network
from graph.store import KnowledgeStore, graph_iri
from graph.vocabulary import DCT, RDFS

PROV = "http://www.w3.org/ns/prov#"
SHOWN = 10  # candidates on the page; the rest: kg analyze candidates, /api/analysis/world/candidates


@dataclass(frozen=True)
class PartnerMention:
    """One of the home city's twin cities a candidate is twinned with."""

    iri: str
    label: str
    only_wikidata: bool  # only Wikidata says it is the home city's twin city


@dataclass(frozen=True)
class CandidateMention:
    rank: int
    iri: str
    label: str
    count: int
    partners: list[PartnerMention]
    according_to_wikidata: bool  # at least one of its twinnings is known only from Wikidata


@dataclass(frozen=True)
class CandidatesSection:
    """The candidates on the home city's page, and where the world network comes from."""

    home_label: str
    items: list[CandidateMention]
    total: int
    sources: list[tuple[str, str]]  # (label of the import, its retrieval date as written)


class WorldViews:
    """The world network of one store, read on first use, and what pages show of it."""

    def __init__(self, store: KnowledgeStore):
        self.store = store
        self._network: WorldNetwork | None = None
        self._sections: dict[str, CandidatesSection | None] = {}
        self._lock = threading.Lock()

    def network(self) -> WorldNetwork:
        with self._lock:
            if self._network is None:
                self._network = read_world_network(self.store)
            return self._network

    def _sources(self) -> list[tuple[str, str]]:
        context = graph_iri(self.store.settings.base, "context")
        rows = self.store.select(f"""
            SELECT ?import ?label ?issued WHERE {{ GRAPH <{context}> {{
              ?import a <{PROV}Entity> ; <{RDFS}label> ?label .
              OPTIONAL {{ ?import <{DCT}issued> ?issued }}
            }} }} ORDER BY ?import""", trusted=True)
        return [(r["label"].value, r["issued"].value if "issued" in r else "") for r in rows]

    def candidates_section(self, iri: str, lang: str, shown: int = SHOWN) -> CandidatesSection | None:
        """The candidate partners for the page of `iri` when it is the home city and a context is loaded, else None."""
        net = self.network()
        if iri != net.home or not net.has_context:
            return None
        with self._lock:
            if lang in self._sections:
                return self._sections[lang]
        found = candidates(net)
        items = [CandidateMention(c.rank, c.iri, c.label_de if lang == "de" else c.label_en, c.count,
                                  [PartnerMention(p.iri, p.label_de if lang == "de" else p.label,
                                                  p.partner_source == "wikidata") for p in c.shared],
                                  any(s == "wikidata" for s in c.links_from.values()))
                 for c in found[:shown]]
        section = CandidatesSection(net.label(net.home, lang), items, len(found), self._sources())
        with self._lock:
            self._sections[lang] = section
        return section
