"""The Content-Security-Policy in a real browser: every page works under it and Chromium reports no
violation — no inline script or style it had to block, nothing from another host.

A listener for `securitypolicyviolation` is added to every page before its own scripts run, and the
console is watched for Chromium's "Refused to …" / "violates the following Content Security Policy"
messages. Pages are loaded with the hostile labels of tests/fixtures/hostile.ttl.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from api.app import create_app
from support.live_server import serve_app

PAGES = [
    "/", "/id/city/bristol", "/id/city/xss-town", "/id/partnership/hannover-xss-town",
    "/id/action-concept/internationale-stadt", "/scheme/partnership-type", "/list", "/list/cities",
    "/list/partnerships", "/list/organisations", "/list/memberships", "/list/goals", "/list/measures",
    "/list?class=http%3A%2F%2Fschema.org%2FCity", "/sdgs", "/downloads", "/ontology", "/ontology?lang=en",
    "/catalog?format=html", "/.well-known/void?format=html", "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F11",
    "/id/city/xss", "/explore", "/sparql", "/docs",
]
LISTEN = """document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});"""


@pytest.fixture(scope="module")
def csp_server(hostile_settings, hostile_store) -> Iterator[str]:
    """A live server in German whose data includes tests/fixtures/hostile.ttl."""
    config = replace(hostile_settings, query_timeout=5.0, lang="de")
    with serve_app(create_app(config, kstore=hostile_store)) as url:
        yield url


def _violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or m.startswith("CSP violation")
            or "Refused to" in m]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_works_under_the_content_security_policy_without_a_violation(browser, csp_server, path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
    try:
        response = page.goto(csp_server + path, wait_until="networkidle")
        assert response is not None and response.status in (200, 404)
        assert "content-security-policy" in response.headers
        if path == "/sparql":
            page.click("#run")
            page.wait_for_selector("table.results tbody tr, #results table tbody tr", timeout=10_000)
        if path == "/docs":
            page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
            assert "hki" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_timeout(300)
        assert page.inner_text("body").strip(), "the page shows nothing"
        assert _violations(messages) == [], f"{path}: the browser blocked something"
        assert [m for m in messages if m.startswith("page error")] == []
    finally:
        context.close()
