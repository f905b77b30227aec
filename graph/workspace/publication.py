"""Publishing approved change sets: the data folder, the dumps, the history and the state database, all or nothing.

`publish_approved(settings, state, actor, ids, dist_dir)`:

1. **prepare** (nothing anyone sees changes): each change set is applied in turn to the data folder's Turtle
   (graph/workspace/turtle_files.py) and committed as an object of the history repository (not yet on its branch;
   graph/workspace/history.py); the new data folder is staged beside the real one, checked against the shapes (the
   whole graph, or — when the data as it is now is the published, checked state — only the entries the change
   touches and the entries linking to them: see `validate_change`), and built into a new store and a staged dist
   folder (graph/publish/dumps.py: the dumps, the catalogue with the release's version, notes and dates, the release's
   own folder). A change that does not fit, breaks a shape, or cannot be built publishes nothing: `PublicationError`
   says why, and the change sets stay approved with the reason (`ChangeSet.publication_error`) for the reviewer.
2. **journal**: what is about to be swapped (staged folders, old and new digests, the history's old and new commit,
   the release) is written to `<state_dir>/publication.json`; from here on a publication is completed, never half.
3. **commit**, in this order: the database rows are written (published, the release, the audit entry) in a
   transaction that takes the database's write lock first — a locked or unwritable database stops here, before any
   file moves; then the data folder is swapped with the staged one (graph/atomic.py, one renameat2), the dist folder
   likewise, the history's branch moved, and the transaction committed.
4. **finish**: the old folders and the journal are removed.

`recover(settings, state, dist_dir)` — at server start, and before every publication — completes a publication a
crash interrupted after its journal was written (each step checks by digest whether it was done), or removes what a
crash before it left behind. So a process killed at any point leaves the data folder, the history and the dumps all
old or all new. The crash points (`graph.faults.checkpoint`): publish:staged, publish:journal-written,
publish:data-swapped, publish:dist-swapped, publish:history-moved, publish:recorded.

One publication at a time per state folder (a lock file; another process waits up to `LOCK_SECONDS`).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph.atomic import exchange, fsync_tree
from graph.build import open_store
from graph.config import Settings
from graph.faults import checkpoint
from graph.load.files import DataFileError, load_file, to_rdflib
from graph.load.inputs import input_files
from graph.load.validation import Violation, validate_graph
from graph.publish.catalogue import ReleaseInfo
from graph.publish.dumps import ReleaseFiles, add_release, stage_dumps
from graph.store import graph_iri
from graph.vocabulary import RDFS, SKOS
from graph.workspace import audit
from graph.workspace.changes import statements_of
from graph.workspace.history import SYSTEM, History, HistoryError, Person, folder_files, message, open_history, tree_id
from graph.workspace.models import ChangeSet, Release, User, utcnow
from graph.workspace.state import State, StateUnavailable
from graph.workspace.turtle_files import ChangeConflict, DataFiles, apply_change
from graph.workspace.wording import Labels, describe_change, schema_labels
from ontology import SHAPES_FILE

JOURNAL = "publication.json"
LOCK = "publication.lock"
VALIDATED = "validated.json"  # the data folder (tree) and schema files last checked whole or by change
STAGING = ".publication-"  # the staged folders: .<data>.publication-<token>, .<dist>.publication-<token>
LOCK_SECONDS = 60.0
NOTE_WORDS = {  # the release notes' own words (they go into the dumps and the catalogue: no web catalogue here)
    "title": {"de": "Release {number} vom {date}", "en": "Release {number} of {date}"},
    "change": {"de": "Änderung {id}: {title} (von {editor}, geprüft von {reviewer})",
               "en": "Change {id}: {title} (by {editor}, reviewed by {reviewer})"},
    "revert": {"de": "Änderung {id} nimmt Änderung {reverts} zurück: {title} (von {editor}, geprüft von {reviewer})",
               "en": "Change {id} reverts change {reverts}: {title} (by {editor}, reviewed by {reviewer})"},
}


class PublicationError(RuntimeError):
    """Nothing was published; the message says why and what to do. `violations`: the shapes' findings (if that was
    why), `change_set`: the change set that did not fit (if one did not)."""

    def __init__(self, message: str, *, reason: str = "failed", violations: Sequence[Violation] = (),
                 change_set: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.violations = list(violations)
        self.change_set = change_set

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Publication:
    """A completed publication: its release, the change sets it published and their commits, how long it took."""

    release: int
    change_sets: tuple[int, ...]
    commit: str  # the history's newest commit
    commits: dict[int, str]  # change set → its commit
    statements: int  # of the published graph (all named graphs, the derived shortcuts and the meta graph included)
    seconds: float
    validation: str  # "changed entries" or "whole graph"
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step, for the benchmark
    notes: dict[str, str] = field(default_factory=dict)  # the release notes per language


# ------------------------------------------------------------------ the lock, the journal

_thread_lock = threading.RLock()
_held = threading.local()


@contextmanager
def _exclusive(folder: Path, wait: float = LOCK_SECONDS) -> Iterator[None]:
    """One publication (or recovery) at a time for a state folder: across processes (flock) and threads."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    with _thread_lock:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = open(folder / LOCK, "a+b")
        except OSError as exc:
            raise PublicationError(f"cannot use the state folder {folder} ({exc.strerror or exc}); it must be writable "
                                   "by hki (setting state_dir); nothing was published", reason="state") from None
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise PublicationError(f"another publication is running (the lock {folder / LOCK} is held "
                                               f"for more than {wait:.0f} s); try again when it has finished",
                                               reason="busy") from None
                    time.sleep(0.05)
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()


