"""Publishing approved change sets (graph/workspace/publication.py, releases.py, history.py): the data folder, the
dumps, the history and the state database change together or not at all; a change that breaks the shapes, does not
fit or cannot be built publishes nothing and says why; a locked or full state folder writes nothing; a process
killed at any checkpoint is completed (or undone) by `recover`; a revert restores the earlier graph exactly.

Every test works on a copy of the shipped data folder in tmp_path; graph/data is never written.
"""
from __future__ import annotations

import errno
import gzip
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare

from graph.config import PACKAGE_DATA_DIR, Settings
from graph.workspace import audit, changes, publication, releases
from graph.workspace.changes import ntriples
from graph.workspace.history import RevertRefused, folder_files, open_history, revert_change, tree_id
from graph.workspace.models import ChangeSet, User, utcnow
from graph.workspace.publication import PublicationError, publish_approved, recover, validate_change
from graph.workspace.state import State, open_state

ROOT = Path(__file__).resolve().parents[2]
N, L = ox.NamedNode, ox.Literal
XSD = "http://www.w3.org/2001/XMLSchema#"
ROUEN = N("https://w3id.org/hki/id/partnership/hannover-rouen")
START = N("http://schema.org/startDate")
END = N("http://schema.org/endDate")
SOURCE = N("http://purl.org/dc/terms/source")
LABEL = N("http://www.w3.org/2000/01/rdf-schema#label")


def year(value: str) -> ox.Literal:
    return L(value, datatype=N(XSD + "gYear"))


def rouen_start(old: str, new: str) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """(added, removed) of a change of Rouen's partnership's start year."""
    return [ox.Triple(ROUEN, START, year(new))], [ox.Triple(ROUEN, START, year(old))]


@dataclass(frozen=True)
class Person:
    username: str
    role: str


ANNA, RITA = Person("anna", "editor"), Person("rita", "reviewer")


@dataclass
class World:
    root: Path
    settings: Settings
    state: State

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def approved(self, added: list[ox.Triple], removed: list[ox.Triple], title: str = "Rouen: Beginn korrigiert",
                 comment: str = "Laut Ratsdrucksache.") -> int:
        with self.state.session() as session:
            change = ChangeSet(title=title, comment=comment, editor="anna", status="approved", reviewer="rita",
                               added=ntriples(added), removed=ntriples(removed), entries={ROUEN.value: ""},
                               submitted_at=utcnow(), reviewed_at=utcnow())
            session.add(change)
            session.flush()
            return change.id

    def publish(self, ids: list[int] | None) -> publication.Publication:
        return publish_approved(self.settings, self.state, "rita", ids, self.dist)

    def digests(self) -> tuple:
        sums = self.dist / "SHA256SUMS"
        return (tree_id(folder_files(self.data)), sums.read_bytes() if sums.is_file() else None,
                open_history(self.settings).head())


def make_world(root: Path, data: Path = PACKAGE_DATA_DIR, **settings: object) -> World:
    if not (root / "data").exists():
        shutil.copytree(data, root / "data")
    config = replace(Settings(), data_dir=root / "data", state_dir=root / "state", editing=True, **settings)
    state = open_state(config)
    with state.session() as session:
        if session.get(User, 1) is None:
            session.add(User(username="anna", display_name="Anna Beispiel", role="editor"))
            session.add(User(username="rita", display_name="Rita <Prüferin>", role="reviewer"))
    return World(root, config, state)


def copy_world(source: World, root: Path, **settings: object) -> World:
    """A copy of `source` (data, state with its history, dumps) to publish more in: its checks are of changes only."""
    for name in ("data", "state", "dist"):
        shutil.copytree(source.root / name, root / name)
    return make_world(root, **settings)


