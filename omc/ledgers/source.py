"""What a data source is: a name, a ledger, an interval, the settings it needs, and four steps.

``fetch`` (HTTP through :meth:`CollectContext.http`) → ``validate`` (pydantic: the whole
response or nothing) → ``normalise`` (rows for ledger tables, as :class:`Batch` es) → ``store``
(idempotent upserts, in one transaction the runner owns). To add a source, subclass
:class:`Source` in a module of its ledger, decorate it with :func:`omc.ledgers.registry.register`
and list the module in ``omc.ledgers.registry.SOURCE_MODULES``.
"""

from __future__ import annotations

import datetime as dt
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from omc.cache import Cache
from omc.db import utcnow
from omc.ledgers.http import HttpClient, RetryPolicy
from omc.ledgers.upsert import UpdateRule, UpsertCount, upsert
from omc.settings import Settings

LEDGERS = ("glass", "human", "catalyst", "exchange")


@dataclass
class CollectContext:
    """What a source may use: settings, the clock, the hot cache and an HTTP client factory.

    Tests pass a fixed ``clock`` and a no-op ``sleep``; the daemon passes the real ones.
    """

    settings: Settings
    clock: Callable[[], dt.datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    cache: Cache | None = None
    retry: RetryPolicy | None = None

    def http(
        self,
        name: str,
        base_url: str,
        *,
        requests_per_minute: int | None = None,
        requests_per_second: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpClient:
        market = self.settings.market
        return HttpClient(
            name,
            base_url,
            timeout=market.http_timeout_seconds,
            retry=self.retry or RetryPolicy(attempts=market.http_attempts),
            requests_per_minute=requests_per_minute,
            requests_per_second=requests_per_second,
            headers=headers,
            sleep=self.sleep,
        )


@dataclass
class Batch:
    """Rows for one table, written with one upsert on the table's natural ``keys``."""

    table: sa.Table
    rows: list[dict[str, Any]]
    keys: tuple[str, ...]
    update: Sequence[str] | Mapping[str, UpdateRule] | None = None


@dataclass
class Normalised:
    """What ``normalise`` returns: the batches to store, and notes for the run record."""

    batches: list[Batch]
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(len(batch.rows) for batch in self.batches)


class Source(ABC):
    """One data source. Subclasses set the class attributes and implement the steps."""

    name: ClassVar[str]
    ledger: ClassVar[str]
    interval: ClassVar[dt.timedelta]
    description: ClassVar[str] = ""
    # Dotted setting names that must be set (e.g. "human.cryptopanic_token"); if one is empty
    # the source is reported as not configured and skipped.
    required_settings: ClassVar[tuple[str, ...]] = ()

    def missing_settings(self, settings: Settings) -> list[str]:
        missing = []
        for dotted in self.required_settings:
            value: Any = settings
            for part in dotted.split("."):
                value = getattr(value, part, None)
            if value in (None, "", [], ()):
                missing.append(dotted)
        return missing

    def interval_for(self, settings: Settings) -> dt.timedelta:
        """The polling interval; a source may read it from settings."""
        return self.interval

    @abstractmethod
    def fetch(self, ctx: CollectContext) -> Any:
        """Get the raw response(s). Raise the errors of :mod:`omc.ledgers.http`."""

    @abstractmethod
    def validate(self, raw: Any) -> Any:
        """Check the raw response against the source's pydantic schema (raise on any problem)."""

    @abstractmethod
    def normalise(self, validated: Any, ctx: CollectContext) -> Normalised:
        """Turn validated data into rows for the ledger tables."""

    def store(self, connection: Connection, normalised: Normalised) -> UpsertCount:
        """Upsert every batch; the runner wraps this in one transaction."""
        total = UpsertCount()
        for batch in normalised.batches:
            total += upsert(
                connection, batch.table, batch.rows, keys=batch.keys, update=batch.update
            )
        return total

    def after_store(self, ctx: CollectContext, normalised: Normalised) -> None:  # noqa: B027
        """Optional: work after a successful commit (the price source fills the hot cache)."""
