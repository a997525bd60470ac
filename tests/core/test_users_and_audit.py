"""The local user is created on first use; audit rows are written and read per user."""

from __future__ import annotations

import datetime as dt

import pytest

from omc.core import audit
from omc.core.users import get_or_create_user, resolve_username
from omc.errors import UsageProblem


def test_first_use_creates_the_user_once(session):
    first = get_or_create_user(session, "alice")
    second = get_or_create_user(session, "alice")
    assert first.id == second.id
    assert first.created_at.tzinfo == dt.UTC


def test_username_defaults_to_the_os_login(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "trader")
    assert resolve_username(None) == "trader"
    assert resolve_username("bob") == "bob"


def test_invalid_username_is_a_usage_problem():
    with pytest.raises(UsageProblem, match="invalid user name"):
        resolve_username("rm -rf /")


def test_audit_rows_are_filtered_by_user_and_newest_first(session):
    alice = get_or_create_user(session, "alice")
    bob = get_or_create_user(session, "bob")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    audit.record(session, "llm.decrypt", user_id=alice.id, occurred_at=start)
    audit.record(session, "llm.decrypt", user_id=bob.id, occurred_at=start)
    audit.record(
        session,
        "floor.promote",
        user_id=alice.id,
        target="algo-1",
        detail={"mode": "paper"},
        occurred_at=start + dt.timedelta(minutes=1),
    )
    rows = audit.recent(session, user_id=alice.id)
    assert [row.action for row in rows] == ["floor.promote", "llm.decrypt"]
    assert rows[0].detail == {"mode": "paper"}
    assert len(audit.recent(session)) == 3


def test_runtime_user_id_creates_the_configured_user(cli, isolated_environment):
    from omc.runtime import open_runtime

    runtime = open_runtime()
    try:
        first = runtime.user_id()
        assert runtime.user_id() == first
        assert runtime.username == "tester"
    finally:
        runtime.close()
