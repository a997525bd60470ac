"""What a data source is: a name, a ledger, an interval, the settings it needs, and four steps.

``fetch`` (HTTP through :meth:`CollectContext.http`) → ``validate`` (pydantic: the whole
response or nothing) → ``normalise`` (rows for ledger tables, as :class:`Batch` es) → ``store``
(idempotent upserts, in one transaction the runner owns). To add a source, subclass
:class:`Source` in a module of its ledger, decorate it with :func:`omc.ledgers.registry.register`
and list the module in ``omc.ledgers.registry.SOURCE_MODULES``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from omc.cache import Cache
from omc.db import utcnow
from omc.errors import OmcError
from omc.ledgers.http import HttpClient, RetryPolicy, SharedConnections
from omc.ledgers.upsert import UpdateRule, UpsertCount, upsert
from omc.settings import Settings

LEDGERS = ("glass", "human", "catalyst", "exchange")


def setting_value(settings: Settings, dotted: str) -> Any:
    """The value of a dotted setting (``glass.nansen_api_key``), None if there is none."""
    value: Any = settings
    for part in dotted.split("."):
        value = getattr(value, part, None)
    return value


def _is_empty(value: Any) -> bool:
    return value in (None, "", [], ())


class SecretStore(Protocol):
    """Collector secrets held outside the settings (the vault): names without decrypting, and
    one value decrypted (and audited) for a purpose."""

    def names(self) -> set[str]: ...

    def reveal(self, name: str, *, purpose: str) -> str | None: ...


class RunCancelled(OmcError):
    """A requested stop ended the run before it stored anything: ``ctx.sleep`` raises it.

    Not a failure: the run is recorded as ``cancelled`` and does not count toward the source's
    failure backoff; it is never retried.
    """


@dataclass
class CollectContext:
    """What a source may use: settings, secrets, the clock, the hot cache and an HTTP client
    factory (its clients share one connection pool and per-host rate limiters,
    :attr:`connections`, across runs: :meth:`for_run` copies keep the same one).

    Tests pass a fixed ``clock`` and a no-op ``sleep``; the daemon passes the real ones, whose
    ``sleep`` raises :class:`RunCancelled` once the daemon is stopping.
    Secrets come from :meth:`secret`; the runner gives each run its own copy
    (:meth:`for_run`), so a vault secret is decrypted at most once per run and not kept after.
    """

    settings: Settings
    clock: Callable[[], dt.datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    cache: Cache | None = None
    retry: RetryPolicy | None = None
    vault_secrets: SecretStore | None = None
    purpose: str = "collect"
    connections: SharedConnections = field(default_factory=SharedConnections)
    _resolved: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def for_run(self, purpose: str) -> CollectContext:
        """A copy for one run: same resources, no secret resolved yet."""
        return dataclasses.replace(self, purpose=purpose)

    def secret(self, name: str) -> str | None:
        """The secret setting ``name``: an explicitly set setting (environment, flag, or a
        config file, which ``omc config show`` warns about) wins, else the vault, else None."""
        value = setting_value(self.settings, name)
        if not _is_empty(value):
            return str(value)
        if self.vault_secrets is None:
            return None
        if name not in self._resolved:
            revealed = self.vault_secrets.reveal(name, purpose=self.purpose)
            self._resolved[name] = revealed or None
            if revealed:
                from omc.redaction import remember

                remember(revealed)  # so every omc log handler masks it from now on
        return self._resolved[name]

    def stored_secret_names(self) -> set[str]:
        """The names of the secrets the vault holds (nothing is decrypted)."""
        return self.vault_secrets.names() if self.vault_secrets is not None else set()

    def missing_settings(self, source: Source) -> list[str]:
        """The source's required settings that neither the settings nor the vault hold."""
        missing = source.missing_settings(self.settings)
        if missing:
            stored = self.stored_secret_names()
            missing = [name for name in missing if name not in stored]
        return missing

    def known_secrets(self) -> list[str]:
        """Every secret value this run may have seen: the settings' and the vault's it used."""
        from omc.redaction import secrets_in

        return [*secrets_in(self.settings), *(v for v in self._resolved.values() if v)]

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
            shared=self.connections,
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
    # (and, for a secret, not in the vault) the source is reported as not configured.
    required_settings: ClassVar[tuple[str, ...]] = ()
    # The secret settings the source reads through ``ctx.secret``; only these (and the
    # backfill's) may be stored with ``omc collect keys set``.
    secret_settings: ClassVar[tuple[str, ...]] = ()
    # The dotted setting (seconds) that overrides ``interval``, e.g. "glass.defillama_seconds".
    interval_setting: ClassVar[str | None] = None

    def missing_settings(self, settings: Settings, stored: Collection[str] = ()) -> list[str]:
        """Required settings that are empty; names in ``stored`` (the vault's) count as set."""
        return [
            dotted
            for dotted in self.required_settings
            if _is_empty(setting_value(settings, dotted)) and dotted not in stored
        ]

    def interval_for(self, settings: Settings) -> dt.timedelta:
        """The polling interval: the ``interval_setting`` when there is one, else ``interval``."""
        if self.interval_setting is None:
            return self.interval
        return dt.timedelta(seconds=setting_value(settings, self.interval_setting))

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
