"""The app with the workspace's accounts routes, for tests, until api/app.py mounts them itself when editing is on.

`mount_accounts(app, settings)` adds what api/app.py will add (`install_access_pages`, `AccountsRouter`); once
api/app.py does, it adds nothing, so the tests keep working unchanged.
"""
from __future__ import annotations

from fastapi import FastAPI

from api.routers.accounts import AccountsRouter
from api.web import sessions
from graph.config import Settings


def accounts_router(app: FastAPI) -> AccountsRouter | None:
    """The AccountsRouter included in `app` (FastAPI keeps an included router as one entry of app.routes)."""
    for route in app.routes:
        router = getattr(route, "original_router", None)
        if isinstance(router, AccountsRouter):
            return router
    return None


def mount_accounts(app: FastAPI, settings: Settings) -> FastAPI:
    if accounts_router(app) is None:
        sessions.install_access_pages(app)
        app.include_router(AccountsRouter(settings))
    return app


# -- signing in over HTTP, and cheap password hashes (the workspace's HTTP tests share these)

import ipaddress  # noqa: E402
import itertools  # noqa: E402
import re  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import pytest  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from graph.workspace import accounts  # noqa: E402

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # argon2id, cheap: tests sign in often
BROWSER_ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# each signed-in client its own address (the login limits count per client), from the benchmarking range 198.18.0.0/15
_clients = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def cheap_hashing():
    """Cheap argon2 parameters for the module's accounts (import this fixture into a test module to use it)."""
    shipped = accounts.password_hasher
    accounts.password_hasher = CHEAP_HASHER
    yield
    accounts.password_hasher = shipped


@contextmanager
def signed_in(app: FastAPI, username: str | None, password: str,
              headers: dict[str, str] = BROWSER_ACCEPT) -> Iterator[TestClient]:
    """A browser (TestClient, redirects not followed) from an address of its own, signed in as `username` through
    the login form (None: anonymous)."""
    address = str(ipaddress.IPv4Address("198.18.0.0") + next(_clients))
    with TestClient(app, follow_redirects=False, client=(address, 40000)) as browser:
        if username is not None:
            form = browser.get("/login", headers=headers)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text.split('action="/login"', 1)[1])[1]
            done = browser.post("/login", data={"username": username, "password": password, "csrf_token": token},
                                headers=headers)
            assert done.status_code == 303, done.text
        yield browser
