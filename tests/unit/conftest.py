"""Fixtures of the store tests: a throwaway Virtuoso holding the Hannover graph, so the behavioural
tests of the store run against both backends of `graph.store.backend.QueryBackend`.

The session starts Debian's Virtuoso (`virtuoso-t`) on free loopback ports and stops it at the end.
Without virtuoso-t these tests are skipped locally with the reason, and fail in CI (CI=true): CI
installs it (`make system-deps`), so its absence there is a broken build, not a reason to skip.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from graph.build import build
from graph.publish.upload import publish
from graph.store.remote import connect_endpoint
from support.virtuoso import ThrowawayVirtuoso, require_virtuoso


@pytest.fixture(scope="session")
def virtuoso():
    require_virtuoso()
    server = ThrowawayVirtuoso().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dumps(settings, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dumps") / "dist"
    report, _ = build(settings, out)
    assert report.conforms
    return out


@pytest.fixture(scope="session")
def remote(settings, virtuoso, dumps):
    """The Hannover graph in Virtuoso, queried through the endpoint backend as `kg serve --endpoint` does."""
    report = publish(settings, dumps / "hki.trig", virtuoso.sparql_url, user="dba", password="dba")
    assert report.ok, report.counts
    kstore = connect_endpoint(replace(settings, endpoint=virtuoso.sparql_url))
    kstore.start_query_workers(workers=2)  # as kg serve does: queries from outside are read in sandboxed workers
    yield kstore
    kstore.close()


@pytest.fixture(params=["embedded", "endpoint"])
def store(request):
    """The Hannover graph behind each backend: embedded Oxigraph, and an external endpoint (Virtuoso)."""
    return request.getfixturevalue("hannover" if request.param == "embedded" else "remote")
