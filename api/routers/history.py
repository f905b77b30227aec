"""The public history of the published data: /history (who changed what, when and why), one change, an entry's
history, the difference between any two versions — in plain words, the statements behind "Technische Details".

- `GET /history` — the published versions, newest first, 20 a page (`?page=`): the change's title, who made it
  (the editor's display name), who reviewed it, when it was published and in which release;
  `GET /history?entry=/id/partnership/hannover-rouen` — only the versions that changed that entry (each entry's
  page links here).
- `GET /history/{id}` — the change set `id` as published: the editor's comment, the change in plain words
  (graph/workspace/wording.py), its statements (N-Triples) in a disclosure; editors see a button to revert it.
- `GET /history/diff?from=A&to=B` — what changed between two versions (a change set's number or a commit id).
- `POST /history/{id}/revert` — an editor asks for the change to be undone: a new change set (kind "revert") that
  goes through review like any other (graph/workspace/history.py `revert_change`); the CSRF token and the role are
  checked on the server (api/web/sessions.py `require_user("editor")`).

No sign-in is needed to read; nothing here depends on the state database but the revert. The history is the git
repository in the state folder (graph/workspace/history.py); without it (editing never used), the pages say that
nothing was published through the workspace yet.
"""
from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.web.i18n import N_, page_language, remember_language, translate
from api.web.sessions import NO_STORE, WORKSPACE_PATH, SignedIn, client_address, current_user, require_user
from api.web.templates import templates
from graph.config import Settings
from graph.workspace.changes import ChangeRefused, Conflict
from graph.workspace.history import History, HistoryError, RevertRefused, Version, history_path, open_history, revert_change
from graph.workspace.state import open_state
from graph.workspace.wording import Labels, describe_change, schema_labels, technical_lines

PATH = "/history"
PAGE_SIZE = 20
SHOWN = 200  # sentences (and entries) shown of one change or difference; the rest is counted
SHOWN_STATEMENTS = 500
CHANGE_PAGE = WORKSPACE_PATH + "/aenderung"  # a change set's page in the workspace (api/routers/workspace.py)
KIND_NAMES = {"initial": N_("history.kind_initial"), "outside": N_("history.kind_outside"),
              "change": N_("history.kind_change"), "revert": N_("history.kind_revert")}
REVERT_REFUSALS = {"not_published": N_("history.revert_not_published"), "later_changes": N_("history.revert_later"),
                   "data_changed": N_("history.revert_data_changed"), "changed": N_("history.revert_conflict"),
                   "pending": N_("history.revert_conflict"), "role": N_("history.revert_role")}
REVERT_REFUSED = N_("history.revert_refused")  # any other reason
Editor = Annotated[SignedIn, Depends(require_user("editor"))]


def _when(moment: datetime, lang: str) -> str:
    return format_datetime(moment.replace(tzinfo=UTC), "medium", tzinfo=UTC, locale=lang) + " UTC"


