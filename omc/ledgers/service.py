"""What the CLI and the daemon share: building a collection context from a runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omc.ledgers.source import CollectContext

if TYPE_CHECKING:
    from omc.runtime import Runtime


def collect_context(runtime: Runtime) -> CollectContext:
    """A context with the real clock and sleep, the configured hot cache and the vault's
    collector keys."""
    from omc.cache import open_cache
    from omc.ledgers.credentials.store import VaultSecrets

    return CollectContext(
        settings=runtime.settings,
        cache=open_cache(runtime.settings.redis_url),
        vault_secrets=VaultSecrets(runtime.engine(), runtime.vault),
    )
