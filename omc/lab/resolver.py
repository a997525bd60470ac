"""Makes ``algo:NAME[@VERSION]`` loadable through the strategy registry (`get_strategy`) for a
process that has a database: what the floor and the backtests use. Light to import: the
algorithms module loads only when an algorithm is first asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def install_algorithm_resolver(engine: Any, home: Path) -> None:
    """Resolve ``algo:`` names from `engine`'s algorithms table and `home`'s artifacts."""
    from omc.strategies.registry import register_resolver

    def resolve(name: str) -> Any:
        from omc.lab.algorithms import load_strategy

        return load_strategy(engine, home, name)

    register_resolver("algo", resolve)
