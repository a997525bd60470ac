"""`omc status`, `omc config` and `omc db` against real databases."""

from __future__ import annotations

import json

import pytest

from omc import schema


def test_status_on_a_fresh_home_creates_and_migrates_the_embedded_database(
    cli, isolated_environment
):
    assert not isolated_environment.exists()
    result = cli("status", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["home"] == str(isolated_environment)
    assert report["database"]["url"] == f"sqlite:///{isolated_environment / 'omc.sqlite3'}"
    assert report["database"]["reachable"] is True
    assert report["database"]["at_head"] is True
    assert report["database"]["current_revision"] == schema.head_revision()
    assert report["redis"] == {"configured": False, "url": None, "reachable": None, "error": None}
    assert report["user"] == "tester"
    assert report["ledgers"]["rows"]["price_data_5min"] == 0
    assert report["ledgers"]["state"].startswith("0 price bars (0 coins); on_chain_metrics 0")
    assert (isolated_environment / "omc.sqlite3").is_file()
    assert oct(isolated_environment.stat().st_mode & 0o777) == "0o700"


def test_status_table_for_people(cli, isolated_environment):
    result = cli("status")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "omc status"
    assert any(line.split() == ["at", "head", "yes"] for line in lines)
    assert any(line.split()[:4] == ["daemon", "collector", "never", "started"] for line in lines)


def test_status_on_postgresql_behind_head_tells_the_operator_to_upgrade(cli, database_url):
    if not database_url.startswith("postgresql"):
        return
    result = cli("status", "--json", env={"OMC_DATABASE_URL": database_url})
    assert result.exit_code == 69
    report = json.loads(result.stdout)
    assert report["database"]["reachable"] is True
    assert report["database"]["at_head"] is False
    assert report["database"]["error"] == "schema behind head: run `omc db upgrade`"


def test_db_upgrade_then_current_on_both_databases(cli, database_url):
    env = {"OMC_DATABASE_URL": database_url}
    result = cli("db", "current", env=env)
    assert result.exit_code == 75
    head = schema.head_revision()
    result = cli("db", "upgrade", env=env)
    assert result.exit_code == 0
    assert result.stdout == f"schema upgraded: empty -> {head}\n"
    result = cli("db", "current", "--json", env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"current": head, "head": head, "at_head": True}
    result = cli("db", "upgrade", env=env)
    assert result.stdout == f"schema already at {head}\n"


def test_db_downgrade_asks_and_honours_no(cli, database_url):
    env = {"OMC_DATABASE_URL": database_url}
    cli("db", "upgrade", env=env)
    result = cli("db", "downgrade", "base", input="n\n", env=env)
    assert result.exit_code == 64
    assert cli("db", "current", env=env).exit_code == 0
    result = cli("db", "downgrade", "base", "--yes", env=env)
    assert result.exit_code == 0
    assert result.stdout.endswith("-> empty\n")


def test_postgresql_commands_refuse_a_schema_behind_head(database_url, monkeypatch):
    """A command that needs tables on a server database says to upgrade; it never migrates."""
    if not database_url.startswith("postgresql"):
        return
    from omc.errors import SchemaOutOfDate
    from omc.runtime import open_runtime

    monkeypatch.setenv("OMC_DATABASE_URL", database_url)
    runtime = open_runtime()
    try:
        with pytest.raises(SchemaOutOfDate, match="run `omc db upgrade`"):
            runtime.engine()
        assert schema.current_revision(runtime.engine(check_schema=False)) is None
    finally:
        runtime.close()


def test_config_show_json_lists_sources(cli):
    result = cli("config", "show", "--json", env={"OMC_LOG_LEVEL": "warning"})
    assert result.exit_code == 0
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["log_level"] == {
        "name": "log_level",
        "value": "WARNING",
        "source": "env OMC_LOG_LEVEL",
    }
    assert rows["database_url"]["source"] == "default (SQLite file in home)"


def test_config_path_shows_both_files(cli, tmp_path):
    result = cli("config", "path", "--json")
    data = json.loads(result.stdout)
    assert data["user_file"] == str(tmp_path / "config" / "omc" / "config.toml")
    assert data["system_file"] == str(tmp_path / "etc" / "omc" / "config.toml")
    assert data["user_file_exists"] is False


@pytest.mark.redis
def test_status_reports_a_reachable_redis(cli, redis_url):
    result = cli("status", "--json", env={"OMC_REDIS_URL": redis_url})
    assert result.exit_code == 0
    assert json.loads(result.stdout)["redis"] == {
        "configured": True,
        "url": redis_url,
        "reachable": True,
        "error": None,
    }


def test_status_reports_an_unreachable_redis_without_its_password(cli):
    result = cli("status", "--json", env={"OMC_REDIS_URL": "redis://:canary-pw@127.0.0.1:1/0"})
    assert result.exit_code == 69
    redis = json.loads(result.stdout)["redis"]
    assert redis["reachable"] is False
    assert redis["url"] == "redis://:***@127.0.0.1:1/0"
    assert "canary-pw" not in result.output
