"""Browser tests: Debian's Chromium driven by Playwright against a live uvicorn server on loopback.

Chromium comes from Debian (`make install` installs it when missing), never from `playwright install`.
Without it the tests are skipped on a developer's machine and FAIL in CI (CI=true), so a missing
browser can never make CI green by accident.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.app import create_app
from support.chromium import CHROMIUM, CHROMIUM_ARGS
from support.live_server import serve_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (make install installs Debian's chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(settings, hannover) -> Iterator[str]:
    """The hki app over the session's Hannover store, served by uvicorn on a free loopback port; yields its
    base URL."""
    with serve_app(create_app(replace(settings, query_timeout=5.0, lang="de"), kstore=hannover)) as url:
        yield url


@pytest.fixture(scope="session")
def hostile_server(hostile_settings, hostile_store) -> Iterator[str]:
    """A second live server, in English, whose data includes tests/fixtures/hostile.ttl."""
    config = replace(hostile_settings, query_timeout=5.0, lang="en")
    with serve_app(create_app(config, kstore=hostile_store)) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
