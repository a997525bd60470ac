"""Encrypting and decrypting secrets with the master key, with the safety rules around it.

* A key file is created only when no secret is stored yet: omc never generates a key that would
  orphan existing secrets.
* A secret whose key the current source does not hold fails with :class:`SecretUnavailable`
  naming the key version it needs, before anything is written.
* Every decryption adds an audit row (who, which secret, why; never the value).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from omc.core import audit
from omc.db import utcnow
from omc.errors import SecretUnavailable
from omc.vault.keys import (
    ENV_NAME,
    KeyRing,
    MasterKey,
    generate_key,
    key_file_path,
    load_keyring,
    write_key_file,
)
from omc.vault.models import VaultKey
from omc.vault.registry import SECRET_COLUMNS

RESTORE_HINT = (
    f"restore the key file, set {ENV_NAME}, or provide the systemd credential omc-master-key"
)


@dataclass(frozen=True)
class Sealed:
    """A ciphertext and the id of the key that made it."""

    ciphertext: str
    key_id: str


def stored_key_ids(session: Session) -> dict[str, int]:
    """How many stored secrets each key id encrypted (purged rows excluded)."""
    counts: dict[str, int] = {}
    for column in SECRET_COLUMNS:
        table = column.table
        key_col = table.c[column.key_id]
        query = (
            sa.select(key_col, sa.func.count())
            .where(table.c[column.ciphertext].is_not(None))
            .group_by(key_col)
        )
        for key_id, count in session.execute(query):
            counts[key_id] = counts.get(key_id, 0) + count
    return counts


def key_version(session: Session, key_id: str) -> int | None:
    row = session.get(VaultKey, key_id)
    return row.version if row is not None else None


def register_key(session: Session, key: MasterKey) -> VaultKey:
    """The ``vault_keys`` row for ``key``, added with the next version number if new."""
    row = session.get(VaultKey, key.key_id)
    if row is None:
        newest = session.execute(sa.select(sa.func.max(VaultKey.version))).scalar()
        row = VaultKey(key_id=key.key_id, version=(newest or 0) + 1)
        session.add(row)
        session.flush()
    return row


def _describe_missing(
    session: Session, missing: list[str], count: int, ring: KeyRing | None
) -> str:
    versions = sorted(v for v in (key_version(session, key_id) for key_id in missing) if v)
    which = ", ".join(f"v{v}" for v in versions) or ", ".join(missing)
    held = f"the master key from {ring.source}" if ring else "no master key"
    return (
        f"{count} stored secret(s) were encrypted with master key {which}, but omc found "
        f"{held}, which cannot decrypt them; {RESTORE_HINT}"
    )


class Vault:
    """The master keys of one installation, loaded lazily from their source."""

    def __init__(self, home: Path, environ: Mapping[str, str] | None = None) -> None:
        self.home = home
        self._environ = environ
        self._ring: KeyRing | None = None
        self._loaded = False

    def keyring(self, *, reload: bool = False) -> KeyRing | None:
        if reload or not self._loaded:
            self._ring = load_keyring(self.home, self._environ)
            self._loaded = True
        return self._ring

    def check_readable(self, session: Session) -> KeyRing | None:
        """Fail with a clear message if any stored secret needs a key the source lacks."""
        ring = self.keyring()
        stored = stored_key_ids(session)
        held = set(ring.key_ids()) if ring else set()
        missing = [key_id for key_id in stored if key_id not in held]
        if missing:
            count = sum(stored[key_id] for key_id in missing)
            raise SecretUnavailable(_describe_missing(session, missing, count, ring))
        return ring

    def _ring_for_writing(self, session: Session) -> KeyRing:
        ring = self.check_readable(session)
        if ring is None:
            # No secret exists (check_readable passed), so a new key orphans nothing.
            path = key_file_path(self.home)
            write_key_file(path, (generate_key(),))
            ring = self.keyring(reload=True)
            assert ring is not None
        return ring

    def encrypt(self, session: Session, plaintext: str) -> Sealed:
        """Encrypt ``plaintext`` with the primary key, creating the key file on first need."""
        from cryptography.fernet import Fernet

        ring = self._ring_for_writing(session)
        register_key(session, ring.primary)
        token = Fernet(ring.primary.key).encrypt(plaintext.encode())
        return Sealed(ciphertext=token.decode(), key_id=ring.primary.key_id)

    def decrypt(
        self,
        session: Session,
        sealed: Sealed,
        *,
        user_id: uuid.UUID | None,
        target: str,
        purpose: str,
    ) -> str:
        """Decrypt one secret and record who decrypted which secret and why."""
        from cryptography.fernet import Fernet, InvalidToken, MultiFernet

        ring = self.keyring()
        if ring is None or sealed.key_id not in ring.key_ids():
            raise SecretUnavailable(_describe_missing(session, [sealed.key_id], 1, ring))
        try:
            plaintext = MultiFernet([Fernet(key.key) for key in ring.keys]).decrypt(
                sealed.ciphertext.encode()
            )
        except InvalidToken:
            raise SecretUnavailable(
                f"secret {target} cannot be decrypted with the master key from {ring.source} "
                f"(wrong key or damaged ciphertext); {RESTORE_HINT}"
            ) from None
        audit.record(
            session,
            "secret.decrypt",
            user_id=user_id,
            target=target,
            detail={"purpose": purpose, "key_id": sealed.key_id},
        )
        return plaintext.decode()


def current_versions(session: Session) -> list[VaultKey]:
    return list(session.exec(select(VaultKey).order_by(VaultKey.version)))


def retire_others(session: Session, keep: str) -> None:
    now = utcnow()
    for row in current_versions(session):
        if row.key_id != keep and row.retired_at is None:
            row.retired_at = now
            session.add(row)
    session.flush()
