"""Building the effective settings from defaults, files, environment and flags, remembering
where each value came from (``omc config show`` prints it).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import EnvSettingsSource

from omc.errors import ConfigProblem
from omc.settings.model import DEFAULT_SYSTEM_CONFIG, Settings, xdg_config_home, xdg_data_home


@dataclass(frozen=True)
class ConfigFiles:
    """Where omc looks for configuration files."""

    system: Path
    user: Path

    @classmethod
    def locate(cls, environ: Mapping[str, str]) -> ConfigFiles:
        system = Path(environ.get("OMC_SYSTEM_CONFIG") or DEFAULT_SYSTEM_CONFIG)
        user = Path(environ.get("OMC_CONFIG") or xdg_config_home(environ) / "omc" / "config.toml")
        return cls(system=system, user=user)


@dataclass(frozen=True)
class LoadedSettings:
    """Settings together with the source of every value that is not a default."""

    settings: Settings
    origins: dict[str, str] = field(default_factory=dict)
    files: ConfigFiles | None = None

    def origin(self, name: str) -> str:
        return self.origins.get(name, "default")


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse one TOML config file; a missing file is empty, a corrupt one is a clear error."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except IsADirectoryError as error:
        raise ConfigProblem(f"config file {path} is a directory, not a file") from error
    except PermissionError as error:
        raise ConfigProblem(f"cannot read config file {path}: permission denied") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigProblem(f"config file {path} is not valid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigProblem(f"config file {path} is not UTF-8 text") from error


def _merge(
    target: dict[str, Any], layer: Mapping[str, Any], origins: dict[str, str], label: str, prefix=""
) -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value, origins, label, prefix=f"{dotted}.")
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
            origins[dotted] = label
            if isinstance(value, Mapping):
                for nested in _flatten(value, f"{dotted}."):
                    origins[nested] = label


def _flatten(mapping: Mapping[str, Any], prefix: str) -> list[str]:
    keys = []
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            keys.extend(_flatten(value, f"{prefix}{key}."))
        else:
            keys.append(f"{prefix}{key}")
    return keys


def _environment_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    source = EnvSettingsSource(Settings)
    source.env_vars = {key.lower(): value for key, value in environ.items()}
    return source()


def _describe_validation_error(error: ValidationError, origins: dict[str, str]) -> str:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        where = origins.get(name, "default")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown setting"
        problems.append(f"{name} ({where}): {message}")
    return "invalid settings: " + "; ".join(problems)


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> LoadedSettings:
    """Build the effective settings from defaults, files, environment and flags."""
    environ = os.environ if environ is None else environ
    files = ConfigFiles.locate(environ)
    values: dict[str, Any] = {"home": xdg_data_home(environ) / "omc"}
    origins: dict[str, str] = {}
    _merge(values, read_config_file(files.system), origins, str(files.system))
    _merge(values, read_config_file(files.user), origins, str(files.user))
    environment = _environment_layer(environ)
    env_origins: dict[str, str] = {}
    _merge(values, environment, env_origins, "env")
    origins.update({name: "env OMC_" + name.upper().replace(".", "__") for name in env_origins})
    if overrides:
        clean = {key: value for key, value in overrides.items() if value is not None}
        _merge(values, clean, origins, "command line")
    try:
        settings = Settings(**values)
    except ValidationError as error:
        raise ConfigProblem(_describe_validation_error(error, origins)) from None
    return LoadedSettings(settings=settings, origins=origins, files=files)
