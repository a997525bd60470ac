"""The registry of strategies by name, seeded with the built-ins."""

from __future__ import annotations

from collections.abc import Callable

from omc.backtest.errors import UnknownStrategyError
from omc.strategies.base import Strategy

_registry: dict[str, Strategy] = {}
_resolvers: dict[str, Callable[[str], Strategy]] = {}
_builtins_loaded = False


def register_resolver(prefix: str, resolver: Callable[[str], Strategy]) -> None:
    """Resolve names starting with ``prefix:`` through `resolver` (the whole name is passed):
    how a process that holds a database makes ``algo:NAME[@VERSION]`` loadable by name."""
    _resolvers[prefix.lower().rstrip(":")] = resolver


def unregister_resolver(prefix: str) -> None:
    _resolvers.pop(prefix.lower().rstrip(":"), None)


def register_strategy(strategy: Strategy, *, replace: bool = False) -> Strategy:
    """Make `strategy` available by its name; refuses to shadow another unless `replace`."""
    _ensure_builtins()
    if strategy.name in _registry and not replace:
        raise ValueError(f"A strategy named {strategy.name!r} is already registered.")
    _registry[strategy.name] = strategy
    return strategy


def unregister_strategy(name: str) -> None:
    """Forget the strategy registered as `name` (a lab experiment, a test's own strategy)."""
    _registry.pop(name, None)


def _ensure_builtins() -> None:
    # A flag, not "is the registry empty": a strategy registered before the first lookup must
    # not hide the built-ins.
    global _builtins_loaded
    if _builtins_loaded:
        return
    from omc.strategies.builtin import BUILTIN_STRATEGIES

    for strategy_class in BUILTIN_STRATEGIES:
        _registry.setdefault(strategy_class.name, strategy_class())
    _builtins_loaded = True


def get_strategy(name: str) -> Strategy:
    """The strategy registered as `name` (hyphens accepted for underscores)."""
    _ensure_builtins()
    prefix, separator, _ = name.strip().partition(":")
    if separator:
        resolver = _resolvers.get(prefix.lower())
        if resolver is None:
            raise UnknownStrategyError(
                f"Strategy '{name}' names a stored {prefix.lower()}, which loads from the "
                "database: run it through omc backtest (omc backtest run algo:NAME)."
            )
        return resolver(name.strip())
    key = name.strip().lower().replace("-", "_")
    try:
        return _registry[key]
    except KeyError:
        known = ", ".join(sorted(_registry))
        raise UnknownStrategyError(
            f"Unknown strategy '{name}'; available strategies: {known}."
        ) from None


def list_strategies() -> list[Strategy]:
    """All registered strategies, sorted by name."""
    _ensure_builtins()
    return [_registry[name] for name in sorted(_registry)]
