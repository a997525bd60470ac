"""Users' LLM credentials: add, list, choose the default, remove, and reveal for use.

Every query is scoped to one user (``user_id``), so one user can never see or use another's
credentials, and boolean filters use ``col.is_(True)`` so they really filter.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from omc.db import utcnow
from omc.errors import NotFound, UsageProblem
from omc.llm.models import UserLLMCredential
from omc.llm.providers import provider
from omc.settings import mask_secret
from omc.vault import Sealed, Vault


def short_id(credential_id: uuid.UUID) -> str:
    """The 8-hex-digit prefix shown in lists and accepted by commands."""
    return credential_id.hex[:8]


def active_credentials(session: Session, user_id: uuid.UUID) -> list[UserLLMCredential]:
    """The user's credentials that are not removed, oldest first."""
    query = (
        select(UserLLMCredential)
        .where(UserLLMCredential.user_id == user_id)
        .where(UserLLMCredential.is_active.is_(True))
        .order_by(UserLLMCredential.created_at, UserLLMCredential.id)
    )
    return list(session.exec(query))


def default_credential(session: Session, user_id: uuid.UUID) -> UserLLMCredential | None:
    """The user's default credential, if one is active."""
    query = (
        select(UserLLMCredential)
        .where(UserLLMCredential.user_id == user_id)
        .where(UserLLMCredential.is_default.is_(True))
        .where(UserLLMCredential.is_active.is_(True))
    )
    return session.exec(query).first()


def find_credential(
    session: Session, user_id: uuid.UUID, ref: str, *, include_removed: bool = False
) -> UserLLMCredential:
    """The user's credential whose id starts with ``ref``; another user's ids are never found."""
    wanted = ref.strip().lower().replace("-", "")
    if not wanted or any(char not in "0123456789abcdef" for char in wanted):
        raise UsageProblem(f"invalid credential id {ref!r}: use the ID shown by `omc llm list`")
    query = select(UserLLMCredential).where(UserLLMCredential.user_id == user_id)
    if not include_removed:
        query = query.where(UserLLMCredential.is_active.is_(True))
    matches = [row for row in session.exec(query) if row.id.hex.startswith(wanted)]
    if not matches:
        raise NotFound(f"no LLM credential {ref!r}; `omc llm list` shows yours")
    if len(matches) > 1:
        raise UsageProblem(f"credential id {ref!r} is ambiguous; give more characters")
    return matches[0]


def _clear_default(session: Session, user_id: uuid.UUID) -> None:
    session.execute(
        sa.update(UserLLMCredential)
        .where(UserLLMCredential.user_id == user_id)
        .where(UserLLMCredential.is_default.is_(True))
        .values(is_default=False, updated_at=utcnow())
    )


def store_credential(
    session: Session,
    vault: Vault,
    user_id: uuid.UUID,
    provider_name: str,
    model: str,
    api_key: str | None,
    *,
    base_url: str | None = None,
    make_default: bool = False,
) -> UserLLMCredential:
    """Encrypt and store a credential; the user's first one becomes the default."""
    provider(provider_name)
    if not model.strip():
        raise UsageProblem("the model name is empty")
    sealed = vault.encrypt(session, api_key) if api_key else None
    if make_default or default_credential(session, user_id) is None:
        _clear_default(session, user_id)
        make_default = True
    row = UserLLMCredential(
        user_id=user_id,
        provider=provider_name,
        model_name=model.strip(),
        base_url=base_url,
        encrypted_api_key=sealed.ciphertext if sealed else None,
        encryption_key_id=sealed.key_id if sealed else None,
        key_hint=mask_secret(api_key) if api_key else "",
        is_default=make_default,
    )
    session.add(row)
    session.flush()
    return row


def set_default(session: Session, user_id: uuid.UUID, ref: str) -> UserLLMCredential:
    row = find_credential(session, user_id, ref)
    _clear_default(session, user_id)
    row.is_default = True
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def remove_credential(
    session: Session, user_id: uuid.UUID, ref: str, *, purge: bool = False
) -> UserLLMCredential:
    """Soft-delete a credential; ``purge`` also erases its ciphertext for good."""
    row = find_credential(session, user_id, ref, include_removed=purge)
    row.is_active = False
    row.is_default = False
    if purge:
        row.encrypted_api_key = None
        row.encryption_key_id = None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def reveal_api_key(
    session: Session, vault: Vault, credential: UserLLMCredential, *, purpose: str
) -> str | None:
    """Decrypt the credential's key for ``purpose`` (audited); None for a key-less server."""
    if credential.encrypted_api_key is None or credential.encryption_key_id is None:
        return None
    return vault.decrypt(
        session,
        Sealed(credential.encrypted_api_key, credential.encryption_key_id),
        user_id=credential.user_id,
        target=f"user_llm_credentials:{credential.id}",
        purpose=purpose,
    )


def mark_used(
    session: Session, credential: UserLLMCredential, now: dt.datetime | None = None
) -> None:
    credential.last_used_at = now or utcnow()
    session.add(credential)
    session.flush()
