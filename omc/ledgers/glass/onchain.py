"""Network figures of Bitcoin (mempool.space) and Ethereum (public JSON-RPC), no key.

Bitcoin, from mempool.space's REST API: ``GET /v1/mining/hashrate/3d`` (``currentHashrate`` in
H/s, ``currentDifficulty``), ``GET /mempool`` (``count`` transactions, ``vsize`` vbytes,
``total_fee`` sats) and ``GET /v1/fees/recommended`` (sat/vB) and ``GET /blocks/tip/height``.
Ethereum: ``eth_gasPrice`` and ``eth_blockNumber`` over JSON-RPC (hex quantities), trying each
URL of ``glass.eth_rpc_urls`` in turn until one answers. Rows are stored with the coin symbol
as the asset (``BTC``, ``ETH``) and the poll bucket as their time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator

from omc.ledgers.glass.models import OnChainMetric
from omc.ledgers.http import MalformedResponse, SourceError, split_url
from omc.ledgers.points import bucket
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "onchain"
KEY = ("asset", "metric_name", "source", "timestamp")


class Hashrate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    currentHashrate: float
    currentDifficulty: float


class Mempool(BaseModel):
    model_config = ConfigDict(extra="ignore")

    count: int
    vsize: int
    total_fee: float


class Fees(BaseModel):
    model_config = ConfigDict(extra="ignore")

    fastestFee: float
    halfHourFee: float
    hourFee: float
    economyFee: float | None = None


class RpcAnswer(BaseModel):
    """A JSON-RPC 2.0 result: a hex quantity such as ``"0x3b9aca00"``."""

    model_config = ConfigDict(extra="ignore")

    result: int

    @field_validator("result", mode="before")
    @classmethod
    def _hex(cls, value: Any) -> int:
        if not isinstance(value, str) or not value.startswith("0x"):
            raise ValueError("not a hex quantity")
        return int(value, 16)


class Validated(BaseModel):
    hashrate: Hashrate
    mempool: Mempool
    fees: Fees
    height: int
    gas_price: RpcAnswer
    block_number: RpcAnswer
    rpc_url: str


def _rpc(client: Any, path: str, method: str, call_id: int) -> Any:
    body = {"jsonrpc": "2.0", "method": method, "params": [], "id": call_id}
    answer = client.post_json(path, body)
    if isinstance(answer, dict) and answer.get("error"):
        raise MalformedResponse(f"{SOURCE_NAME}: {method} returned an error")
    return answer


def fetch_ethereum(ctx: CollectContext) -> dict[str, Any]:
    """Gas price and block height from the first RPC endpoint that answers both."""
    problems = []
    for number, url in enumerate(ctx.settings.glass.eth_rpc_urls, start=1):
        try:
            origin, path = split_url(url)
            with ctx.http(f"{SOURCE_NAME} rpc#{number}", origin) as client:
                return {
                    "gas_price": _rpc(client, path, "eth_gasPrice", 1),
                    "block_number": _rpc(client, path, "eth_blockNumber", 2),
                    "rpc_url": url,
                }
        except SourceError as error:
            problems.append(error.message)
    raise SourceError(f"{SOURCE_NAME}: every Ethereum RPC endpoint failed: {'; '.join(problems)}")


@register
class OnChainMetrics(Source):
    name = SOURCE_NAME
    ledger = "glass"
    interval = dt.timedelta(minutes=10)
    interval_setting = "glass.onchain_seconds"
    description = "Bitcoin network (mempool.space) and Ethereum gas/height (JSON-RPC), no key"

    def fetch(self, ctx: CollectContext) -> dict[str, Any]:
        with ctx.http(SOURCE_NAME, ctx.settings.glass.mempool_url) as client:
            bitcoin = {
                "hashrate": client.get_json("/v1/mining/hashrate/3d"),
                "mempool": client.get_json("/mempool"),
                "fees": client.get_json("/v1/fees/recommended"),
                "height": client.get_json("/blocks/tip/height"),
            }
        return {**bitcoin, **fetch_ethereum(ctx)}

    def validate(self, raw: dict[str, Any]) -> Validated:
        return Validated.model_validate(raw)

    def normalise(self, validated: Validated, ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        stamp = bucket(now, ctx.settings.glass.onchain_seconds)
        v = validated
        figures = {
            "BTC": {
                "hash_rate": v.hashrate.currentHashrate,
                "difficulty": v.hashrate.currentDifficulty,
                "mempool_tx_count": v.mempool.count,
                "mempool_vsize": v.mempool.vsize,
                "mempool_total_fee_btc": v.mempool.total_fee / 1e8,
                "fee_fastest_sat_vb": v.fees.fastestFee,
                "fee_half_hour_sat_vb": v.fees.halfHourFee,
                "fee_hour_sat_vb": v.fees.hourFee,
                "block_height": v.height,
            },
            "ETH": {
                "gas_price_gwei": v.gas_price.result / 1e9,
                "block_height": v.block_number.result,
            },
        }
        rows = [
            {
                "asset": asset,
                "metric_name": name,
                "metric_value": float(value),
                "source": SOURCE_NAME,
                "timestamp": stamp,
                "collected_at": now,
            }
            for asset, metrics in figures.items()
            for name, value in metrics.items()
        ]
        batch = Batch(OnChainMetric.__table__, rows, KEY)
        # Only the host: a provider URL may carry a key in its path.
        return Normalised([batch], {"metrics": len(rows), "eth_rpc": urlsplit(v.rpc_url).netloc})
