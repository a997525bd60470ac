"""Errors the strategy and backtest code raises, each with a one-line message for the user."""

from omc.errors import EX_DATAERR, EX_USAGE, OmcError


class BacktestError(OmcError):
    """A backtest cannot run as asked: `message` is shown to the user; omc exits `exit_code`."""

    exit_code = EX_DATAERR  # the input data or parameters were wrong


class NoDataError(BacktestError):
    """There are no bars for the requested coin or span."""


class TooFewBarsError(BacktestError):
    """There are bars, but fewer than the strategy's parameters need to produce a signal."""


class UnknownStrategyError(BacktestError):
    """No strategy is registered under the requested name."""

    exit_code = EX_USAGE


class ParameterError(BacktestError):
    """A strategy parameter is unknown, malformed, out of range or inconsistent with another."""

    exit_code = EX_USAGE


class StrategyOutputError(BacktestError):
    """A strategy returned targets that are not one finite number in [0, 1] per bar."""
