"""``omc daemon``: run, install and supervise omc's background daemon."""

from __future__ import annotations

from omc.cli.later import placeholder_group

app = placeholder_group(
    "daemon", "Run, install and supervise omc's background daemon", "the daemon release"
)
