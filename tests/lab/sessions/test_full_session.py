"""Whole sessions on real BTC hourly history, through the real langchain-openai client: a draft
algorithm that backtests, tool errors, failing feature code, a key revoked mid-session, cost
budgets, the as-of cutoff on every data read, and replay."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from omc.lab.run import RunRequest, approve_all, resume_session, start_session
from tests.lab.sessions.scripted_llm import Turn
from tests.lab.sessions.scripts import (
    ACCEPT,
    BROKEN_CODE,
    FEATURES,
    GOAL,
    PLAN,
    TRAINING,
    full_session,
    retrieval_turns,
)

AS_OF = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
LATE_TITLE = "Bitcoin headline omc only learned after the cutoff"
EARLY_TITLE = "Bitcoin headline omc knew before the cutoff"
HISTORY = "binance_BTCUSDT_1h_2021-04_2023-12.csv.gz"


@pytest.fixture
def history(engine, shared_dir):
    """Real BTC/USDT hourly bars, and two news items either side of the cutoff."""
    from omc.db import session_scope
    from omc.ledgers.history.importer import import_file
    from omc.ledgers.human.models import NewsSentiment

    import_file(engine, shared_dir / "data" / HISTORY, coin="BTC", quote="USDT")
    published = AS_OF - dt.timedelta(days=3)
    with session_scope(engine) as session:
        for title, collected in (
            (EARLY_TITLE, published + dt.timedelta(hours=1)),
            (LATE_TITLE, AS_OF + dt.timedelta(days=2)),
        ):
            session.add(
                NewsSentiment(
                    provider="test",
                    external_id=title,
                    source="test",
                    title=title,
                    sentiment="positive",
                    sentiment_score=0.6,
                    currencies=["BTC"],
                    published_at=published,
                    collected_at=collected,
                )
            )
    return engine


def _events(runtime, session_id, kind=None):
    from omc.lab.events import session_events

    with runtime.session() as db:
        events = session_events(db, session_id)
    return [e for e in events if kind is None or e["kind"] == kind]


def _run(runtime, **options):
    return start_session(runtime, RunRequest(GOAL, as_of=AS_OF, **options), approver=approve_all)


def test_a_session_from_the_cli_stores_a_draft_algorithm_that_backtests(
    lab_env, history, scripted, cli
):
    scripted.add(*full_session())
    result = cli("lab", "run", GOAL, "--yes", "--as-of", AS_OF.isoformat(), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    final = lines[-1]
    assert (final["kind"], final["status"]) == ("result", "completed")
    assert len(final["algorithms"]) == 1
    reference = final["algorithms"][0]
    assert scripted.remaining == 0

    tool_calls = [line for line in lines if line.get("kind") == "tool_call"]
    assert {call["tool"] for call in tool_calls} == {
        "get_data_statistics",
        "fetch_sentiment_data",
        "fetch_price_data",
    }
    assert all(call["args"]["as_of"] == AS_OF.isoformat() for call in tool_calls)
    sent = json.dumps(scripted.requests)
    assert EARLY_TITLE in sent  # the sentiment tool's result reached the model
    assert LATE_TITLE not in sent  # but nothing collected after the cutoff did

    with history.connect() as connection:
        status, session_id = connection.execute(
            sa.text("SELECT status, session_id FROM algorithms")
        ).one()
    assert status == "draft"
    assert str(session_id).replace("-", "") == final["session_id"].replace("-", "")

    backtest = cli("backtest", "run", reference, "--coin", "BTC", "--quote", "USDT")
    assert backtest.exit_code == 0, backtest.stdout + backtest.stderr
    assert "buy and hold" in backtest.stdout

    shown = json.loads(cli("lab", "show", final["session_id"], "--json").stdout)
    assert shown["status"] == "completed"
    assert shown["totals"]["llm_calls"] == 7
    assert "# Lab session" in shown["report"]


def test_unknown_tools_and_malformed_arguments_are_answered_and_the_session_goes_on(
    runtime, history, scripted
):
    scripted.add(
        Turn.json(PLAN),
        Turn.calls(("fetch_everything", {}), ("fetch_price_data", '{"coin_type": "BTC"')),
        Turn.call("fetch_price_data", {"coin_type": 5, "start_date": "2023-01-01"}),
        Turn(content="enough"),
        Turn.json(FEATURES),
        Turn.json(TRAINING),
        Turn.json(ACCEPT),
    )
    result = _run(runtime)
    assert result.status == "completed", result.message
    errors = [e["error"] for e in _events(runtime, result.session_id, "tool_error")]
    assert len(errors) == 3
    assert "unknown tool 'fetch_everything'" in errors[0]
    assert "not valid JSON" in errors[1]
    assert "bad arguments for fetch_price_data: coin_type" in errors[2]
    replies = [m for m in scripted.requests[2]["messages"] if m["role"] == "tool"]
    assert [r["tool_call_id"] for r in replies] == ["call_2_0", "call_2_1"]
    assert "unknown tool" in replies[0]["content"]


def test_feature_code_that_keeps_failing_ends_the_session_with_the_sandbox_error(
    runtime, history, scripted
):
    broken = {**FEATURES, "code": BROKEN_CODE}
    scripted.add(Turn.json(PLAN), *retrieval_turns(), *[Turn.json(broken) for _ in range(3)])
    result = _run(runtime)
    assert result.status == "limit_reached"
    runs = _events(runtime, result.session_id, "sandbox_run")
    assert [run["ok"] for run in runs] == [False, False, False]
    assert "undefined_name" in runs[0]["error"]
    retry = scripted.requests[-1]["messages"][-1]["content"]
    assert "failed in the sandbox" in retry
    assert "undefined_name" in retry
    assert "kept failing in the sandbox" in result.report


def test_a_key_revoked_mid_session_fails_it_and_resume_repeats_no_completed_call(
    runtime, history, scripted
):
    turns = full_session()
    trainer_at = 5  # planner, three retrieval turns, analyst; then the trainer
    scripted.add(*turns[:trainer_at], Turn.fail(401, "Incorrect API key provided"))
    failed = _run(runtime)
    assert failed.status == "failed"
    assert "rejected the API key" in failed.message
    scripted.add(*turns[trainer_at:])
    resumed = resume_session(runtime, failed.session_id, approver=approve_all)
    assert resumed.status == "completed", resumed.message
    assert len(resumed.algorithms) == 1
    assert resumed.llm_sent == 2  # trainer and evaluator; the five before came from record
    assert len(scripted.requests) == len(turns) + 1


def test_a_cost_limit_pauses_the_session_and_a_larger_one_finishes_it(runtime, history, scripted):
    from decimal import Decimal

    scripted.add(*full_session())
    paused = _run(runtime, budget_usd=Decimal("0.00001"))
    assert paused.status == "budget_exhausted"
    assert "reached its LLM cost limit" in paused.message
    assert len(scripted.requests) == 1
    resumed = resume_session(
        runtime, paused.session_id, approver=approve_all, budget_usd=Decimal("1")
    )
    assert resumed.status == "completed", resumed.message
    assert len(scripted.requests) == 7


def test_replay_reaches_the_same_algorithm_from_the_records_at_no_cost(runtime, history, scripted):
    from omc.lab.replay import replay_session

    scripted.add(*full_session())
    original = _run(runtime)
    assert original.status == "completed"
    sent = len(scripted.requests)
    with runtime.engine().connect() as connection:
        usage_before = connection.execute(sa.text("SELECT count(*) FROM llm_usage")).scalar()
    outcome = replay_session(runtime, str(original.session_id))
    assert outcome["same"] is True, outcome
    assert outcome["llm_calls_sent"] == 0
    assert outcome["llm_calls_replayed"] == 7
    assert outcome["original"]["accepted"] == outcome["replay"]["accepted"]
    assert len(outcome["original"]["accepted"]) == 1
    assert len(scripted.requests) == sent
    with runtime.engine().connect() as connection:
        usage_after = connection.execute(sa.text("SELECT count(*) FROM llm_usage")).scalar()
        algorithms = connection.execute(sa.text("SELECT count(*) FROM algorithms")).scalar()
    assert usage_after == usage_before
    assert algorithms == 1  # the replay compares, it stores nothing new


def test_replay_that_diverges_from_the_records_says_so(runtime, history, scripted):
    from omc.lab.records import AgentLLMCall
    from omc.lab.replay import replay_session

    scripted.add(*full_session())
    original = _run(runtime)
    with runtime.engine().begin() as connection:
        connection.execute(
            sa.update(AgentLLMCall.__table__)
            .where(AgentLLMCall.__table__.c.seq == 5)
            .values(request_hash="0" * 64)
        )
    outcome = replay_session(runtime, str(original.session_id))
    assert outcome["same"] is False
    assert "diverged" in outcome["message"]
    assert "LLM call 5" in outcome["message"]


def test_gates_without_a_terminal_wait_and_say_what_training_will_cost(
    lab_env, history, scripted, cli
):
    scripted.add(*full_session())
    first = cli("lab", "run", GOAL, "--as-of", AS_OF.isoformat(), "--json", "--max-calls", "20")
    assert first.exit_code == 75
    waiting = json.loads(first.stdout.splitlines()[-1])
    assert (waiting["status"], waiting["question"]["gate"]) == ("waiting", "plan")
    session_id = waiting["session_id"]

    # Approve the plan only: the session goes on to the training gate and waits there.
    from omc.lab.run import resume_session
    from omc.runtime import open_runtime

    runtime = open_runtime()
    answers = iter([{"action": "approve"}])
    at_training = resume_session(runtime, session_id, approver=lambda q: next(answers, None))
    runtime.close()
    assert at_training.status == "waiting"
    question = at_training.question
    assert question["gate"] == "training"
    assert question["estimators"] == ["logistic_regression"]
    assert question["estimated_fits"] == 2 * 5  # two values of C on five purged folds
    assert question["budget"]["calls_left"] == 20 - 6

    done = cli("lab", "resume", session_id[:8], "--yes", "--json")
    assert done.exit_code == 0, done.stdout + done.stderr
    final = json.loads(done.stdout.splitlines()[-1])
    assert final["status"] == "completed"
    assert len(final["algorithms"]) == 1
    assert final["llm_calls_sent"] == 1  # only the evaluator was left to ask


@pytest.mark.slow
def test_with_no_model_at_all_run_says_so_and_runs_the_recipe(history, cli, monkeypatch):
    url = history.url.render_as_string(hide_password=False)
    for name in ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    early = "2021-07-01T00:00:00+00:00"  # three months of bars: a quick recipe
    result = cli(
        "lab", "run", GOAL, "--coin", "BTC", "--as-of", early, env={"OMC_DATABASE_URL": url}
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "no LLM is configured" in result.stdout
    assert "running the built-in recipe instead" in result.stdout
    with history.connect() as connection:
        status, kind = connection.execute(
            sa.text(
                "SELECT a.status, s.kind FROM algorithms a "
                "JOIN agent_sessions s ON s.id = a.session_id"
            )
        ).one()
    assert (status, kind) == ("draft", "recipe")


def test_a_whole_session_through_the_real_gemini_client(engine, history, scripted, cli):
    env = {
        "OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "OMC_LLM__SYSTEM_DEFAULT_PROVIDER": "google",
        "OMC_LLM__SYSTEM_DEFAULT_MODEL": "gemini-2.5-flash",
        "OMC_LLM__SYSTEM_DEFAULT_BASE_URL": scripted.gemini_url,
        "OMC_LLM__MAX_RETRIES": "0",
        "GOOGLE_API_KEY": "AIzaSyLAB-CANARY-0b1c2d3e4f5a6b7c8d9e",
    }
    scripted.add(*full_session())
    result = cli("lab", "run", GOAL, "--yes", "--as-of", AS_OF.isoformat(), "--json", env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    final = json.loads(result.stdout.splitlines()[-1])
    assert final["status"] == "completed"
    assert len(final["algorithms"]) == 1
    assert all(":generateContent" in path for path in scripted.paths)
    # The tool results went back to Gemini as function responses, each with the cutoff applied.
    responses = [
        part["functionResponse"]
        for content in scripted.requests[2]["contents"]
        for part in content.get("parts", [])
        if "functionResponse" in part
    ]
    assert [r["name"] for r in responses] == ["get_data_statistics", "fetch_sentiment_data"]
    assert EARLY_TITLE in json.dumps(responses)
    assert LATE_TITLE not in json.dumps(scripted.requests)
    assert "AIzaSyLAB-CANARY" not in json.dumps(scripted.requests)


def test_a_candidate_over_the_bar_waits_at_the_validation_gate_then_is_validated(
    lab_env, history, scripted, cli
):
    """With the ``[lab] validated_*`` bar lowered so the scripted candidate clears it, the
    session asks before storing it as ``validated``: without a terminal it waits there, and
    ``omc lab resume --yes`` stores it as validated."""
    bar = {
        "OMC_LAB__VALIDATED_MIN_DEFLATED_SHARPE": "-10",
        "OMC_LAB__VALIDATED_MAX_PBO": "1.01",
        "OMC_LAB__VALIDATED_BEATS_BUY_AND_HOLD": "false",
    }
    scripted.add(*full_session())
    first = cli("lab", "run", GOAL, "--as-of", AS_OF.isoformat(), "--json", env=bar)
    assert first.exit_code == 75
    session_id = json.loads(first.stdout.splitlines()[-1])["session_id"]

    from omc.lab.run import resume_session
    from omc.runtime import open_runtime

    runtime = open_runtime()
    answers = iter([{"action": "approve"}, {"action": "approve"}])  # the plan, then training
    at_validation = resume_session(runtime, session_id, approver=lambda q: next(answers, None))
    runtime.close()
    assert at_validation.status == "waiting", at_validation.message
    question = at_validation.question
    assert question["gate"] == "validation"
    assert question["evaluation"]["deflated_sharpe"] >= -10
    with history.connect() as connection:
        assert connection.execute(sa.text("SELECT status FROM algorithms")).scalar() == "draft"

    done = cli("lab", "resume", session_id[:8], "--yes", "--json")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["status"] == "completed"
    assert any(json.loads(line).get("kind") == "validated" for line in done.stdout.splitlines())
    with history.connect() as connection:
        assert connection.execute(sa.text("SELECT status FROM algorithms")).scalar() == (
            "validated"
        )


@pytest.mark.slow
def test_kill_9_during_training_then_resume_pays_no_call_twice(lab_env, history, scripted):
    """SIGKILL once the training stage has begun (fits under way, sandbox feature runs done):
    resume continues from the checkpoint to the same end, with every completed LLM call taken
    from the record and no stage's start recorded twice."""
    import signal

    from tests.lab.sessions.test_kill_resume import _omc, _wait_for

    scripted.add(*full_session())
    args = ("lab", "run", GOAL, "--yes", "--as-of", AS_OF.isoformat(), "--json")
    process = _omc(*args, env=lab_env)

    def training_started() -> bool:
        with history.connect() as connection:
            query = "SELECT count(*) FROM agent_events WHERE stage = 'training'"
            return bool(connection.execute(sa.text(query)).scalar())

    try:
        _wait_for(training_started, timeout=120, what="the training stage")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    sent_before = len(scripted.requests)
    assert sent_before == len(full_session()) - 1  # all but the evaluator's call

    with history.connect() as connection:
        session_id = connection.execute(sa.text("SELECT id FROM agent_sessions")).scalar()
    resumed = _omc("lab", "resume", str(session_id), "--yes", "--json", env=lab_env)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    final = json.loads(out.splitlines()[-1])
    assert (final["status"], len(final["algorithms"])) == ("completed", 1)
    assert len(scripted.requests) == sent_before + 1  # only the evaluator was left to ask
    with history.connect() as connection:
        stages = connection.execute(
            sa.text("SELECT stage FROM agent_events WHERE kind = 'stage' ORDER BY seq")
        ).scalars()
        started = [stage for stage in stages if stage != "training"]
        seqs = connection.execute(sa.text("SELECT seq FROM agent_events ORDER BY seq")).scalars()
        seqs = list(seqs)
    assert len(started) == len(set(started))  # nothing before training started twice
    assert len(seqs) == len(set(seqs))
