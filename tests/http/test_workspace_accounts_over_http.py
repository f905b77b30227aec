"""Signing in and out of the workspace over HTTP, as a browser and a script meet it: the login form, sessions and
their cookies, CSRF tokens, the rate limit of failed logins, roles on the admins' accounts page, redirects only to
this site, escaping, and single sign-on against a small OpenID Connect provider served on loopback
(tests/support/oidc_provider.py).

One app for the module over the session's Hannover store, with editing on and a state folder of its own; each test
signs in from a client address of its own (the rate limit counts per address) with accounts of its own. Time is
`api.web.sessions.clock`, moved by the tests instead of waiting.
"""
from __future__ import annotations

import itertools
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.accounts import AccountsRouter
from api.web import sessions
from graph.config import Settings
from graph.workspace import accounts, audit
from graph.workspace.state import open_state
from support.live_server import free_port, serve_app
from support.oidc_provider import oidc_provider
from support.workspace_app import BROWSER_ACCEPT as PAGE, accounts_router, cheap_hashing, mount_accounts  # noqa: F401 - cheap_hashing: a fixture

PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "reviewer", "admin")
HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
_addresses = itertools.count(1)



@pytest.fixture(scope="module")
def workspace_settings(tmp_path_factory) -> Settings:
    return Settings(editing=True, state_dir=tmp_path_factory.mktemp("state"), lang="de", session_idle_minutes=30)


@pytest.fixture(scope="module")
def app(workspace_settings, hannover, tmp_path_factory) -> FastAPI:
    return mount_accounts(create_app(workspace_settings, dist_dir=tmp_path_factory.mktemp("dist"), kstore=hannover),
                          workspace_settings)


@pytest.fixture(scope="module")
def state(workspace_settings):
    return open_state(workspace_settings)


@pytest.fixture
def clock(monkeypatch):
    """Time as the sessions see it: `clock.now`, moved with `clock.forward(minutes=…)`."""

    class Clock:
        now = sessions.utcnow()

        def forward(self, **delta) -> None:
            self.now += timedelta(**delta)

    moving = Clock()
    monkeypatch.setattr(sessions, "clock", lambda: moving.now)
    return moving


@contextmanager
def _browser(app: FastAPI, **options) -> Iterator[TestClient]:
    address = f"198.51.100.{next(_addresses)}"
    with TestClient(app, follow_redirects=False, client=(address, 40000), **options) as test_client:
        test_client.address = address
        yield test_client


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A browser of its own (cookies, client address)."""
    with _browser(app) as test_client:
        yield test_client


@pytest.fixture
def browsers(app):
    """`with browsers() as b:` more browsers in one test (another address each)."""
    return lambda **options: _browser(app, **options)


_names = itertools.count(1)


@pytest.fixture
def account(state):
    """`account(role)`: a new account with that role; its username."""

    def make(role: str = "editor", display_name: str = "") -> str:
        name = f"{role}{next(_names)}"
        accounts.add_user(state, name, PASSWORD, role, display_name, actor="test")
        return name

    return make


def token_in(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found[1]


def login_token(html: str) -> str:
    """The login form's token (signed in, the menu's sign-out form comes first with the session's)."""
    return token_in(html.split('action="/login"', 1)[1])


def sign_in(browser: TestClient, username: str, password: str = PASSWORD, next_path: str | None = None,
            **extra) -> httpx.Response:
    form = browser.get("/login", headers=PAGE)
    assert form.status_code == 200, form.text
    data = {"username": username, "password": password, "csrf_token": login_token(form.text), **extra}
    if next_path is not None:
        data["next"] = next_path
    return browser.post("/login", data=data, headers=PAGE)


def session_token(browser: TestClient) -> str:
    """The signed-in session's CSRF token, from the sign-out form in the site menu."""
    page = browser.get("/login", headers=PAGE)
    found = re.search(r'<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="([^"]+)"',
                      page.text)
    assert found, "signed in: the menu has the sign-out form"
    return found[1]


