"""Pure parts of the lab: the validation bar, compact tool results, answer parsing, the plan."""

from __future__ import annotations

import pytest

from omc.lab.calls import InvalidAnswer, parse_answer
from omc.lab.research import qualifies
from omc.lab.state import Plan
from omc.lab.tools import ToolProblem, compact_result, row_count

GOOD = {
    "lookahead_passed": True,
    "deflated_sharpe": 0.97,
    "pbo": 0.2,
    "sharpe": 1.9,
    "buy_and_hold_sharpe": 1.2,
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, True),
        ({"pbo": None}, True),  # fewer than 8 trials: no PBO, judged on the rest
        ({"lookahead_passed": False}, False),
        ({"deflated_sharpe": 0.9}, False),
        ({"pbo": 0.6}, False),
        ({"sharpe": 1.1}, False),  # does not beat buy-and-hold
        ({"deflated_sharpe": None}, False),
    ],
)
def test_only_an_honest_out_of_sample_winner_qualifies_for_validated(change, expected):
    assert qualifies({**GOOD, **change}) is expected


def test_long_tool_results_reach_the_model_as_a_summary_not_rows():
    rows = [{"timestamp": f"t{i}", "last": float(i)} for i in range(1000)]
    text = compact_result(rows)
    assert '"rows": 1000' in text
    assert '"last": {"min": 0.0, "max": 999.0}' in text
    assert "t500" not in text
    assert row_count(rows) == 1000
    assert row_count({"news_sentiment": [1, 2], "social_sentiment": [3]}) == 3
    assert row_count({"price_data_5min": {"rows": 5}}) is None


def test_the_model_cannot_choose_the_cutoff_or_an_unknown_tool():
    import datetime as dt

    from omc.lab.tools import call_tool

    with pytest.raises(ToolProblem, match="unknown tool 'drop_tables'"):
        call_tool(None, "drop_tables", {}, as_of=dt.datetime.now(dt.UTC), user_id=None)
    with pytest.raises(ToolProblem, match="bad arguments for get_available_coins"):
        call_tool(None, "get_available_coins", {"x": 1}, as_of=dt.datetime.now(dt.UTC),
                  user_id=None)  # fmt: skip


def test_structured_answers_are_parsed_from_json_or_fenced_json_and_checked():
    from langchain_core.messages import AIMessage

    fenced = AIMessage(content='```json\n{"about_trading": false, "refusal": "no"}\n```')
    assert parse_answer(fenced, Plan).refusal == "no"
    with pytest.raises(InvalidAnswer, match="not JSON"):
        parse_answer(AIMessage(content="sure!"), Plan)
    with pytest.raises(InvalidAnswer, match="horizon_bars"):
        parse_answer(AIMessage(content='{"about_trading": true, "horizon_bars": 0}'), Plan)