class HistoryRouter(APIRouter):
    """/history and below: the public history of the published data."""

    def __init__(self, settings: Settings, dist_dir: Path | None = None):
        super().__init__(include_in_schema=False)
        self.settings = settings
        self.dist_dir = Path(dist_dir).resolve() if dist_dir is not None else Path("dist").resolve()
        page = {"response_class": HTMLResponse, "methods": ["GET", "HEAD"]}
        self.add_api_route(PATH, self.list_page, **page)
        self.add_api_route(PATH + "/diff", self.diff_page, **page)
        self.add_api_route(PATH + "/{change_id}", self.change_page, **page)
        self.add_api_route(PATH + "/{change_id}/revert", self.revert, methods=["POST"], response_class=HTMLResponse)

    # ---------------------------------------------------------------- shared
    def _history(self) -> History | None:
        """The history repository, or None when nothing was ever published through the workspace."""
        if not (history_path(self.settings) / "HEAD").is_file():
            return None
        return open_history(self.settings)

    def _page(self, request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        person = current_user(request) if self.settings.editing else None
        response = templates.TemplateResponse(
            request, template, {"lang": lang, "person": person, "kind_names": KIND_NAMES, "history_url": PATH,
                                "may_revert": bool(person and person.may("editor")), **values},
            status_code=status, headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"})
        return remember_language(request, response)

    def _problem(self, request: Request, status: int, message: str) -> HTMLResponse:
        return self._page(request, "history_message.html", status=status, message=message)

    def _entry_href(self, iri: str) -> str | None:
        return "/" + iri[len(self.settings.base):] if iri.startswith(self.settings.base) else None

    def _row(self, version: Version, lang: str) -> dict:
        if version.change_set is not None:
            href = f"{PATH}/{version.change_set}"
        elif version.parent:
            href = f"{PATH}/diff?" + urllib.parse.urlencode({"from": version.parent[:12], "to": version.id[:12]})
        else:
            href = None
        return {"id": version.change_set, "commit": version.short, "title": version.title,
                "kind": KIND_NAMES.get(version.kind, KIND_NAMES["change"]), "author": version.author.name,
                "reviewer": version.reviewer.name if version.reviewer else "", "when": _when(version.committed, lang),
                "iso": version.committed.isoformat() + "Z", "release": version.release, "href": href,
                "system": version.kind in ("initial", "outside")}

    def _labels(self, history: History, *versions: Version) -> Labels:
        statements = [t for v in versions for t in history.statements(v.id)]
        labels = Labels.of([ox.Quad(t.subject, t.predicate, t.object) for t in statements])
        for iri, names in schema_labels().names.items():
            labels.names.setdefault(iri, names)
        return labels

    def _entry_names(self, statements, labels: Labels, lang: str) -> list[dict]:
        subjects = sorted({t.subject.value for t in statements if isinstance(t.subject, ox.NamedNode)})
        return [{"name": labels.name(iri, lang) or translate(lang, "history.unnamed_entry"),
                 "href": self._entry_href(iri), "history": f"{PATH}?" + urllib.parse.urlencode(
                     {"entry": self._entry_href(iri) or iri})} for iri in subjects]

    # ---------------------------------------------------------------- pages
    def list_page(self, request: Request) -> Response:
        lang = page_language(request, self.settings.lang)
        raw_page = request.query_params.get("page", "1")
        if not raw_page.isdigit() or int(raw_page) < 1:
            return self._problem(request, 400, translate(lang, "history.bad_page", value=raw_page[:40]))
        number = int(raw_page)
        entry = request.query_params.get("entry", "").strip()
        entry_iri = None
        if entry:
            entry_iri = self.settings.base + entry.lstrip("/") if not entry.startswith(("http://", "https://")) else entry
        history = self._history()
        try:
            versions = (history.entry_history(entry_iri) if entry_iri else history.log()) if history else []
        except HistoryError as error:
            return self._problem(request, 503, str(error))
        pages = max(1, -(-len(versions) // PAGE_SIZE))
        if number > pages:
            return self._problem(request, 400, translate(lang, "history.bad_page_range", value=number, pages=pages))
        shown = versions[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
        entry_name = None
        if entry_iri and history is not None and versions:
            entry_name = self._labels(history, versions[0]).name(entry_iri, lang)

        def link(page: int) -> str:
            query = [("entry", entry)] if entry else []
            return PATH + "?" + urllib.parse.urlencode(query + [("page", str(page))])
        return self._page(request, "history.html", rows=[self._row(v, lang) for v in shown], total=len(versions),
                          page=number, pages=pages, previous=link(number - 1) if number > 1 else None,
                          next=link(number + 1) if number < pages else None, entry=entry, entry_iri=entry_iri,
                          entry_name=entry_name, entry_href=self._entry_href(entry_iri) if entry_iri else None,
                          title=translate(lang, "history.title"))

    def change_page(self, request: Request, change_id: str) -> Response:
        return self._change(request, change_id)

    def _change(self, request: Request, change_id: str, error: str | None = None, status: int = 200) -> Response:
        lang = page_language(request, self.settings.lang)
        history = self._history()
        version = history.of_change_set(int(change_id)) if history and change_id.isdigit() else None
        if version is None or history is None:
            return self._problem(request, 404, translate(lang, "history.no_such_change", id=change_id[:20]))
        added, removed = history.changes(version.id)
        parent = history.version(version.parent) if version.parent else None
        labels = self._labels(history, *(v for v in (version, parent) if v is not None))
        return self._page(request, "history_change.html", status=status, version=self._row(version, lang),
                          comment=version.comment, **self._described(added, removed, labels, lang),
                          diff_url=f"{PATH}/diff?" + urllib.parse.urlencode({"from": (version.parent or "")[:12],
                                                                             "to": version.short}),
                          error=error, change_id=int(change_id), title=translate(lang, "history.change_title", id=change_id))

    def _described(self, added, removed, labels: Labels, lang: str) -> dict:
        """The change in words and as statements, each cut at SHOWN lines (a diff across many versions is long)."""
        plus, minus = sorted(added, key=str), sorted(removed, key=str)
        sentences = describe_change(plus, minus, labels, lang, self.settings.base)
        technical = technical_lines(plus, minus)
        return {"sentences": sentences[:SHOWN], "more_sentences": max(0, len(sentences) - SHOWN),
                "technical": technical[:SHOWN_STATEMENTS], "more_technical": max(0, len(technical) - SHOWN_STATEMENTS),
                "entries": self._entry_names(plus + minus, labels, lang)[:SHOWN]}

    def diff_page(self, request: Request) -> Response:
        lang = page_language(request, self.settings.lang)
        history = self._history()
        older, newer = request.query_params.get("from", "").strip(), request.query_params.get("to", "").strip()
        if history is None:
            return self._problem(request, 404, translate(lang, "history.empty"))
        if not older or not newer:
            return self._problem(request, 400, translate(lang, "history.diff_needs_two"))
        try:
            a, b = history.resolve(older), history.resolve(newer)
            added, removed = history.diff(a.id, b.id)
        except HistoryError:
            return self._problem(request, 400, translate(lang, "history.diff_unknown", older=older[:40], newer=newer[:40]))
        labels = self._labels(history, a, b)
        return self._page(request, "history_diff.html", older=self._row(a, lang), newer=self._row(b, lang),
                          **self._described(added, removed, labels, lang), title=translate(lang, "history.diff_title"))

    async def revert(self, request: Request, change_id: str, person: Editor,
                     comment: Annotated[str, Form(max_length=5000)] = "") -> Response:
        lang = page_language(request, self.settings.lang)
        if not change_id.isdigit():
            return self._problem(request, 404, translate(lang, "history.no_such_change", id=change_id[:20]))

        def run() -> Response:
            state = open_state(self.settings)
            try:
                made = revert_change(self.settings, state, int(change_id), person, comment.strip(),
                                     client_address(request))
            except (RevertRefused, Conflict, ChangeRefused) as refused:
                later = ", ".join(f"#{v}" if isinstance(v, int) else str(v) for v in refused.values.get("later", []))
                message = translate(lang, REVERT_REFUSALS.get(refused.reason, REVERT_REFUSED),
                                    id=change_id, later=later)
                response = self._change(request, change_id, error=message, status=refused.status)
                response.headers.update(NO_STORE)
                return response
            return RedirectResponse(f"{CHANGE_PAGE}/{made.id}", 303, headers=NO_STORE)
        return await run_in_threadpool(run)


# ------------------------------------------------------------------ the link of the public pages

def entry_history_url(request: Request, iri: str) -> str | None:
    """/history?entry=<its path> for one of our entries once the workspace published anything, else None (a Jinja
    global for resource.html: every entry's page links to its history)."""
    settings = getattr(request.app.state, "settings", None)
    if settings is None or not iri.startswith(settings.base + "id/") or not (history_path(settings) / "HEAD").is_file():
        return None
    return f"{PATH}?" + urllib.parse.urlencode({"entry": "/" + iri[len(settings.base):]})


templates.env.globals["entry_history_url"] = entry_history_url

__all__ = ["HistoryRouter", "PATH", "entry_history_url"]
