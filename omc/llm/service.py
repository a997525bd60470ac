"""What ``omc llm`` does, as functions of an engine, the vault and settings (no CLI here)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from omc.core import audit
from omc.db import session_scope, utcnow
from omc.errors import UsageProblem
from omc.llm.credentials import (
    active_credentials,
    find_credential,
    reveal_api_key,
    short_id,
    store_credential,
)
from omc.llm.models import UserLLMCredential
from omc.llm.providers import provider, require_package
from omc.llm.validation import validate_key
from omc.settings import Settings
from omc.vault import Vault


def describe(row: UserLLMCredential) -> dict[str, Any]:
    """A credential as shown to its owner: never more of the key than its mask."""
    return {
        "id": short_id(row.id),
        "provider": row.provider,
        "model": row.model_name,
        "base_url": row.base_url,
        "key": row.key_hint or "(none)",
        "default": row.is_default,
        "last_used": row.last_used_at,
    }


def add_credential(
    engine: Engine,
    vault: Vault,
    settings: Settings,
    user_id: uuid.UUID,
    provider_name: str,
    model: str,
    api_key: str | None,
    *,
    base_url: str | None = None,
    make_default: bool = False,
    validate: bool = True,
    clock: Callable[[], dt.datetime] = utcnow,
) -> dict[str, Any]:
    """Validate (unless told not to) and store a credential; a failed validation stores nothing."""
    spec = provider(provider_name)
    require_package(spec)
    if spec.key_required and not api_key:
        raise UsageProblem(f"the {spec.name} provider needs an API key; none was given")
    if spec.base_url_required and not base_url:
        raise UsageProblem(
            f"the {spec.name} provider needs --base-url (e.g. http://127.0.0.1:11434/v1)"
        )
    if validate:
        validate_key(
            engine,
            user_id,
            provider_name,
            model,
            api_key,
            base_url=base_url,
            timeout=settings.llm.request_timeout_seconds,
            limit=settings.llm.validations_per_hour,
            now=clock,
        )
    with session_scope(engine) as session:
        row = store_credential(
            session,
            vault,
            user_id,
            provider_name,
            model,
            api_key,
            base_url=base_url,
            make_default=make_default,
        )
        audit.record(
            session,
            "llm.credential.add",
            user_id=user_id,
            target=f"user_llm_credentials:{row.id}",
            detail={"provider": provider_name, "model": model, "validated": validate},
        )
        return describe(row)


def check_credential(
    engine: Engine,
    vault: Vault,
    settings: Settings,
    user_id: uuid.UUID,
    ref: str,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
) -> dict[str, Any]:
    """Send a tiny request with a stored credential (counts against the hourly limit)."""
    with session_scope(engine) as session:
        row = find_credential(session, user_id, ref)
        api_key = reveal_api_key(session, vault, row, purpose="test")
        info = describe(row)
    validate_key(
        engine,
        user_id,
        row.provider,
        row.model_name,
        api_key,
        base_url=row.base_url,
        timeout=settings.llm.request_timeout_seconds,
        limit=settings.llm.validations_per_hour,
        now=clock,
    )
    return info


def list_credentials(engine: Engine, user_id: uuid.UUID) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        return [describe(row) for row in active_credentials(session, user_id)]
