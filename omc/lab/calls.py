"""Every LLM call of a session goes through :class:`LabLLM`: numbered, recorded, never repeated.

Calls are numbered within the session (the graph's state carries the count, so a stage that runs
again after a crash numbers its calls the same). Before asking the provider, the call's record is
looked up: a completed call with the same request is answered from it, at no cost. In replay
mode nothing is sent at all; the calls of the original session answer, and a request that
differs from the recorded one is a divergence. Structured answers are JSON validated here, with
the schema omc wrote, so a bad answer is an error the stage can show the model, not a crash.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError

from omc.db import session_scope
from omc.errors import DataProblem, OmcError
from omc.lab.records import AgentLLMCall

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.tools import BaseTool
    from sqlalchemy.engine import Engine


class ReplayDiverged(DataProblem):
    """A replay asked for a call the original session did not make."""


class InvalidAnswer(ValueError):
    """The model's structured answer is not valid JSON for the schema (the text says why)."""


def _tool_spec(tool: BaseTool) -> dict[str, Any]:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(tool)


def request_of(
    messages: Sequence[BaseMessage],
    tools: Sequence[BaseTool] = (),
    schema: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """The request as recorded: messages, tool specifications, answer schema (no key)."""
    from langchain_core.messages import messages_to_dict

    return {
        "messages": messages_to_dict(list(messages)),
        "tools": [_tool_spec(tool) for tool in tools],
        "schema": schema.model_json_schema() if schema is not None else None,
    }


def request_hash(request: dict[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def parse_answer(message: AIMessage, schema: type[BaseModel]) -> BaseModel:
    """The structured answer in ``message`` (JSON content, or a tool call's arguments)."""
    if message.tool_calls:
        payload: Any = message.tool_calls[0]["args"]
    else:
        text = message.content if isinstance(message.content, str) else _text(message.content)
        text = text.strip()
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1)
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidAnswer(f"the answer is not JSON ({error.msg} at {error.pos})") from None
    try:
        return schema.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'answer'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise InvalidAnswer(f"the answer does not match the schema ({problems})") from None


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return str(content or "")


class LabLLM:
    """The session's model behind one door (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        session_id: uuid.UUID,
        model: BaseChatModel | None,
        *,
        provider: str,
        model_name: str,
        replay_of: uuid.UUID | None = None,
    ) -> None:
        self.engine = engine
        self.session_id = session_id
        self.model = model
        self.provider = provider
        self.model_name = model_name
        self.replay_of = replay_of
        self.sent = 0  # requests actually sent to the provider by this process
        self.reused = 0  # calls answered from their record
        self.last_cost: Any = None  # estimated USD of the last call sent (None: unpriced)

    def ask(
        self,
        stage: str,
        seq: int,
        messages: Sequence[BaseMessage],
        *,
        tools: Sequence[BaseTool] = (),
        schema: type[BaseModel] | None = None,
    ) -> AIMessage:
        """Call number ``seq`` of the session: from its record if it completed, else sent."""
        request = request_of(messages, tools, schema)
        digest = request_hash(request)
        self.last_cost = 0
        if self.replay_of is not None:
            original = self._load(self.replay_of, seq)
            if original is None or original.request_hash != digest:
                raise ReplayDiverged(
                    f"replay diverged from session {self.replay_of} at LLM call {seq} ({stage}): "
                    "the original session "
                    + ("made no such call" if original is None else "sent a different request")
                )
            self._store(stage, seq, request, digest, original.response, 0, 0, None, 0)
            self.reused += 1
            return _message(original.response)
        stored = self._load(self.session_id, seq)
        if stored is not None and stored.request_hash == digest:
            self.reused += 1
            return _message(stored.response)
        if self.model is None:
            raise OmcError("this session has no model to ask")
        answer, latency_ms = self._send(list(messages), tools, schema)
        usage = answer.usage_metadata or {}
        input_tokens = int(usage.get("input_tokens", 0) or 0)
        output_tokens = int(usage.get("output_tokens", 0) or 0)
        from langchain_core.messages import message_to_dict

        from omc.llm.prices import estimate_cost

        cost = estimate_cost(self.provider, self.model_name, input_tokens, output_tokens)
        self.last_cost = cost
        self._store(
            stage,
            seq,
            request,
            digest,
            message_to_dict(answer),
            input_tokens,
            output_tokens,
            cost,
            latency_ms,
            replace=stored is not None,
        )
        return answer

    def _send(
        self,
        messages: list[BaseMessage],
        tools: Sequence[BaseTool],
        schema: type[BaseModel] | None,
    ) -> tuple[AIMessage, int]:
        from omc.llm.errors import describe_provider_error

        assert self.model is not None
        runnable: Any = self.model
        if tools:
            runnable = runnable.bind_tools(list(tools))
        if schema is not None:
            runnable = runnable.with_structured_output(
                schema.model_json_schema(), method="json_schema", include_raw=True
            )
        started = time.perf_counter()
        self.sent += 1
        try:
            result = runnable.invoke(messages)
        except OmcError:
            raise
        except Exception as error:
            if _interrupted(error):  # Ctrl-C during the request: pause, not a provider failure
                raise KeyboardInterrupt from error
            raise describe_provider_error(error, self.provider, self.model_name) from error
        latency_ms = int((time.perf_counter() - started) * 1000)
        answer = result["raw"] if schema is not None else result
        return answer, latency_ms

    def _load(self, session_id: uuid.UUID, seq: int) -> AgentLLMCall | None:
        with session_scope(self.engine) as session:
            row = session.execute(
                sa.select(AgentLLMCall).where(
                    AgentLLMCall.session_id == session_id, AgentLLMCall.seq == seq
                )
            ).scalar_one_or_none()
            if row is not None:
                session.expunge(row)
            return row

    def _store(
        self,
        stage: str,
        seq: int,
        request: dict[str, Any],
        digest: str,
        response: dict[str, Any],
        input_tokens: int,
        output_tokens: int,
        cost: Any,
        latency_ms: int,
        *,
        replace: bool = False,
    ) -> None:
        with session_scope(self.engine) as session:
            if replace:
                session.execute(
                    sa.delete(AgentLLMCall).where(
                        AgentLLMCall.session_id == self.session_id, AgentLLMCall.seq == seq
                    )
                )
            exists = session.execute(
                sa.select(AgentLLMCall.id).where(
                    AgentLLMCall.session_id == self.session_id, AgentLLMCall.seq == seq
                )
            ).first()
            if exists is None:
                session.add(
                    AgentLLMCall(
                        session_id=self.session_id,
                        seq=seq,
                        stage=stage,
                        request_hash=digest,
                        request=request,
                        response=response,
                        input_tokens=input_tokens,
                        output_tokens=output_tokens,
                        cost_usd=cost,
                        latency_ms=latency_ms,
                    )
                )


def _message(data: dict[str, Any]) -> AIMessage:
    from langchain_core.messages import messages_from_dict

    return messages_from_dict([data])[0]  # type: ignore[return-value]


def _interrupted(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is in the error's cause or context chain (an SDK can wrap
    the interrupted read in its own connection error)."""
    seen: set[int] = set()
    item: BaseException | None = error
    while item is not None and id(item) not in seen:
        if isinstance(item, KeyboardInterrupt):
            return True
        seen.add(id(item))
        item = item.__cause__ or item.__context__
    return False
