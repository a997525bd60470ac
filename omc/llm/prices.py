"""Estimated cost of a call from the price table in ``prices.toml`` (easy to update)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

PRICE_FILE = Path(__file__).with_name("prices.toml")
PER_TOKENS = Decimal(1_000_000)
FREE_PROVIDERS = {"openai-compatible"}


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: Decimal
    output: Decimal


@cache
def price_table(path: Path = PRICE_FILE) -> dict[str, Price]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {
        name: Price(Decimal(str(entry["input"])), Decimal(str(entry["output"])))
        for name, entry in data.get("models", {}).items()
    }


def estimate_cost(
    provider: str, model: str, input_tokens: int, output_tokens: int
) -> Decimal | None:
    """The estimated cost in USD, zero for self-hosted servers, None for an unknown model."""
    if provider in FREE_PROVIDERS:
        return Decimal(0)
    price = price_table().get(model.removeprefix("models/"))
    if price is None:
        return None
    return (price.input * input_tokens + price.output * output_tokens) / PER_TOKENS
