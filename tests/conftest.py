"""Shared fixtures: the shipped Hannover store, loaded once per test session."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from graph.config import PACKAGE_DATA_DIR, Settings
from graph.build import open_store
from graph.store import KnowledgeStore

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def hannover(settings: Settings) -> KnowledgeStore:
    store = open_store(settings)
    yield store
    store.close()


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
