"""``omc floor``: promote algorithms and trade them in paper or live mode."""

from __future__ import annotations

from omc.cli.later import placeholder_group

app = placeholder_group(
    "floor", "Promote algorithms and trade them in paper or live mode", "the trading floor release"
)
