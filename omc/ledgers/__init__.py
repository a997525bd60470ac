"""The four ledgers (Glass, Human, Catalyst, Exchange): sources, storage and the agents' tools.

Importing this package registers every ledger table on the shared metadata (for Alembic).
"""

from omc.ledgers.catalyst.models import CatalystEvent, ListedCoin
from omc.ledgers.credentials.models import SourceCredential
from omc.ledgers.exchange.models import Order, Position, PriceBar, Trade
from omc.ledgers.glass.models import OnChainMetric, ProtocolFundamental, SmartMoneyFlow
from omc.ledgers.human.models import NewsSentiment, SocialSentiment
from omc.ledgers.runs import CollectorRun

__all__ = [
    "CatalystEvent",
    "CollectorRun",
    "ListedCoin",
    "NewsSentiment",
    "OnChainMetric",
    "Order",
    "Position",
    "PriceBar",
    "ProtocolFundamental",
    "SmartMoneyFlow",
    "SocialSentiment",
    "SourceCredential",
    "Trade",
]
