"""Glass sources: what DeFiLlama, on-chain and Nansen rows hold, RPC fallback, the Nansen key
kept out of messages, and the data tools returning the rows with the seed's keys."""

from __future__ import annotations

import logging

from omc.ledgers.glass.defillama import DefiLlama
from omc.ledgers.glass.models import OnChainMetric, ProtocolFundamental, SmartMoneyFlow
from omc.ledgers.glass.nansen import NansenSmartMoney
from omc.ledgers.glass.onchain import OnChainMetrics
from omc.ledgers.runner import run_source
from omc.ledgers.tools import fetch_on_chain_metrics, fetch_smart_money_flows
from tests.ledgers.conftest import T0, table_rows
from tests.ledgers.specs import serve_defillama, serve_nansen, serve_onchain


def test_defillama_top_protocols_leave_out_cexes_and_join_fees_and_revenue(
    engine, httpserver, ledger_ctx
):
    serve_defillama(httpserver)
    ctx = ledger_ctx(glass={"defillama_url": httpserver.url_for("/llama"), "defillama_top": 2})
    result = run_source(engine, ctx, DefiLlama())
    assert result.status == "ok"
    rows = {row.protocol: row for row in table_rows(engine, ProtocolFundamental.__table__)}
    assert sorted(rows) == ["aave-v3", "lido"]
    aave = rows["aave-v3"]
    assert (aave.tvl_usd, aave.fees_24h_usd, aave.revenue_24h_usd) == (
        32_000_000_000.5,
        2_500_000.0,
        310_000.0,
    )
    assert (rows["lido"].fees_24h_usd, rows["lido"].revenue_24h_usd) == (None, 120_000.0)
    assert str(aave.timestamp) == "2026-01-09 14:00:00+00:00"
    requests = [request.path for request, _ in httpserver.log]
    assert len(requests) == 4  # a few calls per run, never one per protocol


def test_defillama_named_protocols_and_chain_tvl_by_token_symbol(engine, httpserver, ledger_ctx):
    serve_defillama(httpserver)
    settings = {
        "defillama_url": httpserver.url_for("/llama"),
        "defillama_protocols": ["Uniswap V3"],
    }
    run_source(engine, ledger_ctx(glass=settings), DefiLlama())
    protocols = table_rows(engine, ProtocolFundamental.__table__)
    assert [row.protocol for row in protocols] == ["uniswap-v3"]
    chains = {row.asset: row.metric_value for row in table_rows(engine, OnChainMetric.__table__)}
    assert chains == {"ETH": 60_000_000_000.0, "SOL": 9_000_000_000.0, "BASE": 3_000_000_000.0}


def test_onchain_figures_are_stored_under_btc_and_eth_and_found_by_the_tool(
    engine, httpserver, ledger_ctx
):
    serve_onchain(httpserver, rpc_paths=("/rpc2",))
    httpserver.expect_request("/rpc1", method="POST").respond_with_data("", status=503)
    settings = {
        "mempool_url": httpserver.url_for("/mempool/api"),
        "eth_rpc_urls": [httpserver.url_for("/rpc1"), httpserver.url_for("/rpc2")],
    }
    result = run_source(engine, ledger_ctx(glass=settings), OnChainMetrics())
    assert result.status == "ok", result.error
    assert result.detail["eth_rpc"].startswith("localhost:")
    with engine.connect() as connection:
        eth = fetch_on_chain_metrics(connection, "eth", T0.replace(hour=0), T0)
        btc = fetch_on_chain_metrics(connection, "BTC", T0.replace(hour=0), T0, ["hash_rate"])
    assert {row["metric_name"]: row["metric_value"] for row in eth} == {
        "block_height": 24000000.0,
        "gas_price_gwei": 1.0,
    }
    assert btc == [
        {
            "asset": "BTC",
            "metric_name": "hash_rate",
            "metric_value": 1.02e21,
            "source": "onchain",
            "timestamp": "2026-01-09T14:30:00+00:00",
            "collected_at": "2026-01-09T14:31:10+00:00",
        }
    ]


def test_nansen_follows_pages_and_the_tool_returns_the_seed_keys(
    engine, httpserver, ledger_ctx, caplog
):
    serve_nansen(httpserver)
    settings = {"nansen_url": httpserver.url_for("/nansen"), "nansen_api_key": "nk-SECRET-123"}
    with caplog.at_level(logging.DEBUG):
        result = run_source(engine, ledger_ctx(glass=settings), NansenSmartMoney())
    assert (result.status, result.detail["pages"], result.rows_inserted) == ("ok", 2, 3)
    sent = [request for request, _ in httpserver.log]
    assert all(request.headers["apikey"] == "nk-SECRET-123" for request in sent)
    assert [request.json["pagination"]["page"] for request in sent] == [1, 2]
    assert "nk-SECRET-123" not in caplog.text
    with engine.connect() as connection:
        flows = fetch_smart_money_flows(connection, "LDO", T0.replace(hour=0), T0)
    assert flows == [
        {
            "token": "LDO",
            "chain": "ethereum",
            "net_flow_usd": 253442.34317953387,
            "buying_wallet_count": 0,
            "selling_wallet_count": 0,
            "buying_wallets": [],
            "selling_wallets": [],
            "timestamp": "2026-01-09T14:00:00+00:00",
            "collected_at": "2026-01-09T14:31:10+00:00",
        }
    ]
    assert len(table_rows(engine, SmartMoneyFlow.__table__)) == 3


def test_nansen_without_a_key_is_skipped_and_a_rejected_key_never_shows(
    engine, httpserver, ledger_ctx
):
    result = run_source(engine, ledger_ctx(), NansenSmartMoney())
    assert (result.status, result.error) == (
        "skipped",
        "not configured: set glass.nansen_api_key",
    )
    httpserver.expect_request("/nansen/smart-money/netflow", method="POST").respond_with_json(
        {"message": "Invalid API key"}, status=401
    )
    settings = {"nansen_url": httpserver.url_for("/nansen"), "nansen_api_key": "nk-SECRET-123"}
    result = run_source(engine, ledger_ctx(glass=settings), NansenSmartMoney())
    assert result.status == "failed"
    assert result.error == "nansen /smart-money/netflow: HTTP 401: Invalid API key"
