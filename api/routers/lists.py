"""Lists for people: the list pages (/list, /list/{key}), the SDG overview (/sdgs) and the downloads
page (/downloads), with filters, sorting, pages and spreadsheets of exactly the rows a filter selects.

Everything is a plain GET link or form, so it works without JavaScript and every view has an address
to share: `/list/cities?type=twin-city&country=FRA&sort=-since&page=2`. The same address with
`.xlsx` or `.csv` after the list's name (`/list/cities.xlsx?type=twin-city&country=FRA`) is that
selection as a workbook or as CSV for German Excel (graph/views/tables.py), with the column headings
and file name in the page language (`partnerstaedte.xlsx`, `partner-cities.xlsx`).

A filter value a list does not have (`country=XYZ`, `from=19x`, `page=9` of 1) is answered 400, with a
message in the page language naming the parameter and the valid values: an HTML page for browsers,
plain text for a spreadsheet address.

The page frame (language, menu, footer, licence header, links to resources) is the linked-data router's
(api/routers/resources.py): app.py hands it in as `shell`, so both kinds of page look alike and the
routers stay independent of each other.
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from pathlib import Path
from typing import Protocol

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.web.i18n import N_, page_language, translate
from graph.config import Settings
from graph.publish.dumps import read_distributions, read_releases
from graph.store import KnowledgeStore
from graph.views.lists import (CONTEXT_PARAM, CONTEXT_SHOWN, CURATED, LISTS, WIKIDATA_ONLY, WIKIDATA_TWIN,
                               FilterError, ListTable, ListViews, YEAR_PARAMS)
from graph.views.pages import PageViews, optional
from graph.views.tables import csv_bytes, xlsx_bytes
from api.web.maps import svg_map

SPREADSHEETS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "csv": "text/csv; charset=utf-8"}

# Column headings: per list where the word differs, else the general one.
HEADINGS: dict[str, str] = {
    "name": N_("lists.col_name"), "type": N_("lists.col_type"), "country": N_("lists.col_country"),
    "since": N_("lists.col_since"), "partnerships": N_("lists.col_partnerships"), "partners": N_("lists.col_partners"),
    "start": N_("lists.col_start"), "end": N_("lists.col_end"), "network": N_("lists.col_network"),
    "member": N_("lists.col_member"), "topic": N_("lists.col_topic"), "kind": N_("lists.col_kind"),
    "unit_of": N_("lists.col_unit_of"), "founded": N_("lists.col_founded"), "notation": N_("lists.col_number"),
    "identifier": N_("lists.col_number"), "scheme": N_("lists.col_scheme"), "sdg": N_("lists.col_sdgs"),
    "measures": N_("lists.col_measures"), "status": N_("lists.col_status"),
    "organisation": N_("lists.col_organisation"), "unit": N_("lists.col_unit"), "goals": N_("lists.col_goals"),
    "basis": N_("lists.col_basis"), "check": N_("lists.col_check"),
    "wikidata_twins": N_("lists.col_wikidata_twins"),
}
LIST_HEADINGS: dict[tuple[str, str], str] = {
    ("cities", "name"): N_("lists.col_city"), ("cities", "type"): N_("lists.col_relation"),
    ("partnerships", "name"): N_("lists.col_partnership"), ("memberships", "name"): N_("lists.col_membership"),
    ("organisations", "name"): N_("lists.col_organisation_name"), ("goals", "name"): N_("lists.col_goal"),
    ("measures", "name"): N_("lists.col_measure"), ("sdgs", "name"): N_("lists.col_entry"),
    ("sdgs", "kind"): N_("lists.col_entry_kind"), ("sdgs", "sdg"): N_("lists.col_sdg"),
    ("class", "name"): N_("lists.col_name"),
}
# Filter names: the legend of each filter's group of check boxes.
FILTERS: dict[str, str] = {
    "type": N_("lists.filter_type"), "country": N_("lists.filter_country"), "topic": N_("lists.filter_topic"),
    "kind": N_("lists.filter_kind"), "scheme": N_("lists.filter_scheme"), "sdg": N_("lists.filter_sdg"),
    "status": N_("lists.filter_status"), "organisation": N_("lists.filter_organisation"),
    "basis": N_("lists.filter_basis"), "from": N_("lists.filter_from"), "to": N_("lists.filter_to"),
    "sort": N_("lists.param_sort"), "page": N_("lists.param_page"),
    "origin": N_("lists.filter_origin"), "context": N_("lists.param_context"),
}
# The context layer's words on a list (graph.views.lists: CURATED, WIKIDATA_ONLY, WIKIDATA_TWIN).
CONTEXT_TEXTS = {CURATED: N_("lists.origin_curated"), WIKIDATA_ONLY: N_("lists.origin_wikidata"),
                 WIKIDATA_TWIN: N_("lists.type_wikidata_twin")}
# More places than this and the list's small SVG map gives way to a link to the explorer's map, which
# clusters them (an SVG with ten thousand circles is megabytes and unreadable).
MAP_POINTS = 1500
FILTER_KINDS = {("sdgs", "kind"): N_("lists.filter_entry_kind"), ("cities", "type"): N_("lists.filter_relation")}
# What each list is, in a sentence (the page's lead and the downloads page).
LEADS: dict[str, str] = {
    "cities": N_("lists.lead_cities"), "partnerships": N_("lists.lead_partnerships"),
    "memberships": N_("lists.lead_memberships"), "organisations": N_("lists.lead_organisations"),
    "goals": N_("lists.lead_goals"), "measures": N_("lists.lead_measures"), "sdgs": N_("lists.lead_sdgs"),
}
# File names of the spreadsheets, without extension (partnerstaedte, partner-cities).
FILE_NAMES: dict[str, str] = {
    "cities": N_("lists.file_cities"), "partnerships": N_("lists.file_partnerships"),
    "memberships": N_("lists.file_memberships"), "organisations": N_("lists.file_organisations"),
    "goals": N_("lists.file_goals"), "measures": N_("lists.file_measures"), "sdgs": N_("lists.file_sdgs"),
    "class": N_("lists.file_class"),
}
# The staff tables on the downloads page, in this order.
STAFF_TABLES = ("partnerships", "cities", "memberships", "measures", "organisations", "goals", "sdgs")
# The RDF dumps, described for people (graph/publish/dumps.py names the files).
DUMP_TEXTS: dict[str, str] = {
    "hki.ttl": N_("downloads.dump_ttl"), "hki.nt.gz": N_("downloads.dump_nt"), "hki.jsonld": N_("downloads.dump_jsonld"),
    "hki.rdf": N_("downloads.dump_rdf"), "hki.trig": N_("downloads.dump_trig"),
}


class PageShell(Protocol):
    """What the pages share with the linked-data router: the frame of a page and links to resources."""

    views: PageViews

    def href(self, iri: str | None, known: bool = True) -> str | None: ...
    def _context(self, request: Request, lang: str, **extra) -> dict: ...
    def _page(self, request: Request, template: str, context: dict, status: int = 200,
              headers: dict[str, str] | None = None) -> HTMLResponse: ...
    def _not_found(self, request: Request, iri: str, html: bool | None = None) -> Response: ...
    def _list_links(self, lang: str) -> list[dict]: ...


def heading(lang: str, key: str, column: str) -> str:
    return translate(lang, LIST_HEADINGS.get((key, column)) or HEADINGS.get(column, column))


def filter_name(lang: str, key: str, facet: str) -> str:
    return translate(lang, FILTER_KINDS.get((key, facet)) or FILTERS.get(facet, facet))


class ListsRouter(APIRouter):
    """/list, /list/{key} (and .xlsx, .csv), /sdgs (and .xlsx, .csv), /downloads."""

    def __init__(self, store: KnowledgeStore, settings: Settings, shell: PageShell, dist_dir: Path = Path("dist")):
        super().__init__(tags=["Lists"])
        self.store = store
        self.settings = settings
        self.shell = shell
        self.dist_dir = Path(dist_dir).resolve()
        self.lists = ListViews(shell.views, getattr(shell, "context", None))
        page = {"response_class": HTMLResponse, "include_in_schema": False, "methods": ["GET", "HEAD"]}
        self.add_api_route("/list", self.list_index, **page)
        self.add_api_route("/list/{key}", self.list_page, methods=["GET", "HEAD"], response_class=Response,
                           include_in_schema=False)
        self.add_api_route("/sdgs", self.sdg_page, methods=["GET", "HEAD"], response_class=Response,
                           include_in_schema=False)
        self.add_api_route("/sdgs.{ext}", self.sdg_page, methods=["GET", "HEAD"], response_class=Response,
                           include_in_schema=False)
        self.add_api_route("/downloads", self.downloads_page, **page)

    # ------------------------------------------------------------------ the list pages
    def list_index(self, request: Request) -> Response:
        lang = page_language(request, self.settings.lang)
        class_iri = request.query_params.get("class")
        if class_iri:  # every entry of one class (links from the table below)
            return self._list(request, lang, "class", None, class_iri)
        classes = self.shell.views.classes(lang)
        schemes = optional(lambda: self.shell.views.schemes(lang), [])
        context = self.shell._context(request, lang, classes=classes, schemes=schemes,
                                      lists=self.shell._list_links(lang),
                                      list_url=lambda c: "/list?" + urllib.parse.urlencode({"class": c}))
        return self.shell._page(request, "lists.html", context)

    def list_page(self, request: Request, key: str) -> Response:
        lang = page_language(request, self.settings.lang)
        stem, dot, ext = key.rpartition(".")
        if not dot:
            stem, ext = key, None
        if stem not in LISTS or stem == "sdgs" or (ext is not None and ext not in SPREADSHEETS):
            return self.shell._not_found(request, f"{self.settings.base}list/{key}", html=True if ext is None else None)
        return self._list(request, lang, stem, ext)

    def sdg_page(self, request: Request, ext: str | None = None) -> Response:
        lang = page_language(request, self.settings.lang)
        if ext is not None and ext not in SPREADSHEETS:
            return self.shell._not_found(request, f"{self.settings.base}sdgs.{ext}")
        return self._list(request, lang, "sdgs", ext)

    def _title(self, lang: str, key: str, class_iri: str | None) -> str:
        if class_iri is not None:
            return self.shell.views.name(class_iri, lang)
        if key == "sdgs":
            return translate(lang, "pages.sdgs")
        return next(link["name"] for link in self.shell._list_links(lang) if link["url"] == f"/list/{key}")

    def _list(self, request: Request, lang: str, key: str, ext: str | None, class_iri: str | None = None) -> Response:
        params = {name: request.query_params.getlist(name) for name in request.query_params.keys()}
        title = self._title(lang, key, class_iri)
        path = "/sdgs" if key == "sdgs" else "/list" if key == "class" else f"/list/{key}"
        try:
            table = self.lists.table(key, lang, params, class_iri=class_iri,
                                     texts={k: translate(lang, m) for k, m in CONTEXT_TEXTS.items()})
        except FilterError as error:
            message = self._explain(lang, key, error)
            if ext is not None:
                return Response(message + "\n", 400, media_type="text/plain; charset=utf-8")
            context = self.shell._context(request, lang, heading=title, error=message, reset_url=path,
                                          key=key, table=None)
            return self.shell._page(request, "sdgs.html" if key == "sdgs" else "list.html", context, status=400)
        if ext is not None:
            return self._spreadsheet(request, lang, key, title, table, ext, path, class_iri)
        links = Links(path, table, class_iri)
        context = self.shell._context(
            request, lang, heading=title, key=key, table=table, links=links, lead=translate(lang, LEADS[key])
            if key in LEADS else "", headings={c: heading(lang, key, c) for c in ["name", *table.columns]},
            filters={f.key: filter_name(lang, key, f.key) for f in table.facets}, error=None, reset_url=links.reset,
            active=self._active(lang, key, table, links),
            context_toggle=self._context_toggle(table, links))
        if key == "cities":
            context.update(self._city_map(lang, table))
        if key == "sdgs":
            context["sdgs"] = self._sdg_groups(lang, table)
        return self.shell._page(request, "sdgs.html" if key == "sdgs" else "list.html", context)

    def _context_toggle(self, table: ListTable, links: "Links") -> dict | None:
        """Show or hide the context layer's entries (Wikidata) on a list that can show them, when there are any."""
        if not table.spec.context or not optional(self.lists.context.available, False):
            return None
        shown = table.selection.context
        return {"shown": shown, "url": links.without(CONTEXT_PARAM) if shown else links.with_context()}

    def _explain(self, lang: str, key: str, error: FilterError) -> str:
        """The FilterError in the page language: the filter's name and parameter, the value, what is valid."""
        name = filter_name(lang, key, error.parameter)
        if error.parameter == "sort":
            valid = ", ".join(f"{k} ({heading(lang, key, k)})" for k, _ in error.valid or [])
            return translate(lang, "lists.error_sort", value=error.value, valid=valid)
        if error.parameter == "page":
            if error.details.get("pages"):
                return translate(lang, "lists.error_page_range", value=error.value, pages=error.details["pages"])
            return translate(lang, "lists.error_page", value=error.value)
        if error.parameter in YEAR_PARAMS:
            if "start" in error.details:
                return translate(lang, "lists.error_period", start=error.details["start"], value=error.value)
            return translate(lang, "lists.error_year", name=name, parameter=error.parameter, value=error.value,
                             low=error.details["low"], high=error.details["high"])
        valid = ", ".join(f"{k} ({label})" for k, label in error.valid or [])
        return translate(lang, "lists.error_value", name=name, parameter=error.parameter, value=error.value,
                         valid=valid or translate(lang, "lists.error_no_values"))

    def _active(self, lang: str, key: str, table: ListTable, links: "Links") -> list[dict]:
        """The filters in force, each with a link that removes it."""
        out = []
        for facet in table.facets:
            name = filter_name(lang, key, facet.key)
            for option in facet.selected:  # "Land: Frankreich"; "SDG 13: …" says itself what it is
                text = option.label if option.label.startswith(name) else f"{name}: {option.label}"
                out.append({"text": text,
                            "url": links.without(facet.key, option.key)})
        if table.years and table.years.start is not None:
            out.append({"text": f"{filter_name(lang, key, 'from')} {table.years.start}", "url": links.without("from")})
        if table.years and table.years.end is not None:
            out.append({"text": f"{filter_name(lang, key, 'to')} {table.years.end}", "url": links.without("to")})
        return out

    def _city_map(self, lang: str, table: ListTable) -> dict:
        """Every partner city on a small world map, the home city in red and those of the selection in blue
        (the others grey): the map keeps its place when a filter is chosen."""
        views = self.shell.views
        home_iris = optional(self.lists.home_places, set())
        if len(home_iris) > 3:  # a registry with an administration per city has no one home city to mark
            home_iris = set()
        home = [{"iri": h, "label": views.index.get(h).label(lang)} for h in sorted(home_iris)]
        listed = {r.iri for r in table.everything} | home_iris
        if len(listed) > MAP_POINTS:
            return {"world": None, "home": home, "selected": set(), "map_link": "/explore?mode=map"}
        coords = optional(self.lists.city_coordinates, {})
        places = sorted(((lat, lon, views.index.get(c).label(lang), self.shell.href(c))
                         for c, (lat, lon) in coords.items() if c in listed),
                        key=lambda p: p[3] not in {self.shell.href(h) for h in home_iris})
        world = svg_map(places, resolution="110m", main_first=bool(home_iris)) if places else None
        return {"world": world, "home": home, "selected": {self.shell.href(r.iri) for r in table.matched}}

    def _sdg_groups(self, lang: str, table: ListTable) -> list[dict]:
        """The SDGs with their matching goals and measures; without a filter every SDG, else those with entries."""
        by_sdg: dict[str, list] = {}
        for row in table.matched:
            by_sdg.setdefault(row.group, []).append(row)
        out = []
        for sdg in self.lists.sdgs(lang):
            rows = by_sdg.get(sdg["iri"], [])
            if table.selection.filtered and not rows:
                continue
            kinds = {"goals": [], "measures": []}
            for row in rows:
                kind = "measures" if any(v.iri and v.iri.endswith("#Measure") for v in row.cells["kind"].values) else "goals"
                kinds[kind].append(row)
            out.append({**sdg, **kinds})
        return out

    # ------------------------------------------------------------------ spreadsheets
    def _spreadsheet(self, request: Request, lang: str, key: str, title: str, table: ListTable, ext: str,
                     path: str, class_iri: str | None) -> Response:
        headers = [heading(lang, key, c) for c in table.export_columns]
        rows = table.export_rows()
        name = translate(lang, FILE_NAMES[key]) + "." + ext
        if ext == "csv":
            body = csv_bytes(headers, rows, lang)
        else:
            query = Links(path, table, class_iri).query()
            filters = "; ".join(a["text"] for a in self._active(lang, key, table, Links(path, table, class_iri)))
            about = [(translate(lang, "lists.about_table"), title),
                     (translate(lang, "lists.about_selection"), filters or translate(lang, "lists.about_everything")),
                     (translate(lang, "lists.about_rows"), translate(lang, "lists.count", shown=len(rows), total=table.total)),
                     (translate(lang, "lists.about_source"), self.settings.base.rstrip("/") + path + (f"?{query}" if query else "")),
                     (translate(lang, "lists.about_publisher"), self.settings.publisher),
                     (translate(lang, "lists.about_licence"), self.settings.licence),
                     (translate(lang, "lists.about_made"), dt.date.today().strftime("%d.%m.%Y" if lang == "de" else "%Y-%m-%d"))]
            body = xlsx_bytes(title, headers, rows, lang, about=about, about_name=translate(lang, "lists.about_sheet"))
        disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
        return Response(body if request.method != "HEAD" else b"", media_type=SPREADSHEETS[ext],
                        headers={"Content-Disposition": disposition, "Content-Length": str(len(body)),
                                 "Content-Language": lang})

    # ------------------------------------------------------------------ downloads
    def downloads_page(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        titles = {link["url"]: link["name"] for link in self.shell._list_links(lang)}
        tables = [{"key": key, "title": translate(lang, "pages.sdgs") if key == "sdgs" else titles[f"/list/{key}"],
                   "text": translate(lang, LEADS[key]), "page": "/sdgs" if key == "sdgs" else f"/list/{key}",
                   "file": translate(lang, FILE_NAMES[key])} for key in STAFF_TABLES]
        files = [{"file_name": d.file_name, "byte_size": d.byte_size, "sha256": d.sha256, "media_type": d.media_type,
                  "size": format_decimal(d.byte_size / 1000, format="#,##0.#", locale=lang) + " kB",
                  "text": translate(lang, DUMP_TEXTS[d.file_name]) if d.file_name in DUMP_TEXTS else d.title}
                 for d in read_distributions(self.dist_dir)]
        # the numbered releases of the editing workspace (graph/workspace/releases.py), newest first, each with its dumps
        releases = [{"number": r.number, "date": _release_date(r.date, lang), "iso": r.date,
                     "notes": r.notes.get(lang) or r.notes.get("de") or "",
                     "files": [{"path": f, "name": f.rsplit("/", 1)[-1]} for f in r.files]}
                    for r in read_releases(self.dist_dir)]
        return self.shell._page(request, "downloads.html", self.shell._context(request, lang, files=files, tables=tables,
                                                                               releases=releases))


def _release_date(iso: str, lang: str) -> str:
    """A release's day as people write it (1. Dezember 2026, December 1, 2026)."""
    from babel.dates import format_date

    try:
        return format_date(dt.date.fromisoformat(iso), format="long", locale=lang)
    except ValueError:
        return iso


class Links:
    """The addresses a list page links to: the same selection sorted, paged, without one filter, as a file."""

    def __init__(self, path: str, table: ListTable, class_iri: str | None = None):
        self.path = path
        self.table = table
        self.base: list[tuple[str, str]] = [("class", class_iri)] if class_iri else []
        selection = table.selection
        for facet in table.spec.facets:
            self.base += [(facet, key) for key in sorted(selection.chosen.get(facet, ()))]
        if selection.start is not None:
            self.base.append(("from", str(selection.start)))
        if selection.end is not None:
            self.base.append(("to", str(selection.end)))
        if selection.context:
            self.base.append((CONTEXT_PARAM, CONTEXT_SHOWN))
        self.sort = ("-" if selection.descending else "") + selection.sort
        self.reset = path + (f"?{urllib.parse.urlencode([('class', class_iri)])}" if class_iri else "")

    def _url(self, pairs: list[tuple[str, str]], path: str | None = None) -> str:
        query = urllib.parse.urlencode(pairs)
        return (path or self.path) + (f"?{query}" if query else "")

    def _sorted(self) -> list[tuple[str, str]]:
        return [] if self.sort == self.table.spec.default_sort else [("sort", self.sort)]

    def query(self) -> str:
        return urllib.parse.urlencode(self.base + self._sorted())

    def sort_by(self, column: str) -> str:
        """The same selection sorted by `column`; ascending first, descending when it is already ascending."""
        selection = self.table.selection
        flip = selection.sort == column and not selection.descending
        order = ("-" if flip else "") + column
        return self._url(self.base + ([] if order == self.table.spec.default_sort else [("sort", order)]))

    def page(self, number: int) -> str:
        return self._url(self.base + self._sorted() + ([("page", str(number))] if number > 1 else []))

    def without(self, parameter: str, value: str | None = None) -> str:
        kept = [(k, v) for k, v in self.base if not (k == parameter and (value is None or v == value))]
        return self._url(kept + self._sorted())

    def with_context(self) -> str:
        """The same selection with the context layer's entries shown too (from the first page)."""
        return self._url([*self.base, (CONTEXT_PARAM, CONTEXT_SHOWN)] + self._sorted())

    def file(self, ext: str) -> str:
        return self._url(self.base + self._sorted(), path=f"{self.path}.{ext}")

    def pages(self) -> list[dict]:
        """Links to every page (a few around the current one and the first and last when there are many)."""
        current, last = self.table.page, self.table.pages
        wanted = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
        out, previous = [], 0
        for number in wanted:
            if number - previous > 1:
                out.append({"gap": True})
            out.append({"number": number, "url": self.page(number), "current": number == current})
            previous = number
        return out


__all__ = ["ListsRouter", "Links", "PageShell"]
