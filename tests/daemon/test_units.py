"""systemd units: the hardening options are present, and the rendered units verify."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from omc.daemon.units import UNIT_ROLES, render_units, units_dir
from omc.settings import load_settings

HARDENING = {
    "Type": "notify",
    "Restart": "on-failure",
    "User": "omc",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "StateDirectory": "omc",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
}
PRESENT = ("WatchdogSec", "MemoryMax", "LoadCredential", "ExecStart", "TimeoutStopSec")


def options(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("name", sorted(UNIT_ROLES.values()))
def test_unit_files_carry_the_hardening_options(name):
    unit = options((units_dir() / name).read_text())
    for key, value in HARDENING.items():
        assert unit.get(key) == [value], key
    for key in PRESENT:
        assert key in unit, key
    assert unit["LoadCredential"] == ["omc-master-key:/etc/omc/master.key"]
    role = name.removeprefix("omc-").removesuffix(".service")
    assert unit["ExecStart"][0].endswith(f"omc daemon run --role {role}")


def test_rendered_units_run_this_installation_and_user_units_drop_system_only_options():
    loaded = load_settings()
    system = render_units(loaded.settings, loaded.files, user=False)
    user = render_units(loaded.settings, loaded.files, user=True)
    assert set(system) == set(UNIT_ROLES.values())
    collector = options(user["omc-collector.service"])
    assert collector["ExecStart"][0].split()[0].endswith("/omc")
    assert Path(collector["ExecStart"][0].split()[0]).is_file()
    assert f"OMC_HOME={loaded.settings.home}" in collector["Environment"]
    assert "User" not in collector
    assert collector["WantedBy"] == ["default.target"]
    assert options(system["omc-collector.service"])["User"] == ["omc"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("user", [False, True], ids=["system", "user"])
def test_systemd_analyze_verify_accepts_the_rendered_units(cli, tmp_path, user):
    scope = "--user" if user else "--system"
    result = cli("daemon", "install", scope, "--unit-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    paths = [str(tmp_path / name) for name in UNIT_ROLES.values()]
    verified = subprocess.run(
        ["systemd-analyze", "verify", *paths], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert "omc-collector.service" not in verified.stderr


def test_install_print_changes_nothing(cli, tmp_path):
    result = cli("daemon", "install", "--print", "--role", "collector")
    assert result.exit_code == 0
    assert "# omc-collector.service" in result.output
    assert "Type=notify" in result.output
    assert "omc-floor.service" not in result.output


def test_install_with_an_unknown_role_is_a_usage_error(cli):
    result = cli("daemon", "install", "--print", "--role", "trader")
    assert result.exit_code == 64
    assert "unknown unit role trader" in result.output
