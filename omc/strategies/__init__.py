"""Strategies: bars (and as-of features) in, a target position in [0, 1] per bar out."""

from omc.strategies.base import Parameter, Parameters, Strategy, price_column
from omc.strategies.registry import (
    get_strategy,
    list_strategies,
    register_resolver,
    register_strategy,
    unregister_resolver,
    unregister_strategy,
)

__all__ = [
    "Parameter",
    "Parameters",
    "Strategy",
    "get_strategy",
    "list_strategies",
    "price_column",
    "register_resolver",
    "register_strategy",
    "unregister_resolver",
    "unregister_strategy",
]
