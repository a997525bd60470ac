"""``omc floor keys``: CoinSpot credentials stored encrypted, shown masked, removed."""

from __future__ import annotations

import json

import pytest

from omc.core.users import get_or_create_user
from omc.floor.credentials import reveal_coinspot
from omc.vault import Vault

KEY = "cs-key-CANARY-0123456789abcdef"
SECRET = "cs-secret-CANARY-fedcba9876543210"


@pytest.fixture
def db(engine, monkeypatch):
    monkeypatch.setenv("OMC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    return engine


def test_set_show_remove_round_trip(cli, db, isolated_environment):
    result = cli("floor", "keys", "set", "--stdin", input=f"{KEY}\n{SECRET}\n")
    assert (result.exit_code, result.stdout) == (
        0,
        "stored: CoinSpot key cs-k…abcdef and its secret, encrypted\n",
    )
    result = cli("floor", "keys", "show", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["key"] == "cs-k…abcdef"
    assert "CANARY" not in result.stdout
    from omc.db import session_scope

    with session_scope(db) as session:
        user = get_or_create_user(session, "tester")
        assert reveal_coinspot(session, Vault(isolated_environment), user.id, purpose="test") == (
            KEY,
            SECRET,
        )
    result = cli("floor", "keys", "remove")
    assert (result.exit_code, result.stdout) == (0, "removed: CoinSpot key and secret erased\n")
    result = cli("floor", "keys", "show")
    assert (result.exit_code, result.stderr) == (
        66,
        "omc: error: no CoinSpot API key is stored; add one with `omc floor keys set`\n",
    )


def test_hidden_prompt_and_empty_secret(cli, db):
    result = cli("floor", "keys", "set", input=f"{KEY}\n\n")
    assert result.exit_code == 64
    assert result.stderr.endswith("omc: error: no CoinSpot API secret given\n")
    assert KEY not in result.output


def test_floor_help_lists_the_trading_commands(cli):
    result = cli("floor", "--help")
    assert result.exit_code == 0
    for command in ("promote", "status", "kill", "decisions", "replay", "keys"):
        assert f" {command} " in result.output
