"""Process-wide logging: one handler on stderr, the level from settings.

Later the daemon adds JSON lines and file rotation here; code everywhere else only calls
``logging.getLogger(__name__)``.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    root = logging.getLogger("omc")
    root.setLevel(level)
    if not any(getattr(handler, "_omc", False) for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._omc = True  # type: ignore[attr-defined]
        root.addHandler(handler)
