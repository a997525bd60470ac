"""Historical bars: reading price files in the layouts found in the wild, fetching them from
CoinGecko and Binance, and writing them in bulk to ``price_data_5min``."""
