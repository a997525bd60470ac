"""``omc collect``: run and inspect the collectors of the four ledgers."""

from __future__ import annotations

from omc.cli.later import placeholder_group

app = placeholder_group(
    "collect", "Run and inspect the collectors of the four ledgers", "the collector daemon"
)
