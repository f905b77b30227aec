"""Accounts of the workspace without the web: adding, roles, disabling, passwords, signing in with its rate limits,
sessions and their expiry, single sign-on accounts, the audit log, and `kg users`.

argon2 is slow on purpose; these tests put a cheap PasswordHasher into `graph.workspace.accounts.password_hasher`
(the module reads it at each use) and check separately that the shipped default is argon2-cffi's own profile.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select
from typer.testing import CliRunner

from graph.config import Settings
from graph.workspace import accounts, audit
from graph.workspace.accounts import AccountError, LoginRefused
from graph.workspace.models import AuditEntry, LoginFailure, User
from graph.workspace.state import open_state

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
T0 = datetime(2026, 12, 1, 9, 0, 0)
KG = Path(sys.executable).with_name("kg")


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "password_hasher", CHEAP)


@pytest.fixture
def state(tmp_path):
    state = open_state(Settings(state_dir=tmp_path / "state", editing=True))
    yield state
    state.engine.dispose()


def test_the_shipped_hasher_is_argon2id_with_argon2_cffis_default_profile():
    shipped = PasswordHasher()
    assert (shipped.time_cost, shipped.memory_cost, shipped.parallelism, shipped.hash_len, shipped.salt_len) == (
        RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost, RFC_9106_LOW_MEMORY.parallelism,
        RFC_9106_LOW_MEMORY.hash_len, RFC_9106_LOW_MEMORY.salt_len)
    source = Path(accounts.__file__).read_text(encoding="utf-8")
    assert "password_hasher = PasswordHasher()\n" in source, "production keeps argon2-cffi's default parameters"


def test_an_account_is_stored_with_an_argon2id_hash_and_a_normalised_name(state):
    account = accounts.add_user(state, "  Anna.Schmidt ", PASSWORD, "editor", "Anna Schmidt")
    assert (account.username, account.role, account.display_name, account.has_password) == (
        "anna.schmidt", "editor", "Anna Schmidt", True)
    with state.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "anna.schmidt"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.get_user(state, "ANNA.SCHMIDT").username == "anna.schmidt"


@pytest.mark.parametrize("name, password, role, code", [
    ("anna", "", "editor", "password_missing"),
    ("anna", None, "editor", "password_missing"),
    ("anna", "short", "editor", "password_short"),
    ("anna", "x" * 1025, "editor", "password_long"),
    ("anna", PASSWORD, "boss", "role_unknown"),
    ("", PASSWORD, "editor", "username_invalid"),
    ("<script>", PASSWORD, "editor", "username_invalid"),
    ("a b", PASSWORD, "editor", "username_invalid"),
    ("x" * 65, PASSWORD, "editor", "username_invalid"),
])
def test_accounts_are_refused_without_a_usable_password_name_or_role(state, name, password, role, code):
    with pytest.raises(AccountError) as refused:
        accounts.add_user(state, name, password, role)
    assert refused.value.code == code
    assert accounts.list_users(state) == []


def test_a_username_is_taken_once(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    with pytest.raises(AccountError) as refused:
        accounts.add_user(state, "ANNA", PASSWORD, "viewer")
    assert refused.value.code == "username_taken"


def test_signing_in_works_with_the_right_password_only(state):
    accounts.add_user(state, "anna", PASSWORD, "reviewer")
    assert accounts.authenticate(state, "Anna", PASSWORD, client="10.0.0.1", now=T0).role == "reviewer"
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(state, "anna", PASSWORD + "!", client="10.0.0.1", now=T0)
    assert (refused.value.reason, refused.value.retry_after) == ("bad_password", 0)


def test_an_unknown_name_costs_a_hash_check_like_a_known_one(state, monkeypatch):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    checks = []

    class Counting(PasswordHasher):
        def verify(self, stored, password):
            checks.append(stored)
            return super().verify(stored, password)

    monkeypatch.setattr(accounts, "password_hasher", Counting(time_cost=1, memory_cost=8, parallelism=1))
    for name in ("nobody", "anna", "<script>alert(1)</script>"):
        with pytest.raises(LoginRefused):
            accounts.authenticate(state, name, "wrong password!", client="10.0.0.2", now=T0)
    assert len(checks) == 3 and all(c.startswith("$argon2id$") for c in checks)


def test_a_disabled_account_cannot_sign_in_even_with_its_password(state):
    accounts.add_user(state, "admin", PASSWORD, "admin")
    accounts.add_user(state, "anna", PASSWORD, "editor")
    accounts.disable(state, "anna", actor="admin")
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(state, "anna", PASSWORD, client="10.0.0.3", now=T0)
    assert refused.value.reason == "disabled"
    accounts.enable(state, "anna", actor="admin")
    assert accounts.authenticate(state, "anna", PASSWORD, client="10.0.0.3", now=T0).username == "anna"


def test_the_audit_log_records_why_a_sign_in_failed_but_never_the_password(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    secret = "my-secret-guess-1234"
    for name in ("anna", "nobody"):
        with pytest.raises(LoginRefused):
            accounts.authenticate(state, name, secret, client="10.0.0.4", now=T0)
    accounts.authenticate(state, "anna", PASSWORD, client="10.0.0.4", now=T0)
    log = audit.entries(state, actions=["login."])
    assert [(e.action, e.target, e.detail.get("reason")) for e in reversed(log)] == [
        ("login.failure", "anna", "bad_password"), ("login.failure", "nobody", "unknown_user"),
        ("login.success", "anna", None)]
    assert all(e.client == "10.0.0.4" for e in log)
    with state.session() as session:
        everything = json.dumps([[r.actor, r.action, r.target, r.client, r.detail] for r in session.scalars(
            select(AuditEntry))])
    assert secret not in everything and PASSWORD not in everything


def test_an_audit_detail_never_takes_a_secret_and_long_texts_are_cut(state):
    with pytest.raises(ValueError, match="never records a secret"):
        audit.record(state, "anna", "change.submit", "x", password="hunter2")
    audit.record(state, "a" * 500, "change.submit", "t" * 1000, "10.0.0.5", note="n" * 5000)
    entry = audit.entries(state, actions=["change.submit"])[0]
    assert len(entry.actor) == 64 and len(entry.target) == 255 and len(entry.detail["note"]) == 200


def test_five_failures_make_the_account_wait_and_say_how_long(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    for minute in range(5):
        with pytest.raises(LoginRefused) as refused:
            accounts.authenticate(state, "anna", "wrong password!", client=f"10.1.0.{minute}",
                                  now=T0 + timedelta(minutes=minute))
    assert refused.value.retry_after == 15 * 60 - 4 * 60, "the fifth failure already says when to try again"
    later = T0 + timedelta(minutes=5)
    with pytest.raises(LoginRefused) as refused:  # even the right password, from another address
        accounts.authenticate(state, "anna", PASSWORD, client="10.1.0.99", now=later)
    assert (refused.value.reason, refused.value.retry_after) == ("rate_limited", 10 * 60)
    # once the first failure is 15 minutes old, one more try is allowed
    assert accounts.authenticate(state, "anna", PASSWORD, client="10.1.0.99",
                                 now=T0 + timedelta(minutes=15)).username == "anna"


def test_a_success_clears_the_accounts_count_but_not_the_clients(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    client = "192.0.2.7"
    for i in range(4):
        with pytest.raises(LoginRefused):
            accounts.authenticate(state, "anna", "wrong password!", client=client, now=T0 + timedelta(seconds=i))
    accounts.authenticate(state, "anna", PASSWORD, client=client, now=T0 + timedelta(seconds=10))
    with pytest.raises(LoginRefused) as refused:  # the account's count began again at the success
        accounts.authenticate(state, "anna", "wrong password!", client=client, now=T0 + timedelta(seconds=11))
    assert refused.value.reason == "bad_password" and refused.value.retry_after == 0
    # the client's count did not: 5 so far, 15 more (on other names) and it waits, whatever account it tries
    for i in range(15):
        with pytest.raises(LoginRefused) as refused:
            accounts.authenticate(state, f"guess{i}", "wrong password!", client=client,
                                  now=T0 + timedelta(seconds=20 + i))
    assert refused.value.retry_after > 0
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(state, "anna", PASSWORD, client=client, now=T0 + timedelta(seconds=60))
    assert refused.value.reason == "rate_limited"
    assert accounts.authenticate(state, "anna", PASSWORD, client="192.0.2.8",
                                 now=T0 + timedelta(seconds=60)).username == "anna", "another client may"


def test_an_ipv6_client_is_counted_by_its_64_network():
    assert accounts.client_key("2001:db8:1:2:aaaa::1") == accounts.client_key("2001:db8:1:2:bbbb::9") == \
        "2001:db8:1:2::/64"
    assert accounts.client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert accounts.client_key("198.51.100.3") == "198.51.100.3"
    assert accounts.client_key("") == "unknown"


def test_old_failures_are_deleted(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    with pytest.raises(LoginRefused):
        accounts.authenticate(state, "anna", "wrong password!", client="10.2.0.1", now=T0)
    with pytest.raises(LoginRefused):
        accounts.authenticate(state, "anna", "wrong password!", client="10.2.0.1", now=T0 + timedelta(days=2))
    with state.session() as session:
        assert list(session.scalars(select(LoginFailure.at))) == [T0 + timedelta(days=2)]


def test_a_hash_with_old_parameters_is_replaced_at_the_next_sign_in(state, monkeypatch):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(accounts, "password_hasher", stronger)
    account = accounts.authenticate(state, "anna", PASSWORD, client="10.3.0.1", now=T0)
    with state.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "anna"))
    assert not stronger.check_needs_rehash(stored) and "m=16,t=2" in stored
    assert account.username == "anna"
    assert audit.entries(state, actions=["login.success"])[0].detail.get("rehashed") is True


def test_the_last_admin_can_neither_be_demoted_nor_disabled_and_nobody_disables_themselves(state):
    accounts.add_user(state, "root", PASSWORD, "admin")
    for change in (lambda: accounts.set_role(state, "root", "editor"), lambda: accounts.disable(state, "root")):
        with pytest.raises(AccountError) as refused:
            change()
        assert refused.value.code == "last_admin"
    accounts.add_user(state, "second", PASSWORD, "admin")
    with pytest.raises(AccountError) as refused:
        accounts.disable(state, "second", actor="second")
    assert refused.value.code == "own_account"
    assert accounts.set_role(state, "root", "reviewer", actor="second").role == "reviewer"
    log = audit.entries(state, actions=["user."])
    assert (log[0].action, log[0].actor, log[0].target, log[0].detail) == (
        "user.role", "second", "root", {"before": "admin", "after": "reviewer"})


def test_changes_to_unknown_accounts_say_so(state):
    for change in (lambda: accounts.set_role(state, "ghost", "editor"), lambda: accounts.disable(state, "ghost"),
                   lambda: accounts.enable(state, "ghost"), lambda: accounts.set_password(state, "ghost", PASSWORD)):
        with pytest.raises(AccountError) as refused:
            change()
        assert refused.value.code == "no_such_user"


# ------------------------------------------------------------------ sessions

IDLE = timedelta(minutes=30)


def test_a_session_lives_while_used_and_ends_after_the_idle_time(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    session_id = accounts.begin_session(state, "anna", now=T0)
    moment = T0
    for _ in range(5):  # a request every 25 minutes keeps it alive, past the idle time twice over
        moment += timedelta(minutes=25)
        assert accounts.resolve_session(state, session_id, idle=IDLE, now=moment).username == "anna"
    assert accounts.resolve_session(state, session_id, idle=IDLE, now=moment + IDLE + timedelta(seconds=1)) is None
    assert accounts.resolve_session(state, session_id, idle=IDLE, now=moment) is None, "an ended session stays ended"


def test_the_last_seen_time_is_written_at_most_once_a_minute(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    session_id = accounts.begin_session(state, "anna", now=T0)
    accounts.resolve_session(state, session_id, idle=IDLE, now=T0 + timedelta(seconds=30))
    from graph.workspace.models import WebSession
    with state.session() as session:
        assert session.scalar(select(WebSession.seen_at)) == T0
    accounts.resolve_session(state, session_id, idle=IDLE, now=T0 + timedelta(seconds=61))
    with state.session() as session:
        assert session.scalar(select(WebSession.seen_at)) == T0 + timedelta(seconds=61)
        assert session_id not in json.dumps([list(r) for r in session.execute(select(WebSession.id))]), \
            "the database keeps only a digest of the session id"


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    session_id = accounts.begin_session(state, "anna", now=T0)
    moment = T0
    while moment < T0 + timedelta(hours=11, minutes=50):
        moment += timedelta(minutes=20)
        assert accounts.resolve_session(state, session_id, idle=IDLE, now=moment) is not None
    assert accounts.resolve_session(state, session_id, idle=IDLE, now=T0 + timedelta(hours=12, seconds=1)) is None


@pytest.mark.parametrize("change", ["role", "disable", "password", "logout", "all"])
def test_a_session_ends_with_a_role_change_disabling_a_new_password_and_logout(state, change):
    accounts.add_user(state, "root", PASSWORD, "admin")
    accounts.add_user(state, "anna", PASSWORD, "editor")
    session_id = accounts.begin_session(state, "anna", now=T0)
    other = accounts.begin_session(state, "root", now=T0)
    {"role": lambda: accounts.set_role(state, "anna", "reviewer", actor="root"),
     "disable": lambda: accounts.disable(state, "anna", actor="root"),
     "password": lambda: accounts.set_password(state, "anna", PASSWORD + "2", actor="root"),
     "logout": lambda: accounts.end_session(state, session_id, now=T0),
     "all": lambda: accounts.end_sessions(state, "anna")}[change]()
    assert accounts.resolve_session(state, session_id, idle=IDLE, now=T0 + timedelta(seconds=5)) is None
    assert accounts.resolve_session(state, other, idle=IDLE, now=T0 + timedelta(seconds=5)) is not None


def test_a_new_session_ends_the_one_it_replaces(state):
    accounts.add_user(state, "anna", PASSWORD, "editor")
    first = accounts.begin_session(state, "anna", now=T0)
    second = accounts.begin_session(state, "anna", now=T0, replaces=first)
    assert first != second
    assert accounts.resolve_session(state, first, idle=IDLE, now=T0) is None
    assert accounts.resolve_session(state, second, idle=IDLE, now=T0) is not None
    assert accounts.resolve_session(state, "made-up-session-id-000000000000", idle=IDLE, now=T0) is None


# ------------------------------------------------------------------ single sign-on

ISSUER = "https://login.example.org"


def test_a_provider_sign_in_makes_an_account_with_the_default_role_once(state):
    first = accounts.sign_in_with_provider(state, ISSUER, "sub-1", "Bernd.Meier", "Bernd Meier",
                                           default_role="viewer", client="10.4.0.1", now=T0)
    assert (first.username, first.role, first.display_name, first.has_password, first.single_sign_on) == (
        "bernd.meier", "viewer", "Bernd Meier", False, True)
    again = accounts.sign_in_with_provider(state, ISSUER, "sub-1", "renamed", "", default_role="editor", now=T0)
    assert again.username == "bernd.meier" and again.role == "viewer", "found by its subject, role kept"
    with pytest.raises(LoginRefused) as refused:  # a provider account has no password to sign in with
        accounts.authenticate(state, "bernd.meier", "", client="10.4.0.1", now=T0)
    assert refused.value.reason == "no_password"


def test_a_provider_sign_in_uses_the_account_an_admin_made_for_that_name(state):
    accounts.add_user(state, "carla", PASSWORD, "reviewer")
    account = accounts.sign_in_with_provider(state, ISSUER, "sub-2", "carla", "Carla", default_role="viewer", now=T0)
    assert (account.username, account.role, account.single_sign_on) == ("carla", "reviewer", True)
    with pytest.raises(LoginRefused) as refused:  # another person of the provider with the same name
        accounts.sign_in_with_provider(state, ISSUER, "sub-3", "carla", "", default_role="viewer", now=T0)
    assert refused.value.reason == "oidc_conflict"


def test_a_disabled_account_is_refused_through_the_provider_too(state):
    accounts.add_user(state, "root", PASSWORD, "admin")
    accounts.sign_in_with_provider(state, ISSUER, "sub-4", "dora", "", default_role="editor", now=T0)
    accounts.disable(state, "dora", actor="root")
    with pytest.raises(LoginRefused) as refused:
        accounts.sign_in_with_provider(state, ISSUER, "sub-4", "dora", "", default_role="editor", now=T0)
    assert refused.value.reason == "disabled"


def test_a_provider_name_that_is_no_valid_username_gets_one_from_the_subject(state):
    account = accounts.sign_in_with_provider(state, ISSUER, "sub-5", "<script>alert(1)</script>", "",
                                             default_role="viewer", now=T0)
    assert account.username.startswith("sso-") and accounts.USERNAME.fullmatch(account.username)


# ------------------------------------------------------------------ kg users

def _kg(state_dir: Path, *args: str, input: str | None = None):
    from graph.cli import app

    return CliRunner().invoke(app, ["users", *args], input=input, env={"HKI_STATE_DIR": str(state_dir),
                                                                       "HKI_EDITING": "true", "COLUMNS": "200"})


def test_kg_users_add_list_set_role_disable(tmp_path):
    folder = tmp_path / "state"
    added = _kg(folder, "add", "Anna", "--role", "admin", "--name", "Anna Schmidt", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "added anna (admin)" in added.output
    assert _kg(folder, "add", "bernd", "--role", "editor", input=PASSWORD + "\n").exit_code == 0
    listed = _kg(folder, "list", "--format", "json")
    assert [(a["username"], a["role"], a["disabled"]) for a in json.loads(listed.stdout)] == [
        ("anna", "admin", False), ("bernd", "editor", False)]
    assert "anna" in _kg(folder, "list").output
    assert _kg(folder, "set-role", "bernd", "reviewer").exit_code == 0
    assert _kg(folder, "disable", "bernd").exit_code == 0
    assert _kg(folder, "enable", "bernd").exit_code == 0
    assert _kg(folder, "set-password", "bernd", input="another long password\n").exit_code == 0
    state = open_state(Settings(state_dir=folder))
    assert accounts.authenticate(state, "bernd", "another long password", client="10.5.0.1").role == "reviewer"
    assert [e.action for e in reversed(audit.entries(state, actions=["user."]))] == [
        "user.add", "user.add", "user.role", "user.disable", "user.enable", "user.password"]
    assert {e.actor for e in audit.entries(state, actions=["user."])} == {"kg"}


@pytest.mark.parametrize("stdin, message", [("", "no default password"), ("\n", "no default password"),
                                            ("short\n", "at least 12")])
def test_kg_users_add_refuses_an_empty_or_short_password(tmp_path, stdin, message):
    result = _kg(tmp_path / "state", "add", "anna", "--role", "admin", input=stdin)
    assert result.exit_code == 2 and message in " ".join(result.output.split())
    assert json.loads(_kg(tmp_path / "state", "list", "--format", "json").stdout) == []


def test_kg_users_refuses_unknown_roles_accounts_and_the_last_admins_removal(tmp_path):
    folder = tmp_path / "state"
    assert _kg(folder, "add", "anna", "--role", "chief", input=PASSWORD + "\n").exit_code == 2
    assert _kg(folder, "add", "anna", input=PASSWORD + "\n").exit_code == 2, "--role is required"
    assert _kg(folder, "add", "anna", "--role", "admin", input=PASSWORD + "\n").exit_code == 0
    for args in (("set-role", "ghost", "editor"), ("disable", "anna"), ("set-role", "anna", "viewer")):
        result = _kg(folder, *args)
        assert result.exit_code == 2 and "nothing was changed" in " ".join(result.output.split()), args


def test_the_kg_console_script_reads_the_password_from_a_pipe(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HKI_")}
    environ.update({"HKI_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"})
    done = subprocess.run([str(KG), "users", "add", "root", "--role", "admin"], input=PASSWORD + "\n",
                          capture_output=True, text=True, env=environ, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "editing is off" in done.stdout, "it says how to let the account sign in"
    state = open_state(Settings(state_dir=tmp_path / "state"))
    with state.session() as session:
        stored = session.scalar(select(User.password_hash))
    assert PasswordHasher().verify(stored, PASSWORD) and not PasswordHasher().check_needs_rehash(stored), \
        "the console script hashes with the shipped (default) parameters"
