"""The webhook against a real loopback receiver: delivered, held back by the cooldown, and a
dead receiver never raises."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer

from omc.floor.trading.notify import Webhook


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_events_reach_the_webhook_once_per_cooldown_with_the_held_back_count(
    httpserver: HTTPServer,
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    clock = Clock()
    hook = Webhook(
        httpserver.url_for("/hook"),
        cooldown_seconds=60,
        timeout_seconds=2,
        events=["fill", "halt"],
        clock=clock,
    )
    hook.emit("fill", "sma-btc", "sma-btc: buy 0.1 at 100")
    hook.emit("fill", "sma-btc", "sma-btc: sell 0.1 at 101")  # within the cooldown
    hook.emit("fill", "other", "other: buy 1 at 5")  # another deployment: its own cooldown
    hook.emit("kill", "all", "kill switch set")  # not a configured event
    clock.now += 61
    hook.emit("fill", "sma-btc", "sma-btc: buy 0.2 at 99")
    bodies = [json.loads(request.data) for request, _ in httpserver.log]
    texts = [body["text"] for body in bodies]
    assert texts == [
        "omc: sma-btc: buy 0.1 at 100",
        "omc: other: buy 1 at 5",
        "omc: sma-btc: buy 0.2 at 99 (1 more fill event(s) held back by the cooldown)",
    ]
    assert all(body["content"] == body["text"] for body in bodies)  # Discord reads `content`
    assert hook.delivered == 3


def test_a_failing_receiver_is_logged_and_never_raises(httpserver: HTTPServer, caplog):
    httpserver.expect_request("/secret-token-path").respond_with_data("down", status=500)
    hook = Webhook(
        httpserver.url_for("/secret-token-path"),
        cooldown_seconds=0,
        timeout_seconds=2,
        events=["halt"],
    )
    hook.emit("halt", "d1", "d1 halted")
    assert hook.failures == 1
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("omc")]
    assert ours == ["notification to http://localhost not delivered: HTTPStatusError"]