def set_cookie(response: httpx.Response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(name + "="))


# ------------------------------------------------------------------ the form and signing in

def test_the_login_form_labels_its_fields_and_carries_a_token_bound_to_a_cookie(browser):
    page = browser.get("/login", headers=PAGE)
    assert page.status_code == 200
    html = page.text
    assert '<label for="login-username">Benutzername</label>' in html and 'id="login-username" name="username"' in html
    assert '<label for="login-password">Passwort</label>' in html and 'type="password"' in html
    assert 'autocomplete="current-password"' in html and 'role="alert"' in html
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    cookie = set_cookie(page, sessions.LOGIN_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie and "secure" not in cookie
    english = browser.get("/login?lang=en", headers=PAGE).text
    assert "Sign in" in english and '<label for="login-username">Username</label>' in english
    assert "https://w3id.org" not in html, "no IRIs on the page"


def test_signing_in_starts_a_session_in_an_httponly_samesite_cookie_and_goes_on_to_next(browser, account, state):
    name = account("editor")
    done = sign_in(browser, name, next_path="/list/cities?lang=en")
    assert done.status_code == 303 and done.headers["location"] == "/list/cities?lang=en"
    cookie = set_cookie(done, sessions.SESSION_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie and "secure" not in cookie
    assert "max-age" not in cookie and "expires" not in cookie, "a session cookie, gone with the browser"
    home = browser.get("/", headers=PAGE).text
    assert f"Angemeldet: {name}" in home and 'action="/logout"' in home and "Arbeitsbereich" in home
    assert audit.entries(state, actions=["login.success"], target=name)[0].client == browser.address


def test_over_https_the_cookies_are_secure(app, account):
    name = account("editor")
    with _browser(app, base_url="https://testserver") as browser:
        form = browser.get("/login", headers=PAGE)
        assert "secure" in set_cookie(form, sessions.LOGIN_COOKIE).lower()
        done = browser.post("/login", data={"username": name, "password": PASSWORD,
                                            "csrf_token": token_in(form.text)}, headers=PAGE)
        assert done.status_code == 303
        assert "secure" in set_cookie(done, sessions.SESSION_COOKIE).lower()


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(browsers, account):
    name = account("editor")
    answers = []
    for username, password in ((name, "wrong password!"), ("nobody-here", PASSWORD), ("", "")):
        with browsers() as browser:
            refused = sign_in(browser, username, password)
            assert refused.status_code == 401
            assert sessions.SESSION_COOKIE not in refused.headers.get("set-cookie", "")
            message = re.search(r'<div id="login-error"[^>]*>\s*<p>([^<]+)</p>', refused.text)[1]
            answers.append(message)
            assert password not in refused.text or not password, "the password is never sent back"
    assert len(set(answers)) == 1 and "Benutzername oder Passwort stimmt nicht" in answers[0]


def test_a_session_id_from_before_the_login_is_never_kept(browser, account, state):
    name = account("editor")
    browser.cookies.set(sessions.SESSION_COOKIE, "attacker-chosen-session-id")
    first = sign_in(browser, name)
    first_cookie = first.cookies[sessions.SESSION_COOKIE]
    assert first_cookie != "attacker-chosen-session-id"
    second = sign_in(browser, name)
    assert second.cookies[sessions.SESSION_COOKIE] != first_cookie, "every sign-in makes a new session id"
    with _browser(browser.app) as other:  # the replaced session ended: its cookie signs nobody in
        other.cookies.set(sessions.SESSION_COOKIE, first_cookie)
        assert "Angemeldet" not in other.get("/login", headers=PAGE).text


def test_a_forged_session_cookie_signs_nobody_in(browser, account):
    name = account("admin")
    sign_in(browser, name)
    genuine = browser.cookies[sessions.SESSION_COOKIE]
    value, _, signature = genuine.rpartition(".")
    browser.cookies.set(sessions.SESSION_COOKIE, value + "." + signature[::-1])
    assert browser.get("/arbeitsbereich/konten", headers=PAGE).status_code == 303


# ------------------------------------------------------------------ CSRF

def test_the_login_form_without_or_with_a_wrong_token_is_refused(browser, account):
    name = account("editor")
    browser.get("/login", headers=PAGE)
    for data in ({"username": name, "password": PASSWORD},
                 {"username": name, "password": PASSWORD, "csrf_token": "0" * 64}):
        refused = browser.post("/login", data=data, headers=PAGE)
        assert refused.status_code == 403 and "abgelaufen" in refused.text
        assert sessions.SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    with _browser(browser.app) as stranger:  # a token from another browser's form does not fit this one's cookie
        stranger.get("/login", headers=PAGE)
        foreign = token_in(browser.get("/login", headers=PAGE).text)
        assert stranger.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": foreign},
                             headers=PAGE).status_code == 403


def test_a_change_without_the_sessions_token_is_refused(browser, account, state):
    admin = account("admin")
    sign_in(browser, admin)
    form = {"username": "csrf-victim", "display_name": "", "role": "admin", "password": PASSWORD,
            "password_again": PASSWORD}
    assert browser.post("/arbeitsbereich/konten", data=form, headers=PAGE).status_code == 403
    token_of_login_form = login_token(browser.get("/login", headers=PAGE).text)
    assert browser.post("/arbeitsbereich/konten", data={**form, "csrf_token": token_of_login_form},
                        headers=PAGE).status_code == 403, "the login form's token is no session token"
    assert browser.post("/arbeitsbereich/konten", data={**form, "csrf_token": "x" * 64},
                        headers={"Accept": "application/json"}).json()["detail"].startswith("the form's security")
    assert accounts.get_user(state, "csrf-victim") is None
    token = session_token(browser)
    assert browser.post("/arbeitsbereich/konten", data=form, headers={**PAGE, "X-CSRF-Token": token}).status_code == 303
    assert accounts.get_user(state, "csrf-victim").role == "admin"


def test_logout_needs_the_token_and_ends_the_session_for_good(browser, account, state):
    name = account("reviewer")
    sign_in(browser, name)
    cookie = browser.cookies[sessions.SESSION_COOKIE]
    assert browser.post("/logout", data={}, headers=PAGE).status_code == 403
    done = browser.post("/logout", data={"csrf_token": session_token(browser)}, headers=PAGE)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert 'hki_session=""' in done.headers["set-cookie"] or "max-age=0" in done.headers["set-cookie"].lower()
    assert audit.entries(state, actions=["logout"], target=name)
    with _browser(browser.app) as replay:  # the old cookie, replayed, signs nobody in
        replay.cookies.set(sessions.SESSION_COOKIE, cookie)
        assert "Angemeldet" not in replay.get("/login", headers=PAGE).text
        assert replay.get("/arbeitsbereich/konten", headers=PAGE).status_code == 303


# ------------------------------------------------------------------ rate limit

def test_failed_logins_of_an_account_are_limited_with_429_retry_after_and_words(browsers, account, clock):
    name = account("editor")
    for _ in range(accounts.ACCOUNT_LIMIT - 1):
        with browsers() as browser:
            assert sign_in(browser, name, "wrong password!").status_code == 401
    with browsers() as browser:
        limited = sign_in(browser, name, "wrong password!")
    assert limited.status_code == 429 and limited.headers["retry-after"] == str(15 * 60)
    assert "Sie können es in 15 Min. wieder versuchen" in limited.text
    clock.forward(minutes=6)
    with browsers() as browser:
        limited = sign_in(browser, name, PASSWORD)  # the right password, another address: still waits
        assert limited.status_code == 429 and limited.headers["retry-after"] == str(9 * 60)
        assert "in 9 Min." in limited.text
        english = browser.post("/login?lang=en", data={"username": name, "password": PASSWORD,
                                                        "csrf_token": login_token(browser.get("/login").text)})
        assert english.status_code == 429 and "You can try again in 9 min." in english.text
    clock.forward(minutes=9)
    with browsers() as browser:
        assert sign_in(browser, name, PASSWORD).status_code == 303


def test_failed_logins_from_one_address_are_limited_whatever_the_name(browser, account, clock):
    name = account("editor")
    for i in range(accounts.CLIENT_LIMIT - 1):
        assert sign_in(browser, f"guess-{i}", "wrong password!").status_code == 401
    assert sign_in(browser, name, PASSWORD).status_code == 303, "below the limit a person still gets in"
    limited = sign_in(browser, "one-more", "wrong password!")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert sign_in(browser, name, PASSWORD).status_code == 429, "a success did not reset the address's count"


# ------------------------------------------------------------------ roles

ADMIN_ROUTES = [("GET", "/arbeitsbereich/konten"), ("POST", "/arbeitsbereich/konten"),
                ("POST", "/arbeitsbereich/konten/{user}/rolle"), ("POST", "/arbeitsbereich/konten/{user}/sperren"),
                ("POST", "/arbeitsbereich/konten/{user}/entsperren"),
                ("POST", "/arbeitsbereich/konten/{user}/passwort")]


def test_the_admin_routes_send_anonymous_people_to_sign_in_and_scripts_get_401(browser, account):
    target = account("viewer")
    page = browser.get("/arbeitsbereich/konten?x=1", headers=PAGE)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?" + urllib.parse.urlencode({"next": "/arbeitsbereich/konten?x=1"})
    for method, path in ADMIN_ROUTES:
        answer = browser.request(method, path.format(user=target), headers={"Accept": "application/json"},
                                 data={"role": "admin"} if method == "POST" else None)
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"].startswith("Cookie ")
        assert answer.json()["detail"].startswith("sign in first")
        if method == "POST":
            form = browser.request(method, path.format(user=target), headers=PAGE, data={"role": "admin"})
            assert form.status_code == 401 and "Dafür müssen Sie angemeldet sein" in form.text


def test_every_state_changing_route_of_the_accounts_refuses_anonymous_requests(app, browser, account):
    """Walked from the app's routes, so a route added later is checked too."""
    target = account("viewer")
    unsafe = sorted({(method, route.path) for route in accounts_router(app).routes
                     for method in route.methods if method in ("POST", "PUT", "PATCH", "DELETE")})
    assert len(unsafe) == 7, unsafe
    for method, path in unsafe:
        answer = browser.request(method, path.replace("{username}", target), data={"role": "admin"},
                                 headers={"Accept": "application/json"})
        if path == "/login":
            assert answer.status_code == 403, "no login form token"
        elif path == "/logout":
            assert answer.status_code == 303, "signing out nobody changes nothing"
        else:
            assert answer.status_code == 401, (method, path)


@pytest.mark.parametrize("role", ["viewer", "editor", "reviewer"])
def test_the_admin_routes_refuse_every_role_but_admin_with_403(browsers, account, state, role):
    target = account("viewer")
    with browsers() as browser:
        sign_in(browser, account(role))
        token = session_token(browser)
        page = browser.get("/arbeitsbereich/konten", headers=PAGE)
        assert page.status_code == 403 and "Ihre Rolle erlaubt das nicht" in page.text and "Verwalten" in page.text
        for method, path in ADMIN_ROUTES:
            answer = browser.request(method, path.format(user=target), headers={"Accept": "application/json"},
                                     data={"role": "admin", "csrf_token": token, "username": "made-by-" + role,
                                           "password": PASSWORD, "password_again": PASSWORD}
                                     if method == "POST" else None)
            assert answer.status_code == 403, (role, method, path)
    assert accounts.get_user(state, target).role == "viewer" and accounts.get_user(state, "made-by-" + role) is None


def test_an_admin_manages_accounts_and_every_change_is_audited(browser, account, state):
    admin = account("admin")
    sign_in(browser, admin)
    page = browser.get("/arbeitsbereich/konten", headers=PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    token = token_in(page.text)
    added = browser.post("/arbeitsbereich/konten", headers=PAGE, data={
        "csrf_token": token, "username": "Neu.Person", "display_name": "Neue Person", "role": "editor",
        "password": PASSWORD, "password_again": PASSWORD})
    assert added.status_code == 303
    shown = browser.get(added.headers["location"], headers=PAGE).text
    assert "Das Konto neu.person ist angelegt" in shown and 'role="status"' in shown
    with _browser(browser.app) as person:
        assert sign_in(person, "neu.person").status_code == 303
        for path, data, check in (("rolle", {"role": "reviewer"}, lambda a: a.role == "reviewer"),
                                  ("sperren", {}, lambda a: a.disabled),
                                  ("entsperren", {}, lambda a: not a.disabled),
                                  ("passwort", {"password": "a new long password", "password_again":
                                                "a new long password"}, lambda a: True)):
            done = browser.post(f"/arbeitsbereich/konten/neu.person/{path}", data={"csrf_token": token, **data},
                                headers=PAGE)
            assert done.status_code == 303, (path, done.text)
            assert check(accounts.get_user(state, "neu.person")), path
        assert "Angemeldet" not in person.get("/login", headers=PAGE).text, "the changes ended its session"
        assert sign_in(person, "neu.person", "a new long password").status_code == 303
    log = [(e.action, e.actor) for e in audit.entries(state, target="neu.person", actions=["user."])]
    assert log == [("user.password", admin), ("user.enable", admin), ("user.disable", admin), ("user.role", admin),
                   ("user.add", admin)]


def test_the_accounts_page_says_what_is_wrong_next_to_the_field(browser, account, state):
    admin = account("admin")
    sign_in(browser, admin)
    token = session_token(browser)
    refused = browser.post("/arbeitsbereich/konten", headers=PAGE, data={
        "csrf_token": token, "username": "kurz", "role": "editor", "password": "kurz", "password_again": "kurz"})
    assert refused.status_code == 400
    assert 'id="new-password-error"' in refused.text and "mindestens 12 Zeichen" in refused.text
    assert 'aria-invalid="true"' in refused.text and 'role="alert"' in refused.text
    assert 'value="kurz"' in refused.text, "what was typed stays (but the password field is empty)"
    assert 'name="password" type="password" autocomplete="new-password" required maxlength="1024" aria-describedby' \
        in refused.text and 'value="kurz" aria' not in refused.text.split('id="new-password"')[1][:300]
    mismatch = browser.post("/arbeitsbereich/konten", headers=PAGE, data={
        "csrf_token": token, "username": "anders", "role": "editor", "password": PASSWORD,
        "password_again": PASSWORD + "x"})
    assert mismatch.status_code == 400 and "stimmen nicht überein" in mismatch.text
    own = browser.post(f"/arbeitsbereich/konten/{admin}/sperren", data={"csrf_token": token}, headers=PAGE)
    assert own.status_code == 409 and "Ihr eigenes Konto können Sie nicht sperren" in own.text
    assert browser.post("/arbeitsbereich/konten/ghost/rolle", data={"csrf_token": token, "role": "editor"},
                        headers=PAGE).status_code == 404
    assert accounts.get_user(state, "kurz") is None and not accounts.get_user(state, admin).disabled


def test_hostile_names_are_escaped_on_the_accounts_page(browser, account, state):
    admin = account("admin")
    accounts.add_user(state, "hostile1", PASSWORD, "viewer", HOSTILE, actor="test")
    sign_in(browser, "<script>alert('login')</script>", "wrong password!")  # lands in the audit log
    sign_in(browser, admin)
    html = browser.get("/arbeitsbereich/konten", headers=PAGE).text
    assert "<script>alert(" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#39;login&#39;)&lt;/script&gt;" in html
    with _browser(browser.app) as person:  # and in the menu of the person themselves
        sign_in(person, "hostile1")
        menu = person.get("/", headers=PAGE).text
        assert "<script>alert('x')" not in menu and "Angemeldet: &lt;script&gt;" in menu


def test_a_role_change_or_disabling_ends_the_persons_sessions(browsers, account, state):
    for change in (lambda name: accounts.set_role(state, name, "viewer", actor="test"),
                   lambda name: accounts.disable(state, name, actor="test")):
        name = account("editor")
        with browsers() as person:
            sign_in(person, name)
            assert f"Angemeldet: {name}" in person.get("/login", headers=PAGE).text
            change(name)
            assert "Angemeldet" not in person.get("/login", headers=PAGE).text
            assert (sign_in(person, name).status_code == 303) is (not accounts.get_user(state, name).disabled)


# ------------------------------------------------------------------ expiry

def test_a_session_ends_after_the_idle_time_and_lives_while_used(browser, account, clock):
    name = account("admin")
    sign_in(browser, name)
    for _ in range(3):  # a request every 25 minutes keeps it, well past 30 minutes in all
        clock.forward(minutes=25)
        assert browser.get("/arbeitsbereich/konten", headers=PAGE).status_code == 200
    clock.forward(minutes=31)
    expired = browser.get("/arbeitsbereich/konten", headers=PAGE)
    assert expired.status_code == 303 and expired.headers["location"].startswith("/login?next=")


def test_a_session_ends_twelve_hours_after_signing_in(browser, account, clock):
    name = account("admin")
    sign_in(browser, name)
    for _ in range(24):  # a request every 29 minutes: 11 h 36 min, never idle for 30
        clock.forward(minutes=29)
        assert f"Angemeldet: {name}" in browser.get("/login", headers=PAGE).text
    clock.forward(minutes=25)  # 12 h 1 min after signing in, 25 minutes after the last request
    assert browser.get("/arbeitsbereich/konten", headers=PAGE).status_code == 303


# ------------------------------------------------------------------ no open redirect

@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example/", "http:evil",
                                    "/\t/evil.example", "/%2F%2Fevil.example", "/%5Cevil.example",
                                    "javascript:alert(1)",
                                    "evil.example", "/login", "/logout", "/ /evil.example", "//", ""])
