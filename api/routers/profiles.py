"""Printable partner profiles: `/profile` lists the partner cities, `/profile/city/<key>` is one city's
profile (the city <base>id/city/<key>) on one or two A4 pages, in German or English.

The page model is graph/views/profile.py; the print layout is api/static/print.css (A4, no menu or
buttons, the addresses of the sources printed in full). A key that names no partner city answers 404 with
the page saying which profiles there are.
"""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.i18n import other_language, page_language, remember_language
from api.web.templates import templates
from graph import __version__
from graph.config import Settings
from graph.publish.catalogue import licence_name
from graph.store import KnowledgeStore
from graph.views.entities import EntityCatalogue
from graph.views.pages import PageViews
from graph.views.profile import NotAPartnerCity, ProfileViews


from api.web.site import page_href  # noqa: E402


class ProfileRouter(APIRouter):
    """/profile and /profile/city/{key} over one store."""

    def __init__(self, store: KnowledgeStore, settings: Settings, catalogue: EntityCatalogue | None = None):
        super().__init__(tags=["Pages"])
        self.settings = settings
        self.base = settings.base
        self.pages = PageViews(store, catalogue or EntityCatalogue(store))
        self.profiles = ProfileViews(self.pages)
        page = {"response_class": HTMLResponse, "include_in_schema": False, "methods": ["GET", "HEAD"]}
        self.add_api_route("/profile", self.index, **page)
        self.add_api_route("/profile/city/{key}", self.city, **page)

    def href(self, iri: str | None, known: bool = True) -> str | None:
        return page_href(iri, self.base, self.pages.index.entities, known)

    def _render(self, request: Request, lang: str, status: int = 200, **extra) -> HTMLResponse:
        query = dict(request.query_params)
        query["lang"] = other_language(lang)
        context = {"lang": lang, "other_lang": other_language(lang), "version": __version__,
                   "switch_url": request.url.path + "?" + urllib.parse.urlencode(query),
                   "title": self.settings.title_de if lang == "de" else self.settings.title_en,
                   "licence": self.settings.licence, "licence_name": licence_name(self.settings.licence),
                   "href": self.href, "alternates": [], **extra}
        response = templates.TemplateResponse(request, "profile.html", context, status_code=status,
                                              headers={"Link": f'<{self.settings.licence}>; rel="license"'})
        return remember_language(request, response)

    def index(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        return self._render(request, lang, cities=self.profiles.partner_cities(lang))

    def city(self, request: Request, key: str) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        try:
            profile = self.profiles.profile(key, lang)
        except NotAPartnerCity as exc:
            return self._render(request, lang, status=404, problem=exc, cities=exc.valid)
        return self._render(request, lang, profile=profile)


__all__ = ["ProfileRouter"]
