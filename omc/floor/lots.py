"""FIFO lots: what a buy adds, what a sell takes away and the profit it realises.

A lot is ``(quantity, unit_cost)`` with the buy's fee folded into the unit cost; a sell's fee
reduces its proceeds. Pure functions on ``Decimal``s, shared by the positions the brokers keep
and by the P&L report, so both always agree.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass
class Lots:
    """The open lots of one coin, oldest first, and the profit realised so far."""

    open: deque[tuple[Decimal, Decimal]] = field(default_factory=deque)
    realized: Decimal = ZERO
    fees: Decimal = ZERO
    # Coin sold that no recorded buy explains (a deposit, a trade on the website).
    unmatched: Decimal = ZERO

    @classmethod
    def from_json(cls, rows: list[list[str]] | None, realized: Decimal = ZERO) -> Lots:
        lots = deque((Decimal(quantity), Decimal(cost)) for quantity, cost in rows or [])
        return cls(open=lots, realized=realized)

    def to_json(self) -> list[list[str]]:
        return [[str(quantity), str(cost)] for quantity, cost in self.open]

    @property
    def quantity(self) -> Decimal:
        return sum((quantity for quantity, _ in self.open), ZERO)

    @property
    def cost(self) -> Decimal:
        return sum((quantity * cost for quantity, cost in self.open), ZERO)

    def buy(self, quantity: Decimal, price: Decimal, fee: Decimal) -> None:
        if quantity <= 0:
            return
        self.open.append((quantity, price + fee / quantity))
        self.fees += fee

    def sell(self, quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Take ``quantity`` from the oldest lots; return the profit this sale realised."""
        proceeds = quantity * price - fee
        remaining = quantity
        basis = ZERO
        while remaining > 0 and self.open:
            lot_quantity, unit_cost = self.open[0]
            taken = min(lot_quantity, remaining)
            basis += taken * unit_cost
            remaining -= taken
            if taken == lot_quantity:
                self.open.popleft()
            else:
                self.open[0] = (lot_quantity - taken, unit_cost)
        if remaining > 0:
            self.unmatched += remaining
        profit = proceeds - basis
        self.realized += profit
        self.fees += fee
        return profit

    def apply(self, side: str, quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Apply one fill; returns the realised profit (zero for a buy)."""
        if side == "buy":
            self.buy(quantity, price, fee)
            return ZERO
        return self.sell(quantity, price, fee)