def test_next_goes_only_to_a_path_of_this_site(browser, account, target):
    name = account("viewer")
    done = sign_in(browser, name, next_path=target)
    assert done.status_code == 303 and done.headers["location"] == "/arbeitsbereich"
    assert sessions.safe_next(target) == "/arbeitsbereich"


def test_a_local_next_is_kept_through_the_form(browser, account):
    name = account("viewer")
    page = browser.get("/login?next=/id/city/rouen%3Flang%3Den", headers=PAGE)
    assert '<input type="hidden" name="next" value="/id/city/rouen?lang=en">' in page.text
    evil = browser.get("/login?next=//evil.example", headers=PAGE)
    assert 'name="next"' not in evil.text and 'href="//evil' not in evil.text
    assert sign_in(browser, name, next_path="/id/city/rouen?lang=en").headers["location"] == "/id/city/rouen?lang=en"


def test_the_menu_offers_signing_in_on_public_pages_and_nothing_when_editing_is_off(browser, make_client):
    home = browser.get("/list/cities", headers=PAGE).text
    assert '<a href="/login?next=%2Flist%2Fcities" id="sign-in-link">Anmelden</a>' in home
    with make_client() as public:
        assert "/login" not in public.get("/", headers=PAGE).text
        assert public.get("/login", headers=PAGE).status_code == 404


