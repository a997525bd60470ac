"""The trading floor. For now: the user's CoinSpot credentials (the brokers come later)."""
