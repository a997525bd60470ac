"""Recording every LLM call's tokens and cost, and reporting them (``omc llm usage``).

:class:`UsageRecorder` is a LangChain callback: before a call it takes one unit from the
session's budget (when the call belongs to a session), after it it writes one ``llm_usage``
row from the response's usage metadata. Each write is its own short transaction, so usage is
kept even when the caller's work is rolled back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from omc.db import session_scope, utcnow
from omc.llm.budget import consume_call
from omc.llm.models import LLMUsage
from omc.llm.prices import estimate_cost


@dataclass(frozen=True)
class CallContext:
    """Who a chat model's calls are recorded for."""

    user_id: uuid.UUID
    provider: str
    model: str
    credential_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


def _tokens(response: LLMResult) -> tuple[int, int]:
    input_tokens = output_tokens = 0
    for generations in response.generations:
        for generation in generations:
            message = getattr(generation, "message", None)
            usage = getattr(message, "usage_metadata", None) or {}
            input_tokens += int(usage.get("input_tokens", 0) or 0)
            output_tokens += int(usage.get("output_tokens", 0) or 0)
    if not (input_tokens or output_tokens):
        # Some integrations only fill llm_output (OpenAI-style "token_usage").
        usage = (response.llm_output or {}).get("token_usage") or {}
        input_tokens = int(usage.get("prompt_tokens", 0) or 0)
        output_tokens = int(usage.get("completion_tokens", 0) or 0)
    return input_tokens, output_tokens


class UsageRecorder(BaseCallbackHandler):
    """Enforces the session budget before each call and records tokens after it."""

    raise_error = True  # a BudgetExceeded raised before a call must stop that call

    def __init__(
        self,
        engine: Engine,
        context: CallContext,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.context = context
        self.clock = clock

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        if self.context.session_id is not None:
            consume_call(self.engine, self.context.session_id)

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        input_tokens, output_tokens = _tokens(response)
        context = self.context
        with session_scope(self.engine) as session:
            session.add(
                LLMUsage(
                    occurred_at=self.clock(),
                    user_id=context.user_id,
                    session_id=context.session_id,
                    credential_id=context.credential_id,
                    provider=context.provider,
                    model_name=context.model,
                    input_tokens=input_tokens,
                    output_tokens=output_tokens,
                    cost_usd=estimate_cost(
                        context.provider, context.model, input_tokens, output_tokens
                    ),
                )
            )


def usage_report(session: Session, user_id: uuid.UUID, since: dt.datetime) -> dict[str, Any]:
    """Calls, tokens and estimated cost since ``since``, by model and by session."""
    columns = (
        sa.func.count().label("calls"),
        sa.func.coalesce(sa.func.sum(LLMUsage.input_tokens), 0).label("input_tokens"),
        sa.func.coalesce(sa.func.sum(LLMUsage.output_tokens), 0).label("output_tokens"),
        sa.func.sum(LLMUsage.cost_usd).label("cost_usd"),
        sa.func.count(LLMUsage.cost_usd).label("priced_calls"),
    )
    scope = (LLMUsage.user_id == user_id, LLMUsage.occurred_at >= since)

    def rows(*keys: Any) -> list[dict[str, Any]]:
        query = sa.select(*keys, *columns).where(*scope).group_by(*keys).order_by(*keys)
        result = []
        for row in session.execute(query).mappings():
            item = dict(row)
            cost = item["cost_usd"]
            item["cost_usd"] = (
                Decimal(str(cost)).quantize(Decimal("0.000001")) if cost else Decimal(0)
            )
            item["unpriced_calls"] = item.pop("calls") - item.pop("priced_calls")
            item["calls"] = row["calls"]
            result.append(item)
        return result

    by_model = rows(LLMUsage.provider, LLMUsage.model_name)
    by_session = rows(LLMUsage.session_id)
    return {
        "since": since,
        "by_model": by_model,
        "by_session": by_session,
        "total_cost_usd": sum((row["cost_usd"] for row in by_model), Decimal(0)),
    }


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``30d``, ``12h``, ``2w`` or an ISO date/time (taken as UTC) to a UTC datetime."""
    value = text.strip().lower()
    units = {"h": "hours", "d": "days", "w": "weeks"}
    if len(value) > 1 and value[-1] in units and value[:-1].isdigit():
        return now - dt.timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        from omc.errors import UsageProblem

        raise UsageProblem(
            f"invalid --since {text!r}: use a duration like 30d, 12h, 2w or a date like 2026-01-31"
        ) from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
