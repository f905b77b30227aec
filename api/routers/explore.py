"""The visual explorer for staff: the page `/explore` and its JSON under `/api/explore/…`.

A thin router over `graph.views.explorer` (which views the analysis projections) and `graph.views.pages` (facts in
plain words for the details panel). Network measures, communities and paths are not served here: the
page asks `/api/analysis/…` for them, and `/api/search` for the type-ahead.

Every text from the data travels as JSON and is put into the page by `static/explore.js` with
`textContent` (or drawn on the canvas); the template itself only holds fixed, autoescaped texts.
"""
from __future__ import annotations

import csv
import io
import threading
import urllib.parse
import zipfile
from collections.abc import Callable
from typing import Annotated, Literal

import networkx as nx
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.web.i18n import TEXT, other_language, page_language, remember_language
from api.web.assets import csp_for_vis_network
from api.web.maps import land_rings
from graph import __version__
from graph.analysis import Projections, projections
from graph.analysis.export import edge_table, exportable, node_table
from graph.publish.catalogue import licence_name
from graph.config import Settings
from graph.views.describe import Describer
from graph.views.entities import EntityCatalogue, EntityError, sparql_iri
from graph.views.explorer import DIRECTIONS, Explorer
from graph.store import KnowledgeStore, QueryBusy, QueryError, QueryTimeout
from graph.views.pages import PageViews, capitalised
from api.web.templates import templates

MAP_SCALE = 8.0  # canvas pixels per degree in map mode (equirectangular)
EXPORT_MEDIA = {"graphml": ("application/graphml+xml", "graphml"), "gexf": ("application/gexf+xml", "gexf"),
                "csv": ("application/zip", "zip")}
EXPORT_MAX_NODES = 15_000  # about 1 MiB of IRIs, the server's body limit

