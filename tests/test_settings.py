"""Settings: layering, provenance, masking and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from omc.errors import ConfigProblem
from omc.settings import describe_settings, load_settings, mask_secret, mask_url


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_put_home_under_xdg_data_home_and_database_in_home(tmp_path, monkeypatch):
    monkeypatch.delenv("OMC_HOME")
    loaded = load_settings()
    assert loaded.settings.home == tmp_path / "data" / "omc"
    assert loaded.settings.effective_database_url == (
        f"sqlite:///{tmp_path / 'data' / 'omc' / 'omc.sqlite3'}"
    )
    assert loaded.origin("home") == "default"


def test_user_file_overrides_system_file_and_env_overrides_both(tmp_path, monkeypatch):
    write(tmp_path / "etc" / "omc" / "config.toml", 'log_level = "ERROR"\nuser = "sys"\n')
    user_file = write(tmp_path / "config" / "omc" / "config.toml", 'log_level = "WARNING"\n')
    monkeypatch.setenv("OMC_USER", "from-env")
    loaded = load_settings()
    assert loaded.settings.log_level == "WARNING"
    assert loaded.origin("log_level") == str(user_file)
    assert loaded.settings.user == "from-env"
    assert loaded.origin("user") == "env OMC_USER"


def test_command_line_overrides_beat_environment(monkeypatch):
    monkeypatch.setenv("OMC_LOG_LEVEL", "ERROR")
    loaded = load_settings(overrides={"log_level": "debug"})
    assert loaded.settings.log_level == "DEBUG"
    assert loaded.origin("log_level") == "command line"


def test_corrupt_toml_names_the_file_and_line(tmp_path):
    path = write(tmp_path / "config" / "omc" / "config.toml", 'log_level = "INFO\n')
    with pytest.raises(ConfigProblem) as caught:
        load_settings()
    assert str(path) in caught.value.message
    assert "not valid TOML" in caught.value.message
    assert "line 1" in caught.value.message


def test_unknown_log_level_is_a_config_error_naming_its_source(monkeypatch):
    monkeypatch.setenv("OMC_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigProblem) as caught:
        load_settings()
    assert "log_level (env OMC_LOG_LEVEL)" in caught.value.message
    assert caught.value.exit_code == 78


def test_unknown_database_scheme_is_rejected(monkeypatch):
    monkeypatch.setenv("OMC_DATABASE_URL", "mysql://root@localhost/omc")
    with pytest.raises(ConfigProblem, match="unsupported database URL scheme 'mysql'"):
        load_settings()


def test_unknown_setting_in_file_is_reported(tmp_path):
    write(tmp_path / "config" / "omc" / "config.toml", "log_levle = 'INFO'\n")
    with pytest.raises(ConfigProblem, match=r"log_levle .*unknown setting"):
        load_settings()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_are_normalised_to_the_psycopg_driver(monkeypatch, given, stored):
    monkeypatch.setenv("OMC_DATABASE_URL", given)
    assert load_settings().settings.database_url == stored


def test_config_show_rows_mask_passwords(monkeypatch):
    monkeypatch.setenv("OMC_DATABASE_URL", "postgresql://omc:hunter2-canary@db:5432/omc")
    monkeypatch.setenv("OMC_REDIS_URL", "redis://:redis-canary@cache:6379/0")
    rows = {row["name"]: row for row in describe_settings(load_settings())}
    assert rows["database_url"]["value"] == "postgresql+psycopg://omc:***@db:5432/omc"
    assert rows["redis_url"]["value"] == "redis://:***@cache:6379/0"
    assert "canary" not in repr(rows)


def test_mask_url_leaves_password_free_urls_alone():
    assert mask_url("postgresql+psycopg://postgres@127.0.0.1:5432/test") == (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def test_mask_secret_shows_first_four_and_last_six():
    assert mask_secret("AIzaSyA-1234567890abcdef440000") == "AIza…440000"
    assert mask_secret("short") == "…"


def test_a_webhook_url_is_a_credential_shown_only_by_its_host(monkeypatch):
    from omc.redaction import secrets_in

    hook = "https://hooks.slack.com/services/T000/B000/canary-webhook-token"
    monkeypatch.setenv("OMC_NOTIFY__WEBHOOK_URL", hook)
    loaded = load_settings()
    rows = {row["name"]: row for row in describe_settings(loaded)}
    assert rows["notify.webhook_url"]["value"] == "https://hooks.slack.com/…"
    assert "canary" not in repr(rows)
    assert hook in secrets_in(loaded.settings)