def _write_json(path: Path, value: dict) -> None:
    """Write `value` to `path` durably, all or nothing (a temporary file beside it, fsync, rename, fsync the folder)."""
    staging = path.with_name(f".{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(staging, "wb") as out:
            out.write(json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(staging, path)
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise PublicationError(f"the publication journal {path} cannot be read ({exc}); it describes an interrupted "
                               "publication: keep it, and ask the maintainers to complete it", reason="journal") from None
    return value if isinstance(value, dict) else None


def _state_error(folder: Path, exc: OSError, what: str) -> PublicationError:
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    cause = "the disk is full" if full else (exc.strerror or str(exc))
    return PublicationError(f"cannot {what} in the state folder {folder}: {cause}; nothing was published"
                            + (" — free some space and approve again" if full else
                               " — the state folder must be writable by hki (setting state_dir)"), reason="state")


# ------------------------------------------------------------------ digests

def _dist_digest(dist: Path) -> str | None:
    """What identifies a dist folder's contents: the SHA-256 of its SHA256SUMS (None when it has none)."""
    try:
        return hashlib.sha256((dist / "SHA256SUMS").read_bytes()).hexdigest()
    except OSError:
        return None


def _data_digest(folder: Path) -> str | None:
    try:
        return tree_id(folder_files(folder)) if folder.is_dir() else None
    except OSError:
        return None


def schema_digest(settings: Settings) -> str:
    """A digest of everything but the data folder that a check of the data depends on: the shapes, the ontology,
    vocabularies and SDGs, any extra data files."""
    digest = hashlib.sha256(SHAPES_FILE.read_bytes())
    data_dir = settings.data_dir.resolve()
    for path, name in input_files(settings):
        if name in ("data", "context") and path.resolve().parent == data_dir:
            continue
        digest.update(f"{name} {path}\n".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


# ------------------------------------------------------------------ checking a change against the shapes

def checking_store(settings: Settings) -> ox.Store:
    """The statements the shapes check, in a store for lookups: the ontology, vocabularies, SDGs, any extra data and
    the data folder — not the third-party context (checked by its importer) and not the derived shortcuts. Loaded by
    Oxigraph's own parser (DataFileError names file, line and column)."""
    store = ox.Store()
    for path, name in input_files(settings):
        if name != "context":
            load_file(store, path, ox.NamedNode(graph_iri(settings.base, name)))
    return store


def validate_change(store: ox.Store, changed: set[str], lang: str = "de") -> list[Violation]:
    """The shapes' findings about the entries a change touches (`changed`: subject IRIs) and the entries that link to
    them, validated on just those entries, the entries they link to, and the class hierarchy (`store`: the data with
    the change, as `checking_store` loads it).

    Exact for hki's shapes as long as the data before the change conformed: every shape of ontology/shapes.ttl looks at
    its focus node's own statements and at the types and schemes of the values it links to (sh:class, sh:or of
    classes, hkish:inScheme, SPARQL constraints on $this), never further — so an entry the change does not touch, and
    that does not link to one it touches, keeps its result. tests/unit/test_workspace_publication.py checks that it
    finds what the whole-graph check finds, for a breach of each kind of shape."""
    touched = {ox.NamedNode(iri) for iri in changed}
    focus = set(touched)
    for node in touched:  # the entries that link to a touched one
        focus.update(q.subject for q in store.quads_for_pattern(None, None, node) if isinstance(q.subject, ox.NamedNode))
    part: list[ox.Quad] = list(store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None))
    described: set = set()
    todo = set(focus)
    while todo:  # the focus entries, what they link to, and the blank-node structures under those, each whole
        node = todo.pop()
        described.add(node)
        for q in store.quads_for_pattern(node, None, None):
            part.append(q)
            linked = q.object
            if (node in focus or isinstance(linked, ox.BlankNode)) and isinstance(linked, (ox.NamedNode, ox.BlankNode)) \
                    and linked not in described:
                todo.add(linked)
    wanted = {node.value for node in focus}
    return [v for v in validate_graph(to_rdflib(part), lang=lang) if v.focus in wanted]


def _checked(state: State, settings: Settings, data_tree: str) -> bool:
    """True when the data folder as it is (its tree) was checked whole, or published by a checked change, with the
    same shapes, ontology and vocabularies: then a change needs only its own entries checked."""
    try:
        marker = _read_json(state.folder / VALIDATED) or {}
    except PublicationError:
        return False
    return marker.get("tree") == data_tree and marker.get("schema") == schema_digest(settings)


def check_published_data(settings: Settings, state: State, lang: str = "en") -> list[Violation]:
    """Check the data folder as it is now against the shapes, whole, and remember it when it conforms, so that the
    next publication checks only the entries it changes; also warms the checker up (its first run in a process costs
    about a second more) and indexes the data files. The server calls it once at start when editing is on (in the
    background)."""
    data_dir = settings.data_dir.resolve()
    live = folder_files(data_dir)
    data_tree = tree_id(live)
    _keep_files(data_dir, data_tree, DataFiles(_turtle(live)))
    store = checking_store(settings)
    if _checked(state, settings, data_tree):
        validate_change(store, set(), lang)  # warm up only
        return []
    violations = [v for v in _validate_whole(store, lang) if v.severity == "Violation"]
    if not violations:
        with _exclusive(state.folder):
            if tree_id(folder_files(data_dir)) == data_tree:
                _write_json(state.folder / VALIDATED, {"tree": data_tree, "schema": schema_digest(settings)})
    return violations


def _validate_whole(store: ox.Store, lang: str) -> list[Violation]:
    return validate_graph(to_rdflib(list(store.quads_for_pattern(None, None, None))), lang=lang)


def _labels(store: ox.Store, statements: Iterable[ox.Triple]) -> Labels:
    """The names of the entries and values the statements mention (for the release notes), from the data."""
    wanted = {term for t in statements for term in (t.subject, t.object) if isinstance(term, ox.NamedNode)}
    quads = [q for node in wanted for predicate in (RDFS + "label", SKOS + "prefLabel")
             for q in store.quads_for_pattern(node, ox.NamedNode(predicate), None)]
    labels = Labels.of(quads)
    for iri, names in schema_labels().names.items():
        labels.names.setdefault(iri, names)
    return labels


# The data files of the last publication of this process, indexed (turtle_files.DataFiles), by the data folder and
# its tree: the next publication starts from them instead of indexing every file again (seconds at a million
# statements). Taken out while a publication uses them, put back by a completed one.
_files: dict[Path, tuple[str, DataFiles]] = {}
_files_lock = threading.Lock()


def _turtle(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if "/" not in name and name.endswith(".ttl")}


def _take_files(data_dir: Path, tree: str, live: dict[str, bytes]) -> DataFiles:
    with _files_lock:
        found = _files.pop(data_dir, None)
    if found is not None and found[0] == tree:
        return found[1]
    return DataFiles(_turtle(live))


def _keep_files(data_dir: Path, tree: str, files: DataFiles) -> None:
    with _files_lock:
        _files[data_dir] = (tree, files)


# ------------------------------------------------------------------ publishing

def _approved(session: Session, ids: Sequence[int] | None) -> list[ChangeSet]:
    if ids is None:
        rows = list(session.scalars(select(ChangeSet).where(ChangeSet.status == "approved")
                                    .order_by(ChangeSet.reviewed_at, ChangeSet.id)))
    else:
        rows = []
        for number in dict.fromkeys(ids):
            change = session.get(ChangeSet, number)
            if change is None:
                raise PublicationError(f"there is no change set #{number}", reason="not_found", change_set=number)
            if change.status != "approved":
                raise PublicationError(f"change set #{number} is {change.status}: only approved change sets are "
                                       "published", reason="status", change_set=number)
            rows.append(change)
        rows.sort(key=lambda c: (c.reviewed_at or utcnow(), c.id))
    if not rows:
        raise PublicationError("there is nothing to publish: no change set is approved", reason="nothing")
    return rows


def _names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    wanted = sorted({u for u in usernames if u})
    found = {u.username: u.display_name or u.username
             for u in session.scalars(select(User).where(User.username.in_(wanted)))} if wanted else {}
    return {u: found.get(u, u) for u in wanted}


def _owners(statements: Iterable[ox.Triple]) -> set[str]:
    """The entries (subject IRIs) statements are about; blank nodes count for the entry that uses them."""
    statements = list(statements)
    used_by = {t.object: t.subject for t in statements if isinstance(t.object, ox.BlankNode)}
    out = set()
    for t in statements:
        node, hops = t.subject, 0
        while isinstance(node, ox.BlankNode) and node in used_by and hops < 100:
            node, hops = used_by[node], hops + 1
        if isinstance(node, ox.NamedNode):
            out.add(node.value)
    return out


def _stage_folder(target: Path, token: str) -> Path:
    return target.parent / f".{target.name}{STAGING}{token}"


def _copy_folder(source: Path, target: Path) -> None:
    """`source` copied to the new folder `target`, files as hard links (a publication never writes a file in place:
    it replaces whole files), so even a big data folder is staged at once."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    shutil.copytree(source, target, symlinks=True, copy_function=link)


def publish_approved(settings: Settings, state: State, actor: str, ids: Sequence[int] | None = None,
                     dist_dir: Path = Path("dist"), *, lang: str | None = None) -> Publication:
    """Publish the approved change sets `ids` (all approved ones when None, in the order they were approved) as one
    release — or nothing, with `PublicationError` saying why (also kept on each change set for the reviewer)."""
    started = time.perf_counter()
    actor = getattr(actor, "username", actor)
    lang = lang or settings.lang
    with _exclusive(state.folder):
        _recover(settings, state, Path(dist_dir).resolve())
        with state.session() as session:
            changes = _approved(session, ids)
            session.expunge_all()
        try:
            prepared = _prepare(settings, state, actor, changes, Path(dist_dir).resolve(), lang)
        except PublicationError as exc:
            _remember_failure(state, [c.id for c in changes], exc)
            raise
        prepared.steps["prepare"] = time.perf_counter() - started
        try:
            _commit(settings, state, prepared.journal)
        except PublicationError as exc:
            if exc.reason != "state":  # a database that cannot be written cannot keep the reason either
                _remember_failure(state, [c.id for c in changes], exc)
            raise
        prepared.steps["total"] = time.perf_counter() - started
        j = prepared.journal
        _keep_files(settings.data_dir.resolve(), j["data_new"], prepared.files)
        return Publication(j["release"], tuple(j["change_sets"]), j["history_new"],
                           {int(k): v for k, v in j["commits"].items()}, j["statements"],
                           time.perf_counter() - started, j["validation"], dict(prepared.steps), dict(j["notes"]))


@dataclass
class _Prepared:
    journal: dict
    steps: dict[str, float]
    files: DataFiles


def _prepare(settings: Settings, state: State, actor: str, changes: list[ChangeSet], dist_dir: Path,
             lang: str) -> _Prepared:
    steps: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = now - clock
        clock = now

    data_dir = settings.data_dir.resolve()
    history = open_history(settings)
    with state.session() as session:
        names = _names(session, [actor] + [c.editor for c in changes] + [c.reviewer or "" for c in changes])
        number = (session.scalar(select(func.max(Release.number))) or 0) + 1
    live = folder_files(data_dir)
    live_tree = tree_id(live)
    head = history.head()
    head_tree = history.version(head).tree if head else None
    incremental = _checked(state, settings, live_tree)
    now = utcnow()
    parent = head
    try:
        if head is None or head_tree != live_tree:  # the data as it is now, before the changes, is history too
            title = ("Veröffentlichte Daten vor der ersten Änderung im Arbeitsbereich" if head is None else
                     "Änderungen außerhalb des Arbeitsbereichs (kg import, Dateien bearbeitet)")
            kind = "initial" if head is None else "outside"
            parent = history.commit(history.store_tree(live), head, Person(*SYSTEM), Person(*SYSTEM),
                                    message(title, "", {"Kind": kind}), committed=now)
        try:
            index = _take_files(data_dir, live_tree, live)
        except DataFileError as exc:
            raise PublicationError(f"a data file cannot be read: {exc}", reason="data") from None
        files = _turtle(live)
        commits: dict[int, str] = {}
        changed: set[str] = set()
        mentioned: list[ox.Triple] = []
        for change in changes:
            added, removed = statements_of(change)
            mentioned += added + removed
            try:
                result = apply_change(index, removed, added)
                index.update(result.files)
            except ChangeConflict as exc:
                raise PublicationError(f"change set #{change.id} ({change.title}) no longer fits the data: {exc}",
                                       reason="conflict", change_set=change.id) from None
            except DataFileError as exc:
                raise PublicationError(f"a data file cannot be read: {exc}", reason="data") from None
            files.update(result.files)
            changed |= _owners(added) | _owners(removed)
            snapshot = {**live, **files}
            reviewer = change.reviewer or actor
            trailers = {"Reviewed-by": Person(names.get(reviewer, reviewer), reviewer).identity().decode("utf-8"),
                        "Change-set": str(change.id), "Release": str(number)}
            if change.kind == "revert":
                trailers["Kind"] = "revert"
            parent = history.commit(history.store_tree(snapshot), parent, Person(names.get(change.editor, change.editor),
                                    change.editor), Person(names.get(reviewer, reviewer), reviewer),
                                    message(change.title, change.comment, trailers),
                                    authored=change.submitted_at or change.created_at, committed=now)
            commits[change.id] = parent
        new_files = {**live, **files}
        new_tree = tree_id(new_files)
    except (HistoryError, OSError) as exc:
        if isinstance(exc, OSError):
            raise _state_error(history.path, exc, "write the history") from None
        raise PublicationError(str(exc), reason="history") from None
    step("apply")
    token = secrets.token_hex(6)
    data_staging, dist_staging = _stage_folder(data_dir, token), _stage_folder(dist_dir, token)
    try:
        try:
            _copy_folder(data_dir, data_staging)
            for name, data in files.items():
                if live.get(name) != data:
                    target = data_staging / name
                    target.unlink(missing_ok=True)
                    target.write_bytes(data)
                    os.chmod(target, 0o644)
            fsync_tree(data_staging)
        except OSError as exc:
            raise PublicationError(f"cannot stage the new data folder beside {data_dir} ({exc.strerror or exc}); the "
                                   "folder around it must be writable by hki; nothing was published",
                                   reason="data") from None
        staged = replace(settings, data_dir=data_staging, store=None, modified=now.date().isoformat(),
                         issued=settings.issued or settings.modified)
        try:
            checked = checking_store(staged)
        except DataFileError as exc:
            raise PublicationError(f"a data file cannot be read: {exc}", reason="data") from None
        step("stage")
        violations = validate_change(checked, changed, lang) if incremental else _validate_whole(checked, lang)
        violations = [v for v in violations if v.severity == "Violation"]
        step("validate")
        if violations:
            shown = "; ".join(str(v) for v in violations[:5])
            raise PublicationError(f"the data would break {len(violations)} rule{'s' if len(violations) != 1 else ''} "
                                   f"of the shapes: {shown}{' …' if len(violations) > 5 else ''}; nothing was published",
                                   reason="invalid", violations=violations)
        labels = _labels(checked, mentioned)
        del checked
        notes = {code: release_notes(changes, names, labels, code, number, now.date().isoformat(), settings.base)
                 for code in ("de", "en")}
        info = ReleaseInfo(number, now.date().isoformat(), settings.issued or settings.modified,
                           tuple(sorted(notes.items())))
        try:
            kstore = open_store(staged)  # the files loaded by Oxigraph's parser, as `kg build` does
        except Exception as exc:  # noqa: BLE001 - any failure of the rebuild publishes nothing and is shown
            raise PublicationError(f"the new data could not be loaded into a store ({type(exc).__name__}: {exc}); "
                                   "nothing was published", reason="build") from None
        step("store")
        try:
            statements = sum(kstore.triple_counts().values())
            dist_staging.mkdir(parents=True)
            stage_dumps(kstore, dist_staging, release=info)
            add_release(dist_staging, dist_dir if dist_dir.is_dir() else None,
                        ReleaseFiles(number, now.date().isoformat(), notes, (), tuple(c.id for c in changes), statements))
        except OSError as exc:
            raise PublicationError(f"cannot write the dumps beside {dist_dir} ({exc.strerror or exc}); nothing was "
                                   "published", reason="build") from None
        except Exception as exc:  # noqa: BLE001
            raise PublicationError(f"the dumps could not be built ({type(exc).__name__}: {exc}); nothing was "
                                   "published", reason="build") from None
        finally:
            kstore.close()
        step("dumps")
        checkpoint("publish:staged")
        try:
            history.sync()
        except OSError as exc:
            raise _state_error(history.path, exc, "write the history") from None
        journal = {"version": 1, "token": token, "actor": actor, "release": number, "at": now.isoformat(),
                   "data_dir": str(data_dir), "data_staging": str(data_staging), "data_old": live_tree,
                   "data_new": new_tree, "dist_dir": str(dist_dir), "dist_staging": str(dist_staging),
                   "dist_old": _dist_digest(dist_dir), "dist_new": _dist_digest(dist_staging),
                   "dist_existed": dist_dir.is_dir(), "history_old": head, "history_new": parent,
                   "change_sets": [c.id for c in changes], "commits": {str(k): v for k, v in commits.items()},
                   "statements": statements, "notes": notes, "validation": "changed entries" if incremental
                   else "whole graph", "schema": schema_digest(settings)}
        try:
            _write_json(state.folder / JOURNAL, journal)
        except OSError as exc:
            raise _state_error(state.folder, exc, "write the publication journal") from None
        step("journal")
    except BaseException:
        shutil.rmtree(data_staging, ignore_errors=True)
        shutil.rmtree(dist_staging, ignore_errors=True)
        raise
    checkpoint("publish:journal-written")
    return _Prepared(journal, steps, index)


def _record(session: Session, journal: dict) -> None:
    """The database side of a publication: the change sets published, the release, the audit entries."""
    number, at = journal["release"], _moment(journal["at"])
    commits = journal["commits"]
    session.add(Release(number=number, created_at=at, created_by=journal["actor"], notes=journal["notes"].get("de", ""),
                        commit=journal["history_new"], statements=journal["statements"]))
    session.flush()
    for change_id in journal["change_sets"]:
        change = session.get(ChangeSet, change_id)
        if change is None:
            continue
        change.status = "published"
        change.release = number
        change.published_at = at
        change.publication_error = ""
        audit.record(session, journal["actor"], "publish", f"change/{change_id}", at=at, release=number,
                     commit=commits.get(str(change_id), ""))
    audit.record(session, journal["actor"], "release", f"release/{number}", at=at,
                 change_sets=",".join(str(c) for c in journal["change_sets"]), commit=journal["history_new"],
                 validation=journal["validation"])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _commit(settings: Settings, state: State, journal: dict) -> None:
    history = open_history(settings)
    try:
        with state.session() as session:
            _record(session, journal)
            session.flush()  # takes the database's write lock now: a locked database stops here, nothing moved
            _swap_files(journal, history, check=False)
    except Exception as exc:
        if _data_digest(Path(journal["data_dir"])) == journal["data_old"]:
            _abandon(journal, state)
            if isinstance(exc, PublicationError):
                raise
            cause = str(exc) if isinstance(exc, StateUnavailable) else f"{type(exc).__name__}: {exc}"
            raise PublicationError(f"{cause}; nothing was published — approve again once this is fixed",
                                   reason="state" if isinstance(exc, StateUnavailable) else "swap") from None
        raise PublicationError(f"the publication was interrupted after the data folder was replaced ({exc}); it is "
                               "completed when the server starts next, or with the next publication",
                               reason="interrupted") from None
    checkpoint("publish:recorded")
    _finish(journal, state)


def _swap_files(journal: dict, history: History, check: bool = True) -> None:
    """Data folder, dist folder, history branch; with `check` (recovery), each only if it was not done yet."""
    data_dir, data_staging = Path(journal["data_dir"]), Path(journal["data_staging"])
    if not check or _data_digest(data_dir) != journal["data_new"]:
        exchange(data_staging, data_dir)
    checkpoint("publish:data-swapped")
    dist_dir, dist_staging = Path(journal["dist_dir"]), Path(journal["dist_staging"])
    if not check or _dist_digest(dist_dir) != journal["dist_new"]:
        if dist_dir.is_dir():
            exchange(dist_staging, dist_dir)
        else:
            os.rename(dist_staging, dist_dir)
    checkpoint("publish:dist-swapped")
    if history.head() != journal["history_new"]:
        if not history.move(journal["history_old"], journal["history_new"]):
            raise PublicationError(f"the history's branch moved during the publication (now {history.head()}, "
                                   f"expected {journal['history_old']}); the maintainers must look at "
                                   f"{history.path}", reason="history")
    checkpoint("publish:history-moved")


def _finish(journal: dict, state: State) -> None:
    for key in ("data_staging", "dist_staging"):
        shutil.rmtree(journal[key], ignore_errors=True)  # the old folders now
    try:
        _write_json(state.folder / VALIDATED, {"tree": journal["data_new"], "schema": journal["schema"]})
    except OSError:
        (state.folder / VALIDATED).unlink(missing_ok=True)  # the next publication checks the whole graph
    (state.folder / JOURNAL).unlink(missing_ok=True)


def _abandon(journal: dict, state: State) -> None:
    """Give up a publication whose files were not swapped: its staged folders and journal go."""
    for key in ("data_staging", "dist_staging"):
        shutil.rmtree(journal[key], ignore_errors=True)
    (state.folder / JOURNAL).unlink(missing_ok=True)


def _remember_failure(state: State, ids: list[int], error: PublicationError) -> None:
    try:
        with state.session() as session:
            for change_id in ids:
                change = session.get(ChangeSet, change_id)
                if change is not None and change.status == "approved":
                    change.publication_error = str(error)[:5000]
    except StateUnavailable:
        pass  # the error itself is raised to the reviewer all the same


# ------------------------------------------------------------------ recovery

def recover(settings: Settings, state: State, dist_dir: Path = Path("dist")) -> str | None:
    """Complete a publication a crash interrupted (its journal is there), or clear what one left before its journal.
    Returns "completed", "abandoned" or None (nothing to do). Call at server start; publications call it first."""
    with _exclusive(state.folder):
        return _recover(settings, state, Path(dist_dir).resolve())


def _recover(settings: Settings, state: State, dist_dir: Path) -> str | None:
    journal = _read_json(state.folder / JOURNAL)
    data_dir = settings.data_dir.resolve()
    if journal is None:
        for target in (data_dir, dist_dir):
            for leftover in target.parent.glob(f".{target.name}{STAGING}*"):
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
        return None
    data_now = _data_digest(Path(journal["data_dir"]))
    if data_now not in (journal["data_old"], journal["data_new"]):
        raise PublicationError(f"an interrupted publication (journal {state.folder / JOURNAL}) cannot be completed: "
                               f"the data folder {journal['data_dir']} was changed since; restore it or remove the "
                               "journal after checking the data folder, the dumps and the history", reason="journal")
    if data_now == journal["data_old"] and _data_digest(Path(journal["data_staging"])) != journal["data_new"]:
        _abandon(journal, state)  # the staged data is gone: nothing was swapped, so nothing is published
        return "abandoned"
    history = open_history(settings)
    with state.session() as session:
        if session.get(Release, journal["release"]) is None:
            _record(session, journal)
            session.flush()
        _swap_files(journal, history)
    _finish(journal, state)
    return "completed"


# ------------------------------------------------------------------ release notes

def release_notes(changes: Sequence[ChangeSet], names: dict[str, str], labels: Labels, lang: str, number: int,
                  date: str, base: str = "") -> str:
    """A release's notes in `lang`: a line per change set (title, editor, reviewer), its changes in plain words."""
    words = {key: value[lang if lang in value else "de"] for key, value in NOTE_WORDS.items()}
    lines = [words["title"].format(number=number, date=date)]
    for change in changes:
        added, removed = statements_of(change)
        kind = "revert" if change.kind == "revert" and change.reverts else "change"
        lines.append(words[kind].format(id=change.id, title=" ".join((change.title or "").split()),
                                        editor=names.get(change.editor, change.editor), reverts=change.reverts,
                                        reviewer=names.get(change.reviewer or "", change.reviewer or "")))
        lines.extend(f"  – {sentence}" for sentence in describe_change(added, removed, labels, lang, base))
    return "\n".join(lines)


__all__ = ["JOURNAL", "Publication", "PublicationError", "check_published_data", "checking_store", "publish_approved",
           "recover",
           "release_notes",
           "schema_digest", "validate_change"]