# Fixed texts of the explorer (the page's own words; data never goes in here).
EXPLORE_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "title": "Erkunden", "intro": "Das Netz der internationalen Beziehungen: wer mit wem verbunden ist, "
        "und wodurch.",
        "mode_network": "Netz", "mode_communities": "Gruppen", "mode_sdg": "SDGs", "mode_map": "Karte",
        "mode_timeline": "Zeitleiste", "modes": "Ansicht",
        "hint_network": "Jeder Punkt ist ein Eintrag, jede Linie eine Verbindung. Klicken zeigt die Angaben, "
                        "Doppelklicken zeigt das Umfeld. Ziehen verschiebt, Mausrad zoomt.",
        "hint_communities": "Die Farben zeigen Gruppen: Einträge, die untereinander enger verbunden sind als mit dem "
                            "Rest (automatisch ermittelt).",
        "hint_sdg": "Die 17 Nachhaltigkeitsziele der UN im Kreis; dazwischen die Ziele und Maßnahmen der Stadt, "
                    "verbunden mit den SDGs, die sie verfolgen. SDGs ohne Linie verfolgt noch nichts.",
        "hint_map": "Partnerstädte auf der Weltkarte. Linien führen von {home} zu jeder Partnerstadt: "
                    "durchgezogen = Städtepartnerschaft, gestrichelt = Freundschaft, gepunktet = Projektpartnerschaft. "
                    "Mausrad oder „Näher an …“ unter der Karte vergrößert.",
        "hint_timeline": "Oben die Partnerschaften nach ihrem Beginn, unten die Meilensteine des Handlungskonzepts: "
                         "wie geplant und wie tatsächlich geschehen.",
        "search": "Suchen", "search_placeholder": "Stadt, Organisation, Ziel, SDG …",
        "search_none": "Nichts gefunden.", "not_in_network": "Dieser Eintrag ist kein Teil des Netzes.",
        "legend": "Was wird gezeigt", "legend_hint": "Häkchen entfernen, um eine Art auszublenden.",
        "size_by": "Punktgröße nach", "size_none": "alle gleich", "size_hubs": "Zahl der Verbindungen",
        "size_brokers": "Vermittlerrolle", "size_influence": "Einfluss",
        "size_hubs_hint": "Große Punkte haben die meisten direkten Verbindungen.",
        "size_brokers_hint": "Große Punkte liegen auf vielen kürzesten Wegen zwischen anderen: ohne sie rücken "
                             "andere auseinander.",
        "size_influence_hint": "Große Punkte sind mit Einträgen verbunden, die selbst gut verbunden sind.",
        "filters": "Eingrenzen", "ptype": "Art der Partnerschaft", "sdg": "Nachhaltigkeitsziel", "country": "Land",
        "all": "alle", "years": "Jahre", "years_hint": "Partnerschaften nach ihrem Beginn und Termine des "
        "Handlungskonzepts; andere Einträge bleiben.", "from": "von", "to": "bis",
        "filters_hint": "Land, Art und SDG blenden nur Einträge aus, die so etwas haben (z. B. Städte und "
                        "Partnerschaften eines anderen Landes).",
        "reset_filters": "Alle Filter zurücksetzen",
        "focus": "Umfeld", "focus_of": "Umfeld von", "focus_none": "Wählen Sie einen Eintrag (Klick oder Suche).",
        "depth": "Schritte", "direction": "Richtung", "dir_both": "in beide Richtungen",
        "dir_out": "nur Verweise von hier", "dir_in": "nur Verweise hierher", "show_all": "Alles zeigen",
        "show_focus": "Umfeld zeigen",
        "path": "Wie hängen A und B zusammen?", "path_a": "A", "path_b": "B", "path_go": "Verbindung zeigen",
        "path_clear": "Verbindung ausblenden", "path_pick": "Wählen Sie A und B über die Suche oder im Netz.",
        "use_as_a": "als A nehmen", "use_as_b": "als B nehmen", "path_none": "Keine Verbindung gefunden.",
        "export": "Teilen und herunterladen", "copy_link": "Link zu dieser Ansicht kopieren",
        "copied": "Link kopiert.", "copy_failed": "Bitte den Link aus der Adresszeile kopieren.",
        "png": "Bild (PNG)", "data": "Daten dieser Ansicht:",
        "details": "Zum Eintrag", "details_none": "Klicken Sie auf einen Punkt, um hier seine Angaben zu sehen.",
        "open_page": "Ganze Seite öffnen", "sources": "Quellen", "facts": "Angaben", "kind": "Art",
        "loading": "Wird geladen …", "error": "Das hat nicht geklappt; bitte später noch einmal versuchen.",
        "truncated": "Das Netz hat {total} Einträge; gezeigt werden die {shown} mit den meisten Verbindungen. "
                     "Suchen Sie einen Eintrag, um sein ganzes Umfeld zu sehen.",
        "cut": "Das Umfeld ist sehr groß; gezeigt werden die nächsten {shown} Einträge.",
        "visible": "{n} von {total} Einträgen sichtbar", "faded": "blass: außerhalb des Umfelds",
        "faded_path": "blass: nicht Teil der Verbindung", "zoom_home": "Näher an {home}", "milestones": "Meilensteine",
        "community": "Gruppe {n}", "community_of": "um {name}", "communities_more": "kleine Gruppen und Einzelne",
        "ptype_twin": "Städtepartnerschaft", "lane_planned": "Geplant", "lane_actual": "Tatsächlich",
        "no_start": "{n} Einträge ohne Datum sind nicht in der Zeitleiste.",
        "unlinked": "Ohne SDG:", "home": "Heimatstadt", "links": "Verbindungen", "statements": "Aussagen",
        "png_caption": "hki – Internationale Beziehungen", "close": "Schließen",
    },
    "en": {
        "title": "Explore", "intro": "The web of international relations: who is linked to whom, and through what.",
        "mode_network": "Network", "mode_communities": "Groups", "mode_sdg": "SDGs", "mode_map": "Map",
        "mode_timeline": "Timeline", "modes": "View",
        "hint_network": "Each dot is an entry, each line a link. Click for its details, double-click to see its "
                        "neighbourhood. Drag to move, scroll to zoom.",
        "hint_communities": "Colours show groups: entries more closely linked to each other than to the rest "
                            "(found automatically).",
        "hint_sdg": "The UN's 17 Sustainable Development Goals on a ring; between them the city's goals and measures, "
                    "linked to the SDGs they pursue. An SDG without lines is not pursued yet.",
        "hint_map": "Partner cities on the world map. Lines run from {home} to each partner: solid = twin city, "
                    "dashed = friendship, dotted = project partnership. Scroll, or \"Closer to …\" below the map, "
                    "to zoom in.",
        "hint_timeline": "Top: partnerships by the year they began. Bottom: the action concept's milestones, as "
                         "planned and as they happened.",
        "search": "Search", "search_placeholder": "City, organisation, goal, SDG …",
        "search_none": "Nothing found.", "not_in_network": "This entry is not part of the network.",
        "legend": "What is shown", "legend_hint": "Untick a kind to hide it.",
        "size_by": "Dot size by", "size_none": "all the same", "size_hubs": "number of links",
        "size_brokers": "go-between role", "size_influence": "influence",
        "size_hubs_hint": "Big dots have the most direct links.",
        "size_brokers_hint": "Big dots lie on many of the shortest paths between others: without them, others "
                             "drift apart.",
        "size_influence_hint": "Big dots are linked to entries that are themselves well linked.",
        "filters": "Narrow down", "ptype": "Partnership type", "sdg": "Sustainable Development Goal",
        "country": "Country", "all": "all", "years": "Years",
        "years_hint": "Partnerships by the year they began, and the action concept's events; other entries stay.",
        "from": "from", "to": "to",
        "filters_hint": "Country, type and SDG only hide entries that have one (e.g. cities and partnerships of "
                        "another country).",
        "reset_filters": "Reset all filters",
        "focus": "Neighbourhood", "focus_of": "Neighbourhood of", "focus_none": "Pick an entry (click or search).",
        "depth": "Steps", "direction": "Direction", "dir_both": "both ways", "dir_out": "only links from it",
        "dir_in": "only links to it", "show_all": "Show everything", "show_focus": "Show neighbourhood",
        "path": "How are A and B connected?", "path_a": "A", "path_b": "B", "path_go": "Show the connection",
        "path_clear": "Hide the connection", "path_pick": "Pick A and B by searching or in the network.",
        "use_as_a": "use as A", "use_as_b": "use as B", "path_none": "No connection found.",
        "export": "Share and download", "copy_link": "Copy a link to this view", "copied": "Link copied.",
        "copy_failed": "Please copy the link from the address bar.",
        "png": "Picture (PNG)", "data": "Data of this view:",
        "details": "Details", "details_none": "Click a dot to see its details here.",
        "open_page": "Open its full page", "sources": "Sources", "facts": "Facts", "kind": "Kind",
        "loading": "Loading …", "error": "That did not work; please try again later.",
        "truncated": "The network has {total} entries; shown are the {shown} with the most links. Search for an "
                     "entry to see its whole neighbourhood.",
        "cut": "The neighbourhood is very large; shown are the nearest {shown} entries.",
        "visible": "{n} of {total} entries visible", "faded": "pale: outside the neighbourhood",
        "faded_path": "pale: not part of the connection", "zoom_home": "Closer to {home}", "milestones": "milestones",
        "community": "Group {n}", "community_of": "around {name}", "communities_more": "small groups and loners",
        "ptype_twin": "Twin city", "lane_planned": "Planned", "lane_actual": "Actual",
        "no_start": "{n} entries without a date are not on the timeline.",
        "unlinked": "No SDG:", "home": "Home city", "links": "links", "statements": "statements",
        "png_caption": "hki – International relations", "close": "Close",
    },
}
MODES = ("network", "communities", "sdg", "map", "timeline")


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
    format: Literal["graphml", "gexf", "csv"]
    nodes: list[str] = Field(description="IRIs of the entries in the view; links among them come along.",
                             max_length=EXPORT_MAX_NODES)
    name: str = Field("hki-view", max_length=80, pattern=r"^[A-Za-z0-9._-]+$")


