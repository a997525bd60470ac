"""The runner: statuses, collector_runs records, whole-batch rejection, not-configured sources."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pydantic
import pytest
import sqlalchemy as sa

from omc.ledgers.glass.models import OnChainMetric
from omc.ledgers.runner import run_cycle, source_overview
from omc.ledgers.runs import CollectorRun
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

TABLE = OnChainMetric.__table__


class Metric(pydantic.BaseModel):
    asset: str
    value: float


class MetricSource(Source):
    """A tiny source serving fixed payloads, to exercise the runner."""

    name = "metric-test"
    ledger = "glass"
    interval = dt.timedelta(minutes=5)
    payload: ClassVar[Any] = None

    def fetch(self, ctx: CollectContext) -> Any:
        if isinstance(self.payload, Exception):
            raise self.payload
        return self.payload

    def validate(self, raw: Any) -> list[Metric]:
        return [Metric.model_validate(item) for item in raw]

    def normalise(self, validated: list[Metric], ctx: CollectContext) -> Normalised:
        rows = [
            {
                "asset": item.asset.upper(),
                "metric_name": "active_addresses",
                "metric_value": item.value,
                "source": self.name,
                "timestamp": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "collected_at": ctx.clock(),
            }
            for item in validated
        ]
        return Normalised([Batch(TABLE, rows, ("asset", "metric_name", "source", "timestamp"))])


class KeyedSource(MetricSource):
    name = "keyed-test"
    required_settings = ("market.coingecko_api_key",)


def rows(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(TABLE.c.asset, TABLE.c.metric_value)).all()


def runs(engine):
    with engine.connect() as connection:
        table = CollectorRun.__table__
        return connection.execute(sa.select(table).order_by(table.c.id)).all()


@pytest.fixture
def source():
    instance = MetricSource()
    yield instance
    MetricSource.payload = None


def test_ok_then_rerun_records_two_runs_without_duplicating(engine, make_ctx, source):
    MetricSource.payload = [{"asset": "eth", "value": 5}, {"asset": "btc", "value": 7}]
    ctx = make_ctx()
    first, second = run_cycle(engine, ctx, [source, source])
    assert (first.status, first.rows_inserted, first.rows_updated) == ("ok", 2, 0)
    assert (second.status, second.rows_inserted, second.rows_updated) == ("ok", 0, 0)
    assert sorted(rows(engine)) == [("BTC", 7.0), ("ETH", 5.0)]
    assert [run.status for run in runs(engine)] == ["ok", "ok"]


def test_one_malformed_item_rejects_the_whole_response(engine, make_ctx, source):
    MetricSource.payload = [{"asset": "eth", "value": 5}, {"asset": "btc", "value": "lots"}]
    (result,) = run_cycle(engine, make_ctx(), [source])
    assert result.status == "failed"
    assert result.error.startswith("metric-test: malformed response at value:")
    assert rows(engine) == []
    (run,) = runs(engine)
    assert (run.status, run.rows_inserted, run.error) == ("failed", 0, result.error)


def test_empty_response_is_recorded_as_empty(engine, make_ctx, source):
    MetricSource.payload = []
    (result,) = run_cycle(engine, make_ctx(), [source])
    assert result.status == "empty"


def test_unconfigured_source_is_skipped_and_others_still_run(engine, make_ctx, source):
    MetricSource.payload = [{"asset": "eth", "value": 5}]
    skipped, ran = run_cycle(engine, make_ctx(), [KeyedSource(), source])
    assert (skipped.status, skipped.error) == (
        "skipped",
        "not configured: set market.coingecko_api_key",
    )
    assert ran.status == "ok"


def test_unexpected_exception_fails_the_run_without_raising(engine, make_ctx, source):
    MetricSource.payload = RuntimeError("kaput")
    (result,) = run_cycle(engine, make_ctx(), [source])
    assert (result.status, result.error) == ("failed", "internal error (RuntimeError): kaput")


def test_overview_shows_last_run_and_last_success(engine, make_ctx, clock, source):
    ctx = make_ctx()
    MetricSource.payload = [{"asset": "eth", "value": 5}]
    run_cycle(engine, ctx, [source])
    first = clock.now
    clock.advance(minutes=5)
    MetricSource.payload = [{"asset": "eth", "value": "x"}]
    run_cycle(engine, ctx, [source])
    (row,) = source_overview(engine, ctx, [source])
    assert row["last_run"] == clock.now.isoformat()
    assert row["last_status"] == "failed"
    assert row["last_success"] == first.isoformat()
    assert row["configured"] is True


def test_a_secret_echoed_into_an_error_is_masked_in_collector_runs(engine, make_ctx, source):
    canary = "cg-canary-key-8f3b2a91"
    MetricSource.payload = RuntimeError(f"GET /coins?x_cg_demo_api_key={canary} refused")
    (result,) = run_cycle(engine, make_ctx(coingecko_api_key=canary), [source])
    assert result.error == "internal error (RuntimeError): GET /coins?x_cg_demo_api_key=*** refused"
    with engine.connect() as connection:
        stored = connection.execute(sa.select(CollectorRun.__table__.c.error)).scalars().all()
    assert stored == [result.error]
    assert all(canary not in text for text in stored)
