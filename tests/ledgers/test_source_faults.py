"""Every Glass, Human and Catalyst source through its real client against a loopback server:
repeated runs add nothing, and timeouts, 429, 500, malformed and changed bodies and empty
answers end as a recorded status with nothing half-stored. SQLite and PostgreSQL (``engine``)."""

from __future__ import annotations

import pytest

from omc.ledgers.runner import run_source
from tests.ledgers.conftest import count_rows
from tests.ledgers.specs import SPECS, Spec

BY_NAME = pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)


def counts(engine, spec: Spec) -> list[int]:
    return [count_rows(engine, table) for table in spec.tables()]


@BY_NAME
def test_a_repeated_run_adds_no_rows(engine, httpserver, ledger_ctx, spec):
    spec.serve(httpserver)
    ctx = ledger_ctx(**spec.settings(httpserver))
    first = run_source(engine, ctx, spec.source())
    assert first.status == "ok", first.error
    assert first.rows_inserted > 0
    stored = counts(engine, spec)
    if spec.name == "nansen":  # its pages are answered in order, once each
        from tests.ledgers.specs import serve_nansen

        serve_nansen(httpserver)
    second = run_source(engine, ctx, spec.source())
    assert (second.status, second.rows_inserted, second.rows_updated) == ("ok", 0, 0)
    assert counts(engine, spec) == stored


@BY_NAME
def test_429_with_retry_after_is_waited_out_then_the_run_succeeds(
    engine, httpserver, ledger_ctx, sleeps, spec
):
    httpserver.expect_oneshot_request(spec.primary, method=spec.method).respond_with_data(
        "", status=429, headers={"Retry-After": "7"}
    )
    spec.serve(httpserver)
    result = run_source(engine, ledger_ctx(**spec.settings(httpserver)), spec.source())
    assert result.status == "ok", result.error
    assert sleeps == [7.0]


@BY_NAME
def test_500_until_attempts_run_out_fails_and_stores_nothing(engine, httpserver, ledger_ctx, spec):
    for _ in range(2):
        httpserver.expect_oneshot_request(spec.primary, method=spec.method).respond_with_data(
            "", status=500
        )
    spec.serve(httpserver)
    result = run_source(engine, ledger_ctx(**spec.settings(httpserver)), spec.source())
    assert result.status == "failed"
    assert "HTTP 500" in result.error
    assert sum(counts(engine, spec)) == 0


@BY_NAME
def test_a_server_that_never_answers_times_out_and_fails(
    engine, ledger_ctx, silent_url, sleeps, spec
):
    ctx = ledger_ctx(market={"http_timeout_seconds": 0.05}, **spec.timeout_settings(silent_url))
    result = run_source(engine, ctx, spec.source())
    assert result.status == "failed"
    assert "timed out" in result.error
    assert sleeps == [1.0]  # one retry with backoff, never a real wait
    assert sum(counts(engine, spec)) == 0


@BY_NAME
def test_a_body_that_is_not_json_or_xml_is_malformed(engine, httpserver, ledger_ctx, spec):
    httpserver.expect_oneshot_request(spec.primary, method=spec.method).respond_with_data(
        "<<<garbage", content_type="text/plain"
    )
    spec.serve(httpserver)
    result = run_source(engine, ledger_ctx(**spec.settings(httpserver)), spec.source())
    assert result.status == "failed"
    assert sum(counts(engine, spec)) == 0


@BY_NAME
def test_a_changed_field_rejects_the_whole_answer(engine, httpserver, ledger_ctx, spec):
    responder = httpserver.expect_oneshot_request(spec.primary, method=spec.method)
    if isinstance(spec.changed, bytes):
        responder.respond_with_data(spec.changed, content_type="text/html")
    else:
        responder.respond_with_json(spec.changed)
    spec.serve(httpserver)
    result = run_source(engine, ledger_ctx(**spec.settings(httpserver)), spec.source())
    assert result.status == "failed"
    assert (
        "malformed" in result.error
        or "not an RSS" in result.error
        or "unexpected" in (result.error)
    )
    assert sum(counts(engine, spec)) == 0


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.empty is not None], ids=lambda spec: spec.name
)
def test_an_empty_answer_is_an_empty_run(engine, httpserver, ledger_ctx, spec):
    spec.empty(httpserver)
    result = run_source(engine, ledger_ctx(**spec.settings(httpserver)), spec.source())
    assert (result.status, result.rows_inserted, result.error) == ("empty", 0, None)
