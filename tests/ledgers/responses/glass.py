"""Glass ledger responses, written to the documented shapes (no public recording exists).

- DeFiLlama: DefiLlama/api-docs ``defillama-openapi-free.json`` (free API): ``GET /protocols``
  (array of {id, name, slug, symbol, category, chains, tvl, chainTvls, change_1d, mcap}),
  ``GET /overview/fees`` ({protocols: [{name, defillamaId, slug, total24h, change_1d, chains}]}),
  ``GET /v2/chains`` (array of {gecko_id, tvl, tokenSymbol, cmcId, name, chainId}).
- mempool.space REST API documentation (mempool.space/docs/api/rest): ``GET
  /api/v1/mining/hashrate/3d``, ``GET /api/mempool``, ``GET /api/v1/fees/recommended``,
  ``GET /api/blocks/tip/height`` (plain text).
- Ethereum JSON-RPC specification (ethereum.org/developers/docs/apis/json-rpc): eth_gasPrice,
  eth_blockNumber return hex quantities.
- Nansen API docs (docs.nansen.ai, smart-money/netflows): POST /api/v1/smart-money/netflow
  returns {data: [{token_address, token_symbol, net_flow_1h_usd, net_flow_24h_usd,
  net_flow_7d_usd, net_flow_30d_usd, chain, token_sectors, trader_count, token_age_days,
  market_cap_usd}], pagination: {page, per_page, is_last_page}}.
"""

PROTOCOLS = [
    {"id": "2269", "name": "Binance CEX", "slug": "binance-cex", "symbol": "-",
     "category": "CEX", "chains": ["Bitcoin"], "tvl": 150_000_000_000.0, "change_1d": 0.4,
     "mcap": None},
    {"id": "1599", "name": "Aave V3", "slug": "aave-v3", "symbol": "AAVE",
     "category": "Lending", "chains": ["Ethereum"], "tvl": 32_000_000_000.5,
     "chainTvls": {"Ethereum": 30_000_000_000.0}, "change_1d": -1.2, "mcap": 4_100_000_000.0},
    {"id": "182", "name": "Lido", "slug": "lido", "symbol": "LDO", "category": "Liquid Staking",
     "chains": ["Ethereum"], "tvl": 28_000_000_000.0, "change_1d": 0.1, "mcap": 1_500_000_000.0},
    {"id": "2197", "name": "Uniswap V3", "slug": "uniswap-v3", "symbol": "UNI",
     "category": "Dexs", "chains": ["Ethereum", "Base"], "tvl": 4_000_000_000.0,
     "change_1d": 2.0, "mcap": 6_000_000_000.0},
]  # fmt: skip
FEES = {
    "protocols": [
        {"name": "Aave V3", "defillamaId": "1599", "slug": "aave-v3", "total24h": 2_500_000.0,
         "change_1d": 3.1, "chains": ["Ethereum"]},
        {"name": "Uniswap V3", "defillamaId": "2197", "slug": "uniswap-v3",
         "total24h": 1_900_000.0, "change_1d": -4.0, "chains": ["Ethereum"]},
    ],
    "totalDataChart": [],
    "totalDataChartBreakdown": [],
}  # fmt: skip
REVENUE = {
    "protocols": [
        {"name": "Aave V3", "defillamaId": "1599", "slug": "aave-v3", "total24h": 310_000.0},
        {"name": "Lido", "defillamaId": "182", "slug": "lido", "total24h": 120_000.0},
    ]
}  # fmt: skip
CHAINS = [
    {"gecko_id": "ethereum", "tvl": 60_000_000_000.0, "tokenSymbol": "ETH", "cmcId": "1027",
     "name": "Ethereum", "chainId": 1},
    {"gecko_id": None, "tvl": 3_000_000_000.0, "tokenSymbol": None, "cmcId": None,
     "name": "Base", "chainId": 8453},
    {"gecko_id": "solana", "tvl": 9_000_000_000.0, "tokenSymbol": "SOL", "cmcId": "5426",
     "name": "Solana", "chainId": None},
]  # fmt: skip

HASHRATE = {
    "hashrates": [{"timestamp": 1767916800, "avgHashrate": 1.01e21}],
    "difficulty": [{"time": 1767916800, "height": 930000, "difficulty": 1.48e14, "adjustment": 1.02}],
    "currentHashrate": 1.02e21,
    "currentDifficulty": 1.48e14,
}  # fmt: skip
MEMPOOL = {
    "count": 4321,
    "vsize": 2_100_000,
    "total_fee": 5_400_000,
    "fee_histogram": [[2.0, 1000]],
}
FEES_RECOMMENDED = {
    "fastestFee": 6,
    "halfHourFee": 4,
    "hourFee": 3,
    "economyFee": 2,
    "minimumFee": 1,
}
TIP_HEIGHT = "930123"
GAS_PRICE = {"jsonrpc": "2.0", "id": 1, "result": "0x3b9aca00"}  # 1 gwei
BLOCK_NUMBER = {"jsonrpc": "2.0", "id": 2, "result": "0x16e3600"}

NETFLOW_PAGE_1 = {
    "data": [
        {"token_address": "0x5a98fcbea516cf06857215779fd812ca3bef1b32", "token_symbol": "LDO",
         "net_flow_1h_usd": 1200.5, "net_flow_24h_usd": 253442.34317953387,
         "net_flow_7d_usd": 801000.0, "net_flow_30d_usd": -12000.0, "chain": "ethereum",
         "token_sectors": ["Liquid Staking"], "trader_count": 3, "token_age_days": 1949,
         "market_cap_usd": 322227915},
        {"token_address": "So11111111111111111111111111111111111111112", "token_symbol": "SOL",
         "net_flow_1h_usd": -50.0, "net_flow_24h_usd": -98000.0, "net_flow_7d_usd": 1.0,
         "net_flow_30d_usd": 2.0, "chain": "solana", "token_sectors": [], "trader_count": 7,
         "token_age_days": 1800, "market_cap_usd": 80000000000},
    ],
    "pagination": {"page": 1, "per_page": 100, "is_last_page": False},
}  # fmt: skip
NETFLOW_PAGE_2 = {
    "data": [
        {"token_address": "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "token_symbol": "WETH",
         "net_flow_1h_usd": 0.0, "net_flow_24h_usd": 1500000.0, "net_flow_7d_usd": 0.0,
         "net_flow_30d_usd": 0.0, "chain": "ethereum", "token_sectors": [], "trader_count": 12,
         "token_age_days": 2900, "market_cap_usd": 9000000000},
    ],
    "pagination": {"page": 2, "per_page": 100, "is_last_page": True},
}  # fmt: skip
