"""Linked-data publication: dereferenceable IRIs, pages for people, and the dataset's metadata.

Dereferencing pattern (one for every IRI we mint — `/id/…`, `/scheme/…`, `/def`, `/dataset`):
**200 at the IRI itself, negotiated**. The server answers `GET <its URL>/id/city/bristol` (the IRI
`<base>id/city/bristol`) with the description in the format the client prefers — HTML for browsers,
Turtle, JSON-LD, N-Triples or RDF/XML — with `Vary: Accept` and a `Content-Location` naming the
format-specific document (`/id/city/bristol.ttl`, `.jsonld`, `.nt`, `.rdf`, `.html`), which is served
too and never varies. `?format=ttl|jsonld|nt|rdf|html` (and the long names) overrides the Accept
header. Every answer has `Link: <…>; rel="alternate"; type="…"` for each other form and
`Link: <licence>; rel="license"`; HTML pages repeat the alternates as `<link rel="alternate">`.
Unknown IRIs get 404 (an HTML page with suggestions for browsers); no negotiation ever redirects.

Pages for people (German and English, `?lang=` remembered in a cookie): the home page, a page per
resource and the ontology; the list pages, the SDG overview and downloads are api/routers/lists.py's,
in the frame of these pages (`_context`, `_page`, `href`, handed to it by app.py).
Metadata: `/.well-known/void` and `/catalog` (VoID + DCAT-AP.de, negotiated RDF).
"""
from __future__ import annotations

import urllib.parse
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.web.i18n import N_, other_language, page_language, remember_language, translate
from api.web.errors import explain
from api.web.negotiation import choose
from api.web.maps import svg_map
from api.web.site import CONTEXT_ITEM_PATH
from graph import __version__
from graph.workspace.releases import current_release
from graph.publish.catalogue import DEFAULT_PROFILE, PROFILES, Profile, dataset_metadata, licence_name
from graph.publish.dumps import read_distributions
from graph.config import Settings
from graph.views.context import ContextLayer, page_values, qid_of
from graph.views.describe import INCOMING_MAX, Describer, Description, see_also
from graph.views.entities import EntityCatalogue, EntityError, normalise, sparql_iri
from graph.store import GRAPH_NAMES, KnowledgeStore
from graph.store.formats import HTML, HTML_ALIASES, graph_aliases, media_type, named, names_for
from graph.views.pages import PageViews, Value, optional, timeline_bars
from ontology import ONTOLOGY_IRI, PREFIXES
from api.web.templates import templates


# The forms of a description, in the order offered (HTML first: browsers); an RDF syntax's file extension, media
# type and name are pyoxigraph's, and the format= names and Accept aliases graph/store/formats.py's.
_FORMS = (None, ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.RDF_XML)
# (file extension, media type, rdf format or None for HTML, name shown to people)
FORMATS: tuple[tuple[str, str, ox.RdfFormat | None, str], ...] = tuple(
    ("html", HTML, None, "HTML") if fmt is None else (fmt.file_extension, media_type(fmt), fmt, fmt.name)
    for fmt in _FORMS)
BY_EXTENSION = {ext: (media, fmt, name) for ext, media, fmt, name in FORMATS}
BY_MEDIA = {media: ext for ext, media, _, _ in FORMATS}
ACCEPT_ALIASES = {**graph_aliases("application/json", "text/plain", "application/xml", "application/x-turtle"),
                  **HTML_ALIASES}
RDF_MEDIA = [media for _, media, fmt, _ in FORMATS if fmt is not None]
# Text syntaxes name their charset; JSON is UTF-8 by definition and XML declares its own encoding.
CONTENT_TYPES = {media: f"{media}; charset=utf-8"
                 for media in (HTML, media_type(ox.RdfFormat.TURTLE), media_type(ox.RdfFormat.N_TRIPLES))}


def format_extension(asked: str) -> str | None:
    """The file extension of the form a `format=` name asks for (ttl for turtle, jsonld for json, …), or None."""
    return next((BY_MEDIA[media] for media in named(asked) if media in BY_MEDIA), None)

# The list pages with a fixed address (api/routers/lists.py serves them): key → msgid of the heading
LISTS: dict[str, str] = {
    "cities": N_("pages.cities"), "partnerships": N_("pages.partnerships"), "organisations": N_("pages.organisations"),
    "memberships": N_("pages.memberships"), "goals": N_("pages.goals"), "measures": N_("pages.measures"),
}
ACTION_CONCEPT_PATH = "id/action-concept/internationale-stadt"


