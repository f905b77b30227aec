"""The workspace for staff under /arbeitsbereich: forms from the shapes, change sets, review (only with `editing`).

- `GET /arbeitsbereich` — the person's drafts and submitted changes, the changes waiting for review, the rejected
  ones with the reviewer's note, the recently published ones.
- `GET /arbeitsbereich/neu` — the kinds of entry; `GET|POST /arbeitsbereich/neu/{kind}` — the form of a new entry.
- `GET|POST /arbeitsbereich/bearbeiten/{path}` — the form of the entry `<base>id/{path}` (the "Bearbeiten" link of
  its public page); `GET|POST /arbeitsbereich/aenderung/{id}/bearbeiten` — the person's draft again.
- `GET /arbeitsbereich/aenderung/{id}` — a change set in plain words (the statements behind "Technische Details"),
  with what this person may do: submit, withdraw, discard (its editor), approve or reject with a note (a reviewer
  who is not its editor). `POST …/einreichen`, `…/zurueckziehen`, `…/verwerfen`, `…/freigeben`, `…/ablehnen`.

A form is checked before anything is saved: values that cannot be statements (a date like "1966-13", an address
without http) and everything the shapes find in the whole data with the change applied (their German or English
message beside the field, a summary on top linking to the fields); an invalid form is shown again with what was
typed and nothing is saved. A save is refused when the entry changed since the form was opened or another person's
change of it is pending — the page names who and when and shows their change; what was typed is kept as a draft.

With `publish_mode = "each"` an approval publishes the change at once (graph/workspace/publication.py) and the
server switches to the new data (`app.state.reload`, api/app.py's LiveSite). Roles and the CSRF token are checked on
the server for every request (api/web/sessions.py): 401 anonymous (a page: the login), 403 role or token.
"""
from __future__ import annotations

import logging
import threading
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
from babel.dates import format_datetime
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.web.i18n import N_, page_language, remember_language, translate
from api.web.sessions import NO_STORE, ROLE_NAMES, SignedIn, client_address, current_user, require_user
from api.web.templates import templates
from graph.config import Settings
from graph.load.validation import Violation
from graph.vocabulary import CV, DCT
from graph.workspace import changes, forms
from graph.workspace.changes import ChangeRefused, Conflict, CurrentData
from graph.workspace.forms import CHANGE_SOURCE, Field, Kind
from graph.workspace.models import ChangeSet
from graph.workspace.state import State, open_state
from graph.workspace.wording import Labels, describe_change, plain_message, technical_lines
from ontology import HKI

log = logging.getLogger("hki.workspace")

PATH = "/arbeitsbereich"
NEW_PATH = PATH + "/neu"
EDIT_PATH = PATH + "/bearbeiten"
CHANGE_PATH = PATH + "/aenderung"
ACTIONS = {"einreichen": "submit", "zurueckziehen": "withdraw", "verwerfen": "discard", "freigeben": "approve",
           "ablehnen": "reject"}
SHOWN = 30  # change sets per list on the home page

Viewer = Annotated[SignedIn, Depends(require_user("viewer"))]
Editor = Annotated[SignedIn, Depends(require_user("editor"))]
Reviewer = Annotated[SignedIn, Depends(require_user("reviewer"))]

KIND_NAMES = {"partnership": N_("workspace.kind_partnership"), "event": N_("workspace.kind_event"),
              "council-paper": N_("workspace.kind_council_paper"), "membership": N_("workspace.kind_membership"),
              "measure": N_("workspace.kind_measure"), "city": N_("workspace.kind_city"),
              "organisation": N_("workspace.kind_organisation")}
KIND_HINTS = {"partnership": N_("workspace.kind_partnership_hint"), "event": N_("workspace.kind_event_hint"),
              "council-paper": N_("workspace.kind_council_paper_hint"),
              "membership": N_("workspace.kind_membership_hint"), "measure": N_("workspace.kind_measure_hint"),
              "city": N_("workspace.kind_city_hint"), "organisation": N_("workspace.kind_organisation_hint")}
assert set(KIND_NAMES) == {k.slug for k in forms.KINDS} == set(KIND_HINTS)
STATUS_NAMES = {"draft": N_("workspace.status_draft"), "submitted": N_("workspace.status_submitted"),
                "approved": N_("workspace.status_approved"), "rejected": N_("workspace.status_rejected"),
                "published": N_("workspace.status_published"), "withdrawn": N_("workspace.status_withdrawn")}
