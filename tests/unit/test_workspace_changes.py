"""Change sets (graph/workspace/changes.py) and their words (graph/workspace/wording.py): an entry's revision, the way
of a change through review — draft, submitted, approved by a second person or rejected with a note — each step in
the audit log, and what happens when two people change one entry: the second save is refused, naming the first
person, and what the second typed stays as their draft.

A copy of the data folder and a state database of the module's own (tmp_path_factory).
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass

import pyoxigraph as ox
import pytest

from graph.config import PACKAGE_DATA_DIR, Settings
from graph.vocabulary import DCT, SCHEMA, XSD
from graph.workspace import audit, changes
from graph.workspace.changes import ChangeRefused, Conflict, CurrentData, NotAllowed
from graph.workspace.state import open_state
from graph.workspace.wording import Labels, describe_change, plain_message, technical_lines

BASE = "https://w3id.org/hki/"
ROUEN = BASE + "id/partnership/hannover-rouen"
BRISTOL = BASE + "id/partnership/hannover-bristol"
START = ox.NamedNode(SCHEMA + "startDate")
SOURCE = ox.NamedNode(DCT + "source")


@dataclass(frozen=True)
class Person:
    username: str
    role: str


EVA, OLE = Person("eva", "editor"), Person("ole", "editor")
RITA, VIKTOR, ADA = Person("rita", "reviewer"), Person("viktor", "viewer"), Person("ada", "admin")


def year(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + "gYear"))


def start_change(data: CurrentData, entry: str, old: str, new: str, source: str = "https://example.org/beleg"):
    node = ox.NamedNode(entry)
    return ([ox.Triple(node, START, year(new)), ox.Triple(node, SOURCE, ox.NamedNode(source))],
            [ox.Triple(node, START, year(old))])


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    folder = tmp_path_factory.mktemp("workspace-changes")
    shutil.copytree(PACKAGE_DATA_DIR, folder / "data")
    return Settings(data_dir=folder / "data", state_dir=folder / "state", editing=True)


@pytest.fixture(scope="module")
def state(settings):
    return open_state(settings)


@pytest.fixture(scope="module")
def data(settings) -> CurrentData:
    return CurrentData.of(settings)


def test_a_revision_changes_exactly_when_the_entrys_statements_or_its_parts_change(data):
    statements = data.statements(ROUEN)
    assert data.revision(ROUEN) == changes.revision(list(reversed(statements)), ROUEN), "order does not matter"
    assert changes.revision(data.store, ROUEN, data.data_graph) == data.revision(ROUEN)
    changed = [t for t in statements if t.predicate != START] + [ox.Triple(ox.NamedNode(ROUEN), START, year("1967"))]
    assert changes.revision(changed, ROUEN) != data.revision(ROUEN)
    part = ox.Triple(ox.NamedNode(ROUEN + "/period"), START, year("1966"))
    assert changes.revision(statements + [part], ROUEN) != data.revision(ROUEN), "its parts belong to it"
    other = ox.Triple(ox.NamedNode(ROUEN + "-2"), START, year("1966"))
    assert changes.revision(statements + [other], ROUEN) == data.revision(ROUEN), "another entry does not"
    assert changes.revision([], BASE + "id/partnership/none") == changes.revision([], BASE + "id/x")


def test_a_change_goes_from_draft_to_review_to_approval_by_a_second_person_each_step_audited(state, data):
    added, removed = start_change(data, ROUEN, "1966", "1967")
    draft = changes.save_draft(state, data, EVA, added=added, removed=removed, entries={ROUEN: data.revision(ROUEN)},
                               title="Städtepartnerschaft Hannover – Rouen", comment="Datum laut Ratsbeschluss",
                               form={"values": {"schema-startDate": ["1967"]}})
    assert draft.status == "draft" and draft.editor == "eva"
    assert changes.parse_ntriples(draft.added) == sorted(added, key=str) and draft.removed.endswith(" .\n")
    submitted = changes.submit(state, data, draft.id, EVA)
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    with pytest.raises(NotAllowed) as own:
        changes.approve(state, data, draft.id, Person("eva", "reviewer"))
    assert own.value.reason == "own_change", "four eyes: never one's own change, whatever the role"
    with pytest.raises(NotAllowed) as editor:
        changes.approve(state, data, draft.id, OLE)
    assert editor.value.reason == "role"
    approved = changes.approve(state, data, draft.id, RITA, note="passt")
    assert (approved.status, approved.reviewer, approved.review_note) == ("approved", "rita", "passt")
    actions = [e.action for e in audit.entries(state, target=f"change/{draft.id}")]
    assert actions == ["change.approve", "change.submit", "change.save"]
    assert audit.entries(state, actions=["change.approve"], target=f"change/{draft.id}")[0].actor == "rita"
    with pytest.raises(ChangeRefused) as again:
        changes.approve(state, data, draft.id, ADA)
    assert again.value.reason == "status", "approved once; nothing to approve again"
    # it is pending until published: tidy up for the other tests (as the publication would mark it)
    with state.session() as session:
        session.get(changes.ChangeSet, draft.id).status = "published"


def test_a_rejection_needs_a_note_and_a_viewer_changes_nothing(state, data):
    added, removed = start_change(data, BRISTOL, "1947", "1948")
    with pytest.raises(NotAllowed):
        changes.save_draft(state, data, VIKTOR, added=added, removed=removed, entries={BRISTOL: data.revision(BRISTOL)})
    draft = changes.save_draft(state, data, EVA, added=added, removed=removed, entries={BRISTOL: data.revision(BRISTOL)})
    changes.submit(state, data, draft.id, EVA)
    with pytest.raises(ChangeRefused) as silent:
        changes.reject(state, draft.id, RITA, "  ")
    assert silent.value.reason == "note_required"
    rejected = changes.reject(state, draft.id, RITA, "Die Quelle nennt 1947.")
    assert rejected.status == "rejected" and rejected.review_note == "Die Quelle nennt 1947."
    with pytest.raises(NotAllowed) as not_own:
        changes.withdraw(state, draft.id, OLE)
    assert not_own.value.reason == "not_own"


def test_withdrawing_makes_a_draft_again_and_discarding_gives_it_up(state, data):
    entry = BASE + "id/partnership/hannover-perpignan"
    added, removed = start_change(data, entry, "1960", "1961")
    draft = changes.save_draft(state, data, EVA, added=added, removed=removed, entries={entry: data.revision(entry)})
    changes.submit(state, data, draft.id, EVA)
    assert changes.withdraw(state, draft.id, EVA).status == "draft"
    assert changes.discard(state, draft.id, EVA).status == "withdrawn"
    with pytest.raises(ChangeRefused):
        changes.submit(state, data, draft.id, EVA)


def test_the_second_of_two_editors_is_refused_with_the_firsts_name_and_keeps_their_draft(state, data):
    entry = BASE + "id/partnership/hannover-leipzig"
    opened = data.revision(entry)  # both open the form at the same time
    first_added, first_removed = start_change(data, entry, "1987", "1988")
    first = changes.save_draft(state, data, EVA, added=first_added, removed=first_removed, entries={entry: opened})
    changes.submit(state, data, first.id, EVA)
    second_added, second_removed = start_change(data, entry, "1987", "1986", "https://example.org/andere")
    with pytest.raises(Conflict) as refused:
        changes.save_draft(state, data, OLE, added=second_added, removed=second_removed, entries={entry: opened},
                           form={"values": {"schema-startDate": ["1986"]}})
    conflict = refused.value
    assert conflict.reason == "pending" and conflict.other.id == first.id and conflict.other.editor == "eva"
    assert conflict.status == 409 and "eva" in str(conflict)
    kept = changes.get(state, conflict.draft)
    assert kept.editor == "ole" and kept.status == "draft", "what the second person typed is kept"
    assert kept.form == {"values": {"schema-startDate": ["1986"]}} and changes.parse_ntriples(kept.added) == sorted(
        second_added, key=str)
    with pytest.raises(Conflict):
        changes.submit(state, data, kept.id, OLE)
    assert changes.get(state, kept.id).status == "draft"
    sentences = describe_change(conflict.other.added, conflict.other.removed, Labels.of(data.store), "de")
    assert "Beginn geändert von 1987 auf 1988" in sentences, "the other person's change, in plain words"


def test_a_save_is_refused_when_the_entry_changed_since_the_form_was_opened(settings, state):
    entry = BASE + "id/partnership/hannover-blantyre"
    before = CurrentData.of(settings)
    opened = before.revision(entry)
    added, removed = start_change(before, entry, "1968", "1969")
    path = settings.data_dir / "partnerships.ttl"
    text = path.read_text(encoding="utf-8")
    time.sleep(0.01)
    path.write_text(text.replace('schema:startDate "1968"^^xsd:gYear', 'schema:startDate "1967"^^xsd:gYear'),
                    encoding="utf-8")
    try:
        after = CurrentData.of(settings)
        assert after is not before and after.revision(entry) != opened, "a changed file is read again"
        with pytest.raises(Conflict) as refused:
            changes.save_draft(state, after, EVA, added=added, removed=removed, entries={entry: opened})
        assert refused.value.reason == "changed" and refused.value.draft is not None
        assert changes.get(state, refused.value.draft).status == "draft"
    finally:
        path.write_text(text, encoding="utf-8")


def test_an_entry_touched_by_any_change_set_is_never_given_to_a_new_one(state, data):
    assert ROUEN in changes.taken_iris(state)


def test_the_neighbourhood_check_finds_what_the_whole_data_check_finds(data):
    node = ox.NamedNode(ROUEN)
    wrong = [ox.Triple(node, START, ox.Literal("1966-13", datatype=ox.NamedNode(XSD + "gYearMonth")))]
    city = [t for t in data.statements(BASE + "id/city/rouen") if t.predicate.value.endswith("#type")]
    removed = [ox.Triple(node, START, year("1966"))] + city
    whole = data.check(wrong, removed, "de", whole=True)
    near = data.check(wrong, removed, "de", whole=False)
    key = lambda v: (v.focus, v.path, v.rule, v.shape)
    assert sorted(map(key, whole)) == sorted(map(key, near)) and whole, whole
    assert {v.focus for v in whole} == {ROUEN}, "the partnership whose partner is no longer a city, its bad date"
    assert data.check([], [], "de") == [], "the shipped data is valid: nothing is the change's"


def test_a_change_in_plain_words_names_properties_and_values_never_iris(data):
    labels = Labels.of(data.store)
    added, removed = start_change(data, ROUEN, "1966", "1967", "https://www.hannover.de/rouen")
    german = describe_change(added, removed, labels, "de", base=BASE)
    assert german == ["Beginn geändert von 1966 auf 1967", "Quelle hinzugefügt: https://www.hannover.de/rouen"]
    english = describe_change(changes.ntriples(added), changes.ntriples(removed), labels, "en", base=BASE)
    assert english == ["Start changed from 1966 to 1967", "Source added: https://www.hannover.de/rouen"]
    new = ox.NamedNode(BASE + "id/partnership/projektpartnerschaft-hannover-rouen")
    made = [ox.Triple(new, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode("https://w3id.org/hki/def#Partnership")),
            ox.Triple(new, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                      ox.Literal("Projektpartnerschaft Hannover – Rouen", language="de")),
            ox.Triple(new, ox.NamedNode("https://w3id.org/hki/def#partner"), ox.NamedNode(BASE + "id/city/rouen")),
            ox.Triple(new, START, ox.Literal("2024-05-12", datatype=ox.NamedNode(XSD + "date")))]
    sentences = describe_change(made, [], labels, "de", base=BASE)
    assert sentences[0] == "Neuer Eintrag: Projektpartnerschaft Hannover – Rouen"
    assert "Partner: Rouen" in sentences and "Beginn: 12. Mai 2024" in sentences
    assert not any("w3id.org" in s or "http://" in s for s in sentences)
    assert any("w3id.org/hki/id/partnership/projektpartnerschaft-hannover-rouen" in line
               for line in technical_lines(made, [])), "the statements themselves: for technical details"
    assert describe_change("", "", labels, "en") == ["No change to the data."]


def test_the_shapes_messages_lose_their_technical_terms_for_people_at_a_form(data):
    labels = Labels.of(data.store)
    assert plain_message("Es fehlt die deutsche Bezeichnung: ein rdfs:label mit @de.") == \
        "Es fehlt die deutsche Bezeichnung."
    status = plain_message("Eine Maßnahme hat genau einen Status (hki:measureStatus); ist er nicht bekannt, ist es "
                           "<https://w3id.org/hki/scheme/measure-status/unknown>.", labels, "de")
    assert status == "Eine Maßnahme hat genau einen Status; ist er nicht bekannt, ist es „unbekannt“."
    assert plain_message('Der Beginn (schema:startDate) steht höchstens einmal da, als Jahr "2017"^^xsd:gYear.') \
        == 'Der Beginn steht höchstens einmal da, als Jahr "2017".'
