"""What every stage of a session works with: the database, the model, limits, events.

A stage numbers its LLM calls and events from the counters in the state, so running it again
after a crash reuses its completed calls and writes no event twice (see :mod:`omc.lab.calls`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from omc.errors import DataProblem
from omc.lab.calls import InvalidAnswer, LabLLM, parse_answer
from omc.lab.events import record_event
from omc.lab.state import Counters

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.tools import BaseTool
    from pydantic import BaseModel
    from sqlalchemy.engine import Engine

Answer = TypeVar("Answer", bound="BaseModel")


class AnswerFailed(DataProblem):
    """The model gave no valid structured answer within the allowed attempts."""


@dataclass(frozen=True)
class LabLimits:
    """Bounds on every loop of a session, and the bar a candidate's out-of-sample record must
    clear before the person is asked to store it as ``validated`` (``[lab] validated_*``).
    Kept with the session, so resume and replay judge by the same numbers."""

    max_steps: int = 40  # graph steps in all
    retrieval_turns: int = 6  # model turns of tool calls in data retrieval
    feature_attempts: int = 3  # feature code runs per round (the first and its retries)
    rounds: int = 3  # analyst rounds the evaluator may ask for
    answer_attempts: int = 3  # tries for one valid structured answer
    validated_min_deflated_sharpe: float = 0.95
    validated_max_pbo: float = 0.5
    validated_beats_buy_and_hold: bool = True

    @classmethod
    def from_settings(cls, lab: Any) -> LabLimits:
        """The default loop bounds with the validation bar of the ``[lab]`` settings."""
        return cls(
            validated_min_deflated_sharpe=lab.validated_min_deflated_sharpe,
            validated_max_pbo=lab.validated_max_pbo,
            validated_beats_buy_and_hold=lab.validated_beats_buy_and_hold,
        )


@dataclass
class LabContext:
    """The session's resources, passed to every stage (never put in the state)."""

    engine: Engine
    session_id: uuid.UUID
    user_id: uuid.UUID
    llm: LabLLM
    as_of: dt.datetime
    limits: LabLimits = field(default_factory=LabLimits)
    sink: Callable[[dict[str, Any]], None] | None = None
    persist: bool = True  # False in a replay: results are compared, not stored again
    stage: str = "start"
    _calls: int = 0
    _events: int = 0

    def begin(self, stage: str, counters: Counters) -> None:
        self.stage = stage
        self._calls = counters["calls"]
        self._events = counters["events"]

    def advance(self, counters: Counters, *, rounds: int | None = None) -> Counters:
        return {
            "steps": counters["steps"] + 1,
            "calls": self._calls,
            "events": self._events,
            "rounds": counters["rounds"] if rounds is None else rounds,
        }

    def emit(self, kind: str, **data: Any) -> None:
        self._events += 1
        event = record_event(self.engine, self.session_id, self._events, self.stage, kind, data)
        if event is not None and self.sink is not None:
            self.sink(event)

    def ask(
        self,
        messages: Sequence[BaseMessage],
        *,
        tools: Sequence[BaseTool] = (),
        schema: type[BaseModel] | None = None,
    ) -> AIMessage:
        self._calls += 1
        reused_before = self.llm.reused
        answer = self.llm.ask(self.stage, self._calls, messages, tools=tools, schema=schema)
        usage = answer.usage_metadata or {}
        self.emit(
            "llm_call",
            call=self._calls,
            input_tokens=int(usage.get("input_tokens", 0) or 0),
            output_tokens=int(usage.get("output_tokens", 0) or 0),
            reused=self.llm.reused > reused_before,
            cost_usd=None if self.llm.last_cost is None else str(self.llm.last_cost),
            tool_calls=[call["name"] for call in answer.tool_calls],
        )
        return answer

    def ask_for(self, messages: Sequence[BaseMessage], schema: type[Answer]) -> Answer:
        """A valid structured answer; an invalid one is shown to the model and asked again."""
        from langchain_core.messages import HumanMessage

        history = list(messages)
        problem = ""
        for _attempt in range(self.limits.answer_attempts):
            answer = self.ask(history, schema=schema)
            try:
                return parse_answer(answer, schema)  # type: ignore[return-value]
            except InvalidAnswer as error:
                problem = str(error)
                self.emit("invalid_answer", problem=problem)
                history += [
                    answer,
                    HumanMessage(f"{problem}. Answer again with only JSON matching the schema."),
                ]
        raise AnswerFailed(
            f"the model gave no valid {schema.__name__} in {self.limits.answer_attempts} "
            f"attempts ({problem})"
        )
