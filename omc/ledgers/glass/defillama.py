"""DeFiLlama (free API, no key): protocol TVL, 24-hour fees and revenue, and chain TVL.

Four calls a run, never one per protocol: ``GET /protocols`` (every protocol with its current
``tvl``), ``GET /overview/fees`` and ``GET /overview/fees?dataType=dailyRevenue`` (``total24h`` of
every protocol that reports fees or revenue), and ``GET /v2/chains`` (each chain's TVL).
Protocols come from ``glass.defillama_protocols`` (slugs or names) or, when that is empty, the
top ``glass.defillama_top`` by TVL, leaving out centralised exchanges (category ``CEX``: their
"TVL" is reserves, not DeFi). Rows are stamped with the hour bucket of the run.

Chain TVL goes to ``on_chain_metrics`` as ``chain_tvl_usd`` with the chain's token symbol as the
asset (Ethereum → ETH); chains without a token use their name, and when several chains share a
symbol the largest keeps it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from omc.ledgers.glass.models import OnChainMetric, ProtocolFundamental
from omc.ledgers.points import bucket
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "defillama"
OVERVIEW_PARAMS = {"excludeTotalDataChart": "true", "excludeTotalDataChartBreakdown": "true"}


class Protocol(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int | None = None
    name: str
    slug: str | None = None
    symbol: str | None = None
    category: str | None = None
    tvl: float | None = None
    mcap: float | None = None


class FeesEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    slug: str | None = None
    defillamaId: str | int | None = None
    total24h: float | None = None


class FeesOverview(BaseModel):
    model_config = ConfigDict(extra="ignore")

    protocols: list[FeesEntry]


class Chain(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    tvl: float | None = None
    tokenSymbol: str | None = None


class Validated(BaseModel):
    protocols: list[Protocol]
    fees: FeesOverview
    revenue: FeesOverview
    chains: list[Chain]


def _keys(*values: Any) -> list[str]:
    return [str(value).strip().lower() for value in values if value not in (None, "")]


def _by_key(entries: list[FeesEntry]) -> dict[str, float]:
    found: dict[str, float] = {}
    for entry in entries:
        if entry.total24h is None:
            continue
        for key in _keys(entry.defillamaId, entry.slug, entry.name):
            found.setdefault(key, entry.total24h)
    return found


def choose(protocols: list[Protocol], wanted: list[str], top: int) -> list[Protocol]:
    """The protocols named in ``wanted`` (slug or name), else the top ``top`` by TVL."""
    if wanted:
        names = {name.strip().lower() for name in wanted}
        return [p for p in protocols if names & set(_keys(p.slug, p.name))]
    ranked = [p for p in protocols if p.tvl is not None and (p.category or "").upper() != "CEX"]
    return sorted(ranked, key=lambda p: p.tvl or 0.0, reverse=True)[: max(top, 0)]


@register
class DefiLlama(Source):
    name = SOURCE_NAME
    ledger = "glass"
    interval = dt.timedelta(hours=1)
    interval_setting = "glass.defillama_seconds"
    description = "DeFiLlama protocol TVL, fees and revenue; chain TVL (no key)"

    def fetch(self, ctx: CollectContext) -> dict[str, Any]:
        with ctx.http(SOURCE_NAME, ctx.settings.glass.defillama_url) as client:
            return {
                "protocols": client.get_json("/protocols"),
                "fees": client.get_json("/overview/fees", OVERVIEW_PARAMS),
                "revenue": client.get_json(
                    "/overview/fees", {**OVERVIEW_PARAMS, "dataType": "dailyRevenue"}
                ),
                "chains": client.get_json("/v2/chains"),
            }

    def validate(self, raw: dict[str, Any]) -> Validated:
        return Validated.model_validate(raw)

    def normalise(self, validated: Validated, ctx: CollectContext) -> Normalised:
        glass = ctx.settings.glass
        now = ctx.clock()
        stamp = bucket(now, glass.defillama_seconds)
        fees, revenue = _by_key(validated.fees.protocols), _by_key(validated.revenue.protocols)

        def lookup(table: dict[str, float], protocol: Protocol) -> float | None:
            for key in _keys(protocol.id, protocol.slug, protocol.name):
                if key in table:
                    return table[key]
            return None

        protocol_rows = [
            {
                "protocol": (p.slug or p.name)[:100],
                "chain": "all",
                "symbol": (p.symbol or None) if p.symbol != "-" else None,
                "category": (p.category or None) and p.category[:50],
                "tvl_usd": p.tvl,
                "fees_24h_usd": lookup(fees, p),
                "revenue_24h_usd": lookup(revenue, p),
                "market_cap_usd": p.mcap,
                "source": SOURCE_NAME,
                "timestamp": stamp,
                "collected_at": now,
            }
            for p in choose(validated.protocols, glass.defillama_protocols, glass.defillama_top)
        ]
        chain_rows: dict[str, dict[str, Any]] = {}
        for chain in sorted(validated.chains, key=lambda c: c.tvl or 0.0, reverse=True):
            if chain.tvl is None:
                continue
            asset = (chain.tokenSymbol or chain.name).strip().upper()[:20]
            chain_rows.setdefault(
                asset,
                {
                    "asset": asset,
                    "metric_name": "chain_tvl_usd",
                    "metric_value": chain.tvl,
                    "source": SOURCE_NAME,
                    "timestamp": stamp,
                    "collected_at": now,
                },
            )
        batches = [
            Batch(
                ProtocolFundamental.__table__,
                protocol_rows,
                ("protocol", "chain", "source", "timestamp"),
            ),
            Batch(
                OnChainMetric.__table__,
                list(chain_rows.values()),
                ("asset", "metric_name", "source", "timestamp"),
            ),
        ]
        return Normalised(batches, {"protocols": len(protocol_rows), "chains": len(chain_rows)})