def test_the_menu_is_on_pages_made_elsewhere_too(browser, account):
    sign_in(browser, account("viewer"))
    ontology = browser.get("/ontology", headers=PAGE)
    assert ontology.status_code == 200 and 'action="/logout"' in ontology.text


def test_a_state_database_that_cannot_be_opened_is_said_and_public_pages_still_work(hannover, tmp_path_factory):
    blocked = tmp_path_factory.mktemp("blocked") / "not-a-folder"
    blocked.write_text("a file where the state folder should be")
    settings = Settings(editing=True, state_dir=blocked)
    app = mount_accounts(create_app(settings, dist_dir=tmp_path_factory.mktemp("dist"), kstore=hannover), settings)
    with TestClient(app, follow_redirects=False, cookies={sessions.SESSION_COOKIE: "x" * 40}) as client:
        home = client.get("/", headers=PAGE)
        assert home.status_code == 200 and 'id="sign-in-link"' in home.text
        for answer in (client.get("/login", headers=PAGE), client.get("/arbeitsbereich/konten", headers=PAGE),
                       client.post("/login", data={"username": "a", "password": "b"}, headers=PAGE)):
            assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
            assert "nicht erreichbar" in answer.text and "nichts gespeichert" in answer.text
            assert str(blocked) not in answer.text, "where the state lives is for the server's log"
        assert client.get("/login", headers={"Accept": "application/json"}).json()["detail"].startswith(
            "the workspace's state database cannot be used")