# Values that cannot be statements (graph.workspace.forms.Problem codes)
PROBLEMS = {"date": N_("workspace.problem_date"), "day": N_("workspace.problem_day"),
            "number": N_("workspace.problem_number"), "url": N_("workspace.problem_url"),
            "choice": N_("workspace.problem_choice"), "link": N_("workspace.problem_link"),
            "too_long": N_("workspace.problem_too_long"), "control": N_("workspace.problem_control"),
            "source_required": N_("workspace.problem_source_required")}
# Refused transitions (graph.workspace.changes.ChangeRefused reasons)
REFUSALS = {"role": N_("workspace.refused_role"), "not_own": N_("workspace.refused_not_own"),
            "own_change": N_("workspace.refused_own_change"), "status": N_("workspace.refused_status"),
            "not_found": N_("workspace.refused_not_found"), "empty": N_("workspace.refused_empty"),
            "note_required": N_("workspace.refused_note_required"), "changed": N_("workspace.conflict_changed"),
            "pending": N_("workspace.conflict_pending")}
DONE = {"saved": N_("workspace.done_saved"), "submitted": N_("workspace.done_submitted"),
        "withdrawn": N_("workspace.done_withdrawn"), "discarded": N_("workspace.done_discarded"),
        "approved": N_("workspace.done_approved"), "published": N_("workspace.done_published"),
        "rejected": N_("workspace.done_rejected")}
HINTS = {"date": N_("workspace.hint_date"), "day": N_("workspace.hint_day"), "url": N_("workspace.hint_url"),
         "number": N_("workspace.hint_number"), "link": N_("workspace.hint_link")}
LANGUAGE_NAMES = {"de": N_("workspace.in_german"), "en": N_("workspace.in_english")}


