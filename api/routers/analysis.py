"""JSON endpoints of the network analysis, `/api/analysis/…`, for the explorer, the pages and scripts.

A thin router over `graph.analysis`: it receives the store, computes the projections once on the
first request (the store does not change while it is served) and turns results into the pydantic
models below, which document every field in the OpenAPI description (`/docs`).

Rankings and lists are answered a page at a time: `limit` (default 50, at most 1,000) entries from
`offset`, with `total` and, when there are more, a `Link: <…>; rel="next"` header (at world scale the
whole ranking of /api/analysis/hubs is megabytes). `/api/analysis/world/…` answers the questions about
the world's twin-city network (the context graph, Wikidata P190) merged with the city's own twinnings:
global statistics, the home city's position, links among its partners, candidate partners with their
reasons, communities and distances; without a context they say so (`context.loaded` is false).

Status codes: 200 an answer; 400 a name that fits several resources (the message lists their IRIs);
404 a name that fits none (the message suggests close labels); 422 a parameter outside its allowed
values (FastAPI's standard validation answer, naming the parameter); the store's errors (504, 503, 502, …)
as every router has them, from the one table of api/web/errors.py.
"""
from __future__ import annotations

import threading
from typing import Annotated, Literal

from dataclasses import asdict

from fastapi import APIRouter, HTTPException, Query, Request, Response
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
from graph.analysis.world_measures import (
    candidates,
    home_position,
    network_statistics,
    partner_links,
    twinning_distances,
    world_communities,
)
from graph.analysis.world_network import WorldNetwork, read_world_network
from graph.analysis.world_report import candidate_payload
from graph.config import Settings
from graph.store import KnowledgeStore

Network = Literal["full", "partners"]
NetworkQuery = Annotated[Network, Query(description="`full`: every typed resource of the graph; "
                                                     "`partners`: places linked by their partnerships.")]
TopQuery = Annotated[int | None, Query(ge=1, le=10_000, description="Only the first N results.")]
SeedQuery = Annotated[int, Query(description="Random seed (communities, sampled brokerage): same seed, same answer.")]
DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many entries (default {DEFAULT_LIMIT}).")]
OffsetQuery = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many entries first (for the next page).")]


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
    total: int = Field(description="Entries in the whole ranking (after `top`).")
    offset: int
    limit: int
    nodes: list[RankedNodeModel] = Field(description="This page of the ranking, best first.")


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
    total: int = Field(description="Number of communities.")
    offset: int
    limit: int
    communities: list[CommunityModel] = Field(description="This page of the communities, largest first.")


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
    total_links: int
    total_cut_points: int
    offset: int
    limit: int
    links: list[FragileLinkModel] = Field(description="This page of the fragile links, most consequential first.")
    cut_points: list[CutPointModel] = Field(description="This page of the cut points, most consequential first.")


class CoreModel(BaseModel):
    network: Network
    k: int = Field(description="Every core member is linked to at least k other members.")
    total: int = Field(description="Members of the core.")
    offset: int
    limit: int
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



# ------------------------------------------------------------------------- the world network

Source = Literal["curated", "wikidata", "both"]


class ContextModel(BaseModel):
    loaded: bool = Field(description="False: the store holds no world context, and the answers cover only the "
                                     "city's own twinnings.")
    items: int = Field(description="Items the context describes (Wikidata entities).")
    statements: int = Field(description="Twinning statements (P190) in the context, as stated (directed).")
    nodes: int = Field(description="Entries of the merged network: a curated city and its Wikidata item are one.")
    twinnings: int = Field(description="Links of the merged network (unordered pairs).")
    note: str


class WorldStatsModel(BaseModel):
    context: ContextModel
    nodes: int
    links: int
    links_by_source: dict[str, int] = Field(description="Links by who states them: curated (only the city's own "
                                                        "data), wikidata (only the context), both.")
    one_sided_links: int = Field(description="Links only one of the two Wikidata items states.")
    components: int
    largest_component_nodes: int
    largest_component_links: int
    average_degree: float
    max_degree: int
    degree_assortativity: float | None = Field(description="Pearson correlation of the degrees at both ends of a link.")
    average_clustering: float = Field(description="Mean local clustering (nodes with fewer than two links count 0).")
    transitivity: float = Field(description="Global clustering: 3 × triangles / connected triples.")
    triangles: int
    mean_distance: float | None = Field(description="Mean shortest-path length in the largest component.")
    median_distance: int | None
    diameter: int | None
    effective_diameter_90: float | None = Field(description="90 % of the pairs are at most this far apart (interpolated).")
    distance_method: str = Field(description="Exact, or estimated from a seeded sample of sources.")


