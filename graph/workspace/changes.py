"""Change sets: an edit of the graph as statements removed and added, on a draft, through review.

- `CurrentData`: the data folder as it is now (with the ontology, vocabularies and SDGs), parsed once per version
  of its files: an entry's statements and `revision`, labels, and `check` — the shapes over the whole data with a
  proposed change applied (pySHACL through graph/load/validation.py), reporting only what the change breaks.
- `revision(quads_or_graph, subject)`: the digest of an entry's statements (the entry and its parts, the subjects
  under `<entry>/…`), so a form knows whether the entry changed since it was opened.
- The life of a change set (table `change_sets`, graph/workspace/models.py): `save_draft` (new or updated) →
  `submit` → `approve` (a reviewer who is not its editor) or `reject` (with a note); `withdraw` takes a submitted
  change back to a draft, `discard` gives a draft up. Publication (graph/workspace/publication.py) marks approved
  ones published. Every transition is written with its audit entry (graph/workspace/audit.py) in one transaction.
- Concurrency (issue 16, item 6): a save or a submission is refused with `Conflict` when the entry changed since
  the form was opened, or when another change set on the same entry is pending (submitted or approved, not yet
  published); the person's input is kept as their draft all the same, and the conflict names who and when.

Refusals are `ChangeRefused` values with a `reason` code (the pages word it in the page language, see
api/routers/workspace.py) and an English message naming what is wrong and what would be allowed.
"""
from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import ClassVar, Protocol

import pyoxigraph as ox
import rdflib
from sqlalchemy import select
from sqlalchemy.orm import Session

from graph.config import Settings
from graph.load.files import read_triples, to_rdflib
from graph.load.inputs import input_files
from graph.load.validation import Violation, validate_graph
from graph.store.backend import graph_iri
from graph.vocabulary import RDF, RDFS, SKOS
from graph.workspace import audit
from graph.workspace.models import ChangeSet, role_at_least
from graph.workspace.state import State, utcnow

PENDING = ("submitted", "approved")  # waiting for review or publication: block other changes of the same entries
OPEN = ("draft", "submitted", "approved")
MAX_NOTE = 5000
MAX_COMMENT = 5000


class Person(Protocol):
    """Who acts: a signed-in person (api/web/sessions.SignedIn) or the command line."""

    username: str
    role: str


# ------------------------------------------------------------------ statements as text


def _triples(statements: Iterable[ox.Triple | ox.Quad]) -> list[ox.Triple]:
    return [s.triple if isinstance(s, ox.Quad) else s for s in statements]


def ntriples(statements: Iterable[ox.Triple | ox.Quad]) -> str:
    """Statements as sorted N-Triples text, one line each (how a change set stores them)."""
    lines = {f"{t.subject} {t.predicate} {t.object} ." for t in _triples(statements)}
    return "".join(line + "\n" for line in sorted(lines))


def parse_ntriples(text: str) -> list[ox.Triple]:
    """The statements of stored N-Triples text."""
    if not text.strip():
        return []
    return [q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]


def in_entry(subject: ox.NamedNode | ox.BlankNode | ox.Triple, entry: str) -> bool:
    """True for the entry itself and its parts (`<entry>/geometry`, `<entry>/period`, …)."""
    return isinstance(subject, ox.NamedNode) and (subject.value == entry or subject.value.startswith(entry + "/"))


def entry_statements(source: ox.Store | rdflib.Graph | Iterable[ox.Triple | ox.Quad], subject: str,
                     graph: ox.NamedNode | None = None) -> list[ox.Triple]:
    """The statements about `subject` and its parts, from a store (its graph `graph`, else all), an rdflib graph
    or any statements."""
    if isinstance(source, ox.Store):
        found = [q.triple for q in source.quads_for_pattern(None, None, None, graph) if in_entry(q.subject, subject)]
    elif isinstance(source, rdflib.Graph):
        found = []
        for s, p, o in source:
            if isinstance(s, rdflib.URIRef) and (str(s) == subject or str(s).startswith(subject + "/")):
                found.append(ox.Triple(ox.NamedNode(str(s)), ox.NamedNode(str(p)), _from_rdflib(o)))
    else:
        found = [t for t in _triples(source) if in_entry(t.subject, subject)]
    return found


