"""The LLM factory the lab uses: which model a user's session talks to, built ready to use.

Choice, in order: the named credential, the user's default credential, the system default
from settings (its key from the provider's usual environment variable, e.g. ``GOOGLE_API_KEY``),
else :class:`NoModelConfigured` (the lab then runs its built-in, LLM-free recipe).

The model gets the configured request timeout; with an ``engine`` it also gets a
:class:`~omc.llm.usage.UsageRecorder` that enforces the session budget and records usage.
Decrypting a key writes an audit row and sets the credential's ``last_used_at``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omc.errors import EX_UNAVAILABLE, OmcError

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from omc.core.models import User
    from omc.settings import Settings
    from omc.vault import Vault


class NoModelConfigured(OmcError):
    """Neither the user nor the system has an LLM configured."""

    exit_code = EX_UNAVAILABLE


@dataclass(frozen=True)
class ChatModelChoice:
    """The chat model and what it was built from (for the session record and usage rows)."""

    model: BaseChatModel
    provider: str
    model_name: str
    credential_id: uuid.UUID | None
    source: str  # "credential", "user default" or "system default"


def choose_chat_model(
    session: Session,
    user: User | uuid.UUID,
    credential_id: str | uuid.UUID | None = None,
    *,
    settings: Settings,
    vault: Vault,
    engine: Engine | None = None,
    session_id: uuid.UUID | None = None,
    purpose: str = "lab",
    environ: Mapping[str, str] | None = None,
) -> ChatModelChoice:
    """Resolve and build the chat model (see the module docstring)."""
    from omc.llm.credentials import default_credential, find_credential, mark_used, reveal_api_key
    from omc.llm.providers import build_chat_model, provider
    from omc.llm.usage import CallContext, UsageRecorder

    user_id = user if isinstance(user, uuid.UUID) else user.id
    llm = settings.llm
    if credential_id is not None:
        ref = credential_id.hex if isinstance(credential_id, uuid.UUID) else credential_id
        credential = find_credential(session, user_id, ref)
        source = "credential"
    else:
        credential = default_credential(session, user_id)
        source = "user default"
    if credential is not None:
        api_key = reveal_api_key(session, vault, credential, purpose=purpose)
        mark_used(session, credential)
        provider_name, model_name, base_url = (
            credential.provider,
            credential.model_name,
            credential.base_url,
        )
        chosen_id: uuid.UUID | None = credential.id
    else:
        environ = os.environ if environ is None else environ
        spec = provider(llm.system_default_provider)
        api_key = environ.get(spec.env_key, "") if spec.env_key else ""
        if spec.name == "google" and not api_key:
            api_key = environ.get("GEMINI_API_KEY", "")
        if spec.key_required and not api_key:
            raise NoModelConfigured(
                "no LLM is configured: add one with `omc llm add`, or set "
                f"{spec.env_key} for the system default ({spec.name} {llm.system_default_model})"
            )
        provider_name, model_name, base_url = (
            spec.name,
            llm.system_default_model,
            llm.system_default_base_url,
        )
        chosen_id, source = None, "system default"
    callbacks = None
    if engine is not None:
        context = CallContext(
            user_id=user_id,
            provider=provider_name,
            model=model_name,
            credential_id=chosen_id,
            session_id=session_id,
        )
        callbacks = [UsageRecorder(engine, context)]
    model = build_chat_model(
        provider_name,
        model_name,
        api_key or None,
        base_url=base_url,
        timeout=llm.request_timeout_seconds,
        max_retries=llm.max_retries,
        callbacks=callbacks,
    )
    return ChatModelChoice(model, provider_name, model_name, chosen_id, source)


def create_chat_model(
    session: Session,
    user: User | uuid.UUID,
    credential_id: str | uuid.UUID | None = None,
    **options,
) -> BaseChatModel:
    """The LangChain chat model for ``user`` (options as :func:`choose_chat_model`)."""
    return choose_chat_model(session, user, credential_id, **options).model
