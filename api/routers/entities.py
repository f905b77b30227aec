"""The JSON API for applications under `/api/…`: search entities by label, an entity's summary, its neighbours.

A thin router over `graph.views.entities`: it checks parameters, calls the catalogue and maps dataclasses to
the Pydantic models that OpenAPI (`/docs`) documents.
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from graph.config import Settings
from graph.views.entities import EntityCatalogue, Link, Name, SearchHit, expand_name
from graph.store import KnowledgeStore

Lang = Literal["de", "en"]


class LabelModel(BaseModel):
    text: str
    lang: str = Field(description="Language tag; empty for a plain string.")


class SearchHitModel(BaseModel):
    iri: str
    label: str = Field(description="The label in the requested language (or the best available).")
    labels: dict[str, str] = Field(description="Display label per language tag.")
    types: list[str]
    match: Literal["exact", "prefix", "word-prefix", "substring"]
    matched: LabelModel = Field(description="The name that matched the search text.")


class SearchResultModel(BaseModel):
    query: str
    types: list[str]
    results: list[SearchHitModel]


class TypeModel(BaseModel):
    iri: str
    label: str


class EntityModel(BaseModel):
    iri: str
    label: str
    labels: dict[str, str]
    alt_labels: list[LabelModel]
    descriptions: dict[str, str] = Field(description="dct:description (or skos:definition) per language.")
    types: list[TypeModel]
    same_as: list[str] = Field(description="owl:sameAs links, e.g. to Wikidata and GeoNames.")
    links: list[str] = Field(description="Web pages: foaf:homepage, foaf:page.")
    sources: list[str] = Field(description="dct:source: where the facts come from.")
    statements: int = Field(description="Number of statements with this entity as subject.")
    mentioned_by: int = Field(description="Number of statements with this entity as object.")


class NeighbourModel(BaseModel):
    direction: Literal["out", "in"] = Field(description="out: entity → neighbour; in: neighbour → entity.")
    predicate: str
    predicate_label: str
    iri: str
    label: str
    types: list[str]


class NeighboursModel(BaseModel):
    iri: str
    label: str
    neighbours: list[NeighbourModel]
    truncated: bool = Field(description="True if there were more than `limit` neighbours.")


def _label(name: Name) -> LabelModel:
    return LabelModel(text=name.text, lang=name.lang)


def _hit(hit: SearchHit) -> SearchHitModel:
    return SearchHitModel(iri=hit.iri, label=hit.label, labels=hit.labels, types=list(hit.types),
                          match=hit.match, matched=_label(hit.matched))  # type: ignore[arg-type]


def _neighbour(link: Link) -> NeighbourModel:
    return NeighbourModel(direction=link.direction, predicate=link.predicate,  # type: ignore[arg-type]
                          predicate_label=link.predicate_label, iri=link.iri, label=link.label, types=list(link.types))


IriParam = Annotated[str, Query(description="A full IRI (https://w3id.org/hki/id/city/bristol) or a prefixed "
                                            "name (schema:City).", min_length=1, max_length=2000)]
LangParam = Annotated[Lang | None, Query(description="Language of the labels returned (de or en).")]


class EntityRouter(APIRouter):
    """`/api/search`, `/api/entity`, `/api/neighbours` over one store."""

    def __init__(self, store: KnowledgeStore, settings: Settings):
        super().__init__(prefix="/api", tags=["Entities"])
        self.catalogue = EntityCatalogue(store)
        self.settings = settings
        self.add_api_route("/search", self.search, methods=["GET"], response_model=SearchResultModel,
                           summary="Search entities by label (German or English; prefix and substring, ranked)")
        self.add_api_route("/entity", self.entity, methods=["GET"], response_model=EntityModel,
                           responses={404: {"description": "The graph says nothing about this IRI."}},
                           summary="Summary of one entity: labels, types, links, sources")
        self.add_api_route("/neighbours", self.neighbours, methods=["GET"], response_model=NeighboursModel,
                           summary="The IRIs an entity links to and is linked from")

    # A name that is not an IRI (EntityError) and the store's errors are answered from the one table of
    # api/web/errors.py: 400, 504, 503 with Retry-After, 502, … as JSON {"detail": …}.
    def _iri(self, name: str) -> str:
        return expand_name(name)

    def search(self,
               q: Annotated[str, Query(description="Text to find in labels: matches whole labels, their start, "
                                                   "the start of a word, or anywhere; case and accents are ignored.",
                                       min_length=1, max_length=200)],
               type: Annotated[list[str] | None, Query(description="Only entities of this class (IRI or prefixed "
                                                                   "name, e.g. schema:City); repeatable.")] = None,
               lang: LangParam = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 20) -> SearchResultModel:
        types = [self._iri(t) for t in (type or [])]
        hits = self.catalogue.search(q, types=types, lang=lang or self.settings.lang, limit=limit)
        return SearchResultModel(query=q, types=types, results=[_hit(h) for h in hits])

    def entity(self, iri: IriParam, lang: LangParam = None) -> EntityModel:
        full = self._iri(iri)
        summary = self.catalogue.summary(full, lang or self.settings.lang)
        if summary is None:
            raise HTTPException(404, f"the graph has no statements about {full}; find entities with /api/search?q=…")
        return EntityModel(
            iri=summary.iri, label=summary.label, labels=summary.labels,
            alt_labels=[_label(n) for n in summary.alt_labels], descriptions=summary.descriptions,
            types=[TypeModel(iri=t, label=label) for t, label in summary.types], same_as=summary.same_as,
            links=summary.links, sources=summary.sources, statements=summary.statements,
            mentioned_by=summary.mentioned_by)

    def neighbours(self, iri: IriParam, lang: LangParam = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> NeighboursModel:
        full = self._iri(iri)
        language = lang or self.settings.lang
        links, truncated = self.catalogue.neighbours(full, language, limit)
        label = self.catalogue.index().get(full).label(language)
        return NeighboursModel(iri=full, label=label, neighbours=[_neighbour(link) for link in links],
                               truncated=truncated)
