"""The LLM providers omc supports and how to build a LangChain chat model for each.

Google Gemini (``langchain-google-genai``) is always installed; OpenAI and Anthropic come as
extras (``pip install 'omc[openai]'``); ``openai-compatible`` is any server speaking OpenAI's
chat-completions protocol at a base URL (Ollama, vLLM, llama.cpp, LM Studio), key optional.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omc.errors import ServiceUnavailable, UsageProblem

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel


class MissingExtra(ServiceUnavailable):
    """A provider's LangChain package is not installed; the message has the pip line."""


@dataclass(frozen=True)
class Provider:
    """What omc needs to know about one provider."""

    name: str
    module: str
    extra: str | None
    key_required: bool
    base_url_required: bool
    env_key: str | None
    example_model: str


PROVIDERS: dict[str, Provider] = {
    "google": Provider(
        "google", "langchain_google_genai", None, True, False, "GOOGLE_API_KEY", "gemini-2.5-flash"
    ),
    "openai": Provider(
        "openai", "langchain_openai", "openai", True, False, "OPENAI_API_KEY", "gpt-4o-mini"
    ),
    "anthropic": Provider(
        "anthropic",
        "langchain_anthropic",
        "anthropic",
        True,
        False,
        "ANTHROPIC_API_KEY",
        "claude-sonnet-4-5",
    ),
    "openai-compatible": Provider(
        "openai-compatible", "langchain_openai", "openai", False, True, None, "llama3.1"
    ),
}

# OpenAI's client insists on a key; key-less local servers ignore whatever is sent.
NO_KEY_PLACEHOLDER = "not-needed"


def provider(name: str) -> Provider:
    """The provider called ``name``, or a usage error listing the known ones."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise UsageProblem(f"unknown provider {name!r}; use one of: {known}") from None


def require_package(spec: Provider) -> None:
    """Raise :class:`MissingExtra` with the exact pip line when the provider's package is absent."""
    if importlib.util.find_spec(spec.module) is None:
        raise MissingExtra(
            f"the {spec.name} provider needs the {spec.module.replace('_', '-')} package; "
            f"install it with: pip install 'omc[{spec.extra}]'"
        )


def build_chat_model(
    provider_name: str,
    model: str,
    api_key: str | None,
    *,
    base_url: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 2,
    max_tokens: int | None = None,
    callbacks: list | None = None,
) -> BaseChatModel:
    """A LangChain chat model for one provider, with a request timeout and bounded retries."""
    spec = provider(provider_name)
    require_package(spec)
    if spec.base_url_required and not base_url:
        raise UsageProblem(
            f"the {spec.name} provider needs --base-url (e.g. http://127.0.0.1:11434/v1)"
        )
    if spec.key_required and not api_key:
        raise UsageProblem(f"the {spec.name} provider needs an API key")
    common = {
        "model": model,
        "timeout": timeout,
        "max_retries": max_retries,
        "callbacks": callbacks,
    }
    if spec.name == "google":
        from langchain_google_genai import ChatGoogleGenerativeAI

        extra = {"base_url": base_url} if base_url else {}
        if max_tokens is not None:
            extra["max_output_tokens"] = max_tokens
        return ChatGoogleGenerativeAI(google_api_key=api_key, **common, **extra)
    if spec.name == "anthropic":
        from langchain_anthropic import ChatAnthropic  # type: ignore[import-not-found]

        extra = {"base_url": base_url} if base_url else {}
        if max_tokens is not None:
            extra["max_tokens"] = max_tokens
        return ChatAnthropic(api_key=api_key, **common, **extra)
    from langchain_openai import ChatOpenAI

    extra = {"base_url": base_url} if base_url else {}
    if max_tokens is not None:
        extra["max_tokens"] = max_tokens
    return ChatOpenAI(api_key=api_key or NO_KEY_PLACEHOLDER, **common, **extra)
