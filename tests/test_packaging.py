"""`pip install .` gives a working `omc`: the wheel carries the migrations and the entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import omc

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("omc-*.whl")
    return built


def test_wheel_contains_the_migration_history(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "omc/migrations/env.py" in names
    versions = [name for name in names if name.startswith("omc/migrations/versions/")]
    repository_versions = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    assert len(versions) == len(repository_versions) > 0


def test_wheel_contains_the_systemd_units(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for unit in sorted((ROOT / "systemd").glob("*.service")):
        assert f"omc/systemd/{unit.name}" in names


def test_wheel_declares_the_omc_console_script(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [name for name in archive.namelist() if name.endswith("entry_points.txt")]
    assert "omc = omc.cli.main:run" in archive.read(entry_points).decode()


def test_python_dash_m_omc_prints_the_version():
    completed = subprocess.run(
        [sys.executable, "-m", "omc", "--version"], capture_output=True, text=True, check=True
    )
    assert completed.stdout == f"omc {omc.__version__}\n"