class StandingModel(BaseModel):
    measure: str
    value: float
    rank: int = Field(description="1 is the highest; ties share a rank.")
    of: int
    rank_in_germany: int | None = Field(description="Rank among the items known to lie in Germany (None: the home "
                                                    "city's country is not known to be Germany).")
    of_in_germany: int


class WorldPositionModel(BaseModel):
    context: ContextModel
    iri: str
    label: str
    label_de: str
    in_network: bool
    standings: list[StandingModel] = Field(description="Degree, brokerage (betweenness), reach in 2 and 3 steps.")
    germany_basis: str = Field(description="Where the German items come from, in plain words.")
    german_items: int
    items_with_country: int
    broker_method: str
    partners: int


class PartnerRefModel(BaseModel):
    iri: str
    qid: str | None
    label: str
    label_de: str
    partner_source: Source = Field(description="How it is the home city's twin city: curated, only wikidata, both.")


class PartnerLinkModel(BaseModel):
    a: PartnerRefModel
    b: PartnerRefModel
    source: Source = Field(description="Who states the twinning of a and b.")
    one_sided: bool


class PartnerLinksModel(BaseModel):
    context: ContextModel
    partners: list[PartnerRefModel] = Field(description="The home city's twin cities, by name.")
    total: int
    links: list[PartnerLinkModel]


class CandidateModel(BaseModel):
    rank: int
    iri: str
    qid: str | None
    label: str
    label_de: str
    label_en: str
    count: int = Field(description="How many of the home city's twin cities it is twinned with.")
    curated_partners: int = Field(description="How many of those the city's own data names as twin cities.")
    shared: list[PartnerRefModel]
    links_from: dict[str, Source] = Field(description="Partner IRI → who states the candidate's twinning with it.")
    country: str | None
    in_city_data: bool = Field(description="The city's own data knows the candidate (e.g. a partner of another kind).")
    reason_de: str
    reason_en: str


class CandidatesModel(BaseModel):
    context: ContextModel
    minimum: int
    total: int
    offset: int
    limit: int
    candidates: list[CandidateModel] = Field(description="Most shared twin cities first, ties by name.")


class WorldCommunityModel(BaseModel):
    number: int
    size: int
    central_member: str
    leading_members: list[str] = Field(description="Labels of the best-linked members (at most five).")
    partners: list[str] = Field(description="Labels of the home city's twin cities in it.")
    has_home: bool


class WorldCommunitiesModel(BaseModel):
    context: ContextModel
    count: int
    modularity: float
    seed: int
    home_community: int | None
    partner_communities: dict[str, int] = Field(description="Twin city label → its community number.")
    total: int
    offset: int
    limit: int
    communities: list[WorldCommunityModel]


class DistanceSummaryModel(BaseModel):
    count: int
    median_km: float | None
    lower_quartile_km: float | None
    upper_quartile_km: float | None
    mean_km: float | None
    within_500_km: float | None = Field(description="Share of the pairs at most 500 km apart.")


class WorldDistancesModel(BaseModel):
    context: ContextModel
    items_with_coordinates: int
    items_with_context_coordinates: int
    items: int
    twinnings: DistanceSummaryModel
    random_pairs: DistanceSummaryModel
    comparable: bool = Field(description="False: too few twinnings with coordinates to compare with chance.")
    seed: int
    note: str


def _page(items: list, offset: int, limit: int) -> list:
    return items[offset:offset + limit]


def _link_next(request: Request, response: Response, offset: int, limit: int, total: int) -> None:
    """`Link: <…offset=next>; rel="next"` when entries follow this page."""
    if offset + limit < total:  # relative to this answer's address: nothing taken from the Host header
        following = request.url.include_query_params(offset=offset + limit, limit=limit)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'


# ---------------------------------------------------------------------------------------- router

