"""The workspace's state database: one SQLAlchemy engine per database URL, the tables' shared base, sessions.

SQLite in the state folder by default (`<state_dir>/hki.sqlite3`, WAL journal, a 5-second wait when another process
writes), or any SQLAlchemy URL in the setting `state_url` (PostgreSQL for a city's database server). The tables are
in models.py; `open_state` creates the missing ones.

A database that cannot be written — locked by another program for too long, a full disk, a read-only folder — is
reported as `StateUnavailable`, naming the database and what to do; the transaction is rolled back, so nothing is
half-written.
"""
from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from graph.config import Settings
from graph.workspace.models import Base, utcnow  # noqa: F401 - utcnow: used by the other workspace modules


class StateUnavailable(RuntimeError):
    """The state database (or folder) cannot be read or written; the message says which and what to do."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class State:
    """The open state database of one deployment, and its state folder."""

    def __init__(self, url: str, folder: Path):
        self.url = url
        self.folder = folder
        self.engine: Engine = _engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back (nothing written) when it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise StateUnavailable(_explain(self.url, exc)) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def secret(self, name: str, size: int = 32) -> bytes:
        """A random key kept in the state folder (`<name>.key`, mode 0600), made on first use; shared by every web
        process of the deployment (session cookies, CSRF tokens)."""
        path = self.folder / f"{name}.key"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        key = secrets.token_bytes(size)
        staging = path.with_name(f".{path.name}-{os.getpid()}")
        try:
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(key)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(staging, path)  # the first process to get here wins; the others read its key
            except FileExistsError:
                pass
        except OSError as exc:
            raise StateUnavailable(f"cannot write the key {path} ({exc.strerror or exc}); the state folder "
                                   f"{self.folder} must be writable by hki (setting state_dir)") from None
        finally:
            staging.unlink(missing_ok=True)
        return path.read_bytes()


_open: dict[str, State] = {}
_lock = threading.Lock()


def open_state(settings: Settings) -> State:
    """The state database the settings name (made, with its tables, on first use); one per URL and process."""
    folder = settings.state_folder()
    url = settings.state_url or f"sqlite:///{folder / 'hki.sqlite3'}"
    with _lock:
        if url in _open and _open[url].folder == folder:
            return _open[url]
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StateUnavailable(f"cannot make the state folder {folder} ({exc.strerror or exc}); set state_dir "
                                   "(HKI_STATE_DIR) to a folder hki may write") from None
        state = State(url, folder)
        try:
            Base.metadata.create_all(state.engine)
        except SQLAlchemyError as exc:
            raise StateUnavailable(_explain(url, exc)) from None
        _open[url] = state
        return state


def close_all() -> None:
    """Dispose every engine (tests that use several state folders in one process)."""
    with _lock:
        for state in _open.values():
            state.engine.dispose()
        _open.clear()


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 5, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # noqa: ANN001 - DB-API connection
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def _explain(url: str, exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    where = url.split("@")[-1] if "@" in url else url  # never a password in a message
    if "locked" in text or "busy" in text:
        return (f"the state database {where} is locked by another program (waited 5 s): {text}; nothing was saved — "
                "try again in a moment")
    if "disk" in text and ("full" in text or "I/O" in text):
        return f"the state database {where} cannot be written, the disk is full: {text}; nothing was saved"
    if "readonly" in text or "read-only" in text:
        return (f"the state database {where} is read-only: {text}; nothing was saved — the state folder must be "
                "writable by hki")
    return f"the state database {where} cannot be used: {text}; nothing was saved"


__all__ = ["Base", "State", "StateUnavailable", "close_all", "open_state", "utcnow"]
