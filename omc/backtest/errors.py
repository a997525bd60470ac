"""Errors the strategy and backtest code raises, each with a one-line message for the user.

`BacktestError` will be re-parented onto `omc.errors.OmcError` once that exists; only the base
class line below needs to change.
"""


class BacktestError(Exception):
    """A backtest cannot run as asked: `message` is shown to the user; omc exits `exit_code`."""

    exit_code = 65  # EX_DATAERR from sysexits.h: the input data or parameters were wrong

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoDataError(BacktestError):
    """There are no bars for the requested coin or span."""


class TooFewBarsError(BacktestError):
    """There are bars, but fewer than the strategy's parameters need to produce a signal."""


class UnknownStrategyError(BacktestError):
    """No strategy is registered under the requested name."""


class ParameterError(BacktestError):
    """A strategy parameter is unknown, malformed, out of range or inconsistent with another."""


class StrategyOutputError(BacktestError):
    """A strategy returned targets that are not one finite number in [0, 1] per bar."""
