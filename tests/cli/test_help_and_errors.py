"""The CLI shell: help, version, and one clear line plus an exit code for every bad input."""

from __future__ import annotations

import pytest

import omc

GROUPS = [
    "collect", "data", "backtest", "lab", "algo", "llm", "floor", "vault", "daemon", "db",
    "config", "status",
]  # fmt: skip


def test_root_help_lists_every_command_group_with_a_description(cli):
    result = cli("--help")
    assert result.exit_code == 0
    lines = {line.strip("│ ").split(" ", 1)[0]: line for line in result.output.splitlines()}
    for group in GROUPS:
        assert len(lines[group].strip("│ ").split(" ", 1)[1].strip()) > 20, group


def test_version_prints_the_package_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output == f"omc {omc.__version__}\n"


def test_a_group_not_built_yet_says_so_and_exits_69():
    import typer
    from typer.testing import CliRunner

    from omc.cli.later import placeholder_group
    from omc.cli.main import OmcGroup

    root = typer.Typer(cls=OmcGroup)
    root.add_typer(placeholder_group("later", "A later part", "a later release"), name="later")
    root.command("other")(lambda: None)
    result = CliRunner().invoke(root, ["later"])
    assert result.exit_code == 69
    assert result.stderr.startswith("omc: error: `omc later` is not available yet")


def test_every_command_has_help_with_examples(cli):
    for args in (
        ["db", "upgrade"],
        ["db", "current"],
        ["db", "downgrade"],
        ["config", "show"],
        ["config", "path"],
        ["status"],
        ["vault", "status"],
        ["vault", "rotate"],
        ["llm", "add"],
        ["llm", "list"],
        ["llm", "default"],
        ["llm", "test"],
        ["llm", "remove"],
        ["llm", "usage"],
        ["floor", "keys", "set"],
        ["floor", "keys", "show"],
        ["floor", "keys", "remove"],
        ["collect", "start"],
        ["collect", "stop"],
        ["collect", "restart"],
        ["collect", "status"],
        ["daemon", "run"],
        ["daemon", "install"],
        ["lab", "recipe"],
        ["algo", "list"],
        ["algo", "show"],
        ["algo", "report"],
        ["algo", "reproduce"],
        ["algo", "retire"],
    ):
        result = cli(*args, "--help")
        assert result.exit_code == 0, args
        assert "Examples" in result.output, args


def test_unknown_database_scheme_exits_78_with_one_line(cli):
    result = cli("status", env={"OMC_DATABASE_URL": "mysql://root@localhost/omc"})
    assert result.exit_code == 78
    assert result.stderr == (
        "omc: error: invalid settings: database_url (env OMC_DATABASE_URL): unsupported database "
        "URL scheme 'mysql'; use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB\n"
    )
    assert "Traceback" not in result.output


def test_unreachable_postgresql_exits_69_without_hanging_or_leaking_password(cli):
    result = cli(
        "db",
        "current",
        env={"OMC_DATABASE_URL": "postgresql://omc:canary-pw@127.0.0.1:1/omc"},
    )
    assert result.exit_code == 69
    assert result.stderr.startswith(
        "omc: error: cannot connect to the database postgresql+psycopg://omc:***@127.0.0.1:1/omc"
    )
    assert "canary-pw" not in result.output


def test_unwritable_home_exits_73(cli, tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    result = cli("db", "upgrade", env={"OMC_HOME": str(blocker / "omc")})
    assert result.exit_code == 73
    assert result.stderr.startswith(f"omc: error: cannot create OMC_HOME {blocker / 'omc'}")


def test_corrupt_config_exits_78_naming_the_file(cli, tmp_path):
    config = tmp_path / "config" / "omc" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[broken\n")
    result = cli("config", "show")
    assert result.exit_code == 78
    assert result.stderr.startswith(f"omc: error: config file {config} is not valid TOML")


def test_unknown_log_level_exits_78(cli):
    result = cli("status", env={"OMC_LOG_LEVEL": "chatty"})
    assert result.exit_code == 78
    assert "log_level (env OMC_LOG_LEVEL)" in result.stderr


def test_debug_flag_shows_the_traceback(cli):
    from omc.errors import ConfigProblem

    with pytest.raises(ConfigProblem):
        cli("--debug", "status", env={"OMC_LOG_LEVEL": "chatty"})


def test_unknown_revision_is_a_usage_error(cli):
    result = cli("db", "downgrade", "nonsense", "--yes")
    assert result.exit_code == 64
    assert result.stderr == "omc: error: unknown schema revision 'nonsense'\n"
