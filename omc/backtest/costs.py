"""Trading costs: CoinSpot's percentage fee per fill (GST included), slippage, minimum order.

CoinSpot reports each fill's fee as `audfeeExGst + audGst`; the rate here is the total the
trader pays, so the GST split is only needed to present fees the way CoinSpot does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal

# CoinSpot's instant buy/sell fee is 1% of the order value, GST included. Source: a real
# `ro/my/transactions` item quoted in ccxt `python/ccxt/coinspot.py` (see
# shared/research/external-apis.md, CoinSpot "Completed order item"): audtotal 200 with
# audfeeExGst 1.80018002 + audGst 0.180018 = 1.98019802, which is exactly 1% of the
# 198.01980198 that bought coin. Order-book (limit) orders are cheaper on CoinSpot's fee page
# (0.1%), a figure not confirmed in our stored sources; pass it explicitly when you use them.
COINSPOT_INSTANT_FEE_RATE = 0.01
DEFAULT_SLIPPAGE_BPS = 0.0
# CoinSpot rejects tiny orders; the stored sources do not state the exact floor, so the default
# is none and the setting is there for users who know their account's minimum.
DEFAULT_MINIMUM_ORDER_VALUE = 0.0
GST_RATE = Decimal("0.1")  # Australian GST, included in CoinSpot's fee
CENT_PRECISION = Decimal("0.00000001")  # CoinSpot reports AUD amounts to 8 decimal places


@dataclass(frozen=True)
class CostModel:
    """What each fill costs: `fee_rate` of the fill's value (GST included), plus slippage.

    Slippage moves the fill price against the trader by `slippage_bps` basis points. Rebalances
    smaller than `minimum_order_value` (in the quote currency) are skipped, as the exchange
    would refuse them.
    """

    fee_rate: float = COINSPOT_INSTANT_FEE_RATE
    slippage_bps: float = DEFAULT_SLIPPAGE_BPS
    minimum_order_value: float = DEFAULT_MINIMUM_ORDER_VALUE

    def __post_init__(self) -> None:
        from omc.backtest.errors import BacktestError

        if not 0.0 <= self.fee_rate < 0.1:
            raise BacktestError(
                f"The fee must be a fraction between 0 and 0.1 (0.01 is 1%), got {self.fee_rate}."
            )
        if not 0.0 <= self.slippage_bps < 1000.0:
            raise BacktestError(
                f"Slippage must be between 0 and 1000 basis points, got {self.slippage_bps}."
            )
        if self.minimum_order_value < 0.0:
            raise BacktestError(
                f"The minimum order value cannot be negative, got {self.minimum_order_value}."
            )

    @property
    def slippage_rate(self) -> float:
        """Slippage as a fraction of price."""
        return self.slippage_bps / 10_000.0

    def to_dict(self) -> dict[str, float]:
        """A JSON-able copy, for results and reports."""
        return asdict(self)


def split_gst(fee: Decimal) -> tuple[Decimal, Decimal]:
    """Split a GST-inclusive fee into (fee excluding GST, GST), rounded as CoinSpot reports them."""
    fee_ex_gst = (fee / (1 + GST_RATE)).quantize(CENT_PRECISION, rounding=ROUND_HALF_EVEN)
    return fee_ex_gst, fee - fee_ex_gst
