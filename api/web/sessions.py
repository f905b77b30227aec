"""Who is signed in, and the checks every route of the workspace makes: sessions, CSRF tokens, roles.

- **Sessions** (OWASP's session management cheat sheet): the cookie `hki_session` carries a random session id
  (256 bits), signed with itsdangerous under the deployment's key `state.secret("session")`; `HttpOnly`,
  `SameSite=Lax`, `Secure` when the request came over https (as uvicorn reports it, trusting X-Forwarded-Proto only
  from the `trusted_proxies`), for the whole site. The state database keeps only the id's SHA-256 with the account,
  so the server can end a session: at logout, after `session_idle_minutes` without a request (sliding: the last-seen
  time is written at most once a minute), 12 hours after sign-in in any case, and when the account is disabled or
  changes role (its `session_epoch`). Every sign-in makes a new id (no session fixation).
- **CSRF**: a signed-in session's token is an HMAC of its session id under `state.secret("csrf")`; the login form,
  before any session exists, gets one bound to a random cookie `hki_login` (same flags). `csrf_protect` (a FastAPI
  dependency) checks the form field `csrf_token` or the header `X-CSRF-Token` on POST, PUT, PATCH and DELETE;
  `require_user` does the same for those methods, so a route that asks for a role cannot forget it. Templates write
  `<input type="hidden" name="csrf_token" value="{{ csrf_token(request) }}">` (a Jinja global).
- **Roles**: `require_user(role)` answers an anonymous person 401 — a page asked for with GET by a browser is
  redirected to `/login?next=<the page>` instead — a too small role 403, a missing or wrong token 403. These are
  `AccessRefused` (an HTTPException: without `install_access_pages` FastAPI answers them as JSON with the same status
  and headers; with it, people's pages get a page in German or English).

Time comes from `clock` (tests replace it rather than wait).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool

from api.web.i18n import N_, page_language
from api.web.negotiation import choose
from api.web.templates import templates
from graph.workspace import accounts
from graph.workspace.accounts import Account
from graph.workspace.models import ROLES, role_at_least
from graph.workspace.state import State, StateUnavailable, open_state, utcnow

SESSION_COOKIE = "hki_session"
LOGIN_COOKIE = "hki_login"  # the login form's CSRF cookie, before there is a session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
WORKSPACE_PATH = "/arbeitsbereich"
ACCOUNTS_PATH = "/arbeitsbereich/konten"
MAX_NEXT = 2000
NO_STORE = {"Cache-Control": "no-store", "Vary": "Cookie"}
# What the pages call the roles (msgids)
ROLE_NAMES = {"viewer": N_("roles.viewer"), "editor": N_("roles.editor"), "reviewer": N_("roles.reviewer"),
              "admin": N_("roles.admin")}
assert set(ROLE_NAMES) == set(ROLES)

clock: Callable[[], datetime] = utcnow  # now, in UTC without time zone; tests put their own clock here


def now() -> datetime:
    return clock()


@dataclass(frozen=True)
class SignedIn:
    """The person a request comes from."""

    username: str
    display_name: str
    role: str

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def may(self, role: str) -> bool:
        """True when this person's role includes `role`'s rights."""
        return role_at_least(self.role, role)


def _signed_in(account: Account) -> SignedIn:
    return SignedIn(account.username, account.display_name, account.role)


# ------------------------------------------------------------------ the state, the keys, the cookie

def state_of(request: Request) -> State:
    """The state database of the app's settings."""
    return open_state(request.app.state.settings)


def editing(request: Request) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "editing", False))


_keys: dict[tuple[str, str], bytes] = {}


def key(request: Request, name: str) -> bytes:
    """The deployment's key `name` (state.secret: a file in the state folder), read once per process."""
    state = state_of(request)
    found = _keys.get((str(state.folder), name))
    if found is None:
        found = _keys[(str(state.folder), name)] = state.secret(name)
    return found


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(key(request, "session"), salt="hki-session")


def client_address(request: Request) -> str:
    """The client's address (from a trusted proxy's X-Forwarded-For, as uvicorn sets it)."""
    return request.client.host if request.client else ""


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, path="/", httponly=True, samesite="lax", secure=is_https(request))


def _forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=is_https(request))


def _session_id(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 200:
        return None
    try:
        value = _serializer(request).loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) and 20 <= len(value) <= 100 else None


def _resolved(request: Request) -> tuple[str | None, SignedIn | None]:
    """(session id, person) of the request, looked up once per request."""
    cached = getattr(request.state, "hki_session", None)
    if cached is not None:
        return cached
    found: tuple[str | None, SignedIn | None] = (None, None)
    if editing(request) and SESSION_COOKIE in request.cookies:
        session_id = _session_id(request)
        if session_id is not None:
            settings = request.app.state.settings
            account = accounts.resolve_session(state_of(request), session_id, now=now(),
                                               idle=timedelta(minutes=settings.session_idle_minutes))
            if account is not None:
                found = (session_id, _signed_in(account))
    request.state.hki_session = found
    return found


