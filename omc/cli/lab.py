"""``omc lab``: turn a goal into a tested algorithm with the research agents."""

from __future__ import annotations

from omc.cli.later import placeholder_group

app = placeholder_group(
    "lab", "Turn a goal into a tested algorithm with the research agents", "the lab release"
)