def _when(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return ""
    return format_datetime(moment.replace(tzinfo=UTC), "medium", tzinfo=UTC, locale=lang) + " UTC"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() + "Z" if moment else ""


class WorkspaceRouter(APIRouter):
    """/arbeitsbereich and below: the staff's forms, change sets and review."""

    def __init__(self, settings: Settings, dist_dir: Path | None = None):
        super().__init__(include_in_schema=False, dependencies=[Depends(self._editing_on)])
        self.settings = settings
        self.dist_dir = Path(dist_dir).resolve() if dist_dir is not None else Path("dist").resolve()
        page = {"response_class": HTMLResponse}
        self.add_api_route(PATH, self.home, methods=["GET", "HEAD"], **page)
        self.add_api_route(NEW_PATH, self.kinds, methods=["GET", "HEAD"], **page)
        self.add_api_route(NEW_PATH + "/{kind}", self.new_form, methods=["GET", "HEAD"], **page)
        self.add_api_route(NEW_PATH + "/{kind}", self.save_new, methods=["POST"], **page)
        self.add_api_route(EDIT_PATH + "/{path:path}", self.edit_form, methods=["GET", "HEAD"], **page)
        self.add_api_route(EDIT_PATH + "/{path:path}", self.save_edit, methods=["POST"], **page)
        self.add_api_route(CHANGE_PATH + "/{change_id}", self.change_page, methods=["GET", "HEAD"], **page)
        self.add_api_route(CHANGE_PATH + "/{change_id}/bearbeiten", self.draft_form, methods=["GET", "HEAD"], **page)
        self.add_api_route(CHANGE_PATH + "/{change_id}/bearbeiten", self.save_draft, methods=["POST"], **page)
        for word, action in ACTIONS.items():
            self.add_api_route(f"{CHANGE_PATH}/{{change_id}}/{word}", getattr(self, action), methods=["POST"], **page)

    def _editing_on(self) -> None:
        if not self.settings.editing:
            raise HTTPException(404, "editing is off on this server (setting editing = true turns it on)")

    # ---------------------------------------------------------------- shared

    def _lang(self, request: Request) -> str:
        return page_language(request, self.settings.lang)

    def _state(self) -> State:
        return open_state(self.settings)

    def _data(self) -> CurrentData:
        return CurrentData.of(self.settings)

    def _form_data(self) -> CurrentData:
        """The data for a form being opened: its check of the unchanged data starts now, beside the person typing."""
        data = self._data()
        if not data.prepared:
            threading.Thread(target=data.prepare, name="hki-form-check", daemon=True).start()
        return data

    def _labels(self, data: CurrentData) -> Labels:
        return Labels.of(data.store)

    def _page(self, request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
        lang = self._lang(request)
        person = current_user(request)
        response = templates.TemplateResponse(
            request, template, {"lang": lang, "person": person, "role_names": ROLE_NAMES, "kind_names": KIND_NAMES,
                                "status_names": STATUS_NAMES, "workspace_url": PATH, **values},
            status_code=status, headers=NO_STORE)
        return remember_language(request, response)

    def _refused(self, request: Request, error: ChangeRefused, **values) -> HTMLResponse:
        lang = self._lang(request)
        text = translate(lang, REFUSALS.get(error.reason, "workspace.refused_status"),
                         **{k: v for k, v in error.values.items() if isinstance(v, (str, int))},
                         status=translate(lang, STATUS_NAMES.get(str(error.values.get("current", "")),
                                                                  "workspace.status_draft")))
        return self._page(request, "workspace_message.html", status=error.status, message=text, **values)

    def _entry_path(self, iri: str) -> str | None:
        prefix = self.settings.base + "id/"
        return iri[len(prefix):] if iri.startswith(prefix) else None

    def _public_href(self, iri: str) -> str | None:
        path = self._entry_path(iri)
        return f"/id/{path}" if path is not None else None

    def _summary(self, change: ChangeSet, lang: str) -> dict:
        return {"id": change.id, "title": change.title or f"#{change.id}", "status": change.status,
                "editor": change.editor, "reviewer": change.reviewer or "", "note": change.review_note,
                "when": _when(changes.since(change), lang), "iso": _iso(changes.since(change)),
                "url": f"{CHANGE_PATH}/{change.id}", "kind": change.kind}

    # ---------------------------------------------------------------- home

    async def home(self, request: Request, person: Viewer) -> Response:
        def render() -> HTMLResponse:
            lang = self._lang(request)
            state = self._state()
            mine = changes.change_sets(state, editor=person.username, statuses=["draft"], limit=SHOWN)
            submitted = changes.change_sets(state, editor=person.username, statuses=["submitted", "approved"],
                                            limit=SHOWN)
            rejected = changes.change_sets(state, editor=person.username, statuses=["rejected"], limit=SHOWN)
            to_review = changes.change_sets(state, not_editor=person.username, statuses=["submitted"], limit=SHOWN,
                                            newest="submitted_at")
            published = changes.change_sets(state, statuses=["published"], limit=SHOWN, newest="published_at")
            lists = [("drafts", N_("workspace.my_drafts"), N_("workspace.none_drafts"), mine),
                     ("submitted", N_("workspace.my_submitted"), N_("workspace.none_submitted"), submitted),
                     ("review", N_("workspace.to_review"), N_("workspace.none_review"), to_review),
                     ("rejected", N_("workspace.my_rejected"), N_("workspace.none_rejected"), rejected),
                     ("published", N_("workspace.published"), N_("workspace.none_published"), published)]
            return self._page(request, "workspace_home.html",
                              lists=[{"id": key, "heading": heading, "empty": empty,
                                      "changes": [self._summary(c, lang) for c in items]}
                                     for key, heading, empty, items in lists],
                              may_edit=person.may("editor"), may_review=person.may("reviewer"),
                              done=DONE.get(request.query_params.get("done", "")))
        return await run_in_threadpool(render)

    async def kinds(self, request: Request, person: Editor) -> Response:
        return self._page(request, "workspace_new.html",
                          kinds=[{"slug": k.slug, "name": KIND_NAMES[k.slug], "hint": KIND_HINTS[k.slug],
                                  "url": f"{NEW_PATH}/{k.slug}"} for k in forms.KINDS])

    # ---------------------------------------------------------------- forms

    def _kind(self, slug: str) -> Kind:
        kind = forms.kind_named(slug)
        if kind is None:
            raise HTTPException(404, f"no kind of entry named {slug!r}; valid: "
                                     f"{', '.join(k.slug for k in forms.KINDS)}")
        return kind

    def _existing(self, data: CurrentData, path: str) -> tuple[str, Kind]:
        iri = self.settings.base + "id/" + path
        if not path or not data.exists(iri):
            raise HTTPException(404, f"the data has no entry {iri}")
        kind = forms.kind_of(data, iri)
        if kind is None:
            raise HTTPException(404, f"{iri} is not of a kind the workspace edits "
                                     f"({', '.join(k.slug for k in forms.KINDS)})")
        return iri, kind

    def _allowed(self, data: CurrentData, fields: list[Field], current: list) -> dict[str, set[str]]:
        """The IRIs each choice and link field may take: its scheme's concepts, its classes' entries, and what the
        entry has there already."""
        allowed: dict[str, set[str]] = {}
        for f in fields:
            if f.widget == "choice":
                allowed[f.key] = {c.iri for c in forms.choices(data, f.scheme)}
            elif f.widget == "link":
                allowed[f.key] = {c.iri for c in forms.candidates(data, f.link_types, limit=10**9)}
            else:
                continue
            allowed[f.key] |= {t.object.value for t in current if t.predicate.value == f.path
                               and isinstance(t.object, ox.NamedNode)}
        return allowed

    def _initial(self, data: CurrentData, kind: Kind, fields: list[Field], request: Request) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {f.key: [] for f in fields}
        if kind.slug == "partnership":  # a partnership of the city: its first partner is the city itself
            home = [q.object.value for q in data.store.quads_for_pattern(None, ox.NamedNode(DCT + "spatial"), None,
                                                                          data.data_graph)
                    if CV + "PublicOrganisation" in data.types(q.subject.value)]
            partner = next((f for f in fields if f.path == str(HKI.partner)), None)
            if partner is not None and home:
                values[partner.key] = [sorted(home)[0]]
            kind_field = next((f for f in fields if f.path == str(HKI.partnershipType)), None)
            asked = request.query_params.get("art", "")
            if kind_field is not None and asked:
                wanted = f"{kind_field.scheme}/{asked}"
                if wanted in {c.iri for c in forms.choices(data, kind_field.scheme)}:
                    values[kind_field.key] = [wanted]
        return values

    def _form_context(self, request: Request, *, data: CurrentData, kind: Kind, fields: list[Field],
                      values: dict[str, list[str]], subject: str | None, revision: str, action: str,
                      comment: str = "", problems: list[forms.Problem] = (), violations: list[Violation] = (),
                      notice: dict | None = None, change_id: int | None = None, focus: str | None = None) -> dict:
        lang = self._lang(request)
        labels = self._labels(data)
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.key, []).append(translate(lang, PROBLEMS.get(problem.code,
                                                                                    "workspace.problem_choice")))
        focus = focus or subject or ""
        by_field, others = forms.place(violations, fields, focus)
        for key, found in by_field.items():
            for v in found:
                text = plain_message(v.message, labels, lang)
                if text not in errors.get(key, []):
                    errors.setdefault(key, []).append(text)
        general = []
        for v in others:
            text = plain_message(v.message, labels, lang)
            who = v.focus_label if v.focus != focus else None
            general.append(f"{who}: {text}" if who else text)
        groups = self._groups(data, fields, values, errors, lang)
        summary = [{"href": f"#{g['first_id']}" if g["key"] == key else f"#{self._input_id(key, 1)}",
                    "name": g["names"].get(key, g["legend"]), "message": message}
                   for g in groups for key in g["keys"] for message in errors.get(key, [])]
        if CHANGE_SOURCE in errors:
            summary += [{"href": f"#{self._input_id(CHANGE_SOURCE, 1)}", "name": translate(lang, "workspace.change_source"),
                         "message": m} for m in errors[CHANGE_SOURCE]]
        return {"kind": kind, "kind_name": KIND_NAMES[kind.slug], "groups": groups, "subject": subject,
                "public_url": self._public_href(subject) if subject else None,
                "entry_name": (data.label(subject, lang) if subject else None),
                "revision": revision, "action": action, "comment": comment, "summary": summary, "general": general,
                "change_source": (values.get(CHANGE_SOURCE) or [""])[0], "change_source_errors": errors.get(CHANGE_SOURCE, []),
                "needs_change_source": subject is not None,
                "notice": notice, "change_id": change_id, "hints": HINTS, "language_names": LANGUAGE_NAMES}

    @staticmethod
    def _input_id(key: str, n: int) -> str:
        return f"f-{key}-{n}"

    def _groups(self, data: CurrentData, fields: list[Field], values: dict[str, list[str]],
                errors: dict[str, list[str]], lang: str) -> list[dict]:
        groups: list[dict] = []
        for f in fields:
            entry = self._field_view(data, f, values.get(f.key, []), errors.get(f.key, []), lang)
            previous = groups[-1] if groups else None
            if f.lang and previous is not None and previous["path"] == f.path and previous["languages"]:
                previous["fields"].append(entry)
                previous["keys"].append(f.key)
                previous["names"][f.key] = entry["label"]
                continue
            groups.append({"path": f.path, "legend": f.group_names.get(lang) or f.name(lang),
                           "languages": bool(f.lang), "fields": [entry], "keys": [f.key], "key": f.key,
                           "first_id": entry["inputs"][0]["id"] if entry["inputs"] else self._input_id(f.key, 1),
                           "names": {f.key: entry["label"]}})
        for g in groups:
            g["fieldset"] = g["languages"] or any(e["multiple"] or e["checkboxes"] for e in g["fields"])
        return groups

    def _field_view(self, data: CurrentData, f: Field, values: list[str], errors: list[str], lang: str) -> dict:
        label = f.name(lang)
        if f.lang and not f.name_says_language:
            label = f"{label} ({translate(lang, LANGUAGE_NAMES.get(f.lang, 'workspace.in_german'))})"
        options: list[dict] = []
        if f.widget == "choice":
            options = [{"value": c.iri, "text": c.name(lang)} for c in forms.choices(data, f.scheme)]
        elif f.widget == "link":
            options = [{"value": c.iri, "text": c.name(lang)} for c in forms.candidates(data, f.link_types)]
            known = {o["value"] for o in options}
            options += [{"value": v, "text": forms.choice_of(data, v).name(lang)} for v in values if v not in known]
            options.sort(key=lambda o: o["text"].casefold())
        checkboxes = f.widget == "choice" and f.multiple
        if checkboxes:
            count = 0
        elif f.multiple:
            count = min(max(len(values) + 1, f.min_count, 1), forms.MAX_VALUES)
        else:
            count = 1
        inputs = [{"id": self._input_id(f.key, n + 1), "value": values[n] if n < len(values) else "",
                   "n": n + 1} for n in range(max(count, len(values) if not checkboxes else 0))]
        error_id = f"f-{f.key}-error" if errors else ""
        hint = HINTS.get(f.widget) if f.widget != "link" else HINTS["link"]
        return {"key": f.key, "label": label, "widget": f.widget, "lang": f.lang, "required": f.required,
                "multiple": f.multiple, "checkboxes": checkboxes, "multiline": f.multiline, "inputs": inputs,
                "options": options, "selected": set(values), "errors": errors, "error_id": error_id,
                "hint": hint, "hint_id": f"f-{f.key}-hint" if hint else "",
                "description": f.descriptions.get(lang, ""), "search_types": " ".join(f.link_types),
                "min_count": f.min_count, "placeholder": ""}

    def _render_form(self, request: Request, status: int = 200, **context) -> HTMLResponse:
        return self._page(request, "workspace_form.html", status=status, **self._form_context(request, **context))

    def _pending_notice(self, state: State, data: CurrentData, iri: str, lang: str, person: SignedIn) -> dict | None:
        with state.session() as session:
            other = changes.pending_on(session, [iri])
        if other is None:
            return None
        return self._conflict_view(Conflict("pending", iri, other), data, lang, person, warning=True)

    def _conflict_view(self, conflict: Conflict, data: CurrentData, lang: str, person: SignedIn,
                       warning: bool = False) -> dict:
        labels = self._labels(data)
        other = conflict.other
        if other is None and conflict.reason == "changed":
            other = changes.last_published_on(self._state(), conflict.entry)
        view = {"reason": conflict.reason, "warning": warning, "draft": conflict.draft,
                "draft_url": f"{CHANGE_PATH}/{conflict.draft}" if conflict.draft else None,
                "entry": data.label(conflict.entry, lang) or "", "other": None}
        if other is not None:
            added, removed = changes.statements_of(other)
            view["other"] = {"id": other.id, "url": f"{CHANGE_PATH}/{other.id}", "editor": other.editor,
                             "own": other.editor == person.username, "status": other.status,
                             "when": _when(changes.since(other), lang), "iso": _iso(changes.since(other)),
                             "sentences": describe_change(added, removed, labels, lang, base=self.settings.base)}
        return view

    async def new_form(self, request: Request, kind: str, person: Editor) -> Response:
        chosen = self._kind(kind)

        def render() -> HTMLResponse:
            data = self._form_data()
            fields = forms.fields_for(chosen, data)
            return self._render_form(request, data=data, kind=chosen, fields=fields,
                                     values=self._initial(data, chosen, fields, request), subject=None,
                                     revision=changes.revision([], ""), action=f"{NEW_PATH}/{chosen.slug}")
        return await run_in_threadpool(render)

    async def edit_form(self, request: Request, path: str, person: Editor) -> Response:
        def render() -> HTMLResponse:
            data = self._form_data()
            iri, kind = self._existing(data, path)
            fields = forms.fields_for(kind, data)
            lang = self._lang(request)
            return self._render_form(request, data=data, kind=kind, fields=fields,
                                     values=forms.values_of(fields, data.statements(iri), iri), subject=iri,
                                     revision=data.revision(iri), action=f"{EDIT_PATH}/{path}",
                                     notice=self._pending_notice(self._state(), data, iri, lang, person))
        return await run_in_threadpool(render)

    async def draft_form(self, request: Request, change_id: str, person: Editor) -> Response:
        number = self._number(change_id)

        def render() -> HTMLResponse:
            data = self._form_data()
            state = self._state()
            try:
                change = changes.get(state, number)
                if change.editor != person.username or change.status != "draft":
                    raise changes.NotAllowed("not_own" if change.editor != person.username else "status",
                                             "only the editor's own draft can be edited", editor=change.editor,
                                             current=change.status)
            except ChangeRefused as error:
                return self._refused(request, error)
            form = change.form or {}
            kind = forms.kind_named(str(form.get("kind", "")))
            if kind is None:
                return self._refused(request, ChangeRefused("status", "this change set has no form",
                                                            current=change.status))
            fields = forms.fields_for(kind, data)
            subject = str(form.get("subject", ""))
            values = {k: [str(x) for x in v] for k, v in (form.get("values") or {}).items() if isinstance(v, list)}
            existing = bool(form.get("existing"))
            notice = None
            opened = (change.entries or {}).get(subject, "")
            if existing and data.revision(subject) != opened:
                # the entry changed since the draft was begun: the form says so and shows the other change; saved
                # now, the draft is compared with the entry as it is now (its removals are what the entry has now)
                notice = self._conflict_view(Conflict("changed", subject, draft=change.id), data, self._lang(request),
                                             person, warning=True)
                opened = data.revision(subject)
            return self._render_form(request, data=data, kind=kind, fields=fields,
                                     values=values,
                                     subject=subject if existing else None, revision=opened or "",
                                     action=f"{CHANGE_PATH}/{change.id}/bearbeiten", comment=change.comment,
                                     notice=notice, change_id=change.id)
        return await run_in_threadpool(render)

    async def save_new(self, request: Request, kind: str, person: Editor) -> Response:
        chosen = self._kind(kind)
        form = await request.form()
        return await run_in_threadpool(self._save, request, person, form, chosen, None, None)

    async def save_edit(self, request: Request, path: str, person: Editor) -> Response:
        form = await request.form()

        def save() -> Response:
            data = self._data()
            iri, kind = self._existing(data, path)
            return self._save(request, person, form, kind, iri, None)
        return await run_in_threadpool(save)

    async def save_draft(self, request: Request, change_id: str, person: Editor) -> Response:
        number = self._number(change_id)
        form = await request.form()

        def save() -> Response:
            try:
                change = changes.get(self._state(), number)
            except ChangeRefused as error:
                return self._refused(request, error)
            kind = forms.kind_named(str((change.form or {}).get("kind", "")))
            if kind is None:
                return self._refused(request, ChangeRefused("status", "this change set has no form",
                                                            current=change.status))
            subject = str((change.form or {}).get("subject", ""))
            existing = bool((change.form or {}).get("existing"))
            return self._save(request, person, form, kind, subject if existing else None, change, new_subject=subject)
        return await run_in_threadpool(save)

    def _save(self, request: Request, person: SignedIn, form, kind: Kind, subject: str | None,
              draft: ChangeSet | None, new_subject: str = "") -> Response:
        """Check a form; save it as a draft (and submit it when asked) or show it again with what is wrong."""
        data = self._data()
        state = self._state()
        lang = self._lang(request)
        fields = forms.fields_for(kind, data)
        items = list(form.multi_items())
        values = forms.read_values(fields, items)
        comment = str(form.get("comment", "") or "")[:changes.MAX_COMMENT].strip()
        revision = str(form.get("revision", "") or "")
        submit = form.get("do") == "submit"
        existing = subject is not None
        action = (f"{CHANGE_PATH}/{draft.id}/bearbeiten" if draft is not None else
                  f"{EDIT_PATH}/{self._entry_path(subject)}" if existing else f"{NEW_PATH}/{kind.slug}")
        if existing:
            iri = subject
        elif draft is not None and new_subject:
            iri = new_subject
        else:
            name = forms.entry_name(fields, values) or "neu"
            iri = forms.new_iri(self.settings.base, kind, name, data.subjects() | changes.taken_iris(state))
        current = data.statements(iri) if existing else []
        triples, problems = forms.statements_from(fields, values, iri, self._allowed(data, fields, current))
        sources = []
        if existing:
            given = values.get(CHANGE_SOURCE, [])
            source = forms.parse_web_address(given[0]) if given else None
            if not given:
                problems.append(forms.Problem(CHANGE_SOURCE, "source_required"))
            elif source is None:
                problems.append(forms.Problem(CHANGE_SOURCE, "url", given[0]))
            else:
                sources = [source]
        added, removed = forms.proposed_change(fields, iri, current, triples,
                                               new_type=None if existing else kind.new_type, sources=sources)
        if kind.slug == "membership":  # the dates also in the membership's period (org:memberDuring)
            added, removed = forms.membership_dates(data, iri, added, removed)
        if not existing and kind.slug == "event":
            added = [*added, *forms.event_link(data, iri)]  # on the action concept's timeline, like the others
        context = dict(data=data, kind=kind, fields=fields, values=values, subject=subject, revision=revision,
                       action=action, comment=comment, change_id=draft.id if draft is not None else None, focus=iri)
        violations = data.check(added, removed, lang) if added or removed else []
        if problems or violations:
            return self._render_form(request, status=422, problems=problems, violations=violations, **context)
        if not added and not removed:
            return self._render_form(request, status=422, problems=[], violations=[],
                                     notice={"reason": "no_change"}, **context)
        name = (data.label(iri, "de") if existing else None) or forms.entry_name(fields, values) or iri
        stored = {"kind": kind.slug, "subject": iri, "existing": existing,
                  "values": {k: v for k, v in values.items() if v}}
        entries = {iri: revision if existing else changes.revision([], iri)}
        try:
            change = changes.save_draft(state, data, person, added=added, removed=removed, entries=entries,
                                        title=name, comment=comment, form=stored,
                                        change_id=draft.id if draft is not None else None,
                                        client=client_address(request))
            if submit:
                change = changes.submit(state, data, change.id, person, client=client_address(request))
        except Conflict as conflict:
            return self._render_form(request, status=409, notice=self._conflict_view(conflict, data, lang, person),
                                     **{**context, "change_id": conflict.draft})
        except ChangeRefused as error:
            return self._refused(request, error)
        return self._redirect(change.id, "submitted" if submit else "saved", lang)

    def _redirect(self, change_id: int, done: str, lang: str) -> RedirectResponse:
        query = urllib.parse.urlencode({"done": done})
        return RedirectResponse(f"{CHANGE_PATH}/{change_id}?{query}", 303, headers=NO_STORE)

    @staticmethod
    def _number(change_id: str) -> int:
        if not change_id.isdigit() or len(change_id) > 12:
            raise HTTPException(404, f"no change set {change_id!r}: change sets are numbered")
        return int(change_id)

    # ---------------------------------------------------------------- a change set

    async def change_page(self, request: Request, change_id: str, person: Viewer) -> Response:
        number = self._number(change_id)

        def render() -> HTMLResponse:
            try:
                change = changes.get(self._state(), number)
            except ChangeRefused as error:
                return self._refused(request, error)
            return self._change_page(request, change, person)
        return await run_in_threadpool(render)

    def _change_page(self, request: Request, change: ChangeSet, person: SignedIn, status: int = 200,
                     error: str | None = None, notice: dict | None = None, note: str = "",
                     findings: list[str] = ()) -> HTMLResponse:
        lang = self._lang(request)
        data = self._data()
        labels = self._labels(data)
        added, removed = changes.statements_of(change)
        labels = labels.with_statements(removed + added)
        own = change.editor == person.username
        stale = change.status in changes.OPEN and any(
            data.revision(iri) != opened for iri, opened in (change.entries or {}).items())
        entries = [{"name": labels.name(iri, lang) or iri.rsplit("/", 1)[-1],
                    "url": self._public_href(iri) if data.exists(iri) else None,
                    "edit_url": f"{EDIT_PATH}/{self._entry_path(iri)}" if data.exists(iri) and self._entry_path(iri)
                    else None} for iri in sorted(change.entries or {})]
        may = {"edit": own and change.status == "draft" and bool((change.form or {}).get("kind")),
               "submit": own and change.status == "draft" and person.may("editor"),
               "discard": own and change.status == "draft",
               "withdraw": own and change.status == "submitted",
               "review": (not own) and change.status == "submitted" and person.may("reviewer")}
        return self._page(
            request, "workspace_change.html", status=status, change=self._summary(change, lang),
            comment=change.comment, sentences=describe_change(added, removed, labels, lang, base=self.settings.base),
            technical=technical_lines(added, removed), entries=entries, may=may, own=own,
            created=_when(change.created_at, lang), submitted=_when(change.submitted_at, lang),
            reviewed=_when(change.reviewed_at, lang), published=_when(change.published_at, lang),
            stale=stale, error=error, notice=notice, note=note, findings=list(findings),
            publication_error=getattr(change, "publication_error", "") if change.status == "approved" else "",
            done=DONE.get(request.query_params.get("done", "")) if error is None else None,
            own_review_blocked=own and change.status == "submitted" and person.may("reviewer"))

    async def _transition(self, request: Request, change_id: str, person: SignedIn, what: str) -> Response:
        number = self._number(change_id)
        form = await request.form()
        note = str(form.get("note", "") or "")[:changes.MAX_NOTE]

        def run() -> Response:
            state = self._state()
            data = self._data()
            lang = self._lang(request)
            client = client_address(request)
            try:
                if what == "submit":
                    changes.submit(state, data, number, person, client)
                elif what == "withdraw":
                    changes.withdraw(state, number, person, client)
                elif what == "discard":
                    changes.discard(state, number, person, client)
                    return RedirectResponse(f"{PATH}?done=discarded", 303, headers=NO_STORE)
                elif what == "approve":
                    changes.approve(state, data, number, person, note, client)
                    return self._after_approval(request, state, number, person)
                elif what == "reject":
                    changes.reject(state, number, person, note, client)
            except Conflict as conflict:
                change = changes.get(state, number)
                return self._change_page(request, change, person, status=409,
                                         notice=self._conflict_view(conflict, data, lang, person))
            except changes.NotFound as error:
                return self._refused(request, error)
            except ChangeRefused as error:
                try:
                    change = changes.get(state, number)
                except ChangeRefused:
                    return self._refused(request, error)
                message = translate(lang, REFUSALS.get(error.reason, "workspace.refused_status"),
                                    status=translate(lang, STATUS_NAMES.get(change.status, "workspace.status_draft")))
                return self._change_page(request, change, person, status=error.status, error=message, note=note)
            done = {"submit": "submitted", "withdraw": "withdrawn", "reject": "rejected"}[what]
            return self._redirect(number, done, lang)
        return await run_in_threadpool(run)

    def _after_approval(self, request: Request, state: State, number: int, person: SignedIn) -> Response:
        """With publish_mode "each": publish the approved change now (graph/workspace/publication.py), then serve the
        new data (`app.state.reload`, when the app is api/app.py's LiveSite). A publication that is refused leaves the
        change approved and unpublished, and the reviewer sees why."""
        lang = self._lang(request)
        if self.settings.publish_mode != "each":
            return self._redirect(number, "approved", lang)
        from graph.workspace import publication

        try:
            publication.publish_approved(self.settings, state, person.username, ids=[number], dist_dir=self.dist_dir,
                                         lang=lang)
        except Exception as error:  # noqa: BLE001 - PublicationError, or the state folder unusable: the reviewer sees why
            log.warning("change set #%s approved but not published: %s", number, error)
            labels = self._labels(self._data())
            found = [(v.focus_label + ": " if v.focus_label else "") + plain_message(v.message, labels, lang)
                     for v in getattr(error, "violations", ())]
            change = changes.get(state, number)
            return self._change_page(request, change, person, status=409 if getattr(error, "reason", "") else 500,
                                     error=translate(lang, "workspace.publish_failed", reason=str(error)),
                                     findings=found)
        reload = getattr(request.app.state, "reload", None)
        if reload is not None:
            try:
                reload()
            except Exception:
                log.exception("published change set #%s, but the new data could not be served yet", number)
        return self._redirect(number, "published", lang)

    async def submit(self, request: Request, change_id: str, person: Editor) -> Response:
        return await self._transition(request, change_id, person, "submit")

    async def withdraw(self, request: Request, change_id: str, person: Editor) -> Response:
        return await self._transition(request, change_id, person, "withdraw")

    async def discard(self, request: Request, change_id: str, person: Editor) -> Response:
        return await self._transition(request, change_id, person, "discard")

    async def approve(self, request: Request, change_id: str, person: Reviewer) -> Response:
        return await self._transition(request, change_id, person, "approve")

    async def reject(self, request: Request, change_id: str, person: Reviewer) -> Response:
        return await self._transition(request, change_id, person, "reject")


# ------------------------------------------------------------------ the "Bearbeiten" link of the public pages


def workspace_edit_url(request: Request, iri: str) -> str | None:
    """The workspace's form of the entry `iri` when the person looking may edit it (signed in, editor or above,
    editing on, an entry of a kind the workspace edits), else None. A Jinja global for resource.html."""
    settings = getattr(request.app.state, "settings", None)
    if settings is None or not settings.editing:
        return None
    person = current_user(request)
    if person is None or not person.may("editor"):
        return None
    prefix = settings.base + "id/"
    if not iri.startswith(prefix):
        return None
    data = CurrentData.of(settings)
    if not data.exists(iri) or forms.kind_of(data, iri) is None:
        return None
    return f"{EDIT_PATH}/{iri[len(prefix):]}"


templates.env.globals["workspace_edit_url"] = workspace_edit_url
