"""New coins on CoinSpot: the public ``/latest`` coin list, diffed against ``listed_coins``.

The list omc has seen is kept in the database, so a restart never re-announces every coin: the
very first run only records a baseline, and later runs turn each coin not seen before into a
``listing`` event. Caveat (research note §1): ``/latest`` has been seen to list only the coins
with recent trades (17 of 538 in January 2026), so a coin can "appear" when it starts trading
rather than when it is listed; the event says "first seen", not "listed on".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from omc.ledgers.catalyst.models import CatalystEvent, ListedCoin
from omc.ledgers.exchange.coinspot import LatestAll, split_market
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source
from omc.ledgers.upsert import UpsertCount, upsert

SOURCE_NAME = "coinspot_listings"
EXCHANGE = "coinspot"
LISTING_IMPACT = 7


def listing_event(coin: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "source": SOURCE_NAME,
        "external_id": f"{EXCHANGE}:{coin}",
        "event_type": "listing",
        "title": f"CoinSpot: new coin {coin} first seen in the price list",
        "description": f"{coin} appeared in CoinSpot's public /latest price list",
        "url": f"https://www.coinspot.com.au/buy/{coin.lower()}",
        "impact_score": LISTING_IMPACT,
        "currencies": [coin],
        "published_at": now,
        "collected_at": now,
    }


@register
class CoinSpotListings(Source):
    name = SOURCE_NAME
    ledger = "catalyst"
    interval = dt.timedelta(minutes=5)
    interval_setting = "catalyst.coinspot_listings_seconds"
    description = "New coins in CoinSpot's price list (diff kept across restarts)"

    def fetch(self, ctx: CollectContext) -> Any:
        market = ctx.settings.market
        with ctx.http(
            SOURCE_NAME,
            market.coinspot_url,
            requests_per_minute=market.coinspot_requests_per_minute,
        ) as client:
            return client.get_json("/latest")

    def validate(self, raw: Any) -> list[str]:
        latest = LatestAll.model_validate(raw)
        return sorted({split_market(key)[0] for key in latest.prices})

    def normalise(self, validated: list[str], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        rows = [{"exchange": EXCHANGE, "coin": coin, "first_seen_at": now} for coin in validated]
        batch = Batch(ListedCoin.__table__, rows, ("exchange", "coin"), update=())
        return Normalised([batch], {"coins": len(rows)})

    def store(self, connection: Connection, normalised: Normalised) -> UpsertCount:
        """Events for coins not seen before, unless nothing was seen before (the baseline)."""
        table = ListedCoin.__table__
        known = {
            row.coin
            for row in connection.execute(
                sa.select(table.c.coin).where(table.c.exchange == EXCHANGE)
            )
        }
        coins = normalised.batches[0].rows
        new = [row for row in coins if row["coin"] not in known]
        normalised.detail["baseline"] = not known
        normalised.detail["new_coins"] = [] if not known else [row["coin"] for row in new]
        counts = upsert(connection, table, coins, keys=("exchange", "coin"), update=())
        if known and new:
            events = [listing_event(row["coin"], row["first_seen_at"]) for row in new]
            counts += upsert(
                connection,
                CatalystEvent.__table__,
                events,
                keys=("source", "external_id"),
                update=(),
            )
        return counts
