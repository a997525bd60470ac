"""What the `omc floor` order commands call: balances, orders, trades, positions, P&L, a manual
order, reconciliation, the key test and resetting a paper account. Plain data out."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from omc.db import session_scope, utcnow
from omc.errors import PermissionProblem, ServiceUnavailable, UsageProblem
from omc.floor.brokers.base import AccountRef

if TYPE_CHECKING:
    from omc.runtime import Runtime

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str | None, *, now: dt.datetime) -> dt.datetime | None:
    """``30d``, ``12h``, ``2w`` or an ISO date/time."""
    if not text:
        return None
    match = DURATION.match(text)
    if match:
        return now - dt.timedelta(seconds=float(match.group(1)) * UNITS[match.group(2)])
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageProblem(f"--since takes 30d, 12h, 2w or a date, not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_amount(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise UsageProblem(f"not an amount: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise UsageProblem(f"the amount must be more than 0, not {text}")
    return value


def parse_slippage(text: str) -> Decimal:
    """``1%`` (or ``1``) is 0.01: slippage is given in percent, as CoinSpot's threshold is."""
    try:
        value = Decimal(text.strip().rstrip("%").strip()) / 100
    except InvalidOperation:
        raise UsageProblem(f"--max-slippage takes a percentage such as 1%, not {text!r}") from None
    if not value.is_finite() or not 0 <= value <= 10:
        raise UsageProblem("--max-slippage must be between 0% and 1000%")
    return value


def account(rt: Runtime, live: bool, name: str) -> AccountRef:
    return AccountRef(rt.user_id(), "live" if live else "paper", name)


def _bids(rt: Runtime):  # type: ignore[no-untyped-def]
    from omc.cache import open_cache
    from omc.floor.brokers.prices import LatestPrices

    prices = LatestPrices(open_cache(rt.settings.redis_url), rt.engine())

    def lookup(coins: list[str]) -> dict[str, Decimal | None]:
        found: dict[str, Decimal | None] = {}
        for coin in coins:
            snapshot = prices.latest(coin)
            found[coin] = snapshot.bid if snapshot is not None else None
        return found

    return lookup


def balances(rt: Runtime, ref: AccountRef) -> list[dict[str, Any]]:
    from omc.floor.brokers import open_broker

    broker = open_broker(rt, ref.mode, ref.name)
    try:
        rows = broker.balances()
    finally:
        _close(broker)
    return [
        {
            "currency": b.currency,
            "total": b.total,
            "available": b.available,
            "aud_value": b.aud_value,
            "rate": b.rate,
        }
        for b in rows
    ]


def _close(broker: Any) -> None:
    close = getattr(broker, "close", None)
    if close is not None:
        close()


def list_orders(
    rt: Runtime, ref: AccountRef, *, status: str | None = None, limit: int = 50
) -> dict[str, Any]:
    """The account's newest orders, and what blocks it (unknown orders) if anything."""
    from omc.floor.brokers import journal
    from omc.floor.brokers.config import BrokerConfig
    from omc.ledgers.exchange.models import Order

    config = BrokerConfig.from_settings(rt.settings)
    with session_scope(rt.engine()) as session:
        blocked = journal.blocking_orders(
            session, ref, now=utcnow(), stale_after=config.unknown_after_seconds
        )
        query = sa.select(Order).where(
            Order.user_id == ref.user_id, Order.mode == ref.mode, Order.account == ref.name
        )
        if status:
            query = query.where(Order.status == status.lower())
        rows = session.execute(query.order_by(Order.created_at.desc()).limit(limit)).scalars()
        orders = [
            {
                "client_order_id": o.client_order_id,
                "created_at": o.created_at,
                "side": o.side,
                "coin": o.coin_type,
                "status": o.status,
                "quantity": o.quantity,
                "aud_amount": o.aud_amount,
                "filled_quantity": o.filled_quantity,
                "price": o.average_fill_price,
                "fee": o.fee,
                "reason": o.status_reason,
                "reference": o.reference,
            }
            for o in rows
        ]
    blocked_reason = None
    if blocked:
        blocked_reason = (
            f"trading is stopped for this account: {len(blocked)} order(s) in an unknown state "
            "(the request may have reached CoinSpot); run `omc floor reconcile`"
        )
    return {"mode": ref.mode, "account": ref.name, "blocked": blocked_reason, "orders": orders}


def list_trades(
    rt: Runtime, ref: AccountRef, *, since: dt.datetime | None, limit: int = 200
) -> list[dict[str, Any]]:
    from omc.ledgers.exchange.models import Trade

    with session_scope(rt.engine()) as session:
        query = sa.select(Trade).where(
            Trade.user_id == ref.user_id, Trade.mode == ref.mode, Trade.account == ref.name
        )
        if since is not None:
            query = query.where(Trade.executed_at >= since)
        rows = session.execute(query.order_by(Trade.executed_at.desc()).limit(limit)).scalars()
        return [
            {
                "executed_at": t.executed_at,
                "side": t.side,
                "coin": t.coin_type,
                "quantity": t.quantity,
                "price": t.price,
                "value": t.quantity * t.price,
                "fee": t.fee,
                "fee_ex_gst": t.fee_ex_gst,
                "gst": t.gst,
                "fee_source": t.fee_source,
                "trade_key": t.trade_key,
            }
            for t in rows
        ]


