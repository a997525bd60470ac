"""Backtesting: costs, the vectorised engine, the exact fills ledger, metrics, walk-forward.

Import the submodules directly (`omc.backtest.runner`); this package stays import-light so
that `omc --help` never loads pandas or NumPy.
"""