# ------------------------------------------------------------------ single sign-on

@pytest.fixture(scope="module")
def provider():
    with oidc_provider() as running:
        yield running


@pytest.fixture(scope="module")
def sso(provider, hannover, tmp_path_factory):
    """hki with single sign-on, served over real HTTP on loopback: (base URL, settings)."""
    settings = Settings(editing=True, state_dir=tmp_path_factory.mktemp("sso-state"), oidc_issuer=provider.issuer,
                        oidc_client_id=provider.client_id, oidc_client_secret=provider.client_secret,
                        oidc_default_role="editor")
    app = mount_accounts(create_app(settings, dist_dir=tmp_path_factory.mktemp("dist"), kstore=hannover), settings)
    with serve_app(app) as url:
        yield url, settings


def _through_provider(client: httpx.Client, url: str, next_path: str = "/list/cities") -> httpx.Response:
    """Sign-in page → /login/oidc → the provider → back to hki's callback; the callback's answer."""
    page = client.get(url + "/login?" + urllib.parse.urlencode({"next": next_path}), headers=PAGE)
    link = re.search(r'<a class="button" href="([^"]+)" id="login-oidc">', page.text)[1].replace("&amp;", "&")
    leave = client.get(url + link)
    assert leave.status_code == 303, leave.text
    authorize = leave.headers["location"]
    at_provider = client.get(authorize)
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["location"]
    assert callback.startswith(url + "/login/oidc/callback?")
    return client.get(callback, headers=PAGE)


