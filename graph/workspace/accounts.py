"""Accounts of the workspace: who may sign in, with which role, and the signed-in sessions.

- Roles: viewer < editor < reviewer < admin (graph/workspace/models.py `ROLES`, `role_at_least`).
- Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher`, its default profile: RFC 9106's "low
  memory" choice, 64 MiB and 3 passes); a hash made with other parameters is replaced at the next sign-in. At
  least `MIN_PASSWORD` characters, at most `MAX_PASSWORD`; there is no default password anywhere. At most
  `HASHING_AT_ONCE` hashes are computed at a time, so a flood of sign-ins cannot take the server's memory.
- `authenticate`: the same work for an unknown name as for a known one (a hash is checked against a dummy hash),
  the same answer for every wrong name, password or disabled account (the audit log records the real reason);
  failed sign-ins are rate-limited per account (`ACCOUNT_LIMIT` in `FAILURE_WINDOW`, counted since its last
  successful sign-in) and per client address (`CLIENT_LIMIT`, which a success does not reset); an IPv6 client
  counts by its /64 network.
- Sessions: `begin_session` makes a random session id (the cookie carries it, signed: api/web/sessions.py; the
  database only its SHA-256); `resolve_session` ends it after `idle` without a request (its last-seen time is
  refreshed at most once a minute), after `ABSOLUTE_LIFETIME` in any case, when the account is disabled, and when
  the account's `session_epoch` was raised since (a role change, disabling); `end_session` is the logout.
- Single sign-on: `sign_in_with_provider` maps an OpenID Connect subject to an account (api/web/oidc.py).

Errors a person can correct are `AccountError` with a `code` (the web pages word it in the page language) and an
English message naming the field and what is valid.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from graph.workspace import audit
from graph.workspace.models import ROLES, AuditEntry, LoginFailure, User, WebSession
from graph.workspace.state import State, utcnow

# The hasher every password goes through, read at each use: tests may put a cheap one here (argon2 is slow on
# purpose); production keeps argon2-cffi's default profile.
password_hasher = PasswordHasher()
HASHING_AT_ONCE = 2  # argon2 takes 64 MiB a hash: at most this many at a time
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)

MIN_PASSWORD = 12  # OWASP ASVS 2.1.1
MAX_PASSWORD = 1024  # ASVS 2.1.2 asks for at least 64 allowed; more only costs hashing time
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MAX_DISPLAY_NAME = 200
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failed sign-ins of one account within FAILURE_WINDOW, then it waits
CLIENT_LIMIT = 20  # failed sign-ins from one client address within FAILURE_WINDOW, then it waits
FAILURES_KEPT = timedelta(days=1)  # older failures are deleted (the audit log keeps them)
ABSOLUTE_LIFETIME = timedelta(hours=12)  # a session ends this long after sign-in, however active
SEEN_REFRESH = timedelta(minutes=1)  # the last-seen time of a session is written at most this often


class AccountError(ValueError):
    """A request about an account that cannot be done: `code` says why (for the pages' words), `field` which input."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.code


class LoginRefused(Exception):
    """A sign-in that did not succeed. `reason` is for the audit log; people are told only "wrong name or password"
    (or, with `retry_after` seconds > 0, when they may try again)."""

    def __init__(self, reason: str, retry_after: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """An account as the rest of hki sees it (never its hash)."""

    username: str
    display_name: str
    role: str
    disabled: bool
    has_password: bool
    single_sign_on: bool
    session_epoch: int
    created_at: datetime

    @property
    def name(self) -> str:
        """What pages call the person: the display name, else the username."""
        return self.display_name or self.username


def _account(user: User) -> Account:
    return Account(user.username, user.display_name or "", user.role, bool(user.disabled), bool(user.password_hash),
                   bool(user.oidc_subject), user.session_epoch or 0, user.created_at)


# ------------------------------------------------------------------ checks

def normalise_username(name: str) -> str:
    """The form a username is stored and compared in: NFKC, no surrounding spaces, lower case."""
    return unicodedata.normalize("NFKC", name or "").strip().lower()


def check_username(name: str) -> str:
    """The normalised username, or AccountError naming what is valid."""
    username = normalise_username(name)
    if not USERNAME.fullmatch(username):
        raise AccountError("username_invalid", f"username {name!r}: 1 to 64 characters, letters a-z, digits and "
                                               ". _ @ -, beginning with a letter or digit", "username")
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("role_unknown", f"role {role!r}: valid roles are {', '.join(ROLES)}", "role")
    return role


def check_password(password: str | None) -> str:
    """The password if it may be used, else AccountError (empty, too short, too long)."""
    if not password:
        raise AccountError("password_missing", "no password given: hki has no default password; give one of at least "
                                               f"{MIN_PASSWORD} characters", "password")
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short", f"the password has {len(password)} characters; at least {MIN_PASSWORD} "
                                             "are needed", "password")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password_long", f"the password has {len(password)} characters; at most {MAX_PASSWORD} "
                                            "are allowed", "password")
    return password


