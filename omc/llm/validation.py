"""Checking a key with a tiny real request, at most N times per user per hour (persisted).

The attempt is recorded in its own transaction before the request is sent, so failed attempts
count against the limit even though a failed validation stores no credential.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.db import session_scope, utcnow
from omc.errors import EX_TEMPFAIL, OmcError
from omc.llm.errors import describe_provider_error
from omc.llm.models import LLMValidationAttempt
from omc.llm.providers import build_chat_model

WINDOW = dt.timedelta(hours=1)
VALIDATION_PROMPT = "Reply with the single word: ok"


class TooManyValidations(OmcError):
    """The hourly validation limit is used up."""

    exit_code = EX_TEMPFAIL


def record_attempt(
    engine: Engine,
    user_id: uuid.UUID,
    provider_name: str,
    *,
    limit: int,
    now: dt.datetime | None = None,
) -> int:
    """Count this attempt against the user's hourly limit; raise when the limit is used up."""
    now = now or utcnow()
    with session_scope(engine) as session:
        recent = session.execute(
            sa.select(sa.func.count(), sa.func.min(LLMValidationAttempt.attempted_at))
            .where(LLMValidationAttempt.user_id == user_id)
            .where(LLMValidationAttempt.attempted_at > now - WINDOW)
        ).one()
        if recent[0] >= limit:
            retry = (recent[1] + WINDOW).strftime("%H:%M UTC")
            raise TooManyValidations(
                f"at most {limit} key validations per hour; try again after {retry} "
                "(or add with --no-validate)"
            )
        attempt = LLMValidationAttempt(user_id=user_id, attempted_at=now, provider=provider_name)
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
        return attempt.id


def mark_succeeded(engine: Engine, attempt_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(LLMValidationAttempt)
            .where(LLMValidationAttempt.id == attempt_id)
            .values(succeeded=True)
        )


def probe(
    provider_name: str,
    model: str,
    api_key: str | None,
    *,
    base_url: str | None,
    timeout: float,
    callbacks: list | None = None,
) -> None:
    """Send one tiny request; raise the plain-language error if the provider refuses."""
    chat = build_chat_model(
        provider_name,
        model,
        api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=0,
        max_tokens=5,
        callbacks=callbacks,
    )
    try:
        chat.invoke(VALIDATION_PROMPT)
    except Exception as error:
        raise describe_provider_error(error, provider_name, model) from None


def validate_key(
    engine: Engine,
    user_id: uuid.UUID,
    provider_name: str,
    model: str,
    api_key: str | None,
    *,
    base_url: str | None,
    timeout: float,
    limit: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> None:
    """Rate-limited :func:`probe`; success is recorded on the attempt."""
    attempt_id = record_attempt(engine, user_id, provider_name, limit=limit, now=now())
    probe(provider_name, model, api_key, base_url=base_url, timeout=min(timeout, 30.0))
    mark_succeeded(engine, attempt_id)