def _from_rdflib(term: rdflib.term.Node) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    return ox.BlankNode(str(term))


def revision(quads_or_graph: ox.Store | rdflib.Graph | Iterable[ox.Triple | ox.Quad], subject: str,
             graph: ox.NamedNode | None = None) -> str:
    """The digest (SHA-256, hex) of the statements about `subject` and its parts: equal exactly when they are
    equal. An entry that does not exist has the digest of no statements."""
    return hashlib.sha256(ntriples(entry_statements(quads_or_graph, subject, graph)).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ the data as it is now


def _file_stamp(settings: Settings) -> tuple:
    stamp = []
    for path, name in input_files(settings):
        if name == "context":
            continue
        try:
            info = path.stat()
            stamp.append((str(path), info.st_mtime_ns, info.st_size, info.st_ino))
        except OSError:
            stamp.append((str(path), None))
    return (settings.base, str(settings.data_dir), tuple(stamp))


class CurrentData:
    """The data folder, the ontology, the vocabularies and the SDGs as they are now (not the third-party context),
    in a store for lookups and, parsed once, as the rdflib graph the shapes are checked on."""

    def __init__(self, settings: Settings, stamp: tuple | None = None):
        self.settings = settings
        self.stamp = stamp if stamp is not None else _file_stamp(settings)
        self.data_graph = ox.NamedNode(graph_iri(settings.base, "data"))
        self.quads: list[ox.Quad] = []
        for path, name in input_files(settings):
            if name != "context":
                self.quads.extend(read_triples(path, ox.NamedNode(graph_iri(settings.base, name))))
        self.store = ox.Store()
        self.store.bulk_extend(self.quads)
        self._lock = threading.Lock()
        self._graph: rdflib.Graph | None = None
        self._baseline: set[tuple] | None = None
        self._preparing = threading.Lock()
        self._by_subject: dict[str, list[ox.Triple]] | None = None
        self._sorted_subjects: list[str] = []

    # -------------------------------------------------------------- cache
    _cache: ClassVar[dict[tuple, CurrentData]] = {}
    _cache_lock = threading.Lock()

    @classmethod
    def of(cls, settings: Settings) -> CurrentData:
        """The data of `settings` now: parsed again only when a file changed (name, size, time, inode)."""
        stamp = _file_stamp(settings)
        with cls._cache_lock:
            found = cls._cache.get(stamp)
        if found is not None:
            return found
        data = cls(settings, stamp)
        with cls._cache_lock:
            for old in [k for k in cls._cache if k[:2] == stamp[:2]]:
                del cls._cache[old]  # one version per data folder
            cls._cache[stamp] = data
        return data

    # -------------------------------------------------------------- entries
    def statements(self, subject: str) -> list[ox.Triple]:
        """The data folder's statements about `subject` and its parts."""
        by_subject = self._index()
        found = list(by_subject.get(subject, ()))
        prefix = subject + "/"
        at = bisect.bisect_left(self._sorted_subjects, prefix)
        while at < len(self._sorted_subjects) and self._sorted_subjects[at].startswith(prefix):
            found.extend(by_subject[self._sorted_subjects[at]])
            at += 1
        return found

    def revision(self, subject: str) -> str:
        return revision(self.statements(subject), subject)

    def exists(self, subject: str) -> bool:
        return any(True for _ in self.store.quads_for_pattern(ox.NamedNode(subject), None, None, self.data_graph))

    def subjects(self) -> set[str]:
        """Every IRI the data folder says something about (taken: a new entry never gets one of them)."""
        return set(self._index())

    def _index(self) -> dict[str, list[ox.Triple]]:
        with self._lock:
            if self._by_subject is None:
                by_subject: dict[str, list[ox.Triple]] = {}
                for q in self.store.quads_for_pattern(None, None, None, self.data_graph):
                    if isinstance(q.subject, ox.NamedNode):
                        by_subject.setdefault(q.subject.value, []).append(q.triple)
                self._sorted_subjects = sorted(by_subject)
                self._by_subject = by_subject
            return self._by_subject

    def types(self, iri: str) -> set[str]:
        return {q.object.value for q in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF + "type"),
                                                                     None) if isinstance(q.object, ox.NamedNode)}

    def label(self, iri: str, lang: str) -> str | None:
        """The entry's name in `lang` (rdfs:label, else skos:prefLabel), else in the other language, else None."""
        names: dict[str, str] = {}
        for predicate in (RDFS + "label", SKOS + "prefLabel"):
            for q in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None):
                if isinstance(q.object, ox.Literal):
                    names.setdefault(q.object.language or "", q.object.value)
            if names:
                break
        for wanted in (lang, "en" if lang == "de" else "de", ""):
            if wanted in names:
                return names[wanted]
        return next(iter(names.values()), None)

    # -------------------------------------------------------------- the shapes
    def graph(self) -> rdflib.Graph:
        """The unchanged data as one rdflib graph (parsed once; never handed out to be changed)."""
        with self._lock:
            if self._graph is None:
                self._graph = to_rdflib(self.quads)
            return self._graph

    @property
    def prepared(self) -> bool:
        return self._baseline is not None

    def prepare(self) -> None:
        """Parse the graph and check the unchanged data now (a form calls this when it opens, in the background, so
        its first save does not wait for it)."""
        if self._preparing.acquire(blocking=False):
            try:
                self._baseline_keys()
            finally:
                self._preparing.release()

    def _baseline_keys(self) -> set[tuple]:
        """The violations the unchanged data has already (by focus, path, rule, value and shape: any language)."""
        with _CHECKING:
            if self._baseline is None:
                self._baseline = {_violation_key(v) for v in validate_graph(_copy(self.graph()), lang="en")}
            return self._baseline

    def neighbourhood(self, entries: set[str]) -> tuple[set[str], list[ox.Quad]]:
        """The entries a change of `entries` can break — they themselves and every entry that links to one of them —
        and the statements their shapes look at: theirs, the types, schemes and names of what they link to, the
        ontology, the vocabularies and the SDGs."""
        index = self._index()
        around = set(entries)
        for subject, triples in index.items():
            if any(isinstance(t.object, ox.NamedNode) and t.object.value in entries for t in triples):
                around.add(subject)
        quads = [q for q in self.quads if q.graph_name != self.data_graph]
        linked: set[str] = set()
        for subject in around:
            for t in index.get(subject, ()):
                quads.append(ox.Quad(t.subject, t.predicate, t.object, self.data_graph))
                if isinstance(t.object, ox.NamedNode):
                    linked.add(t.object.value)
        looked_at = {RDF + "type", SKOS + "inScheme", RDFS + "label", SKOS + "prefLabel"}
        for iri in linked - around:
            quads.extend(ox.Quad(t.subject, t.predicate, t.object, self.data_graph) for t in index.get(iri, ())
                         if t.predicate.value in looked_at)
        return around, quads

    def check(self, added: Sequence[ox.Triple], removed: Sequence[ox.Triple], lang: str = "de",
              whole: bool | None = None) -> list[Violation]:
        """What the shapes say about the data with `removed` taken out and `added` put in — only the violations the
        change brings (those the data has already are not the change's).

        `whole`: check the whole data (the default up to WHOLE_DATA_LIMIT statements), else only the entries the
        change touches and those linking to them, in their neighbourhood (`neighbourhood`): the same findings for
        shapes that look at an entry, its values and what they link to — the ones hki has — in a time that does not
        grow with the data. The publication checks the whole data in any case."""
        if whole is None:
            whole = len(self.quads) <= WHOLE_DATA_LIMIT
        if whole:
            unchanged, before, around = self.graph(), self._baseline_keys(), None
        else:
            touched = {t.subject.value for t in list(added) + list(removed) if isinstance(t.subject, ox.NamedNode)}
            around, quads = self.neighbourhood(touched)
            unchanged = to_rdflib(quads)
            with _CHECKING:
                before = {_violation_key(v) for v in validate_graph(_copy(unchanged), lang="en")}
        changed = _copy(unchanged)
        if removed:
            changed -= to_rdflib([ox.Quad(t.subject, t.predicate, t.object) for t in removed])
        if added:
            changed += to_rdflib([ox.Quad(t.subject, t.predicate, t.object) for t in added])
        with _CHECKING:
            found = validate_graph(changed, lang=lang)
        return [v for v in found if v.severity == "Violation" and _violation_key(v) not in before
                and (around is None or v.focus in around)]


