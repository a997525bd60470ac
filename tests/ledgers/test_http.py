"""The HTTP client and retry policy against a real loopback server; sleeps are recorded."""

from __future__ import annotations

import socket

import pytest

from omc.ledgers.http import (
    USER_AGENT,
    HttpClient,
    MalformedResponse,
    PermanentError,
    RateLimited,
    RateLimiter,
    RetryPolicy,
    TemporaryError,
    parse_retry_after,
)


def client(httpserver, sleeps, **kwargs):
    return HttpClient("test", httpserver.url_for("/api"), sleep=sleeps, **kwargs)


def test_sends_a_descriptive_user_agent_and_decodes_json(httpserver, sleeps):
    httpserver.expect_request("/api/x", headers={"User-Agent": USER_AGENT}).respond_with_json(
        {"ok": 1}
    )
    with client(httpserver, sleeps) as http:
        assert http.get_json("/x") == {"ok": 1}
    assert USER_AGENT.startswith("omc/")


def test_429_retry_after_is_honoured_then_the_retry_succeeds(httpserver, sleeps):
    httpserver.expect_ordered_request("/api/x").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/api/x").respond_with_json([1])
    with client(httpserver, sleeps) as http:
        assert http.get_json("/x") == [1]
    assert sleeps == [7.0]


def test_500_is_retried_with_exponential_backoff_until_attempts_run_out(httpserver, sleeps):
    httpserver.expect_request("/api/x").respond_with_data("boom", status=500)
    http = client(httpserver, sleeps, retry=RetryPolicy(attempts=3, base_delay=2))
    with http, pytest.raises(TemporaryError, match=r"test /x: HTTP 500"):
        http.get_json("/x")
    assert sleeps == [2.0, 4.0]
    assert len(httpserver.log) == 3


def test_404_is_permanent_and_not_retried(httpserver, sleeps):
    httpserver.expect_request("/api/x").respond_with_json(
        {"status": "error", "message": "Coin not found"}, status=404
    )
    http = client(httpserver, sleeps)
    with http, pytest.raises(PermanentError, match="HTTP 404: Coin not found"):
        http.get_json("/x")
    assert sleeps == []


def test_a_body_that_is_not_json_is_malformed(httpserver, sleeps):
    httpserver.expect_request("/api/x").respond_with_data("<html>", status=200)
    with client(httpserver, sleeps) as http, pytest.raises(MalformedResponse):
        http.get_json("/x")


def test_a_server_that_never_answers_times_out_as_a_temporary_error(sleeps):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        http = HttpClient(
            "silent",
            f"http://127.0.0.1:{port}",
            timeout=0.05,
            retry=RetryPolicy(attempts=2),
            sleep=sleeps,
        )
        with http, pytest.raises(TemporaryError, match="timed out"):
            http.get_json("/x")
    assert sleeps == [1.0]


def test_retry_after_accepts_seconds_and_caps_at_max_delay():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("garbage") is None
    policy = RetryPolicy(max_delay=30)
    assert policy.delay(1, RateLimited("x", retry_after=3600)) == 30
    assert policy.delay(3, TemporaryError("x")) == 4.0


def test_rate_limiter_waits_once_the_minute_is_full(sleeps):
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0], sleep=sleeps)
    for _ in range(3):
        limiter.acquire()
        now[0] += 1
    limiter.acquire()
    assert sleeps == [57.0]


def _port_recording_server():
    """An HTTP/1.1 (keep-alive) loopback server that records each request's client port."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            body = b"[]"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ports


def test_clients_of_one_context_share_connections_across_runs(make_ctx, sleeps):
    server, ports = _port_recording_server()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        ctx = make_ctx()
        for run in range(3):
            with ctx.for_run(f"run {run}").http("test", url) as http:
                assert http.get_json("/x") == []
        assert len(ports) == 3
        assert len(set(ports)) == 1
        with HttpClient("alone", url, sleep=sleeps) as http:  # no context: its own connection
            http.get_json("/x")
        ctx.connections.close()
        with ctx.http("test", url) as http:  # closed: the next run connects anew
            http.get_json("/x")
        assert len(set(ports)) == 3
        ctx.connections.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_rate_limit_holds_across_runs_and_sources_of_one_host(make_ctx, sleeps):
    server, _ = _port_recording_server()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        ctx = make_ctx()
        for name in ("sec feed", "sec submissions"):
            with ctx.for_run(name).http(name, url, requests_per_minute=2) as http:
                http.get_json("/x")
        assert sleeps == []
        with ctx.for_run("again").http("sec feed", url, requests_per_minute=2) as http:
            http.get_json("/x")  # a third request within the minute must wait
        assert len(sleeps) == 1
        assert 0 < sleeps[0] <= 60
        ctx.connections.close()
    finally:
        server.shutdown()
        server.server_close()
