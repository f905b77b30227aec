"""The audit log: who did what, when, from where — logins (success and failure), logouts, account and role changes,
reviews and publications (table `audit_log`, graph/workspace/models.py).

`record(state, actor, action, target, client, **detail)` adds one entry; given an open SQLAlchemy session instead of
the state it writes in that transaction, so a change and its entry are saved together or not at all. The actions in
use: login.success, login.failure (detail `reason`: unknown_user, bad_password, disabled, no_password,
rate_limited, oidc_…), logout, user.add, user.role, user.disable, user.enable, user.password (accounts.py);
change.submit, change.approve, change.reject, publish, release (the workspace and the publication).

A detail never holds a secret: a key with a word that names one (password, secret, token, hash, key) is refused,
and every text is cut to a bounded length, so what an attacker types as a username cannot flood the log.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from graph.workspace.models import AuditEntry
from graph.workspace.state import State, utcnow

SECRET_WORDS = frozenset({"password", "passwort", "passphrase", "secret", "token", "hash", "verifier", "key"})
MAX_TEXT = 200  # characters of one detail value, of a target
MAX_NAME = 64  # the actor and client columns


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit log, as read back."""

    at: datetime
    actor: str
    action: str
    target: str
    client: str
    detail: dict


def _cut(text: object, size: int) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= size else value[: size - 1] + "…"


def _clean(detail: dict) -> dict:
    clean = {}
    for key, value in detail.items():
        if SECRET_WORDS & set(re.split(r"[^a-z]+", key.lower())):
            raise ValueError(f"audit detail {key!r}: the audit log never records a secret")
        if isinstance(value, (bool, int, float)) or value is None:
            clean[key] = value
        else:
            clean[key] = _cut(value, MAX_TEXT)
    return clean


def entry(actor: str, action: str, target: str = "", client: str = "", at: datetime | None = None,
          **detail: object) -> AuditEntry:
    """The row `record` adds (for code that adds it to a transaction of its own)."""
    return AuditEntry(at=at or utcnow(), actor=_cut(actor, MAX_NAME), action=_cut(action, MAX_NAME),
                      target=_cut(target, 255), client=_cut(client, MAX_NAME), detail=_clean(detail))


def record(state: State | Session, actor: str, action: str, target: str = "", client: str = "",
           at: datetime | None = None, **detail: object) -> None:
    """Add one entry: in the open transaction `state` if it is a session, else in a transaction of its own."""
    row = entry(actor, action, target, client, at, **detail)
    if isinstance(state, Session):
        state.add(row)
        return
    with state.session() as session:
        session.add(row)


def entries(state: State, *, actions: Iterable[str] | None = None, actor: str | None = None,
            target: str | None = None, since: datetime | None = None, limit: int = 100) -> list[AuditRecord]:
    """The newest entries first, at most `limit`; `actions` may name an action or a family ending in '.'
    ("login." for every login entry)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(max(1, min(limit, 10_000)))
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if actions is not None:
        wanted = list(actions)
        query = query.where(or_(*[AuditEntry.action.startswith(a) if a.endswith(".") else AuditEntry.action == a
                                  for a in wanted]))
    with state.session() as session:
        rows = session.scalars(query).all()
        return [AuditRecord(r.at, r.actor, r.action, r.target, r.client, dict(r.detail or {})) for r in rows]