def _check_display_name(display_name: str) -> str:
    text = " ".join((display_name or "").split())
    if len(text) > MAX_DISPLAY_NAME:
        raise AccountError("display_name_long", f"the display name has {len(text)} characters; at most "
                                                f"{MAX_DISPLAY_NAME} are allowed", "display_name")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise AccountError("display_name_invalid", "the display name contains control characters", "display_name")
    return text


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (at most HASHING_AT_ONCE computed at a time)."""
    with _hashing:
        return password_hasher.hash(password)


_dummy_hashes: dict[tuple, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the current parameters (computed once): verified for unknown names, so
    that they take as long as known ones. Called holding `_hashing`."""
    hasher = password_hasher
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len, hasher.type)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hashes[key]


def _verify(stored: str | None, password: str) -> bool:
    with _hashing:
        try:
            return password_hasher.verify(stored or _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def client_key(address: str | None) -> str:
    """The client address as the rate limit counts it: IPv4 as it is, IPv6 by its /64 network (one subscriber gets
    a whole /64); anything else cut to 64 characters."""
    text = (address or "").strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


# ------------------------------------------------------------------ accounts

def _user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _existing(session: Session, name: str) -> User:
    user = _user(session, normalise_username(name))
    if user is None:
        raise AccountError("no_such_user", f"there is no account {name!r}; kg users list shows them", "username")
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.disabled.is_(False)))


def add_user(state: State, username: str, password: str | None, role: str = "viewer", display_name: str = "", *,
             actor: str = "kg", client: str = "", oidc_subject: str | None = None) -> Account:
    """A new account. A password is required unless the account signs in through the provider (`oidc_subject`)."""
    name = check_username(username)
    check_role(role)
    shown = _check_display_name(display_name)
    if oidc_subject is None:
        check_password(password)
    hashed = hash_password(password) if password else None
    with state.session() as session:
        if _user(session, name) is not None:
            raise AccountError("username_taken", f"an account {name!r} exists already", "username")
        user = User(username=name, display_name=shown, role=role, password_hash=hashed, oidc_subject=oidc_subject,
                    disabled=False, session_epoch=0)
        session.add(user)
        session.flush()
        audit.record(session, actor, "user.add", name, client, role=role,
                     method="oidc" if oidc_subject else "password")
        return _account(user)


def get_user(state: State, username: str) -> Account | None:
    with state.session() as session:
        user = _user(session, normalise_username(username))
        return _account(user) if user is not None else None


def list_users(state: State) -> list[Account]:
    with state.session() as session:
        return [_account(u) for u in session.scalars(select(User).order_by(User.username))]


def set_role(state: State, username: str, role: str, *, actor: str = "kg", client: str = "") -> Account:
    """Give the account another role; its sessions end (it signs in again with the new role)."""
    check_role(role)
    with state.session() as session:
        user = _existing(session, username)
        before = user.role
        if before == role:
            return _account(user)
        if before == "admin" and not user.disabled and _active_admins(session) <= 1:
            raise AccountError("last_admin", f"{user.username} is the only admin: make another account admin first, "
                                             "or nobody could manage the accounts", "role")
        user.role = role
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record(session, actor, "user.role", user.username, client, before=before, after=role)
        session.flush()
        return _account(user)


def disable(state: State, username: str, *, actor: str = "kg", client: str = "") -> Account:
    """The account can no longer sign in, and its sessions end."""
    with state.session() as session:
        user = _existing(session, username)
        if user.username == actor:
            raise AccountError("own_account", "you cannot disable your own account; another admin can", "username")
        if user.disabled:
            return _account(user)
        if user.role == "admin" and _active_admins(session) <= 1:
            raise AccountError("last_admin", f"{user.username} is the only admin: make another account admin first, "
                                             "or nobody could manage the accounts", "username")
        user.disabled = True
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record(session, actor, "user.disable", user.username, client)
        session.flush()
        return _account(user)


