"""Backtest results as rows of text for people: metrics beside buy-and-hold, walk-forward folds.

Plain strings only (no Rich), so the CLI, the lab's reports and tests share one wording.
Fractions are shown as percentages; undefined ratios as '-'.
"""

from __future__ import annotations

from collections.abc import Callable

from omc.backtest.metrics import Metrics
from omc.backtest.walk_forward import FoldResult
from omc.strategies import Parameters

MISSING = "-"


def percent(value: float | None) -> str:
    """0.1234 → '12.34%'; None → '-'."""
    return MISSING if value is None else f"{value * 100:.2f}%"


def signed_percent(value: float | None) -> str:
    """0.1234 → '+12.34%'; None → '-'."""
    return MISSING if value is None else f"{value * 100:+.2f}%"


def ratio(value: float | None) -> str:
    """A ratio to two decimals; None → '-'."""
    return MISSING if value is None else f"{value:.2f}"


def money(value: float | None) -> str:
    """An amount in the quote currency, with thousands separators."""
    return MISSING if value is None else f"{value:,.2f}"


def duration(seconds: float) -> str:
    """Seconds as the two largest units: '12d 4h', '3h 5m', '0m'."""
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def trades_text(metrics: Metrics) -> str:
    """'12 (1 open)' or '12'."""
    still_open = metrics.trade_count - metrics.closed_trade_count
    return f"{metrics.trade_count} ({still_open} open)" if still_open else str(metrics.trade_count)


METRIC_ROWS: tuple[tuple[str, Callable[[Metrics], str]], ...] = (
    ("final equity", lambda m: money(m.final_equity)),
    ("total return", lambda m: signed_percent(m.total_return)),
    ("CAGR", lambda m: signed_percent(m.cagr)),
    ("annualised volatility", lambda m: percent(m.annualised_volatility)),
    ("Sharpe", lambda m: ratio(m.sharpe)),
    ("Sortino", lambda m: ratio(m.sortino)),
    ("probabilistic Sharpe", lambda m: percent(m.probabilistic_sharpe)),
    ("max drawdown", lambda m: percent(m.max_drawdown)),
    ("max drawdown duration", lambda m: duration(m.max_drawdown_duration_seconds)),
    ("Calmar", lambda m: ratio(m.calmar)),
    ("trades", trades_text),
    ("win rate", lambda m: percent(m.win_rate)),
    ("profit factor", lambda m: ratio(m.profit_factor)),
    ("exposure", lambda m: percent(m.exposure)),
    ("turnover", lambda m: f"{m.turnover:.2f}x"),
    ("fees paid", lambda m: money(m.fees_paid)),
)


def metric_rows(metrics: Metrics, benchmark: Metrics | None = None) -> list[tuple[str, ...]]:
    """(label, strategy value[, buy-and-hold value]) for every headline metric."""
    rows = []
    for label, show in METRIC_ROWS:
        values = (show(metrics),) if benchmark is None else (show(metrics), show(benchmark))
        rows.append((label, *values))
    return rows


def params_text(params: Parameters) -> str:
    """{'fast': 20, 'slow': 100} → 'fast=20 slow=100'."""
    return " ".join(f"{name}={value:g}" for name, value in params.items()) or "defaults"


def short_time(iso: str) -> str:
    """'2024-01-31T17:00:00+00:00' → '2024-01-31 17:00' (UTC, as every time omc shows)."""
    return iso[:16].replace("T", " ")


FOLD_COLUMNS = (
    "fold",
    "test from",
    "parameters",
    "train score",
    "return",
    "Sharpe",
    "max DD",
    "trades",
)


def fold_rows(folds: list[FoldResult]) -> list[tuple[str, ...]]:
    """One row per walk-forward fold, in the order of `FOLD_COLUMNS` (dates are UTC days; the
    training window is the `train` span before each test window, less the embargo)."""
    rows = []
    for fold in folds:
        score = fold.train_score
        rows.append(
            (
                str(fold.fold.number),
                fold.test_period[0][:10],
                params_text(fold.params),
                MISSING if score == float("-inf") else f"{score:.2f}",
                signed_percent(fold.test.total_return),
                ratio(fold.test.sharpe),
                percent(fold.test.max_drawdown),
                str(fold.test.trade_count),
            )
        )
    return rows
