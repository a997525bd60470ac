"""systemd unit files: render ``systemd/*.service`` for this installation and install them.

The files in ``systemd/`` are complete, hardened system units. Rendering puts in this
installation's ``omc`` executable; a user unit (``--user``) also drops what only a system
manager can do (a dedicated user, state/log/config directories, credentials) and points
``OMC_HOME``/``OMC_CONFIG`` at the caller's own paths, which it must be able to write.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from omc.errors import InternalError, OmcError
from omc.settings import ConfigFiles, Settings

UNIT_ROLES = {"collector": "omc-collector.service", "floor": "omc-floor.service"}
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
TEMPLATE_EXEC = "/usr/local/bin/omc"
SYSTEM_ONLY = (
    "User=",
    "Group=",
    "StateDirectory",
    "LogsDirectory=",
    "ConfigurationDirectory=",
    "WorkingDirectory=",
    "LoadCredential=",
    "Environment=OMC_HOME=",
    "Environment=OMC_SYSTEM_CONFIG=",
    "ProtectHome=",
    "PrivateDevices=",
    "ProtectKernel",
    "ProtectControlGroups=",
    "ProtectClock=",
    "ProtectHostname=",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "SystemCallFilter=",
    "RestrictNamespaces=",
    "# The vault",
)


def units_dir() -> Path:
    """``systemd/``: inside the installed package, or at the top of a source checkout."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "systemd", package_dir.parent / "systemd"):
        if (candidate / UNIT_ROLES["collector"]).is_file():
            return candidate
    raise InternalError("omc's systemd unit files are missing from this installation; reinstall")


def omc_executable() -> str:
    """The ``omc`` script of this installation (beside this Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "omc"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("omc") or TEMPLATE_EXEC


def user_unit_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def render_unit(template: str, settings: Settings, files: ConfigFiles | None, user: bool) -> str:
    text = template.replace(TEMPLATE_EXEC, omc_executable())
    if not user:
        return text
    lines = [line for line in text.splitlines() if not line.startswith(SYSTEM_ONLY)]
    service = lines.index("[Service]") + 1
    extra = [f"Environment=OMC_HOME={settings.home}", f"ReadWritePaths={settings.home}"]
    if files is not None:
        extra.append(f"Environment=OMC_CONFIG={files.user}")
    lines[service:service] = extra
    text = "\n".join(lines) + "\n"
    return text.replace("WantedBy=multi-user.target", "WantedBy=default.target")


def render_units(
    settings: Settings, files: ConfigFiles | None, *, user: bool, roles: list[str] | None = None
) -> dict[str, str]:
    """Unit file name → rendered text, for the roles asked (default: every unit)."""
    names = roles or list(UNIT_ROLES)
    unknown = [name for name in names if name not in UNIT_ROLES]
    if unknown:
        from omc.errors import UsageProblem

        raise UsageProblem(f"unknown unit role {', '.join(unknown)}; use collector or floor")
    directory = units_dir()
    return {
        UNIT_ROLES[name]: render_unit(
            (directory / UNIT_ROLES[name]).read_text(), settings, files, user
        )
        for name in names
    }


def systemd_running() -> bool:
    """True when systemd is the service manager here (the sd_booted() test)."""
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def systemctl(*args: str, user: bool) -> subprocess.CompletedProcess[str]:
    command = ["systemctl", *(["--user"] if user else []), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def install_units(units: dict[str, str], *, user: bool, unit_dir: Path | None = None) -> list[str]:
    """Write the units, then daemon-reload and enable them when systemd runs here."""
    target = unit_dir or (user_unit_dir() if user else SYSTEM_UNIT_DIR)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (target / name).write_text(text)
    except OSError as error:
        hint = "" if user else " (system units need root: sudo omc daemon install --system)"
        raise OmcError(f"cannot write units to {target}: {error.strerror}{hint}") from None
    report = [f"wrote {target / name}" for name in units]
    if unit_dir is not None or not systemd_running():
        if unit_dir is None:
            report.append(
                "systemd is not running here: not enabled; use `omc collect start` instead"
            )
        return report
    for args in (("daemon-reload",), ("enable", *units)):
        done = systemctl(*args, user=user)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise OmcError(f"systemctl {' '.join(args)} failed: {reason}")
    report.append(f"enabled {', '.join(units)}; start with `omc collect start`")
    return report


def installed_scope(role: str = "collector") -> bool | None:
    """True for an installed user unit, False for a system unit, None when not installed."""
    name = UNIT_ROLES[role]
    if not systemd_running():
        return None
    if (user_unit_dir() / name).is_file() and systemctl("cat", name, user=True).returncode == 0:
        return True
    if systemctl("cat", name, user=False).returncode == 0:
        return False
    return None