class AnalysisRouter(APIRouter):
    """`/api/analysis/…` for one store."""

    def __init__(self, store: KnowledgeStore, settings: Settings | None = None):
        super().__init__(prefix="/api/analysis", tags=["analysis"])
        self.store = store
        self.settings = settings
        self._views: Projections | None = None
        self._world: WorldNetwork | None = None
        self._answers: dict[tuple, object] = {}  # world answers by (question, parameters): the store does not change
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
            ("/world/stats", self.world_stats, WorldStatsModel,
             "World network: global statistics (nodes, links, assortativity, clustering, distances)"),
            ("/world/position", self.world_position, WorldPositionModel,
             "World network: the home city's degree, brokerage and reach, ranked among all and German items"),
            ("/world/partner-links", self.world_partner_links, PartnerLinksModel,
             "World network: the home city's twin cities that are twinned with each other"),
            ("/world/candidates", self.world_candidates, CandidatesModel,
             "World network: candidate partners (twinned with two or more of our twin cities), with reasons"),
            ("/world/communities", self.world_communities, WorldCommunitiesModel,
             "World network: communities (Louvain, seeded) and where the home city's twin cities sit"),
            ("/world/distances", self.world_distances, WorldDistancesModel,
             "World network: great-circle distances of twinnings against random pairs"),
        ]
        for path, handler, model, summary in routes:
            self.add_api_route(path, handler, methods=["GET"], response_model=model, summary=summary)

    def views(self) -> Projections:
        """The projections, computed on first use (under a lock: handlers run in a thread pool)."""
        with self._lock:
            if self._views is None:
                self._views = projections(self.store)
            return self._views

    def world(self) -> WorldNetwork:
        """The merged world network, read on first use."""
        with self._lock:
            if self._world is None:
                self._world = read_world_network(self.store)
            return self._world

    def _remembered(self, key: tuple, compute):
        net = self.world()
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        value = compute(net)
        with self._lock:
            if len(self._answers) > 64:  # seeds are free to choose: keep the memory bounded
                self._answers.clear()
            self._answers[key] = value
        return value

    def _context(self) -> ContextModel:
        net = self.world()
        note = (f"{net.context_links:,} Wikidata twinning statements about {net.context_items:,} items, merged with the "
                "city's own twinnings" if net.has_context else
                "no world context is loaded (import one with `kg context import`): only the city's own twinnings")
        return ContextModel(loaded=net.has_context, items=net.context_items, statements=net.context_links,
                            nodes=net.graph.number_of_nodes(), twinnings=net.graph.number_of_edges(), note=note)

    # -- handlers (def: they run in the thread pool)
    def _ranking(self, ranking: Ranking, network: str, request: Request, response: Response,
                 offset: int, limit: int) -> RankingModel:
        total = len(ranking.nodes)
        _link_next(request, response, offset, limit, total)
        return RankingModel(measure=ranking.measure, score_name=ranking.score_name, explanation=ranking.explanation,
                            note=ranking.note, network=network, total=total, offset=offset, limit=limit,
                            nodes=[RankedNodeModel(**vars(n)) for n in _page(ranking.nodes, offset, limit)])

    def hubs(self, request: Request, response: Response, network: NetworkQuery = "full", top: TopQuery = None,
             limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> RankingModel:
        return self._ranking(hubs(self.views().undirected(network), top), network, request, response, offset, limit)

    def brokers(self, request: Request, response: Response, network: NetworkQuery = "full", top: TopQuery = None,
                seed: SeedQuery = DEFAULT_SEED, limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> RankingModel:
        return self._ranking(brokers(self.views().undirected(network), top, seed=seed), network, request, response,
                             offset, limit)

    def influence(self, request: Request, response: Response, network: NetworkQuery = "full", top: TopQuery = None,
                  method: Annotated[Literal["pagerank", "eigenvector"], Query()] = "pagerank",
                  limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> RankingModel:
        graph = self.views().undirected(network)  # outside the try: a store error is no 422 (api/web/errors.py)
        try:
            ranking = influence(graph, top, method=method)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return self._ranking(ranking, network, request, response, offset, limit)

    def communities(self, request: Request, response: Response, network: NetworkQuery = "full", seed: SeedQuery = DEFAULT_SEED,
                    resolution: Annotated[float, Query(gt=0, le=10, description="Higher: more, smaller communities.")] = 1.0,
                    limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> CommunitiesModel:
        found = communities(self.views().undirected(network), seed=seed, resolution=resolution)
        total = len(found.communities)
        _link_next(request, response, offset, limit, total)
        return CommunitiesModel(network=network, modularity=found.modularity, seed=found.seed, resolution=found.resolution,
                                total=total, offset=offset, limit=limit,
                                communities=[CommunityModel(**vars(c)) for c in _page(found.communities, offset, limit)])

    def fragile(self, request: Request, response: Response, network: NetworkQuery = "full", top: TopQuery = None,
                limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> FragilityModel:
        found = fragile_links(self.views().undirected(network))
        links, cut_points = found.links[:top], found.cut_points[:top]
        _link_next(request, response, offset, limit, max(len(links), len(cut_points)))
        return FragilityModel(network=network, total_links=len(links), total_cut_points=len(cut_points),
                              offset=offset, limit=limit,
                              links=[FragileLinkModel(**vars(b)) for b in _page(links, offset, limit)],
                              cut_points=[CutPointModel(**vars(c)) for c in _page(cut_points, offset, limit)])

    def core(self, request: Request, response: Response, network: NetworkQuery = "full",
             limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> CoreModel:
        found = core(self.views().undirected(network))
        total = len(found.members)
        _link_next(request, response, offset, limit, total)
        return CoreModel(network=network, k=found.k, total=total, offset=offset, limit=limit,
                         members=_page(found.members, offset, limit), member_labels=_page(found.member_labels, offset, limit))

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

    # -- the world network (computed once per parameters: the store does not change while served)
    def world_stats(self, seed: SeedQuery = DEFAULT_SEED) -> WorldStatsModel:
        found = self._remembered(("stats", seed), lambda net: network_statistics(net, seed=seed))
        return WorldStatsModel(context=self._context(), **asdict(found))

    def world_position(self, seed: SeedQuery = DEFAULT_SEED) -> WorldPositionModel:
        net = self.world()
        if net.home is None:
            raise HTTPException(422, "the data names no home city (the dct:spatial of the city administration)")
        found = self._remembered(("position", seed), lambda net: home_position(net, seed=seed))
        return WorldPositionModel(context=self._context(), **asdict(found))

    def world_partner_links(self) -> PartnerLinksModel:
        net = self.world()
        found = self._remembered(("partner-links",), partner_links)
        partners = net.partners()
        refs = sorted(({"iri": p, "qid": net.graph.nodes[p].get("qid"), "label": net.label(p),
                        "label_de": net.label(p, "de"), "partner_source": source} for p, source in partners.items()),
                      key=lambda r: (r["label"].casefold(), r["iri"]))
        return PartnerLinksModel(context=self._context(), partners=[PartnerRefModel(**r) for r in refs],
                                 total=len(found), links=[PartnerLinkModel(**asdict(link)) for link in found])

    def world_candidates(self, request: Request, response: Response,
                         minimum: Annotated[int, Query(ge=2, le=100, description="Twinned with at least this many of "
                                                                                 "the home city's twin cities.")] = 2,
                         limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> CandidatesModel:
        net = self.world()
        found = self._remembered(("candidates", minimum), lambda net: candidates(net, minimum))
        home = net.label(net.home) if net.home else "the home city"
        home_de = net.label(net.home, "de") if net.home else "die Heimatstadt"
        _link_next(request, response, offset, limit, len(found))
        return CandidatesModel(context=self._context(), minimum=minimum, total=len(found), offset=offset, limit=limit,
                               candidates=[CandidateModel(**candidate_payload(c, home, home_de))
                                           for c in _page(found, offset, limit)])

    def world_communities(self, request: Request, response: Response, seed: SeedQuery = DEFAULT_SEED,
                          limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0) -> WorldCommunitiesModel:
        found = self._remembered(("communities", seed), lambda net: world_communities(net, seed=seed))
        _link_next(request, response, offset, limit, len(found.communities))
        return WorldCommunitiesModel(context=self._context(), count=found.count, modularity=found.modularity,
                                     seed=found.seed, home_community=found.home_community,
                                     partner_communities=found.partner_communities, total=len(found.communities),
                                     offset=offset, limit=limit,
                                     communities=[WorldCommunityModel(**asdict(c))
                                                  for c in _page(found.communities, offset, limit)])

    def world_distances(self, seed: SeedQuery = DEFAULT_SEED) -> WorldDistancesModel:
        found = self._remembered(("distances", seed), lambda net: twinning_distances(net, seed=seed))
        return WorldDistancesModel(context=self._context(), **asdict(found))
