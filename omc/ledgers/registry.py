"""The list of data sources. A source module registers its class with :func:`register`.

Modules are imported on first use (never at CLI import time), from :data:`SOURCE_MODULES`;
a new ledger's collectors add their modules there.
"""

from __future__ import annotations

import importlib

from omc.errors import UsageProblem
from omc.ledgers.source import LEDGERS, Source

SOURCE_MODULES: list[str] = [
    "omc.ledgers.exchange.coinspot",
    "omc.ledgers.glass.defillama",
    "omc.ledgers.glass.onchain",
    "omc.ledgers.glass.nansen",
    "omc.ledgers.human.rss",
    "omc.ledgers.human.cryptopanic",
    "omc.ledgers.human.reddit",
    "omc.ledgers.catalyst.sec_feed",
    "omc.ledgers.catalyst.sec_submissions",
    "omc.ledgers.catalyst.coinspot_listings",
    "omc.ledgers.catalyst.binance_listings",
]

_SOURCES: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source known by its ``name``."""
    if cls.ledger not in LEDGERS:
        raise ValueError(f"source {cls.name}: unknown ledger {cls.ledger!r}")
    _SOURCES[cls.name] = cls
    return cls


def _load() -> None:
    for module in SOURCE_MODULES:
        importlib.import_module(module)


def all_sources() -> list[Source]:
    """One instance of every registered source, by ledger then name."""
    _load()
    ordered = sorted(_SOURCES.values(), key=lambda cls: (LEDGERS.index(cls.ledger), cls.name))
    return [cls() for cls in ordered]


def get_sources(names: list[str] | None) -> list[Source]:
    """The named sources (all when ``names`` is empty); an unknown name is a usage error."""
    sources = all_sources()
    if not names:
        return sources
    by_name = {source.name: source for source in sources}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise UsageProblem(
            f"unknown source {', '.join(unknown)}; known sources: {', '.join(sorted(by_name))}"
        )
    return [by_name[name] for name in dict.fromkeys(names)]
