"""``omc vault status`` as data: key source, key version, secrets, problems."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omc.errors import OmcError
from omc.vault.keys import key_file_path, permission_problems
from omc.vault.store import Vault, current_versions, stored_key_ids


def vault_status(session: Session, vault: Vault) -> dict[str, Any]:
    """Everything an operator needs to know about the vault, with no key material."""
    problems: list[str] = []
    path = key_file_path(vault.home)
    problems.extend(permission_problems(path))
    ring = None
    try:
        ring = vault.keyring(reload=True)
    except OmcError as error:
        problems.append(error.message)
    versions = {row.key_id: row for row in current_versions(session)}
    stored = stored_key_ids(session)
    held = ring.key_ids() if ring else []
    unreadable = sum(count for key_id, count in stored.items() if key_id not in held)
    if unreadable:
        problems.append(
            f"{unreadable} secret(s) need a master key that the current source does not hold"
        )
    if ring is not None and len(ring.keys) > 1:
        problems.append(
            f"the {ring.source} holds {len(ring.keys)} keys: a rotation has not finished or "
            "old keys were not removed; run `omc vault rotate`"
        )
    primary = ring.primary.key_id if ring else None
    return {
        "source": ring.source if ring else None,
        "key_file": str(path),
        "key_id": primary,
        "key_version": versions[primary].version if primary in versions else None,
        "keys_held": len(ring.keys) if ring else 0,
        "secrets": sum(stored.values()),
        "secrets_by_version": {
            (f"v{versions[key_id].version}" if key_id in versions else key_id): count
            for key_id, count in sorted(stored.items())
        },
        "unreadable_secrets": unreadable,
        "problems": problems,
        "healthy": not problems,
    }
