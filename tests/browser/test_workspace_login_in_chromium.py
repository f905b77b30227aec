"""Signing in and managing accounts in Chromium, by keyboard: the sign-in form, the error it announces, the
accounts page with a hostile display name, signing out — with axe-core's WCAG 2.1 AA rules, 320 px reflow and the
pages' strict Content-Security-Policy (nothing from a name ever runs)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import expect

from api.app import create_app
from graph.config import Settings
from graph.workspace import accounts
from graph.workspace.state import open_state
from support.live_server import serve_app
from support.workspace_app import mount_accounts

from test_accessibility import NARROW, assert_no_violations, assert_reflows

PASSWORD = "correct horse battery"
HOSTILE = "<script>window.__hki_xss=1</script><img src=x onerror=\"window.__hki_xss=2\">"


@pytest.fixture(scope="module")
def workspace_server(hannover, tmp_path_factory) -> Iterator[str]:
    shipped = accounts.password_hasher
    accounts.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    settings = Settings(editing=True, state_dir=tmp_path_factory.mktemp("state"), lang="de")
    state = open_state(settings)
    accounts.add_user(state, "chefin", PASSWORD, "admin", "Chefin Admin")
    accounts.add_user(state, "hostile", PASSWORD, "viewer", HOSTILE)
    app = mount_accounts(create_app(settings, dist_dir=tmp_path_factory.mktemp("dist"), kstore=hannover), settings)
    try:
        with serve_app(app) as url:
            yield url
    finally:
        accounts.password_hasher = shipped


def test_signing_in_by_keyboard_managing_accounts_and_signing_out(browser, workspace_server):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    # a refused sign-in (401) or form (400) is the answer asked for; Chromium logs its status, not a fault
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not re.fullmatch(
        r"Failed to load resource: the server responded with a status of (401|400) .*", m.text) else None)
    page.on("dialog", lambda d: problems.append("dialog: " + d.message))
    try:
        page.goto(workspace_server + "/list/cities")
        page.locator("#sign-in-link").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/login\?next=%2Flist%2Fcities$"))
        page.locator("#login-username").focus()
        page.keyboard.type("chefin")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "login-password", "the password comes next"
        page.keyboard.type("not the password")
        page.keyboard.press("Enter")
        alert = page.locator("#login-error[role=alert]")
        # the form's answer replaces the page: wait for its words (the page before it has the empty alert region)
        expect(alert).to_contain_text("Benutzername oder Passwort stimmt nicht")
        assert page.locator("#login-password").get_attribute("aria-describedby") == "login-error"
        assert page.locator("#login-username").input_value() == "chefin", "the name stays, the password does not"
        assert_no_violations(page, "the login form with its error")
        page.locator("#login-password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(workspace_server + "/list/cities")
        assert "Angemeldet: Chefin Admin" in page.locator("#account-menu").inner_text()

        page.goto(workspace_server + "/arbeitsbereich/konten")
        assert page.locator("h1").inner_text() == "Konten"
        cell = page.locator("#account-hostile td").first
        assert cell.inner_text() == HOSTILE, "a display name is shown as the text it is"
        assert page.evaluate("window.__hki_xss") is None
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert_no_violations(page, "the accounts page")
        page.set_viewport_size(NARROW)
        assert_reflows(page, "the accounts page at 320 px")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.locator("#new-username").fill("neu")  # too short a password: the error is next to the field
        page.locator("#new-password").fill("kurz")
        page.locator("#new-password_again").fill("kurz")
        page.locator("#add-account button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "mindestens 12 Zeichen" in page.locator("#new-password-error").inner_text()
        assert page.locator("#accounts-errors[role=alert] a[href='#new-password']").count() == 1
        assert_no_violations(page, "the accounts page with an error")

        page.goto(workspace_server + "/login?lang=en")
        assert_no_violations(page, "the login page in English, signed in")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(workspace_server + "/")
        assert page.locator("#sign-in-link").inner_text() == "Sign in"
        assert problems == [], problems
    finally:
        context.close()
