"""Signing in and out, single sign-on, and the admins' page of the accounts (only with the setting `editing`).

- `GET /login` the form (username, password; a button for the city's provider when `oidc_issuer` is set),
  `POST /login` checks it: a wrong name, password or disabled account get the same answer (401); after
  `ACCOUNT_LIMIT` failures of an account or `CLIENT_LIMIT` from one address in 15 minutes the answer is 429 with
  `Retry-After`, and the form says in how many minutes to try again. Success starts a new session and goes on to
  `next` — a path of this site only, never another site.
- `POST /logout` ends the session (with the session's CSRF token), and goes to the home page.
- `GET /login/oidc` → the provider; `GET /login/oidc/callback` ← the provider (api/web/oidc.py).
- `/arbeitsbereich/konten` (admins): the accounts with their roles, adding one (the admin gives an initial password
  and passes it on: hki sends no mail, and a one-time link would need the same safe channel), changing a role,
  disabling and enabling, a new password; the recent entries of the audit log. A role change, disabling and a
  new password end the account's sessions; the last admin can be neither demoted nor disabled.

The checks (sessions, CSRF, roles) are api/web/sessions.py's; the accounts themselves graph/workspace/accounts.py's.
"""
from __future__ import annotations

import math
import urllib.parse
from datetime import UTC, datetime
from typing import Annotated

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.web import sessions
from api.web.i18n import N_, page_language, remember_language
from api.web.oidc import FLOW_COOKIE, FLOW_SECONDS, OpenIDConnect, ProviderError, dump_flow, load_flow
from api.web.sessions import (ACCOUNTS_PATH, LOGIN_PATH, LOGOUT_PATH, NO_STORE, ROLE_NAMES, SignedIn,
                              client_address, current_user, require_user, safe_next)
from api.web.templates import templates
from graph.config import Settings
from graph.workspace import accounts, audit
from graph.workspace.accounts import AccountError, LoginRefused
from graph.workspace.models import ROLES

OIDC_PATH = "/login/oidc"
OIDC_CALLBACK_PATH = "/login/oidc/callback"
AUDIT_SHOWN = 50  # entries of the audit log on the accounts page
ADMIN = require_user("admin")
Admin = Annotated[SignedIn, Depends(ADMIN)]
# The actions on one account: /arbeitsbereich/konten/{username}/<path word> → method
ACCOUNT_ACTIONS = {"rolle": "change_role", "sperren": "disable_account", "entsperren": "enable_account",
                   "passwort": "new_password"}

# What went wrong, as the pages say it (msgids)
ACCOUNT_ERRORS = {
    "username_invalid": N_("accounts.error_username_invalid"), "username_taken": N_("accounts.error_username_taken"),
    "password_missing": N_("accounts.error_password_missing"), "password_short": N_("accounts.error_password_short"),
    "password_long": N_("accounts.error_password_long"), "password_mismatch": N_("accounts.error_password_mismatch"),
    "role_unknown": N_("accounts.error_role_unknown"), "no_such_user": N_("accounts.error_no_such_user"),
    "last_admin": N_("accounts.error_last_admin"), "own_account": N_("accounts.error_own_account"),
    "display_name_long": N_("accounts.error_display_name_long"),
    "display_name_invalid": N_("accounts.error_display_name_invalid"),
}
PROVIDER_ERRORS = {
    "unreachable": N_("login.oidc_unreachable"), "invalid": N_("login.oidc_invalid"),
    "denied": N_("login.oidc_denied"), "state": N_("login.oidc_state"), "expired": N_("login.oidc_expired"),
    "token": N_("login.oidc_token"), "disabled": N_("login.failed"), "oidc_conflict": N_("login.oidc_conflict"),
}
DONE = {"added": N_("accounts.done_added"), "role": N_("accounts.done_role"), "disabled": N_("accounts.done_disabled"),
        "enabled": N_("accounts.done_enabled"), "password": N_("accounts.done_password")}
