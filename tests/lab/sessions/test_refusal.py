from __future__ import annotations

import sqlalchemy as sa

from omc.lab.run import RunRequest, approve_all, start_session
from tests.lab.sessions.scripted_llm import Turn


def test_goal_not_about_trading_is_refused_politely_at_the_cost_of_one_call(runtime, scripted):
    scripted.add(
        Turn.json({"about_trading": False, "refusal": "I can only research trading strategies."})
    )
    result = start_session(runtime, RunRequest("write me a poem about cats"), approver=approve_all)
    assert result.status == "refused"
    assert "only research trading" in (result.report or "")
    assert len(scripted.requests) == 1
    with runtime.engine().connect() as connection:
        calls = connection.execute(sa.text("SELECT count(*) FROM llm_usage")).scalar()
    assert calls == 1
