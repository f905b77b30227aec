"""Shared fixtures: the shipped Hannover store, loaded once per test session, and the app over it.

Tests that only read the shipped graph use `hannover` (the store) or `client` (a TestClient over the app);
tests that need labels that try to break out of their markup use `hostile_store`. A test that needs an
app with other settings makes one with `make_client`; a test that changes a store, kills its query
workers or needs other data opens a store of its own. Live servers: tests/support/live_server.py.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from graph.config import PACKAGE_DATA_DIR, Settings
from graph.build import open_store
from graph.store import KnowledgeStore

# The kg command prints through rich, which wraps at the terminal's width (80 columns without one): a test run spread
# over processes has longer temporary paths (…/popen-gw1/…), which must not be cut by a line break in a message.
os.environ["COLUMNS"] = "200"

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTILE = FIXTURES / "hostile.ttl"  # labels, notes and links that try to run script or inject query text


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def hannover(settings: Settings) -> Iterator[KnowledgeStore]:
    store = open_store(settings)
    yield store
    store.close()


@pytest.fixture(scope="session")
def hostile_settings(settings: Settings) -> Settings:
    """The shipped data with tests/fixtures/hostile.ttl as extra data."""
    return replace(settings, extra_data=(HOSTILE,))


@pytest.fixture(scope="session")
def hostile_store(hostile_settings: Settings) -> Iterator[KnowledgeStore]:
    store = open_store(hostile_settings)
    yield store
    store.close()


@contextmanager
def _test_client(app: FastAPI, **options) -> Iterator[TestClient]:
    # Redirects are never followed: the server promises none (tests/http/test_dereferencing.py), so a
    # test sees any it would get.
    with TestClient(app, **{"follow_redirects": False, **options}) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def app(settings: Settings, hannover: KnowledgeStore) -> FastAPI:
    """The hki app over the session's Hannover store, in German (its default language)."""
    return create_app(replace(settings, lang="de"), kstore=hannover)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient over `app`; a new one, with no cookies, for every test."""
    with _test_client(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def make_client(settings: Settings, hannover: KnowledgeStore):
    """`with make_client(config, …) as client:` a TestClient over an app made with other settings.

    config: the app's settings (default: the session's). The app serves the session's Hannover store,
    or the store `kstore` names, or with own_store=True the store `config` names, which the app opens
    and closes at the end (another data folder, an external endpoint). dist_dir: the folder /downloads
    lists. Other keyword arguments go to TestClient (e.g. raise_server_exceptions=False).
    """

    @contextmanager
    def make(config: Settings | None = None, *, kstore: KnowledgeStore | None = None, own_store: bool = False,
             dist_dir: Path = Path("dist"), **options) -> Iterator[TestClient]:
        assert not (own_store and kstore is not None), "own_store=True opens the store: do not pass one"
        store = None if own_store else (kstore if kstore is not None else hannover)
        with _test_client(create_app(config or settings, dist_dir=dist_dir, kstore=store), **options) as test_client:
            yield test_client

    return make


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A copy of the shipped data folder that a test may change."""
    folder = tmp_path / "data"
    shutil.copytree(PACKAGE_DATA_DIR, folder)
    return folder


@pytest.fixture
def city(settings, data_dir):
    """Settings for that copy."""
    return replace(settings, data_dir=data_dir)