def current_user(request: Request) -> SignedIn | None:
    """The signed-in person of this request, or None (no cookie, a forged one, an ended or expired session, a
    disabled account, editing off)."""
    return _resolved(request)[1]


def start_session(request: Request, response: Response, account: Account, method: str = "password") -> SignedIn:
    """Sign `account` in: a new session (any session the browser had ends), its cookie on `response`."""
    previous = _resolved(request)[0]
    session_id = accounts.begin_session(state_of(request), account.username, method=method,
                                        client=client_address(request), now=now(), replaces=previous)
    _cookie(request, response, SESSION_COOKIE, _serializer(request).dumps(session_id))
    _forget_cookie(request, response, LOGIN_COOKIE)
    person = _signed_in(account)
    request.state.hki_session = (session_id, person)
    return person


def end_session(request: Request, response: Response) -> str | None:
    """Log out: the session ends on the server, its cookie is removed. The username, or None."""
    session_id = _session_id(request)
    username = None
    if session_id is not None:
        username = accounts.end_session(state_of(request), session_id, client=client_address(request), now=now())
    _forget_cookie(request, response, SESSION_COOKIE)
    request.state.hki_session = (None, None)
    return username


# ------------------------------------------------------------------ CSRF

def _mac(request: Request, purpose: bytes, value: str) -> str:
    return hmac.new(key(request, "csrf"), purpose + b":" + value.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def _login_cookie_value(request: Request) -> str:
    """The login form's cookie value: the browser's, or a new one (`remember_login_cookie` sets it)."""
    value = getattr(request.state, "hki_login_cookie", None)
    if value is None:
        value = request.cookies.get(LOGIN_COOKIE, "")
        if not (20 <= len(value) <= 100 and value.replace("-", "").replace("_", "").isalnum()):
            value = secrets.token_urlsafe(32)
            request.state.hki_login_new = True
        request.state.hki_login_cookie = value
    return value


def login_csrf_token(request: Request) -> str:
    """The token of the login form (bound to the cookie `hki_login`)."""
    return _mac(request, b"login", _login_cookie_value(request))


def remember_login_cookie(request: Request, response: Response) -> Response:
    """Set the login form's cookie on `response` if this request made a new one."""
    if getattr(request.state, "hki_login_new", False):
        _cookie(request, response, LOGIN_COOKIE, request.state.hki_login_cookie)
    return response


def csrf_token(request: Request) -> str:
    """The token a form of this page sends back: the session's, or (signed out) the login form's."""
    session_id = _resolved(request)[0]
    if session_id is None:
        return login_csrf_token(request)
    return _mac(request, b"session", session_id)


async def submitted_token(request: Request) -> str:
    """The token the request carries: the X-CSRF-Token header, else the form field csrf_token."""
    token = request.headers.get(CSRF_HEADER, "")
    if token:
        return token
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        return value if isinstance(value, str) else ""
    return ""


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


async def login_token_valid(request: Request) -> bool:
    """True when the login form's token matches its cookie (the login form is sent before any session exists)."""
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    token = await submitted_token(request)
    return bool(cookie) and _same(token, _mac(request, b"login", cookie))


async def session_of(request: Request) -> tuple[str | None, SignedIn | None]:
    """(session id, person) of the request, looked up off the event loop (the state database)."""
    return await run_in_threadpool(_resolved, request)


async def session_token_valid(request: Request, session_id: str) -> bool:
    """True when the request carries the token of the session `session_id`."""
    return _same(await submitted_token(request), _mac(request, b"session", session_id))


async def csrf_protect(request: Request) -> None:
    """FastAPI dependency: on POST, PUT, PATCH and DELETE the request must come from a signed-in session (else 401)
    and carry that session's token (else 403). Other methods pass."""
    if request.method not in UNSAFE_METHODS:
        return
    session_id, person = await session_of(request)
    if person is None:
        raise AccessRefused(401, "sign_in", request)
    if not await session_token_valid(request, session_id):
        raise AccessRefused(403, "csrf", request)


# ------------------------------------------------------------------ roles

def wants_page(request: Request) -> bool:
    """True for a browser asking for a page (Accept names text/html and prefers it to JSON); False for fetch()
    and API clients."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and choose(accept, ["text/html", "application/json"]) == "text/html"


def safe_next(value: str | None, default: str = WORKSPACE_PATH) -> str:
    """`value` if it is a path of this site to go on to after signing in, else `default`: never another site
    (`//evil.example`, `/\\evil.example`, `https://…`, control characters or spaces browsers drop), never the
    login or logout itself."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return default
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in value):
        return default
    for form in (value, urllib.parse.unquote(value), urllib.parse.unquote(urllib.parse.unquote(value))):
        if form.startswith("//") or form.startswith("/\\") or "\\" in form:
            return default
        parts = urllib.parse.urlsplit(form)
        if parts.scheme or parts.netloc:
            return default
    path = urllib.parse.urlsplit(value).path
    if path in (LOGIN_PATH, LOGOUT_PATH) or path.startswith(LOGIN_PATH + "/"):
        return default
    return value