def test_single_sign_on_through_the_provider_with_pkce_state_and_nonce(provider, sso):
    url, settings = sso
    provider.add_user("oidc-sub-1", preferred_username="Erika.Muster", name="Erika Muster", email="e@example.org")
    provider.signed_in = "oidc-sub-1"
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        done = _through_provider(client, url)
        assert done.status_code == 303 and done.headers["location"] == "/list/cities", done.text
        sent = provider.authorize_requests[-1]
        assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) >= 43
        assert sent["state"] and sent["nonce"] and sent["scope"] == "openid profile email"
        assert sent["redirect_uri"] == url + "/login/oidc/callback"
        assert provider.token_requests[-1]["code_verifier"] and provider.token_requests[-1]["authorization"]
        menu = client.get(url + "/", headers=PAGE).text
        assert "Angemeldet: Erika Muster" in menu
        assert client.get(url + "/arbeitsbereich/konten", headers=PAGE).status_code == 403, "an editor, not an admin"
    state = open_state(settings)
    account = accounts.get_user(state, "erika.muster")
    assert (account.role, account.single_sign_on, account.has_password) == ("editor", True, False)
    assert audit.entries(state, actions=["login.success"], target="erika.muster")[0].detail["method"] == "oidc"
    with httpx.Client(follow_redirects=False, timeout=10) as again:  # the next sign-in finds the same account
        assert _through_provider(again, url).status_code == 303
    assert [a.username for a in accounts.list_users(state)].count("erika.muster") == 1


