"""The visual explorer for staff: the page `/explore` and its JSON under `/api/explore/…`.

A thin router over `graph.views.explorer` (which views the analysis projections) and `graph.views.pages` (facts in
plain words for the details panel). Network measures, communities and paths are not served here: the
page asks `/api/analysis/…` for them, and `/api/search` for the type-ahead.

Every text from the data travels as JSON and is put into the page by `static/explore.js` with
`textContent` (or drawn on the canvas); the template itself only holds fixed, autoescaped texts.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
import urllib.parse
import zipfile
from collections.abc import Callable
from typing import Annotated, Literal

import networkx as nx
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.web.i18n import N_, messages, other_language, page_language, remember_language, translate
from api.web.assets import csp_for_vis_network
from api.web.errors import explain
from api.web.maps import land_rings
from graph import __version__
from graph.analysis import Projections, projections
from graph.analysis.world_network import WorldNetwork, read_world_network
from graph.analysis.export import edge_table, exportable, node_table
from graph.publish.catalogue import licence_name
from graph.config import Settings
from graph.views.describe import Describer
from graph.views.entities import EntityCatalogue, EntityError, sparql_iri
from graph.views.context import ContextLayer
from graph.views.explorer import DIRECTIONS, Explorer, world_map_places, world_view
from graph.store import KnowledgeStore
from graph.views.pages import PageViews, capitalised, month_name, optional
from graph.views.tables import csv_bytes, xlsx_bytes
from api.web.templates import templates

MAP_SCALE = 8.0  # canvas pixels per degree in map mode (equirectangular)
EXPORT_MEDIA = {"graphml": ("application/graphml+xml", "graphml"), "gexf": ("application/gexf+xml", "gexf"),
                "csv": ("application/zip", "zip"),
                "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
                "table": ("text/csv; charset=utf-8", "csv")}
EXPORT_MAX_NODES = 15_000  # about 1 MiB of IRIs, the server's body limit

MODES = ("overview", "network", "communities", "sdg", "map", "timeline")

# How a connection is told: one msgid per kind of clause (graph.views.explorer.Explorer.connection), and one
# per predicate of a plain statement; a predicate without one is told with its label (explore.say_statement).
PARTNERSHIP_SAYINGS = {"twin-city": N_("explore.say_twin_city"), "friendship": N_("explore.say_friendship"),
                       "project-partnership": N_("explore.say_project")}
STATEMENT_SAYINGS = {
    "hki:addressesSDG": N_("explore.say_addresses_sdg"), "hki:partner": N_("explore.say_partner"),
    "hki:councilPaper": N_("explore.say_council_paper"), "hki:milestone": N_("explore.say_milestone"),
    "org:organization": N_("explore.say_membership_in"), "org:member": N_("explore.say_membership_of"),
    "hki:hasGoal": N_("explore.say_has_goal"), "hki:involves": N_("explore.say_involves"),
    "hki:contributesToGoal": N_("explore.say_contributes"), "hki:fieldOfAction": N_("explore.say_field"),
    "hki:externalPartner": N_("explore.say_external_partner"), "hki:overarchingGoal": N_("explore.say_overarching_goal"),
    "hki:implementsConcept": N_("explore.say_implements"), "hki:responsibleOrganisation": N_("explore.say_responsible"),
    "dct:isPartOf": N_("explore.say_part_of"), "dct:creator": N_("explore.say_creator"),
    "org:unitOf": N_("explore.say_unit_of"), "hki:publicParticipation": N_("explore.say_participation"),
    "hki:annualGoal": N_("explore.say_annual_goal"), "dct:references": N_("explore.say_references"),
    "dct:spatial": N_("explore.say_spatial"), "dct:relation": N_("explore.say_relation"),
}
# Why a world candidate is one (candidate_reason): the home city page's sentences, with or without "laut Wikidata"
REASONS = {True: N_("world.reason_wikidata"), False: N_("world.reason")}
QUOTED_GROUPS = {"partnership", "membership", "goal", "measure", "concept", "milestone", "document", "other"}


class FactValueModel(BaseModel):
    text: str
    href: str | None = Field(None, description="Where the value links to: a page of this site or the web.")


class FactModel(BaseModel):
    name: str
    values: list[FactValueModel]


class DetailsModel(BaseModel):
    iri: str
    label: str
    other_label: str
    kinds: list[str]
    description: str
    facts: list[FactModel]
    sources: list[FactValueModel]
    status: str = Field(description="Empty, or why the facts are not confirmed.")
    notes: list[str]
    page: str = Field(description="The resource's page on this site.")


class ExportRequest(BaseModel):
    format: Literal["graphml", "gexf", "csv", "xlsx", "table"] = Field(
        description="graphml, gexf, csv (zip of node and edge tables): the network with its links; xlsx or "
                    "table (CSV for German Excel): the entries as a table for people, in `lang`.")
    nodes: list[str] = Field(description="IRIs of the entries in the view; links among them come along.",
                             max_length=EXPORT_MAX_NODES)
    name: str = Field("hki-view", max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    lang: Literal["de", "en"] = Field("de", description="The language of a table's headers and values.")


class ExploreRouter(APIRouter):
    """`/explore` and `/api/explore/…` for one store; shares the analysis router's projections."""

    def __init__(self, store: KnowledgeStore, settings: Settings,
                 views: Callable[[], Projections] | None = None, catalogue: EntityCatalogue | None = None,
                 context: ContextLayer | None = None, world_network: Callable[[], WorldNetwork] | None = None):
        super().__init__(tags=["Explorer"])
        self.store = store
        self.settings = settings
        self._views = views or (lambda: projections(store))
        # the merged twin-city network of graph.analysis (read once per store and data version, shared with the
        # home city's page and the analysis API): the world layer's candidates are theirs and `kg analyze candidates`'
        self._world_network = world_network or (lambda: read_world_network(store))
        self._explorer: Explorer | None = None
        self._lock = threading.Lock()
        self.pages = PageViews(store, catalogue or EntityCatalogue(store))
        self.describer = Describer(store)
        self.context = context or ContextLayer(store)
        self._world: dict[tuple[str, str, str], bytes] = {}
        self.add_api_route("/explore", self.page, methods=["GET", "HEAD"], response_class=HTMLResponse,
                           include_in_schema=False)
        api = [("/graph", self.graph, "The whole network (or its best-linked part), with positions and filters"),
               ("/neighbourhood", self.neighbourhood, "The entries within 1–3 links of one, with positions "
                                                       "(`known`: false when the IRI is no entry of the network)"),
               ("/sdg", self.sdg, "Goals and measures with the SDGs they address, laid out around a ring"),
               ("/map", self.map, "Places with coordinates, lines from the home city, the world's land outline"),
               ("/timeline", self.timeline, "Partnerships by start year and the action concept's milestones"),
               ("/details", self.details, "An entry's facts in plain words, for the details panel"),
               ("/start", self.start, "The first view: the home city, its partner cities by kind of partnership "
                                      "and the city networks its administration belongs to"),
               ("/world", self.world, "The world layer: Wikidata's twin-city network (the context graph), every "
                                      "item with its name, twin count, curated entry and position, the "
                                      "twinnings as index pairs, the home city's twin cities and the candidate "
                                      "partners with the reason in `lang`; empty without a context layer"),
               ("/world/map", self.world_map, "The context layer's places with coordinates that are no curated "
                                              "entry, for the map: QID, name, latitude, longitude, twin count"),
               ("/connection", self.connection, "How two entries are connected: the most meaningful route "
                                                "(partnerships, memberships, projects before administrative hubs), "
                                                "told in plain sentences in `lang`")]
        for path, handler, summary in api:
            self.add_api_route("/api/explore" + path, handler, methods=["GET"], summary=summary,
                               **({"response_model": DetailsModel} if path == "/details" else {}))
        self.add_api_route("/api/explore/export", self.export, methods=["POST"], response_class=Response,
                           summary="The entries of a view and their links as GraphML, GEXF or CSV (zip)")

    def world(self, lang: Annotated[Literal["de", "en"] | None, Query(description="de or en: the names")] = None) -> Response:
        """The world layer, laid out once per data version and language and kept as JSON bytes."""
        return self._world_json("layer", lang or self.settings.lang, self._world_layer)

    def world_map(self, lang: Annotated[Literal["de", "en"] | None, Query(description="de or en: the names")] = None) -> Response:
        """The world layer's places for the map, once per data version and language."""
        return self._world_json("map", lang or self.settings.lang, lambda language: world_map_places(
            self.context.world(), language))

    def _world_json(self, what: str, language: str, make: Callable[[str], dict]) -> Response:
        key = (self.store.fingerprint, what, language)
        with self._lock:
            body = self._world.get(key)
        if body is None:
            body = json.dumps(make(language), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            with self._lock:
                self._world = {k: v for k, v in self._world.items() if k[0] == self.store.fingerprint}
                self._world[key] = body
        return Response(body, media_type="application/json", headers={"Cache-Control": "public, max-age=300"})

    def _world_layer(self, language: str) -> dict:
        """The layer with the candidates' reasons worded from the catalogues (the home city page's words)."""
        world = self.context.world()
        network = self._world_network() if world else None
        view = world_view(world, language, network=network)
        home = network.label(network.home, language) if network is not None and network.home else ""
        view["candidates"] = [{"node": c["node"], "rank": c["rank"], "count": c["count"],
                               "reason": candidate_reason(c, home, language)} for c in view["candidates"]]
        return view

    def explorer(self) -> Explorer:
        with self._lock:
            if self._explorer is None:
                self._explorer = Explorer(self._views())
            return self._explorer

    def href(self, iri: str) -> str:
        base = self.settings.base
        if iri.startswith(base):
            return "/" + iri[len(base):]
        return "/resource?" + urllib.parse.urlencode({"iri": iri})

    # ------------------------------------------------------------------ the page
    def page(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        query = dict(request.query_params)
        query["lang"] = other_language(lang)
        # the page's own words are in the catalogues (explore.*); static/explore.js gets them as a JSON data block
        context = {"lang": lang, "script_messages": messages(lang, "explore."),
                   "other_lang": other_language(lang), "version": __version__, "modes": MODES,
                   "switch_url": "/explore?" + urllib.parse.urlencode(query),
                   "title": translate(lang, "explore.title"), "licence": self.settings.licence,
                   "licence_name": licence_name(self.settings.licence), "alternates": [],
                   "world_layer": optional(self.context.available, False), "base": self.settings.base}
        response = templates.TemplateResponse(request, "explore.html", context)
        response.headers["Content-Security-Policy"] = csp_for_vis_network()
        return remember_language(request, response)

    # ------------------------------------------------------------------ JSON
    def graph(self) -> dict:
        explorer = self.explorer()
        return {**explorer.overview(), "legend": explorer.legend(), "facets": explorer.facets()}

    def neighbourhood(self, iri: Annotated[str, Query(min_length=1, max_length=2000, description="The entry's IRI.")],
                      depth: Annotated[int, Query(ge=1, le=3, description="How many links away: 1 to 3.")] = 1,
                      direction: Annotated[Literal["both", "out", "in"], Query(
                          description="both; out: only what it links to; in: only what links to it.")] = "both") -> dict:
        assert direction in DIRECTIONS
        if iri not in self.explorer():  # a search hit outside the network (a class, a vocabulary term)
            return {"focus": iri, "known": False, "depth": depth, "direction": direction, "cut": False,
                    "nodes": [], "edges": [], "positions": {}}
        return {**self.explorer().neighbourhood(iri, depth, direction), "known": True}

    def sdg(self) -> dict:
        return self.explorer().sdg_view()

    def start(self) -> dict:
        return self.explorer().start_view()

    def connection(self, source: Annotated[str, Query(alias="from", min_length=1, max_length=2000,
                                                       description="The IRI of the first entry (A).")],
                   target: Annotated[str, Query(alias="to", min_length=1, max_length=2000,
                                                description="The IRI of the second entry (B).")],
                   lang: Annotated[Literal["de", "en"] | None, Query(description="de or en")] = None) -> dict:
        language = lang or self.settings.lang
        explorer = self.explorer()
        for name, iri in (("from", source), ("to", target)):
            if iri not in explorer:
                raise HTTPException(400, f"{name}: {iri} is no entry of the explorer's network; give the IRI of "
                                         "an entry, as /api/search finds them")
        found = explorer.connection(source, target)
        a, b = explorer.record(source), explorer.record(target)
        label = lambda r: r["label_" + language]  # noqa: E731
        if not found["connected"]:
            sentences = [translate(language, "explore.say_not_connected", a=label(a), b=label(b))]
        elif not found["clauses"]:
            sentences = [translate(language, "explore.say_same", a=label(a))]
        else:
            sentences = [tell(clause, language) for clause in found["clauses"]]
        steps = [{**step, "subject_label": label(explorer.record(step["subject"])),
                  "object_label": label(explorer.record(step["object"])), "predicate_label": step["label_" + language]}
                 for step in found["steps"]]
        return {**found, "steps": steps, "sentences": sentences, "text": " ".join(sentences),
                "unconfirmed": any(c.get("status") for c in found["clauses"])}

    def map(self) -> dict:
        view = self.explorer().map_view()
        return {**view, "scale": MAP_SCALE, "land": _land(MAP_SCALE)}

    def timeline(self) -> dict:
        return self.explorer().timeline()

    def details(self, request: Request, iri: Annotated[str, Query(min_length=1, max_length=2000)],
                lang: Annotated[Literal["de", "en"] | None, Query()] = None) -> DetailsModel:
        language = lang or self.settings.lang
        # A name that is not an IRI and the store's errors are answered from the one table of api/web/errors.py.
        explain(request, {EntityError: lambda exc: f"iri: {exc}"})
        sparql_iri(iri)
        if not self.describer.exists(iri):
            raise HTTPException(404, f"iri: the graph says nothing about {iri}")
        view = self.pages.resource(self.describer.describe(iri, 0), language)

        def value(v) -> FactValueModel:
            link = None
            if v.iri:
                link = self.href(v.iri) if (v.known or v.iri.startswith(self.settings.base)) else (
                    v.iri if v.iri.startswith(("http://", "https://")) else None)
            return FactValueModel(text=v.text, href=link)

        status = ""
        if view.status:
            status = view.status.text
        return DetailsModel(
            iri=view.iri, label=view.label, other_label=view.other_label, kinds=[capitalised(t.text) for t in view.types],
            description=view.description, facts=[FactModel(name=f.name, values=[value(v) for v in f.values])
                                                 for f in view.facts],
            sources=[FactValueModel(text=s.text, href=s.iri if s.iri and s.iri.startswith(("http://", "https://"))
                                    else None) for s in view.sources],
            status=status, notes=view.notes, page=self.href(iri))

    def export(self, body: ExportRequest) -> Response:
        graph = self.explorer().subgraph(body.nodes)
        media, extension = EXPORT_MEDIA[body.format]
        if body.format in ("xlsx", "table"):
            headers, rows = self.table(body.nodes, body.lang)
            title = translate(body.lang, "explore.table_title")
            if body.format == "xlsx":
                about = [(translate(body.lang, "explore.table_what"), translate(body.lang, "explore.table_about",
                                                                               n=len(rows))),
                         (translate(body.lang, "explore.table_licence"), licence_name(self.settings.licence))]
                payload = xlsx_bytes(title, headers, rows, body.lang, about=about,
                                     about_name=translate(body.lang, "explore.table_about_sheet"))
            else:
                payload = csv_bytes(headers, rows, body.lang)
        elif body.format == "csv":
            payload = _csv_zip(graph, body.name)
        else:
            buffer = io.BytesIO()
            writer = nx.write_graphml if body.format == "graphml" else nx.write_gexf
            writer(exportable(graph), buffer, encoding="utf-8")
            payload = buffer.getvalue()
        return Response(payload, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{body.name}.{extension}"'})


    def table(self, nodes: list[str], lang: str) -> tuple[list[str], list[list]]:
        """The entries as rows for people: name, kind, countries, partnerships (type and start year), start
        (year as a number; the date as a date where the data gives the day) and end. Unknown IRIs are left out."""
        explorer = self.explorer()
        headers = [translate(lang, key) for key in (N_("explore.col_name"), N_("explore.col_kind"),
                                                    N_("explore.col_country"), N_("explore.col_partnerships"),
                                                    N_("explore.col_start_year"), N_("explore.col_start"),
                                                    N_("explore.col_end"))]
        index = 0 if lang == "de" else 1
        rows = []
        records = [explorer.record(n) for n in dict.fromkeys(nodes) if n in explorer]
        for r in sorted(records, key=lambda r: (r["group"], r["label_" + lang].casefold())):
            countries = "; ".join(explorer.countries.get(c, (c, c))[index] for c in r.get("countries", ()))
            ties = [] if r["group"] == "partnership" else r.get("ties", ())
            partnerships = "; ".join(
                explorer.partnership_types.get(t["ptype"], ("", ""))[index] + (f" ({t['year']})" if t["year"] else "")
                for t in ties)
            start = r.get("start", "")
            rows.append([r["label_" + lang], r["kind_" + lang], countries or None, partnerships or None,
                         int(start[:4]) if start[:4].isdigit() else None, _cell_date(start, lang),
                         _cell_date(r.get("end", ""), lang)])
        return headers, rows


def tell(clause: dict, lang: str) -> str:
    """One clause of a connection (graph.views.explorer.Explorer.connection) as a sentence in `lang`."""
    def name(ref: dict) -> str:
        return translate(lang, "explore.say_quoted", name=ref[lang]) if ref["group"] in QUOTED_GROUPS else ref[lang]

    kind = clause["kind"]
    if kind == "partnership":
        saying = PARTNERSHIP_SAYINGS.get(clause["ptype"].rstrip("/").rsplit("/", 1)[-1], N_("explore.say_partnership"))
        text = translate(lang, saying, a=name(clause["a"]), b=name(clause["b"]), via=name(clause["via"]),
                         ptype=clause["ptype_" + lang])
    elif kind == "membership":
        member = name(clause["member"])
        if clause.get("place"):  # the member is the city administration of a place
            member = translate(lang, "explore.say_administration_of", place=name(clause["place"]), name=member)
        text = translate(lang, "explore.say_membership", member=member, organisation=name(clause["organisation"]))
    elif kind == "administration":
        text = translate(lang, "explore.say_administration", subject=name(clause["subject"]),
                         object=name(clause["object"]))
    else:
        saying = STATEMENT_SAYINGS.get(clause["predicate"], N_("explore.say_statement"))
        text = translate(lang, saying, subject=name(clause["subject"]), object=name(clause["object"]),
                         predicate=clause["predicate_" + lang])
    since = clause.get("since")
    if since:
        text += " " + translate(lang, "explore.say_since", date=spoken_date(since, lang))
    sentence = text[:1].upper() + text[1:] + "."
    status = clause.get("status")
    if status:
        note = status["note_" + lang]
        sentence += " " + (translate(lang, "explore.say_status", status=status[lang], note=note) if note
                           else translate(lang, "explore.say_status_only", status=status[lang]))
    return sentence


def candidate_reason(candidate: dict, home: str, lang: str) -> str:
    """Why a candidate of the world layer (graph.views.explorer.world_candidates) is one, as the home city's page
    says it: "Barcelona ist laut Wikidata Partnerstadt von Montreal (nur laut Wikidata Partnerstadt von
    Hannover) und Perpignan." (msgids world.reason*, world.partner_only_wikidata, world.and)."""
    names = [translate(lang, "world.partner_only_wikidata", partner=p["label"], home=home) if p["only_wikidata"]
             else p["label"] for p in candidate["partners"]]
    joiner = translate(lang, "world.and")
    partners = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"
    return translate(lang, REASONS[bool(candidate["wikidata"])], candidate=candidate["label"], partners=partners)


def spoken_date(value: str, lang: str) -> str:
    """A start as the data gives it, in words: "1968", "Juni 2019", "29. Oktober 1979" (Babel's CLDR data)."""
    from babel.dates import format_date

    parts = value.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return format_date(dt.date(int(parts[0]), int(parts[1]), int(parts[2])), "long", locale=lang)
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{month_name(int(parts[1]), lang)} {parts[0]}"
    return value


def _cell_date(value: str, lang: str):
    """A date for a table cell: a date where the data gives the day, else its words (year, month and year)."""
    if not value:
        return None
    parts = value.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    return spoken_date(value, lang)


def _csv_zip(graph: nx.Graph, stem: str) -> bytes:
    """The node and edge tables of the analysis export, as two CSV files in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix, (columns, rows) in (("nodes", node_table(graph)), ("edges", edge_table(graph))):
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(f"{stem}-{suffix}.csv", text.getvalue().encode("utf-8"))
    return buffer.getvalue()


_LAND: dict[float, list[list[float]]] = {}


def _land(scale: float) -> list[list[float]]:
    """The world's land outline (110m) as flat [x0, y0, x1, y1, …] rings in map-mode canvas pixels."""
    if scale not in _LAND:
        rings = []
        for ring in land_rings("110m"):
            if max(lat for _, lat in ring) < -58:
                continue  # Antarctica: no partner there, and flat maps stretch it into a band
            flat: list[float] = []
            for lon, lat in ring:
                flat += [round(lon * scale, 1), round(-lat * scale, 1)]
            rings.append(flat)
        _LAND[scale] = rings
    return _LAND[scale]


__all__ = ["ExploreRouter", "MODES", "candidate_reason", "spoken_date", "tell"]
