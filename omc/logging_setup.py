"""Process-wide logging: human-readable or JSON lines, on stderr or a rotating file.

Code everywhere else only calls ``logging.getLogger(__name__)``. Every handler omc installs
carries a :class:`RedactSecrets` filter, so a secret from the settings (an API key, a password
inside a database URL) is masked even if some message or traceback happens to contain it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omc.redaction import redact, remembered

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
            "thread": record.threadName,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RedactSecrets(logging.Filter):
    """Replaces every known secret value in a record's final text with ``***``: the ones it
    was given (from the settings) and the ones decrypted from the vault since (remembered)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [*self.secrets, *remembered()]
        if not secrets:
            return True
        message = redact(record.getMessage(), secrets)
        record.msg, record.args = message, None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted, secrets)
            record.exc_info = None
            record.msg = f"{message}\n{record.exc_text}"
            record.exc_text = None
        return True


def _handler(
    log_format: str, log_file: Path | None, max_bytes: int, backups: int
) -> logging.Handler:
    if log_file is not None:
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    return handler


def configure_logging(
    level: str,
    *,
    log_format: str = "text",
    log_file: Path | None = None,
    max_bytes: int = 10_000_000,
    backups: int = 5,
    secrets: Iterable[str] = (),
    loggers: Iterable[str] = ("omc",),
) -> None:
    """Install omc's handler on ``loggers`` (replacing one installed before) at ``level``."""
    handler = _handler(log_format, log_file, max_bytes, backups)
    handler.addFilter(RedactSecrets(secrets))
    handler._omc = True  # type: ignore[attr-defined]
    for name in loggers:
        logger = logging.getLogger(name)
        logger.setLevel(level if name == "omc" else max(logging.getLevelName(level), 30))
        for old in [h for h in logger.handlers if getattr(h, "_omc", False)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
