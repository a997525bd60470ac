"""Masking secret values inside free text: log lines, recorded error messages.

Display masking of a known secret (``AIza…440000``) is :func:`omc.settings.mask_secret`; this
module is for text that *might* contain a secret, such as an exception message from a library.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "***"
MINIMUM_SECRET_LENGTH = 6  # shorter values would mask ordinary words; omc's secrets are long


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
                if name.endswith("_url"):
                    password = urlsplit(value).password
                    if password:
                        found.append(password)
                elif any(marker in name for marker in SECRET_FIELD_MARKERS):
                    found.append(value)

    walk(settings)
    return found
