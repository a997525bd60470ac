"""Webhook notifications for fills, halts, kills and unknown orders (``[notify]``).

One JSON body serves Slack and Discord: ``text`` (Slack) and ``content`` (Discord). Each kind of
event for one deployment is sent at most once per ``notify.cooldown_seconds``; what the
cooldown holds back is counted and mentioned in the next message. Delivery failures are logged
and never raised: a notification never stops trading.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from omc.floor.trading.tick import Events
from omc.settings.floor import NotifySettings

log = logging.getLogger(__name__)


class Webhook(Events):
    """Posts events to a webhook URL, with a per-(kind, deployment) cooldown."""

    def __init__(
        self,
        url: str,
        *,
        cooldown_seconds: float,
        timeout_seconds: float,
        events: list[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.cooldown = cooldown_seconds
        self.timeout = timeout_seconds
        self.kinds = set(events)
        self.clock = clock
        self._sent_at: dict[tuple[str, str], float] = {}
        self._held_back: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.failures = 0
        self.delivered = 0

    def emit(self, kind: str, deployment: str, text: str) -> None:
        if kind not in self.kinds:
            return
        key = (kind, deployment)
        now = self.clock()
        with self._lock:
            last = self._sent_at.get(key)
            if last is not None and now - last < self.cooldown:
                self._held_back[key] = self._held_back.get(key, 0) + 1
                return
            self._sent_at[key] = now
            held = self._held_back.pop(key, 0)
        if held:
            text += f" ({held} more {kind} event(s) held back by the cooldown)"
        self._post(f"omc: {text}")

    def _post(self, text: str) -> None:
        import httpx

        try:
            response = httpx.post(
                self.url, json={"text": text, "content": text}, timeout=self.timeout
            )
            response.raise_for_status()
            self.delivered += 1
        except Exception as error:  # logged, never raised
            self.failures += 1
            log.warning(
                "notification to %s not delivered: %s", _host(self.url), type(error).__name__
            )


def _host(url: str) -> str:
    """Only the scheme and host: a webhook's path is its secret (Slack, Discord)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


def notifier_from(settings: NotifySettings) -> Events:
    """The configured webhook, or a notifier that sends nothing."""
    if not settings.webhook_url:
        return Events()
    return Webhook(
        settings.webhook_url,
        cooldown_seconds=settings.cooldown_seconds,
        timeout_seconds=settings.timeout_seconds,
        events=list(settings.events),
    )