WHOLE_DATA_LIMIT = 200_000  # statements up to which a form's change is checked against the whole data
# One check at a time in this process: graph.load.validation reads the shapes' SPARQL with rdflib's pyparsing grammar,
# which breaks when two threads parse at once (a form's check beside the background check of the unchanged data).
_CHECKING = threading.RLock()


def _copy(graph: rdflib.Graph) -> rdflib.Graph:
    copy = rdflib.Graph()
    copy += graph
    return copy


def _violation_key(v: Violation) -> tuple:
    return (v.focus, v.path, v.rule, v.value, v.shape)


# ------------------------------------------------------------------ refusals


class ChangeRefused(Exception):
    """A transition that is not allowed; `reason` names why (the pages' words), `status` the HTTP status."""

    status = 409

    def __init__(self, reason: str, message: str, status: int | None = None, **values: object):
        super().__init__(message)
        self.reason = reason
        self.values = values
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.reason


class NotAllowed(ChangeRefused):
    """The person's role or relation to the change set does not allow this (403)."""

    status = 403


class NotFound(ChangeRefused):
    status = 404


class Conflict(ChangeRefused):
    """The entry changed since the form was opened (`reason` "changed"), or another change set on it is pending
    ("pending": `other` is that change set). `draft` is the change set the person's input was kept in."""

    status = 409

    def __init__(self, reason: str, entry: str, other: ChangeSet | None = None, draft: int | None = None):
        if reason == "pending" and other is not None:
            message = (f"the entry {entry} has a pending change set #{other.id} by {other.editor} (status "
                       f"{other.status}, since {other.submitted_at or other.updated_at}): wait until it is published "
                       "or rejected, then edit the entry again")
        else:
            message = f"the entry {entry} changed since the form was opened: open it again and redo the change"
        super().__init__(reason, message, entry=entry)
        self.entry = entry
        self.other = other
        self.draft = draft