def _split_extension(path: str) -> tuple[str, str | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and ext in BY_EXTENSION and "/" not in ext:
        return stem, ext
    return path, None


def _is_iri(text: str) -> bool:
    """Whether `text` is an IRI Oxigraph accepts (a path may hold code points no IRI may)."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"


class LinkedDataRouter(APIRouter):
    """Dereferencing, pages for people and dataset metadata over one store."""

    def __init__(self, store: KnowledgeStore, settings: Settings, dist_dir: Path = Path("dist"),
                 catalogue: EntityCatalogue | None = None):
        super().__init__(tags=["Linked data"])
        self.store = store
        self.settings = settings
        self.base = settings.base
        self.dist_dir = Path(dist_dir).resolve()
        self.describer = Describer(store)
        self.views = PageViews(store, catalogue or EntityCatalogue(store))
        self.context = ContextLayer(store)  # Wikidata's twin-city network (graph/views/context.py), shared with the lists
        self._metadata_cache: dict[str, tuple[object, list[ox.Triple]]] = {}
        page = {"response_class": HTMLResponse, "include_in_schema": False, "methods": ["GET", "HEAD"]}
        self.add_api_route("/", self.home, **page)
        for prefix in ("/id/{path:path}", "/scheme/{path:path}", "/dataset/{path:path}"):
            self.add_api_route(prefix, self.dereference, methods=["GET", "HEAD"], response_class=Response,
                               summary="Dereference an IRI of the dataset (content negotiation)")
        self.add_api_route("/graph/{name}", self.named_graph, methods=["GET", "HEAD"], response_class=Response,
                           summary="A named graph's IRI: its description (size, the dataset it belongs to)")
        for exact in ("/def", "/def.{ext}", "/dataset", "/dataset.{ext}"):
            self.add_api_route(exact, self.dereference_exact, methods=["GET", "HEAD"], response_class=Response,
                               include_in_schema=False)
        self.add_api_route("/resource", self.resource, methods=["GET", "HEAD"], response_class=Response,
                           summary="Any resource the graph describes (e.g. an SDG), by its IRI")
        self.add_api_route("/ontology", self.ontology_page, **page)
        for path in ("/.well-known/void", "/catalog"):
            self.add_api_route(path, self.metadata, methods=["GET", "HEAD"], response_class=Response,
                               summary="The dataset's description: VoID and a DCAT-AP.de catalogue")

    # ------------------------------------------------------------------ helpers
    def href(self, iri: str | None, known: bool = True) -> str | None:
        """Where a link to `iri` goes: our IRIs to this server, described ones to /resource, the web as is."""
        if not iri:
            return None
        if iri.startswith(self.base):
            return "/" + iri[len(self.base):]
        if iri == str(ONTOLOGY_IRI):
            return "/ontology"
        if qid_of(iri):  # a context item: the curated entry it is, else its own page (/kontext/Q64)
            world = optional(self.context.world, None)
            if world and iri in world.items:
                curated = world.curated_of.get(iri)
                return self.href(curated) if curated else f"{CONTEXT_ITEM_PATH}/{qid_of(iri)}"
        if known or iri in self.views.index.entities:
            return "/resource?" + urllib.parse.urlencode({"iri": iri})
        if iri.startswith(("http://", "https://")):
            return iri
        return None

    def _context(self, request: Request, lang: str, **extra) -> dict:
        query = dict(request.query_params)
        query["lang"] = other_language(lang)
        return {"lang": lang, "other_lang": other_language(lang), "version": __version__,
                "switch_url": request.url.path + "?" + urllib.parse.urlencode(query),
                "title": self.settings.title_de if lang == "de" else self.settings.title_en,
                "licence": self.settings.licence, "licence_name": licence_name(self.settings.licence),
                "href": self.href, "alternates": [], **extra}

    def _page(self, request: Request, template: str, context: dict, status: int = 200,
              headers: dict[str, str] | None = None) -> HTMLResponse:
        response = templates.TemplateResponse(request, template, context, status_code=status, headers=headers)
        if 'rel="license"' not in response.headers.get("Link", ""):
            response.headers["Link"] = ", ".join(filter(None, [response.headers.get("Link"),
                                                               f'<{self.settings.licence}>; rel="license"']))
        return remember_language(request, response)

    def _negotiate(self, request: Request, ext: str | None) -> tuple[str | None, str | None]:
        """(extension chosen, error message). `ext` from the URL wins, then ?format=, then Accept."""
        asked = request.query_params.get("format")
        if ext is None and asked:
            ext = format_extension(asked)
            if ext is None:
                valid = ", ".join(names_for(list(BY_MEDIA)))
                return None, f"format={asked!r} is not offered; valid values: {valid}"
        if ext is not None:
            return ext, None
        media = choose(request.headers.get("accept"), [m for _, m, _, _ in FORMATS], ACCEPT_ALIASES)
        if media is None:
            offered = ", ".join(m for _, m, _, _ in FORMATS)
            return None, f"none of the media types in the Accept header is offered here; offered: {offered}"
        return BY_MEDIA[media], None

    # ------------------------------------------------------------------ dereferencing
    def dereference(self, request: Request, path: str) -> Response:
        prefix = request.url.path.split("/", 2)[1]  # id, scheme or dataset
        stem, ext = _split_extension(path)
        iri = f"{self.base}{prefix}/{stem}"
        if prefix == "dataset":  # the parts of the dataset's description: publisher, contact, subsets, …
            if (ext is not None and ext not in BY_EXTENSION) or not _is_iri(iri):
                return self._not_found(request, f"{iri}.{ext}" if ext else iri)
            profile = self._profile(request)
            if isinstance(profile, Response):
                return profile
            part = self._metadata_part(iri, profile)
            if part:
                return self._metadata_response(request, part, profile, f"/dataset/{stem}", ext)
        if ext is not None and self._exists(f"{self.base}{prefix}/{path}"):
            iri, ext = f"{self.base}{prefix}/{path}", None  # an IRI that itself ends like a file name
        document = f"/{prefix}/{stem}"
        return self._serve(request, iri, ext, document)

    def dereference_exact(self, request: Request, ext: str | None = None) -> Response:
        name = request.url.path.strip("/").split(".", 1)[0]
        if ext is not None and ext not in BY_EXTENSION:
            return self._not_found(request, f"{self.base}{name}.{ext}")
        if name == "dataset":  # one description at the dataset's IRI: VoID and the whole DCAT-AP.de catalogue
            profile = self._profile(request)
            if isinstance(profile, Response):
                return profile
            return self._metadata_response(request, self.metadata_triples(profile), profile, "/dataset", ext)
        return self._serve(request, str(ONTOLOGY_IRI), ext, "/" + name)

    def named_graph(self, request: Request, name: str) -> Response:
        """The IRI of a named graph (<base>graph/data, …) dereferences to the dataset's statements about it:
        the VoID subset it names, with its size. Its content is queried (GRAPH <…> at /sparql) or downloaded (TriG)."""
        stem, ext = _split_extension(name)
        iri = f"{self.base}graph/{stem}"
        if (ext is not None and ext not in BY_EXTENSION) or not _is_iri(iri):
            return self._not_found(request, f"{iri}.{ext}" if ext else iri)
        profile = self._profile(request)
        if isinstance(profile, Response):
            return profile
        node = ox.NamedNode(iri)
        triples = self.metadata_triples(profile)
        subsets = {t.subject for t in triples if t.object == node}
        part = [t for t in triples if t.subject in subsets or t.object == node]
        count = self.store.triple_counts().get(stem)
        if count is None:
            return self._not_found(request, iri)
        # The meta graph is no VoID subset (it describes the dataset); every graph says its size and where it belongs.
        part += [ox.Triple(node, ox.NamedNode(VOID_TRIPLES), ox.Literal(str(count), datatype=ox.NamedNode(XSD_INTEGER))),
                 ox.Triple(node, ox.NamedNode(RDFS_SEE_ALSO), ox.NamedNode(self.base + "dataset"))]
        return self._metadata_response(request, part, profile, f"/graph/{stem}", ext)

    def resource(self, request: Request, iri: str = Query(..., description="The IRI of the resource, e.g. http://metadata.un.org/sdg/13")) -> Response:
        explain(request, {EntityError: lambda exc: f"iri: {exc}"})  # answered 400 (api/web/errors.py)
        sparql_iri(iri)
        return self._serve(request, iri, None, None)

    def _exists(self, iri: str) -> bool:
        return self.describer.exists(iri)

    def _alternates(self, iri: str, document: str | None) -> list[dict]:
        out = []
        for ext, media, _, name in FORMATS:
            if document is not None:
                url = f"{document}.{ext}"
            else:
                url = "/resource?" + urllib.parse.urlencode({"iri": iri, "format": ext})
            out.append({"ext": ext, "media": media, "name": name, "url": url})
        return out

    def _serve(self, request: Request, iri: str, ext: str | None, document: str | None) -> Response:
        chosen, problem = self._negotiate(request, ext)
        negotiated = ext is None and request.query_params.get("format") is None
        if problem:
            return Response(problem, 406 if request.query_params.get("format") is None else 400,
                            media_type="text/plain", headers={"Vary": "Accept"})
        # The store's errors (time limit, busy, endpoint down, a name that is no IRI) are answered from the
        # one table of api/web/errors.py.
        found = iri == str(ONTOLOGY_IRI) or self.describer.exists(iri)
        if not found:
            return self._not_found(request, iri, html=chosen == "html")
        everything = request.query_params.get("incoming") == "all"
        description = self.describer.describe(iri, INCOMING_MAX if everything else 100)
        alternates = self._alternates(iri, document)
        headers = {"Link": ", ".join([f'<{a["url"]}>; rel="alternate"; type="{a["media"]}"' for a in alternates
                                      if a["ext"] != chosen] + [f'<{self.settings.licence}>; rel="license"'])}
        if negotiated:
            headers["Vary"] = "Accept"
        location = next(a["url"] for a in alternates if a["ext"] == chosen)
        headers["Content-Location"] = location
        if chosen == "html":
            if iri == str(ONTOLOGY_IRI):
                return self._ontology_html(request, headers)
            return self._resource_page(request, description, alternates, headers)
        media, fmt, _ = BY_EXTENSION[chosen]
        more = str(request.url.include_query_params(incoming="all").remove_query_params("format"))
        more = self.base + more[len(str(request.base_url)):]  # public, not from the request's Host header
        triples = see_also(description, more)
        body = ox.serialize(triples, format=fmt, prefixes=PREFIXES if fmt == ox.RdfFormat.TURTLE else None) or b""
        return Response(body if request.method != "HEAD" else b"", media_type=None,
                        headers={**headers, "Content-Type": CONTENT_TYPES.get(media, media),
                                 "Content-Length": str(len(body))})

    def _not_found(self, request: Request, iri: str, html: bool | None = None) -> Response:
        if html is None:
            html = choose(request.headers.get("accept"), ["text/html", "text/plain"], ACCEPT_ALIASES) == "text/html"
        message = f"the dataset says nothing about <{iri}>"
        if not html:
            return Response(message + "; find entries with /api/search?q=… or browse /list", 404, media_type="text/plain")
        lang = page_language(request, self.settings.lang)
        words = iri.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
        suggestions: list[dict] = []
        for text in [words] + [w for w in words.split() if len(w) >= 4] + [w[:4] for w in words.split() if len(w) >= 5]:
            if not normalise(text):  # nothing to search for ("/id/---")
                continue
            for hit in optional(lambda: self.views.catalogue.search(text, lang=lang, limit=6), []):
                if hit.iri not in {s["iri"] for s in suggestions} and len(suggestions) < 6:
                    suggestions.append({"iri": hit.iri, "label": hit.label})
            if suggestions:
                break
        context = self._context(request, lang, iri=iri, suggestions=suggestions, lists=self._list_links(lang))
        return self._page(request, "not_found.html", context, status=404)

    # ------------------------------------------------------------------ pages
    def _list_links(self, lang: str) -> list[dict]:
        return [{"url": f"/list/{key}", "name": translate(lang, msgid)} for key, msgid in LISTS.items()]

    def home(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        counts = optional(self.store.triple_counts, {})
        context = self._context(request, lang,
                                counts=[(name, counts.get(name, 0)) for name in GRAPH_NAMES],
                                total=sum(v for k, v in counts.items() if k != "meta"),
                                concept_url="/" + ACTION_CONCEPT_PATH)
        return self._page(request, "home.html", context)

    def _resource_page(self, request: Request, description: Description, alternates: list[dict],
                       headers: dict[str, str]) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        view = self.views.resource(description, lang)
        place_map = None
        if view.lat is not None and view.lon is not None:
            place_map = svg_map([(view.lat, view.lon, view.label, None)], center=(view.lat, view.lon))
        network = None
        if view.neighbours:
            network = {"center": {"id": view.iri, "label": view.label, "group": self.views.group(view.iri)},
                       "nodes": [{"id": n.iri, "label": n.label, "group": n.group, "href": self.href(n.iri),
                                  "title": n.predicate_name} for n in view.neighbours],
                       "edges": [{"from": view.iri if n.direction == "out" else n.iri,
                                  "to": n.iri if n.direction == "out" else view.iri, "label": n.predicate_name}
                                 for n in view.neighbours]}
        timeline = bars = None
        concepts = None
        if view.is_action_concept:
            timeline = optional(lambda: self.views.timeline(view.iri, lang), [])
            bars = timeline_bars(timeline)
        if view.is_scheme:
            concepts = optional(lambda: self.views.concepts(view.iri, lang), None)
        more_url = None
        if description.truncated:
            more_url = str(request.url.include_query_params(incoming="all").remove_query_params("format"))
            more_url = more_url[len(str(request.base_url)) - 1:]
        context = self._context(request, lang, view=view, alternates=alternates, place_map=place_map,
                                network=network, timeline=timeline, bars=bars, concepts=concepts,
                                more_url=more_url,
                                context_facts=optional(lambda: page_values(self.context.facts(view.iri, lang), lang), None))
        if network:  # vis-network adds its stylesheets to the page: allowed by their hashes (api/web/assets.py)
            from api.web.assets import csp_for_vis_network
            headers = {**headers, "Content-Security-Policy": csp_for_vis_network()}
        return self._page(request, "resource.html", context, headers=headers)

    def ontology_page(self, request: Request) -> Response:
        alternates = self._alternates(str(ONTOLOGY_IRI), "/def")
        headers = {"Link": ", ".join(f'<{a["url"]}>; rel="alternate"; type="{a["media"]}"' for a in alternates
                                     if a["ext"] != "html")}
        return self._ontology_html(request, headers)

    def _ontology_html(self, request: Request, headers: dict[str, str]) -> Response:
        from api.web.hardening import csp_allowing_styles
        from api.web.site import ontology_page
        from graph.publish.ontology_docs import OntologyDocError, inline_styles

        lang = page_language(request, self.settings.lang)
        try:
            html = ontology_page(request, lang, turtle="/def.ttl")  # pyLODE's page in the site's frame
        except OntologyDocError as exc:
            return Response(translate(lang, "pages.ontology_missing") + f" {exc}", 500, media_type="text/plain")
        response = HTMLResponse(html, headers={**headers, "Link": ", ".join(
            filter(None, [headers.get("Link"), f'<{self.settings.licence}>; rel="license"'])),
            "Content-Security-Policy": csp_allowing_styles(inline_styles(html))})  # pyLODE's own stylesheet
        return remember_language(request, response)

    # ------------------------------------------------------------------ metadata
    def metadata_triples(self, profile: Profile = DEFAULT_PROFILE) -> list[ox.Triple]:
        sums = self.dist_dir / "SHA256SUMS"
        key = (self.store.fingerprint, sums.stat().st_mtime_ns if sums.is_file() else None)
        cached = self._metadata_cache.get(profile.key)
        if cached is None or cached[0] != key:
            # the release the dist folder holds (published by the workspace): version, notes, issue and change dates
            release = current_release(self.settings, self.dist_dir)
            cached = (key, sorted(dataset_metadata(self.store, read_distributions(self.dist_dir), profile, self.settings,
                                                   release=release), key=str))
            self._metadata_cache[profile.key] = cached
        return cached[1]

    def _metadata_part(self, iri: str, profile: Profile) -> list[ox.Triple]:
        """What the dataset's description says about one of its parts (and its `#…` parts), and what points to it."""
        node = ox.NamedNode(iri)
        return [t for t in self.metadata_triples(profile)
                if t.subject == node or t.object == node
                or (isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(iri + "#"))]

    def _profile(self, request: Request) -> Profile | Response:
        """The DCAT-AP.de profile asked for: ?profile=2.0|3.0 (or its IRI), else the Accept-Profile header
        (W3C Content Negotiation by Profile), else the default (2.0, what GovData harvests)."""
        asked = request.query_params.get("profile")
        by_name = {**PROFILES, **{p.iri: p for p in PROFILES.values()}}
        if asked is not None:
            if asked.strip("<>") in by_name:
                return by_name[asked.strip("<>")]
            valid = ", ".join(f"{p.key} ({p.iri})" for p in PROFILES.values())
            return Response(f"profile={asked!r} is not offered; valid profiles: {valid}", 400, media_type="text/plain")
        wanted = []
        for position, item in enumerate((request.headers.get("accept-profile") or "").split(",")):
            iri, _, params = item.strip().partition(";")
            q = 1.0
            for param in params.split(";"):
                name, _, value = param.strip().partition("=")
                if name.strip() == "q":
                    try:
                        q = float(value)
                    except ValueError:
                        q = 0.0
            if iri.strip().strip("<>") in by_name and q > 0:
                wanted.append((-q, position, by_name[iri.strip().strip("<>")]))
        return min(wanted, key=lambda w: w[:2])[2] if wanted else DEFAULT_PROFILE

    def metadata(self, request: Request) -> Response:
        profile = self._profile(request)
        if isinstance(profile, Response):
            return profile
        return self._metadata_response(request, self.metadata_triples(profile), profile, None, None)

    def _metadata_response(self, request: Request, triples: list[ox.Triple], profile: Profile,
                           document: str | None, ext: str | None) -> Response:
        """`triples` of the dataset's description, negotiated: an extension of `document` (/dataset.ttl),
        ?format=, or the Accept header; the profile in Content-Profile."""
        asked = request.query_params.get("format")
        if ext is None and asked:
            ext = format_extension(asked)
            if ext is None:
                return Response(f"format={asked!r} is not offered; valid: ttl, jsonld, nt, rdf, html", 400,
                                media_type="text/plain")
        negotiated = ext is None
        if ext is None:
            media = choose(request.headers.get("accept"), RDF_MEDIA + [HTML], ACCEPT_ALIASES)
            if media is None:
                return Response("offered: " + ", ".join(RDF_MEDIA + [HTML]), 406, media_type="text/plain",
                                headers={"Vary": "Accept"})
            ext = BY_MEDIA[media]
        path = document or request.url.path
        query = "" if profile == DEFAULT_PROFILE else f"profile={profile.key}"

        def url(e: str) -> str:
            if document is not None:
                return f"{document}.{e}" + (f"?{query}" if query else "")
            return f"{path}?format={e}" + (f"&{query}" if query else "")

        others = [f'<{url(e)}>; rel="alternate"; type="{m}"' for e, m, _, _ in FORMATS if e != ext]
        others += [f'<{path}?profile={p.key}>; rel="alternate"; profile="{p.iri}"' for p in PROFILES.values() if p != profile]
        headers = {"Vary": "Accept, Accept-Profile" if negotiated else "Accept-Profile",
                   "Content-Profile": f"<{profile.iri}>", "Content-Location": url(ext),
                   "Link": ", ".join(others + [f'<{self.settings.licence}>; rel="license"'])}
        if ext == "html":
            lang = page_language(request, self.settings.lang)
            turtle = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
            alternates = [{"ext": e, "media": m, "name": n, "url": url(e)} for e, m, _, n in FORMATS]
            profiles = [{"title": p.title, "url": f"{path}?profile={p.key}", "current": p == profile}
                        for p in PROFILES.values()]
            context = self._context(request, lang, turtle=turtle.decode("utf-8"), alternates=alternates,
                                    profiles=profiles)
            return self._page(request, "catalog.html", context, headers=headers)
        media, fmt, _ = BY_EXTENSION[ext]
        body = ox.serialize(sorted(triples, key=str), format=fmt,
                            prefixes=PREFIXES if fmt == ox.RdfFormat.TURTLE else None) or b""
        return Response(body if request.method != "HEAD" else b"", headers={
            **headers, "Content-Type": CONTENT_TYPES.get(media, media), "Content-Length": str(len(body))})


__all__ = ["FORMATS", "LinkedDataRouter", "Value"]
