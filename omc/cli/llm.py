"""``omc llm``: bring your own model: store and test LLM provider keys."""

from __future__ import annotations

from omc.cli.later import placeholder_group

app = placeholder_group(
    "llm",
    "Bring your own model: store and test LLM provider keys",
    "the bring-your-own-model release",
)