# ------------------------------------------------------------------ reading


def get(state: State, change_id: int) -> ChangeSet:
    """The change set numbered `change_id` (NotFound)."""
    with state.session() as session:
        found = session.get(ChangeSet, change_id)
        if found is None:
            raise NotFound("not_found", f"there is no change set #{change_id}", id=change_id)
        return found


def change_sets(state: State, *, editor: str | None = None, not_editor: str | None = None,
                statuses: Sequence[str] | None = None, entry: str | None = None, limit: int = 50,
                newest: str = "updated_at") -> list[ChangeSet]:
    """Change sets, the most recently changed (or `newest` = "published_at", …) first."""
    order = getattr(ChangeSet, newest)
    query = select(ChangeSet).order_by(order.desc(), ChangeSet.id.desc())
    if editor is not None:
        query = query.where(ChangeSet.editor == editor)
    if not_editor is not None:
        query = query.where(ChangeSet.editor != not_editor)
    if statuses is not None:
        query = query.where(ChangeSet.status.in_(list(statuses)))
    with state.session() as session:
        rows = list(session.scalars(query if entry is not None else query.limit(limit)).all())
    if entry is not None:
        rows = [r for r in rows if entry in (r.entries or {})][:limit]
    return rows


def pending_on(session: Session, entries: Iterable[str], excluding: int | None = None) -> ChangeSet | None:
    """The oldest pending change set (submitted or approved, not published) that touches one of `entries`."""
    wanted = set(entries)
    query = select(ChangeSet).where(ChangeSet.status.in_(PENDING)).order_by(ChangeSet.submitted_at, ChangeSet.id)
    for other in session.scalars(query):
        if other.id != excluding and wanted & set(other.entries or {}):
            return other
    return None