AUDIT_ACTIONS = {
    "login.success": N_("audit.login_success"), "login.failure": N_("audit.login_failure"),
    "logout": N_("audit.logout"), "user.add": N_("audit.user_add"), "user.role": N_("audit.user_role"),
    "user.disable": N_("audit.user_disable"), "user.enable": N_("audit.user_enable"),
    "user.password": N_("audit.user_password"), "user.link": N_("audit.user_link"),
    "change.save": N_("audit.change_save"), "change.withdraw": N_("audit.change_withdraw"),
    "change.discard": N_("audit.change_discard"),
    "change.submit": N_("audit.change_submit"), "change.approve": N_("audit.change_approve"),
    "change.reject": N_("audit.change_reject"), "publish": N_("audit.publish"), "release": N_("audit.release"),
}
AUDIT_REASONS = {
    "unknown_user": N_("audit.reason_unknown_user"), "bad_password": N_("audit.reason_bad_password"),
    "disabled": N_("audit.reason_disabled"), "no_password": N_("audit.reason_no_password"),
    "rate_limited": N_("audit.reason_rate_limited"), "oidc_conflict": N_("audit.reason_oidc_conflict"),
}


def _when(moment: datetime, lang: str) -> str:
    return format_datetime(moment.replace(tzinfo=UTC), "medium", tzinfo=UTC, locale=lang) + " UTC"


