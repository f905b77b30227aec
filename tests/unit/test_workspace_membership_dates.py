"""A membership's dates edited in the form are carried into its period (graph/workspace/forms.py membership_dates):
the shortcut `schema:startDate`/`endDate` and the `org:memberDuring` interval never disagree (docs/modelling.md), and
ending a membership — one of the editors' tasks — gives it an end instant the shapes accept."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.config import Settings
from graph.workspace.changes import CurrentData
from graph.workspace.forms import membership_dates

M = "https://w3id.org/hki/id/membership/"
SCHEMA, TIME, ORG = "http://schema.org/", "http://www.w3.org/2006/time#", "http://www.w3.org/ns/org#"
YEAR = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")


@pytest.fixture(scope="module")
def data() -> CurrentData:
    return CurrentData.of(Settings())


def _date(entry: str, predicate: str, year: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(M + entry), ox.NamedNode(SCHEMA + predicate), ox.Literal(year, datatype=YEAR))


def _said(triples, subject: str, predicate: str) -> list[str]:
    return sorted(t.object.value for t in triples if t.subject.value == subject and t.predicate.value == predicate)


def test_a_changed_start_changes_the_start_instant_too(data):
    added, removed = membership_dates(data, M + "lhh-climate-alliance", [_date("lhh-climate-alliance", "startDate", "1991")],
                                      [_date("lhh-climate-alliance", "startDate", "1990")])
    assert _said(removed, M + "lhh-climate-alliance/start", TIME + "inXSDgYear") == ["1990"]
    assert _said(added, M + "lhh-climate-alliance/start", TIME + "inXSDgYear") == ["1991"]
    assert data.check(added, removed) == []


def test_ending_a_membership_gives_its_period_an_end(data):
    added, removed = membership_dates(data, M + "lhh-climate-alliance", [_date("lhh-climate-alliance", "endDate", "2025")], [])
    assert removed == []
    assert _said(added, M + "lhh-climate-alliance/period", TIME + "hasEnd") == [M + "lhh-climate-alliance/end"]
    assert _said(added, M + "lhh-climate-alliance/end", TIME + "inXSDgYear") == ["2025"]
    assert data.check(added, removed) == []


def test_a_membership_without_a_period_gets_one_when_it_ends(data):
    added, removed = membership_dates(data, M + "lhh-mayors-for-peace", [_date("lhh-mayors-for-peace", "endDate", "2024")], [])
    assert _said(added, M + "lhh-mayors-for-peace", ORG + "memberDuring") == [M + "lhh-mayors-for-peace/period"]
    assert _said(added, M + "lhh-mayors-for-peace/period", TIME + "hasEnd") == [M + "lhh-mayors-for-peace/end"]
    assert _said(added, M + "lhh-mayors-for-peace/period", TIME + "hasBeginning") == []
    assert data.check(added, removed) == []


def test_a_removed_start_takes_the_instant_and_the_empty_period_with_it(data):
    added, removed = membership_dates(data, M + "lhh-climate-alliance", [], [_date("lhh-climate-alliance", "startDate", "1990")])
    assert added == []
    gone = {t.subject.value for t in removed}
    assert {M + "lhh-climate-alliance/start", M + "lhh-climate-alliance/period"} <= gone
    assert _said(removed, M + "lhh-climate-alliance", ORG + "memberDuring") == [M + "lhh-climate-alliance/period"]
    assert data.check(added, removed) == []