@pytest.mark.parametrize("tamper, reason", [({"nonce": "another-nonce"}, "nonce"), ({"aud": "someone-else"}, "aud"),
                                            ({"iss": "https://evil.example"}, "iss"), ({"exp": 1_000_000_000}, "exp")])
def test_an_id_token_with_a_wrong_nonce_audience_issuer_or_time_is_refused(provider, sso, tamper, reason):
    url, settings = sso
    provider.add_user("oidc-sub-2", preferred_username="mallory", name="Mallory")
    provider.signed_in = "oidc-sub-2"
    provider.claims_override = tamper
    try:
        with httpx.Client(follow_redirects=False, timeout=10) as client:
            refused = _through_provider(client, url)
            assert refused.status_code == 400 and "Bestätigung der Anmeldung der Stadt war ungültig" in refused.text
            assert sessions.SESSION_COOKIE not in client.cookies
    finally:
        provider.claims_override = {}
    assert accounts.get_user(open_state(settings), "mallory") is None
    assert audit.entries(open_state(settings), actions=["login.failure"])[0].detail["reason"] == "oidc_token"


def test_an_id_token_signed_with_another_key_is_refused(provider, sso):
    from joserfc.jwk import RSAKey

    url, settings = sso
    provider.add_user("oidc-sub-3", preferred_username="forger")
    provider.signed_in = "oidc-sub-3"
    provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})
    try:
        with httpx.Client(follow_redirects=False, timeout=10) as client:
            assert _through_provider(client, url).status_code == 400
    finally:
        provider.sign_with = None
    assert accounts.get_user(open_state(settings), "forger") is None


