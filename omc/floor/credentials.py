"""Each user's CoinSpot API key and secret, sealed together by the vault.

The signed CoinSpot client that validates and uses them arrives with the trading floor; it
will read them through :func:`reveal_coinspot`, which audits every decryption.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from omc.db import utcnow
from omc.errors import NotFound, UsageProblem
from omc.floor.models import CoinspotCredential
from omc.settings import mask_secret
from omc.vault import Sealed, Vault


def _current(session: Session, user_id: uuid.UUID) -> CoinspotCredential | None:
    query = select(CoinspotCredential).where(CoinspotCredential.user_id == user_id)
    return session.exec(query).first()


def set_coinspot(
    session: Session, vault: Vault, user_id: uuid.UUID, api_key: str, api_secret: str
) -> dict[str, Any]:
    """Store (or replace) the user's CoinSpot key and secret, encrypted."""
    if not api_key.strip() or not api_secret.strip():
        raise UsageProblem("both the CoinSpot API key and secret are needed")
    sealed = vault.encrypt(
        session, json.dumps({"key": api_key.strip(), "secret": api_secret.strip()})
    )
    row = _current(session, user_id) or CoinspotCredential(user_id=user_id)
    row.encrypted_secret = sealed.ciphertext
    row.encryption_key_id = sealed.key_id
    row.key_hint = mask_secret(api_key.strip())
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return show_coinspot(session, user_id)


def show_coinspot(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """The stored key, masked, and when it was set; never the secret."""
    row = _current(session, user_id)
    if row is None or row.encrypted_secret is None:
        raise NotFound("no CoinSpot API key is stored; add one with `omc floor keys set`")
    return {"key": row.key_hint, "secret": "(stored, encrypted)", "updated": row.updated_at}


def remove_coinspot(session: Session, user_id: uuid.UUID) -> None:
    """Erase the user's CoinSpot credentials (the ciphertext is deleted, not hidden)."""
    row = _current(session, user_id)
    if row is None:
        raise NotFound("no CoinSpot API key is stored")
    session.delete(row)
    session.flush()


def reveal_coinspot(
    session: Session, vault: Vault, user_id: uuid.UUID, *, purpose: str
) -> tuple[str, str]:
    """The user's CoinSpot key and secret, decrypted for ``purpose`` (audited)."""
    row = _current(session, user_id)
    if row is None or row.encrypted_secret is None or row.encryption_key_id is None:
        raise NotFound("no CoinSpot API key is stored; add one with `omc floor keys set`")
    payload = json.loads(
        vault.decrypt(
            session,
            Sealed(row.encrypted_secret, row.encryption_key_id),
            user_id=user_id,
            target=f"coinspot_credentials:{row.id}",
            purpose=purpose,
        )
    )
    return payload["key"], payload["secret"]
