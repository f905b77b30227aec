"""JSON endpoints of the network analysis, `/api/analysis/…`, for the explorer, the pages and scripts.

A thin router over `graph.analysis`: it receives the store, computes the projections once on the
first request (the store does not change while it is served) and turns results into the pydantic
models below, which document every field in the OpenAPI description (`/docs`).

Status codes: 200 an answer; 400 a name that fits several resources (the message lists their IRIs);
404 a name that fits none (the message suggests close labels); 422 a parameter outside its allowed
values (FastAPI's standard validation answer, naming the parameter); the store's errors (504, 503, 502, …)
as every router has them, from the one table of api/web/errors.py.
"""
from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from graph.analysis import (
    NoConnection,
    Projections,
    brokers,
    communities,
    connections,
    core,
    coverage_matrix,
    fragile_links,
    gaps,
    hubs,
    influence,
    projections,
    sdg_co_occurrence,
    sdg_coverage,
)
from graph.analysis.metrics import DEFAULT_SEED, Ranking
from graph.config import Settings
from graph.store import KnowledgeStore

Network = Literal["full", "partners"]
NetworkQuery = Annotated[Network, Query(description="`full`: every typed resource of the graph; "
                                                     "`partners`: places linked by their partnerships.")]
TopQuery = Annotated[int | None, Query(ge=1, le=10_000, description="Only the first N results.")]
SeedQuery = Annotated[int, Query(description="Random seed (communities, sampled brokerage): same seed, same answer.")]


# ---------------------------------------------------------------------------------------- models

class RankedNodeModel(BaseModel):
    rank: int
    iri: str
    label: str
    kind: str = Field(description="What the resource is, e.g. City, Measure, SDG.")
    links: int = Field(description="Number of distinct neighbours.")
    score: float


class RankingModel(BaseModel):
    measure: str = Field(description="hubs, brokers or influence.")
    score_name: str = Field(description="Plain-language name of `score`.")
    explanation: str
    note: str = Field(description="How the score was computed (exact, sampled, method).")
    network: Network
    nodes: list[RankedNodeModel]


class CommunityModel(BaseModel):
    number: int = Field(description="1 is the largest community.")
    size: int
    central_member: str = Field(description="Label of the member with the most links inside the community.")
    members: list[str]
    member_labels: list[str]


class CommunitiesModel(BaseModel):
    network: Network
    modularity: float = Field(description="How clear-cut the communities are (−0.5…1; above ~0.3: clearly there).")
    seed: int
    resolution: float
    communities: list[CommunityModel]


class FragileLinkModel(BaseModel):
    source: str
    source_label: str
    target: str
    target_label: str
    cut_off: int = Field(description="Nodes on the smaller side, which this link alone keeps connected.")


class CutPointModel(BaseModel):
    iri: str
    label: str
    kind: str
    pieces: int = Field(description="Parts the network falls into without this node.")
    cut_off: int = Field(description="Nodes no longer reachable from the largest remaining part.")


class FragilityModel(BaseModel):
    network: Network
    links: list[FragileLinkModel]
    cut_points: list[CutPointModel]


class CoreModel(BaseModel):
    network: Network
    k: int = Field(description="Every core member is linked to at least k other members.")
    members: list[str]
    member_labels: list[str]


class StepModel(BaseModel):
    subject: str
    subject_label: str
    predicate: str
    predicate_label: str
    predicate_label_de: str
    object: str
    object_label: str
    forward: bool = Field(description="True when the path walks from subject to object.")


class ConnectionModel(BaseModel):
    source: str
    source_label: str
    target: str
    target_label: str
    steps: list[StepModel]
    sentence_en: str
    sentence_de: str


class PathModel(BaseModel):
    connected: bool
    message: str = Field(description="Why there is no connection, when there is none.")
    connections: list[ConnectionModel]


class SdgCoverageModel(BaseModel):
    iri: str
    label: str
    kind: str
    notation: str
    sdgs: list[int] = Field(description="Numbers of the SDGs the goal or measure addresses.")


class CoverageMatrixModel(BaseModel):
    rows: list[str] = Field(description="IRIs of the goals and measures.")
    row_labels: list[str]
    row_notations: list[str]
    columns: list[int] = Field(description="SDG numbers.")
    column_labels: list[str]
    cells: list[list[int]] = Field(description="1: the row addresses the SDG; 2: only through a goal "
                                               "the measure contributes to (with through_goals); 0: not.")


class SdgCoverageResponse(BaseModel):
    items: list[SdgCoverageModel]
    matrix: CoverageMatrixModel


class SdgPairModel(BaseModel):
    sdg_a: int
    sdg_b: int
    label_a: str
    label_b: str
    together: int = Field(description="Goals and measures that address both.")


class ResourceModel(BaseModel):
    iri: str
    label: str
    label_de: str
    kind: str


class GapsModel(BaseModel):
    sdgs_without_measure: list[ResourceModel]
    sdgs_without_goal_or_measure: list[ResourceModel]
    goals_without_measure: list[ResourceModel]
    partners_without_measure: list[ResourceModel]


# ---------------------------------------------------------------------------------------- router

