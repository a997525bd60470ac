"""Run as a separate process: place COUNT live market buys through the CoinSpot broker.

``python -m tests.floor.place_orders DATABASE_URL API_URL COIN AMOUNT COUNT`` with the key and
secret on standard input (two lines), as a trading process would hold them after the vault.
Prints one line per order: its client order id and status.
"""

from __future__ import annotations

import sys
from decimal import Decimal


def main() -> None:
    database_url, api_url, coin, amount, count = sys.argv[1:6]
    api_key = sys.stdin.readline().strip()
    api_secret = sys.stdin.readline().strip()
    from omc.core.users import get_or_create_user
    from omc.db import make_engine, session_scope
    from omc.floor.brokers import AccountRef
    from omc.floor.brokers.coinspot import CoinSpotBroker
    from omc.floor.brokers.coinspot_client import CoinSpotClient
    from omc.floor.brokers.nonce import NonceSource, key_fingerprint

    engine = make_engine(database_url)
    with session_scope(engine) as session:
        user_id = get_or_create_user(session, "tester").id
    client = CoinSpotClient(
        api_url,
        api_key,
        api_secret,
        NonceSource(engine, key_fingerprint(api_key)),
        timeout_seconds=60,
    )
    broker = CoinSpotBroker(engine, AccountRef(user_id, "live", "default"), client)
    print("ready", flush=True)
    for _ in range(int(count)):
        result = broker.buy(coin, Decimal(amount))
        print(result.client_order_id, result.status, flush=True)


if __name__ == "__main__":
    main()