def login_url(next_path: str | None = None) -> str:
    """The login page, going on to `next_path` (a local path) afterwards."""
    target = safe_next(next_path, "")
    return LOGIN_PATH + ("?" + urllib.parse.urlencode({"next": target}) if target else "")


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


# Why a request was refused (msgids of the refusal page) and its English text (JSON, plain answers)
REFUSALS = {
    "sign_in": (N_("access.sign_in"), "sign in first: this needs an account of the workspace"),
    "role": (N_("access.role"), "your role does not allow this"),
    "csrf": (N_("access.csrf"), "the form's security token is missing or wrong (CSRF); reload the page and try "
                                "again"),
    "editing_off": (N_("access.editing_off"), "editing is off on this server"),
}


UNAVAILABLE = ("the workspace's state database cannot be used right now; nothing was saved — try again in a "
               "moment (the server's log says why)")


class AccessRefused(HTTPException):
    """401 (not signed in; a browser's GET of a page: 303 to the login page), or 403 (role, CSRF token)."""

    def __init__(self, status: int, reason: str, request: Request, role: str = ""):
        self.reason = reason
        self.role = role
        self.next_path = _here(request) if request.method in ("GET", "HEAD") else None
        self.page = wants_page(request)
        headers = dict(NO_STORE)
        if status == 401 and self.page and request.method in ("GET", "HEAD"):
            status = 303
            headers["Location"] = login_url(self.next_path)
        elif status == 401:
            headers["WWW-Authenticate"] = (f'Cookie realm="hki", form-action="{LOGIN_PATH}", '
                                           f'cookie-name="{SESSION_COOKIE}"')
        text = REFUSALS[reason][1] + (f" (needs the role {role} or above)" if role else "")
        super().__init__(status, text, headers)


def require_user(role: str = "viewer") -> Callable[[Request], Awaitable[SignedIn]]:
    """FastAPI dependency: the signed-in person if their role includes `role` — 401 when nobody is signed in (a
    browser's GET of a page is sent to the login page), 403 when the role is too small — and, for POST, PUT, PATCH
    and DELETE, the request's CSRF token checked (403)."""
    if role not in ROLES:
        raise ValueError(f"role {role!r}: valid roles are {', '.join(ROLES)}")

    async def signed_in(request: Request) -> SignedIn:
        if not editing(request):
            raise AccessRefused(403, "editing_off", request)
        session_id, person = await session_of(request)
        if person is None:
            raise AccessRefused(401, "sign_in", request)
        if not person.may(role):
            raise AccessRefused(403, "role", request, role)
        if request.method in UNSAFE_METHODS and not await session_token_valid(request, session_id):
            raise AccessRefused(403, "csrf", request)
        return person

    signed_in.__name__ = f"require_{role}"
    return signed_in


# ------------------------------------------------------------------ answers

def refusal_page(request: Request, status: int, reason: str, role: str = "",
                 headers: dict | None = None) -> HTMLResponse:
    """The page that says why a request was refused, in the page language."""
    lang = page_language(request, request.app.state.settings.lang)
    person = current_user(request) if reason != "unavailable" else None
    again = login_url(_here(request) if request.method == "GET" else None)
    reason_msgid = REFUSALS[reason][0] if reason in REFUSALS else N_("access.unavailable")
    return templates.TemplateResponse(
        request, "access_refused.html",
        {"lang": lang, "reason": reason, "reason_msgid": reason_msgid, "role_msgid": ROLE_NAMES.get(role),
         "person": person, "login_url": again, "role_names": ROLE_NAMES},
        status_code=status, headers={**NO_STORE, **(headers or {})})


def install_access_pages(app: FastAPI) -> None:
    """Answer AccessRefused with a page for people (a redirect to the login page for a GET), JSON for fetch() and
    API clients; and a locked or unwritable state database (StateUnavailable) with 503 and Retry-After, its cause
    in the server's log."""

    async def refused(request: Request, error: AccessRefused) -> Response:
        headers = dict(error.headers or {})
        if error.status_code == 303:
            return RedirectResponse(headers.pop("Location"), 303, headers=headers)
        if error.page:
            return await run_in_threadpool(refusal_page, request, error.status_code, error.reason, error.role, headers)
        return JSONResponse({"detail": error.detail}, error.status_code, headers=headers)

    async def unavailable(request: Request, error: StateUnavailable) -> Response:
        # what is wrong (the folder, the database) goes to the server's log, for whoever runs it, not to the public
        logging.getLogger("hki.api").error("state database unavailable at %s: %s", request.url.path, error)
        headers = {**NO_STORE, "Retry-After": "5"}
        if wants_page(request):
            return await run_in_threadpool(refusal_page, request, 503, "unavailable", "", headers)
        return JSONResponse({"detail": UNAVAILABLE}, 503, headers=headers)

    app.add_exception_handler(AccessRefused, refused)
    app.add_exception_handler(StateUnavailable, unavailable)


def _template_csrf_token(request: Request) -> str:
    return csrf_token(request)


templates.env.globals["csrf_token"] = _template_csrf_token
templates.env.globals["current_user"] = current_user
