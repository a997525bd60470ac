"""Nansen smart-money net flows (API key): ``POST /smart-money/netflow``, paged.

The key goes in the ``apikey`` header and nowhere else (never in a message or a log). The body
asks for ``glass.nansen_chains``, smart-money labels Fund and Smart Trader, sorted by 24-hour
net flow, 100 a page, and pages are followed while ``pagination.is_last_page`` is false, up to
``glass.nansen_max_pages``. Each token on each chain becomes one ``smart_money_flow`` row per
poll bucket with ``net_flow_usd`` = ``net_flow_24h_usd`` (positive = accumulation).

The netflow endpoint reports a ``trader_count`` but not which wallets bought or sold, so the
seed's ``buying_wallet_count``/``selling_wallet_count`` and wallet lists stay 0/empty here:
putting the trader count on one side by the sign of the flow would be a guess.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from omc.ledgers.glass.models import SmartMoneyFlow
from omc.ledgers.points import bucket
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "nansen"
PER_PAGE = 100
KEY = ("token", "chain", "source", "timestamp")


class Flow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token_address: str | None = None
    token_symbol: str
    net_flow_24h_usd: float
    chain: str


class Pagination(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: int
    per_page: int
    is_last_page: bool


class Page(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[Flow]
    pagination: Pagination


def request_body(chains: list[str], page: int) -> dict[str, Any]:
    """The netflow request (docs.nansen.ai, smart-money/netflows)."""
    return {
        "chains": chains,
        "filters": {
            "include_smart_money_labels": ["Fund", "Smart Trader"],
            "include_stablecoins": False,
            "include_native_tokens": True,
        },
        "pagination": {"page": page, "per_page": PER_PAGE},
        "order_by": [{"field": "net_flow_24h_usd", "direction": "DESC"}],
    }


@register
class NansenSmartMoney(Source):
    name = SOURCE_NAME
    ledger = "glass"
    interval = dt.timedelta(hours=1)
    interval_setting = "glass.nansen_seconds"
    description = "Nansen smart-money net flow per token (API key)"
    required_settings = ("glass.nansen_api_key",)
    secret_settings = ("glass.nansen_api_key",)

    def fetch(self, ctx: CollectContext) -> list[Any]:
        glass = ctx.settings.glass
        api_key = ctx.secret("glass.nansen_api_key") or ""
        headers = {"apikey": api_key, "Content-Type": "application/json"}
        pages = []
        with ctx.http(SOURCE_NAME, glass.nansen_url, headers=headers) as client:
            for number in range(1, max(glass.nansen_max_pages, 1) + 1):
                page = client.post_json(
                    "/smart-money/netflow", request_body(list(glass.nansen_chains), number)
                )
                pages.append(page)
                pagination = page.get("pagination") if isinstance(page, dict) else None
                if not isinstance(pagination, dict) or pagination.get("is_last_page", True):
                    break
        return pages

    def validate(self, raw: list[Any]) -> list[Page]:
        return [Page.model_validate(page) for page in raw]

    def normalise(self, validated: list[Page], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        stamp = bucket(now, ctx.settings.glass.nansen_seconds)
        rows = [
            {
                "token": flow.token_symbol.strip().upper()[:20],
                "chain": flow.chain.strip().lower()[:50],
                "token_address": flow.token_address,
                "net_flow_usd": flow.net_flow_24h_usd,
                "buying_wallet_count": 0,
                "selling_wallet_count": 0,
                "buying_wallets": [],
                "selling_wallets": [],
                "source": SOURCE_NAME,
                "timestamp": stamp,
                "collected_at": now,
            }
            for page in validated
            for flow in page.data
            if flow.token_symbol.strip()
        ]
        batch = Batch(SmartMoneyFlow.__table__, rows, KEY)
        return Normalised([batch], {"pages": len(validated), "tokens": len(rows)})
