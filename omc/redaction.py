"""Masking secret values inside free text: log lines, recorded error messages.

Display masking of a known secret (``AIza…440000``) is :func:`omc.settings.mask_secret`; this
module is for text that *might* contain a secret, such as an exception message from a library.

Secrets decrypted from the vault are not in the settings, so whoever decrypts one for use
calls :func:`remember`; omc's log filter masks remembered values too, for the process lifetime.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
MINIMUM_SECRET_LENGTH = 6  # shorter values would mask ordinary words; omc's secrets are long

_remembered: set[str] = set()
_remembered_lock = threading.Lock()


def remember(secret: str) -> None:
    """Mask ``secret`` in every log line this process writes from now on."""
    if secret and len(secret) >= MINIMUM_SECRET_LENGTH:
        with _remembered_lock:
            _remembered.add(secret)


def remembered() -> list[str]:
    """The secrets decrypted for use in this process (see :func:`remember`)."""
    with _remembered_lock:
        return list(_remembered)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***`` (longest first)."""
    for secret in sorted(
        {s for s in secrets if s and len(s) >= MINIMUM_SECRET_LENGTH}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    return text


def secrets_in(settings: Any) -> list[str]:
    """Every secret value in the settings: fields named like keys/tokens, URL passwords."""
    from urllib.parse import urlsplit

    from pydantic import BaseModel

    from omc.settings import SECRET_FIELD_MARKERS

    found: list[str] = []

    def walk(model: BaseModel) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                walk(value)
            elif isinstance(value, str) and value:
                if name.endswith("webhook_url"):
                    found.append(value)  # the whole URL is the credential
                elif name.endswith("_url"):
                    password = urlsplit(value).password
                    if password:
                        found.append(password)
                elif any(marker in name for marker in SECRET_FIELD_MARKERS):
                    found.append(value)

    walk(settings)
    return found