def test_a_callback_this_browser_did_not_begin_or_a_refusal_by_the_provider_signs_nobody_in(provider, sso):
    url, _ = sso
    provider.add_user("oidc-sub-4", preferred_username="victim")
    provider.signed_in = "oidc-sub-4"
    with httpx.Client(follow_redirects=False, timeout=10) as attacker:
        leave = attacker.get(url + "/login/oidc")
        callback = attacker.get(leave.headers["location"]).headers["location"]
    with httpx.Client(follow_redirects=False, timeout=10) as victim:  # login CSRF: the attacker's callback
        refused = victim.get(callback, headers=PAGE)
        assert refused.status_code == 400 and "nicht in diesem Browser begonnen" in refused.text
        assert sessions.SESSION_COOKIE not in victim.cookies
    provider.signed_in = None  # the person cancels at the provider
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        refused = _through_provider(client, url)
        assert refused.status_code == 400 and "abgebrochen oder abgelehnt" in refused.text


def test_a_disabled_account_is_refused_through_the_provider(provider, sso):
    url, settings = sso
    state = open_state(settings)
    accounts.add_user(state, "sso-admin", PASSWORD, "admin", actor="test")
    provider.add_user("oidc-sub-5", preferred_username="gesperrt")
    provider.signed_in = "oidc-sub-5"
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        assert _through_provider(client, url).status_code == 303
    accounts.disable(state, "gesperrt", actor="sso-admin")
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        refused = _through_provider(client, url)
        assert refused.status_code == 401 and sessions.SESSION_COOKIE not in client.cookies


def test_an_unreachable_provider_is_said_in_words(hannover, tmp_path_factory):
    settings = Settings(editing=True, state_dir=tmp_path_factory.mktemp("nowhere"),
                        oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_client_id="hki")
    app = mount_accounts(create_app(settings, dist_dir=tmp_path_factory.mktemp("dist"), kstore=hannover), settings)
    with TestClient(app, follow_redirects=False) as client:
        answer = client.get("/login/oidc", headers=PAGE)
        assert answer.status_code == 400 and "antwortet gerade nicht" in answer.text


def test_an_issuer_over_plain_http_off_the_loopback_is_refused():
    with pytest.raises(ValueError, match="https"):
        AccountsRouter(Settings(editing=True, oidc_issuer="http://login.example.org", oidc_client_id="hki"))
    with pytest.raises(ValueError, match="oidc_default_role"):
        AccountsRouter(Settings(editing=True, oidc_default_role="boss"))

