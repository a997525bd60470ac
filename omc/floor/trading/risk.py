"""The risk engine: pure checks over plain numbers, each returning a verdict, a reason and the
numbers behind it, so a denial is data that a decision records.

Verdicts: ``pass``; ``clamp`` (the order is made smaller and the check says by how much);
``fail`` (no order this tick); ``halt`` (no order, and the deployment halts until a resume or,
for the daily loss limit, the next UTC day). Anything the engine cannot judge fails closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from omc.floor.trading.limits import Limits

PASS, CLAMP, FAIL, HALT = "pass", "clamp", "fail", "halt"


@dataclass(frozen=True)
class Check:
    """One rule's verdict on one tick."""

    name: str
    verdict: str
    reason: str
    numbers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "reason": self.reason,
            "numbers": self.numbers,
        }


def _n(**values: Any) -> dict[str, str]:
    return {name: ("" if value is None else str(value)) for name, value in values.items()}


@dataclass(frozen=True)
class Market:
    """What the deployment knows of the market now: the last price and the broker's quote."""

    now: dt.datetime
    last_price: Decimal | None
    last_price_at: dt.datetime | None
    quote_price: Decimal | None = None  # the ask for a buy, the bid for a sell
    quote_at: dt.datetime | None = None


@dataclass(frozen=True)
class Book:
    """The deployment's and its account's state, cash included."""

    equity: Decimal  # the deployment's cash plus units at the last price
    position_value: Decimal  # the deployment's units at the last price
    account_equity: Decimal  # every deployment on the account, cash included
    day_start_equity: Decimal | None
    peak_equity: Decimal | None
    other_exposure: Decimal = Decimal(0)  # coin value held by the user's other deployments
    unknown_orders: int = 0
    kill_reason: str | None = None


@dataclass(frozen=True)
class Proposal:
    """The order the target asks for: ``side`` and its value in the quote currency."""

    side: str
    value: Decimal


@dataclass(frozen=True)
class Assessment:
    """All checks of one tick and what they allow: ``value`` is the order after clamps."""

    checks: list[Check]
    value: Decimal | None

    @property
    def halted(self) -> Check | None:
        return next((check for check in self.checks if check.verdict == HALT), None)

    @property
    def blocked(self) -> Check | None:
        return next((check for check in self.checks if check.verdict in (FAIL, HALT)), None)

    @property
    def allowed(self) -> bool:
        return self.blocked is None and self.value is not None and self.value > 0


# --- the checks ------------------------------------------------------------------------------


def check_kill_switch(book: Book) -> Check:
    if book.kill_reason is not None:
        return Check("kill_switch", FAIL, f"kill switch set: {book.kill_reason}")
    return Check("kill_switch", PASS, "kill switch not set")


def check_unknown_orders(book: Book) -> Check:
    if book.unknown_orders:
        return Check(
            "unknown_orders",
            FAIL,
            f"{book.unknown_orders} order(s) on the account in state unknown: "
            "no trade until reconciled (omc floor reconcile)",
            _n(unknown=book.unknown_orders),
        )
    return Check("unknown_orders", PASS, "no unknown orders on the account", _n(unknown=0))


def _age(now: dt.datetime, then: dt.datetime | None) -> Decimal | None:
    if then is None:
        return None
    return Decimal(str(round((now - then).total_seconds(), 3)))


def check_stale_data(market: Market, limits: Limits, needs_quote: bool) -> Check:
    limit = limits.max_price_age_seconds
    price_age = _age(market.now, market.last_price_at)
    if market.last_price is None or price_age is None:
        return Check("stale_data", FAIL, "no price known for the market", _n(limit_seconds=limit))
    if price_age > limit:
        return Check(
            "stale_data",
            FAIL,
            f"newest price is {price_age}s old, more than the {limit}s allowed",
            _n(age_seconds=price_age, limit_seconds=limit),
        )
    quote_age = _age(market.now, market.quote_at)
    if needs_quote and (market.quote_price is None or quote_age is None):
        return Check("stale_data", FAIL, "the broker gave no quote", _n(limit_seconds=limit))
    if quote_age is not None and quote_age > limit:
        return Check(
            "stale_data",
            FAIL,
            f"the quote is {quote_age}s old, more than the {limit}s allowed",
            _n(age_seconds=quote_age, limit_seconds=limit),
        )
    return Check(
        "stale_data",
        PASS,
        f"newest price is {price_age}s old (limit {limit}s)",
        _n(age_seconds=price_age, quote_age_seconds=quote_age, limit_seconds=limit),
    )


def check_quote_deviation(market: Market, limits: Limits) -> Check:
    limit = limits.max_quote_deviation
    if market.quote_price is None or not market.last_price:
        return Check("quote_deviation", PASS, "no quote needed", _n(limit=limit))
    deviation = abs(market.quote_price - market.last_price) / market.last_price
    numbers = _n(
        quote=market.quote_price,
        last_price=market.last_price,
        deviation=round(deviation, 6),
        limit=limit,
    )
    if deviation > limit:
        return Check(
            "quote_deviation",
            FAIL,
            f"quote {market.quote_price} is {deviation:.2%} from the last price "
            f"{market.last_price}, more than {limit:.2%}",
            numbers,
        )
    return Check("quote_deviation", PASS, f"quote within {limit:.2%} of the last price", numbers)


