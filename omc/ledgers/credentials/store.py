"""Collector keys in the vault: set, list (masked), remove, and reveal (audited) for a run.

They belong to the installation, not to one user: the collector daemon works for everyone.
A setting that is explicitly set (``OMC_GLASS__NANSEN_API_KEY``, a systemd ``Environment=``)
wins over the vault, so listings say where the value in use comes from.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from omc.core import audit
from omc.db import session_scope, utcnow
from omc.errors import NotFound, UsageProblem
from omc.ledgers.credentials.models import SourceCredential
from omc.ledgers.source import setting_value
from omc.settings import LoadedSettings, mask_secret
from omc.vault import Sealed, Vault


def declared_secret_names() -> list[str]:
    """Every secret setting a source (or the price backfill) reads through ``ctx.secret``."""
    from omc.ledgers.history.backfill import SECRET_SETTINGS
    from omc.ledgers.registry import all_sources

    names = set(SECRET_SETTINGS)
    for source in all_sources():
        names.update(source.secret_settings)
    return sorted(names)


def check_name(name: str) -> str:
    """``name`` if a source declares it as a secret setting; else a usage error listing them."""
    known = declared_secret_names()
    if name not in known:
        raise UsageProblem(f"unknown collector key {name!r}; known keys: {', '.join(known)}")
    return name


def _target(name: str) -> str:
    return f"source_credentials:{name}"


def _overridden_by(loaded: LoadedSettings, name: str) -> str | None:
    """Where an explicitly set setting that wins over the vault comes from, if there is one."""
    if setting_value(loaded.settings, name) in (None, ""):
        return None
    return loaded.origin(name)


def set_credential(
    session: Session, vault: Vault, loaded: LoadedSettings, name: str, value: str
) -> dict[str, Any]:
    """Encrypt and store (or replace) the collector key ``name``."""
    check_name(name)
    value = value.strip()
    if not value:
        raise UsageProblem(f"the value for {name} is empty")
    sealed = vault.encrypt(session, value)
    row = session.get(SourceCredential, name) or SourceCredential(name=name)
    row.encrypted_value = sealed.ciphertext
    row.encryption_key_id = sealed.key_id
    row.value_hint = mask_secret(value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session, "source_credential.set", target=_target(name), detail={"key_id": sealed.key_id}
    )
    return {"name": name, "value": row.value_hint, "overridden_by": _overridden_by(loaded, name)}


def remove_credential(session: Session, name: str) -> None:
    """Erase the stored collector key ``name`` (the ciphertext is deleted, not hidden)."""
    check_name(name)
    row = session.get(SourceCredential, name)
    if row is None:
        raise NotFound(f"no collector key {name} is stored; `omc collect keys list` shows them")
    session.delete(row)
    session.flush()
    audit.record(session, "source_credential.remove", target=_target(name))


def list_credentials(session: Session, loaded: LoadedSettings) -> list[dict[str, Any]]:
    """Every declared collector key: masked value in use, where it comes from, when stored."""
    stored = {row.name: row for row in session.exec(select(SourceCredential))}
    rows = []
    for name in declared_secret_names():
        row = stored.get(name)
        in_vault = row is not None and row.encrypted_value is not None
        setting = setting_value(loaded.settings, name)
        if setting not in (None, ""):
            value, source, updated = mask_secret(str(setting)), loaded.origin(name), None
        elif in_vault:
            assert row is not None
            value, source, updated = row.value_hint, "vault", row.updated_at.isoformat()
        else:
            value, source, updated = None, "not set", None
        rows.append(
            {
                "name": name,
                "value": value,
                "source": source,
                "updated_at": updated,
                "in_vault": in_vault,
            }
        )
    return rows


def reveal_credential(session: Session, vault: Vault, name: str, *, purpose: str) -> str | None:
    """The stored collector key ``name`` decrypted for ``purpose`` (audited); None if absent."""
    row = session.get(SourceCredential, name)
    if row is None or row.encrypted_value is None or row.encryption_key_id is None:
        return None
    return vault.decrypt(
        session,
        Sealed(row.encrypted_value, row.encryption_key_id),
        user_id=None,
        target=_target(name),
        purpose=purpose,
    )


class VaultSecrets:
    """The vault's collector keys for a :class:`~omc.ledgers.source.CollectContext`.

    Holds no plaintext: every :meth:`reveal` decrypts (and audits) anew, and the context asks at
    most once per run, so a key set or removed while the daemon runs counts from the next run.
    """

    def __init__(self, engine: Engine, vault: Vault) -> None:
        self.engine = engine
        self.vault = vault

    def names(self) -> set[str]:
        table = SourceCredential.__table__
        query = sa.select(table.c.name).where(table.c.encrypted_value.is_not(None))
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def reveal(self, name: str, *, purpose: str) -> str | None:
        with session_scope(self.engine) as session:
            return reveal_credential(session, self.vault, name, purpose=purpose)
