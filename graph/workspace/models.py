"""The tables of the state database (one place, so the schema reads as a whole).

- `User`: an account — username, role (viewer < editor < reviewer < admin), argon2 hash (none for single-sign-on
  accounts), the OpenID Connect subject, disabled, and `session_epoch`, raised to end every session of the account
  (logout everywhere, disabling, a role change).
- `LoginFailure`: one failed login, by account and by client address: the rate limit counts these.
- `WebSession`: one signed-in browser: the digest of its session id (the cookie holds the id, signed), the account,
  the account's `session_epoch` when it began, when it began and was last seen (idle and absolute expiry), when it
  ended (logout).
- `AuditEntry`: logins (success and failure), account and role changes, reviews, publications — who, when, what.
- `ChangeSet`: one change to the graph — the statements removed and added (N-Triples), the editor's comment, the
  entries it touches with their revision when the editor began, its status (draft → submitted → approved or
  rejected → published), the reviewer's decision and note, the release that published it.
- `Release`: a numbered publication of approved change sets, with its notes and the history commit.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column



class Base(DeclarativeBase):
    """The tables of the state database."""


def utcnow() -> datetime:
    """Now, in UTC, without microseconds (what the history and the audit log record)."""
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


ROLES = ("viewer", "editor", "reviewer", "admin")  # each role may do what the ones before it may
STATUSES = ("draft", "submitted", "approved", "rejected", "published", "withdrawn")


def role_at_least(role: str, needed: str) -> bool:
    """True when `role` includes the rights of `needed` (an admin is also a reviewer, a reviewer also an editor)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LoginFailure(Base):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the session id, never the id itself
    username: Mapped[str] = mapped_column(String(64), index=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)  # the user's session_epoch at sign-in: raised, it ends
    method: Mapped[str] = mapped_column(String(16), default="password")  # password or oidc
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), default="")  # a username, or "kg" for the command line
    action: Mapped[str] = mapped_column(String(64), index=True)  # login.success, login.failure, user.role, publish …
    target: Mapped[str] = mapped_column(String(255), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ChangeSet(Base):
    __tablename__ = "change_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="edit")  # edit, spreadsheet, revert
    title: Mapped[str] = mapped_column(String(300), default="")  # what it is about, in plain words
    comment: Mapped[str] = mapped_column(Text, default="")  # the editor's why
    editor: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    added: Mapped[str] = mapped_column(Text, default="")  # N-Triples, sorted
    removed: Mapped[str] = mapped_column(Text, default="")  # N-Triples, sorted
    # the entries (subject IRIs) it touches, each with the revision (graph.workspace.changes.revision) it began from
    entries: Mapped[dict] = mapped_column(JSON, default=dict)
    form: Mapped[dict] = mapped_column(JSON, default=dict)  # what the editor typed, kept so nothing is lost
    reverts: Mapped[int | None] = mapped_column(ForeignKey("change_sets.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    release: Mapped[int | None] = mapped_column(ForeignKey("releases.number"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # why the last attempt to publish it failed (shapes, a rebuild, a conflict): shown to the reviewer; "" once published
    publication_error: Mapped[str] = mapped_column(Text, default="")


class Release(Base):
    __tablename__ = "releases"

    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")  # generated from its change sets (Markdown-free plain text)
    commit: Mapped[str] = mapped_column(String(64), default="")  # the history repository's commit of this release
    statements: Mapped[int] = mapped_column(Integer, default=0)