class AnalysisRouter(APIRouter):
    """`/api/analysis/…` for one store."""

    def __init__(self, store: KnowledgeStore, settings: Settings | None = None):
        super().__init__(prefix="/api/analysis", tags=["analysis"])
        self.store = store
        self.settings = settings
        self._views: Projections | None = None
        self._lock = threading.Lock()
        routes = [
            ("/hubs", self.hubs, RankingModel, "Hubs: the resources with the most direct links"),
            ("/brokers", self.brokers, RankingModel, "Brokers: resources on many shortest paths between others"),
            ("/influence", self.influence, RankingModel, "Influence: linked to the well-linked (PageRank, eigenvector)"),
            ("/communities", self.communities, CommunitiesModel, "Communities (Louvain, seeded) and modularity"),
            ("/fragile", self.fragile, FragilityModel, "Fragile links (bridges) and cut points (articulation points)"),
            ("/core", self.core, CoreModel, "The densely knit centre (innermost k-core)"),
            ("/path", self.path, PathModel, "How two resources are connected, told as sentences (en, de)"),
            ("/sdg-coverage", self.sdg_coverage, SdgCoverageResponse, "SDGs per goal and measure, and the coverage matrix"),
            ("/sdg-co-occurrence", self.sdg_co_occurrence, list[SdgPairModel], "SDGs addressed together"),
            ("/gaps", self.gaps, GapsModel, "SDGs, goals and partners that no measure covers"),
        ]
        for path, handler, model, summary in routes:
            self.add_api_route(path, handler, methods=["GET"], response_model=model, summary=summary)

    def views(self) -> Projections:
        """The projections, computed on first use (under a lock: handlers run in a thread pool)."""
        with self._lock:
            if self._views is None:
                self._views = projections(self.store)
            return self._views

    # -- handlers (def: they run in the thread pool)
    def _ranking(self, ranking: Ranking, network: str) -> RankingModel:
        return RankingModel(measure=ranking.measure, score_name=ranking.score_name, explanation=ranking.explanation,
                            note=ranking.note, network=network,
                            nodes=[RankedNodeModel(**vars(n)) for n in ranking.nodes])

    def hubs(self, network: NetworkQuery = "full", top: TopQuery = None) -> RankingModel:
        return self._ranking(hubs(self.views().undirected(network), top), network)

    def brokers(self, network: NetworkQuery = "full", top: TopQuery = None, seed: SeedQuery = DEFAULT_SEED) -> RankingModel:
        return self._ranking(brokers(self.views().undirected(network), top, seed=seed), network)

    def influence(self, network: NetworkQuery = "full", top: TopQuery = None,
                  method: Annotated[Literal["pagerank", "eigenvector"], Query()] = "pagerank") -> RankingModel:
        graph = self.views().undirected(network)  # outside the try: a store error is no 422 (api/web/errors.py)
        try:
            return self._ranking(influence(graph, top, method=method), network)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    def communities(self, network: NetworkQuery = "full", seed: SeedQuery = DEFAULT_SEED,
                    resolution: Annotated[float, Query(gt=0, le=10, description="Higher: more, smaller communities.")] = 1.0
                    ) -> CommunitiesModel:
        found = communities(self.views().undirected(network), seed=seed, resolution=resolution)
        return CommunitiesModel(network=network, modularity=found.modularity, seed=found.seed, resolution=found.resolution,
                                communities=[CommunityModel(**vars(c)) for c in found.communities])

    def fragile(self, network: NetworkQuery = "full", top: TopQuery = None) -> FragilityModel:
        found = fragile_links(self.views().undirected(network))
        return FragilityModel(network=network, links=[FragileLinkModel(**vars(b)) for b in found.links[:top]],
                              cut_points=[CutPointModel(**vars(c)) for c in found.cut_points[:top]])

    def core(self, network: NetworkQuery = "full") -> CoreModel:
        found = core(self.views().undirected(network))
        return CoreModel(network=network, k=found.k, members=found.members, member_labels=found.member_labels)

    def path(self, source: Annotated[str, Query(alias="from", description="IRI or label (de/en) of A.")],
             target: Annotated[str, Query(alias="to", description="IRI or label (de/en) of B.")],
             limit: Annotated[int, Query(ge=1, le=20, description="At most this many shortest connections.")] = 3
             ) -> PathModel:
        # A name that fits nothing (404) or several resources (400) is answered from api/web/errors.py's table;
        # no connection is an answer, not an error.
        full = self.views().full
        try:
            found = connections(full, source, target, limit=limit)
        except NoConnection as exc:
            return PathModel(connected=False, message=str(exc), connections=[])
        return PathModel(connected=True, message="", connections=[
            ConnectionModel(**{**vars(c), "steps": [StepModel(**vars(s)) for s in c.steps]}) for c in found])

    def sdg_coverage(self, through_goals: Annotated[bool, Query(
            description="Count a measure also for the SDGs of the goals it contributes to (cells of 2).")] = False
                     ) -> SdgCoverageResponse:
        full = self.views().full
        matrix = coverage_matrix(full, through_goals=through_goals)
        return SdgCoverageResponse(
            items=[SdgCoverageModel(**vars(c)) for c in sdg_coverage(full)],
            matrix=CoverageMatrixModel(rows=[r.iri for r in matrix.rows], row_labels=[r.label for r in matrix.rows],
                                       row_notations=matrix.row_notations, columns=matrix.columns,
                                       column_labels=matrix.column_labels, cells=matrix.cells))

    def sdg_co_occurrence(self) -> list[SdgPairModel]:
        return [SdgPairModel(**vars(p)) for p in sdg_co_occurrence(self.views().full)[1]]

    def gaps(self) -> GapsModel:
        found = gaps(self.views().full)
        return GapsModel(**{name: [ResourceModel(**vars(r)) for r in getattr(found, name)]
                            for name in GapsModel.model_fields})
