"""The reconciliation report for staff: `/kontext` (German; English with ?lang=en) and its JSON,
`/api/context/report`.

What Wikidata (the context layer, graph.context) states about the home city's and the partner cities'
twinnings that the city's own data does not, and the reverse, one-sided statements and differing
start years — each worded as a question to check, never as a fact. The model is
graph.context.report; the words are in the gettext catalogues (context.*).
"""
from __future__ import annotations

import threading
import urllib.parse

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.web.i18n import N_, page_language, remember_language, translate
from api.web.site import CONTEXT_ITEM_PATH, CONTEXT_PATH, page_href
from api.web.templates import templates
from graph.config import Settings
from graph.context.report import (
    Finding,
    ReconciliationReport,
    question_key,
    question_values,
    reconcile,
)
from graph.store import KnowledgeStore

# The question of each kind of finding (graph.context.report.QUESTIONS words the same for kg context report).
QUESTION_MSGIDS = {
    "context-only": N_("context.q_context_only"),
    "other-type": N_("context.q_other_type"),
    "curated-only": N_("context.q_curated_only"),
    "curated-only-no-id": N_("context.q_curated_only_no_id"),
    "one-sided": N_("context.q_one_sided"),
    "year-conflict": N_("context.q_year_conflict"),
}
KIND_MSGIDS = {
    "context-only": N_("context.kind_context_only"),
    "other-type": N_("context.kind_other_type"),
    "curated-only": N_("context.kind_curated_only"),
    "one-sided": N_("context.kind_one_sided"),
    "year-conflict": N_("context.kind_year_conflict"),
}


def _retrieved(value: str | None, lang: str) -> str | None:
    """A retrieval date as people write it (September 2016, 1. Dezember 2026)."""
    from datetime import date

    if not value:
        return None
    try:
        if len(value) == 7:
            return format_date(date.fromisoformat(value + "-01"), format="MMMM y", locale=lang)
        return format_date(date.fromisoformat(value), format="long", locale=lang)
    except ValueError:
        return value


def _short(url: str) -> str:
    """An address as a reader recognises it: a GitHub repository as owner/name, else the host."""
    parts = urllib.parse.urlsplit(url)
    if parts.netloc == "github.com":
        return parts.path.strip("/")
    return parts.netloc or url


class ContextRouter(APIRouter):
    """/kontext and /api/context/report over one store (the report is made once: the store does not change)."""

    def __init__(self, store: KnowledgeStore, settings: Settings):
        super().__init__()
        self.store, self.settings = store, settings
        self._report: ReconciliationReport | None = None
        self._lock = threading.Lock()
        self.add_api_route(CONTEXT_PATH, self.page, response_class=HTMLResponse, include_in_schema=False,
                           methods=["GET", "HEAD"])
        self.add_api_route("/api/context/report", self.report_json, methods=["GET"], tags=["Context"],
                           summary="Reconciliation of the city's data with Wikidata: questions to check")

    def report(self) -> ReconciliationReport:
        with self._lock:
            if self._report is None:
                self._report = reconcile(self.store)
            return self._report

    def _row(self, finding: Finding, lang: str) -> dict:
        key = question_key(finding)
        values = question_values(finding, lang)
        return {"kind": translate(lang, KIND_MSGIDS[finding.kind]),
                "kind_key": finding.kind,
                "question": translate(lang, QUESTION_MSGIDS[key], **values),
                "city": self._link(finding.city, lang), "other": self._link(finding.other, lang),
                "stated_by": [self._label_of(q, finding, lang) for q in finding.stated_by]}

    def _label_of(self, qid: str, finding: Finding, lang: str) -> str:
        for entry in (finding.city, finding.other):
            if entry.qid == qid:
                return entry.label(lang)
        return qid

    def _link(self, entry, lang: str) -> dict:
        # the city's own page when the city describes it, else the page of what Wikidata says (/kontext/Q…)
        href = (page_href(entry.curated, self.settings.base, set()) if entry.curated
                else f"{CONTEXT_ITEM_PATH}/{entry.qid}" if entry.qid else None)
        return {"label": entry.label(lang), "href": href,
                "wikidata": f"https://www.wikidata.org/wiki/{entry.qid}" if entry.qid else None}

    def page(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        report = self.report()
        rows = [self._row(f, lang) for f in report.findings]
        values = {
            "lang": lang,
            "has_context": report.has_context,
            "home": report.home.label(lang) if report.home else None,
            "sources": [{"label": s.label, "retrieved": _retrieved(s.retrieved, lang), "iso": s.retrieved,
                         "via": [{"href": url, "text": _short(url)} for url in s.via]} for s in report.sources],
            "home_rows": [r for r, f in zip(rows, report.findings) if f.scope == "home"],
            "partner_rows": [r for r, f in zip(rows, report.findings) if f.scope == "partners"],
            "matched": [{**self._link(e, lang), "count": n, "qid": e.qid} for e, n in report.matched],
            "context_graph": self.store.graph("context"),
            "third_party_context": True,  # the footer names Wikidata's licence beside the city's
        }
        response = templates.TemplateResponse(request, "context_report.html", values)
        return remember_language(request, response)

    def report_json(self, lang: str = Query("de", pattern="^(de|en)$", description="Language of the questions")) -> JSONResponse:
        """The findings with their questions (de or en), the sources of the context and the matched cities."""
        report = self.report()
        body = report.as_json(lang)
        for finding, row in zip(report.findings, body["findings"]):
            row["question"] = translate(lang, QUESTION_MSGIDS[question_key(finding)], **question_values(finding, lang))
        return JSONResponse(body)