def graph_of(folder: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[World, publication.Publication, publication.Publication]:
    """A world with two publications: Rouen's start year 1966 → 1967, then a new source for it."""
    world = make_world(tmp_path_factory.mktemp("published"))
    first = world.publish([world.approved(*rouen_start("1966", "1967"))])
    source = ox.Triple(ROUEN, SOURCE, N("https://example.org/quelle?x=%22%3E%3Cscript%3E"))
    second = world.publish([world.approved([source], [], title="Quelle ergänzt", comment="<b>fett</b> \"zitiert\"")])
    return world, first, second


# ------------------------------------------------------------------ what a publication does

def test_an_approved_change_is_published_into_the_data_the_dumps_and_the_history(published):
    world, first, second = published
    assert (first.release, first.change_sets, first.validation) == (1, (1,), "whole graph")
    assert (second.release, second.change_sets, second.validation) == (2, (2,), "changed entries")
    text = (world.data / "partnerships.ttl").read_text(encoding="utf-8")
    assert '    schema:startDate "1967"^^xsd:gYear ;' in text and "example.org/quelle" in text
    dump = gzip.decompress((world.dist / "hki.nt.gz").read_bytes()).decode()
    assert f'{ROUEN} {START} "1967"^^<{XSD}gYear> .' in dump and f'"1966"^^<{XSD}gYear>' not in dump.split(str(ROUEN))[1][:400]
    log = open_history(world.settings).log()
    assert [v.kind for v in log] == ["change", "change", "initial"]
    newest = log[0]
    assert (newest.change_set, newest.release, newest.title) == (2, 2, "Quelle ergänzt")
    assert newest.author.name == "Anna Beispiel" and newest.committer.username == "rita"
    assert newest.committer.name == "Rita Prüferin"  # angle brackets cannot break git's identity line
    assert newest.comment == '<b>fett</b> "zitiert"' and newest.reviewer.username == "rita"
    assert newest.tree == tree_id(folder_files(world.data))
    with world.state.session() as session:
        rows = {c.id: (c.status, c.release, c.publication_error) for c in session.query(ChangeSet)}
    assert rows == {1: ("published", 1, ""), 2: ("published", 2, "")}
    actions = [(e.action, e.target) for e in audit.entries(world.state, actions=["publish", "release"])]
    assert ("publish", "change/2") in actions and ("release", "release/1") in actions
    assert not list(world.root.glob(".*publication-*")) and not (world.state.folder / "publication.json").exists()


def test_each_release_keeps_its_dumps_listed_for_the_downloads(published):
    world, _, _ = published
    listed = {}
    for line in (world.dist / "SHA256SUMS").read_text(encoding="ascii").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    files = {str(p.relative_to(world.dist)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in world.dist.rglob("*") if p.is_file()}
    assert set(files) == set(listed) | {"SHA256SUMS"} and all(files[n] == d for n, d in listed.items())
    assert {"releases/1/hki.ttl", "releases/2/hki.nt.gz", "releases.json"} <= set(listed)
    assert files["releases/2/hki.ttl"] == files["hki.ttl"] != files["releases/1/hki.ttl"]
    from graph.publish.dumps import read_releases
    kept = read_releases(world.dist)
    assert [r.number for r in kept] == [2, 1] and kept[1].change_sets == (1,)
    assert "Beginn geändert von 1966 auf 1967" in kept[1].notes["de"]
    assert "Start changed from 1966 to 1967" in kept[1].notes["en"] or "changed from 1966 to 1967" in kept[1].notes["en"]
    assert "von Anna Beispiel, geprüft von Rita <Prüferin>" in kept[1].notes["de"]


def test_the_catalogue_states_the_release_version_notes_and_dates_as_dcat_ap_de_asks(published):
    world, _, second = published
    today = utcnow().date().isoformat()
    dcat, dct, adms = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/", "http://www.w3.org/ns/adms#"
    owl = "http://www.w3.org/2002/07/owl#"
    for name, version in (("catalog-dcat-ap-de-3.0.ttl", dcat + "version"), ("catalog.ttl", owl + "versionInfo")):
        graph = rdflib.Graph().parse(world.dist / name, format="turtle")
        dataset = rdflib.URIRef(world.settings.base + "dataset")
        assert str(graph.value(dataset, rdflib.URIRef(version))) == "2", name
        assert str(graph.value(dataset, rdflib.URIRef(dct + "modified"))) == today
        assert str(graph.value(dataset, rdflib.URIRef(dct + "issued"))) == world.settings.modified
        notes = {n.language: str(n) for n in graph.objects(dataset, rdflib.URIRef(adms + "versionNotes"))}
        assert set(notes) == {"de", "en"} and notes["de"].startswith("Release 2 vom")
    current = releases.current_release(world.settings, world.dist)
    assert current is not None and current.number == 2 and current.modified == today


def test_the_released_catalogue_passes_the_official_dcat_ap_de_shapes(published):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_govdata_conformance import PROFILES, STATED_CONCEPTS, results, standards_dir

    world, _, _ = published
    standards = standards_dir()
    vocabularies = rdflib.Graph()
    for path in sorted((standards / "vocab").iterdir()):
        vocabularies.parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    vocabularies.parse(data=STATED_CONCEPTS, format="turtle")
    for profile, file in (("3.0", "catalog-dcat-ap-de-3.0.ttl"), ("2.0 Spezifikation", "catalog.ttl")):
        folder, names = PROFILES[profile]
        shapes = rdflib.Graph()
        for shape_file in names:
            shapes.parse(standards / "shapes" / folder / shape_file, format="turtle")
        found = results(rdflib.Graph().parse(world.dist / file, format="turtle"), shapes, vocabularies)
        assert found == [], (profile, found)


# ------------------------------------------------------------------ what publishes nothing

def test_a_change_that_breaks_the_shapes_publishes_nothing_and_the_reviewer_sees_why(published, tmp_path):
    world = copy_world(published[0], tmp_path)
    before = world.digests()
    german = ox.Triple(ROUEN, LABEL, L("Städtepartnerschaft Hannover – Rouen", language="de"))
    bad = world.approved([], [german], title="Deutsche Bezeichnung gelöscht")
    with pytest.raises(PublicationError, match="would break 1 rule.*Es fehlt die deutsche Bezeichnung") as caught:
        world.publish([bad])
    assert caught.value.reason == "invalid" and caught.value.violations[0].focus == ROUEN.value
    assert world.digests() == before
    with world.state.session() as session:
        change = session.get(ChangeSet, bad)
        assert change.status == "approved" and "deutsche Bezeichnung" in change.publication_error
    assert not list(tmp_path.glob(".*publication-*"))


def test_a_change_that_no_longer_fits_the_data_publishes_nothing_and_names_the_change(published, tmp_path):
    world = copy_world(published[0], tmp_path)
    before = world.digests()
    stale = world.approved(*rouen_start("1966", "1968"))  # the data says 1967 by now
    with pytest.raises(PublicationError, match=f"change set #{stale} .*no longer fits") as caught:
        world.publish([stale])
    assert caught.value.reason == "conflict" and caught.value.change_set == stale
    assert world.digests() == before


def test_a_rebuild_that_fails_publishes_nothing_and_says_why(published, tmp_path, monkeypatch):
    world = copy_world(published[0], tmp_path)
    before = world.digests()

    def broken(*args, **kwargs):
        raise RuntimeError("serialiser exploded")
    monkeypatch.setattr(publication, "stage_dumps", broken)
    change = world.approved(*rouen_start("1967", "1968"))
    with pytest.raises(PublicationError, match="dumps could not be built.*serialiser exploded.*nothing was published"):
        world.publish([change])
    assert world.digests() == before and not list(tmp_path.glob(".*publication-*"))
    with world.state.session() as session:
        assert "serialiser exploded" in session.get(ChangeSet, change).publication_error


def test_a_full_state_folder_gives_a_clear_error_and_nothing_is_written(published, tmp_path, monkeypatch):
    world = copy_world(published[0], tmp_path)
    before = world.digests()

    def full(path, value):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(publication, "_write_json", full)
    with pytest.raises(PublicationError, match="state folder .* the disk is full; nothing was published"):
        world.publish([world.approved(*rouen_start("1967", "1968"))])
    assert world.digests() == before and not list(tmp_path.glob(".*publication-*"))


def test_a_locked_state_database_gives_a_clear_error_and_nothing_is_written(published, tmp_path):
    world = copy_world(published[0], tmp_path)
    before = world.digests()
    change = world.approved(*rouen_start("1967", "1968"))
    other = sqlite3.connect(world.state.folder / "hki.sqlite3", timeout=0.1)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        with pytest.raises(PublicationError, match="locked.*nothing was published"):
            world.publish([change])
    finally:
        other.rollback()
        other.close()
    assert world.digests() == before and not list(tmp_path.glob(".*publication-*"))
    assert not (world.state.folder / "publication.json").exists()
    assert world.publish([change]).release == 3  # once the database is free again


# ------------------------------------------------------------------ checking only what a change touches

def bad_changes() -> dict[str, tuple[list[ox.Triple], list[ox.Triple]]]:
    hki = "https://w3id.org/hki/def#"
    city = "https://w3id.org/hki/id/city/"
    bristol = N("https://w3id.org/hki/id/partnership/hannover-bristol")
    measure = N("https://w3id.org/hki/id/measure/blantyre-climate-projects")
    return {
        "label removed": ([], [ox.Triple(ROUEN, LABEL, L("Twinning Hannover – Rouen", language="en"))]),
        "end before start": ([ox.Triple(ROUEN, END, year("1950"))], []),
        "partner not a place": ([ox.Triple(ROUEN, N(hki + "partner"), N("https://w3id.org/hki/id/organisation/lhh"))], []),
        "unverified without note": ([ox.Triple(bristol, N(hki + "verificationStatus"),
                                               N("https://w3id.org/hki/scheme/verification-status/unverified"))], []),
        "derived stated": ([ox.Triple(N(city + "hannover"), N(hki + "twinnedWith"), N(city + "rouen"))], []),
        "value not in its scheme": ([ox.Triple(bristol, N(hki + "partnershipType"), N(city + "rouen"))], []),
        "a linked entry loses its type": ([], [ox.Triple(N(city + "rouen"), N("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                                         N("http://schema.org/City"))]),
        "completed without end": ([ox.Triple(measure, N(hki + "measureStatus"),
                                             N("https://w3id.org/hki/scheme/measure-status/completed"))], []),
    }


def test_checking_only_the_changed_entries_finds_what_checking_the_whole_graph_finds(tmp_path):
    world = make_world(tmp_path)
    base = publication.checking_store(world.settings)
    data_graph = N(world.settings.base + "graph/data")
    kinds = bad_changes()
    added = [t for plus, _ in kinds.values() for t in plus]
    gone = {t for _, minus in kinds.values() for t in minus}
    store = ox.Store()
    store.bulk_extend([q for q in base if q.triple not in gone]
                      + [ox.Quad(t.subject, t.predicate, t.object, data_graph) for t in added])
    changed = {t.subject.value for t in added} | {t.subject.value for t in gone}
    whole = {(v.focus, v.path, v.rule) for v in publication._validate_whole(store, "en") if v.severity == "Violation"}
    part = {(v.focus, v.path, v.rule) for v in validate_change(store, changed, "en") if v.severity == "Violation"}
    assert part == whole
    # every kind of breach is among them (the shipped data conforms, so all of these are the change's)
    rules = {rule for _, _, rule in whole}
    assert {"QualifiedMinCount", "StartAfterEnd", "Or", "UncertainWithoutNote", "MaxCount", "InScheme",
            "CompletedWithoutEndDate"} <= rules, rules
    focus = {f for f, _, _ in whole}
    assert ROUEN.value in focus and "https://w3id.org/hki/id/city/hannover" in focus


# ------------------------------------------------------------------ releases

def test_in_release_mode_approved_changes_wait_and_are_published_together(published, tmp_path):
    world = copy_world(published[0], tmp_path, publish_mode="release")
    first = world.approved(*rouen_start("1967", "1968"))
    assert releases.after_approval(world.settings, world.state, "rita", first, world.dist) is None
    second = world.approved([ox.Triple(ROUEN, SOURCE, N("https://example.org/zweite"))], [], title="Zweite Quelle")
    assert [c.id for c in releases.pending(world.state)] == [first, second]
    done = releases.release_pending(world.settings, world.state, "rita", world.dist)
    assert done.change_sets == (first, second) and done.release == 3
    log = open_history(world.settings).log()
    assert [(v.change_set, v.release) for v in log[:2]] == [(second, 3), (first, 3)]
    assert releases.pending(world.state) == []
    with pytest.raises(PublicationError, match="nothing to publish"):
        releases.release_pending(world.settings, world.state, "rita", world.dist)


def test_kg_release_publishes_the_waiting_changes_and_prints_the_notes(published, tmp_path):
    world = copy_world(published[0], tmp_path, publish_mode="release")
    world.approved(*rouen_start("1967", "1969"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKI_")}
    env.update(HKI_DATA_DIR=str(world.data), HKI_STATE_DIR=str(world.state.folder), HKI_EDITING="true", COLUMNS="200")
    kg = Path(sys.executable).with_name("kg")
    result = subprocess.run([str(kg), "release", "--dist", str(world.dist), "--lang", "de"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "release 3: 1 change set(s) published (#3)" in result.stdout
    assert "Beginn geändert von 1967 auf 1969" in result.stdout


# ------------------------------------------------------------------ history and revert

def test_an_entrys_history_and_the_difference_between_two_versions(published):
    world, first, second = published
    history = open_history(world.settings)
    versions = history.entry_history(ROUEN.value)
    assert [v.change_set for v in versions] == [2, 1, None]  # the initial version brought it in
    assert history.entry_history("https://w3id.org/hki/id/city/bristol") == [versions[-1]]
    added, removed = history.diff(versions[-1].id, versions[0].id)
    assert ox.Triple(ROUEN, START, year("1967")) in added and ox.Triple(ROUEN, START, year("1966")) in removed
    assert history.resolve("1").id == first.commits[1] and history.resolve(second.commit[:8]).change_set == 2
    with pytest.raises(Exception, match="not in the history"):
        history.resolve("99")


def test_a_revert_restores_the_previous_graph_exactly(published, tmp_path):
    world = copy_world(published[0], tmp_path)
    before = graph_of(world.data)
    added = [ox.Triple(ROUEN, START, year("1968")), ox.Triple(ROUEN, SOURCE, N("https://example.org/neu"))]
    removed = [ox.Triple(ROUEN, START, year("1967"))]
    original = world.approved(added, removed)
    world.publish([original])
    assert not rdflib.compare.isomorphic(graph_of(world.data), before)
    revert = revert_change(world.settings, world.state, original, ANNA, "Die Quelle war falsch.")
    assert (revert.kind, revert.reverts, revert.status, revert.editor) == ("revert", original, "submitted", "anna")
    assert set(changes.statements_of(revert)[0]) == set(removed) and set(changes.statements_of(revert)[1]) == set(added)
    changes.approve(world.state, changes.CurrentData.of(world.settings), revert.id, RITA, "ok")
    done = world.publish([revert.id])
    after = graph_of(world.data)
    assert rdflib.compare.isomorphic(after, before), rdflib.compare.graph_diff(after, before)
    newest = open_history(world.settings).log()[0]
    assert newest.kind == "revert" and newest.change_set == revert.id and done.release == 4


def test_a_revert_is_refused_when_a_later_change_touched_the_same_statements(published, tmp_path):
    world = copy_world(published[0], tmp_path)
    first = world.approved(*rouen_start("1967", "1968"))
    world.publish([first])
    second = world.approved(*rouen_start("1968", "1969"))
    world.publish([second])
    with pytest.raises(RevertRefused, match=rf"#{first} cannot be reverted exactly: later changes \(#{second}\)") as caught:
        revert_change(world.settings, world.state, first, ANNA)
    assert caught.value.reason == "later_changes"
    assert revert_change(world.settings, world.state, second, ANNA).reverts == second  # the newest one may go
    pending = world.approved([ox.Triple(ROUEN, SOURCE, N("https://example.org/x"))], [])
    with pytest.raises(RevertRefused, match="approved: only a published change can be reverted"):
        revert_change(world.settings, world.state, pending, ANNA)


# ------------------------------------------------------------------ killed while publishing

KILLED = """
import sys
from dataclasses import replace
from pathlib import Path
from graph.config import Settings
from graph.workspace.state import open_state
from graph.workspace.publication import publish_approved

if __name__ == "__main__":
    root = Path(sys.argv[1])
    settings = replace(Settings(), data_dir=root / "data", state_dir=root / "state", editing=True)
    publish_approved(settings, open_state(settings), "rita", [int(sys.argv[2])], root / "dist")
    print("published")
"""


@pytest.fixture(scope="module")
def killable(published, tmp_path_factory) -> tuple[Path, int]:
    """A copy of the published world with one more approved change set, ready to be published."""
    world = published[0]
    root = tmp_path_factory.mktemp("killable")
    for name in ("data", "state", "dist"):
        shutil.copytree(world.root / name, root / name)
    copy = make_world(root)
    return root, copy.approved(*rouen_start("1967", "1970"), title="Rouen: 1970")


# before the journal (undone), right after it, between the swaps, after the last swap before the database commit
# (completed); publish:dist-swapped and publish:recorded are recovered by the same checks
@pytest.mark.parametrize("point", ["publish:staged", "publish:journal-written", "publish:data-swapped",
                                   "publish:history-moved"])
def test_a_publication_killed_at_any_checkpoint_is_all_old_or_all_new_after_recovery(killable, tmp_path, point):
    source, change = killable
    for name in ("data", "state", "dist"):
        shutil.copytree(source / name, tmp_path / name)
    world = make_world(tmp_path)
    before = world.digests()
    script = tmp_path / "publish.py"
    script.write_text(KILLED)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HKI_")}, "HKI_KILL_AT": point}
    killed = subprocess.run([sys.executable, str(script), str(tmp_path), str(change)], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert recover(world.settings, world.state, world.dist) == (None if point == "publish:staged" else "completed")
    data, sums, head = world.digests()
    history = open_history(world.settings)
    new = {
        "data": '"1970"^^xsd:gYear' in (world.data / "partnerships.ttl").read_text(encoding="utf-8"),
        "dumps": '"1970"^^<http://www.w3.org/2001/XMLSchema#gYear>' in gzip.decompress(
            (world.dist / "hki.nt.gz").read_bytes()).decode(),
        "history": history.version(head).change_set == change,
        "database": changes.get(world.state, change).status == "published",
    }
    expected = point != "publish:staged"  # after the journal is written, a publication is completed
    assert new == dict.fromkeys(new, expected), new
    if expected:
        assert history.version(head).tree == data and sums != before[1]
    else:
        assert (data, sums, head) == before
    listed = dict((name, digest) for digest, _, name in (line.partition("  ") for line in sums.decode().splitlines()))
    assert all(hashlib.sha256((world.dist / name).read_bytes()).hexdigest() == digest for name, digest in listed.items())
    assert not list(tmp_path.glob(".*publication-*")) and not (world.state.folder / "publication.json").exists()
    assert recover(world.settings, world.state, world.dist) is None
