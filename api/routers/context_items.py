"""Pages of the context layer's items: `/kontext/Q64` — a city (or region) that only Wikidata's twin-city
network names, clearly "nur laut Wikidata" / "according to Wikidata only".

Context items keep Wikidata's IRIs (http://www.wikidata.org/entity/Q64), which hki does not serve, so their
pages live under hki's own path. An item that is the same as a curated city (its owl:sameAs) has no page
of its own: it is one entry, the curated city's page, which shows the context facts beside the city's own
(api/templates/_context_facts.html). The model is graph/views/context.py; the page frame is the
linked-data router's (`shell`, as for the lists). `/kontext` itself is the reconciliation report
(api/routers/context.py).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.i18n import page_language
from api.web.maps import svg_map
from graph.config import Settings
from api.web.site import CONTEXT_ITEM_PATH
from graph.views.context import ContextLayer, page_values


class ContextItemsRouter(APIRouter):
    """/kontext/{qid}: a context item's page."""

    def __init__(self, settings: Settings, shell: Any, context: ContextLayer):
        """`shell`: the linked-data router (the page frame, links, the not-found page), as for the lists."""
        super().__init__(tags=["Linked data"])
        self.settings, self.shell, self.context = settings, shell, context
        self.add_api_route(CONTEXT_ITEM_PATH + "/{qid}", self.item_page, methods=["GET", "HEAD"],
                           response_class=Response, include_in_schema=False)

    def item_page(self, request: Request, qid: str) -> Response:
        lang = page_language(request, self.settings.lang)
        iri = self.context.item_iri(qid)
        facts = self.context.facts(iri, lang) if iri else None
        if facts is None:
            return self.shell._not_found(request, f"http://www.wikidata.org/entity/{qid}", html=True)
        place_map = None
        if facts.lat is not None and facts.lon is not None:
            place_map = svg_map([(facts.lat, facts.lon, facts.label, None)], center=(facts.lat, facts.lon))
        curated_href = self.shell.href(facts.curated) if facts.curated else None
        context = self.shell._context(request, lang, **page_values(facts, lang), place_map=place_map,
                                      curated_href=curated_href,
                                      context_graph=self.context.graph, third_party_context=True)
        return self.shell._page(request, "context_item.html", context)


__all__ = ["ContextItemsRouter"]
