"""The history of the published data: a git repository with one commit per published change set.

The repository is bare and lives in the state folder (`<state_dir>/history.git`), never inside the data folder
(graph/data is inside hki's own git repository): each commit's tree is a snapshot of the data folder's files as
published. The first publication first commits the data as it was ("the data before the first change"); a data folder
changed outside the workspace (`kg import`, a hand edit) gets a commit of its own before the next publication, so
every published state is in the history. A city's IT can mirror and audit it with any git client
(`git clone <state_dir>/history.git`).

Each change set's commit: author the editor, committer the reviewer, the author date when it was submitted, the
commit date when it was published; the message is its title, the editor's comment, then the trailers
`Reviewed-by: Name <username>`, `Change-set: N` and `Release: R` (read back from the last paragraph only, so text an
editor types can never pose as a trailer).

Reading: `log` (newest first), `version` (one commit), `statements` (of any version: its Turtle files parsed),
`changes` (what one commit added and removed), `entry_history` (the commits that touched an entry's statements or
its parts', `…/x/period` for `…/x`), `diff` (between any two versions). Commits are immutable, so what is read from
them is kept in small caches keyed by their ids.
"""
from __future__ import annotations

import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from dulwich.diff_tree import tree_changes
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo

from graph.config import Settings
from graph.workspace import changes
from graph.workspace.changes import ChangeRefused
from graph.workspace.changes import Person as ChangePerson
from graph.workspace.models import ChangeSet
from graph.workspace.state import State

FOLDER = "history.git"
BRANCH = b"refs/heads/main"
SYSTEM = ("hki", "hki")  # (name, username) of the commits hki makes itself
TRAILERS = ("Reviewed-by", "Change-set", "Release", "Kind")


class HistoryError(RuntimeError):
    """The history repository cannot be read or written, or a version asked for does not exist."""


@dataclass(frozen=True)
class Person:
    name: str  # what people see (the display name)
    username: str

    def identity(self) -> bytes:
        """`Name <username>` as git writes it (angle brackets and line breaks taken out of both)."""
        def clean(text: str) -> str:
            return " ".join(text.replace("<", "").replace(">", "").split()) or "unknown"
        return f"{clean(self.name)} <{clean(self.username)}>".encode("utf-8")

    @staticmethod
    def parse(identity: bytes) -> "Person":
        text = identity.decode("utf-8", "replace")
        name, _, rest = text.partition(" <")
        return Person(name, rest.rstrip(">"))


@dataclass(frozen=True)
class Version:
    """One commit of the history: a published state of the data folder."""

    id: str  # the commit id (40 hex digits)
    parent: str | None
    tree: str
    title: str
    comment: str
    author: Person
    committer: Person
    authored: datetime  # UTC, no time zone
    committed: datetime
    change_set: int | None
    release: int | None
    kind: str  # "initial", "outside" (changed outside the workspace), "change", "revert"
    reviewer: Person | None

    @property
    def short(self) -> str:
        return self.id[:10]


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def _seconds(moment: datetime | None) -> int:
    if moment is None:
        return int(datetime.now(UTC).timestamp())
    return int(moment.replace(tzinfo=UTC).timestamp()) if moment.tzinfo is None else int(moment.timestamp())


def message(title: str, comment: str, trailers: Mapping[str, str]) -> bytes:
    """A commit message: the title, the comment, then the trailers as the last paragraph."""
    def clean(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()
    parts = [" ".join(clean(title).split()) or "(ohne Titel)"]
    if clean(comment):
        parts.append(clean(comment))
    parts.append("\n".join(f"{key}: {' '.join(str(value).split())}" for key, value in trailers.items()))
    return ("\n\n".join(parts) + "\n").encode("utf-8")


def _read_message(raw: bytes) -> tuple[str, str, dict[str, str]]:
    text = raw.decode("utf-8", "replace").strip()
    paragraphs = text.split("\n\n")
    trailers: dict[str, str] = {}
    last = paragraphs[-1].splitlines() if len(paragraphs) > 1 else []
    if last and all(line.partition(": ")[0] in TRAILERS for line in last):
        trailers = dict(line.split(": ", 1) for line in last)
        paragraphs = paragraphs[:-1]
    title = paragraphs[0] if paragraphs else ""
    return title, "\n\n".join(paragraphs[1:]), trailers


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path with / → bytes), hidden files and folders left out."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        out[relative.as_posix()] = path.read_bytes()
    return out