def check_daily_loss(book: Book, limits: Limits) -> Check:
    limit = limits.daily_loss_limit
    start = book.day_start_equity
    if not start:
        return Check("daily_loss", PASS, "first tick of the day", _n(limit=limit))
    change = (book.equity - start) / start
    numbers = _n(equity=book.equity, day_start_equity=start, change=round(change, 6), limit=limit)
    if change <= -limit:
        return Check(
            "daily_loss",
            HALT,
            f"equity {book.equity:.2f} is {-change:.2%} below the day's start {start:.2f}; "
            f"the limit is {limit:.2%}: halted until the next UTC day or a resume",
            numbers,
        )
    return Check("daily_loss", PASS, f"day's change {change:+.2%} (limit -{limit:.2%})", numbers)


def check_drawdown(book: Book, limits: Limits) -> Check:
    limit = limits.max_drawdown
    peak = book.peak_equity
    if not peak:
        return Check("drawdown", PASS, "no peak yet", _n(limit=limit))
    drawdown = max((peak - book.equity) / peak, Decimal(0))
    numbers = _n(equity=book.equity, peak_equity=peak, drawdown=round(drawdown, 6), limit=limit)
    if drawdown >= limit:
        return Check(
            "drawdown",
            HALT,
            f"equity {book.equity:.2f} is {drawdown:.2%} below the peak {peak:.2f}; the limit "
            f"is {limit:.2%}: halted until a resume",
            numbers,
        )
    return Check("drawdown", PASS, f"drawdown {drawdown:.2%} (limit {limit:.2%})", numbers)


def _clamp(name: str, value: Decimal, cap: Decimal, why: str, **numbers: Any) -> Check:
    cap = max(cap, Decimal(0))
    if value > cap:
        return Check(
            name,
            CLAMP,
            f"order {value:.2f} cut to {cap:.2f}: {why}",
            _n(wanted=value, allowed=cap, **numbers),
        )
    return Check(name, PASS, f"within {why}", _n(value=value, allowed=cap, **numbers))


def assess(proposal: Proposal | None, book: Book, market: Market, limits: Limits) -> Assessment:
    """Run every check in order; clamps shrink the order, a failure or halt stops it.

    With no proposal (the position is already at its target) the checks that concern the
    state of the market and the deployment still run and are recorded.
    """
    checks = [
        check_kill_switch(book),
        check_unknown_orders(book),
        check_stale_data(market, limits, needs_quote=proposal is not None),
        check_quote_deviation(market, limits),
        check_daily_loss(book, limits),
        check_drawdown(book, limits),
    ]
    if proposal is None:
        return Assessment(checks, None)
    value = proposal.value
    if proposal.side == "buy":
        price = market.last_price or Decimal(0)
        if limits.max_order_value is not None:
            check = _clamp("max_order_value", value, limits.max_order_value, "the order limit")
            checks.append(check)
            value = min(value, limits.max_order_value)
        position_cap = limits.max_position_fraction * book.account_equity - book.position_value
        checks.append(
            _clamp(
                "max_position",
                value,
                position_cap,
                f"a position of at most {limits.max_position_fraction:.0%} of the account's "
                f"equity {book.account_equity:.2f}",
                position_value=book.position_value,
                price=price,
            )
        )
        value = min(value, max(position_cap, Decimal(0)))
        if limits.max_exposure_value is not None:
            cap = limits.max_exposure_value - book.position_value
            checks.append(
                _clamp(
                    "exposure",
                    value,
                    cap,
                    f"the deployment's exposure limit {limits.max_exposure_value}",
                    position_value=book.position_value,
                )
            )
            value = min(value, max(cap, Decimal(0)))
        if limits.max_total_exposure_value is not None:
            held = book.other_exposure + book.position_value
            cap = limits.max_total_exposure_value - held
            checks.append(
                _clamp(
                    "total_exposure",
                    value,
                    cap,
                    f"the total exposure limit {limits.max_total_exposure_value}",
                    exposure=held,
                )
            )
            value = min(value, max(cap, Decimal(0)))
    elif limits.max_order_value is not None:
        checks.append(_clamp("max_order_value", value, limits.max_order_value, "the order limit"))
        value = min(value, limits.max_order_value)
    minimum = limits.min_order_value
    if value <= 0 or value < minimum:
        clamped = value != proposal.value
        checks.append(
            Check(
                "min_order_value",
                FAIL,
                f"order {value:.2f} is below the minimum {minimum}"
                + (f" after limits cut it from {proposal.value:.2f}" if clamped else ""),
                _n(value=value, minimum=minimum, wanted=proposal.value),
            )
        )
    else:
        checks.append(
            Check(
                "min_order_value",
                PASS,
                f"order {value:.2f} at or above the minimum {minimum}",
                _n(value=value, minimum=minimum),
            )
        )
    return Assessment(checks, value)
