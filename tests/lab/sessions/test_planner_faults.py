"""The planner's stage under provider faults, bad answers, budgets and the plan gate."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from omc.lab.run import RunRequest, approve_all, cancel_session, resume_session, start_session
from tests.lab.sessions.conftest import OPENAI_KEY
from tests.lab.sessions.scripted_llm import Turn
from tests.lab.sessions.scripts import GOAL, PLAN


def _events(runtime, session_id, kind=None):
    from omc.lab.events import session_events

    with runtime.session() as db:
        events = session_events(db, session_id)
    return [e for e in events if kind is None or e["kind"] == kind]


def _scalar(runtime, sql):
    with runtime.engine().connect() as connection:
        return connection.execute(sa.text(sql)).scalar()


@pytest.mark.parametrize(
    ("turn", "message", "code"),
    [
        (Turn.fail(429, "Rate limit reached"), "quota exceeded or rate limited", 69),
        (Turn.fail(500, "internal"), "answered with HTTP 500", 69),
        (Turn.fail(401, "Incorrect API key provided"), "rejected the API key", 64),
    ],
    ids=["429", "500", "revoked-key"],
)
def test_a_provider_failure_stops_the_session_resumably_with_a_plain_message(
    runtime, scripted, turn, message, code
):
    scripted.add(turn)
    result = start_session(runtime, RunRequest(GOAL), approver=approve_all)
    assert (result.status, result.exit_code) == ("failed", code)
    assert message in result.message
    assert OPENAI_KEY not in result.message
    assert _scalar(runtime, "SELECT count(*) FROM agent_llm_calls") == 0
    # The fault is gone: resume asks again and reaches the plan gate.
    scripted.add(Turn.json(PLAN))
    resumed = resume_session(runtime, result.session_id)
    assert resumed.status == "waiting"
    assert resumed.question["gate"] == "plan"
    assert resumed.question["plan"]["coins"] == ["BTC"]
    assert len(scripted.requests) == 2


def test_a_timeout_is_reported_as_unreachable(runtime, scripted, monkeypatch):
    monkeypatch.setenv("OMC_LLM__REQUEST_TIMEOUT_SECONDS", "0.3")
    from omc.runtime import open_runtime

    slow = open_runtime()
    scripted.add(Turn.json(PLAN, delay=1.5))
    result = start_session(slow, RunRequest(GOAL), approver=approve_all)
    slow.close()
    assert result.status == "failed"
    assert "network unreachable or timed out" in result.message


def test_invalid_structured_output_is_shown_to_the_model_and_asked_again(runtime, scripted):
    wrong_type = {**PLAN, "horizon_bars": "soon"}
    scripted.add(Turn(content="I think BTC is great"), Turn.json(wrong_type), Turn.json(PLAN))
    result = start_session(runtime, RunRequest(GOAL))
    assert result.status == "waiting"
    problems = [e["problem"] for e in _events(runtime, result.session_id, "invalid_answer")]
    assert len(problems) == 2
    assert "not JSON" in problems[0]
    assert "horizon_bars" in problems[1]
    last_messages = scripted.requests[2]["messages"]
    assert "horizon_bars" in last_messages[-1]["content"]
    assert scripted.requests[0]["response_format"]["type"] == "json_schema"


def test_a_model_that_never_answers_validly_fails_the_session(runtime, scripted):
    scripted.add(*[Turn(content="no") for _ in range(3)])
    result = start_session(runtime, RunRequest(GOAL))
    assert result.status == "failed"
    assert "no valid Plan in 3 attempts" in result.message


def test_an_exhausted_budget_pauses_and_a_larger_one_resumes_without_repeating_calls(
    runtime, scripted
):
    scripted.add(Turn(content="not json"), Turn.json(PLAN))
    result = start_session(runtime, RunRequest(GOAL, max_calls=1))
    assert result.status == "budget_exhausted"
    assert "used all 1 of its LLM calls" in result.message
    assert len(scripted.requests) == 1
    resumed = resume_session(runtime, result.session_id, max_calls=5)
    assert resumed.status == "waiting"
    # The first (paid) call came from its record; only the second was sent.
    assert (resumed.llm_sent, resumed.llm_reused) == (1, 1)
    assert len(scripted.requests) == 2
    assert _scalar(runtime, "SELECT count(*) FROM llm_usage") == 2
    assert _scalar(runtime, "SELECT calls_used FROM llm_session_budgets") == 2


def test_waiting_session_can_be_cancelled_and_then_not_resumed(runtime, scripted):
    from omc.errors import UsageProblem

    scripted.add(Turn.json(PLAN))
    result = start_session(runtime, RunRequest(GOAL))
    assert (result.status, result.exit_code) == ("waiting", 75)
    assert cancel_session(runtime, str(result.session_id)[:8]) == "waiting"
    with pytest.raises(UsageProblem, match="has ended"):
        resume_session(runtime, result.session_id)


def test_the_person_edits_the_plan_at_the_gate_and_cancel_ends_it(runtime, scripted):
    scripted.add(Turn.json(PLAN))
    result = start_session(runtime, RunRequest(GOAL, coins=["eth"]))
    assert result.question["plan"]["coins"] == ["ETH"]  # --coin wins over the model's BTC
    plan_asked = json.dumps(scripted.requests[0]["messages"])
    assert "The person chose these coins: ETH" in plan_asked
    cancelled = resume_session(runtime, result.session_id, approver=lambda q: {"action": "cancel"})
    assert cancelled.status == "cancelled"
    assert "cancelled at a gate" in cancelled.report
    assert len(_events(runtime, result.session_id, "cancelled")) == 1