def enable(state: State, username: str, *, actor: str = "kg", client: str = "") -> Account:
    """A disabled account may sign in again."""
    with state.session() as session:
        user = _existing(session, username)
        if not user.disabled:
            return _account(user)
        user.disabled = False
        audit.record(session, actor, "user.enable", user.username, client)
        session.flush()
        return _account(user)


def set_password(state: State, username: str, password: str, *, actor: str = "kg", client: str = "") -> Account:
    """A new password for the account; its sessions end."""
    check_password(password)
    hashed = hash_password(password)
    with state.session() as session:
        user = _existing(session, username)
        user.password_hash = hashed
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record(session, actor, "user.password", user.username, client)
        session.flush()
        return _account(user)


# ------------------------------------------------------------------ signing in

def _failures_since(session: Session, column, value: str, since: datetime) -> list[datetime]:
    return list(session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > since)
                                .order_by(LoginFailure.at)))


def _last_success(session: Session, username: str) -> datetime | None:
    return session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.action == "login.success",
                                                                 AuditEntry.target == username))


def retry_after(session: Session, username: str, client: str, now: datetime) -> int:
    """Seconds until this account and this client may try again (0: now)."""
    start = now - FAILURE_WINDOW
    waits = []
    last = _last_success(session, username)
    by_account = [at for at in _failures_since(session, LoginFailure.username, username, start)
                  if last is None or at > last]
    if len(by_account) >= ACCOUNT_LIMIT:
        waits.append(by_account[-ACCOUNT_LIMIT] + FAILURE_WINDOW - now)
    by_client = _failures_since(session, LoginFailure.client, client, start)
    if len(by_client) >= CLIENT_LIMIT:
        waits.append(by_client[-CLIENT_LIMIT] + FAILURE_WINDOW - now)
    if not waits:
        return 0
    return max(1, int(max(waits).total_seconds() + 0.999))


def _refuse(state: State, username: str, client: str, reason: str, now: datetime, count: bool = True) -> LoginRefused:
    with state.session() as session:
        if count:
            session.add(LoginFailure(username=username[:64], client=client[:64], at=now))
            session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURES_KEPT))
        audit.record(session, username, "login.failure", username, client, at=now, reason=reason)
        session.flush()
        wait = retry_after(session, username[:64], client[:64], now)
    return LoginRefused(reason, wait)


def authenticate(state: State, username: str, password: str, *, client: str, now: datetime | None = None) -> Account:
    """The account whose name and password these are, or LoginRefused (see the module's description)."""
    now = now or utcnow()
    name = normalise_username(username)[:64]
    client = client_key(client)
    with state.session() as session:
        wait = retry_after(session, name, client, now)
        if not wait:
            user = _user(session, name) if USERNAME.fullmatch(name) else None
            stored = user.password_hash if user is not None else None
            disabled = bool(user.disabled) if user is not None else False
    if wait:
        audit.record(state, name, "login.failure", name, client, at=now, reason="rate_limited")
        raise LoginRefused("rate_limited", wait)
    too_long = len(password or "") > MAX_PASSWORD
    verified = _verify(stored, "" if too_long else (password or "")) and not too_long
    if user is None:
        raise _refuse(state, name, client, "unknown_user", now)
    if stored is None:
        raise _refuse(state, name, client, "no_password", now)
    if not verified:
        raise _refuse(state, name, client, "bad_password", now)
    if disabled:
        raise _refuse(state, name, client, "disabled", now)
    rehash = password_hasher.check_needs_rehash(stored)
    fresh = hash_password(password) if rehash else None
    with state.session() as session:
        user = _user(session, name)
        if fresh is not None:
            user.password_hash = fresh
        audit.record(session, name, "login.success", name, client, at=now, method="password",
                     **({"rehashed": True} if fresh else {}))
        session.flush()
        return _account(user)


def _provider_username(preferred: str, subject: str) -> str:
    name = normalise_username(preferred)
    if USERNAME.fullmatch(name):
        return name
    return "sso-" + hashlib.sha256(subject.encode()).hexdigest()[:12]


