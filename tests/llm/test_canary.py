"""A canary key never shows up in logs, errors, listings, argv, or the database's bytes."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.llm.conftest import CANARY, openai_completion, openai_error


def test_canary_never_leaks_on_either_database(
    cli, db_env, engine, httpserver, openai_url, caplog, isolated_environment
):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_ordered_request("/v1/chat/completions").respond_with_json(
        openai_error(401, f"Incorrect API key provided: {CANARY}"), status=401
    )
    httpserver.expect_ordered_request("/v1/chat/completions").respond_with_json(openai_completion())
    args = ["llm", "add", "--provider", "openai", "--model", "gpt-4o-mini",
            "--base-url", openai_url, "--api-key-stdin"]  # fmt: skip
    refused = cli(*args, input=CANARY + "\n")
    assert refused.exit_code == 64
    stored = cli(*args, input=CANARY + "\n")
    assert stored.exit_code == 0, stored.output
    listing = cli("llm", "list")
    as_json = cli("llm", "list", "--json")
    status = cli("vault", "status", "--json")
    for result in (refused, stored, listing, as_json, status):
        assert CANARY not in result.output
    assert all(CANARY not in arg for arg in args)
    assert CANARY not in caplog.text

    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            tables = sa.inspect(connection).get_table_names()
            dump = "".join(
                str(row)
                for table in tables
                for row in connection.execute(
                    sa.text(f'SELECT row_to_json(t) FROM "{table}" t')  # noqa: S608 (own table names)
                )
            )
            assert "user_llm_credentials" in tables
            assert "gpt-4o-mini" in dump  # the dump does hold the rows
            assert CANARY not in dump
    if engine.dialect.name == "sqlite":
        engine.dispose()
        database = Path(engine.url.database)
        files = [database, *database.parent.glob(database.name + "-*")]
        blob = b"".join(path.read_bytes() for path in files)
        assert b"gpt-4o-mini" in blob
        assert CANARY.encode() not in blob


def test_real_process_reads_the_key_from_stdin_and_its_argv_stays_clean(
    db_env, isolated_environment, tmp_path
):
    """Runs the installed entry point as a separate process: the key goes in on stdin only."""
    argv = [sys.executable, "-m", "omc", "llm", "add", "--provider", "openai",
            "--model", "gpt-4o-mini", "--api-key-stdin", "--no-validate"]  # fmt: skip
    completed = subprocess.run(
        argv, input=CANARY + "\n", capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert CANARY not in " ".join(argv)
    assert CANARY not in completed.stdout + completed.stderr
    assert "sk-C…2f3c4d" in completed.stdout