def last_published_on(state: State, entry: str) -> ChangeSet | None:
    """The change set that last published a change of `entry`, if the workspace published it."""
    found = change_sets(state, statuses=["published"], entry=entry, limit=1, newest="published_at")
    return found[0] if found else None


def taken_iris(state: State) -> set[str]:
    """Every entry any change set ever touched (drafts and rejected ones too): a new entry never reuses one."""
    with state.session() as session:
        return {iri for entries in session.scalars(select(ChangeSet.entries)) for iri in (entries or {})}


# ------------------------------------------------------------------ transitions


def _require(person: Person, role: str, what: str) -> None:
    if not role_at_least(person.role, role):
        raise NotAllowed("role", f"{person.username} ({person.role}) may not {what}: it needs the role {role}",
                         role=role)


def _own_change(session: Session, change_id: int, person: Person, statuses: Sequence[str], what: str) -> ChangeSet:
    change = session.get(ChangeSet, change_id)
    if change is None:
        raise NotFound("not_found", f"there is no change set #{change_id}", id=change_id)
    if change.editor != person.username:
        raise NotAllowed("not_own", f"change set #{change_id} is {change.editor}'s: only its editor may {what} it",
                         editor=change.editor)
    if change.status not in statuses:
        raise ChangeRefused("status", f"change set #{change_id} is {change.status}: you may {what} only a change "
                            f"set that is {' or '.join(statuses)}", current=change.status)
    return change


def _conflict(session: Session, data: CurrentData, entries: dict[str, str], excluding: int | None) -> Conflict | None:
    for entry, opened in sorted(entries.items()):
        if data.revision(entry) != opened:
            return Conflict("changed", entry)
    other = pending_on(session, entries, excluding)
    if other is not None:
        touched = sorted(set(entries) & set(other.entries or {}))
        return Conflict("pending", touched[0], other)
    return None


def save_draft(state: State, data: CurrentData, person: Person, *, added: Sequence[ox.Triple],
               removed: Sequence[ox.Triple], entries: dict[str, str], title: str = "", comment: str = "",
               form: dict | None = None, change_id: int | None = None, kind: str = "edit",
               reverts: int | None = None, client: str = "") -> ChangeSet:
    """Save a new draft (or update the person's draft `change_id`): the statements it removes and adds, the entries
    it touches with the revision each had when the form was opened, what the person typed (`form`).

    Raises `Conflict` when an entry changed since (its revision differs) or another change set on one of them is
    pending — after saving the draft all the same, so nothing typed is lost (`Conflict.draft` is its number)."""
    _require(person, "editor", "edit the data")
    if not entries:
        raise ChangeRefused("empty", "a change set must touch at least one entry")
    with state.session() as session:
        if change_id is not None:
            change = _own_change(session, change_id, person, ("draft",), "update")
        else:
            change = ChangeSet(editor=person.username, kind=kind, status="draft", reverts=reverts)
            session.add(change)
        change.title = title[:300]
        change.comment = comment[:MAX_COMMENT]
        change.added = ntriples(added)
        change.removed = ntriples(removed)
        change.entries = dict(sorted(entries.items()))
        change.form = form or {}
        change.updated_at = utcnow()
        session.flush()
        conflict = _conflict(session, data, change.entries, change.id)
        audit.record(session, person.username, "change.save", f"change/{change.id}", client,
                     conflict=conflict.reason if conflict else None)
        saved_id = change.id
    if conflict is not None:
        conflict.draft = saved_id
        raise conflict
    return get(state, saved_id)


def submit(state: State, data: CurrentData, change_id: int, person: Person, client: str = "") -> ChangeSet:
    """Hand the person's draft to the reviewers. Refused (`Conflict`, the draft stays) when an entry changed since
    the draft was made or another change set on it is pending."""
    _require(person, "editor", "submit changes")
    with state.session() as session:
        change = _own_change(session, change_id, person, ("draft",), "submit")
        if not change.added and not change.removed:
            raise ChangeRefused("empty", f"change set #{change_id} changes nothing: there is nothing to review",
                                status=422)
        conflict = _conflict(session, data, change.entries or {}, change.id)
        if conflict is not None:
            conflict.draft = change.id
            raise conflict
        change.status = "submitted"
        change.submitted_at = utcnow()
        audit.record(session, person.username, "change.submit", f"change/{change_id}", client, title=change.title)
    return get(state, change_id)


