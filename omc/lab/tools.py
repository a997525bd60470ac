"""The nine data tools of :mod:`omc.ledgers.tools` as LangChain tools bound to one session.

The model sees each tool's arguments without ``session``, ``as_of`` or ``user_id``: the session's
research cutoff is always passed as ``as_of`` (an ``as_of`` the model sends is ignored) and the
Exchange tools always read the session's own user. Results go back to the model compacted: a
long list becomes its length, its first and last rows and the range of its numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from sqlalchemy.engine import Engine

SAMPLE_ROWS = 3
MAX_RESULT_CHARS = 4000


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PriceArgs(_Args):
    coin_type: str = Field(description="coin symbol, e.g. BTC")
    start_date: str = Field(description="ISO date or time")
    end_date: str | None = None
    quote: str | None = Field(default=None, description="market quote, e.g. AUD or USDT")


class NoArgs(_Args):
    pass


class OnChainArgs(_Args):
    asset: str
    start_date: str
    end_date: str | None = None
    metric_names: list[str] | None = None


class SmartMoneyArgs(_Args):
    token: str
    start_date: str
    end_date: str | None = None


class SentimentArgs(_Args):
    start_date: str
    end_date: str | None = None
    platform: str | None = Field(default=None, description="social platform, e.g. reddit")
    currencies: list[str] | None = None


class CatalystArgs(_Args):
    start_date: str
    end_date: str | None = None
    event_types: list[str] | None = None
    currencies: list[str] | None = None


class OrderArgs(_Args):
    coin_type: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None


class CoinArgs(_Args):
    coin_type: str | None = None


@dataclass(frozen=True)
class DataTool:
    """One ledger read offered to the model."""

    name: str
    description: str
    args: type[_Args]
    per_user: bool = False


TOOLS: tuple[DataTool, ...] = (
    DataTool("fetch_price_data", "5-minute price bars of one coin in a date range", PriceArgs),
    DataTool("get_available_coins", "every coin that has price data", NoArgs),
    DataTool("fetch_on_chain_metrics", "on-chain metrics of one asset", OnChainArgs),
    DataTool("fetch_smart_money_flows", "Nansen smart-money flows of one token", SmartMoneyArgs),
    DataTool("fetch_sentiment_data", "news and social sentiment", SentimentArgs),
    DataTool("fetch_catalyst_events", "SEC filings, listings and other catalysts", CatalystArgs),
    DataTool("fetch_order_history", "the user's own orders", OrderArgs, per_user=True),
    DataTool("fetch_user_positions", "the user's own holdings", CoinArgs, per_user=True),
    DataTool("get_data_statistics", "row counts and date ranges of every ledger", CoinArgs),
)
BY_NAME = {tool.name: tool for tool in TOOLS}


class ToolProblem(ValueError):
    """A tool call the model got wrong (unknown tool, bad arguments): the text is for the model."""


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items()}
    if isinstance(value, list) and len(value) > 2 * SAMPLE_ROWS:
        summary: dict[str, Any] = {
            "rows": len(value),
            "first": value[:SAMPLE_ROWS],
            "last": value[-SAMPLE_ROWS:],
        }
        if value and isinstance(value[0], dict):
            ranges = {}
            for key, sample in value[0].items():
                if isinstance(sample, int | float) and not isinstance(sample, bool):
                    numbers = [row[key] for row in value if isinstance(row.get(key), int | float)]
                    ranges[key] = {"min": min(numbers), "max": max(numbers)}
            summary["ranges"] = ranges
        return summary
    return value


def compact_result(value: Any) -> str:
    """The JSON text the model gets back (bounded in size)."""
    text = json.dumps(_compact(value), default=str)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + "… (cut)"
    return text


def row_count(value: Any) -> int | None:
    """Rows in a tool's result (None for a summary such as the data statistics)."""
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        lists = [item for item in value.values() if isinstance(item, list)]
        return sum(len(item) for item in lists) if lists else None
    return None


def call_tool(
    engine: Engine,
    name: str,
    arguments: dict[str, Any],
    *,
    as_of: dt.datetime,
    user_id: uuid.UUID,
) -> tuple[dict[str, Any], Any]:
    """Run one tool call: returns the arguments used (with ``as_of``) and the raw result."""
    from omc.db import session_scope
    from omc.ledgers import tools as ledger_tools

    tool = BY_NAME.get(name)
    if tool is None:
        raise ToolProblem(f"unknown tool {name!r}; the tools are: {', '.join(BY_NAME)}")
    given = {key: value for key, value in (arguments or {}).items() if key != "as_of"}
    try:
        args = tool.args.model_validate(given).model_dump(exclude_none=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'arguments'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise ToolProblem(f"bad arguments for {name}: {problems}") from None
    function: Callable[..., Any] = getattr(ledger_tools, name)
    with session_scope(engine) as session:
        if tool.per_user:
            result = function(session, user_id, **args, as_of=as_of)
        else:
            result = function(session, **args, as_of=as_of)
    return {**args, "as_of": as_of.isoformat()}, result


def langchain_tools() -> list[BaseTool]:
    """The tools as LangChain tools, for ``bind_tools`` (the graph runs the calls itself)."""
    from langchain_core.tools import StructuredTool

    def _unused(**_: Any) -> str:  # pragma: no cover - calls go through call_tool
        raise RuntimeError("lab tools are run by the retrieval stage")

    return [
        StructuredTool.from_function(
            func=_unused, name=tool.name, description=tool.description, args_schema=tool.args
        )
        for tool in TOOLS
    ]
