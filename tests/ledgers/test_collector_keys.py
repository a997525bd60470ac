"""Collector keys in the vault (``omc collect keys``), on real SQLite and PostgreSQL: the CLI's
exact output, sources reading them (settings first), audit rows, rotation, and a canary that
never leaks into listings, logs, run errors or the database's bytes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from omc.core.audit import recent
from omc.core.models import AuditLog
from omc.db import session_scope
from omc.ledgers.credentials.models import SourceCredential
from omc.ledgers.credentials.store import VaultSecrets, reveal_credential, set_credential
from omc.ledgers.glass.nansen import NansenSmartMoney
from omc.ledgers.human.reddit import RedditPosts
from omc.ledgers.runner import run_source
from omc.ledgers.runs import CollectorRun
from omc.settings import load_settings
from omc.vault import Vault, rotate, vault_status
from tests.ledgers.conftest import table_rows
from tests.ledgers.specs import serve_nansen

CANARY = "nk-CANARY-collector-key-0000440000"
NAME = "glass.nansen_api_key"
KNOWN = (
    "glass.nansen_api_key, human.cryptopanic_token, human.reddit_client_id, "
    "human.reddit_client_secret, market.coingecko_api_key"
)


@pytest.fixture
def db(engine, monkeypatch):
    monkeypatch.setenv("OMC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    return engine


def store(engine, home: Path, name: str = NAME, value: str = CANARY) -> None:
    with session_scope(engine) as session:
        set_credential(session, Vault(home), load_settings(), name, value)


def decrypt_audits(engine) -> list[AuditLog]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditLog).where(AuditLog.action == "secret.decrypt").order_by(AuditLog.id)
        )
        return list(rows)


def test_set_list_remove_round_trip_with_exact_output(cli, db, isolated_environment):
    result = cli("collect", "keys", "set", NAME, "--stdin", input=CANARY + "\n")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "stored: glass.nansen_api_key nk-C…440000, encrypted in the vault\n",
        "",
    )
    result = cli("collect", "keys", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    updated = rows[0].pop("updated_at")
    assert updated.startswith("20")
    assert rows == [
        {"name": NAME, "value": "nk-C…440000", "source": "vault", "in_vault": True},
        *(
            {"name": name, "value": None, "source": "not set", "updated_at": None,
             "in_vault": False}
            for name in KNOWN.split(", ")[1:]
        ),
    ]  # fmt: skip
    table = cli("collect", "keys", "list")
    assert table.exit_code == 0
    cells = {tuple(cell.strip() for cell in line.strip("│").split("│"))
             for line in table.stdout.splitlines() if line.startswith("│")}  # fmt: skip
    assert (NAME, "nk-C…440000", "vault", f"{updated[:16].replace('T', ' ')} UTC") in cells
    assert ("human.cryptopanic_token", "-", "not set", "-") in cells
    status = cli("vault", "status", "--json")
    assert json.loads(status.stdout)["secrets"] == 1
    result = cli("collect", "keys", "remove", NAME)
    assert (result.exit_code, result.stdout) == (
        0,
        "removed: glass.nansen_api_key erased from the vault\n",
    )
    result = cli("collect", "keys", "remove", NAME)
    assert (result.exit_code, result.stderr) == (
        66,
        "omc: error: no collector key glass.nansen_api_key is stored; "
        "`omc collect keys list` shows them\n",
    )
    with session_scope(db) as session:
        assert session.get(SourceCredential, NAME) is None
        actions = [entry.action for entry in recent(session, limit=5)]
    assert actions[:2] == ["source_credential.remove", "source_credential.set"]


def test_set_reads_a_named_environment_variable_and_refuses_bad_input(cli, db, monkeypatch):
    monkeypatch.setenv("MY_PANIC_TOKEN", "cp-token-from-env-123456")
    result = cli("collect", "keys", "set", "human.cryptopanic_token", "--env", "MY_PANIC_TOKEN")
    assert (result.exit_code, result.stdout) == (
        0,
        "stored: human.cryptopanic_token cp-t…123456, encrypted in the vault\n",
    )
    result = cli("collect", "keys", "set", "glass.nansen_url", "--stdin", input="x\n")
    assert (result.exit_code, result.stderr) == (
        64,
        f"omc: error: unknown collector key 'glass.nansen_url'; known keys: {KNOWN}\n",
    )
    result = cli("collect", "keys", "set", NAME, "--stdin", input="\n")
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: no glass.nansen_api_key on standard input\n",
    )
    result = cli("collect", "keys", "set", NAME, "--stdin", "--env", "X")
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: give --stdin or --env, not both\n",
    )
    result = cli("collect", "keys", "set", NAME, input="\n")  # the hidden prompt, left empty
    assert result.exit_code == 64
    assert result.stderr.endswith("omc: error: no glass.nansen_api_key given\n")


def test_nansen_runs_with_the_vault_key_sends_it_and_audits_the_decryption(
    cli, db, httpserver, isolated_environment, caplog
):
    caplog.set_level(logging.DEBUG)
    serve_nansen(httpserver)
    assert cli("collect", "keys", "set", NAME, "--stdin", input=CANARY + "\n").exit_code == 0
    sources = json.loads(cli("collect", "sources", "--json").stdout)
    assert next(row for row in sources if row["name"] == "nansen")["configured"] is True
    result = cli(
        "collect", "run", "--source", "nansen", "--json",
        env={"OMC_GLASS__NANSEN_URL": httpserver.url_for("/nansen")},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["rows_inserted"] == 3
    assert [request.headers["apikey"] for request, _ in httpserver.log] == [CANARY, CANARY]
    audits = decrypt_audits(db)
    assert len(audits) == 1  # two pages, one decryption
    assert audits[0].target == "source_credentials:glass.nansen_api_key"
    assert audits[0].detail["purpose"] == "collect nansen"
    assert CANARY not in json.dumps(audits[0].detail)
    assert CANARY not in result.output + caplog.text


def test_canary_never_leaks_into_listings_logs_run_errors_or_database_bytes(
    cli, db, httpserver, isolated_environment, caplog
):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/nansen/smart-money/netflow", method="POST").respond_with_json(
        {"message": f"Invalid API key {CANARY}"}, status=401
    )
    log_file = isolated_environment / "logs" / "test.log"
    from omc.logging_setup import configure_logging

    stored = cli("collect", "keys", "set", NAME, "--stdin", input=CANARY + "\n")
    run = cli(
        "collect", "run", "--source", "nansen", "--json",
        env={"OMC_GLASS__NANSEN_URL": httpserver.url_for("/nansen"),
             "OMC_MARKET__HTTP_ATTEMPTS": "1"},
    )  # fmt: skip
    assert run.exit_code == 69
    assert json.loads(run.stdout)[0]["error"] == (
        "nansen /smart-money/netflow: HTTP 401: Invalid API key ***"
    )
    configure_logging("DEBUG", log_file=log_file)  # the daemon's handler and filter
    logging.getLogger("omc.test").error("a library echoed %s", CANARY)
    listing, as_json = cli("collect", "keys", "list"), cli("collect", "keys", "list", "--json")
    status = cli("collect", "status", "--json")
    for result in (stored, run, listing, as_json, status):
        assert CANARY not in result.output
    assert CANARY not in caplog.text
    logged = log_file.read_text()
    assert "a library echoed ***" in logged
    assert CANARY not in logged
    errors = [row.error for row in table_rows(db, CollectorRun.__table__)]
    assert errors == ["nansen /smart-money/netflow: HTTP 401: Invalid API key ***"]

    with db.connect() as connection:
        if db.dialect.name == "postgresql":
            tables = sa.inspect(connection).get_table_names()
            dump = "".join(
                str(row)
                for table in tables
                for row in connection.execute(
                    sa.text(f'SELECT row_to_json(t) FROM "{table}" t')  # noqa: S608 (own table names)
                )
            )
            assert "source_credentials:glass.nansen_api_key" in dump  # the dump holds the rows
            assert CANARY not in dump
    if db.dialect.name == "sqlite":
        db.dispose()
        database = Path(db.url.database)
        blob = b"".join(p.read_bytes() for p in [database, *database.parent.glob("*-wal")])
        assert b"glass.nansen_api_key" in blob
        assert CANARY.encode() not in blob
    configure_logging("WARNING")


def test_an_explicit_setting_wins_over_the_vault(cli, db, httpserver, isolated_environment):
    serve_nansen(httpserver)
    store(db, isolated_environment)
    env_key = "nk-from-environment-999999"
    env = {"OMC_GLASS__NANSEN_URL": httpserver.url_for("/nansen"),
           "OMC_GLASS__NANSEN_API_KEY": env_key}  # fmt: skip
    result = cli("collect", "run", "--source", "nansen", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert {request.headers["apikey"] for request, _ in httpserver.log} == {env_key}
    assert decrypt_audits(db) == []  # the vault was not even opened
    row = json.loads(cli("collect", "keys", "list", "--json").stdout)[0]
    assert (row["value"], row["source"], row["in_vault"]) == (
        "nk-f…999999",
        "env OMC_GLASS__NANSEN_API_KEY",
        True,
    )
    result = cli("collect", "keys", "set", NAME, "--stdin", input=CANARY + "\n")
    assert result.exit_code == 0
    assert result.stderr == (
        "note: glass.nansen_api_key is also set by env OMC_GLASS__NANSEN_API_KEY, which wins "
        "over the vault; remove it there to use the stored key\n"
    )


def test_no_setting_and_no_vault_key_is_not_configured(engine, ledger_ctx, isolated_environment):
    ctx = ledger_ctx()
    ctx.vault_secrets = VaultSecrets(engine, Vault(isolated_environment))
    result = run_source(engine, ctx, NansenSmartMoney())
    assert (result.status, result.error) == ("skipped", "not configured: set glass.nansen_api_key")
    assert ctx.secret(NAME) is None


def test_each_run_decrypts_a_key_at_most_once_and_reddit_reads_both_from_the_vault(
    engine, ledger_ctx, isolated_environment
):
    store(engine, isolated_environment, "human.reddit_client_id", "reddit-app-id-0001")
    store(engine, isolated_environment, "human.reddit_client_secret", "reddit-app-SECRET-0002")
    ctx = ledger_ctx()
    ctx.vault_secrets = VaultSecrets(engine, Vault(isolated_environment))
    from omc.ledgers.human.reddit import client_credentials

    run = ctx.for_run("collect reddit")
    assert client_credentials(run) == ("reddit-app-id-0001", "reddit-app-SECRET-0002")
    assert client_credentials(run) == ("reddit-app-id-0001", "reddit-app-SECRET-0002")
    assert len(decrypt_audits(engine)) == 2
    client_credentials(ctx.for_run("collect reddit"))  # the next run decrypts again
    assert len(decrypt_audits(engine)) == 4
    assert RedditPosts.secret_settings == ("human.reddit_client_id", "human.reddit_client_secret")


def test_the_daemon_plans_a_source_whose_key_is_only_in_the_vault(engine, isolated_environment):
    from omc.daemon.scheduler import plan_jobs

    settings = load_settings().settings
    store(engine, isolated_environment)
    stored = VaultSecrets(engine, Vault(isolated_environment)).names()
    assert stored == {NAME}
    plans = {plan.source.name: plan for plan in plan_jobs(settings, stored)}
    assert plans["nansen"].enabled is True
    assert plans["cryptopanic"].reason == "not configured: human.cryptopanic_token"


def test_rotation_re_encrypts_collector_keys_too(engine, isolated_environment):
    store(engine, isolated_environment)
    vault = Vault(isolated_environment)
    old = vault.keyring().primary.key_id
    result = rotate(engine, vault)
    assert (result.secrets, result.retired) == (1, (old,))
    fresh = Vault(isolated_environment)
    with session_scope(engine) as session:
        row = session.get(SourceCredential, NAME)
        assert row.encryption_key_id == result.key_id
        assert reveal_credential(session, fresh, NAME, purpose="test") == CANARY
        assert vault_status(session, fresh)["secrets_by_version"] == {"v2": 1}


def test_a_secret_in_a_config_file_is_warned_about_by_config_show_and_status(cli, db, tmp_path):
    config = tmp_path / "config" / "omc" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[glass]\nnansen_api_key = "{CANARY}"\n')
    warning = (
        f"warning: glass.nansen_api_key is set in config file {config}, which must not hold "
        "secrets: store it with `omc collect keys set glass.nansen_api_key` and delete it from "
        "the file\n"
    )
    result = cli("config", "show", "--json")
    assert (result.exit_code, result.stderr) == (0, warning)
    assert CANARY not in result.stdout
    result = cli("status")
    assert result.exit_code == 0, result.output
    assert f"! {warning}" in result.stdout
    assert json.loads(cli("status", "--json").stdout)["warnings"] == [warning.rstrip("\n")]
    row = json.loads(cli("collect", "keys", "list", "--json").stdout)[0]
    assert (row["source"], row["value"]) == (str(config), "nk-C…440000")
    assert config.read_text() == f'[glass]\nnansen_api_key = "{CANARY}"\n'  # never rewritten