class ExploreRouter(APIRouter):
    """`/explore` and `/api/explore/…` for one store; shares the analysis router's projections."""

    def __init__(self, store: KnowledgeStore, settings: Settings,
                 views: Callable[[], Projections] | None = None, catalogue: EntityCatalogue | None = None):
        super().__init__(tags=["Explorer"])
        self.store = store
        self.settings = settings
        self._views = views or (lambda: projections(store))
        self._explorer: Explorer | None = None
        self._lock = threading.Lock()
        self.pages = PageViews(store, catalogue or EntityCatalogue(store))
        self.describer = Describer(store)
        self.add_api_route("/explore", self.page, methods=["GET", "HEAD"], response_class=HTMLResponse,
                           include_in_schema=False)
        api = [("/graph", self.graph, "The whole network (or its best-linked part), with positions and filters"),
               ("/neighbourhood", self.neighbourhood, "The entries within 1–3 links of one, with positions "
                                                       "(`known`: false when the IRI is no entry of the network)"),
               ("/sdg", self.sdg, "Goals and measures with the SDGs they address, laid out around a ring"),
               ("/map", self.map, "Places with coordinates, lines from the home city, the world's land outline"),
               ("/timeline", self.timeline, "Partnerships by start year and the action concept's milestones"),
               ("/details", self.details, "An entry's facts in plain words, for the details panel")]
        for path, handler, summary in api:
            self.add_api_route("/api/explore" + path, handler, methods=["GET"], summary=summary,
                               **({"response_model": DetailsModel} if path == "/details" else {}))
        self.add_api_route("/api/explore/export", self.export, methods=["POST"], response_class=Response,
                           summary="The entries of a view and their links as GraphML, GEXF or CSV (zip)")

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
        words = EXPLORE_TEXT[lang]
        context = {"t": {**TEXT[lang], **words}, "x": words, "texts": EXPLORE_TEXT[lang], "lang": lang,
                   "other_lang": other_language(lang), "version": __version__, "modes": MODES,
                   "switch_url": "/explore?" + urllib.parse.urlencode(query),
                   "title": words["title"], "licence": self.settings.licence,
                   "licence_name": licence_name(self.settings.licence), "alternates": []}
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

    def map(self) -> dict:
        view = self.explorer().map_view()
        return {**view, "scale": MAP_SCALE, "land": _land(MAP_SCALE)}

    def timeline(self) -> dict:
        return self.explorer().timeline()

    def details(self, iri: Annotated[str, Query(min_length=1, max_length=2000)],
                lang: Annotated[Literal["de", "en"] | None, Query()] = None) -> DetailsModel:
        language = lang or self.settings.lang
        try:
            sparql_iri(iri)
            if not self.describer.exists(iri):
                raise HTTPException(404, f"iri: the graph says nothing about {iri}")
            view = self.pages.resource(self.describer.describe(iri, 0), language)
        except EntityError as exc:
            raise HTTPException(400, f"iri: {exc}") from None
        except QueryTimeout as exc:
            raise HTTPException(504, str(exc)) from None
        except QueryBusy as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from None
        except QueryError as exc:
            raise HTTPException(400, str(exc)) from None

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
        if body.format == "csv":
            payload = _csv_zip(graph, body.name)
        else:
            buffer = io.BytesIO()
            writer = nx.write_graphml if body.format == "graphml" else nx.write_gexf
            writer(exportable(graph), buffer, encoding="utf-8")
            payload = buffer.getvalue()
        return Response(payload, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{body.name}.{extension}"'})


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


__all__ = ["EXPLORE_TEXT", "ExploreRouter", "MODES"]