def positions(rt: Runtime, ref: AccountRef) -> dict[str, Any]:
    """Holdings with FIFO cost and the current bid; live ones beside the latest balance
    difference CoinSpot showed (a deposit, a website trade), if any."""
    from omc.floor.models import BalanceDifference
    from omc.floor.pnl import account_pnl

    pnl = account_pnl(rt.engine(), ref, bids=_bids(rt))
    differences: list[dict[str, Any]] = []
    if ref.mode == "live":
        with session_scope(rt.engine()) as session:
            rows = session.execute(
                sa.select(BalanceDifference)
                .where(
                    BalanceDifference.user_id == ref.user_id,
                    BalanceDifference.account == ref.name,
                )
                .order_by(BalanceDifference.detected_at.desc())
            ).scalars()
            seen: set[str] = set()
            for row in rows:
                if row.coin_type in seen:
                    continue
                seen.add(row.coin_type)
                differences.append(
                    {
                        "coin": row.coin_type,
                        "recorded": row.recorded,
                        "reported": row.reported,
                        "difference": row.difference,
                        "detected_at": row.detected_at,
                    }
                )
    holdings = [coin for coin in pnl.to_dict()["coins"] if coin["quantity"] > 0]
    return {
        "mode": ref.mode,
        "account": ref.name,
        "cash": pnl.cash,
        "equity": pnl.equity,
        "positions": holdings,
        "balance_differences": differences,
    }


def pnl_report(rt: Runtime, ref: AccountRef, *, since: dt.datetime | None) -> dict[str, Any]:
    from omc.floor.pnl import account_pnl

    report = account_pnl(rt.engine(), ref, bids=_bids(rt), since=since).to_dict()
    return {"mode": ref.mode, "account": ref.name, **report}


def place_order(
    rt: Runtime,
    ref: AccountRef,
    side: str,
    coin: str,
    amount: Decimal,
    *,
    aud: bool,
    max_slippage: Decimal,
) -> dict[str, Any]:
    from omc.floor.brokers import open_broker

    broker = open_broker(rt, ref.mode, ref.name)
    try:
        place = broker.buy if side == "buy" else broker.sell
        result = place(
            coin,
            amount,
            amount_type="aud" if aud else "coin",
            max_slippage=max_slippage,
            reference="manual",
        )
    finally:
        _close(broker)
    return {
        "client_order_id": result.client_order_id,
        "mode": result.mode,
        "account": result.account,
        "side": result.side,
        "coin": result.coin,
        "status": result.status,
        "filled_quantity": result.filled_quantity,
        "price": result.average_price,
        "fee": result.fee,
        "reason": result.reason,
    }


def reconcile(rt: Runtime, ref: AccountRef) -> dict[str, Any]:
    """Settle unknown orders now (live: from CoinSpot's history and balances)."""
    from omc.floor.brokers import open_broker

    if ref.mode == "paper":
        from omc.floor.brokers import journal
        from omc.floor.brokers.config import BrokerConfig

        config = BrokerConfig.from_settings(rt.settings)
        with session_scope(rt.engine()) as session:
            journal.mark_orphans_unknown(
                session, ref, now=utcnow(), stale_after=config.unknown_after_seconds
            )
        # Paper orders are one transaction: there is never anything to ask an exchange.
        return {"mode": "paper", "account": ref.name, "orders": [], "balances": []}
    broker = open_broker(rt, ref.mode, ref.name)
    try:
        outcome = broker.reconcile()  # type: ignore[attr-defined]
    finally:
        _close(broker)
    return {"mode": ref.mode, "account": ref.name, **outcome}


def check_keys(rt: Runtime) -> dict[str, Any]:
    """One signed call that changes nothing (``/status``): does the key work, and with what
    access? A full-access key answers the full-access path; a read-only key only ``/ro``."""
    from omc.floor.brokers.coinspot_client import (
        CoinSpotClient,
        CoinSpotError,
        CoinSpotRejected,
    )
    from omc.floor.brokers.nonce import NonceSource, key_fingerprint
    from omc.floor.credentials import reveal_coinspot, show_coinspot

    user_id = rt.user_id()
    engine = rt.engine()
    with rt.session() as session:
        shown = show_coinspot(session, user_id)
        api_key, api_secret = reveal_coinspot(session, rt.vault, user_id, purpose="key test")
    floor = rt.settings.floor
    client = CoinSpotClient(
        floor.coinspot_api_url,
        api_key,
        api_secret,
        NonceSource(engine, key_fingerprint(api_key)),
        timeout_seconds=floor.coinspot_timeout_seconds,
        read_attempts=1,
    )
    del api_secret
    try:
        try:
            client.call("/status")
            access = "full access"
        except CoinSpotRejected:
            try:
                client.read("/status")
                access = "read-only"
            except CoinSpotRejected as error:
                raise PermissionProblem(
                    f"CoinSpot does not accept key {shown['key']}: {error}"
                ) from None
    except CoinSpotError as error:
        raise ServiceUnavailable(f"could not test the key: {error}") from None
    finally:
        client.close()
    return {"key": shown["key"], "works": True, "access": access}


def reset_paper(rt: Runtime, name: str, cash: Decimal) -> dict[str, Any]:
    from omc.floor.accounts import reset_paper_account

    return reset_paper_account(rt.engine(), AccountRef(rt.user_id(), "paper", name), cash)
