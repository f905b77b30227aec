"""Spreadsheets in the workspace (/arbeitsbereich/tabellen, only with `editing`): download the current tables, upload a
changed workbook, see every bad row, submit the change as one change set for review.

- `GET /arbeitsbereich/tabellen` — the page: what to do, the download, the upload form (signed in: viewer or more).
- `GET /arbeitsbereich/tabellen.xlsx` — the current tables as one workbook, in the layout `kg import` reads.
- `POST /arbeitsbereich/tabellen` — an upload (editor; CSRF): checked like `kg import` (graph/workspace/spreadsheets.py);
  bad rows → the page again (422) with a table of file, row, column, value and what would be valid, nothing saved;
  no difference → the page says so; else a draft change set (kind "spreadsheet"), submitted for review when the
  person asked to, and the browser is sent to its page.
"""
from __future__ import annotations

import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.web.i18n import page_language, remember_language, translate
from api.web.sessions import NO_STORE, ROLE_NAMES, SignedIn, client_address, current_user, require_user
from api.web.templates import templates
from graph.config import Settings
from graph.workspace import changes
from graph.workspace.changes import ChangeRefused, Conflict, CurrentData
from graph.workspace.spreadsheets import current_workbook, read_upload
from graph.workspace.state import open_state

PATH = "/arbeitsbereich/tabellen"
CHANGE_PATH = "/arbeitsbereich/aenderung"  # a change set's page (api/routers/workspace.py)
MAX_COMMENT = 5000

Viewer = Annotated[SignedIn, Depends(require_user("viewer"))]
Editor = Annotated[SignedIn, Depends(require_user("editor"))]


class WorkspaceTablesRouter(APIRouter):
    """The spreadsheet page of the workspace."""

    def __init__(self, settings: Settings):
        super().__init__(include_in_schema=False, dependencies=[Depends(self._editing_on)])
        self.settings = settings
        self.add_api_route(PATH, self.page, methods=["GET", "HEAD"], response_class=HTMLResponse)
        self.add_api_route(PATH + ".xlsx", self.workbook, methods=["GET", "HEAD"], response_class=Response)
        self.add_api_route(PATH, self.upload, methods=["POST"], response_class=HTMLResponse)

    def _editing_on(self) -> None:
        if not self.settings.editing:
            raise HTTPException(404, "editing is off on this server (setting editing = true turns it on)")

    def _render(self, request: Request, status: int = 200, **values) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        response = templates.TemplateResponse(
            request, "workspace_tables.html",
            {"lang": lang, "person": current_user(request), "role_names": ROLE_NAMES, "upload_url": PATH,
             "download_url": PATH + ".xlsx", "errors": [], "comment": "", "outcome": None, **values},
            status_code=status, headers=NO_STORE)
        return remember_language(request, response)

    async def page(self, request: Request, person: Viewer) -> Response:
        return self._render(request)

    async def workbook(self, request: Request, person: Viewer) -> Response:
        data = await run_in_threadpool(current_workbook, request.app.state.store)
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="tabellen.xlsx"'})

    async def upload(self, request: Request, person: Editor) -> Response:
        lang = page_language(request, self.settings.lang)
        form = await request.form()
        upload = form.get("file")
        comment = str(form.get("comment") or "").strip()[:MAX_COMMENT]
        submit = form.get("action") == "submit"
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._render(request, 422, comment=comment, problem=translate(lang, "tables.no_file"))
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
        content = await upload.read()
        if not comment:
            return self._render(request, 422, comment=comment, problem=translate(lang, "tables.comment_required"),
                                file_name=name)

        def check() -> Response:
            result = read_upload(self.settings, name, content, lang=lang)
            if result.errors:
                rows = [{"source": e.source, "row": e.row or "", "column": e.column or "", "value": e.value,
                         "message": e.message} for e in result.errors]
                return self._render(request, 422, comment=comment, errors=rows, file_name=name)
            if not result.added and not result.removed:
                return self._render(request, comment=comment, file_name=name,
                                    outcome=translate(lang, "tables.no_change", rows=result.rows))
            data = CurrentData.of(self.settings)
            entries = {iri: data.revision(iri) for iri in result.entries}
            title = translate(lang, "tables.change_title", file=name, count=len(entries))
            state = open_state(self.settings)
            client = client_address(request)
            try:
                change = changes.save_draft(state, data, person, added=result.added, removed=result.removed,
                                            entries=entries, title=title, comment=comment, kind="spreadsheet",
                                            form={"file": name, "tables": result.tables, "kept": result.kept},
                                            client=client)
                if submit:
                    change = changes.submit(state, data, change.id, person, client=client)
            except Conflict as conflict:
                return self._render(request, 409, comment=comment, file_name=name,
                                    problem=translate(lang, "tables.conflict", draft=conflict.draft or ""),
                                    draft_url=f"{CHANGE_PATH}/{conflict.draft}" if conflict.draft else None)
            except ChangeRefused as error:
                return self._render(request, error.status, comment=comment, file_name=name, problem=str(error))
            query = urllib.parse.urlencode({"done": "submitted" if submit else "saved"})
            return RedirectResponse(f"{CHANGE_PATH}/{change.id}?{query}", 303, headers=NO_STORE)
        return await run_in_threadpool(check)


__all__ = ["WorkspaceTablesRouter"]