def sign_in_with_provider(state: State, issuer: str, subject: str, preferred_username: str = "",
                          display_name: str = "", *, default_role: str = "viewer", client: str = "",
                          now: datetime | None = None) -> Account:
    """The account of the person the OpenID Connect provider vouched for (`subject`, its `sub`).

    Found by the subject recorded at an earlier sign-in; else the account named like the provider's
    `preferred_username` (which the provider's administrators assign), which then records the subject; else a new
    account with `default_role`. A disabled account, or a name already tied to another subject, is refused."""
    now = now or utcnow()
    client = client_key(client)
    recorded = f"{issuer}#{subject}"[:255]
    check_role(default_role)
    with state.session() as session:
        user = session.scalar(select(User).where(User.oidc_subject == recorded))
        refused = None
        if user is None:
            name = _provider_username(preferred_username, subject)
            user = _user(session, name)
            if user is not None and user.oidc_subject not in (None, recorded):
                refused = ("oidc_conflict", name)
            elif user is not None:
                user.oidc_subject = recorded
                audit.record(session, "oidc", "user.link", name, client, at=now, issuer=issuer)
            else:
                user = User(username=name, display_name=_check_display_name(display_name[:MAX_DISPLAY_NAME]),
                            role=default_role, password_hash=None, oidc_subject=recorded, disabled=False,
                            session_epoch=0)
                session.add(user)
                session.flush()
                audit.record(session, "oidc", "user.add", name, client, at=now, role=default_role, method="oidc",
                             issuer=issuer)
        if refused is None and user.disabled:
            refused = ("disabled", user.username)
        if refused is None:
            if display_name and not user.display_name:
                user.display_name = _check_display_name(display_name[:MAX_DISPLAY_NAME])
            audit.record(session, user.username, "login.success", user.username, client, at=now, method="oidc")
            session.flush()
            return _account(user)
    reason, name = refused
    raise _refuse(state, name, client, reason, now, count=False)


# ------------------------------------------------------------------ sessions

def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def begin_session(state: State, username: str, *, method: str = "password", client: str = "",
                  now: datetime | None = None, replaces: str | None = None) -> str:
    """A new session of the account (a fresh random id: never one the browser brought along); `replaces` (the
    browser's earlier session id, if any) ends. Expired sessions are deleted on the way."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    with state.session() as session:
        user = _existing(session, username)
        if replaces:
            _end(session, replaces, now)
        session.execute(delete(WebSession).where(WebSession.created_at < now - ABSOLUTE_LIFETIME - timedelta(days=1)))
        session.add(WebSession(id=_digest(session_id), username=user.username, epoch=user.session_epoch or 0,
                               method=method, client=client_key(client), created_at=now, seen_at=now))
    return session_id


def resolve_session(state: State, session_id: str, *, idle: timedelta, now: datetime | None = None) -> Account | None:
    """The account signed in with this session id, or None when there is none, it ended or it expired."""
    now = now or utcnow()
    with state.session() as session:
        row = session.get(WebSession, _digest(session_id))
        if row is None or row.ended_at is not None:
            return None
        user = _user(session, row.username)
        expired = now - row.seen_at > idle or now - row.created_at > ABSOLUTE_LIFETIME
        if user is None or user.disabled or (user.session_epoch or 0) != row.epoch or expired:
            row.ended_at = now
            return None
        if now - row.seen_at >= SEEN_REFRESH:
            row.seen_at = now
        return _account(user)


def _end(session: Session, session_id: str, now: datetime) -> str | None:
    row = session.get(WebSession, _digest(session_id))
    if row is None or row.ended_at is not None:
        return None
    row.ended_at = now
    return row.username


def end_session(state: State, session_id: str, *, client: str = "", now: datetime | None = None) -> str | None:
    """Log out: the session ends (an audit entry says so); the username it belonged to, or None."""
    now = now or utcnow()
    with state.session() as session:
        username = _end(session, session_id, now)
        if username:
            audit.record(session, username, "logout", username, client_key(client), at=now)
        return username


def end_sessions(state: State, username: str) -> None:
    """End every session of the account (raises its session_epoch)."""
    with state.session() as session:
        user = _existing(session, username)
        user.session_epoch = (user.session_epoch or 0) + 1
