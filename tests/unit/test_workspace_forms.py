"""The workspace's forms come from the shapes (graph/workspace/forms.py): which fields a kind of entry has, how what
staff type becomes statements (dates at the precision typed, web addresses, choices from the SKOS schemes), and the
shapes' own German messages placed beside the field they are about.

The shipped data and shapes, read only; a copy of the shapes graph where a test adds a property shape.
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH

from graph.config import Settings
from graph.vocabulary import DCT, RDF, RDFS, SCHEMA, XSD
from graph.workspace import forms
from graph.workspace.changes import CurrentData
from ontology import HKI

BASE = "https://w3id.org/hki/"
ROUEN = BASE + "id/partnership/hannover-rouen"
PARTNERSHIP_TYPE = BASE + "scheme/partnership-type/"


@pytest.fixture(scope="module")
def data() -> CurrentData:
    return CurrentData.of(Settings())


@pytest.fixture(scope="module")
def partnership(data):
    return {f.key: f for f in forms.fields_for(forms.kind_named("partnership"), data)}


def _allowed(data, fields):
    allowed = {}
    for f in fields:
        if f.widget == "choice":
            allowed[f.key] = {c.iri for c in forms.choices(data, f.scheme)}
        elif f.widget == "link":
            allowed[f.key] = {c.iri for c in forms.candidates(data, f.link_types)}
    return allowed


def test_a_partnership_form_has_the_fields_its_shapes_name_with_their_bilingual_names(partnership):
    assert list(partnership)[:2] == ["rdfs-label-de", "rdfs-label-en"], "the names first, German before English"
    label_de = partnership["rdfs-label-de"]
    assert label_de.required and label_de.lang == "de" and label_de.names == {"de": "deutsche Bezeichnung",
                                                                              "en": "German name"}
    partner = partnership["hki-partner"]
    assert partner.widget == "link" and partner.required and partner.min_count == 2 and partner.multiple
    assert str(rdflib.URIRef(SCHEMA + "City")) in partner.link_types
    assert partner.names == {"de": "Partner", "en": "partner"}, "sh:name without the technical term in brackets"
    assert partner.messages["de"].startswith("Eine Partnerschaft braucht mindestens zwei Partner")
    kind = partnership["hki-partnershipType"]
    assert kind.widget == "choice" and kind.scheme == BASE + "scheme/partnership-type" and kind.max_count == 1
    start = partnership["schema-startDate"]
    assert start.widget == "date" and not start.required, "dates: from the shape of dated entries, optional"
    assert start.datatypes == (XSD + "gYear", XSD + "gYearMonth", XSD + "date")
    source = partnership["dct-source"]
    assert source.widget == "url" and source.required and list(partnership)[-1] == "dct-source"
    assert not any(f.path == str(HKI.twinnedWith) or f.path == str(HKI.startYear) for f in partnership.values()), \
        "derived statements (sh:maxCount 0) are never fields"


def test_choices_come_from_the_skos_scheme_with_their_preferred_names(data, partnership):
    offered = {c.iri: c for c in forms.choices(data, partnership["hki-partnershipType"].scheme)}
    assert set(offered) == {PARTNERSHIP_TYPE + k for k in ("twin-city", "friendship", "project-partnership")}
    assert offered[PARTNERSHIP_TYPE + "project-partnership"].name("de") == "Projektpartnerschaft"
    assert offered[PARTNERSHIP_TYPE + "twin-city"].name("en") == "Twin city"
    cities = {c.iri for c in forms.candidates(data, partnership["hki-partner"].link_types)}
    assert {BASE + "id/city/hannover", BASE + "id/city/rouen"} <= cities
    assert not any("/organisation/" in iri for iri in cities), "a partner is a place"


@pytest.mark.parametrize(("slug", "expected"), [
    ("event", {"rdfs-label-de", "rdfs-label-en", "schema-startDate", "schema-endDate", "dct-source"}),
    ("council-paper", {"dct-identifier", "dct-date", "dct-type", "dct-source"}),
    ("membership", {"org-member", "org-organization", "schema-startDate", "schema-endDate", "dct-source"}),
    ("measure", {"dct-identifier", "hki-measureStatus", "schema-endDate", "dct-source"}),
    ("city", {"schema-containedInPlace", "owl-sameAs", "wgs-lat", "wgs-long", "dct-source"}),
    ("organisation", {"org-classification", "dct-source"}),
])
def test_every_kind_staff_edit_has_its_shapes_fields(data, slug, expected):
    fields = {f.key: f for f in forms.fields_for(forms.kind_named(slug), data)}
    assert expected <= set(fields), f"{slug}: {sorted(fields)}"
    assert fields["dct-source"].required
    if slug == "event":
        assert fields["schema-startDate"].required, "a milestone needs a date (its own shape)"
    if slug == "council-paper":
        assert fields["dct-date"].widget == "day", "a council paper's date is a day (sh:datatype xsd:date)"
    if slug == "measure":
        assert fields["hki-measureStatus"].widget == "choice" and fields["hki-measureStatus"].required


def test_adding_a_property_shape_adds_a_field(data):
    shapes = rdflib.Graph()
    shapes += forms.shipped_shapes()
    kind = forms.kind_named("partnership")
    before = {f.key for f in forms.fields_for(kind, data, shapes)}
    hkish = rdflib.Namespace("https://w3id.org/hki/shapes#")
    shape = hkish["Partnership-description"]
    shapes.add((hkish.PartnershipShape, SH.property, shape))
    shapes.add((shape, rdflib.RDF.type, SH.PropertyShape))
    shapes.add((shape, SH.path, rdflib.URIRef(DCT + "description")))
    shapes.add((shape, SH.name, rdflib.Literal("Beschreibung (dct:description)", lang="de")))
    shapes.add((shape, SH.name, rdflib.Literal("description (dct:description)", lang="en")))
    shapes.add((shape, SH.maxCount, rdflib.Literal(1)))
    after = {f.key: f for f in forms.fields_for(kind, data, shapes)}
    assert set(after) - before == {"dct-description-de", "dct-description-en"}, \
        "descriptions are texts in languages: one field per language"
    assert after["dct-description-de"].name("de") == "Beschreibung" and after["dct-description-de"].multiline
    assert before == {f.key for f in forms.fields_for(kind, data)}, "the shipped shapes are unchanged"


@pytest.mark.parametrize(("typed", "value", "datatype"), [
    ("1966", "1966", "gYear"), ("1966-05", "1966-05", "gYearMonth"), ("05.1966", "1966-05", "gYearMonth"),
    ("1966-05-12", "1966-05-12", "date"), ("12.5.1966", "1966-05-12", "date"), (" 2017-04 ", "2017-04", "gYearMonth"),
])
def test_a_date_keeps_the_precision_it_is_typed_in(typed, value, datatype):
    date = forms.parse_date(typed)
    assert date == ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


@pytest.mark.parametrize("typed", ["1966-13", "1966-02-30", "66", "Mai 1966", "1966-5-1x", ""])
def test_what_is_no_date_is_refused(typed):
    assert forms.parse_date(typed) is None


def test_a_filled_in_form_becomes_the_statements_of_a_new_entry(data, partnership):
    fields = list(partnership.values())
    values = {"rdfs-label-de": ["Projektpartnerschaft Hannover – Rouen"], "rdfs-label-en": ["Project partnership"],
              "hki-partnershipType": [PARTNERSHIP_TYPE + "project-partnership"],
              "hki-partner": [BASE + "id/city/hannover", BASE + "id/city/rouen"], "schema-startDate": ["2024-05"],
              "dct-source": ["https://www.hannover.de/projekt"]}
    subject = forms.new_iri(BASE, forms.kind_named("partnership"), forms.entry_name(fields, values), data.subjects())
    assert subject == BASE + "id/partnership/projektpartnerschaft-hannover-rouen"
    triples, problems = forms.statements_from(fields, values, subject, _allowed(data, fields))
    assert problems == []
    added, removed = forms.proposed_change(fields, subject, [], triples, new_type=str(HKI.Partnership))
    node = ox.NamedNode(subject)
    assert removed == []
    assert ox.Triple(node, ox.NamedNode(SCHEMA + "startDate"),
                     ox.Literal("2024-05", datatype=ox.NamedNode(XSD + "gYearMonth"))) in added
    assert ox.Triple(node, ox.NamedNode(RDF + "type"), ox.NamedNode(str(HKI.Partnership))) in added
    assert ox.Triple(node, ox.NamedNode(RDFS + "label"), ox.Literal("Project partnership", language="en")) in added
    assert data.check(added, removed, "de") == [], "the new partnership is valid"


def test_values_that_cannot_be_statements_are_named_by_field(data, partnership):
    fields = list(partnership.values())
    values = {"schema-startDate": ["1966-13"], "dct-source": ["www.example.org", "javascript:alert(1)"],
              "hki-partner": [BASE + "id/organisation/lhh"], "hki-partnershipType": ["https://example.org/other"]}
    _, problems = forms.statements_from(fields, values, ROUEN, _allowed(data, fields))
    assert {(p.key, p.code) for p in problems} == {("schema-startDate", "date"), ("dct-source", "url"),
                                                   ("hki-partner", "link"), ("hki-partnershipType", "choice")}


def test_an_invalid_form_gets_the_shapes_german_message_beside_the_field(data, partnership):
    fields = list(partnership.values())
    subject = BASE + "id/partnership/test-invalid"
    values = {"rdfs-label-de": ["Projektpartnerschaft ohne Partner"], "rdfs-label-en": ["Partnership without partner"],
              "hki-partnershipType": [PARTNERSHIP_TYPE + "project-partnership"],
              "hki-partner": [BASE + "id/city/hannover"], "schema-startDate": ["2020"], "schema-endDate": ["2019"],
              "dct-source": ["https://example.org/"]}
    triples, problems = forms.statements_from(fields, values, subject, _allowed(data, fields))
    assert problems == []
    added, removed = forms.proposed_change(fields, subject, [], triples, new_type=str(HKI.Partnership))
    by_field, others = forms.place(data.check(added, removed, "de"), fields, subject)
    assert others == []
    assert [v.message for v in by_field["hki-partner"]] == [partnership["hki-partner"].messages["de"]]
    assert any(v.message.startswith("Der Beginn (schema:startDate) liegt nach dem Ende") for v in
               by_field["schema-startDate"]), by_field
    assert set(by_field) == {"hki-partner", "schema-startDate"}


def test_editing_compares_only_the_fields_and_keeps_what_the_form_does_not_show(data, partnership):
    fields = list(partnership.values())
    current = data.statements(ROUEN)
    values = forms.values_of(fields, current, ROUEN)
    assert values["schema-startDate"] == ["1966"] and values["rdfs-label-de"] == ["Städtepartnerschaft Hannover – Rouen"]
    values["schema-startDate"] = ["1967"]
    triples, problems = forms.statements_from(fields, values, ROUEN, _allowed(data, fields))
    assert problems == []
    source = ox.NamedNode("https://www.hannover.de/neu")
    added, removed = forms.proposed_change(fields, ROUEN, current, triples, sources=[source])
    node, start = ox.NamedNode(ROUEN), ox.NamedNode(SCHEMA + "startDate")
    gyear = ox.NamedNode(XSD + "gYear")
    assert removed == [ox.Triple(node, start, ox.Literal("1966", datatype=gyear))]
    assert sorted(added, key=str) == sorted([ox.Triple(node, start, ox.Literal("1967", datatype=gyear)),
                                             ox.Triple(node, ox.NamedNode(DCT + "source"), source)], key=str)


def test_a_new_entrys_iri_is_made_from_its_name_and_never_reuses_one():
    kind = forms.kind_named("partnership")
    assert forms.slug_of("Projektpartnerschaft Hannover – Poznań (Straße)") == \
        "projektpartnerschaft-hannover-poznan-strasse"
    assert forms.slug_of("<script>") == "script" and forms.slug_of("–") == "eintrag"
    taken = {BASE + "id/partnership/hannover-malmo", BASE + "id/partnership/hannover-malmo-2/part"}
    assert forms.new_iri(BASE, kind, "Hannover – Malmö", taken) == BASE + "id/partnership/hannover-malmo-3"
    assert forms.new_iri(BASE, forms.kind_named("event"), "Besuch", set()) == BASE + "id/milestone/besuch"


def test_each_entry_is_edited_as_its_kind(data):
    assert forms.kind_of(data, ROUEN).slug == "partnership"
    assert forms.kind_of(data, BASE + "id/milestone/blantyre-delegation-visit-2022").slug == "event"
    assert forms.kind_of(data, BASE + "id/milestone/internationale-stadt-phase-1").slug == "event"
    assert forms.kind_of(data, BASE + "id/organisation/lhh").slug == "organisation"
    assert forms.kind_of(data, BASE + "id/city/poznan").slug == "city"
    assert forms.kind_of(data, "http://metadata.un.org/sdg/11") is None, "the UN's SDGs are not ours to edit"
