"""Oh My Coins: algorithmic cryptocurrency trading from the command line."""

__version__ = "0.1.0"