def _text(form, name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


class AccountsRouter(APIRouter):
    """/login, /logout, /login/oidc…, /arbeitsbereich/konten."""

    def __init__(self, settings: Settings):
        super().__init__(include_in_schema=False, dependencies=[Depends(self._editing_on)])
        if settings.oidc_default_role not in ROLES:
            raise ValueError(f"oidc_default_role = {settings.oidc_default_role!r}: valid roles are {', '.join(ROLES)}")
        self.settings = settings
        self.provider = OpenIDConnect(settings) if settings.oidc_issuer else None
        page = {"response_class": HTMLResponse}
        self.add_api_route(LOGIN_PATH, self.login_form, methods=["GET", "HEAD"], **page)
        self.add_api_route(LOGIN_PATH, self.login, methods=["POST"], **page)
        self.add_api_route(LOGOUT_PATH, self.logout, methods=["POST"], **page)
        self.add_api_route(OIDC_PATH, self.oidc_begin, methods=["GET", "HEAD"], **page)
        self.add_api_route(OIDC_CALLBACK_PATH, self.oidc_callback, methods=["GET", "HEAD"], name="oidc_callback",
                           **page)
        self.add_api_route(ACCOUNTS_PATH, self.accounts_page, methods=["GET", "HEAD"], **page)
        self.add_api_route(ACCOUNTS_PATH, self.add_account, methods=["POST"], **page)
        for word, method in ACCOUNT_ACTIONS.items():
            self.add_api_route(f"{ACCOUNTS_PATH}/{{username}}/{word}", getattr(self, method), methods=["POST"], **page)

    def _editing_on(self) -> None:
        if not self.settings.editing:
            raise HTTPException(404, "editing is off on this server (setting editing = true turns it on)")

    def _lang(self, request: Request) -> str:
        return page_language(request, self.settings.lang)

    def _state(self, request: Request):
        return sessions.state_of(request)

    # ---------------------------------------------------------------- signing in

    def _login_page(self, request: Request, *, status: int = 200, error: str | None = None, username: str = "",
                    next_path: str = "", retry_minutes: int = 0, headers: dict | None = None) -> HTMLResponse:
        lang = self._lang(request)
        response = templates.TemplateResponse(
            request, "login.html",
            {"lang": lang, "title_msgid": "login.title", "error": error, "username": username,
             "next": safe_next(next_path, ""), "retry_minutes": retry_minutes,
             "login_token": sessions.login_csrf_token(request), "person": current_user(request),
             "oidc": self.provider is not None,
             "oidc_url": OIDC_PATH + ("?" + urllib.parse.urlencode({"next": safe_next(next_path, "")})
                                      if safe_next(next_path, "") else "")},
            status_code=status, headers={**NO_STORE, **(headers or {})})
        sessions.remember_login_cookie(request, response)
        return remember_language(request, response)

    def login_form(self, request: Request, next: str = "") -> HTMLResponse:
        return self._login_page(request, next_path=next)

    def _sign_in(self, request: Request, response: Response, username: str, password: str):
        account = accounts.authenticate(self._state(request), username, password, client=client_address(request),
                                        now=sessions.now())
        sessions.start_session(request, response, account)
        return account

    async def login(self, request: Request) -> Response:
        form = await request.form()
        username, password = _text(form, "username", 200), _text(form, "password", accounts.MAX_PASSWORD + 1)
        next_path = _text(form, "next")
        if not await sessions.login_token_valid(request):
            return await run_in_threadpool(lambda: self._login_page(
                request, status=403, error=N_("login.expired"), username=username, next_path=next_path))
        response = RedirectResponse(safe_next(next_path), 303, headers=NO_STORE)
        try:
            await run_in_threadpool(self._sign_in, request, response, username, password)
        except LoginRefused as refused:
            wait = refused.retry_after
            if wait:
                return await run_in_threadpool(lambda: self._login_page(
                    request, status=429, error=N_("login.rate_limited"), username=username, next_path=next_path,
                    retry_minutes=max(1, math.ceil(wait / 60)), headers={"Retry-After": str(wait)}))
            return await run_in_threadpool(lambda: self._login_page(
                request, status=401, error=N_("login.failed"), username=username, next_path=next_path))
        return response

    async def logout(self, request: Request) -> Response:
        session_id, person = await sessions.session_of(request)
        if person is not None and not await sessions.session_token_valid(request, session_id):
            raise sessions.AccessRefused(403, "csrf", request)
        response = RedirectResponse("/", 303, headers=NO_STORE)
        await run_in_threadpool(sessions.end_session, request, response)
        return response

    # ---------------------------------------------------------------- single sign-on

    def _callback_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + OIDC_CALLBACK_PATH

    def _provider_refused(self, request: Request, code: str, next_path: str = "") -> Response:
        audit.record(self._state(request), "", "login.failure", "", accounts.client_key(client_address(request)),
                     reason=f"oidc_{code}", method="oidc")
        response = self._login_page(request, status=400 if code != "disabled" else 401,
                                    error=PROVIDER_ERRORS.get(code, N_("login.oidc_invalid")), next_path=next_path)
        response.delete_cookie(FLOW_COOKIE, path=OIDC_PATH, httponly=True, samesite="lax",
                               secure=sessions.is_https(request))
        return response

    async def oidc_begin(self, request: Request, next: str = "") -> Response:
        if self.provider is None:
            raise HTTPException(404, "single sign-on is not configured (setting oidc_issuer)")
        try:
            url, flow = await self.provider.begin(self._callback_url(request))
        except ProviderError as exc:
            return await run_in_threadpool(self._provider_refused, request, exc.code, next)
        secret = await run_in_threadpool(sessions.key, request, "session")
        response = RedirectResponse(url, 303, headers=NO_STORE)
        response.set_cookie(FLOW_COOKIE, dump_flow(secret, flow, _epoch(sessions.now()), safe_next(next, "")),
                            max_age=FLOW_SECONDS, path=OIDC_PATH, httponly=True, samesite="lax",
                            secure=sessions.is_https(request))
        return response

    async def oidc_callback(self, request: Request) -> Response:
        if self.provider is None:
            raise HTTPException(404, "single sign-on is not configured (setting oidc_issuer)")
        state = self._state(request)
        secret = await run_in_threadpool(sessions.key, request, "session")
        next_path = ""
        try:
            flow = load_flow(secret, request.cookies.get(FLOW_COOKIE), _epoch(sessions.now()))
            next_path = str(flow.get("next") or "")
            identity = await self.provider.finish(self._callback_url(request), dict(request.query_params), flow)
        except ProviderError as exc:
            return await run_in_threadpool(self._provider_refused, request, exc.code, next_path)
        response = RedirectResponse(safe_next(next_path), 303, headers=NO_STORE)
        response.delete_cookie(FLOW_COOKIE, path=OIDC_PATH, httponly=True, samesite="lax",
                               secure=sessions.is_https(request))

        def sign_in() -> None:
            account = accounts.sign_in_with_provider(
                state, identity.issuer, identity.subject, identity.preferred_username, identity.name,
                default_role=self.settings.oidc_default_role, client=client_address(request), now=sessions.now())
            sessions.start_session(request, response, account, method="oidc")

        try:
            await run_in_threadpool(sign_in)
        except LoginRefused as refused:
            error = PROVIDER_ERRORS.get(refused.reason, N_("login.failed"))
            return await run_in_threadpool(lambda: self._login_page(request, status=401, error=error,
                                                                    next_path=next_path))
        return response

    # ---------------------------------------------------------------- the accounts page

    def _accounts_page(self, request: Request, person: SignedIn, *, status: int = 200, errors: dict | None = None,
                       values: dict | None = None, row_error: tuple[str, str] | None = None) -> HTMLResponse:
        lang = self._lang(request)
        state = self._state(request)
        done = request.query_params.get("done", "")
        done_user = request.query_params.get("user", "")[:64]
        log = [{"when": _when(e.at, lang), "iso": e.at.isoformat() + "Z", "actor": e.actor,
                "action": AUDIT_ACTIONS.get(e.action), "action_code": e.action, "target": e.target,
                "client": e.client, "reason": AUDIT_REASONS.get(str(e.detail.get("reason", ""))),
                "reason_code": str(e.detail.get("reason", "")),
                "before": ROLE_NAMES.get(str(e.detail.get("before", ""))),
                "after": ROLE_NAMES.get(str(e.detail.get("after", "")))}
               for e in audit.entries(state, limit=AUDIT_SHOWN)]
        users = [{"account": a, "created": _when(a.created_at, lang)} for a in accounts.list_users(state)]
        response = templates.TemplateResponse(
            request, "accounts.html",
            {"lang": lang, "person": person, "users": users, "roles": [(r, ROLE_NAMES[r]) for r in ROLES],
             "errors": errors or {}, "values": values or {}, "row_error": row_error,
             "done": DONE.get(done) if not errors and not row_error else None, "done_user": done_user,
             "log": log, "min_password": accounts.MIN_PASSWORD, "action_base": ACCOUNTS_PATH, "role_names": ROLE_NAMES,
             "audit_shown": AUDIT_SHOWN},
            status_code=status, headers=NO_STORE)
        return remember_language(request, response)

    async def accounts_page(self, request: Request, person: Admin) -> Response:
        return await run_in_threadpool(self._accounts_page, request, person)

    def _done(self, what: str, username: str) -> RedirectResponse:
        query = urllib.parse.urlencode({"done": what, "user": username})
        return RedirectResponse(f"{ACCOUNTS_PATH}?{query}", 303, headers=NO_STORE)

    def _refused(self, request: Request, person: SignedIn, error: AccountError, values: dict,
                 username: str = "") -> HTMLResponse:
        status = 409 if error.code in ("username_taken", "last_admin", "own_account") else \
            404 if error.code == "no_such_user" else 400
        if username:
            return self._accounts_page(request, person, status=status,
                                       row_error=(username, ACCOUNT_ERRORS.get(error.code, error.code)))
        return self._accounts_page(request, person, status=status, values=values,
                                   errors={error.field or "username": ACCOUNT_ERRORS.get(error.code, error.code)})

    async def add_account(self, request: Request, person: Admin) -> Response:
        form = await request.form()
        values = {"username": _text(form, "username", 200), "display_name": _text(form, "display_name", 400),
                  "role": _text(form, "role", 20)}
        password, again = _text(form, "password", accounts.MAX_PASSWORD + 1), _text(form, "password_again",
                                                                                      accounts.MAX_PASSWORD + 1)

        def add() -> Response:
            try:
                if password != again:
                    raise AccountError("password_mismatch", "the two passwords differ", "password_again")
                account = accounts.add_user(self._state(request), values["username"], password, values["role"],
                                            values["display_name"], actor=person.username,
                                            client=client_address(request))
            except AccountError as error:
                return self._refused(request, person, error, values)
            return self._done("added", account.username)

        return await run_in_threadpool(add)

    async def _change(self, request: Request, person: SignedIn, username: str, what: str, change) -> Response:
        form = await request.form()

        def run() -> Response:
            try:
                account = change(form)
            except AccountError as error:
                return self._refused(request, person, error, {}, username=username[:64])
            return self._done(what, account.username)

        return await run_in_threadpool(run)

    async def change_role(self, request: Request, username: str, person: Admin) -> Response:
        return await self._change(request, person, username, "role", lambda form: accounts.set_role(
            self._state(request), username, _text(form, "role", 20), actor=person.username,
            client=client_address(request)))

    async def disable_account(self, request: Request, username: str, person: Admin) -> Response:
        return await self._change(request, person, username, "disabled", lambda form: accounts.disable(
            self._state(request), username, actor=person.username, client=client_address(request)))

    async def enable_account(self, request: Request, username: str, person: Admin) -> Response:
        return await self._change(request, person, username, "enabled", lambda form: accounts.enable(
            self._state(request), username, actor=person.username, client=client_address(request)))

    async def new_password(self, request: Request, username: str, person: Admin) -> Response:
        def change(form) -> accounts.Account:
            password = _text(form, "password", accounts.MAX_PASSWORD + 1)
            if password != _text(form, "password_again", accounts.MAX_PASSWORD + 1):
                raise AccountError("password_mismatch", "the two passwords differ", "password_again")
            return accounts.set_password(self._state(request), username, password, actor=person.username,
                                         client=client_address(request))

        return await self._change(request, person, username, "password", change)


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()