def tree_id(files: Mapping[str, bytes]) -> str:
    """The git tree id of these files, computed without writing anything (the digest of a data folder)."""
    return _tree(files, None).id.decode("ascii")


def _tree(files: Mapping[str, bytes], store) -> Tree:
    folders: dict[str, dict[str, bytes]] = {}
    tree = Tree()
    for name, data in sorted(files.items()):
        head, slash, rest = name.partition("/")
        if slash:
            folders.setdefault(head, {})[rest] = data
            continue
        blob = Blob.from_string(data)
        if store is not None:
            _add(store, blob)
        tree.add(name.encode("utf-8"), stat.S_IFREG | 0o644, blob.id)
    for name, inner in sorted(folders.items()):
        sub = _tree(inner, store)
        tree.add(name.encode("utf-8"), stat.S_IFDIR, sub.id)
    if store is not None:
        _add(store, tree)
    return tree


def _add(store, obj) -> None:
    if obj.id not in store:
        store.add_object(obj)
        getattr(store, "hki_unsynced", set()).add(obj.id)


class History:
    """The history repository of one state folder."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._statements: OrderedDict[str, frozenset[ox.Triple]] = OrderedDict()
        self._changes: OrderedDict[str, tuple[frozenset[ox.Triple], frozenset[ox.Triple]]] = OrderedDict()
        self._log: tuple[str | None, list[Version]] = (None, [])
        self._unsynced: set[bytes] = set()
        try:
            if (path / "HEAD").is_file():
                self.repo = Repo(str(path))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.repo = Repo.init_bare(str(path), mkdir=True)
                self.repo.refs.set_symbolic_ref(b"HEAD", BRANCH)
            self.repo.object_store.hki_unsynced = self._unsynced
        except OSError as exc:
            raise HistoryError(f"cannot open the history repository {path} ({exc.strerror or exc}); the state folder "
                               "must be writable by hki (setting state_dir)") from None

    # ---------------------------------------------------------------- writing
    def head(self) -> str | None:
        try:
            value = self.repo.refs[BRANCH]
        except KeyError:
            return None
        return value.decode("ascii")

    def store_tree(self, files: Mapping[str, bytes]) -> str:
        """Add the blobs and trees of these files (nothing changes what the history shows until `move`)."""
        return _tree(files, self.repo.object_store).id.decode("ascii")

    def commit(self, tree: str, parent: str | None, author: Person, committer: Person, text: bytes,
               authored: datetime | None = None, committed: datetime | None = None) -> str:
        """Add a commit object (not yet on the branch: `move` puts it there)."""
        commit = Commit()
        commit.tree = tree.encode("ascii")
        commit.parents = [parent.encode("ascii")] if parent else []
        commit.author, commit.committer = author.identity(), committer.identity()
        commit.author_time, commit.commit_time = _seconds(authored or committed), _seconds(committed)
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = text
        _add(self.repo.object_store, commit)
        return commit.id.decode("ascii")

    def sync(self) -> None:
        """Flush the objects added since the last call to disk, before the branch is moved to them (a power cut
        after the move must not leave the branch pointing at objects the disk never got)."""
        folders = set()
        for object_id in sorted(self._unsynced):
            hexa = object_id.decode("ascii")
            path = self.path / "objects" / hexa[:2] / hexa[2:]
            if path.is_file():
                _fsync(path)
                folders.add(path.parent)
        for folder in sorted(folders):
            _fsync(folder)
        self._unsynced.clear()

    def move(self, old: str | None, new: str) -> bool:
        """Put `new` on the branch if it is still at `old` (True), else change nothing (False)."""
        return bool(self.repo.refs.set_if_equals(BRANCH, old.encode("ascii") if old else None, new.encode("ascii"),
                                                 message=b"publication"))

    # ---------------------------------------------------------------- reading
    def _commit(self, commit_id: str) -> Commit:
        try:
            obj = self.repo.object_store[commit_id.encode("ascii")]
        except (KeyError, ValueError, UnicodeEncodeError):
            raise HistoryError(f"no version {commit_id!r} in the history") from None
        if not isinstance(obj, Commit):
            raise HistoryError(f"{commit_id!r} is not a version of the history")
        return obj

    def version(self, commit_id: str) -> Version:
        commit = self._commit(commit_id)
        title, comment, trailers = _read_message(commit.message)
        reviewer = trailers.get("Reviewed-by")
        number = trailers.get("Change-set", "")
        release = trailers.get("Release", "")
        kind = trailers.get("Kind") or ("change" if number.isdigit() else ("initial" if not commit.parents else "outside"))
        return Version(commit.id.decode("ascii"), commit.parents[0].decode("ascii") if commit.parents else None,
                       commit.tree.decode("ascii"), title, comment, Person.parse(commit.author),
                       Person.parse(commit.committer), _utc(commit.author_time), _utc(commit.commit_time),
                       int(number) if number.isdigit() else None, int(release) if release.isdigit() else None, kind,
                       Person.parse(reviewer.encode("utf-8")) if reviewer else None)

    def log(self) -> list[Version]:
        """Every version, newest first (the branch's first parents)."""
        head = self.head()
        with self._lock:
            if self._log[0] == head:
                return list(self._log[1])
        versions = []
        current = head
        while current is not None:
            version = self.version(current)
            versions.append(version)
            current = version.parent
        with self._lock:
            self._log = (head, versions)
        return list(versions)

    def of_change_set(self, number: int) -> Version | None:
        """The version that published change set `number`."""
        return next((v for v in self.log() if v.change_set == number), None)

    def resolve(self, name: str) -> Version:
        """A version by its commit id (at least 7 hex digits of it) or `cs<N>` / `N` (the change set N published)."""
        text = name.strip().lower()
        number = text.removeprefix("cs")
        if number.isdigit() and len(number) < 7:
            found = self.of_change_set(int(number))
            if found is None:
                raise HistoryError(f"change set {number} is not in the history (not published)")
            return found
        if len(text) >= 7 and all(c in "0123456789abcdef" for c in text):
            matches = [v for v in self.log() if v.id.startswith(text)]
            if len(matches) == 1:
                return matches[0]
        raise HistoryError(f"no version {name!r} in the history: give a change set's number or a commit id "
                           "(at least 7 of its hex digits)")

    def files(self, commit_id: str, suffix: str = ".ttl") -> dict[str, bytes]:
        """The version's top-level files ending in `suffix` (the data files the graph is read from)."""
        tree = self.repo.object_store[self._commit(commit_id).tree]
        out = {}
        for entry in tree.items():
            name = entry.path.decode("utf-8")
            if name.endswith(suffix) and stat.S_ISREG(entry.mode):
                out[name] = self.repo.object_store[entry.sha].data
        return out

    def statements(self, commit_id: str) -> frozenset[ox.Triple]:
        """Every statement of the version's data files (blank nodes as parsed)."""
        tree = self._commit(commit_id).tree.decode("ascii")
        with self._lock:
            if tree in self._statements:
                self._statements.move_to_end(tree)
                return self._statements[tree]
        found = frozenset(t for data in self.files(commit_id).values() for t in _parse(data))
        with self._lock:
            self._statements[tree] = found
            while len(self._statements) > 16:
                self._statements.popitem(last=False)
        return found

    def changes(self, commit_id: str) -> tuple[frozenset[ox.Triple], frozenset[ox.Triple]]:
        """(added, removed): what the version changed against the one before it (only its changed files read)."""
        with self._lock:
            if commit_id in self._changes:
                return self._changes[commit_id]
        commit = self._commit(commit_id)
        parent_tree = self._commit(commit.parents[0].decode("ascii")).tree if commit.parents else None
        before: set[ox.Triple] = set()
        after: set[ox.Triple] = set()
        for change in tree_changes(self.repo.object_store, parent_tree, commit.tree):
            for side, into in ((change.old, before), (change.new, after)):
                if side is not None and side.path is not None and side.path.endswith(b".ttl") and b"/" not in side.path:
                    into.update(_parse(self.repo.object_store[side.sha].data))
        result = (frozenset(after - before), frozenset(before - after))
        with self._lock:
            self._changes[commit_id] = result
            while len(self._changes) > 512:
                self._changes.popitem(last=False)
        return result

    def entry_history(self, iri: str) -> list[Version]:
        """The versions whose changes touch a statement about `iri` or one of its parts, newest first."""
        def about(triples: Iterable[ox.Triple]) -> bool:
            return any(isinstance(t.subject, ox.NamedNode) and (t.subject.value == iri or t.subject.value.startswith(iri + "/"))
                       for t in triples)
        out = []
        for version in self.log():
            added, removed = self.changes(version.id)
            if about(added) or about(removed):
                out.append(version)
        return out

    def diff(self, older: str, newer: str) -> tuple[frozenset[ox.Triple], frozenset[ox.Triple]]:
        """(added, removed) from version `older` to version `newer`."""
        a, b = self.statements(older), self.statements(newer)
        return frozenset(b - a), frozenset(a - b)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse(data: bytes) -> list[ox.Triple]:
    try:
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, format=ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:
        raise HistoryError(f"a data file of the history cannot be read as Turtle: {exc}") from None


_open: dict[Path, History] = {}
_open_lock = threading.Lock()


def history_path(settings: Settings) -> Path:
    return settings.state_folder() / FOLDER


def open_history(settings: Settings) -> History:
    """The history repository of the settings' state folder (made on first use); one per folder and process."""
    path = history_path(settings)
    with _open_lock:
        found = _open.get(path)
        if found is None or not (path / "HEAD").is_file():
            found = _open[path] = History(path)
        return found


# ------------------------------------------------------------------ revert

REVERT_TITLE = {"de": "Rücknahme von Änderung {id}: {title}", "en": "Revert of change {id}: {title}"}


class RevertRefused(ChangeRefused):
    """A published change cannot be reverted exactly: `reason` "not_published", "later_changes" (`later`: the change
    sets or versions that changed some of its statements since) or "data_changed"."""

    status = 409


def revert_change(settings: Settings, state: State, change_id: int, actor: ChangePerson, comment: str = "",
                  client: str = "") -> ChangeSet:
    """A new change set that undoes the published change set `change_id` exactly — its added statements removed, its
    removed ones added back (kind "revert", `reverts` = change_id) — submitted for review like any other.

    Refused (`RevertRefused`) when it is not published, or when a later version changed any of its statements (then
    undoing it would undo part of that later change too: revert that one first), or when the data no longer holds
    what it added. `Conflict` (graph/workspace/changes.py) when another change of the same entries is pending."""
    original = changes.get(state, change_id)
    if original.status != "published":
        raise RevertRefused("not_published", f"change set #{change_id} is {original.status}: only a published change "
                            "can be reverted", id=change_id)
    added, removed = changes.statements_of(original)
    touched = set(added) | set(removed)
    history = open_history(settings)
    later = []
    for version in history.log():
        if version.change_set == change_id:
            break
        plus, minus = history.changes(version.id)
        if touched & (plus | minus):
            later.append(version)
    else:
        raise RevertRefused("not_published", f"change set #{change_id} is not in the history of {history.path}",
                            id=change_id)
    if later:
        names = ", ".join(f"#{v.change_set}" if v.change_set else v.short for v in reversed(later))
        raise RevertRefused("later_changes", f"change set #{change_id} cannot be reverted exactly: later changes "
                            f"({names}) changed some of the same statements; revert those first, newest first",
                            id=change_id, later=[v.change_set or v.short for v in reversed(later)])
    data = changes.CurrentData.of(settings)
    now = {t for entry in _entries(original, touched) for t in data.statements(entry)}
    if not set(t for t in added if not _blank(t)) <= now or set(t for t in removed if not _blank(t)) & now:
        raise RevertRefused("data_changed", f"the data no longer holds what change set #{change_id} made (it was "
                            "changed outside the workspace since): a revert would not restore the earlier state",
                            id=change_id)
    entries = {entry: data.revision(entry) for entry in _entries(original, touched)}
    lang = settings.lang if settings.lang in REVERT_TITLE else "de"
    title = REVERT_TITLE[lang].format(id=change_id, title=" ".join((original.title or "").split()))
    draft = changes.save_draft(state, data, actor, added=removed, removed=added, entries=entries, title=title,
                               comment=comment, kind="revert", reverts=change_id, client=client,
                               form={"revert_of": change_id})
    return changes.submit(state, data, draft.id, actor, client)


def _blank(t: ox.Triple) -> bool:
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def _entries(change: ChangeSet, touched: set[ox.Triple]) -> list[str]:
    found = set(change.entries or {})
    found |= {t.subject.value for t in touched if isinstance(t.subject, ox.NamedNode)}
    return sorted(found)


__all__ = ["BRANCH", "RevertRefused", "revert_change", "FOLDER", "History", "HistoryError", "Person", "SYSTEM", "Version", "folder_files", "history_path",
           "message", "open_history", "tree_id"]
