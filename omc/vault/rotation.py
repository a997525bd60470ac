"""``omc vault rotate``: a new primary key, every secret re-encrypted in one transaction.

Order of work, so that a crash at any point leaves every secret readable:

1. the key file is rewritten as *new key, old keys* (atomically), so both can decrypt;
2. one database transaction re-encrypts every secret with the new key, records the new key
   version and marks the old ones retired; a failure rolls all of it back;
3. only after that commit is the key file rewritten with the new key alone.

A crash between 1 and 2, or inside 2, leaves old ciphertexts that the old key (still in the
file) decrypts; a crash between 2 and 3 leaves new ciphertexts and a file holding both keys.
Running ``omc vault rotate`` again finishes the job either way.

When the key comes from the environment or a systemd credential omc cannot write the source:
the operator puts the new key first (``OMC_MASTER_KEY=NEW,OLD``), rotates, then drops OLD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.core import audit
from omc.db import session_scope
from omc.errors import UsageProblem
from omc.vault.keys import ENV_NAME, generate_key, write_key_file
from omc.vault.registry import SECRET_COLUMNS
from omc.vault.store import Vault, register_key, retire_others


@dataclass(frozen=True)
class RotationResult:
    """What a rotation did: the new key's id and version, the retired ids, secrets rewritten."""

    key_id: str
    version: int
    retired: tuple[str, ...]
    secrets: int
    source: str
    source_still_holds_old_keys: bool


def rotate(
    engine: Engine, vault: Vault, *, on_secret: Callable[[int], None] | None = None
) -> RotationResult:
    """Re-encrypt every stored secret with a new primary key (see the module docstring).

    ``on_secret`` is called with the running count after each secret is re-encrypted (for a
    progress display); an exception from it aborts the rotation like any other failure.
    """
    from cryptography.fernet import Fernet, MultiFernet

    with session_scope(engine) as session:
        ring = vault.check_readable(session)
    if ring is None:
        raise UsageProblem("there is no master key yet, so nothing to rotate")
    writable = ring.source == "key file"
    if writable:
        assert ring.path is not None
        keys = (generate_key(), *ring.keys)
        write_key_file(ring.path, keys)
    else:
        if len(ring.keys) < 2:
            raise UsageProblem(
                f"the master key comes from the {ring.source}, which omc cannot change: put a new "
                f"key first ({ENV_NAME}=NEW,OLD or the same in the credential) and run "
                "`omc vault rotate` again"
            )
        keys = ring.keys
    primary = keys[0]
    multi = MultiFernet([Fernet(key.key) for key in keys])
    count = 0
    with session_scope(engine) as session:
        version = register_key(session, primary).version
        for column in SECRET_COLUMNS:
            table = column.table
            rows = session.execute(
                sa.select(table.c[column.id], table.c[column.ciphertext]).where(
                    table.c[column.ciphertext].is_not(None)
                )
            ).all()
            for row_id, ciphertext in rows:
                token = multi.rotate(ciphertext.encode()).decode()
                session.execute(
                    sa.update(table)
                    .where(table.c[column.id] == row_id)
                    .values({column.ciphertext: token, column.key_id: primary.key_id})
                )
                count += 1
                if on_secret is not None:
                    on_secret(count)
        retire_others(session, primary.key_id)
        retired = tuple(key.key_id for key in keys[1:])
        audit.record(
            session,
            "vault.rotate",
            target=primary.key_id,
            detail={"version": version, "retired": list(retired), "secrets": count},
        )
    if writable:
        assert ring.path is not None
        write_key_file(ring.path, (primary,))
    vault.keyring(reload=True)
    return RotationResult(
        key_id=primary.key_id,
        version=version,
        retired=retired,
        secrets=count,
        source=ring.source,
        source_still_holds_old_keys=not writable,
    )
