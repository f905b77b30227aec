"""Shared fixtures: the shipped Hannover store, loaded once per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph.config import Settings
from graph.store import KnowledgeStore, open_store

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
