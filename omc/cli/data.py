"""``omc data``: import, backfill and inspect market and ledger data."""

from __future__ import annotations

from omc.cli.later import placeholder_group

app = placeholder_group(
    "data", "Import, backfill and inspect market and ledger data", "the market-data release"
)
