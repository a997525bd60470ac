"""Turning a provider's failure into one plain sentence that never carries the key.

Providers answer with HTTP status codes that mean the same across them (401/403: the key is
wrong; 404: the model does not exist; 429: quota or rate limit); the text of their errors may
echo part of the key, so it is never shown.
"""

from __future__ import annotations

from omc.errors import OmcError, ServiceUnavailable, UsageProblem


class InvalidKey(UsageProblem):
    """The provider rejected the API key."""


class UnknownModel(UsageProblem):
    """The provider does not know the model."""


class QuotaExceeded(ServiceUnavailable):
    """The provider refused for quota or rate limits."""


class ProviderUnreachable(ServiceUnavailable):
    """The provider's server did not answer."""


class ProviderFailed(ServiceUnavailable):
    """The provider answered with an error omc does not recognise."""


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _status(error: BaseException) -> int | None:
    for item in _chain(error):
        for attribute in ("status_code", "code"):
            value = getattr(item, attribute, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
        response = getattr(item, "response", None)
        value = getattr(response, "status_code", None)
        if isinstance(value, int):
            return value
    return None


def _is_connection_failure(error: BaseException) -> bool:
    for item in _chain(error):
        if isinstance(item, ConnectionError | TimeoutError):
            return True
        name = type(item).__name__
        if name in {"ConnectError", "ConnectTimeout", "ReadTimeout", "APIConnectionError"} or (
            name.endswith(("ConnectionError", "TimeoutError"))
        ):
            return True
    return False


def describe_provider_error(error: BaseException, provider: str, model: str) -> OmcError:
    """The plain-language error for a failed call to ``provider``."""
    if isinstance(error, OmcError):
        return error
    status = _status(error)
    text = " ".join(str(item) for item in _chain(error))
    if status in (401, 403) or (status == 400 and ("API_KEY_INVALID" in text or "API key" in text)):
        return InvalidKey(f"{provider} rejected the API key (invalid key)")
    if status == 404:
        return UnknownModel(f"{provider} does not know the model {model!r} (unknown model)")
    if status == 429:
        return QuotaExceeded(f"{provider} refused the request: quota exceeded or rate limited")
    if status is None and _is_connection_failure(error):
        return ProviderUnreachable(f"cannot reach {provider}: network unreachable or timed out")
    if status is not None:
        return ProviderFailed(f"{provider} answered with HTTP {status}")
    return ProviderFailed(f"the call to {provider} failed ({type(error).__name__})")
