"""Typed settings, built by one function from layered sources, with where each value came from.

Lookup order, lowest to highest precedence:

1. built-in defaults
2. the system file ``/etc/omc/config.toml`` (``OMC_SYSTEM_CONFIG`` overrides the path)
3. the user file ``$XDG_CONFIG_HOME/omc/config.toml`` (``OMC_CONFIG`` overrides the path)
4. environment variables ``OMC_*`` (nested sections use ``__``: ``OMC_COLLECT__INTERVAL``)
5. command-line flags, passed to :func:`load_settings` as ``overrides``

Nothing here connects to anything; building settings only reads files and the environment.
The package: ``sections``/``ledgers`` (one section per domain), ``model`` (:class:`Settings`),
``loading`` (:func:`load_settings`, provenance), ``display`` (masking, ``omc config show``).
"""

from __future__ import annotations

from omc.settings.display import (
    describe_settings,
    is_secret_name,
    mask_secret,
    mask_url,
    secret_file_warnings,
)
from omc.settings.lab import LabSettings
from omc.settings.loading import ConfigFiles, LoadedSettings, load_settings, read_config_file
from omc.settings.model import (
    DEFAULT_SYSTEM_CONFIG,
    LOG_LEVELS,
    SECRET_FIELD_MARKERS,
    SUPPORTED_DATABASE_SCHEMES,
    Settings,
    xdg_config_home,
    xdg_data_home,
)
from omc.settings.sections import (
    BacktestSettings,
    CollectSettings,
    DaemonSettings,
    LLMSettings,
    MarketSettings,
    SectionModel,
)

__all__ = [
    "DEFAULT_SYSTEM_CONFIG",
    "LOG_LEVELS",
    "SECRET_FIELD_MARKERS",
    "SUPPORTED_DATABASE_SCHEMES",
    "BacktestSettings",
    "CollectSettings",
    "ConfigFiles",
    "DaemonSettings",
    "LLMSettings",
    "LabSettings",
    "LoadedSettings",
    "MarketSettings",
    "SectionModel",
    "Settings",
    "describe_settings",
    "is_secret_name",
    "load_settings",
    "mask_secret",
    "mask_url",
    "read_config_file",
    "secret_file_warnings",
    "xdg_config_home",
    "xdg_data_home",
]