def withdraw(state: State, change_id: int, person: Person, client: str = "") -> ChangeSet:
    """Take the person's submitted change set back: it is a draft again (editable, not reviewed)."""
    with state.session() as session:
        change = _own_change(session, change_id, person, ("submitted",), "withdraw")
        change.status = "draft"
        change.submitted_at = None
        audit.record(session, person.username, "change.withdraw", f"change/{change_id}", client)
    return get(state, change_id)


def discard(state: State, change_id: int, person: Person, client: str = "") -> ChangeSet:
    """Give up the person's draft (kept as "withdrawn", never published)."""
    with state.session() as session:
        change = _own_change(session, change_id, person, ("draft",), "discard")
        change.status = "withdrawn"
        audit.record(session, person.username, "change.discard", f"change/{change_id}", client)
    return get(state, change_id)


def _reviewable(session: Session, change_id: int, person: Person, what: str) -> ChangeSet:
    _require(person, "reviewer", f"{what} changes")
    change = session.get(ChangeSet, change_id)
    if change is None:
        raise NotFound("not_found", f"there is no change set #{change_id}", id=change_id)
    if change.editor == person.username:
        raise NotAllowed("own_change", f"change set #{change_id} is {person.username}'s own: a second person "
                         f"must {what} it (four-eyes principle)")
    if change.status != "submitted":
        raise ChangeRefused("status", f"change set #{change_id} is {change.status}: only a submitted change set "
                            f"can be {what}d", current=change.status)
    return change


def approve(state: State, data: CurrentData, change_id: int, person: Person, note: str = "",
            client: str = "") -> ChangeSet:
    """A reviewer (never the change's editor) approves a submitted change set; refused (`Conflict`) when one of its
    entries changed since the editor began (it would undo what was published meanwhile)."""
    with state.session() as session:
        change = _reviewable(session, change_id, person, "approve")
        for entry, opened in sorted((change.entries or {}).items()):
            if data.revision(entry) != opened:
                raise Conflict("changed", entry, draft=change.id)
        change.status = "approved"
        change.reviewer = person.username
        change.review_note = note.strip()[:MAX_NOTE]
        change.reviewed_at = utcnow()
        audit.record(session, person.username, "change.approve", f"change/{change_id}", client,
                     editor=change.editor, title=change.title)
    return get(state, change_id)


def reject(state: State, change_id: int, person: Person, note: str, client: str = "") -> ChangeSet:
    """A reviewer (never the change's editor) rejects a submitted change set, saying why (`note` is required)."""
    if not note.strip():
        raise ChangeRefused("note_required", "a rejection needs a note saying why, for the editor", status=422)
    with state.session() as session:
        change = _reviewable(session, change_id, person, "reject")
        change.status = "rejected"
        change.reviewer = person.username
        change.review_note = note.strip()[:MAX_NOTE]
        change.reviewed_at = utcnow()
        audit.record(session, person.username, "change.reject", f"change/{change_id}", client,
                     editor=change.editor, title=change.title)
    return get(state, change_id)


def statements_of(change: ChangeSet) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """(added, removed) of a change set."""
    return parse_ntriples(change.added or ""), parse_ntriples(change.removed or "")


def since(change: ChangeSet) -> datetime:
    """When the change set last moved (what pages show beside its status)."""
    return change.published_at or change.reviewed_at or change.submitted_at or change.updated_at or change.created_at


__all__ = [
    "PENDING",
    "ChangeRefused",
    "Conflict",
    "CurrentData",
    "NotAllowed",
    "NotFound",
    "approve",
    "change_sets",
    "discard",
    "entry_statements",
    "get",
    "last_published_on",
    "ntriples",
    "parse_ntriples",
    "pending_on",
    "reject",
    "revision",
    "save_draft",
    "since",
    "statements_of",
    "submit",
    "taken_iris",
    "withdraw",
]
