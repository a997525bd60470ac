"""Test-only sources the daemon subprocess loads through ``collect.source_modules``.

Each fetches ``$OMC_TEST_SOURCES_URL/<name>`` from the test's loopback server, which decides
whether it answers well, with 500s, too slowly, with garbage, or with an error that quotes a
secret. ``OMC_TEST_SOURCES`` lists the ones to register for a test.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pydantic

from omc.ledgers.glass.models import OnChainMetric
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEYS = ("asset", "metric_name", "source", "timestamp")


class Item(pydantic.BaseModel):
    id: int
    value: float


class LoopbackSource(Source):
    """Reads ``[{"id": n, "value": x}, …]``; each id becomes one on_chain_metrics row."""

    ledger = "glass"
    interval = dt.timedelta(seconds=1)

    def fetch(self, ctx: CollectContext) -> Any:
        with ctx.http(self.name, os.environ["OMC_TEST_SOURCES_URL"]) as client:
            return client.get_json(f"/{self.name}")

    def validate(self, raw: Any) -> list[Item]:
        return [Item.model_validate(item) for item in raw]

    def normalise(self, validated: list[Item], ctx: CollectContext) -> Normalised:
        rows = [
            {
                "asset": "SEQ",
                "metric_name": self.name,
                "metric_value": item.value,
                "source": self.name,
                "timestamp": EPOCH + dt.timedelta(seconds=item.id),
                "collected_at": ctx.clock(),
            }
            for item in validated
        ]
        ids = [item.id for item in validated]
        return Normalised([Batch(OnChainMetric.__table__, rows, KEYS)], {"ids": ids})


class Leaky(LoopbackSource):
    def fetch(self, ctx: CollectContext) -> Any:
        key = ctx.settings.market.coingecko_api_key
        raise RuntimeError(f"upstream rejected key {key} for {ctx.settings.database_url}")


WANTED = set(os.environ.get("OMC_TEST_SOURCES", "").split(","))
for _name in ("sequence", "fail500", "hang", "garbage", "leaky"):
    if _name in WANTED:
        base = Leaky if _name == "leaky" else LoopbackSource
        register(type(f"Loopback_{_name}", (base,), {"name": _name}))
